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
