/**
 * One end-to-end campaign through the local runtime: the real handlers wired as in AWS (local/stack.ts:
 * the S3 → ingest bridge, the SQS poller with Lambda's semantics), against the
 * emulators and the stand-in (behind the latency proxy). Timed from the upload to the campaign's completion.
 */
import { SESv2Client } from '@aws-sdk/client-sesv2';
import { FUNCTIONS, INVITE_CONCURRENCY, UPLOADS } from '#infra/definitions.ts';
import { makeAwsClients } from '#local/aws.ts';
import type { EmulatorEndpoints } from '#local/emulators.ts';
import { type CrashPolicy, crashableClient, crashableObject } from '#local/runtime/lambda.ts';
import { createLocalResources } from '#local/runtime/resources.ts';
import type { SesAccountSettings } from '#local/ses/account.ts';
import { type StrictSes, startStrictSes } from '#local/ses/server.ts';
import { wireLocalStack } from '#local/stack.ts';
import { AseedClient } from '#shared/aseed/client.ts';
import { Mailer } from '#shared/mail/mailer.ts';
import { AccountQuota, sesQuotaSource } from '#shared/mail/quota.ts';
import { createDynamoStore } from '#shared/store/dynamo/index.ts';
import { csvText } from './generate-csv.ts';
import { type AcceptedSend, achievedRate, meterSes, type SesMeterStats } from './ses-meter.ts';

/** The Aseed side of a run: the proxy's URL plus what the stand-in accepts. */
export interface AseedTarget {
  baseUrl: string;
  token: string;
  projectId: string;
}

/** Options of {@link runPipeline}. */
export interface PipelineRunOptions {
  endpoints: EmulatorEndpoints;
  aseed: AseedTarget;
  respondents: number;
  /** SES_SEND_RATE of the run (the optional cap); the event source's concurrency is sized from it. */
  sesRate: number;
  /**
   * Play this SES account: a strict layer of the run's own in front of the emulator enforces its MaxSendRate
   * (429) and quota, and the invite side reads it with GetAccount (refreshed every 5 s), paces at its rate
   * and waits out a used-up quota (looking again every 5 s). Unset: the shared layer's roomy account, paced
   * at `sesRate` alone.
   */
  account?: Partial<SesAccountSettings>;
  /** Unique per run. */
  prefix: string;
  /** Give up after this long (the result then says `completed: false`). */
  timeoutMs?: number;
  /** Messages per invite invocation; default the stack's (infra/definitions.ts). */
  batchSize?: number;
}

/** What a run measured. */
export interface PipelineRunResult {
  respondents: number;
  /** performance.now() at the upload: `sends[].at` and `ms` count from here. */
  startedAt: number;
  ms: number;
  completed: boolean;
  status: string | undefined;
  emailed: number;
  failed: number;
  createCalls: number;
  ses: SesMeterStats;
  sends: AcceptedSend[];
  achievedRate: number | undefined;
  concurrency: number;
  invocations: number;
  batchFailures: number;
  /** DynamoDB requests per operation (BatchWriteItem, PutItem, UpdateItem, Query…), both functions. */
  dynamoCalls: Record<string, number>;
  /** Messages per invite invocation used. */
  batchSize: number;
  /** Invite containers (handler instances) the run needed. */
  containers: number;
  /** The per-project create lock: how often it was taken, refused, and how long it was held in total. */
  createLock: { acquired: number; refused: number; heldMs: number };
  /** Pauses the campaign record showed: kind, and ms after the upload when first and last seen. */
  pauses: Array<{ kind: string; firstSeenMs: number; lastSeenMs: number }>;
}

/** How often a run that plays an account reads it again, and looks again after a pause (ms). */
const ACCOUNT_REFRESH_MS = 5000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The event source's maximum concurrency for a send rate, as infra computes it. */
export const inviteConcurrency = (sesRate: number): number =>
  Math.min(
    INVITE_CONCURRENCY.max,
    Math.max(INVITE_CONCURRENCY.min, Math.ceil(sesRate / INVITE_CONCURRENCY.emailsPerSecondPerInvocation)),
  );

/** Runs one campaign of `respondents` generated respondents end to end. */
export const runPipeline = async (options: PipelineRunOptions): Promise<PipelineRunResult> => {
  // Counted on the client (a create is sent exactly once): the stand-in's counter also sees other runs.
  let createCalls = 0;
  const countCreates = (client: AseedClient): AseedClient =>
    new Proxy(client, {
      get(target, property, receiver) {
        const value = Reflect.get(target, property, receiver);
        if (property !== 'createRooms' || typeof value !== 'function') return value;
        return (...args: unknown[]) => {
          createCalls++;
          return value.apply(target, args);
        };
      },
    });
  const clients = makeAwsClients(options.endpoints, { requestTimeout: 30_000 });
  const layer: StrictSes | undefined = options.account
    ? await startStrictSes({ upstream: options.endpoints.ses, account: options.account })
    : undefined;
  const sesClient = new SESv2Client({
    endpoint: layer?.url ?? options.endpoints.ses,
    region: options.endpoints.region,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    requestHandler: { requestTimeout: 30_000, connectionTimeout: 2000 },
    // As the deployed function's client (functions/invite/deps.ts).
    maxAttempts: 2,
  });
  const meter = meterSes(sesClient);
  // Failed batches come back after the visibility timeout: the function timeout (the least the poller
  // accepts), not the deployed 6 × that.
  const resources = await createLocalResources(clients, {
    prefix: options.prefix,
    overrides: { visibilityTimeoutSeconds: FUNCTIONS.invite.timeoutSeconds },
  });
  const dynamoCalls: Record<string, number> = {};
  clients.dynamo.middlewareStack.add(
    (next, context) => (args) => {
      const name = context.commandName ?? 'unknown';
      dynamoCalls[name] = (dynamoCalls[name] ?? 0) + 1;
      return next(args);
    },
    { step: 'initialize', name: 'benchCountCalls' },
  );
  // Off until a time-boxed run is cut off; then every AWS or Aseed call of a running invite invocation
  // kills it, as a Lambda timeout would, so the run ends without finishing its paced sends.
  const cutoff: CrashPolicy = { probability: 0, mode: 'per-call' };
  const store = createDynamoStore({ doc: clients.doc, tableName: resources.tableName });
  const inviteStore = createDynamoStore({
    doc: crashableClient(clients.doc),
    tableName: resources.tableName,
  });
  // Creates are serialised per project: how long the lock is held bounds how fast batches can get rooms.
  const createLock = { acquired: 0, refused: 0, heldMs: 0 };
  const heldSince = new Map<string, number>();
  const acquire = inviteStore.acquireCreateLock.bind(inviteStore);
  inviteStore.acquireCreateLock = async (args) => {
    const result = await acquire(args);
    if (result.acquired) {
      createLock.acquired++;
      heldSince.set(args.owner, performance.now());
    } else createLock.refused++;
    return result;
  };
  const release = inviteStore.releaseCreateLock.bind(inviteStore);
  inviteStore.releaseCreateLock = async (args) => {
    await release(args);
    const since = heldSince.get(args.owner);
    if (since !== undefined) createLock.heldMs += performance.now() - since;
    heldSince.delete(args.owner);
  };
  const batchSize = options.batchSize ?? resources.definitions.inviteQueue.batchSize;
  const concurrency = inviteConcurrency(options.sesRate);

  let batchFailures = 0;
  const stack = wireLocalStack({
    resources,
    ingest: {
      s3: clients.s3,
      sqs: clients.sqs,
      store,
      campaignDefaults: {
        projectId: options.aseed.projectId,
        sender: 'Research Team <research@bench.example.com>',
      },
    },
    invite: {
      sqs: clients.sqs,
      store: inviteStore,
      aseed: crashableObject(
        countCreates(new AseedClient({ baseUrl: options.aseed.baseUrl, token: options.aseed.token })),
      ),
      mailer: new Mailer({ client: crashableClient(meter.client) }),
      // As deps.ts: the cap, and the account's own rate and quota when the run plays one.
      sendRatePerSecond: options.sesRate,
      ...(layer
        ? {
            quota: new AccountQuota(sesQuotaSource(meter.client), { refreshMs: ACCOUNT_REFRESH_MS }),
            pauseRecheckMs: ACCOUNT_REFRESH_MS,
          }
        : {}),
    },
    events: {
      sqs: clients.sqs,
      batchSize,
      maxConcurrency: concurrency,
      timeoutMs: FUNCTIONS.invite.timeoutSeconds * 1000,
      crash: cutoff,
      onInvocation: (report) => {
        if (report.failedIds.length > 0) batchFailures++;
      },
    },
  });
  const { bridge, poller } = stack;

  const csv = csvText({ rows: options.respondents, domain: `${options.prefix}.example.com` });
  const started = performance.now();
  // Lambda polls the queue while the ingest still runs: so does the local event source.
  poller.start();
  const report = await bridge.putObject({ Key: `${UPLOADS.prefix}${options.prefix}.csv`, Body: csv });
  const campaignId = (
    report.deliveries[0]?.attempts.at(-1) as { result?: Array<{ campaignId: string }> } | undefined
  )?.result?.[0]?.campaignId;
  let record = campaignId ? await store.getCampaign(campaignId) : undefined;
  const deadline = Date.now() + (options.timeoutMs ?? 10 * 60_000);
  const pauses: PipelineRunResult['pauses'] = [];
  while (record && record.status !== 'completed' && record.status !== 'failed' && Date.now() < deadline) {
    await sleep(50);
    record = await store.getCampaign(record.campaignId);
    if (record?.pause) notePause(pauses, record.pause, Math.round(performance.now() - started));
  }
  const ms = performance.now() - started;
  const sends = meter.accepted();
  const sesStats = meter.stats();
  // Cut off: fail the remaining sends so paced invocations end now instead of finishing the campaign.
  if (record?.status !== 'completed') {
    meter.close();
    cutoff.probability = 1;
  }
  await stack.close();
  const stats = poller.stats();
  if (process.env.BENCH_DEBUG) console.error(JSON.stringify(stats));
  clients.destroy();
  sesClient.destroy();
  await layer?.stop();
  return {
    respondents: options.respondents,
    startedAt: started,
    ms: Math.round(ms),
    completed: record?.status === 'completed',
    status: record?.status,
    emailed: record?.emailed ?? 0,
    failed: record?.failed ?? 0,
    createCalls,
    ses: sesStats,
    sends,
    achievedRate: achievedRate(sends),
    concurrency,
    invocations: stats.invocations,
    batchFailures,
    dynamoCalls,
    batchSize,
    containers: stack.containers(),
    createLock: { ...createLock, heldMs: Math.round(createLock.heldMs) },
    pauses,
  };
};

/** Adds a pause seen at `atMs` to the list: a new entry when the record's pause is a new one. */
const notePause = (
  pauses: PipelineRunResult['pauses'],
  pause: { kind: string; at: number },
  atMs: number,
): void => {
  const last = pauses.at(-1);
  // The record keeps its pause until a batch clears it; a new pause after a clear gets a new entry.
  if (last && last.kind === pause.kind && atMs - last.lastSeenMs < 2 * ACCOUNT_REFRESH_MS)
    last.lastSeenMs = atMs;
  else pauses.push({ kind: pause.kind, firstSeenMs: atMs, lastSeenMs: atMs });
};
