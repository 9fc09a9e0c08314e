// The chaos harness: many seeded runs of the real pipeline on the local stack, each with its own fault
// profile and generated CSV, each checked against the ground truth (SES emulator, stand-in rooms).
import { randomUUID } from 'node:crypto';
import { GetQueueAttributesCommand, GetQueueUrlCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { clearSesStore, makeAwsClients, readSesStore, type SesMessage } from '#local/aws.ts';
import { type LocalCampaignResult, type LocalTimings, runLocalCampaign } from '#local/campaign.ts';
import { type EmulatorEndpoints, type Emulators, startEmulators } from '#local/emulators.ts';
import type { S3DeliveryReport } from '#local/runtime/s3-bridge.ts';
import type { Standin } from '#local/standin/server.ts';
import type { AppLogger } from '#shared/log.ts';
import { createDynamoStore } from '#shared/store/dynamo/index.ts';
import {
  type CheckResult,
  checkRun,
  type DocumentedKind,
  type Finding,
  type ViolationKind,
} from './check.ts';
import { type GeneratedCsv, generateCsv, generateLaterCsv } from './csv.ts';
import { emailKindOf } from './follow-ups.ts';
import { CHAOS_DAYS, CHAOS_FOLLOW_UPS, describeProfile, drawProfile, type FaultProfile } from './profile.ts';

/** Faults one run injected, by kind, as counted by the component that injected them. */
export interface InjectedCounts {
  api429: number;
  api500: number;
  api503: number;
  apiDrop: number;
  /** Runs with added API latency (the stand-in adds it to every request). */
  latencyRuns: number;
  sesThrottled: number;
  ingestCrashes: number;
  inviteCrashes: number;
  /** Invite invocations killed by their timeout. */
  timeouts: number;
  duplicateSqs: number;
  duplicateS3: number;
  reuploads: number;
  /** Runs whose campaign got a changed file (upload 2), and the people of it already in the campaign. */
  laterUploadRuns: number;
  alreadyInvited: number;
  /** Runs whose SES events were each delivered more than once, and runs that got them in reverse order. */
  duplicateSesEventRuns: number;
  reversedSesEventRuns: number;
  /** Simulated respondents' joins and leaves; tracker polls, those that died mid-way, those a lease kept out. */
  joins: number;
  leaves: number;
  trackerPolls: number;
  trackerCrashes: number;
  trackerBusy: number;
  /** Runs whose Aseed account started without tokens (creates refused with 402 until a top-up). */
  tokenShortRuns: number;
  /** Runs with reminders and the thank-you; what SES received of them; one-click opt-outs made. */
  followUpRuns: number;
  reminders: number;
  thankYous: number;
  optOuts: number;
  /** Runs cancelled during the day, and those of them that revoked unstarted rooms. */
  cancelledRuns: number;
  revokingRuns: number;
  /** Runs cancelled while their invitations were being sent, and those of them that revoked. */
  sendCancelRuns: number;
  sendRevokingRuns: number;
}

/** What one run did and found. */
export interface RunOutcome {
  index: number;
  seed: number;
  profile: FaultProfile;
  rows: number;
  accepted: number;
  rejected: number;
  duplicates: number;
  emails: number;
  rooms: number;
  /** Batches (SQS messages) in the invite DLQ at the end of the run. */
  deadLetteredBatches: number;
  faults: InjectedCounts;
  violations: Finding<ViolationKind>[];
  documented: Finding<DocumentedKind>[];
  /** Epoch ms the run started. */
  startedAt: number;
  durationMs: number;
}

/** Options of {@link runChaos}. */
export interface ChaosOptions {
  runs: number;
  /** Data rows per generated CSV (accepted + rejected + duplicates). */
  respondents: number;
  /** Base seed: run i uses seed + i, so any run replays alone with `runs: 1, seed: <its seed>`. */
  seed: number;
  /** Runs at the same time (each has its own stand-in and resources). Default 2. */
  parallel?: number;
  /** Reuse running emulators (e.g. vitest's global ones); otherwise the harness starts its own. */
  emulators?: EmulatorEndpoints;
  /** Restart own emulators after this many runs, bounding their memory (default 40). */
  recycleEvery?: number;
  /**
   * Local timings passed to every run. Default: a 10 s visibility timeout (= invite function timeout). The
   * local runtime's own 4 s default is too short for a 100-respondent batch on a busy 2-core machine
   * (~5 s with dynalite), so calm runs would time out and dead-letter.
   */
  timings?: LocalTimings;
  /** Per-run deadline (ms) before the run counts as not drained. Default 12 visibility timeouts + 60 s. */
  deadlineMs?: number;
  /** Logger handed to the handlers (default silent). */
  logger?: AppLogger;
  onRun?: (outcome: RunOutcome) => void;
}

/** Result of {@link runChaos}. */
export interface ChaosReport {
  options: Omit<ChaosOptions, 'onRun' | 'emulators'>;
  outcomes: RunOutcome[];
  durationMs: number;
}

/** See {@link ChaosOptions.timings}. */
export const DEFAULT_TIMINGS: LocalTimings = { visibilityTimeoutSeconds: 10 };

const emptyCounts = (): InjectedCounts => ({
  api429: 0,
  api500: 0,
  api503: 0,
  apiDrop: 0,
  latencyRuns: 0,
  sesThrottled: 0,
  ingestCrashes: 0,
  inviteCrashes: 0,
  timeouts: 0,
  duplicateSqs: 0,
  duplicateS3: 0,
  reuploads: 0,
  laterUploadRuns: 0,
  alreadyInvited: 0,
  duplicateSesEventRuns: 0,
  reversedSesEventRuns: 0,
  joins: 0,
  leaves: 0,
  trackerPolls: 0,
  trackerCrashes: 0,
  trackerBusy: 0,
  tokenShortRuns: 0,
  followUpRuns: 0,
  reminders: 0,
  thankYous: 0,
  optOuts: 0,
  cancelledRuns: 0,
  revokingRuns: 0,
  sendCancelRuns: 0,
  sendRevokingRuns: 0,
});

const injected = (
  result: LocalCampaignResult,
  profile: FaultProfile,
  emails: readonly SesMessage[],
  csv: GeneratedCsv,
): InjectedCounts => {
  const api = result.faults.api;
  const kinds = profile.followUps ? emails.map((m) => emailKindOf(m.subject)) : [];
  return {
    api429: api['429'] ?? 0,
    api500: api['500'] ?? 0,
    api503: api['503'] ?? 0,
    apiDrop: api.drop ?? 0,
    latencyRuns: profile.api.latencyMs ? 1 : 0,
    sesThrottled: result.faults.sesThrottled,
    ingestCrashes: result.faults.crashes.filter((c) => c.functionName === 'ingest').length,
    inviteCrashes: result.faults.crashes.filter((c) => c.functionName === 'invite').length,
    timeouts: result.poller.timeouts,
    duplicateSqs: result.faults.duplicateSqsDeliveries,
    duplicateS3: result.ingest.reduce((n, report) => n + Math.max(0, report.deliveries.length - 1), 0),
    reuploads: profile.chaos.reupload ? 1 : 0,
    laterUploadRuns: profile.laterUpload ? 1 : 0,
    alreadyInvited: csv.rows.filter((r) => r.upload === 2 && r.kind === 'duplicate').length,
    duplicateSesEventRuns: profile.chaos.duplicateSesEvents ? 1 : 0,
    reversedSesEventRuns: profile.chaos.reverseSesEvents ? 1 : 0,
    joins: result.time?.joins ?? 0,
    leaves: result.time?.leaves ?? 0,
    trackerPolls: result.time?.polls ?? 0,
    trackerCrashes: result.time?.failedPolls ?? 0,
    trackerBusy: result.time?.busyPolls ?? 0,
    tokenShortRuns: profile.tokensShortMs ? 1 : 0,
    followUpRuns: profile.followUps ? 1 : 0,
    reminders: kinds.filter((k) => k === 'reminder').length,
    thankYous: kinds.filter((k) => k === 'thanks').length,
    optOuts: result.time?.optOuts.length ?? 0,
    cancelledRuns: result.time?.cancelledAtMs !== undefined ? 1 : 0,
    revokingRuns: result.time?.cancelledAtMs !== undefined && profile.chaos.cancel?.revokeUnstarted ? 1 : 0,
    sendCancelRuns: profile.chaos.cancelDuringSends ? 1 : 0,
    sendRevokingRuns: profile.chaos.cancelDuringSends?.revokeUnstarted ? 1 : 0,
  };
};

/** Messages in a queue (visible + in flight); 0 when the queue does not exist. */
const queueDepth = async (sqs: SQSClient, name: string): Promise<number> => {
  try {
    const { QueueUrl } = await sqs.send(new GetQueueUrlCommand({ QueueName: name }));
    const { Attributes } = await sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl,
        AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
      }),
    );
    return (
      Number(Attributes?.ApproximateNumberOfMessages ?? 0) +
      Number(Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0)
    );
  } catch {
    return 0;
  }
};

/**
 * Every S3 event of the first file failed (retries included), or every one of the later file's: that
 * upload's people are not in the store, and wait for a re-drive.
 */
const ingestExhausted = (reports: readonly S3DeliveryReport[], profile: FaultProfile): boolean => {
  const exhausted = (some: readonly S3DeliveryReport[]) =>
    some.length > 0 && some.every((report) => report.deliveries.every((d) => !d.succeeded));
  const later = profile.laterUpload ? reports.slice(-1) : [];
  return exhausted(reports.slice(0, reports.length - later.length)) || exhausted(later);
};

/** Runs one seeded chaos run on the given emulators and checks it. */
export const runOne = async (
  endpoints: EmulatorEndpoints,
  index: number,
  seed: number,
  respondents: number,
  options: Pick<ChaosOptions, 'timings' | 'deadlineMs' | 'logger'> = {},
): Promise<RunOutcome> => {
  const started = Date.now();
  const profile = drawProfile(seed);
  // The file (addresses included) depends on the seed only, so a replay sends the very same CSV; resource
  // names get a random part, since a replay may run on emulators that still hold the first run's resources.
  const first = generateCsv({ seed, rows: respondents, tag: `c${seed}` });
  // With a later upload the oracle covers both files (its body is the later file's).
  const csv = profile.laterUpload ? generateLaterCsv(first, seed) : first;
  const prefix = `chaos-c${seed}-${randomUUID().slice(0, 6)}`;
  const sinceSeconds = Math.floor(started / 1000) - 1;
  let topUp: NodeJS.Timeout | undefined;
  const result = await runLocalCampaign({
    ...(profile.tokensShortMs
      ? {
          onStandin: (standin: Standin) => {
            standin.setBalance(0);
            topUp = setTimeout(() => standin.setBalance(1_000_000_000), profile.tokensShortMs);
          },
        }
      : {}),
    csv: { name: first.name, body: first.body },
    emulators: endpoints,
    prefix,
    seed,
    faults: profile.api,
    sesFaults: profile.ses,
    crash: profile.crash,
    chaos: {
      ...profile.chaos,
      ...(profile.laterUpload ? { laterUpload: new TextEncoder().encode(csv.body) } : {}),
    },
    days: CHAOS_DAYS,
    behaviour: profile.respondents,
    ...(profile.followUps ? { settings: { ...CHAOS_FOLLOW_UPS } } : {}),
    deadlineMs:
      options.deadlineMs ??
      (12 * ((options.timings ?? DEFAULT_TIMINGS).visibilityTimeoutSeconds ?? 4) + 60) * 1000,
    timings: options.timings ?? DEFAULT_TIMINGS,
    ...(options.logger ? { logger: options.logger } : {}),
  });
  clearTimeout(topUp);
  // Ground truth read here, independently of the run's own summary: every message to the run's domain.
  const emails = (await readSesStore(endpoints.ses, sinceSeconds)).filter((m) =>
    [...m.to, ...m.cc, ...m.bcc].some((to) => to.toLowerCase().includes(`@${csv.domain}`)),
  );
  const clients = makeAwsClients(endpoints);
  let check: CheckResult;
  let deadLetteredBatches = 0;
  try {
    deadLetteredBatches = await queueDepth(clients.sqs, `${prefix}-invite-dlq`);
    const store = createDynamoStore({ doc: clients.doc, tableName: `${prefix}-table` });
    const campaignId = result.campaignId;
    const [respondentsInStore, rejected, record] = campaignId
      ? await Promise.all([
          store.listRespondents(campaignId),
          store.listRejected(campaignId),
          store.getCampaign(campaignId),
        ])
      : [[], [], undefined];
    check = checkRun({
      csv,
      emails,
      rooms: result.rooms,
      respondents: respondentsInStore,
      rejected,
      record,
      crashes: result.faults.crashes,
      inviteTimeouts: result.poller.timeouts,
      problems: result.problems,
      ingestExhausted: ingestExhausted(result.ingest, profile),
      ...(profile.chaos.cancelDuringSends
        ? { cancelledDuringSends: { revoke: profile.chaos.cancelDuringSends.revokeUnstarted } }
        : {}),
      deliveriesExpected: true,
      progressExpected: true,
      ...(profile.followUps
        ? {
            followUps: {
              reminderDays: CHAOS_FOLLOW_UPS.reminders.map((r) => r.afterDays),
              thankYou: true,
              optOuts: new Map((result.time?.optOuts ?? []).map((o) => [o.email.toLowerCase(), o.atMs])),
              ...(result.time?.cancelledAtMs !== undefined
                ? {
                    cancel: {
                      atMs: result.time.cancelledAtMs,
                      revoke: profile.chaos.cancel?.revokeUnstarted ?? false,
                    },
                  }
                : {}),
            },
          }
        : {}),
    });
  } finally {
    clients.destroy();
  }
  return {
    index,
    seed,
    profile,
    rows: csv.rows.length,
    accepted: csv.accepted.size,
    rejected: csv.rows.filter((r) => r.kind === 'rejected').length,
    duplicates: csv.rows.filter((r) => r.kind === 'duplicate').length,
    emails: emails.length,
    rooms: result.rooms.length,
    deadLetteredBatches,
    faults: injected(result, profile, emails, csv),
    violations: check.violations,
    documented: check.documented,
    startedAt: started,
    durationMs: Date.now() - started,
  };
};

/** A run that threw (the local stack failed) still counts, as one run-problem violation. */
const crashedRun = (index: number, seed: number, respondents: number, error: unknown): RunOutcome => ({
  index,
  seed,
  profile: drawProfile(seed),
  rows: respondents,
  accepted: 0,
  rejected: 0,
  duplicates: 0,
  emails: 0,
  rooms: 0,
  deadLetteredBatches: 0,
  faults: emptyCounts(),
  violations: [
    { kind: 'run-problem', detail: `the run threw: ${(error as Error)?.message ?? String(error)}` },
  ],
  documented: [],
  startedAt: Date.now(),
  durationMs: 0,
});

/**
 * Runs `runs` seeded chaos runs, `parallel` at a time, on one emulator set (own, recycled every
 * `recycleEvery` runs, with its SES store emptied between waves; or the given one, never cleared).
 */
export const runChaos = async (options: ChaosOptions): Promise<ChaosReport> => {
  const started = Date.now();
  const parallel = Math.max(1, options.parallel ?? 2);
  const recycleEvery = options.recycleEvery ?? 40;
  const outcomes: RunOutcome[] = [];
  let own: Emulators | undefined;
  let ownRuns = 0;
  const endpointsFor = async (): Promise<EmulatorEndpoints> => {
    if (options.emulators) return options.emulators;
    if (own && ownRuns >= recycleEvery) {
      await own.stop();
      own = undefined;
    }
    if (!own) {
      own = await startEmulators({ dynamo: 'dynalite', quiet: true });
      ownRuns = 0;
    } else await clearSesStore(own.endpoints.ses);
    return own.endpoints;
  };
  try {
    for (let wave = 0; wave < options.runs; wave += parallel) {
      const endpoints = await endpointsFor();
      const indexes = Array.from({ length: Math.min(parallel, options.runs - wave) }, (_, k) => wave + k);
      ownRuns += indexes.length;
      const done = await Promise.all(
        indexes.map(async (index) => {
          const seed = (options.seed + index) >>> 0;
          try {
            return await runOne(endpoints, index, seed, options.respondents, options);
          } catch (error) {
            return crashedRun(index, seed, options.respondents, error);
          }
        }),
      );
      for (const outcome of done) {
        outcomes.push(outcome);
        options.onRun?.(outcome);
      }
    }
  } finally {
    await own?.stop();
  }
  const { onRun: _onRun, emulators: _emulators, logger: _logger, ...rest } = options;
  return { options: rest, outcomes, durationMs: Date.now() - started };
};

const DOCUMENTED_KINDS: DocumentedKind[] = [
  'window-duplicate',
  'ingest-exhausted',
  'emailed-then-dead-lettered',
  'cancelled-in-window',
  'dead-lettered',
  'dead-lettered-room',
];

const VIOLATION_KINDS: ViolationKind[] = [
  'missing-email',
  'duplicate-email',
  'email-room-urls',
  'url-shared',
  'unknown-url',
  'unexpected-recipient',
  'cancelled-room-emailed',
  'orphan-room',
  'rejected-no-reason',
  'classification',
  'store-mismatch',
  'store-counts',
  'unfinished',
  'delivery-lost',
  'progress-mismatch',
  'run-problem',
  'follow-up-missing',
  'follow-up-duplicate',
  'follow-up-unwanted',
  'follow-up-link',
  'opt-out-lost',
  'revoke-missed',
];

/** Total violations of a report. */
export const violationCount = (report: ChaosReport): number =>
  report.outcomes.reduce((n, o) => n + o.violations.length, 0);

const FAULT_ROWS: Array<[keyof InjectedCounts, string]> = [
  ['api429', 'API 429 (create)'],
  ['api500', 'API 500 (create)'],
  ['api503', 'API 503 (create)'],
  ['apiDrop', 'API drop (created, response lost)'],
  ['latencyRuns', 'runs with API latency'],
  ['sesThrottled', 'SES throttled calls'],
  ['ingestCrashes', 'ingest crashes'],
  ['inviteCrashes', 'invite crashes'],
  ['timeouts', 'invite timeouts'],
  ['duplicateSqs', 'duplicate SQS deliveries'],
  ['duplicateS3', 'duplicate S3 events'],
  ['reuploads', 'same-CSV re-uploads'],
  ['laterUploadRuns', 'runs with a changed file under the same key (upload 2)'],
  ['alreadyInvited', 'people of upload 2 already in the campaign (must get nothing)'],
  ['duplicateSesEventRuns', 'runs with every SES event delivered 2–3 times'],
  ['reversedSesEventRuns', 'runs with SES events in reverse order'],
  ['joins', 'simulated respondents who joined (1 day)'],
  ['leaves', 'simulated respondents who completed'],
  ['trackerPolls', 'tracker polls'],
  ['trackerCrashes', 'tracker polls killed mid-way'],
  ['trackerBusy', 'tracker polls kept out by a racing poll'],
  ['tokenShortRuns', 'runs starting without Aseed tokens (402 until a top-up)'],
  ['followUpRuns', 'runs with two reminders (6 h, 12 h) and thank-yous'],
  ['reminders', 'reminders SES received'],
  ['thankYous', 'thank-yous SES received'],
  ['optOuts', 'one-click opt-outs (POST to the link) mid-campaign'],
  ['cancelledRuns', 'runs cancelled during the day (invites cancel)'],
  ['revokingRuns', '… with --revoke-unstarted'],
  ['sendCancelRuns', 'runs cancelled while their invitations were being sent'],
  ['sendRevokingRuns', '… with --revoke-unstarted'],
];

/** The summary table (Markdown, readable in a terminal too). */
export const formatTable = (report: ChaosReport): string => {
  const o = report.outcomes;
  const sum = (f: (x: RunOutcome) => number) => o.reduce((n, x) => n + f(x), 0);
  const runsWith = (f: (x: RunOutcome) => number) => o.filter((x) => f(x) > 0).length;
  const lines: string[] = [];
  const row = (label: string, value: string | number, runs?: number) =>
    lines.push(`| ${label} | ${value} | ${runs ?? ''} |`);
  // The last column counts the runs in which the row's figure was above zero.
  lines.push('| | total | runs |', '| --- | ---: | ---: |');
  row('runs (total, faulted)', o.length, o.filter((x) => describeProfile(x.profile) !== 'calm').length);
  row(
    'CSV rows',
    sum((x) => x.rows),
  );
  row(
    'accepted respondents',
    sum((x) => x.accepted),
  );
  row('rejected rows / duplicates', `${sum((x) => x.rejected)} / ${sum((x) => x.duplicates)}`);
  row(
    'emails received (SES emulator)',
    sum((x) => x.emails),
  );
  row(
    'rooms created (stand-in)',
    sum((x) => x.rooms),
  );
  row(
    'batches left in the DLQ',
    sum((x) => x.deadLetteredBatches ?? 0),
    runsWith((x) => x.deadLetteredBatches ?? 0),
  );
  lines.push('| **faults injected** | | |');
  for (const [key, label] of FAULT_ROWS) {
    row(
      label,
      // Runs recorded before a counter existed (an older --jsonl file) count 0 for it.
      sum((x) => x.faults[key] ?? 0),
      runsWith((x) => x.faults[key] ?? 0),
    );
  }
  lines.push('| **violations** | | |');
  for (const kind of VIOLATION_KINDS) {
    const count = (x: RunOutcome) => x.violations.filter((v) => v.kind === kind).length;
    row(kind, sum(count), runsWith(count));
  }
  row(
    '**total violations**',
    sum((x) => x.violations.length),
    runsWith((x) => x.violations.length),
  );
  lines.push('| **documented outcomes** (docs/DESIGN.md §6.3, §6.5) | | |');
  for (const kind of DOCUMENTED_KINDS) {
    const count = (x: RunOutcome) => x.documented.filter((v) => v.kind === kind).length;
    row(kind, sum(count), runsWith(count));
  }
  const failing = o.filter((x) => x.violations.length > 0).map((x) => x.seed);
  const durations = o.map((x) => x.durationMs).sort((a, b) => a - b);
  const median = durations[Math.floor(durations.length / 2)] ?? 0;
  lines.push(
    '',
    `failing seeds: ${failing.length > 0 ? failing.join(' ') : 'none'}`,
    `wall time ${(report.durationMs / 1000).toFixed(0)} s, median run ${(median / 1000).toFixed(1)} s, ` +
      `slowest ${((durations.at(-1) ?? 0) / 1000).toFixed(1)} s`,
  );
  return lines.join('\n');
};

/** One paragraph per failing run: seed, profile, and its violations grouped by kind with a few examples each. */
export const formatFailures = (report: ChaosReport, examplesPerKind = 3): string => {
  const parts: string[] = [];
  const describe = (v: Finding) =>
    `${v.respondent ? `${v.respondent} ` : ''}${v.line !== undefined ? `line ${v.line}: ` : ''}${v.detail}`;
  for (const outcome of report.outcomes.filter((x) => x.violations.length + x.documented.length > 0)) {
    parts.push(
      `run ${outcome.index} seed ${outcome.seed} [${describeProfile(outcome.profile)}]: ` +
        `${outcome.violations.length} violation(s), ${outcome.documented.length} documented outcome(s)` +
        ` (replay: npm run chaos -- --runs 1 --respondents ${outcome.rows} --seed ${outcome.seed})`,
    );
    const groups = new Map<string, Finding[]>();
    for (const v of outcome.violations) groups.set(v.kind, [...(groups.get(v.kind) ?? []), v]);
    for (const v of outcome.documented) {
      groups.set(`documented ${v.kind}`, [...(groups.get(`documented ${v.kind}`) ?? []), v]);
    }
    for (const [kind, findings] of groups) {
      parts.push(`  ${kind} × ${findings.length}`);
      for (const v of findings.slice(0, examplesPerKind)) parts.push(`    ${describe(v)}`);
    }
  }
  return parts.join('\n');
};
