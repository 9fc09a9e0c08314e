// Runs one campaign end to end on the local stack: emulators + stand-in, the stack's resources from
// infra/definitions.ts, the real ingest and invite handlers behind the S3 bridge and the SQS poller, and the
// ground truth read back from the fake world (SES emulator messages, stand-in rooms).
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import type { SESv2Client } from '@aws-sdk/client-sesv2';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import type { S3Event } from 'aws-lambda';
import { createIngestHandler } from '#functions/ingest/app.ts';
import { createDeadLetterHandler, createInviteHandler } from '#functions/invite/app.ts';
import { FUNCTIONS, UPLOADS } from '#infra/definitions.ts';
import { type AwsClients, makeAwsClients, readSesStore, type SesMessage, sesInboxUrl } from '#local/aws.ts';
import { type EmulatorEndpoints, type Emulators, startEmulators } from '#local/emulators.ts';
import { sesThrottlingError } from '#local/runtime/faults.ts';
import {
  type CrashPolicy,
  type CrashRecord,
  containerPool,
  crashableObject,
  installCrashPoints,
  seededRandom,
} from '#local/runtime/lambda.ts';
import { createLocalResources, type LocalResources } from '#local/runtime/resources.ts';
import { createS3Bridge, type S3DeliveryReport } from '#local/runtime/s3-bridge.ts';
import { createSqsPoller, type SqsPollerStats } from '#local/runtime/sqs-poller.ts';
import {
  DEMO_PROJECT_ID,
  parseFaultSpec,
  type Standin,
  type StandinFaults,
  startStandin,
} from '#local/standin/server.ts';
import { AseedClient } from '#shared/aseed/client.ts';
import type { InterviewRoom } from '#shared/aseed/schemas.ts';
import type { AppLogger } from '#shared/log.ts';
import { Mailer } from '#shared/mail/mailer.ts';
import { createDynamoStore } from '#shared/store/dynamo/index.ts';
import { campaignIdFor } from '#shared/store/keys.ts';
import { type FinalReportLine, finalReportLine, readReport } from '#shared/store/report.ts';
import type { CampaignRecord, CampaignStatus } from '#shared/store/types.ts';

/** Sender of the local demo's defaults (the SES emulator checks no identity). */
export const LOCAL_SENDER = 'Aseed Research <research@invites.example.org>';

export type { FinalReportLine as ReportLine, ReportStatus } from '#shared/store/report.ts';

/** summary.json. */
export interface CampaignSummary {
  campaignId: string;
  rows: number;
  accepted: number;
  rejected: number;
  duplicates: number;
  emailed: number;
  failed: number;
  roomsCreated: number;
  apiCreateCalls: number;
  sesCalls: number;
  durationMs: number;
}

/** One message the SES emulator received (a line of emails.jsonl). */
export interface GroundTruthEmail {
  to: string;
  subject: string;
  text: string;
  html: string;
}

/** SES faults: the share of send calls that fail with a throttling error. */
export interface SesFaults {
  throttle?: number;
}

/** Switches of the chaos harness: the at-least-once deliveries AWS may make. */
export interface ChaosSwitches {
  /** Extra deliveries of the CSV's S3 notification (default 0). */
  duplicateS3Events?: number;
  /** Deliver the duplicates concurrently with the first delivery (default: one after another). */
  concurrentS3Events?: boolean;
  /** Upload the same CSV again once the first ingest has run (same content: same campaign). */
  reupload?: boolean;
  /** Probability that an SQS batch is delivered twice before it is deleted. */
  duplicateSqsProbability?: number;
}

/** Progress of a run, for a progress bar. */
export interface LocalProgress {
  phase: 'starting' | 'ingesting' | 'inviting' | 'collecting' | 'done';
  campaignId?: string;
  status?: CampaignStatus;
  /** Respondents accepted so far (known once ingest has stored them). */
  accepted: number;
  /** Accepted respondents in a terminal state (emailed or failed). */
  terminal: number;
  emailed: number;
  failed: number;
  elapsedMs: number;
}

/** Timings of the local stack (deliberately shorter than the deployed ones, so retries take seconds). */
export interface LocalTimings {
  /** Invite queue visibility timeout = invite function timeout (s). Default: {@link defaultVisibilitySeconds}. */
  visibilityTimeoutSeconds?: number;
  /** Receives before the DLQ. Default: infra/definitions.ts (as deployed). */
  maxReceiveCount?: number;
  /** Ingest lease (ms): how soon a retried ingest takes over a crashed one. Default 3000. */
  ingestLeaseMs?: number;
  /** Aseed client per-attempt timeout (ms). Default 2000 + 2 × latency (stand-in), 10 s (real API). */
  aseedTimeoutMs?: number;
}

/** Options of {@link runLocalCampaign}. */
export interface LocalCampaignOptions {
  /** The respondent CSV: a file path, or a name and its bytes. */
  csv: string | { name: string; body: string | Uint8Array };
  /**
   * The campaign's settings file (uploaded beside the CSV as `<name>.settings.json`): a path, an object,
   * or raw text (passed through as is, so invalid JSON reaches ingest like a real upload would).
   */
  settings?: { path: string } | { text: string } | Record<string, unknown>;
  /** Deployment defaults (CAMPAIGN_DEFAULTS). Default: the stand-in's demo project and {@link LOCAL_SENDER}. */
  defaults?: Record<string, unknown>;
  /** A real Aseed API instead of the stand-in. */
  api?: { url: string; token: string };
  /** Stand-in faults: a spec (`429=0.1,drop=0.05,latency=5`) or the parsed object. */
  faults?: string | StandinFaults;
  sesFaults?: SesFaults;
  /** Probability that a handler invocation is killed at a random point. */
  crash?: number;
  /** Seeds every PRNG of the run (faults, throttling, crashes, duplicates). Default 1. */
  seed?: number;
  chaos?: ChaosSwitches;
  /** Give up waiting for the campaign after this long (ms, default 120 s). */
  deadlineMs?: number;
  onProgress?: (progress: LocalProgress) => void;
  /** Leave emulators and stand-in running; the result's `close()` stops them (for `--serve`). */
  keepAlive?: boolean;
  /**
   * Use running emulators instead of starting them (e.g. many chaos runs on one set). Their SES store is
   * shared: the run's emails are those it received during the run for the CSV's recipients.
   */
  emulators?: EmulatorEndpoints;
  timings?: LocalTimings;
  /** Logger handed to the handlers (default: silent). */
  logger?: AppLogger;
  /** Unique resource name prefix (default `invites-<random>`). */
  prefix?: string;
}

/** Faults that were injected, by kind. */
export interface InjectedFaults {
  api: Record<string, number>;
  sesThrottled: number;
  crashes: CrashRecord[];
  duplicateSqsDeliveries: number;
  s3Deliveries: number;
  reuploads: number;
}

/** One invite invocation, as the local event source saw it. */
export interface InvocationSummary {
  outcome: 'ok' | 'error' | 'crash' | 'timeout';
  durationMs: number;
  messages: number;
  /** Messages left for redelivery. */
  failed: number;
  duplicate: boolean;
}

/** What a run produced. Never throws for a campaign that went wrong: `ok`/`problems` say so. */
export interface LocalCampaignResult {
  /** Every accepted respondent reached a terminal state (and the file was ingested). */
  ok: boolean;
  /** Why not ok, one sentence each. */
  problems: string[];
  campaignId: string | undefined;
  status: CampaignStatus | undefined;
  failureReason?: string;
  summary: CampaignSummary;
  report: FinalReportLine[];
  /** Ground truth: what the SES emulator received during the run. */
  emails: GroundTruthEmail[];
  /** Ground truth: every room the stand-in ever created (or, with a real API, rooms created during the run). */
  rooms: InterviewRoom[];
  /** The campaign record as the store holds it at the end. */
  record?: CampaignRecord;
  faults: InjectedFaults;
  poller: SqsPollerStats;
  /** Every invite invocation, in order of completion. */
  invocations: InvocationSummary[];
  ingest: S3DeliveryReport[];
  /** The SES emulator's web inbox. */
  inboxUrl: string;
  endpoints: EmulatorEndpoints;
  /** Stand-in base URL, when the stand-in served the run. */
  apiUrl: string;
  /** Stops what the run started (only needed with `keepAlive`; otherwise already done). */
  close(): Promise<void>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const TERMINAL = new Set(['emailed', 'failed']);

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

/** Emails of the SES store that belong to this run. */
const runEmails = (messages: SesMessage[], seen: Set<string>, recipients: Set<string> | undefined) =>
  messages
    .filter((m) => !seen.has(m.messageId))
    .filter((m) => !recipients || m.to.some((to) => recipients.has(to.toLowerCase())))
    .map(
      (m): GroundTruthEmail => ({
        to: m.to.join(', '),
        subject: m.subject,
        text: m.text ?? '',
        html: m.html ?? '',
      }),
    );

/**
 * Runs one campaign on the local stack and collects its results. Starts the emulators (unless given) and
 * the stand-in (unless `api`), creates the stack's resources from infra/definitions.ts, uploads the settings
 * and the CSV, bridges the S3 event to the real ingest handler, polls the invite queue for the real invite
 * handler until the queue is drained (or the deadline passes), then reads the report from the store and the
 * ground truth from the SES emulator and the stand-in. Never exits the process; throws only when the local
 * stack itself cannot start.
 */
export const runLocalCampaign = async (options: LocalCampaignOptions): Promise<LocalCampaignResult> => {
  const started = Date.now();
  const seed = options.seed ?? 1;
  const deadlineMs = options.deadlineMs ?? 120_000;
  const progress = (p: Omit<LocalProgress, 'elapsedMs'>) =>
    options.onProgress?.({ ...p, elapsedMs: Date.now() - started });
  progress({ phase: 'starting', accepted: 0, terminal: 0, emailed: 0, failed: 0 });

  const csv = await loadCsv(options.csv);
  const settingsText = await loadSettings(options.settings);
  const faults: StandinFaults =
    typeof options.faults === 'string' ? parseFaultSpec(options.faults) : { ...options.faults };
  faults.seed ??= subSeed(seed, 1);

  const cleanups: Array<() => Promise<void> | void> = [];
  const cleanup = async () => {
    for (const step of cleanups.splice(0).reverse()) {
      try {
        await step();
      } catch {
        // best effort: the next step must still run
      }
    }
  };

  try {
    let emulators: Emulators | undefined;
    let endpoints = options.emulators;
    if (!endpoints) {
      emulators = await startEmulators({ dynamo: 'dynalite' });
      cleanups.push(() => emulators?.stop());
      endpoints = emulators.endpoints;
    }
    let standin: Standin | undefined;
    if (!options.api) {
      standin = await startStandin({ token: `local-${randomUUID()}`, port: 0, faults });
      cleanups.push(() => standin?.close());
    }
    const apiUrl = options.api?.url ?? (standin as Standin).baseUrl;
    const apiToken = options.api?.token ?? (standin as Standin).token;
    const latency = faults.latencyMs ?? 0;
    const timings = options.timings ?? {};
    const aseedTimeoutMs = timings.aseedTimeoutMs ?? (options.api ? 10_000 : 2000 + 2 * latency);
    // A crashed lock holder blocks creates for one lease: keep it short, above one create call's timeout.
    const lockLeaseMs = aseedTimeoutMs + 1000;
    // An invocation takes the create lock only while a whole lease fits before its deadline, then makes
    // one create call: a shorter function timeout fails every batch without a single create.
    const minVisibility = Math.ceil((lockLeaseMs + aseedTimeoutMs) / 1000);
    if (timings.visibilityTimeoutSeconds !== undefined && timings.visibilityTimeoutSeconds < minVisibility) {
      throw new Error(
        `visibility timeout ${timings.visibilityTimeoutSeconds} s is too short for an Aseed timeout of ` +
          `${aseedTimeoutMs} ms: an invocation needs at least ${minVisibility} s to take the create lock and create rooms`,
      );
    }
    const visibility =
      timings.visibilityTimeoutSeconds ?? Math.max(minVisibility, defaultVisibilitySeconds(csv.body));

    // Clients for our own reads and setup; the handlers get their own (crash points are installed in place).
    const own = makeAwsClients(endpoints);
    cleanups.push(() => own.destroy());
    const ingestClients = makeAwsClients(endpoints);
    const inviteClients = makeAwsClients(endpoints);
    cleanups.push(
      () => ingestClients.destroy(),
      () => inviteClients.destroy(),
    );
    for (const clients of [ingestClients, inviteClients] as AwsClients[]) {
      installCrashPoints(clients.s3);
      installCrashPoints(clients.sqs);
      installCrashPoints(clients.dynamo);
      installCrashPoints(clients.ses);
    }
    const ses = instrumentSes(
      inviteClients.ses,
      options.sesFaults?.throttle ?? 0,
      seededRandom(subSeed(seed, 2)),
    );

    const resources: LocalResources = await createLocalResources(own, {
      prefix: options.prefix ?? `invites-${randomUUID().slice(0, 8)}`,
      overrides: {
        visibilityTimeoutSeconds: visibility,
        inviteTimeoutSeconds: visibility,
        ...(timings.maxReceiveCount ? { maxReceiveCount: timings.maxReceiveCount } : {}),
      },
    });
    const { inviteQueue } = resources.definitions;
    const readStore = createDynamoStore({ doc: own.doc, tableName: resources.tableName });
    const defaults = options.defaults ?? {
      projectId: standin?.projectId ?? DEMO_PROJECT_ID,
      sender: LOCAL_SENDER,
    };

    const crashes: CrashRecord[] = [];
    const crash: CrashPolicy | undefined =
      options.crash && options.crash > 0
        ? {
            probability: options.crash,
            random: seededRandom(subSeed(seed, 3)),
            onCrash: (c) => crashes.push(c),
          }
        : undefined;

    const ingest = createIngestHandler({
      s3: ingestClients.s3,
      sqs: ingestClients.sqs,
      store: createDynamoStore({ doc: ingestClients.doc, tableName: resources.tableName }),
      queueUrl: resources.queueUrl,
      campaignDefaults: defaults,
      leaseMs: timings.ingestLeaseMs ?? 3000,
      ...(options.logger ? { logger: options.logger } : {}),
    });
    const aseed = new AseedClient({ baseUrl: apiUrl, token: apiToken, timeoutMs: aseedTimeoutMs });
    const inviteDeps = {
      store: createDynamoStore({ doc: inviteClients.doc, tableName: resources.tableName }),
      aseed: crashableObject(aseed, ['createRooms', 'listRooms', 'deleteRoom']),
      mailer: new Mailer({ client: inviteClients.ses }),
      maxReceiveCount: inviteQueue.maxReceiveCount,
      sendRatePerSecond: 500,
      lockLeaseMs,
      lockWaitMs: aseedTimeoutMs + 1500,
      reconcileDelayMs: 50,
      // No SES call starts this close to the (short, local) function timeout; a local send takes milliseconds.
      sendSafetyMs: Math.min(1000, (visibility * 1000) / 4),
      // Longer than one local SES call, the claims' lead on it (≤ ¼ lease) and the writes after it, with room
      // for a throttled call's repeats in the first half; well inside the visibility timeout, so a redelivered
      // batch is not turned away by the lease of the attempt that failed before it.
      sendLeaseMs: Math.min(4000, (visibility * 1000) / 4),
      ...(options.logger ? { logger: options.logger } : {}),
    };
    // One handler per concurrent invocation, as Lambda runs each in its own container (own module state).
    const invite = containerPool(() =>
      createInviteHandler({
        ...inviteDeps,
        requeue: async (body) => {
          await inviteClients.sqs.send(
            new SendMessageCommand({ QueueUrl: resources.queueUrl, MessageBody: body }),
          );
        },
      }),
    );
    // The dead-letter function (as deployed): records batches whose last receive died before recording.
    const deadLetter = createDeadLetterHandler(inviteDeps);

    const chaos = options.chaos ?? {};
    const bridge = createS3Bridge({
      s3: ingestClients.s3,
      bucket: resources.bucketName,
      prefix: UPLOADS.prefix,
      suffix: UPLOADS.csvSuffix,
      handler: ingest as (event: S3Event) => Promise<unknown>,
      functionName: 'ingest',
      timeoutMs: FUNCTIONS.ingest.timeoutSeconds * 1000,
      duplicates: chaos.duplicateS3Events ?? 0,
      duplicateMode: chaos.concurrentS3Events ? 'concurrent' : 'sequential',
      retryDelayMs: 100,
      ...(crash ? { crash } : {}),
    });
    cleanups.push(() => bridge.close());
    const poller = createSqsPoller({
      sqs: own.sqs,
      queueUrl: resources.queueUrl,
      queueArn: resources.queueArn,
      handler: invite,
      functionName: 'invite',
      batchSize: inviteQueue.batchSize,
      timeoutMs: visibility * 1000,
      maxConcurrency: 2,
      waitTimeSeconds: 1,
      onInvocation: (report) =>
        invocations.push({
          outcome: report.outcome.kind,
          durationMs: report.outcome.durationMs,
          messages: report.messageIds.length,
          failed: report.failedIds.length,
          duplicate: report.duplicate,
        }),
      ...(crash ? { crash } : {}),
      ...(chaos.duplicateSqsProbability
        ? { duplicateProbability: chaos.duplicateSqsProbability, random: seededRandom(subSeed(seed, 4)) }
        : {}),
    });
    cleanups.push(() => poller.stop());
    // The DLQ keeps the default visibility timeout (30 s); an invocation must fit in it.
    const dlqPoller = createSqsPoller({
      sqs: own.sqs,
      queueUrl: resources.dlqUrl,
      queueArn: resources.dlqArn,
      handler: deadLetter,
      functionName: 'deadletter',
      batchSize: 10,
      timeoutMs: Math.min(visibility, 30) * 1000,
      maxConcurrency: 1,
      waitTimeSeconds: 1,
    });
    cleanups.push(() => dlqPoller.stop());
    const invocations: InvocationSummary[] = [];

    // Ground truth baselines: a shared SES store or a real API already hold other messages and rooms.
    const sesSince = Math.floor(started / 1000) - 1;
    const seenMessages = new Set((await readSesStore(endpoints.ses, sesSince)).map((m) => m.messageId));
    const createCallsBefore = standin?.stats().createCalls ?? 0;

    // Upload: settings first (ingest reads them when the CSV's event arrives), then the CSV.
    const key = uploadKey(csv.name);
    if (settingsText !== undefined) {
      await own.s3.send(
        new PutObjectCommand({
          Bucket: resources.bucketName,
          Key: `${key.slice(0, -UPLOADS.csvSuffix.length)}${UPLOADS.settingsSuffix}`,
          Body: settingsText,
          ContentType: 'application/json',
        }),
      );
    }
    progress({ phase: 'ingesting', accepted: 0, terminal: 0, emailed: 0, failed: 0 });
    // Lambda polls the queue while the ingest still runs; so does the local event source.
    poller.start();
    dlqPoller.start();
    const ingestReports: S3DeliveryReport[] = [];
    ingestReports.push(await bridge.putObject({ Key: key, Body: csv.body, ContentType: 'text/csv' }));
    if (chaos.reupload) {
      ingestReports.push(await bridge.putObject({ Key: key, Body: csv.body, ContentType: 'text/csv' }));
    }
    const eTag = ingestReports[0]?.event?.Records[0]?.s3.object.eTag;
    const campaignId = campaignIdFor({
      bucket: resources.bucketName,
      key,
      ...(eTag ? { etag: eTag } : {}),
    });

    // Watch the store while the poller drains the queue.
    let watching = true;
    let lastProgress: Omit<LocalProgress, 'elapsedMs'> = {
      phase: 'inviting',
      campaignId,
      accepted: 0,
      terminal: 0,
      emailed: 0,
      failed: 0,
    };
    const watch = (async () => {
      while (watching) {
        try {
          const [record, respondents] = await Promise.all([
            readStore.getCampaign(campaignId),
            readStore.listRespondents(campaignId),
          ]);
          lastProgress = {
            phase: 'inviting',
            campaignId,
            ...(record ? { status: record.status } : {}),
            accepted: record?.accepted ?? respondents.length,
            terminal: respondents.filter((r) => TERMINAL.has(r.state)).length,
            emailed: respondents.filter((r) => r.state === 'emailed').length,
            failed: respondents.filter((r) => r.state === 'failed').length,
          };
          progress(lastProgress);
        } catch {
          // a progress read failing is no reason to stop the run
        }
        await sleep(250);
      }
    })();
    const remaining = Math.max(1000, deadlineMs - (Date.now() - started));
    const drained = await poller.drain({ idleMs: 400, timeoutMs: remaining });
    // Nothing reaches the DLQ once the invite queue is drained: record what did.
    const dlqDrained = await dlqPoller.drain({
      idleMs: 400,
      timeoutMs: Math.max(1000, deadlineMs - (Date.now() - started)),
    });
    watching = false;
    await watch;
    await bridge.close();

    // Results.
    progress({ ...lastProgress, phase: 'collecting' });
    const record = await readStore.getCampaign(campaignId);
    const rows = (await readReport(readStore, campaignId)).map(finalReportLine);
    const recipients = new Set(rows.map((r) => r.email.toLowerCase()).filter((e) => e !== ''));
    const emails = runEmails(
      await readSesStore(endpoints.ses, sesSince),
      seenMessages,
      options.emulators ? recipients : undefined,
    );
    let rooms: InterviewRoom[];
    if (standin) rooms = standin.rooms();
    else {
      const projectId = String(record?.settings?.projectId ?? defaults.projectId ?? '');
      const listed = projectId ? await aseed.listRooms({ projectId }) : [];
      rooms = listed.filter((room) => Date.parse(room.created_at) >= started - 60_000);
    }
    const respondentRows = rows.filter((r) => r.status === 'emailed' || r.status === 'failed');
    const accepted = record?.accepted ?? respondentRows.length;
    const summary: CampaignSummary = {
      campaignId,
      rows: rows.length,
      accepted,
      rejected: rows.filter((r) => r.status === 'rejected').length,
      duplicates: rows.filter((r) => r.status === 'duplicate').length,
      emailed: rows.filter((r) => r.status === 'emailed').length,
      failed: respondentRows.length - rows.filter((r) => r.status === 'emailed').length,
      roomsCreated: rooms.length,
      apiCreateCalls: standin ? standin.stats().createCalls - createCallsBefore : (record?.createCalls ?? 0),
      sesCalls: ses.calls,
      durationMs: Date.now() - started,
    };

    const problems: string[] = [];
    const ingestFailed = ingestReports[0]?.deliveries.every((d) => !d.succeeded) ?? true;
    if (!record) {
      problems.push(
        ingestFailed
          ? 'the ingest function failed on every attempt'
          : 'the campaign record was never written',
      );
    } else if (record.status === 'failed') {
      problems.push(`the campaign failed: ${record.failureReason ?? 'no reason recorded'}`);
    } else if (record.status === 'ingesting') {
      problems.push('the ingest never finished');
    }
    const unfinished = rows.filter((r) => r.reason.startsWith('unfinished:')).length;
    if (unfinished > 0) problems.push(`${unfinished} accepted respondents did not reach a terminal state`);
    if (!drained.drained) problems.push(`the invite queue was not drained within ${deadlineMs} ms`);
    if (!dlqDrained.drained) problems.push(`the dead-letter queue was not drained within ${deadlineMs} ms`);
    if (record && summary.accepted !== respondentRows.length) {
      problems.push(`the store holds ${respondentRows.length} respondents, the campaign counted ${accepted}`);
    }

    const stats = poller.stats();
    const inboxUrl = sesInboxUrl(endpoints.ses);
    progress({ ...lastProgress, phase: 'done', ...(record ? { status: record.status } : {}) });
    const result: LocalCampaignResult = {
      ok: problems.length === 0,
      problems,
      campaignId,
      status: record?.status,
      ...(record?.failureReason ? { failureReason: record.failureReason } : {}),
      summary,
      report: rows,
      emails,
      rooms,
      ...(record ? { record } : {}),
      faults: {
        api: { ...(standin?.stats().faultsInjected ?? {}) },
        sesThrottled: ses.throttled,
        crashes,
        duplicateSqsDeliveries: stats.duplicateDeliveries,
        s3Deliveries: ingestReports.reduce((n, r) => n + r.deliveries.length, 0),
        reuploads: chaos.reupload ? 1 : 0,
      },
      poller: stats,
      invocations,
      ingest: ingestReports,
      inboxUrl,
      endpoints,
      apiUrl,
      close: cleanup,
    };
    if (!options.keepAlive) await cleanup();
    else {
      // Only the emulators and the stand-in stay up: the handlers' clients are done.
      await poller.stop();
      await dlqPoller.stop();
    }
    return result;
  } catch (error) {
    await cleanup();
    throw error;
  }
};
