/**
 * Typed client for the Aseed interviews API (see api.md and openapi-interviews.json).
 *
 * - Idempotent calls (config, list, get, PATCH, DELETE) retry 429/502/503/504 and network errors with
 *   exponential backoff and full jitter, honouring Retry-After.
 * - createRooms has no idempotency key, so it is sent exactly once: a 429 or 4xx means nothing was created,
 *   anything else without a readable 200 raises CreateOutcomeUnknownError for the caller to reconcile.
 * - Every response is parsed with the zod schemas; a mismatch is a typed error, never a silent `any`.
 */
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
  CreateOutcomeUnknownError,
} from './errors.ts';
import {
  backoffDelayMs,
  parseRetryAfter,
  type RetryOptions,
  type RetryPolicy,
  resolveRetryPolicy,
} from './retry.ts';
import {
  CreateRoomsRequest,
  CreateRoomsResponse,
  ErrorBody,
  InterviewConfig,
  InterviewRoom,
  JoinRoomRequest,
  JoinRoomResponse,
  ListRoomsResponse,
  MAX_ROOMS_PER_CREATE,
  RoomInfo,
  UpdateRoomRequest,
} from './schemas.ts';

/** Options of AseedClient. */
export interface AseedClientOptions {
  /** API base, e.g. `https://app.aseed.ai/custdev` or the stand-in's `http://127.0.0.1:8787`. */
  baseUrl: string;
  /** Bearer token, or an async provider called before every request (e.g. a cached Secrets Manager read). */
  token: string | (() => Promise<string>);
  /** Injected fetch; defaults to the global one. */
  fetch?: typeof globalThis.fetch;
  /** Per-attempt timeout covering the response headers and body. Default 10 s. */
  timeoutMs?: number;
  /** Retry policy of the idempotent calls. */
  retry?: RetryOptions;
  /** Clock for Retry-After dates and the create timestamps. */
  now?: () => Date;
}

/** Filters of listRooms. */
export interface ListRoomsFilter {
  projectId?: string;
  status?: string;
}

/** Default per-attempt timeout. */
export const DEFAULT_TIMEOUT_MS = 10_000;

const MAX_DETAIL_CHARS = 300;
const DEFINITELY_NOT_SENT = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
]);
const RETRYABLE_STATUSES = new Set([429, 502, 503, 504]);

interface Call {
  operation: AseedOperation;
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  path: string;
  query?: Record<string, string | undefined>;
  body?: unknown;
  /** Public respondent endpoints send no Authorization header. */
  auth: boolean;
}

interface RawResponse {
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
interface RetryTrace {
  maybeProcessed: boolean;
}

class TimeoutSignal extends Error {}

/** Client of the Aseed interviews endpoints. */
export class AseedClient {
  readonly #baseUrl: string;
  readonly #token: () => Promise<string>;
  readonly #fetch: typeof globalThis.fetch;
  readonly #timeoutMs: number;
  readonly #retry: RetryPolicy;
  readonly #now: () => Date;

  constructor(options: AseedClientOptions) {
    this.#baseUrl = options.baseUrl.replace(/\/+$/, '');
    const { token } = options;
    this.#token = typeof token === 'string' ? async () => token : token;
    this.#fetch = options.fetch ?? globalThis.fetch;
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.#retry = resolveRetryPolicy(options.retry);
    this.#now = options.now ?? (() => new Date());
  }

  /** GET /api/interviews/config: the token price per 30 minutes. */
  async getConfig(): Promise<InterviewConfig> {
    const call: Call = { operation: 'getConfig', method: 'GET', path: '/api/interviews/config', auth: true };
    return this.#withRetry(call, (response) => this.#parse(call, InterviewConfig, response));
  }

  /**
   * POST /api/interviews/rooms, sent exactly once. count outside 1..100 is refused before sending.
   * Throws CreateOutcomeUnknownError when rooms may have been created without us seeing them.
   */
  async createRooms(request: CreateRoomsRequest): Promise<InterviewRoom[]> {
    const call: Call = {
      operation: 'createRooms',
      method: 'POST',
      path: '/api/interviews/rooms',
      auth: true,
    };
    const body = this.#validateRequest(call, CreateRoomsRequest, request);
    if (body.count !== undefined && (body.count < 1 || body.count > MAX_ROOMS_PER_CREATE)) {
      throw new AseedRequestInvalidError(
        `Aseed createRooms refused before sending: count must be between 1 and ${MAX_ROOMS_PER_CREATE}, got ${body.count}`,
        { operation: call.operation, problems: [`count: must be between 1 and ${MAX_ROOMS_PER_CREATE}`] },
      );
    }
    call.body = body;
    const startedAt = this.#now();
    const unknown = (cause: AseedError, status?: number) =>
      new CreateOutcomeUnknownError(
        `Aseed createRooms outcome unknown (${cause.message}); reconcile with listRooms before creating again`,
        { cause, request: body, startedAt, endedAt: this.#now(), status },
      );

    let response: RawResponse;
    try {
      response = await this.#send(call);
    } catch (error) {
      // A refused connection or a failed token lookup never reached the server: nothing was created.
      if (error instanceof AseedCredentialsError || (error instanceof AseedNetworkError && error.notSent)) {
        throw error;
      }
      throw unknown(error as AseedError);
    }
    if (response.status >= 200 && response.status < 300) {
      try {
        return this.#parse(call, CreateRoomsResponse, response).rooms;
      } catch (error) {
        // A 200 means rooms were created; we just cannot read which ones.
        throw unknown(error as AseedError, response.status);
      }
    }
    const error = this.#errorFor(call, response);
    if (response.status >= 500 || response.status === 408) throw unknown(error, response.status);
    throw error;
  }

  /** GET /api/interviews/rooms: the token owner's rooms (a bare array, unpaginated), optionally filtered. */
  async listRooms(filter: ListRoomsFilter = {}): Promise<InterviewRoom[]> {
    const call: Call = {
      operation: 'listRooms',
      method: 'GET',
      path: '/api/interviews/rooms',
      query: { project_id: filter.projectId, status: filter.status },
      auth: true,
    };
    if (filter.projectId !== undefined) this.#validateUuid(call, 'projectId', filter.projectId);
    return this.#withRetry(call, (response) => this.#parse(call, ListRoomsResponse, response));
  }

  /** GET /api/interviews/rooms/{room_id}. */
  async getRoom(roomId: string): Promise<InterviewRoom> {
    const call = this.#roomCall('getRoom', 'GET', roomId);
    return this.#withRetry(call, (response) => this.#parse(call, InterviewRoom, response));
  }

  /** PATCH /api/interviews/rooms/{room_id}: only pending rooms; null/absent fields stay unchanged. */
  async updateRoom(roomId: string, patch: UpdateRoomRequest): Promise<InterviewRoom> {
    const call = this.#roomCall('updateRoom', 'PATCH', roomId);
    call.body = this.#validateRequest(call, UpdateRoomRequest, patch);
    return this.#withRetry(call, (response) => this.#parse(call, InterviewRoom, response));
  }

  /**
   * DELETE /api/interviews/rooms/{room_id}: cancels a pending room. When a retry finds the room no longer
   * pending because an earlier, unanswered attempt already cancelled it, that counts as success.
   */
  async deleteRoom(roomId: string): Promise<void> {
    const call = this.#roomCall('deleteRoom', 'DELETE', roomId);
    const trace: RetryTrace = { maybeProcessed: false };
    try {
      await this.#withRetry(call, () => undefined, trace);
    } catch (error) {
      if (!(error instanceof AseedRejectedError) || !trace.maybeProcessed) throw error;
      const room = await this.getRoom(roomId);
      if (room.status !== 'cancelled') throw error;
    }
  }

  /** Public GET /api/interviews/join/{access_token}: what the respondent page shows. Retried like the other GETs. */
  async getRoomInfo(accessToken: string): Promise<RoomInfo> {
    const call = this.#joinCall('getRoomInfo', 'GET', accessToken, '');
    return this.#withRetry(call, (response) => this.#parse(call, RoomInfo, response));
  }

  /** Public POST /api/interviews/join/{access_token}: records the email, room becomes active. Sent once. */
  async joinRoom(accessToken: string, email: string): Promise<JoinRoomResponse> {
    const call = this.#joinCall('joinRoom', 'POST', accessToken, '');
    call.body = this.#validateRequest(call, JoinRoomRequest, { email });
    return this.#once(call, (response) => this.#parse(call, JoinRoomResponse, response));
  }

  /** Public POST /api/interviews/join/{access_token}/leave: room becomes completed. Sent once. */
  async leaveRoom(accessToken: string): Promise<void> {
    const call = this.#joinCall('leaveRoom', 'POST', accessToken, '/leave');
    await this.#once(call, () => undefined);
  }

  #roomCall(operation: AseedOperation, method: Call['method'], roomId: string): Call {
    const call: Call = { operation, method, path: '', auth: true };
    this.#validateUuid(call, 'roomId', roomId);
    call.path = `/api/interviews/rooms/${encodeURIComponent(roomId)}`;
    return call;
  }

  #joinCall(operation: AseedOperation, method: Call['method'], accessToken: string, suffix: string): Call {
    if (accessToken.length === 0) {
      throw new AseedRequestInvalidError(`Aseed ${operation} refused before sending: empty access token`, {
        operation,
        problems: ['accessToken: must not be empty'],
      });
    }
    return {
      operation,
      method,
      path: `/api/interviews/join/${encodeURIComponent(accessToken)}${suffix}`,
      auth: false,
    };
  }

  #validateUuid(call: Call, name: string, value: string): void {
    if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value)) {
      throw new AseedRequestInvalidError(
        `Aseed ${call.operation} refused before sending: ${name} is not a UUID`,
        {
          operation: call.operation,
          problems: [`${name}: must be a UUID`],
        },
      );
    }
  }

  #validateRequest<S extends z.ZodType>(call: Call, schema: S, value: unknown): z.infer<S> {
    const parsed = schema.safeParse(value);
    if (parsed.success) return parsed.data;
    const problems = parsed.error.issues.map(
      (issue) => `${issue.path.join('.') || '(body)'}: ${issue.message}`,
    );
    throw new AseedRequestInvalidError(
      `Aseed ${call.operation} refused before sending: ${truncate(problems.join('; '))}`,
      { operation: call.operation, problems },
    );
  }

  #parse<S extends z.ZodType>(call: Call, schema: S, response: RawResponse): z.infer<S> {
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
  }

  /** Sends once and maps a non-2xx answer to its typed error. */
  async #once<T>(call: Call, handle: (response: RawResponse) => T): Promise<T> {
    const response = await this.#send(call);
    if (response.status >= 200 && response.status < 300) return handle(response);
    throw this.#errorFor(call, response);
  }

  async #withRetry<T>(
    call: Call,
    handle: (response: RawResponse) => T,
    trace: RetryTrace = { maybeProcessed: false },
  ): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      let error: AseedError;
      try {
        return await this.#once(call, handle);
      } catch (caught) {
        error = caught as AseedError;
      }
      const retryable =
        error instanceof AseedNetworkError ||
        ((error instanceof AseedRateLimitedError || error instanceof AseedServerError) &&
          error.status !== undefined &&
          RETRYABLE_STATUSES.has(error.status));
      if (!retryable || attempt >= this.#retry.maxAttempts) throw error;
      const retryAfterMs =
        error instanceof AseedRateLimitedError || error instanceof AseedServerError
          ? error.retryAfterMs
          : undefined;
      if (retryAfterMs !== undefined && retryAfterMs > this.#retry.maxRetryAfterMs) throw error;
      // 429 is answered before processing; a cut connection, timeout or gateway error may not have been.
      if (
        !(error instanceof AseedRateLimitedError) &&
        !(error instanceof AseedNetworkError && error.notSent)
      ) {
        trace.maybeProcessed = true;
      }
      await this.#retry.sleep(retryAfterMs ?? backoffDelayMs(attempt, this.#retry));
    }
  }

  /** One HTTP exchange with a timeout covering headers and body. Throws only network-level errors. */
  async #send(call: Call): Promise<RawResponse> {
    let token: string | undefined;
    if (call.auth) {
      try {
        token = await this.#token();
      } catch (error) {
        throw new AseedCredentialsError(`Aseed ${call.operation} failed: the token provider threw`, {
          operation: call.operation,
          cause: error,
        });
      }
    }
    const url = new URL(`${this.#baseUrl}${call.path}`);
    for (const [key, value] of Object.entries(call.query ?? {})) {
      if (value !== undefined) url.searchParams.set(key, value);
    }
    const headers: Record<string, string> = { accept: 'application/json' };
    if (token !== undefined) headers.authorization = `Bearer ${token}`;
    if (call.body !== undefined) headers['content-type'] = 'application/json';

    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(new TimeoutSignal()), this.#timeoutMs);
    try {
      const response = await this.#fetch(url, {
        method: call.method,
        headers,
        body: call.body === undefined ? undefined : JSON.stringify(call.body),
        signal: controller.signal,
      });
      const text = await response.text();
      let json: unknown;
      let unparseable = false;
      if (text.trim().length > 0) {
        try {
          json = JSON.parse(text);
        } catch {
          unparseable = true;
        }
      }
      return { status: response.status, headers: response.headers, json, unparseable, token };
    } catch (error) {
      if (controller.signal.aborted && controller.signal.reason instanceof TimeoutSignal) {
        throw new AseedTimeoutError(`Aseed ${call.operation} timed out after ${this.#timeoutMs} ms`, {
          operation: call.operation,
          timeoutMs: this.#timeoutMs,
          cause: error,
        });
      }
      const code = networkCode(error);
      throw new AseedNetworkError(
        redact(
          `Aseed ${call.operation} failed on the network: ${describe(error)}${code ? ` (${code})` : ''}`,
          token,
        ),
        {
          operation: call.operation,
          notSent: code !== undefined && DEFINITELY_NOT_SENT.has(code),
          cause: error,
        },
      );
    } finally {
      clearTimeout(timer);
    }
  }

  /** Maps a non-2xx response to its typed error. */
  #errorFor(call: Call, response: RawResponse): AseedError {
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
    const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'), this.#now());
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

/**
 * Rooms of `error.request.project_id` created while the failed create call was in flight, widened by
 * `skewMs` for clock differences: the candidates a caller adopts instead of creating again.
 */
export const roomsCreatedDuring = (
  rooms: readonly InterviewRoom[],
  error: CreateOutcomeUnknownError,
  skewMs = 5_000,
): InterviewRoom[] => {
  const from = error.startedAt.getTime() - skewMs;
  const to = error.endedAt.getTime() + skewMs;
  return rooms.filter((room) => {
    const createdAt = Date.parse(room.created_at);
    return room.project_id === error.request.project_id && createdAt >= from && createdAt <= to;
  });
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
