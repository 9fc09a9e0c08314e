// Entry of the `invites` CLI: dispatches to a command, turns errors into a message and an exit code.
import { EXIT, HELP, MAIN_HELP, UsageError } from './args.ts';
import type { Io } from './local.ts';

type Command = (args: string[], io: Io) => Promise<number>;

// Loaded on demand: the AWS SDK and the emulators take seconds to import, a usage error should not.
const COMMANDS: Record<string, () => Promise<Command>> = {
  local: async () => (await import('./local.ts')).localCommand,
  up: async () => (await import('./up.ts')).upCommand,
  send: async () => (await import('./send.ts')).sendCommand,
  status: async () => (await import('./cloud.ts')).statusCommand,
  report: async () => (await import('./cloud.ts')).reportCommand,
  cancel: async () => (await import('./cancel.ts')).cancelCommand,
  preview: async () => (await import('./preview.ts')).previewCommand,
  'test-send': async () => (await import('./test-send.ts')).testSendCommand,
  'console-user': async () => (await import('./console-user.ts')).consoleUserCommand,
};

/** The real process streams; the first SIGINT/SIGTERM resolves `interrupted()`. */
export const processIo = (): Io => ({
  stdout: (text) => process.stdout.write(text),
  stderr: process.stderr,
  interrupted: () =>
    new Promise((resolve) => {
      const done = () => {
        process.off('SIGINT', done);
        process.off('SIGTERM', done);
        resolve();
      };
      process.once('SIGINT', done);
      process.once('SIGTERM', done);
    }),
});

/** Runs the CLI with `argv` (without node and script); resolves to the exit code, never exits itself. */
export const main = async (argv: string[], io: Io = processIo()): Promise<number> => {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    const topic = command === 'help' ? rest[0] : undefined;
    io.stdout(topic && HELP[topic] ? (HELP[topic] as string) : MAIN_HELP);
    return command === undefined ? EXIT.usage : EXIT.ok;
  }
  const load = COMMANDS[command];
  if (!load) {
    io.stderr.write(`invites: unknown command "${command}"\n\n${MAIN_HELP}`);
    return EXIT.usage;
  }
  try {
    const code = await (await load())(rest, io);
    if (code === -1) {
      io.stdout(HELP[command] as string);
      return EXIT.ok;
    }
    return code;
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr.write(`invites ${command}: ${error.message}\nRun 'invites ${command} --help' for usage.\n`);
      return EXIT.usage;
    }
    const message = error instanceof Error ? error.message : String(error);
    io.stderr.write(`invites ${command}: ${message}\n`);
    if (process.env.INVITES_DEBUG && error instanceof Error) io.stderr.write(`${error.stack}\n`);
    return EXIT.failed;
  }
};
