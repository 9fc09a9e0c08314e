import { Logger } from '@aws-lambda-powertools/logger';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runLocalCampaign } from '#local/campaign.ts';
import { type Standin, startStandin } from '#local/standin/server.ts';
import { maskEmail } from '#shared/log.ts';
import { emulatorEndpoints, uniqueName } from '#test/support/aws.ts';

// The handlers' real Powertools Logger writes JSON lines to process.stdout/stderr through its own Console:
// everything written there (and to the global console) while a campaign runs is captured and searched.

/** Captures what is written to stdout, stderr and the console while `act` runs (and keeps it off the terminal). */
const captureOutput = async (act: () => Promise<unknown>): Promise<string> => {
  const chunks: string[] = [];
  const streams = [process.stdout, process.stderr] as const;
  const originals = streams.map((stream) => stream.write);
  const methods = ['log', 'info', 'warn', 'error', 'debug', 'trace'] as const;
  const consoleOriginals = methods.map((m) => console[m]);
  for (const stream of streams) {
    stream.write = ((chunk: unknown, ...rest: unknown[]) => {
      chunks.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8'));
      const callback = rest.find((r) => typeof r === 'function') as (() => void) | undefined;
      callback?.();
      return true;
    }) as typeof stream.write;
  }
  for (const m of methods) console[m] = (...args: unknown[]) => chunks.push(args.map(String).join(' '));
  try {
    await act();
  } finally {
    streams.forEach((stream, i) => {
      stream.write = originals[i] as typeof stream.write;
    });
    methods.forEach((m, i) => {
      console[m] = consoleOriginals[i] as (typeof console)[typeof m];
    });
  }
  return chunks.join('');
};

const TOKEN = `aseed-secret-${uniqueName('tok')}`;

describe('logs of a campaign run through the real handlers', () => {
  let standin: Standin;
  let domain: string;
  let addresses: string[];
  let output: string;

  beforeAll(async () => {
    // Prepare: a stand-in accepting only our known token, with faults so error paths log too; known addresses.
    standin = await startStandin({
      token: TOKEN,
      port: 0,
      faults: { p429: 0.25, p500: 0.15, pDrop: 0.2, seed: 11 },
    });
    domain = `${uniqueName('logs')}.example.com`;
    addresses = [
      `anna.karenina@${domain}`,
      `boris.godunov@${domain}`,
      `chloe.secret@${domain}`,
      ...Array.from({ length: 27 }, (_, i) => `person${i}.private@${domain}`),
    ];
    const rows = addresses.map((a, i) => `${a},Person ${i},${i % 2 ? 'ru' : 'en'}`);
    const csv = [
      'email,name,language',
      ...rows,
      `ANNA.KARENINA@${domain.toUpperCase()},Anna again,en`,
      `broken@@${domain},Broken,en`,
      `,No address,en`,
    ].join('\n');
    const logger = new Logger({ serviceName: 'invites-log-test', logLevel: 'DEBUG' });

    // Act
    output = await captureOutput(() =>
      runLocalCampaign({
        csv: { name: 'logs.csv', body: csv },
        emulators: emulatorEndpoints(),
        api: { url: standin.baseUrl, token: TOKEN },
        logger,
        sesFaults: { throttle: 0.35 },
        crash: 0.15,
        seed: 5,
        chaos: { duplicateS3Events: 1, reupload: true, duplicateSqsProbability: 0.2 },
        timings: { visibilityTimeoutSeconds: 10, aseedTimeoutMs: 2000 },
      }),
    );
  }, 180_000);

  afterAll(() => standin?.close());

  it('wrote structured logs for the run', () => {
    // Assert
    const lines = output.split('\n').filter((line) => line.startsWith('{'));
    expect(lines.length).toBeGreaterThan(5);
    expect(lines.some((line) => JSON.parse(line).service === 'invites-log-test')).toBe(true);
  });

  it('logged the failures it recovered from, with their messages (no field dropped by the logger)', () => {
    // Assert
    const lines = output
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    const warnings = lines.filter((line) => line.level === 'WARN' || line.level === 'ERROR');
    expect(warnings.length).toBeGreaterThan(0);
    expect(warnings.filter((line) => String(line.message).includes('reserved key'))).toEqual([]);
    expect(warnings.some((line) => typeof line.errorMessage === 'string')).toBe(true);
  });

  it('never contains the API token', () => {
    // Assert
    expect(output).not.toContain(TOKEN);
    expect(output).not.toContain(TOKEN.slice(0, 24));
  });

  it('never contains a full email address, in any case, while masked ones appear', () => {
    // Assert
    const lower = output.toLowerCase();
    for (const address of [...addresses, `broken@@${domain}`]) expect(lower).not.toContain(address);
    expect(lower).not.toContain(`.private@${domain}`);
    const masked = addresses.map(maskEmail).filter((m) => output.includes(m));
    expect(masked.length).toBeGreaterThan(0);
  });
});
