/**
 * The local emulators (fauxqs S3 + SQS, dynalite, the SES emulator) in a process of their own. In AWS these
 * services run on other machines; in one process with the pipeline they would take its CPU, and the
 * end-to-end figures would measure the emulators as much as the pipeline (the naive baseline runs in its
 * own process for the same reason).
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { type EmulatorEndpoints, startEmulators } from '#local/emulators.ts';

/** Emulators running in a child process, reached over their endpoints. */
export interface ChildEmulators {
  endpoints: EmulatorEndpoints;
  stop(): Promise<void>;
}

/** Starts the emulators in a child Node process and resolves with their endpoints once they answer. */
export const startEmulatorsInChild = (timeoutMs = 60_000): Promise<ChildEmulators> =>
  new Promise((resolve, reject) => {
    const proc = spawn(
      process.execPath,
      ['--no-warnings', '--import', 'tsx', import.meta.filename, 'serve'],
      {
        stdio: ['pipe', 'pipe', 'inherit'],
      },
    );
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`emulators did not start within ${timeoutMs} ms`));
    }, timeoutMs);
    proc.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`emulator process exited with code ${code} before it was ready`));
    });
    const lines = createInterface({ input: proc.stdout });
    lines.once('line', (line) => {
      clearTimeout(timer);
      const endpoints = JSON.parse(line) as EmulatorEndpoints;
      resolve({
        endpoints,
        // Closing stdin tells the child to stop its emulators and exit.
        stop: () =>
          new Promise<void>((done) => {
            if (proc.exitCode !== null) return done();
            proc.removeAllListeners('exit');
            proc.once('exit', () => done());
            proc.stdin.end();
            setTimeout(() => proc.kill('SIGKILL'), 10_000).unref();
          }),
      });
    });
  });

if (process.argv[1] && import.meta.filename === process.argv[1] && process.argv[2] === 'serve') {
  const emulators = await startEmulators({ dynamo: 'dynalite' });
  process.stdout.write(`${JSON.stringify(emulators.endpoints)}\n`);
  process.stdin.resume();
  process.stdin.once('end', async () => {
    await emulators.stop();
    process.exit(0);
  });
}
