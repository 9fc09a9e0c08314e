// Entry of the `invites` CLI: dispatches to a command, turns errors into a message and an exit code.
import { EXIT, HELP, MAIN_HELP, UsageError } from './args.ts';
import { reportCommand, sendCommand, statusCommand } from './cloud.ts';
import { type Io, localCommand } from './local.ts';

const COMMANDS: Record<string, (args: string[], io: Io) => Promise<number>> = {
  local: localCommand,
  send: sendCommand,
  status: statusCommand,
  report: reportCommand,
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
  const run = COMMANDS[command];
  if (!run) {
    io.stderr.write(`invites: unknown command "${command}"\n\n${MAIN_HELP}`);
    return EXIT.usage;
  }
  try {
    const code = await run(rest, io);
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
