// The HTTP side of the Aseed client: one exchange with a timeout, the retry loop of idempotent calls, and
// the mapping of answers to typed errors, with the token redacted from anything derived from a response.
import type { z } from 'zod';
import {
  AseedAuthError,
  AseedCredentialsError,
  type AseedError,
  AseedInsufficientTokensError,
  AseedMalformedResponseError,
  AseedNetworkError,
  AseedNotFoundError,
  type AseedOperation,
  AseedRateLimitedError,
  AseedRejectedError,
  AseedRequestInvalidError,
  AseedServerError,
  AseedTimeoutError,
  AseedValidationError,
} from './errors.ts';
import { backoffDelayMs, parseRetryAfter, type RetryPolicy } from './retry.ts';
import { ErrorBody } from './schemas.ts';

const MAX_DETAIL_CHARS = 300;
/** Network errors raised before anything reached the server. */
const DEFINITELY_NOT_SENT = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
]);
const RETRYABLE_STATUSES = new Set([429, 502, 503, 504]);

/** One API call: which operation, and the request it makes. */
export interface Call {
  operation: AseedOperation;
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  path: string;
  query?: Record<string, string | undefined>;
  body?: unknown;
  /** Public respondent endpoints send no Authorization header. */
  auth: boolean;
}

/** An answer as read off the wire. */
export interface RawResponse {
  status: number;
  headers: Headers;
  /** Parsed JSON, `undefined` for an empty body. */
  json: unknown;
  /** True when the body was not JSON. */
  unparseable: boolean;
  /** Token used for this attempt, to redact it from anything derived from the response. */
  token: string | undefined;
}

/** Tracks, across retries, whether an earlier attempt may have been processed by the server. */
export interface RetryTrace {
  maybeProcessed: boolean;
}

/** What the transport is built with, defaults resolved. */
export interface HttpOptions {
  baseUrl: string;
  token: () => Promise<string>;
  fetch: typeof globalThis.fetch;
  timeoutMs: number;
  retry: RetryPolicy;
  now: () => Date;
}

class TimeoutSignal extends Error {}

/** The Aseed API over HTTP: single exchanges, retried exchanges, typed errors. */
export class AseedHttp {
  constructor(private readonly options: HttpOptions) {}

  /** Sends once and maps a non-2xx answer to its typed error. */
  async once<T>(call: Call, handle: (response: RawResponse) => T): Promise<T> {
    const response = await this.send(call);
    if (response.status >= 200 && response.status < 300) return handle(response);
    throw this.errorFor(call, response);
  }

  /** Sends until answered, retrying 429/502/503/504 and network errors with backoff (Retry-After honoured). */
  async withRetry<T>(
    call: Call,
    handle: (response: RawResponse) => T,
    trace: RetryTrace = { maybeProcessed: false },
  ): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      let error: AseedError;
      try {
        return await this.once(call, handle);
      } catch (caught) {
        error = caught as AseedError;
      }
      const retryable =
        error instanceof AseedNetworkError ||
        ((error instanceof AseedRateLimitedError || error instanceof AseedServerError) &&
          error.status !== undefined &&
          RETRYABLE_STATUSES.has(error.status));
      if (!retryable || attempt >= this.options.retry.maxAttempts) throw error;
      const retryAfterMs =
        error instanceof AseedRateLimitedError || error instanceof AseedServerError
          ? error.retryAfterMs
          : undefined;
      if (retryAfterMs !== undefined && retryAfterMs > this.options.retry.maxRetryAfterMs) throw error;
      // 429 is answered before processing; a cut connection, timeout or gateway error may not have been.
      if (
        !(error instanceof AseedRateLimitedError) &&
        !(error instanceof AseedNetworkError && error.notSent)
      ) {
        trace.maybeProcessed = true;
      }
      await this.options.retry.sleep(retryAfterMs ?? backoffDelayMs(attempt, this.options.retry));
    }
  }

  /** One HTTP exchange with a timeout covering headers and body. Throws only network-level errors. */
  async send(call: Call): Promise<RawResponse> {
    const token = call.auth ? await this.tokenFor(call) : undefined;
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(new TimeoutSignal()), this.options.timeoutMs);
    try {
      const response = await this.options.fetch(this.urlOf(call), {
        method: call.method,
        headers: headersOf(call, token),
        body: call.body === undefined ? undefined : JSON.stringify(call.body),
        signal: controller.signal,
      });
      const { json, unparseable } = jsonOf(await response.text());
      return { status: response.status, headers: response.headers, json, unparseable, token };
    } catch (error) {
      const timedOut = controller.signal.aborted && controller.signal.reason instanceof TimeoutSignal;
      throw timedOut ? this.timeout(call, error) : networkError(call, error, token);
    } finally {
      clearTimeout(timer);
    }
  }

  private async tokenFor(call: Call): Promise<string> {
    try {
      return await this.options.token();
    } catch (error) {
      throw new AseedCredentialsError(`Aseed ${call.operation} failed: the token provider threw`, {
        operation: call.operation,
        cause: error,
      });
    }
  }

  private urlOf(call: Call): URL {
    const url = new URL(`${this.options.baseUrl}${call.path}`);
    for (const [key, value] of Object.entries(call.query ?? {})) {
      if (value !== undefined) url.searchParams.set(key, value);
    }
    return url;
  }

  private timeout(call: Call, cause: unknown): AseedTimeoutError {
    const { timeoutMs } = this.options;
    return new AseedTimeoutError(`Aseed ${call.operation} timed out after ${timeoutMs} ms`, {
      operation: call.operation,
      timeoutMs,
      cause,
    });
  }

  /** Maps a non-2xx response to its typed error. */
  errorFor(call: Call, response: RawResponse): AseedError {
    const { status } = response;
    const parsedBody = ErrorBody.safeParse(response.json);
    const detail = parsedBody.success ? parsedBody.data.detail : undefined;
    const detailText =
      detail === undefined
        ? ''
        : typeof detail === 'string'
          ? detail
          : detail.map((item) => `${item.loc.join('.')}: ${item.msg}`).join('; ');
    const message = redact(
      `Aseed ${call.operation} failed: HTTP ${status}${detailText ? `: ${truncate(detailText)}` : ''}`,
      response.token,
    );
    const options = { operation: call.operation, status };
    const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'), this.options.now());
    if (status === 401 || status === 403) return new AseedAuthError(message, options);
    if (status === 404) return new AseedNotFoundError(message, options);
    if (status === 402) return new AseedInsufficientTokensError(message, options);
    if (status === 422 && Array.isArray(detail)) {
      return new AseedValidationError(message, {
        ...options,
        detail: detail.map((item) => redactItem(item, response.token)),
      });
    }
    if (status === 429) return new AseedRateLimitedError(message, { ...options, retryAfterMs });
    if (status >= 500) return new AseedServerError(message, { ...options, retryAfterMs });
    return new AseedRejectedError(message, options);
  }
}

/** The request headers of a call. */
const headersOf = (call: Call, token: string | undefined): Record<string, string> => {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (token !== undefined) headers.authorization = `Bearer ${token}`;
  if (call.body !== undefined) headers['content-type'] = 'application/json';
  return headers;
};

/** A body as JSON: undefined when empty, `unparseable` when not JSON. */
const jsonOf = (text: string): { json: unknown; unparseable: boolean } => {
  if (text.trim().length === 0) return { json: undefined, unparseable: false };
  try {
    return { json: JSON.parse(text), unparseable: false };
  } catch {
    return { json: undefined, unparseable: true };
  }
};

/** A network failure, saying whether the request surely never reached the server. */
const networkError = (call: Call, error: unknown, token: string | undefined): AseedNetworkError => {
  const code = networkCode(error);
  return new AseedNetworkError(
    redact(
      `Aseed ${call.operation} failed on the network: ${describe(error)}${code ? ` (${code})` : ''}`,
      token,
    ),
    { operation: call.operation, notSent: code !== undefined && DEFINITELY_NOT_SENT.has(code), cause: error },
  );
};

/** The body of a 2xx answer, checked against its schema; a mismatch is a typed error. */
export const parseResponse = <S extends z.ZodType>(
  call: Call,
  schema: S,
  response: RawResponse,
): z.infer<S> => {
  const parsed = response.unparseable ? undefined : schema.safeParse(response.json);
  if (parsed?.success) return parsed.data;
  const problems = parsed
    ? parsed.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`)
    : ['body is not JSON'];
  throw new AseedMalformedResponseError(
    redact(
      `Aseed ${call.operation} returned a malformed ${response.status} response: ${truncate(problems.join('; '))}`,
      response.token,
    ),
    { operation: call.operation, status: response.status, problems },
  );
};

/** A request body checked against its schema before anything is sent. */
export const validateRequest = <S extends z.ZodType>(call: Call, schema: S, value: unknown): z.infer<S> => {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map(
    (issue) => `${issue.path.join('.') || '(body)'}: ${issue.message}`,
  );
  throw new AseedRequestInvalidError(
    `Aseed ${call.operation} refused before sending: ${truncate(problems.join('; '))}`,
    { operation: call.operation, problems },
  );
};

/** Refuses, before sending, an id that is not a UUID. */
export const validateUuid = (operation: AseedOperation, name: string, value: string): void => {
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value)) {
    throw new AseedRequestInvalidError(`Aseed ${operation} refused before sending: ${name} is not a UUID`, {
      operation,
      problems: [`${name}: must be a UUID`],
    });
  }
};

const truncate = (text: string): string =>
  text.length > MAX_DETAIL_CHARS ? `${text.slice(0, MAX_DETAIL_CHARS)}…` : text;

/** Removes the API token from text that may echo server or library output. */
const redact = (text: string, token: string | undefined): string =>
  token && token.length > 0 ? text.split(token).join('[redacted]') : text;

const redactItem = <T extends { msg: string }>(item: T, token: string | undefined): T => ({
  ...item,
  msg: redact(item.msg, token),
});

const describe = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/** The errno-style code undici puts on `error.cause` (or deeper), if any. */
const networkCode = (error: unknown): string | undefined => {
  let current: unknown = error;
  for (let depth = 0; depth < 4 && current instanceof Error; depth++) {
    const code = (current as Error & { code?: unknown }).code;
    if (typeof code === 'string') return code;
    current = current.cause;
  }
  return undefined;
};
