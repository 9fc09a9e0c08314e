// `npm run standin` entry point: serves on 127.0.0.1, prints base URL and demo project, stops cleanly on SIGTERM.
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DEMO_PROJECT_ID } from '#local/standin/server.ts';

const CLI = join(import.meta.dirname, '..', '..', 'local', 'standin', 'cli.ts');
const children: ChildProcess[] = [];

const run = (args: string[]) => {
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const printed = async (pattern: RegExp): Promise<RegExpMatchArray> => {
    for (let waited = 0; waited < 20_000; waited += 50) {
      const match = output.match(pattern);
      if (match) return match;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`CLI did not print ${pattern}; output so far:\n${output}`);
  };
  return { child, exited, printed, output: () => output };
};

afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
});

describe('standin CLI', () => {
  it('serves with the given token, prints base URL and demo project id, exits 0 on SIGTERM', async () => {
    // Prepare
    const cli = run([
      '--port',
      '0',
      '--token',
      'cli-token',
      '--balance',
      '500',
      '--faults',
      'latency=1',
      '--seed',
      '3',
    ]);
    const [, baseUrl] = await cli.printed(/base URL:\s+(http:\/\/127\.0\.0\.1:\d+)/);

    // Act
    const config = await fetch(`${baseUrl}/api/interviews/config`, {
      headers: { authorization: 'Bearer cli-token' },
    });
    const denied = await fetch(`${baseUrl}/api/interviews/config`, {
      headers: { authorization: 'Bearer dev-token' },
    });
    cli.child.kill('SIGTERM');
    const code = await cli.exited;

    // Assert
    expect(cli.output()).toContain(DEMO_PROJECT_ID);
    expect(cli.output()).toContain('token balance:   500');
    expect(config.status).toBe(200);
    expect(denied.status).toBe(401);
    expect(code).toBe(0);
  });

  it('rejects a bad fault spec with exit code 2 and the usage text', async () => {
    // Prepare / Act
    const cli = run(['--port', '0', '--faults', 'teapot=1']);
    const code = await cli.exited;

    // Assert
    expect(code).toBe(2);
    expect(cli.output()).toContain('Unknown fault "teapot"');
    expect(cli.output()).toContain('Usage: npm run standin');
  });
});
