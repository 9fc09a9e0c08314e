// Running the `invites` CLI in tests: as a user does (a child process through the bin launcher), or in this
// process with captured streams.
import { spawn } from 'node:child_process';
import { join, resolve } from 'node:path';
import type { Io } from '#cli/local.ts';

/** The repository root (the CLI runs from there). */
export const ROOT = resolve(import.meta.dirname, '../..');
const LAUNCHER = join(ROOT, 'cli', 'invites.mjs');

/** What a run of the CLI printed, and its exit code (null when it was killed). */
export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `invites <args>` like a user would (node + the bin launcher), from the repository root or `cwd`. */
export const spawnInvites = (
  args: string[],
  options: { env?: NodeJS.ProcessEnv; timeoutMs?: number; cwd?: string } = {},
): Promise<CliRun> =>
  new Promise((done, reject) => {
    const child = spawn(process.execPath, [LAUNCHER, ...args], {
      cwd: options.cwd ?? ROOT,
      env: options.env ?? { ...process.env, NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      done({ code, stdout, stderr });
    });
  });

/** An Io that keeps what is written (never interrupted), for running `main` in this process. */
export const capturingIo = (): { io: Io; output: () => { stdout: string; stderr: string } } => {
  let stdout = '';
  let stderr = '';
  const io: Io = {
    stdout: (text) => {
      stdout += text;
    },
    stderr: {
      isTTY: false,
      write: (text: string) => {
        stderr += text;
        return true;
      },
    } as unknown as NodeJS.WriteStream,
    interrupted: () => new Promise(() => {}),
  };
  return { io, output: () => ({ stdout, stderr }) };
};

/** Starts a long-running `invites <args>` (e.g. `up`) in `cwd`; `stop` sends SIGTERM and waits for its exit. */
export const startInvites = (args: string[], cwd: string) => {
  const child = spawn(process.execPath, [LAUNCHER, ...args], {
    cwd,
    env: { ...process.env, NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise<number | null>((done) => child.once('close', done));
  return {
    output: () => ({ stdout, stderr }),
    stop: async (): Promise<CliRun> => {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      const code = await exited;
      clearTimeout(timer);
      return { code, stdout, stderr };
    },
  };
};
