/**
 * Typed client for the Aseed interviews API (see api.md and openapi-interviews.json).
 *
 * - Idempotent calls (config, list, get, PATCH, DELETE) retry 429/502/503/504 and network errors with
 *   exponential backoff and full jitter, honouring Retry-After.
 * - createRooms has no idempotency key, so it is sent exactly once: a 429 or 4xx means nothing was created,
 *   anything else without a readable 200 raises CreateOutcomeUnknownError for the caller to reconcile.
 * - Every response is parsed with the zod schemas; a mismatch is a typed error, never a silent `any`.
 */
import {
  AseedCredentialsError,
  type AseedError,
  AseedNetworkError,
  type AseedOperation,
  AseedRejectedError,
  AseedRequestInvalidError,
  CreateOutcomeUnknownError,
} from './errors.ts';
import {
  AseedHttp,
  type Call,
  parseResponse,
  type RawResponse,
  type RetryTrace,
  validateRequest,
  validateUuid,
} from './http.ts';
import { type RetryOptions, resolveRetryPolicy } from './retry.ts';
import {
  CreateRoomsRequest,
  CreateRoomsResponse,
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

/** Client of the Aseed interviews endpoints. */
export class AseedClient {
  readonly #http: AseedHttp;
  readonly #now: () => Date;

  constructor(options: AseedClientOptions) {
    const { token } = options;
    this.#now = options.now ?? (() => new Date());
    this.#http = new AseedHttp({
      baseUrl: options.baseUrl.replace(/\/+$/, ''),
      token: typeof token === 'string' ? async () => token : token,
      fetch: options.fetch ?? globalThis.fetch,
      timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      retry: resolveRetryPolicy(options.retry),
      now: this.#now,
    });
  }

  /** GET /api/interviews/config: the token price per 30 minutes. */
  async getConfig(): Promise<InterviewConfig> {
    const call: Call = { operation: 'getConfig', method: 'GET', path: '/api/interviews/config', auth: true };
    return this.#http.withRetry(call, (response) => parseResponse(call, InterviewConfig, response));
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
    const body = validateRequest(call, CreateRoomsRequest, request);
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
      response = await this.#http.send(call);
    } catch (error) {
      // A refused connection or a failed token lookup never reached the server: nothing was created.
      if (error instanceof AseedCredentialsError || (error instanceof AseedNetworkError && error.notSent)) {
        throw error;
      }
      throw unknown(error as AseedError);
    }
    if (response.status >= 200 && response.status < 300) {
      try {
        return parseResponse(call, CreateRoomsResponse, response).rooms;
      } catch (error) {
        // A 200 means rooms were created; we just cannot read which ones.
        throw unknown(error as AseedError, response.status);
      }
    }
    const error = this.#http.errorFor(call, response);
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
    if (filter.projectId !== undefined) validateUuid(call.operation, 'projectId', filter.projectId);
    return this.#http.withRetry(call, (response) => parseResponse(call, ListRoomsResponse, response));
  }

  /** GET /api/interviews/rooms/{room_id}. */
  async getRoom(roomId: string): Promise<InterviewRoom> {
    const call = this.#roomCall('getRoom', 'GET', roomId);
    return this.#http.withRetry(call, (response) => parseResponse(call, InterviewRoom, response));
  }

  /** PATCH /api/interviews/rooms/{room_id}: only pending rooms; null/absent fields stay unchanged. */
  async updateRoom(roomId: string, patch: UpdateRoomRequest): Promise<InterviewRoom> {
    const call = this.#roomCall('updateRoom', 'PATCH', roomId);
    call.body = validateRequest(call, UpdateRoomRequest, patch);
    return this.#http.withRetry(call, (response) => parseResponse(call, InterviewRoom, response));
  }

  /**
   * DELETE /api/interviews/rooms/{room_id}: cancels a pending room. When a retry finds the room no longer
   * pending because an earlier, unanswered attempt already cancelled it, that counts as success.
   */
  async deleteRoom(roomId: string): Promise<void> {
    const call = this.#roomCall('deleteRoom', 'DELETE', roomId);
    const trace: RetryTrace = { maybeProcessed: false };
    try {
      await this.#http.withRetry(call, () => undefined, trace);
    } catch (error) {
      if (!(error instanceof AseedRejectedError) || !trace.maybeProcessed) throw error;
      const room = await this.getRoom(roomId);
      if (room.status !== 'cancelled') throw error;
    }
  }

  /** Public GET /api/interviews/join/{access_token}: what the respondent page shows. Retried like the other GETs. */
  async getRoomInfo(accessToken: string): Promise<RoomInfo> {
    const call = this.#joinCall('getRoomInfo', 'GET', accessToken, '');
    return this.#http.withRetry(call, (response) => parseResponse(call, RoomInfo, response));
  }

  /** Public POST /api/interviews/join/{access_token}: records the email, room becomes active. Sent once. */
  async joinRoom(accessToken: string, email: string): Promise<JoinRoomResponse> {
    const call = this.#joinCall('joinRoom', 'POST', accessToken, '');
    call.body = validateRequest(call, JoinRoomRequest, { email });
    return this.#http.once(call, (response) => parseResponse(call, JoinRoomResponse, response));
  }

  /** Public POST /api/interviews/join/{access_token}/leave: room becomes completed. Sent once. */
  async leaveRoom(accessToken: string): Promise<void> {
    const call = this.#joinCall('leaveRoom', 'POST', accessToken, '/leave');
    await this.#http.once(call, () => undefined);
  }

  #roomCall(operation: AseedOperation, method: Call['method'], roomId: string): Call {
    const call: Call = { operation, method, path: '', auth: true };
    validateUuid(call.operation, 'roomId', roomId);
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
