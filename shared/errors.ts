/**
 * Base of every error the domain raises. `retryable` tells a caller (and SQS redelivery) whether trying
 * the same thing again later can succeed.
 */
export abstract class AppError extends Error {
  abstract readonly retryable: boolean;

  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A transient failure (429, 5xx, throttling, timeouts): the same request may succeed later. */
export class RetryableError extends AppError {
  readonly retryable = true;
}

/** A failure that repeating cannot fix (validation, 4xx, bad input). */
export class PermanentError extends AppError {
  readonly retryable = false;
}

/** True when `error` is known to be transient. Unknown errors are treated as retryable by callers that can. */
export const isRetryable = (error: unknown): boolean => error instanceof AppError && error.retryable;

/**
 * The invocation ran out of time before this unit of work could start or go on. Nothing about the work itself
 * failed: a caller that can hand it to a fresh attempt (e.g. re-enqueue the message) should not count it
 * as a failed attempt.
 */
export class OutOfTimeError extends RetryableError {}

/** Why sending waits: the account's 24-hour quota is used up, or SES paused or suspended the account. */
export type PauseKind = 'daily-quota' | 'account-paused' | 'tokens' | 'scheduled';

/** Words for each pause, as the campaign shows them (`paused: daily sending quota, resumes at …`). */
export const PAUSE_LABEL: Record<PauseKind, string> = {
  'daily-quota': 'daily sending quota',
  'account-paused': 'SES sending paused for the account',
  tokens: 'not enough Aseed tokens',
  scheduled: 'scheduled start',
};

/** Pauses only a person can lift (top up the tokens, have SES enable the account): logged as errors. */
export const NEEDS_A_PERSON: ReadonlySet<PauseKind> = new Set(['account-paused', 'tokens']);

/** Log field holding the pause kind on the "sending paused" line: the stack's alarm filters on it. */
export const PAUSE_LOG_FIELD = 'pause';

/**
 * Sending must wait (a quota or a paused account): neither the respondents' fault nor a transient error. The
 * work is tried again later without failing anybody, and without spending a receive where the caller can hand
 * it to a delayed message. Retryable, so a caller that cannot simply lets SQS redeliver.
 */
export class PausedError extends RetryableError {
  /** When known, when sending may go on (epoch ms: a scheduled start); else the usual recheck applies. */
  readonly resumesAt: number | undefined;

  constructor(
    readonly kind: PauseKind,
    message: string,
    options?: ErrorOptions & { resumesAt?: number },
  ) {
    super(message, options);
    this.resumesAt = options?.resumesAt;
  }
}
