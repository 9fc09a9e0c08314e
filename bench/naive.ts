/**
 * The naive baseline the pipeline is measured against: one sequential loop that, per respondent, creates
 * one room (count = 1) and sends one SES v2 SendEmail with simple content. Same CSV parser, same Aseed
 * client, same stand-in (behind the same latency proxy) and the same SES emulator as the pipeline run.
 */

import { type SESv2Client, SendEmailCommand } from '@aws-sdk/client-sesv2';
import { makeSesClient } from '#local/aws.ts';
import { startEmulators } from '#local/emulators.ts';
import { startStandin } from '#local/standin/server.ts';
import { AseedClient } from '#shared/aseed/client.ts';
import type { CsvInput } from '#shared/csv/encoding.ts';
import { parseRespondents } from '#shared/csv/parse.ts';
import { runJsonChild } from './child.ts';
import { csvText } from './generate-csv.ts';
import { type RouteLatency, startLatencyProxy } from './latency-proxy.ts';

/** Inputs of {@link runNaive}. */
export interface NaiveOptions {
  /** The respondent CSV. */
  csv: CsvInput;
  aseed: { baseUrl: string; token: string; projectId: string };
  ses: SESv2Client;
  from: string;
  /** Stop after this many respondents (to time a sample). */
  limit?: number;
  /** Called after each respondent, e.g. for progress. */
  onRespondent?: (done: number) => void;
}

/** What the naive run did. */
export interface NaiveResult {
  respondents: number;
  ms: number;
  createCalls: number;
  sesCalls: number;
  failures: number;
}

const escapeHtml = (value: string) => value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** Runs the naive baseline to completion. */
export const runNaive = async (options: NaiveOptions): Promise<NaiveResult> => {
  const started = performance.now();
  const aseed = new AseedClient({ baseUrl: options.aseed.baseUrl, token: options.aseed.token });
  const result: NaiveResult = { respondents: 0, ms: 0, createCalls: 0, sesCalls: 0, failures: 0 };
  for await (const row of parseRespondents(options.csv)) {
    if (row.kind !== 'accepted') continue;
    if (options.limit !== undefined && result.respondents >= options.limit) break;
    const { email, name } = row.respondent;
    try {
      result.createCalls++;
      const [room] = await aseed.createRooms({
        project_id: options.aseed.projectId,
        count: 1,
        max_duration_minutes: 30,
        expires_in_days: 7,
      });
      if (!room) throw new Error('no room returned');
      const greeting = name ? `Hello ${name},` : 'Hello,';
      result.sesCalls++;
      await options.ses.send(
        new SendEmailCommand({
          FromEmailAddress: options.from,
          Destination: { ToAddresses: [email] },
          Content: {
            Simple: {
              Subject: { Data: 'Invitation to a short voice interview' },
              Body: {
                Text: { Data: `${greeting}\n\nJoin your interview: ${room.url}\n` },
                Html: {
                  Data: `<p>${escapeHtml(greeting)}</p><p><a href="${escapeHtml(room.url)}">Join your interview</a></p>`,
                },
              },
            },
          },
        }),
      );
    } catch {
      result.failures++;
    }
    result.respondents++;
    options.onRespondent?.(result.respondents);
  }
  result.ms = performance.now() - started;
  return result;
};

/** Settings of a naive run in its own process (see {@link runNaiveInChild}). */
export interface NaiveChildArgs {
  respondents: number;
  latency: RouteLatency;
}

/**
 * Runs the naive baseline in a fresh process with its own SES emulator and stand-in (same code, same
 * latency proxy settings): a CPU-busy benchmark process would otherwise delay its timers and sockets and
 * bill the pipeline's CPU to the naive loop.
 */
export const runNaiveInChild = (args: NaiveChildArgs, timeoutMs = 60 * 60_000): Promise<NaiveResult> =>
  runJsonChild<NaiveResult>(['--import', 'tsx', import.meta.filename, JSON.stringify(args)], {
    label: 'naive child',
    timeoutMs,
  });

const childMain = async (args: NaiveChildArgs) => {
  const emulators = await startEmulators({ dynamo: 'dynalite' });
  const standin = await startStandin({ token: 'bench-token', tokenBalance: 1_000_000_000 });
  const proxy = await startLatencyProxy(standin.baseUrl, args.latency);
  const ses = makeSesClient(emulators.endpoints.ses, emulators.endpoints.region, { requestTimeout: 30_000 });
  try {
    const result = await runNaive({
      csv: [csvText({ rows: args.respondents, domain: 'naive.bench.example.com' })],
      aseed: { baseUrl: proxy.baseUrl, token: standin.token, projectId: standin.projectId },
      ses,
      from: 'Research Team <research@bench.example.com>',
    });
    process.stdout.write(`${JSON.stringify(result)}\n`);
  } finally {
    ses.destroy();
    await proxy.close();
    await standin.close();
    await emulators.stop();
  }
};

if (process.argv[1] && import.meta.filename === process.argv[1]) {
  await childMain(JSON.parse(process.argv[2] ?? '{}') as NaiveChildArgs);
}
