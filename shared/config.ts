import * as z from 'zod';

/**
 * Names of the environment variables the functions read. infra/ imports these so the stack and the
 * functions cannot drift apart.
 */
export const ENV = {
  tableName: 'TABLE_NAME',
  inviteQueueUrl: 'INVITE_QUEUE_URL',
  campaignDefaults: 'CAMPAIGN_DEFAULTS',
  aseedBaseUrl: 'ASEED_BASE_URL',
  aseedTokenSecretArn: 'ASEED_TOKEN_SECRET_ARN',
  sesConfigurationSet: 'SES_CONFIGURATION_SET',
  sesSendRatePerSecond: 'SES_SEND_RATE',
  inviteMaxReceiveCount: 'INVITE_MAX_RECEIVE_COUNT',
  optOutUrl: 'OPT_OUT_URL',
  optOutKeySecretArn: 'OPT_OUT_KEY_SECRET_ARN',
  uploadsBucket: 'UPLOADS_BUCKET',
  uploadsPrefix: 'UPLOADS_PREFIX',
} as const;

const nonEmpty = z.string().trim().min(1);

/** Environment of the ingest function. */
export const IngestEnvSchema = z.object({
  [ENV.tableName]: nonEmpty,
  [ENV.inviteQueueUrl]: nonEmpty,
  [ENV.campaignDefaults]: nonEmpty,
  // The token price (GET /api/interviews/config) for campaigns with a maxTokens budget.
  [ENV.aseedBaseUrl]: z.url(),
  [ENV.aseedTokenSecretArn]: nonEmpty,
});

/** Environment of the events function (SES events → respondents; rooms of bounced addresses cancelled). */
export const EventsEnvSchema = z.object({
  [ENV.tableName]: nonEmpty,
  [ENV.aseedBaseUrl]: z.url(),
  [ENV.aseedTokenSecretArn]: nonEmpty,
});

/** Environment of the tracker function (rooms' progress polled → respondents; due follow-ups → invite queue). */
export const TrackerEnvSchema = EventsEnvSchema.extend({ [ENV.inviteQueueUrl]: nonEmpty });

/** Environment of the dead-letter function: the invite side's, without the queue it never writes to. */
export const DeadLetterEnvSchema = z.object({
  [ENV.tableName]: nonEmpty,
  [ENV.aseedBaseUrl]: z.url(),
  [ENV.aseedTokenSecretArn]: nonEmpty,
  [ENV.sesConfigurationSet]: nonEmpty.optional(),
  [ENV.sesSendRatePerSecond]: z.coerce.number().positive().optional(),
  [ENV.inviteMaxReceiveCount]: z.coerce.number().int().positive(),
});

/**
 * Environment of the invite function (its own queue: batches it has no time for go back to it; the opt-out
 * endpoint and the key its links are signed with).
 */
export const InviteEnvSchema = DeadLetterEnvSchema.extend({
  [ENV.inviteQueueUrl]: nonEmpty,
  [ENV.optOutUrl]: z.url(),
  [ENV.optOutKeySecretArn]: nonEmpty,
});

/** Environment of the opt-out function (the respondent, the suppression list, the room to cancel). */
export const OptOutEnvSchema = EventsEnvSchema.extend({ [ENV.optOutKeySecretArn]: nonEmpty });

/**
 * Environment of the console API function: the store it reads, the invite queue its cancel writes to, where
 * uploads go (the bucket and the prefix the ingest listens on), and for checking a new campaign's file the
 * deployment's defaults, the Aseed API (the token price) and SES's configuration set (a test send).
 */
export const ConsoleEnvSchema = z.object({
  [ENV.tableName]: nonEmpty,
  [ENV.inviteQueueUrl]: nonEmpty,
  [ENV.uploadsBucket]: nonEmpty,
  [ENV.uploadsPrefix]: nonEmpty,
  [ENV.campaignDefaults]: nonEmpty,
  [ENV.aseedBaseUrl]: z.url(),
  [ENV.aseedTokenSecretArn]: nonEmpty,
  [ENV.sesConfigurationSet]: nonEmpty.optional(),
});

/** Raised at cold start when the environment is incomplete; the message names every bad variable. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Parses `env` with `schema`, failing loudly with the name and reason of each missing or bad variable. */
export const parseEnv = <S extends z.ZodType>(
  schema: S,
  env: NodeJS.ProcessEnv = process.env,
): z.output<S> => {
  const result = schema.safeParse(env);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
    throw new ConfigError(`Invalid configuration: ${problems.join('; ')}`);
  }
  return result.data;
};
