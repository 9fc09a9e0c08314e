// Runs one campaign end to end on the local stack: emulators + stand-in, the stack's resources from
// infra/definitions.ts, the real handlers wired as in AWS (local/stack.ts), the upload, then the report and
// the ground truth read back from the fake world (local/results.ts).
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import type { SESv2Client } from '@aws-sdk/client-sesv2';
import { createTrackerHandler, type TrackerHandler } from '#functions/tracker/app.ts';
import { TRACKER_SCHEDULE, UPLOADS } from '#infra/definitions.ts';
import { type AwsClients, makeAwsClients, sesInboxUrl } from '#local/aws.ts';
import { type EmulatorEndpoints, startEmulators } from '#local/emulators.ts';
import { sesThrottlingError } from '#local/runtime/faults.ts';
import {
  type CrashPolicy,
  type CrashRecord,
  crashableObject,
  installCrashPoints,
  seededRandom,
} from '#local/runtime/lambda.ts';
import { createLocalResources, type LocalResources } from '#local/runtime/resources.ts';
import type { S3DeliveryReport } from '#local/runtime/s3-bridge.ts';
import {
  DEMO_PROJECT_ID,
  parseFaultSpec,
  type Standin,
  type StandinFaults,
  startStandin,
} from '#local/standin/server.ts';
import { AseedClient } from '#shared/aseed/client.ts';
import { requestCancel } from '#shared/campaign/cancel.ts';
import { journeyOf } from '#shared/events/journey.ts';
import { sqsInviteQueue } from '#shared/ingest/aws.ts';
import { isTerminalState } from '#shared/invite/respondent.ts';
import { silentLogger } from '#shared/log.ts';
import { Mailer } from '#shared/mail/mailer.ts';
import { AccountQuota, sesQuotaSource } from '#shared/mail/quota.ts';
import { type OptOutConfig, optOutUrl } from '#shared/optout/link.ts';
import { createDynamoStore } from '#shared/store/dynamo/index.ts';
import { campaignIdFor } from '#shared/store/keys.ts';
import type { Store } from '#shared/store/ports.ts';
import type { TrackerDeps } from '#shared/tracker/poll.ts';
import type { LocalDeploymentInfo } from './deployment-info.ts';
import { serveOptOut } from './opt-out.ts';
import { baselineOf, collectResults, problemsOf } from './results.ts';
import {
  type InvocationSummary,
  LOCAL_SENDER,
  type LocalCampaignOptions,
  type LocalCampaignResult,
  type LocalProgress,
} from './run-types.ts';
import { type LocalStack, type LocalStackWiring, wireLocalStack } from './stack.ts';
import { passDays, planVisits, type SimClock, simClock } from './time.ts';

export * from './run-types.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Steps that undo what a run started, run last-first, each best effort. */
export type Cleanups = Array<() => Promise<void> | void>;

/** Runs the cleanups, last first; one failing does not stop the others. */
export const runCleanups = async (cleanups: Cleanups) => {
  for (const step of cleanups.splice(0).reverse()) {
    try {
      await step();
    } catch {
      // best effort: the next step must still run
    }
  }
};

/** Reads the CSV option into a name and bytes. */
const loadCsv = async (csv: LocalCampaignOptions['csv']): Promise<{ name: string; body: Uint8Array }> => {
  if (typeof csv === 'string') return { name: basename(csv), body: await readFile(csv) };
  return { name: csv.name, body: typeof csv.body === 'string' ? Buffer.from(csv.body, 'utf8') : csv.body };
};

/** Reads the settings option into the text uploaded beside the CSV. */
const loadSettings = async (settings: LocalCampaignOptions['settings']): Promise<string | undefined> => {
  if (settings === undefined) return undefined;
  if ('path' in settings && typeof settings.path === 'string') return readFile(settings.path, 'utf8');
  if ('text' in settings && typeof settings.text === 'string') return settings.text;
  return JSON.stringify(settings);
};

/** An S3 key under the upload prefix for a file name (safe characters only). */
const uploadKey = (name: string): string => {
  const stem = name.replace(/\.csv$/i, '').replace(/[^A-Za-z0-9._-]+/g, '-') || 'respondents';
  return `${UPLOADS.prefix}${stem}${UPLOADS.csvSuffix}`;
};

/**
 * The local invite timeout (= visibility timeout) for a file: 5 s for a handful of rows, growing with the
 * respondents one invocation may hold (10 messages × 100), so a busy machine does not time out big batches,
 * capped at 60 s. Deployed values are minutes; locally every retry waits this long.
 */
export const defaultVisibilitySeconds = (csv: Uint8Array): number => {
  let rows = 0;
  for (const byte of csv) if (byte === 0x0a) rows++;
  const perInvocation = Math.min(rows, 10 * 100);
  return Math.min(60, 5 + Math.ceil(perInvocation / 40));
};

/** Derives independent PRNG seeds from the run seed. */
const subSeed = (seed: number, salt: number): number =>
  (Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ salt) >>> 0;

/** Counts SES calls (every call our code makes) and throttles a share of the send calls, via middleware. */
const instrumentSes = (ses: SESv2Client, throttle: number, random: () => number) => {
  const counts = { calls: 0, throttled: 0 };
  ses.middlewareStack.add(
    (next, context) => async (args) => {
      counts.calls += 1;
      const name = context.commandName ?? '';
      if (throttle > 0 && (name === 'SendBulkEmailCommand' || name === 'SendEmailCommand')) {
        if (random() < throttle) {
          counts.throttled += 1;
          throw sesThrottlingError();
        }
      }
      return next(args);
    },
    { step: 'initialize', name: 'localCampaignSesMeter' },
  );
  return counts;
};

/** The emulators (unless given) and the stand-in (unless a real API is used). */
export const startServices = async (
  options: LocalCampaignOptions,
  faults: StandinFaults,
  cleanups: Cleanups,
) => {
  let endpoints = options.emulators;
  if (!endpoints) {
    const emulators = await startEmulators({ dynamo: 'dynalite' });
    cleanups.push(() => emulators.stop());
    endpoints = emulators.endpoints;
  }
  // The stand-in's clock is the run's: simulated days after the sends move it, so its rooms expire.
  const clock = simClock();
  let standin: Standin | undefined;
  if (!options.api) {
    const started = await startStandin({
      token: `local-${randomUUID()}`,
      port: 0,
      faults,
      now: () => new Date(clock.now()),
    });
    cleanups.push(() => started.close());
    standin = started;
    options.onStandin?.(started);
  }
  const api = options.api ?? { url: (standin as Standin).baseUrl, token: (standin as Standin).token };
  return { endpoints, standin, api, clock };
};

/** What {@link startServices} started: the emulators' endpoints, the stand-in, the Aseed API, the clock. */
export type Services = Awaited<ReturnType<typeof startServices>>;

/**
 * The run's timings: the Aseed timeout, the create lock's lease just above it (a crashed holder blocks
 * creates for one lease), and the function timeout, which must fit a whole lease and one create call.
 */
const timingsOf = (options: LocalCampaignOptions, latencyMs: number, csv: Uint8Array) => {
  const timings = options.timings ?? {};
  const aseedTimeoutMs = timings.aseedTimeoutMs ?? (options.api ? 10_000 : 2000 + 2 * latencyMs);
  const lockLeaseMs = aseedTimeoutMs + 1000;
  const minVisibility = Math.ceil((lockLeaseMs + aseedTimeoutMs) / 1000);
  if (timings.visibilityTimeoutSeconds !== undefined && timings.visibilityTimeoutSeconds < minVisibility) {
    throw new Error(
      `visibility timeout ${timings.visibilityTimeoutSeconds} s is too short for an Aseed timeout of ` +
        `${aseedTimeoutMs} ms: an invocation needs at least ${minVisibility} s to take the create lock and create rooms`,
    );
  }
  const visibility =
    timings.visibilityTimeoutSeconds ?? Math.max(minVisibility, defaultVisibilitySeconds(csv));
  return { aseedTimeoutMs, lockLeaseMs, visibility, ingestLeaseMs: timings.ingestLeaseMs ?? 3000 };
};

/**
 * Clients for our own reads and setup, and one set per handler, with crash points installed in place. The
 * invite side sends with `sesClient` when given (a real account); its owner closes it.
 */
const clientsOf = (endpoints: EmulatorEndpoints, cleanups: Cleanups, sesClient?: SESv2Client) => {
  const [own, ingest, emulated] = [
    makeAwsClients(endpoints),
    makeAwsClients(endpoints),
    makeAwsClients(endpoints),
  ];
  const invite: AwsClients = sesClient ? { ...emulated, ses: sesClient } : emulated;
  cleanups.push(
    () => own.destroy(),
    () => ingest.destroy(),
    () => invite.destroy(),
  );
  for (const clients of [ingest, invite] as AwsClients[]) {
    for (const client of [clients.s3, clients.sqs, clients.dynamo, clients.ses]) installCrashPoints(client);
  }
  return { own, ingest, invite };
};

/** Everything a run has set up before its upload. */
export interface Run {
  options: LocalCampaignOptions;
  seed: number;
  clients: ReturnType<typeof clientsOf>;
  resources: LocalResources;
  aseed: AseedClient;
  defaults: Record<string, unknown>;
  timings: ReturnType<typeof timingsOf>;
  crashes: CrashRecord[];
  invocations: InvocationSummary[];
  /** The SES layer's URL (its event channel feeds the events function). */
  sesEndpoint: string;
  /** The run's clock (the stand-in's): simulated days move it for the handlers too. */
  clock: SimClock;
  /** The run's opt-out endpoint, which the invite side signs each recipient's link for. */
  optOut: OptOutConfig;
}

/** The crash policy of the run, if it injects crashes. */
const crashPolicyOf = (run: Pick<Run, 'options' | 'seed' | 'crashes'>): CrashPolicy | undefined =>
  run.options.crash && run.options.crash > 0
    ? {
        probability: run.options.crash,
        random: seededRandom(subSeed(run.seed, 3)),
        onCrash: (c) => run.crashes.push(c),
      }
    : undefined;

/** The run's own configuration set name (the local SES layer takes any; it tags the run's events with it). */
const configurationSetOf = (resources: LocalResources): string =>
  resources.tableName.replace(/[^A-Za-z0-9_-]/g, '-').slice(0, 64);

/** The invite handler's deps for a run: short local leases and timeouts, so retries take seconds. */
const inviteDepsOf = (run: Run): LocalStackWiring['invite'] => {
  const { clients, resources, timings } = run;
  const visibilityMs = timings.visibility * 1000;
  return {
    sqs: clients.invite.sqs,
    store: createDynamoStore({ doc: clients.invite.doc, tableName: resources.tableName }),
    aseed: crashableObject(run.aseed, ['createRooms', 'listRooms', 'deleteRoom', 'updateRoom']),
    mailer: new Mailer({ client: clients.invite.ses }),
    // Reminders fall due on the simulated days: the invite side reads the run's clock, as the tracker does.
    clock: run.clock.now,
    optOut: run.optOut,
    // A configuration set of the run's own: its events are the ones the run's events function gets.
    ...(run.options.sesClient ? {} : { configurationSetName: configurationSetOf(resources) }),
    // Paced at the local account's MaxSendRate (GetAccount), capped at 500/s; a pause looks again in 5 s.
    quota: new AccountQuota(sesQuotaSource(clients.invite.ses), { refreshMs: 5_000 }),
    sendRatePerSecond: 500,
    pauseRecheckMs: 5_000,
    lockLeaseMs: timings.lockLeaseMs,
    lockWaitMs: timings.aseedTimeoutMs + 1500,
    reconcileDelayMs: 50,
    // A real SES account answers in a network round trip, not milliseconds: the deployed leases then.
    ...(run.options.sesClient
      ? {}
      : {
          // No SES call starts this close to the (short, local) function timeout; a local send takes ms.
          sendSafetyMs: Math.min(1000, visibilityMs / 4),
          // Longer than one local SES call, the claims' lead on it (≤ ¼ lease) and the writes after it, with
          // room for a throttled call's repeats in the first half; well inside the visibility timeout, so a
          // redelivered batch is not turned away by the lease of the attempt that failed before it.
          sendLeaseMs: Math.min(4000, visibilityMs / 4),
        }),
    ...(run.options.logger ? { logger: run.options.logger } : {}),
  };
};

/** The real handlers wired to this run's services, with its local timings and faults. */
export const wire = (run: Run): LocalStack => {
  const { clients, resources, timings, options } = run;
  const crash = crashPolicyOf(run);
  const chaos = options.chaos ?? {};
  const visibilityMs = timings.visibility * 1000;
  const logger = options.logger ? { logger: options.logger } : {};
  return wireLocalStack({
    resources,
    ingest: {
      s3: clients.ingest.s3,
      sqs: clients.ingest.sqs,
      store: createDynamoStore({ doc: clients.ingest.doc, tableName: resources.tableName }),
      campaignDefaults: run.defaults,
      price: { tokensPer30Min: async () => (await run.aseed.getConfig()).tokens_per_30_min },
      leaseMs: timings.ingestLeaseMs,
      ...logger,
    },
    invite: inviteDepsOf(run),
    ...(run.options.sesClient
      ? {}
      : {
          sesEvents: {
            endpoint: run.sesEndpoint,
            configurationSet: configurationSetOf(resources),
            deps: {
              store: createDynamoStore({ doc: clients.invite.doc, tableName: resources.tableName }),
              aseed: crashableObject(run.aseed, ['deleteRoom']),
              ...logger,
            },
            ...(chaos.duplicateSesEvents ? { duplicates: chaos.duplicateSesEvents } : {}),
            ...(chaos.reverseSesEvents ? { reverse: true } : {}),
          },
        }),
    events: {
      sqs: clients.own.sqs,
      maxConcurrency: 2,
      timeoutMs: visibilityMs,
      deadLetter: true,
      s3RetryDelayMs: 100,
      duplicateS3: {
        count: chaos.duplicateS3Events ?? 0,
        mode: chaos.concurrentS3Events ? 'concurrent' : 'sequential',
      },
      ...(crash ? { crash } : {}),
      ...(chaos.duplicateSqsProbability
        ? {
            duplicateSqs: {
              probability: chaos.duplicateSqsProbability,
              random: seededRandom(subSeed(run.seed, 4)),
            },
          }
        : {}),
      onInvocation: (report) =>
        run.invocations.push({
          outcome: report.outcome.kind,
          durationMs: report.outcome.durationMs,
          messages: report.messageIds.length,
          failed: report.failedIds.length,
          duplicate: report.duplicate,
        }),
    },
  });
};

/** Uploads the settings (ingest reads them when the CSV's event arrives), then the CSV (and a re-upload). */
const upload = async (
  run: Run,
  stack: LocalStack,
  csv: { name: string; body: Uint8Array },
  settings?: string,
) => {
  const { resources } = run;
  const key = uploadKey(csv.name);
  if (settings !== undefined) {
    await run.clients.own.s3.send(
      new PutObjectCommand({
        Bucket: resources.bucketName,
        Key: `${key.slice(0, -UPLOADS.csvSuffix.length)}${UPLOADS.settingsSuffix}`,
        Body: settings,
        ContentType: 'application/json',
      }),
    );
  }
  const reports: S3DeliveryReport[] = [];
  const times = run.options.chaos?.reupload ? 2 : 1;
  for (let i = 0; i < times; i++) {
    reports.push(await stack.bridge.putObject({ Key: key, Body: csv.body, ContentType: 'text/csv' }));
  }
  const later = run.options.chaos?.laterUpload;
  if (later) reports.push(await stack.bridge.putObject({ Key: key, Body: later, ContentType: 'text/csv' }));
  const campaignId = campaignIdFor({ bucket: resources.bucketName, key });
  return { campaignId, reports };
};

/**
 * The chaos switch `cancelDuringSends`: `invites cancel` once a share of the respondents is emailed, so it
 * meets sends in flight (looked at every 50 ms; at the latest when every respondent is done).
 */
const cancelDuringSends = (run: Run, store: Store, campaignId: string): Promise<void> | undefined => {
  const cancel = run.options.chaos?.cancelDuringSends;
  if (!cancel) return undefined;
  const queue = sqsInviteQueue(run.clients.own.sqs, run.resources.queueUrl);
  return (async () => {
    for (;;) {
      const respondents = await store.listRespondents(campaignId);
      const emailed = respondents.filter((r) => r.state === 'emailed').length;
      const open = respondents.some((r) => r.state !== 'emailed' && r.state !== 'failed');
      if (emailed >= cancel.afterShare * respondents.length || (respondents.length > 0 && !open)) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await requestCancel({ store, queue }, campaignId, { revokeUnstarted: cancel.revokeUnstarted });
  })();
};

/** Reports progress from the store every 250 ms until stopped; `stop` returns the last progress seen. */
const watchProgress = (
  store: Store,
  campaignId: string,
  report: (p: Omit<LocalProgress, 'elapsedMs'>) => void,
) => {
  let watching = true;
  let last: Omit<LocalProgress, 'elapsedMs'> = {
    phase: 'inviting',
    campaignId,
    accepted: 0,
    terminal: 0,
    emailed: 0,
    failed: 0,
  };
  const loop = (async () => {
    while (watching) {
      try {
        const [record, respondents] = await Promise.all([
          store.getCampaign(campaignId),
          store.listRespondents(campaignId),
        ]);
        last = {
          phase: 'inviting',
          campaignId,
          ...(record ? { status: record.status } : {}),
          ...(record?.pause ? { pause: record.pause } : {}),
          accepted: record?.accepted ?? respondents.length,
          terminal: respondents.filter((r) => isTerminalState(r.state)).length,
          emailed: respondents.filter((r) => r.state === 'emailed').length,
          failed: respondents.filter((r) => r.state === 'failed').length,
        };
        report(last);
      } catch {
        // a progress read failing is no reason to stop the run
      }
      await sleep(250);
    }
  })();
  return async () => {
    watching = false;
    await loop;
    return last;
  };
};

/**
 * Runs one campaign on the local stack and collects its results: services started (unless given), the
 * stack's resources created, the real handlers wired, the settings and CSV uploaded, the queues drained (or
 * the deadline passed), the report and the ground truth read. Never exits the process; throws only when the
 * local stack itself cannot start.
 */
/** Keeps a finished run's stack live (local/deployment.ts `goLive`); what `.invites/local.json` says of it. */
export type GoLive = (
  run: Run,
  stack: LocalStack,
  services: Awaited<ReturnType<typeof startServices>>,
  cleanups: Cleanups,
) => Promise<LocalDeploymentInfo>;

/**
 * Runs a campaign on the local stack. With `goLive` (`invites local --serve`, given by the caller so this
 * module needs neither the console nor Vite), the stack stays live after it; `close()` stops it all.
 */
export const runLocalCampaign = async (
  options: LocalCampaignOptions,
  goLive?: GoLive,
): Promise<LocalCampaignResult> => {
  const startedMs = Date.now();
  const progress = (p: Omit<LocalProgress, 'elapsedMs'>) =>
    options.onProgress?.({ ...p, elapsedMs: Date.now() - startedMs });
  progress({ phase: 'starting', accepted: 0, terminal: 0, emailed: 0, failed: 0 });
  // Simulated respondents visit rooms through the public join endpoints, and time moves on our clock only.
  if (options.days && options.api) throw new Error('simulated days need the stand-in, not a real Aseed API');
  const seed = options.seed ?? 1;
  const csv = await loadCsv(options.csv);
  const settings = await loadSettings(options.settings);
  const faults: StandinFaults =
    typeof options.faults === 'string' ? parseFaultSpec(options.faults) : { ...options.faults };
  faults.seed ??= subSeed(seed, 1);
  const cleanups: Cleanups = [];
  try {
    const services = await startServices(options, faults, cleanups);
    const run = await prepare(options, seed, services, csv.body, faults, cleanups);
    const ses = instrumentSes(
      run.clients.invite.ses,
      options.sesFaults?.throttle ?? 0,
      seededRandom(subSeed(seed, 2)),
    );
    const stack = wire(run);
    cleanups.push(() => stack.close());
    const result = await execute(run, stack, services, { csv, settings, progress, ses, startedMs });
    if (goLive) {
      const deployment = await goLive(run, stack, services, cleanups);
      return { ...result, deployment, close: () => runCleanups(cleanups) };
    }
    const done: LocalCampaignResult = { ...result, close: () => runCleanups(cleanups) };
    if (!options.keepAlive) await runCleanups(cleanups);
    // Only the emulators and the stand-in stay up: the handlers' clients are done.
    else await stack.close();
    return done;
  } catch (error) {
    await runCleanups(cleanups);
    throw error;
  }
};

/** Clients, resources, the Aseed client and the defaults of a run. */
export const prepare = async (
  options: LocalCampaignOptions,
  seed: number,
  services: Services,
  csv: Uint8Array,
  faults: StandinFaults,
  cleanups: Cleanups,
): Promise<Run> => {
  const timings = timingsOf(options, faults.latencyMs ?? 0, csv);
  const clients = clientsOf(services.endpoints, cleanups, options.sesClient);
  const resources = await createLocalResources(clients.own, {
    prefix: options.prefix ?? `invites-${randomUUID().slice(0, 8)}`,
    overrides: {
      visibilityTimeoutSeconds: timings.visibility,
      inviteTimeoutSeconds: timings.visibility,
      ...(options.timings?.maxReceiveCount ? { maxReceiveCount: options.timings.maxReceiveCount } : {}),
    },
  });
  const aseed = new AseedClient({
    baseUrl: services.api.url,
    token: services.api.token,
    timeoutMs: timings.aseedTimeoutMs,
  });
  const defaults = options.defaults ?? {
    projectId: services.standin?.projectId ?? DEMO_PROJECT_ID,
    sender: LOCAL_SENDER,
  };
  const optOut = await serveOptOut(
    {
      store: createDynamoStore({ doc: clients.own.doc, tableName: resources.tableName }),
      aseed,
      logger: options.logger ?? silentLogger,
      clock: services.clock.now,
    },
    cleanups,
  );
  return {
    options,
    seed,
    clients,
    resources,
    aseed,
    defaults,
    timings,
    crashes: [],
    invocations: [],
    sesEndpoint: services.endpoints.ses,
    clock: services.clock,
    optOut,
  };
};

/** What {@link execute} is handed besides the run and its stack. */
interface Inputs {
  csv: { name: string; body: Uint8Array };
  settings: string | undefined;
  progress: (p: Omit<LocalProgress, 'elapsedMs'>) => void;
  /** SES calls the run made and throttled (counted by the middleware as they happen). */
  ses: { calls: number; throttled: number };
  startedMs: number;
}

/** The run itself: upload, drain both queues while watching the store, then read everything back. */
const execute = async (
  run: Run,
  stack: LocalStack,
  services: Services,
  inputs: Inputs,
): Promise<Omit<LocalCampaignResult, 'close'>> => {
  const { options, clients, resources } = run;
  const deadlineMs = options.deadlineMs ?? 120_000;
  const store = createDynamoStore({ doc: clients.own.doc, tableName: resources.tableName });
  const baseline = await baselineOf(inputs.startedMs, services.endpoints.ses, services.standin);
  const left = () => Math.max(1000, deadlineMs - (Date.now() - baseline.startedMs));
  inputs.progress({ phase: 'ingesting', accepted: 0, terminal: 0, emailed: 0, failed: 0 });
  // Lambda polls the queue while the ingest still runs; so does the local event source.
  await stack.sesEvents?.start();
  stack.poller.start();
  stack.dlqPoller?.start();
  const { campaignId, reports } = await upload(run, stack, inputs.csv, inputs.settings);
  const stopWatching = watchProgress(store, campaignId, inputs.progress);
  const cancelling = cancelDuringSends(run, store, campaignId);
  let drained = await stack.poller.drain({ idleMs: 400, timeoutMs: left() });
  if (cancelling) {
    // The cancel may come after the sends ended: its messages are carried out before anything is read.
    await cancelling;
    drained = await stack.poller.drain({ idleMs: 400, timeoutMs: left() });
  }
  // Nothing reaches the DLQ once the invite queue is drained: record what did.
  const dlqDrained = (await stack.dlqPoller?.drain({ idleMs: 400, timeoutMs: left() })) ?? { drained: true };
  // SES publishes each message's events once it has it: quiet here means every sent message's are in.
  await stack.sesEvents?.drain({ idleMs: 400, timeoutMs: left() });
  const lastProgress = await stopWatching();
  const time = options.days
    ? await letDaysPass(run, stack, services, store, campaignId, (hours, joins) =>
        inputs.progress({
          ...lastProgress,
          phase: 'simulating',
          simulated: { hours, of: (options.days ?? 0) * 24, joins },
        }),
      )
    : undefined;
  await stack.bridge.close();
  inputs.progress({ ...lastProgress, phase: 'collecting' });
  const results = await collectResults({
    store,
    campaignId,
    sesEndpoint: services.endpoints.ses,
    sharedSes: options.emulators !== undefined,
    standin: services.standin,
    aseed: run.aseed,
    defaults: run.defaults,
    baseline,
    sesCalls: inputs.ses.calls,
  });
  const problems = problemsOf({
    ...results,
    ingestFailed: reports[0]?.deliveries.every((d) => !d.succeeded) ?? true,
    drained: { invite: drained.drained, dlq: dlqDrained.drained },
    deadlineMs,
  });
  inputs.progress({
    ...lastProgress,
    phase: 'done',
    ...(results.record ? { status: results.record.status } : {}),
  });
  const result = resultOf(run, stack, services, {
    ...results,
    problems,
    campaignId,
    reports,
    ses: inputs.ses,
  });
  return time ? { ...result, time } : result;
};

/**
 * The simulated days after the sends: every respondent whose email went out and whose room still works may
 * visit the interview page (as `behaviour` says), and the tracker polls on the stand-in's clock.
 */
const letDaysPass = async (
  run: Run,
  stack: LocalStack,
  services: Services,
  store: Store,
  campaignId: string,
  onHour: (hours: number, joins: number) => void,
) => {
  const { options } = run;
  const tokens = new Map((services.standin?.rooms() ?? []).map((room) => [room.id, room.access_token]));
  const signer = { baseUrl: run.optOut.baseUrl, key: await run.optOut.key() };
  const invitees = (await store.listRespondents(campaignId)).flatMap((r) => {
    const status = journeyOf(r).status;
    const token = r.roomId && !r.roomCancelled ? tokens.get(r.roomId) : undefined;
    const optOut = optOutUrl(signer, { campaignId, batch: r.batch, seq: r.seq });
    return token && (status === 'emailed' || status === 'delivered')
      ? [{ email: r.email, accessToken: token, optOutUrl: optOut }]
      : [];
  });
  const days = options.days ?? 0;
  const visits = planVisits(
    invitees,
    options.behaviour ?? { start: 0, complete: 0 },
    { fromMs: services.clock.now(), days },
    subSeed(run.seed, 5),
  );
  const trackerDeps: TrackerDeps = {
    store,
    aseed: run.aseed,
    queue: sqsInviteQueue(run.clients.own.sqs, run.resources.queueUrl),
    clock: services.clock.now,
    ...(options.logger ? { logger: options.logger } : {}),
  };
  return passDays({
    clock: services.clock,
    days,
    tickMs: TRACKER_SCHEDULE.rateMinutes * 60_000,
    visits,
    api: run.aseed,
    campaignId,
    tracker: faultyTracker(run, { ...trackerDeps, store: dyingStore(run, store) }),
    settle: createTrackerHandler(trackerDeps),
    onHour: (hours, report) => onHour(hours, report.joins),
    ...(options.chaos?.cancel
      ? {
          cancel: {
            afterMs: options.chaos.cancel.afterMs,
            run: async () => {
              const revokeUnstarted = options.chaos?.cancel?.revokeUnstarted ?? false;
              const deps = { store, queue: trackerDeps.queue, clock: services.clock.now };
              await requestCancel(deps, campaignId, { revokeUnstarted });
            },
          },
        }
      : {}),
    // What a poll handed the invite side is sent before time moves on (as it would be within minutes), and
    // its SES events are in before the next poll. The poller keeps running between these drains.
    afterEnqueue: async () => {
      await stack.poller.drain({ idleMs: 300, timeoutMs: 120_000, keepRunning: true, fastForward: true });
      // A message that used up its receives (a cancel) reaches the dead-letter function before time goes on.
      await stack.dlqPoller?.drain({ idleMs: 300, timeoutMs: 120_000, keepRunning: true, fastForward: true });
      await stack.sesEvents?.drain({ idleMs: 300, timeoutMs: 120_000 });
    },
  });
};

/** Chaos on the tracker: a poll that dies after some writes (its lease holds the campaign), racing polls. */
const dyingStore = (run: Run, store: Store): Store => {
  const p = run.options.chaos?.trackerCrash ?? 0;
  if (p <= 0) return store;
  const random = seededRandom(subSeed(run.seed, 6));
  return {
    ...store,
    recordRoomProgress: async (args) => {
      if (random() < p) throw new Error('simulated crash of the tracker mid-poll');
      return store.recordRoomProgress(args);
    },
  };
};

/** The tracker of the simulated days: one handler, or two running at once on every tick (chaos). */
const faultyTracker = (run: Run, deps: TrackerDeps): TrackerHandler => {
  const one = createTrackerHandler(deps);
  if (!run.options.chaos?.concurrentPolls) return one;
  const other = createTrackerHandler({ ...deps, newId: () => `racer-${randomUUID()}` });
  return async () => {
    const [a, b] = await Promise.all([one(), other()]);
    return {
      results: [...a.results, ...b.results],
      polled: a.polled + b.polled,
      failed: a.failed + b.failed,
      changed: a.changed + b.changed,
    };
  };
};

/** The result of a run from what it collected. */
const resultOf = (
  run: Run,
  stack: LocalStack,
  services: Services,
  got: Awaited<ReturnType<typeof collectResults>> & {
    problems: string[];
    campaignId: string;
    reports: S3DeliveryReport[];
    ses: Inputs['ses'];
  },
): Omit<LocalCampaignResult, 'close'> => {
  const { record, reports } = got;
  const stats = stack.poller.stats();
  return {
    ok: got.problems.length === 0,
    problems: got.problems,
    campaignId: got.campaignId,
    status: record?.status,
    ...(record?.failureReason ? { failureReason: record.failureReason } : {}),
    summary: got.summary,
    report: got.rows,
    emails: got.emails,
    rooms: got.rooms,
    ...(record ? { record } : {}),
    faults: {
      api: { ...(services.standin?.stats().faultsInjected ?? {}) },
      sesThrottled: got.ses.throttled,
      crashes: run.crashes,
      duplicateSqsDeliveries: stats.duplicateDeliveries,
      s3Deliveries: reports.reduce((n, r) => n + r.deliveries.length, 0),
      reuploads: run.options.chaos?.reupload ? 1 : 0,
    },
    poller: stats,
    invocations: run.invocations,
    ingest: reports,
    inboxUrl: sesInboxUrl(services.endpoints.ses),
    endpoints: services.endpoints,
    apiUrl: services.api.url,
    deployment: deploymentInfoOf(services, run.resources),
  };
};

/** What `.invites/local.json` says about a stack on these services and resources (and its console). */
export const deploymentInfoOf = (
  services: Services,
  resources: LocalResources,
  consoleUrl?: string,
): LocalDeploymentInfo => {
  const { endpoints } = services;
  return {
    api: services.api,
    ses: { endpoint: endpoints.ses, inbox: sesInboxUrl(endpoints.ses) },
    aws: { region: endpoints.region, s3: endpoints.s3, sqs: endpoints.sqs, dynamo: endpoints.dynamo },
    bucketName: resources.bucketName,
    tableName: resources.tableName,
    inviteQueueUrl: resources.queueUrl,
    ...(consoleUrl ? { console: consoleUrl } : {}),
    pid: process.pid,
    startedAt: new Date().toISOString(),
  };
};
