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

/** 401 or 403: missing, wrong or expired API token, or no access to the resource. */
export class AseedAuthError extends PermanentError implements AseedErrorInfo {
  readonly kind = 'auth';
  readonly operation: AseedOperation;
  readonly status: number | undefined;
  constructor(message: string, options: AseedErrorOptions) {
    super(message, options);
    this.operation = options.operation;
    this.status = options.status;
  }
}

/** 404: unknown room, project or access token. */
export class AseedNotFoundError extends PermanentError implements AseedErrorInfo {
  readonly kind = 'not-found';
  readonly operation: AseedOperation;
  readonly status: number | undefined;
  constructor(message: string, options: AseedErrorOptions) {
    super(message, options);
    this.operation = options.operation;
    this.status = options.status;
  }
}

/** 422 from the server: FastAPI rejected the request; `detail` is its list of problems. */
export class AseedValidationError extends PermanentError implements AseedErrorInfo {
  readonly kind = 'validation';
  readonly operation: AseedOperation;
  readonly status: number | undefined;
  readonly detail: ValidationErrorItem[];
  constructor(message: string, options: AseedErrorOptions & { detail: ValidationErrorItem[] }) {
    super(message, options);
    this.operation = options.operation;
    this.status = options.status;
    this.detail = options.detail;
  }
}

/** The client refused to send a request that breaks the published schema or a documented limit (count > 100). */
export class AseedRequestInvalidError extends PermanentError implements AseedErrorInfo {
  readonly kind = 'request-invalid';
  readonly operation: AseedOperation;
  readonly status = undefined;
  /** Human-readable problems, one per offending field. */
  readonly problems: string[];
  constructor(message: string, options: AseedErrorOptions & { problems: string[] }) {
    super(message, options);
    this.operation = options.operation;
    this.problems = options.problems;
  }
}

/** 402: the account has too few tokens for the reservation; nothing was created (all-or-nothing). */
export class AseedInsufficientTokensError extends PermanentError implements AseedErrorInfo {
  readonly kind = 'insufficient-tokens';
  readonly operation: AseedOperation;
  readonly status: number | undefined;
  constructor(message: string, options: AseedErrorOptions) {
    super(message, options);
    this.operation = options.operation;
    this.status = options.status;
  }
}

/**
 * Any other 4xx with a string detail (400 business rule such as count > 100, 409 room not pending, 405, ...).
 * Repeating the same request cannot succeed.
 */
export class AseedRejectedError extends PermanentError implements AseedErrorInfo {
  readonly kind = 'rejected';
  readonly operation: AseedOperation;
  readonly status: number | undefined;
  constructor(message: string, options: AseedErrorOptions) {
    super(message, options);
    this.operation = options.operation;
    this.status = options.status;
  }
}

/** 429: throttled before processing. `retryAfterMs` comes from Retry-After when the server sent one. */
export class AseedRateLimitedError extends RetryableError implements AseedErrorInfo {
  readonly kind = 'rate-limited';
  readonly operation: AseedOperation;
  readonly status: number | undefined;
  readonly retryAfterMs: number | undefined;
  constructor(message: string, options: AseedErrorOptions & { retryAfterMs?: number }) {
    super(message, options);
    this.operation = options.operation;
    this.status = options.status;
    this.retryAfterMs = options.retryAfterMs;
  }
}

/** 5xx from the server. `retryAfterMs` is set when a 503 carried Retry-After. */
export class AseedServerError extends RetryableError implements AseedErrorInfo {
  readonly kind = 'server';
  readonly operation: AseedOperation;
  readonly status: number | undefined;
  readonly retryAfterMs: number | undefined;
  constructor(message: string, options: AseedErrorOptions & { retryAfterMs?: number }) {
    super(message, options);
    this.operation = options.operation;
    this.status = options.status;
    this.retryAfterMs = options.retryAfterMs;
  }
}

/** The request failed on the wire (connection refused or reset, DNS, TLS) without an HTTP response. */
export class AseedNetworkError extends RetryableError implements AseedErrorInfo {
  readonly kind: 'network' | 'timeout' = 'network';
  readonly operation: AseedOperation;
  readonly status = undefined;
  /** True when the request certainly never reached the server (e.g. ECONNREFUSED). */
  readonly notSent: boolean;
  constructor(message: string, options: AseedErrorOptions & { notSent?: boolean }) {
    super(message, options);
    this.operation = options.operation;
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
export class AseedMalformedResponseError extends PermanentError implements AseedErrorInfo {
  readonly kind = 'malformed-response';
  readonly operation: AseedOperation;
  readonly status: number | undefined;
  /** What did not match, e.g. `rooms.0.created_by: Invalid input: expected string, received undefined`. */
  readonly problems: string[];
  constructor(message: string, options: AseedErrorOptions & { problems: string[] }) {
    super(message, options);
    this.operation = options.operation;
    this.status = options.status;
    this.problems = options.problems;
  }
}

/**
 * createRooms may or may not have created rooms (timeout, connection cut after sending, 5xx, unreadable 200).
 * The create call has no idempotency key, so never resend blindly: list the project's rooms
 * (`listRooms({ projectId })`) and look for rooms created between `startedAt` and `endedAt` (allow for clock skew)
 * before creating again. `cause` holds the underlying Aseed error.
 */
export class CreateOutcomeUnknownError extends RetryableError implements AseedErrorInfo {
  readonly kind = 'create-outcome-unknown';
  readonly operation = 'createRooms';
  readonly status: number | undefined;
  readonly request: CreateRoomsRequest;
  readonly startedAt: Date;
  readonly endedAt: Date;
  constructor(
    message: string,
    options: ErrorOptions & { request: CreateRoomsRequest; startedAt: Date; endedAt: Date; status?: number },
  ) {
    super(message, options);
    this.request = options.request;
    this.startedAt = options.startedAt;
    this.endedAt = options.endedAt;
    this.status = options.status;
  }
}

/** The token provider passed to the client threw; retryable because secret stores fail transiently. */
export class AseedCredentialsError extends RetryableError implements AseedErrorInfo {
  readonly kind = 'credentials';
  readonly operation: AseedOperation;
  readonly status = undefined;
  constructor(message: string, options: AseedErrorOptions) {
    super(message, options);
    this.operation = options.operation;
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

const ASEED_ERROR_CLASSES = [
  AseedAuthError,
  AseedNotFoundError,
  AseedValidationError,
  AseedRequestInvalidError,
  AseedInsufficientTokensError,
  AseedRejectedError,
  AseedRateLimitedError,
  AseedServerError,
  AseedNetworkError,
  AseedMalformedResponseError,
  CreateOutcomeUnknownError,
  AseedCredentialsError,
] as const;

/** True when `error` was raised by the Aseed client. */
export const isAseedError = (error: unknown): error is AseedError =>
  ASEED_ERROR_CLASSES.some((cls) => error instanceof cls);
