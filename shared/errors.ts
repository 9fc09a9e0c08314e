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
