/** Backoff arithmetic and Retry-After parsing for the Aseed client; pure, so tests can pin every delay. */

/** How the client retries idempotent calls. Every field has a default (DEFAULT_RETRY). */
export interface RetryOptions {
  /** Total attempts including the first one. 1 disables retries. */
  maxAttempts?: number;
  /** Backoff ceiling for the first retry; doubles per retry (full jitter picks uniformly below it). */
  baseDelayMs?: number;
  /** Cap on the exponential ceiling. */
  maxDelayMs?: number;
  /**
   * Largest Retry-After the client waits for in-process. A longer one ends the retries and surfaces the error
   * (with `retryAfterMs`) so the caller can reschedule instead of sleeping in a Lambda.
   */
  maxRetryAfterMs?: number;
  /** Injectable for tests: resolves after `ms`. */
  sleep?: (ms: number) => Promise<void>;
  /** Injectable for tests: uniform in [0, 1). */
  random?: () => number;
}

/** RetryOptions with every field resolved. */
export type RetryPolicy = Required<RetryOptions>;

/** Resolves after `ms` milliseconds. */
export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Defaults: 4 attempts, 200 ms base, 5 s cap, Retry-After honoured up to 30 s. */
export const DEFAULT_RETRY: RetryPolicy = {
  maxAttempts: 4,
  baseDelayMs: 200,
  maxDelayMs: 5_000,
  maxRetryAfterMs: 30_000,
  sleep,
  random: Math.random,
};

/** Fills the defaults in. */
export const resolveRetryPolicy = (options: RetryOptions = {}): RetryPolicy => ({
  maxAttempts: Math.max(1, Math.floor(options.maxAttempts ?? DEFAULT_RETRY.maxAttempts)),
  baseDelayMs: options.baseDelayMs ?? DEFAULT_RETRY.baseDelayMs,
  maxDelayMs: options.maxDelayMs ?? DEFAULT_RETRY.maxDelayMs,
  maxRetryAfterMs: options.maxRetryAfterMs ?? DEFAULT_RETRY.maxRetryAfterMs,
  sleep: options.sleep ?? DEFAULT_RETRY.sleep,
  random: options.random ?? DEFAULT_RETRY.random,
});

/**
 * Exponential backoff with full jitter: uniform in [0, min(maxDelayMs, baseDelayMs × 2^(retry-1))).
 * `retry` is 1 for the first retry.
 */
export const backoffDelayMs = (retry: number, policy: RetryPolicy): number => {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, retry - 1));
  return Math.floor(policy.random() * ceiling);
};

/**
 * Parses a Retry-After header (RFC 9110: delay-seconds or an HTTP-date) into milliseconds from `now`.
 * Returns undefined when absent or unparseable; a date in the past gives 0.
 */
export const parseRetryAfter = (value: string | null | undefined, now: Date): number | undefined => {
  if (value === null || value === undefined) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  // An HTTP-date names its day and month ("Sun, 01 Mar 2026 10:00:07 GMT"); a bare "-5" is no date.
  const at = /[a-z]/i.test(trimmed) ? Date.parse(trimmed) : Number.NaN;
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now.getTime());
};
