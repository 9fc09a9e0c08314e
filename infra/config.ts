import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import * as z from 'zod';
import { resolveSettings, SettingsError } from '#shared/campaign/settings.ts';
import { parseMailbox } from '#shared/mail/address.ts';
import { FUNCTIONS, INVITE_CONCURRENCY, INVITE_QUEUE } from './definitions.ts';

// Deploy-time configuration: defaults ← JSON file (`-c config=./deploy.json`) ← single context keys
// (`-c sender=...`, from the command line or cdk.json). Validated with zod at synth; a bad value fails synth
// naming it. The defaults let `npm run synth` work offline on a clean clone; they are demo values and the
// synth prints a warning while they are in use.

/** CloudWatch Logs retention periods CloudFormation accepts, in days. */
export const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

/** Demo project id used when none is configured; Aseed rejects it, so a deploy with it invites nobody. */
export const DEMO_PROJECT_ID = '00000000-0000-4000-8000-000000000000';
/** Demo sender used when none is configured (example.com cannot be verified in SES). */
export const DEMO_SENDER = 'invites@example.com';

/**
 * Room and email defaults of every campaign (an upload's settings file overrides them). Checked at synth
 * with the very function ingest runs (`resolveSettings`, shared/campaign/settings.ts), so a default the
 * functions would refuse fails synth instead of the first campaign.
 */
export const CampaignDefaultsSchema = z.record(z.string(), z.unknown());

/** The whole deploy-time configuration. */
export const DeployConfigSchema = z.strictObject({
  /** CloudFormation stack name. */
  stackName: z
    .string()
    .regex(/^[A-Za-z][A-Za-z0-9-]{0,127}$/, 'letters, digits and hyphens, starting with a letter')
    .default('AseedInvites'),
  /** Aseed API base URL (paths /api/interviews/... are appended). HTTPS only: the token travels with it. */
  aseedBaseUrl: z
    .url({ protocol: /^https$/, error: 'an https:// URL' })
    .default('https://app.aseed.ai/custdev'),
  campaignDefaults: CampaignDefaultsSchema,
  ses: z
    .strictObject({
      /** Verified SES identity the sender belongs to: a domain or an address. Default: the sender's domain. */
      identity: z.string().trim().min(3).max(320).optional(),
      /** Create the identity in this stack (fails if it already exists in the account and region). */
      createIdentity: z.boolean().default(false),
      /**
       * Optional cap on the send rate (emails/second). Sends are paced at the account's own MaxSendRate,
       * read from SES GetAccount; this caps it, and sizes the invite concurrency (else SIZING_SEND_RATE).
       */
      sendRatePerSecond: z.coerce.number().positive().max(10_000).optional(),
      /** Verified recipient addresses allowed while the account is in the SES sandbox (IAM checks them). */
      sandboxRecipients: z.array(z.email()).default([]),
    })
    .prefault({}),
  alarms: z
    .strictObject({
      /** Email subscribed to the alarm topic; no topic is created without it. */
      email: z.email().optional(),
      /** Alarm when the oldest invite message is older than this. */
      oldestMessageAgeSeconds: z.coerce.number().int().min(60).max(1_209_600).default(3600),
    })
    .prefault({}),
  /** Retention of the functions' log groups. */
  logRetentionDays: z.coerce
    .number()
    .refine((days) => (LOG_RETENTION_DAYS as readonly number[]).includes(days), {
      error: `one of ${LOG_RETENTION_DAYS.join(', ')}`,
    })
    .default(30),
  /** Powertools log level of every function. */
  logLevel: z.enum(['DEBUG', 'INFO', 'WARN', 'ERROR']).default('INFO'),
  /** Uploaded CSVs (personal data) are deleted this many days after upload. */
  uploadRetentionDays: z.coerce.number().int().min(1).max(3650).default(30),
  /** `retain` keeps the table, bucket and secret when the stack is deleted; `destroy` is for test stacks. */
  removalPolicy: z.enum(['retain', 'destroy']).default('retain'),
});

/** Validated deploy-time configuration. */
export type DeployConfig = z.output<typeof DeployConfigSchema>;

/** Raised at synth when the deploy configuration is incomplete or invalid; names each bad value. */
export class DeployConfigError extends Error {
  override name = 'DeployConfigError';
}

/** Context keys accepted one by one (`-c key=value`), and where each lands in the configuration. */
export const CONTEXT_KEYS = {
  stackName: ['stackName'],
  aseedBaseUrl: ['aseedBaseUrl'],
  projectId: ['campaignDefaults', 'projectId'],
  sender: ['campaignDefaults', 'sender'],
  replyTo: ['campaignDefaults', 'replyTo'],
  sesIdentity: ['ses', 'identity'],
  sesSendRate: ['ses', 'sendRatePerSecond'],
  alarmEmail: ['alarms', 'email'],
  logLevel: ['logLevel'],
  removalPolicy: ['removalPolicy'],
} as const satisfies Record<string, readonly string[]>;

/** Context key naming the JSON configuration file. */
export const CONFIG_FILE_CONTEXT_KEY = 'config';

/** Loaded configuration plus warnings to show at synth (demo values in use). */
export interface LoadedConfig {
  config: DeployConfig;
  warnings: string[];
}

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const setPath = (target: Json, path: readonly string[], value: unknown): void => {
  let node = target;
  for (const key of path.slice(0, -1)) {
    const child = node[key];
    if (isObject(child)) {
      node = child;
    } else {
      const created: Json = {};
      node[key] = created;
      node = created;
    }
  }
  node[path[path.length - 1] as string] = value;
};

const readConfigFile = (file: string, cwd: string): Json => {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(resolve(cwd, file), 'utf8'));
  } catch (error) {
    throw new DeployConfigError(`Cannot read the deploy configuration file ${file}: ${String(error)}`, {
      cause: error,
    });
  }
  if (!isObject(parsed)) throw new DeployConfigError(`${file}: the configuration must be a JSON object`);
  return parsed;
};

/**
 * Builds the configuration from `context` (a lookup such as `key => app.node.tryGetContext(key)`):
 * defaults, then the JSON file named by the `config` key, then the single keys of `CONTEXT_KEYS`.
 */
export const loadDeployConfig = (
  context: (key: string) => unknown,
  cwd: string = process.cwd(),
): LoadedConfig => {
  const file = context(CONFIG_FILE_CONTEXT_KEY);
  const raw: Json = typeof file === 'string' && file !== '' ? readConfigFile(file, cwd) : {};
  for (const [key, path] of Object.entries(CONTEXT_KEYS)) {
    const value = context(key);
    if (value !== undefined && value !== '') setPath(raw, path, value);
  }

  const warnings: string[] = [];
  const defaults = isObject(raw.campaignDefaults) ? raw.campaignDefaults : {};
  if (defaults.projectId === undefined) {
    warnings.push(`campaignDefaults.projectId is not set: using the demo id ${DEMO_PROJECT_ID}`);
    defaults.projectId = DEMO_PROJECT_ID;
  }
  if (defaults.sender === undefined) {
    warnings.push(`campaignDefaults.sender is not set: using the demo sender ${DEMO_SENDER}`);
    defaults.sender = DEMO_SENDER;
  }
  raw.campaignDefaults = defaults;

  const result = DeployConfigSchema.safeParse(raw);
  const problems = result.success
    ? []
    : result.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`);
  try {
    resolveSettings(defaults);
  } catch (error) {
    if (!(error instanceof SettingsError)) throw error;
    for (const issue of error.issues) {
      problems.push(`${issue.path.replace(/^settings\b/, 'campaignDefaults')}: ${issue.message}`);
    }
  }
  if (!result.success || problems.length > 0) {
    throw new DeployConfigError(`Invalid deploy configuration: ${problems.join('; ')}`);
  }
  if (warnings.length > 0) {
    warnings.push('these are demo values: set them (see docs/DEPLOY.md) before deploying');
  }
  return { config: result.data, warnings };
};

/** The default sender's address (`campaignDefaults.sender` may be `Name <address>`). */
export const senderAddressOf = (config: DeployConfig): string => {
  const parsed = parseMailbox(String(config.campaignDefaults.sender));
  if (!parsed.ok) throw new DeployConfigError(`campaignDefaults.sender: ${parsed.problem}`);
  return parsed.mailbox.email;
};

/** The SES identity the sender must belong to: configured, or else the sender's domain. */
export const sesIdentityOf = (config: DeployConfig): string =>
  config.ses.identity ?? senderAddressOf(config).split('@').pop() ?? senderAddressOf(config);

/**
 * The send rate the invite event source is sized for when no cap is configured: SES's usual starting
 * production rate. The sends are paced at the account's real MaxSendRate whatever this is.
 */
export const SIZING_SEND_RATE = 14;

/** The rate the invite event source is sized for: the configured cap, else {@link SIZING_SEND_RATE}. */
export const sizingRateOf = (config: { ses: { sendRatePerSecond?: number | undefined } }): number =>
  config.ses.sendRatePerSecond ?? SIZING_SEND_RATE;

/** Invite event source maximum concurrency for an SES send rate (see `INVITE_CONCURRENCY`). */
export const inviteMaxConcurrency = (sendRatePerSecond: number): number =>
  Math.min(
    INVITE_CONCURRENCY.max,
    Math.max(
      INVITE_CONCURRENCY.min,
      Math.ceil(sendRatePerSecond / INVITE_CONCURRENCY.emailsPerSecondPerInvocation),
    ),
  );

/**
 * Invite batch size for an SES send rate: at most `INVITE_QUEUE.batchSize`, and never more messages than one
 * invocation can email at its share of the rate (`rate / concurrency`) in half the function timeout, so a
 * low quota (the sandbox's 1/s) cannot turn every batch into a timeout.
 */
export const inviteBatchSize = (sendRatePerSecond: number): number => {
  const perInvocation = sendRatePerSecond / inviteMaxConcurrency(sendRatePerSecond);
  const affordable = (FUNCTIONS.invite.timeoutSeconds / 2) * perInvocation;
  return Math.min(
    INVITE_QUEUE.batchSize,
    Math.max(1, Math.floor(affordable / INVITE_QUEUE.respondentsPerMessage)),
  );
};
