/**
 * Errors raised by the Aseed client. Each extends RetryableError or PermanentError (shared/errors.ts) so callers
 * and SQS redelivery can decide on `retryable` alone; `kind` tells them apart without instanceof chains.
 * Messages are built by the client and never contain the API token.
 */
import { PermanentError, RetryableError } from '#shared/errors.ts';
import type { CreateRoomsRequest, ValidationErrorItem } from './schemas.ts';

/** Client method that failed; used instead of the URL so access tokens in public paths never reach a message. */
export type AseedOperation =
  | 'getConfig'
  | 'createRooms'
  | 'listRooms'
  | 'getRoom'
  | 'updateRoom'
  | 'deleteRoom'
  | 'getRoomInfo'
  | 'joinRoom'
  | 'leaveRoom';

/** Fields every Aseed error carries. */
export interface AseedErrorInfo {
  readonly operation: AseedOperation;
  /** HTTP status of the response, when there was one. */
  readonly status: number | undefined;
}

/** Constructor options shared by the Aseed errors. */
export interface AseedErrorOptions extends ErrorOptions {
  operation: AseedOperation;
  status?: number;
}

/** Base of the Aseed errors that repeating cannot fix: carries the failed operation and HTTP status. */
abstract class AseedPermanentError extends PermanentError implements AseedErrorInfo {
  readonly operation: AseedOperation;
  readonly status: number | undefined;
  constructor(message: string, options: AseedErrorOptions) {
    super(message, options);
    this.operation = options.operation;
    this.status = options.status;
  }
}

/** Base of the transient Aseed errors: carries the failed operation and HTTP status. */
abstract class AseedRetryableError extends RetryableError implements AseedErrorInfo {
  readonly operation: AseedOperation;
  readonly status: number | undefined;
  constructor(message: string, options: AseedErrorOptions) {
    super(message, options);
    this.operation = options.operation;
    this.status = options.status;
  }
}

/** 401 or 403: missing, wrong or expired API token, or no access to the resource. */
export class AseedAuthError extends AseedPermanentError {
  readonly kind = 'auth';
}

/** 404: unknown room, project or access token. */
export class AseedNotFoundError extends AseedPermanentError {
  readonly kind = 'not-found';
}

/** 422 from the server: FastAPI rejected the request; `detail` is its list of problems. */
export class AseedValidationError extends AseedPermanentError {
  readonly kind = 'validation';
  readonly detail: ValidationErrorItem[];
  constructor(message: string, options: AseedErrorOptions & { detail: ValidationErrorItem[] }) {
    super(message, options);
    this.detail = options.detail;
  }
}

/** The client refused to send a request that breaks the published schema or a documented limit (count > 100). */
export class AseedRequestInvalidError extends AseedPermanentError {
  readonly kind = 'request-invalid';
  /** Human-readable problems, one per offending field. */
  readonly problems: string[];
  constructor(message: string, options: AseedErrorOptions & { problems: string[] }) {
    super(message, { ...options, status: undefined });
    this.problems = options.problems;
  }
}

/** 402: the account has too few tokens for the reservation; nothing was created (all-or-nothing). */
export class AseedInsufficientTokensError extends AseedPermanentError {
  readonly kind = 'insufficient-tokens';
}

/**
 * Any other 4xx with a string detail (400 business rule such as count > 100, 409 room not pending, 405, ...).
 * Repeating the same request cannot succeed.
 */
export class AseedRejectedError extends AseedPermanentError {
  readonly kind = 'rejected';
}

/** 429: throttled before processing. `retryAfterMs` comes from Retry-After when the server sent one. */
export class AseedRateLimitedError extends AseedRetryableError {
  readonly kind = 'rate-limited';
  readonly retryAfterMs: number | undefined;
  constructor(message: string, options: AseedErrorOptions & { retryAfterMs?: number }) {
    super(message, options);
    this.retryAfterMs = options.retryAfterMs;
  }
}

/** 5xx from the server. `retryAfterMs` is set when a 503 carried Retry-After. */
export class AseedServerError extends AseedRetryableError {
  readonly kind = 'server';
  readonly retryAfterMs: number | undefined;
  constructor(message: string, options: AseedErrorOptions & { retryAfterMs?: number }) {
    super(message, options);
    this.retryAfterMs = options.retryAfterMs;
  }
}

/** The request failed on the wire (connection refused or reset, DNS, TLS) without an HTTP response. */
export class AseedNetworkError extends AseedRetryableError {
  readonly kind: 'network' | 'timeout' = 'network';
  /** True when the request certainly never reached the server (e.g. ECONNREFUSED). */
  readonly notSent: boolean;
  constructor(message: string, options: AseedErrorOptions & { notSent?: boolean }) {
    super(message, { ...options, status: undefined });
    this.notSent = options.notSent ?? false;
  }
}

/** No complete response within the client's timeout; the request was aborted. */
export class AseedTimeoutError extends AseedNetworkError {
  override readonly kind = 'timeout';
  readonly timeoutMs: number;
  constructor(message: string, options: AseedErrorOptions & { timeoutMs: number }) {
    super(message, options);
    this.timeoutMs = options.timeoutMs;
  }
}

/** A response that is not valid JSON or does not match the published schema (contract drift). */
export class AseedMalformedResponseError extends AseedPermanentError {
  readonly kind = 'malformed-response';
  /** What did not match, e.g. `rooms.0.created_by: Invalid input: expected string, received undefined`. */
  readonly problems: string[];
  constructor(message: string, options: AseedErrorOptions & { problems: string[] }) {
    super(message, options);
    this.problems = options.problems;
  }
}

/**
 * createRooms may or may not have created rooms (timeout, connection cut after sending, 5xx, unreadable 200).
 * The create call has no idempotency key, so never resend blindly: list the project's rooms
 * (`listRooms({ projectId })`) and look for rooms created between `startedAt` and `endedAt` (allow for clock skew)
 * before creating again. `cause` holds the underlying Aseed error.
 */
export class CreateOutcomeUnknownError extends AseedRetryableError {
  readonly kind = 'create-outcome-unknown';
  override readonly operation = 'createRooms';
  readonly request: CreateRoomsRequest;
  readonly startedAt: Date;
  readonly endedAt: Date;
  constructor(
    message: string,
    options: ErrorOptions & { request: CreateRoomsRequest; startedAt: Date; endedAt: Date; status?: number },
  ) {
    super(message, { ...options, operation: 'createRooms' });
    this.request = options.request;
    this.startedAt = options.startedAt;
    this.endedAt = options.endedAt;
  }
}

/** The token provider passed to the client threw; retryable because secret stores fail transiently. */
export class AseedCredentialsError extends AseedRetryableError {
  readonly kind = 'credentials';
  constructor(message: string, options: AseedErrorOptions) {
    super(message, { ...options, status: undefined });
  }
}

/** Every error the Aseed client raises. */
export type AseedError =
  | AseedAuthError
  | AseedNotFoundError
  | AseedValidationError
  | AseedRequestInvalidError
  | AseedInsufficientTokensError
  | AseedRejectedError
  | AseedRateLimitedError
  | AseedServerError
  | AseedNetworkError
  | AseedTimeoutError
  | AseedMalformedResponseError
  | CreateOutcomeUnknownError
  | AseedCredentialsError;

/** True when `error` was raised by the Aseed client. */
export const isAseedError = (error: unknown): error is AseedError =>
  error instanceof AseedPermanentError || error instanceof AseedRetryableError;
