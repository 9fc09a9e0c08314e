import { spawn } from 'node:child_process';

/**
 * Runs `node <args>` and resolves with the JSON of the last line it prints on stdout; rejects with the tail
 * of its stderr when it exits non-zero, prints no JSON, or outlives `timeoutMs` (then it is killed).
 * `onStderr` gets the whole stderr tail at exit (e.g. to pass diagnostics on).
 */
export const runJsonChild = <T>(
  args: readonly string[],
  options: { label: string; timeoutMs: number; onStderr?: (stderr: string) => void },
): Promise<T> =>
  new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, ['--no-warnings', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    proc.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    proc.stderr.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-4000);
    });
    const timer = setTimeout(() => proc.kill('SIGKILL'), options.timeoutMs);
    proc.on('close', (code) => {
      clearTimeout(timer);
      options.onStderr?.(stderr);
      try {
        if (code !== 0) throw new Error(`exit code ${code}`);
        resolve(JSON.parse(stdout.trim().split('\n').pop() ?? '') as T);
      } catch (error) {
        reject(new Error(`${options.label} failed: ${(error as Error).message}\n${stderr}`));
      }
    });
  });
