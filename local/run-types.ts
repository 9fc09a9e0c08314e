// What a local campaign run takes and gives back (local/campaign.ts runs it): options, progress, the summary,
// the report, the ground truth read back from the fake world, and the faults injected.

import type { SESv2Client } from '@aws-sdk/client-sesv2';
import type { EmulatorEndpoints } from '#local/emulators.ts';
import type { CrashRecord } from '#local/runtime/lambda.ts';
import type { S3DeliveryReport } from '#local/runtime/s3-bridge.ts';
import type { SqsPollerStats } from '#local/runtime/sqs-poller.ts';
import type { Standin, StandinFaults } from '#local/standin/server.ts';
import type { InterviewRoom } from '#shared/aseed/schemas.ts';
import type { AppLogger } from '#shared/log.ts';
import type { Funnel } from '#shared/report/funnel.ts';
import type { FinalReportLine } from '#shared/store/report.ts';
import type { CampaignPause, CampaignRecord, CampaignStatus } from '#shared/store/types.ts';
import type { LocalDeploymentInfo } from './deployment-info.ts';
import type { Behaviour, TimeReport } from './time.ts';

/** Sender of the local demo's defaults (the SES emulator checks no identity). */
export const LOCAL_SENDER = 'Aseed Research <research@invites.example.org>';

export type { FinalReportLine as ReportLine, ReportStatus } from '#shared/store/report.ts';

/** summary.json: the campaign's counts, its funnel (shared/report/funnel.ts), and the run's own figures. */
export interface CampaignSummary extends Funnel {
  campaignId: string;
  /** What the CSV's columns were read as (`email ← E-Mail; name ← Vorname + Nachname; merge fields: …`). */
  columns?: string;
  rows: number;
  accepted: number;
  rejected: number;
  duplicates: number;
  /** Rows whose address is on the suppression list (bounced or complained in an earlier campaign). */
  suppressed: number;
  failed: number;
  /** Respondents whose campaign was cancelled before they were invited (or whose unstarted room was revoked). */
  cancelled: number;
  /** Reminder emails sent in all, the respondents who got at least one, and thank-yous sent. */
  reminders: number;
  reminded: number;
  thanked: number;
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
  /** Then a changed CSV under the same key: the campaign's upload 2 (only its new people are invited). */
  laterUpload?: Uint8Array;
  /** Probability that an SQS batch is delivered twice before it is deleted. */
  duplicateSqsProbability?: number;
  /** Extra deliveries of every SES event to the events function. */
  duplicateSesEvents?: number;
  /** Deliver each page of SES events in reverse order. */
  reverseSesEvents?: boolean;
  /** With simulated days: probability that a tracker run dies mid-poll (after some of its writes). */
  trackerCrash?: number;
  /** With simulated days: every tracker run is two runs at once, racing for the same campaigns. */
  concurrentPolls?: boolean;
  /** With simulated days: `invites cancel` this long into the day (simulated ms), revoking unstarted rooms or not. */
  cancel?: { afterMs: number; revokeUnstarted: boolean };
  /** `invites cancel` once this share of the accepted respondents is emailed: it races the remaining sends. */
  cancelDuringSends?: { afterShare: number; revokeUnstarted: boolean };
}

/** Progress of a run, for a progress bar. */
export interface LocalProgress {
  phase: 'starting' | 'ingesting' | 'inviting' | 'simulating' | 'collecting' | 'done';
  /** While simulating: simulated hours passed, of all (`--days`), and the respondents who joined so far. */
  simulated?: { hours: number; of: number; joins: number };
  campaignId?: string;
  /** The campaign's sending waits (a quota or a paused account), as its record says. */
  pause?: CampaignPause;
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
  /** Invite queue visibility timeout = invite function timeout (s). Default: defaultVisibilitySeconds (local/campaign.ts). */
  visibilityTimeoutSeconds?: number;
  /** Receives before the DLQ. Default: infra/definitions.ts (as deployed). */
  maxReceiveCount?: number;
  /** Ingest lease (ms): how soon a retried ingest takes over a crashed one. Default 3000. */
  ingestLeaseMs?: number;
  /** Aseed client per-attempt timeout (ms). Default 2000 + 2 × latency (stand-in), 10 s (real API). */
  aseedTimeoutMs?: number;
}

/** Options of a local campaign run (runLocalCampaign). */
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
  /** Called with the run's stand-in once it listens (tests set its balance or faults mid-run). */
  onStandin?: (standin: Standin) => void;
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
  /** Leave emulators and stand-in running (to read the run's store after it); `close()` stops them. */
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
  /**
   * Simulated days to let pass after the sends (stand-in only): respondents join and leave their rooms as
   * `behaviour` says, rooms expire on the stand-in's clock, and the tracker polls on it. Default 0.
   */
  days?: number;
  behaviour?: Behaviour;
  /**
   * The SES client the invite side sends with instead of the emulator's: a real account for
   * `invites local --ses aws` (local/ses/aws.ts). The emulator's inbox then holds none of the run's emails.
   */
  sesClient?: SESv2Client;
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
  /** What `.invites/local.json` says about this run's stack (`--serve` writes it; `console` when `live`). */
  deployment: LocalDeploymentInfo;
  /** The simulated days, with the tracker's figures (when `days` was given). */
  time?: TimeReport;
  /** Stops what the run started (only needed with `keepAlive`; otherwise already done). */
  close(): Promise<void>;
}
