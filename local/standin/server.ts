/**
 * In-memory stand-in of the Aseed interviews API (node:http, no framework), faithful to the published schema
 * and to FastAPI's error shapes. The status codes it picks where the real API is undocumented are listed in
 * local/standin/README.md. Every room it ever created stays in memory and is handed out by `rooms()` as
 * ground truth for tests.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { InterviewRoom } from '#shared/aseed/schemas.ts';
import { type FaultKind, mulberry32, rollFault, type StandinFaults } from './faults.ts';

export type { FaultKind, StandinFaults } from './faults.ts';
export { parseFaultSpec } from './faults.ts';

/** The project every stand-in accepts unless `projectIds` says otherwise (printed by the CLI). */
export const DEMO_PROJECT_ID = '5eed0000-0000-4000-8000-00000000d3a0';
/** Name shown by the public room-info endpoint for every project. */
export const DEMO_PROJECT_NAME = 'Stand-in demo project';
/** `created_by` of every room: the single user the bearer token belongs to. */
export const STANDIN_USER_ID = '5eed0000-0000-4000-8000-0000000005e5';
/** Default token balance of a new stand-in. */
export const DEFAULT_TOKEN_BALANCE = 1_000_000;
/** Default price returned by /config. */
export const DEFAULT_TOKENS_PER_30_MIN = 10;
/** Largest accepted request body. */
export const MAX_BODY_BYTES = 1024 * 1024;

/** Options of startStandin. */
export interface StandinOptions {
  /** Port to listen on; 0 (default) picks a free one. */
  port?: number;
  /** Interface to bind; default 127.0.0.1. */
  host?: string;
  /** The only bearer token accepted. */
  token: string;
  /** Projects the token's owner has; default [DEMO_PROJECT_ID]. */
  projectIds?: string[];
  /** Tokens available for reservations; default DEFAULT_TOKEN_BALANCE. */
  tokenBalance?: number;
  /** Price returned by /config and used for reservations; default DEFAULT_TOKENS_PER_30_MIN. */
  tokensPer30Min?: number;
  /** Initial faults; none by default. */
  faults?: StandinFaults;
  /** PRNG seed of the fault rolls (faults.seed wins); default 0x5eed. */
  seed?: number;
  /** Clock for created_at, expiry and join/leave timestamps. */
  now?: () => Date;
}

/** Counters for tests and the CLI. */
export interface StandinStats {
  /** POST /api/interviews/rooms requests received, whatever their outcome. */
  createCalls: number;
  /** Rooms created in total (including those whose response was dropped). */
  roomsCreated: number;
  faultsInjected: Record<FaultKind, number>;
  /** Requests per route, keyed like `GET /api/interviews/rooms/{room_id}`; unknown paths under `unmatched`. */
  requests: Record<string, number>;
  /** Handler crashes answered with 500; should always be 0. */
  internalErrors: number;
  /** Tokens currently available. */
  tokenBalance: number;
}

/** A running stand-in. */
export interface Standin {
  /** e.g. `http://127.0.0.1:8787`; pass as the client's baseUrl. */
  readonly baseUrl: string;
  readonly port: number;
  readonly token: string;
  /** The demo project (the first of `projectIds`). */
  readonly projectId: string;
  /** Every room ever created, API shape, current status (expiry applied). */
  rooms(): InterviewRoom[];
  stats(): StandinStats;
  /** Replaces the faults; `faults.seed` re-seeds the PRNG. */
  setFaults(faults: StandinFaults): void;
  /** Sets the available token balance. */
  setBalance(tokens: number): void;
  /** Stops listening and cuts open connections. */
  close(): Promise<void>;
}

type Room = Required<{ [K in keyof InterviewRoom]: Exclude<InterviewRoom[K], undefined> }>;

interface RoomRecord {
  room: Room;
  /** Tokens held for this room until it completes (charged) or is cancelled/expires (released). */
  reserved: number;
}

interface Reply {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

/** One FastAPI/Pydantic validation problem. */
interface Issue {
  type: string;
  loc: (string | number)[];
  msg: string;
  input: unknown;
  ctx?: Record<string, unknown>;
}

interface Route {
  key: string;
  auth: boolean;
  param?: string;
  handler: 'config' | 'create' | 'list' | 'get' | 'patch' | 'delete' | 'info' | 'join' | 'leave';
}

const UUID_RE =
  /^(?:urn:uuid:)?\{?([0-9a-f]{8})-?([0-9a-f]{4})-?([0-9a-f]{4})-?([0-9a-f]{4})-?([0-9a-f]{12})\}?$/i;
const DATETIME_RE = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?$/i;
const EMAIL_RE = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

const detail = (status: number, message: string, headers?: Record<string, string>): Reply => ({
  status,
  body: { detail: message },
  headers,
});
const invalid = (issues: Issue[]): Reply => ({ status: 422, body: { detail: issues } });

/** Canonical lowercase UUID, or undefined when Pydantic's UUID type would reject it. */
const canonicalUuid = (value: string): string | undefined => {
  const match = UUID_RE.exec(value);
  return match ? match.slice(1, 6).join('-').toLowerCase() : undefined;
};

const uuidIssue = (loc: (string | number)[], input: unknown): Issue | undefined => {
  if (typeof input !== 'string') {
    return { type: 'uuid_type', loc, msg: 'UUID input should be a string, bytes or UUID object', input };
  }
  if (canonicalUuid(input) !== undefined) return undefined;
  return {
    type: 'uuid_parsing',
    loc,
    msg: 'Input should be a valid UUID, invalid character or length',
    input,
    ctx: { error: 'invalid character or length' },
  };
};

/** Pydantic lax int: integers, integral floats and numeric strings. */
const readInt = (issues: Issue[], loc: (string | number)[], input: unknown): number | undefined => {
  if (typeof input === 'number') {
    if (Number.isInteger(input)) return input;
    if (Number.isFinite(input)) {
      issues.push({
        type: 'int_from_float',
        loc,
        msg: 'Input should be a valid integer, got a number with a fractional part',
        input,
      });
      return undefined;
    }
  }
  if (typeof input === 'string') {
    if (/^\s*[+-]?\d+\s*$/.test(input)) return Number(input);
    issues.push({
      type: 'int_parsing',
      loc,
      msg: 'Input should be a valid integer, unable to parse string as an integer',
      input,
    });
    return undefined;
  }
  issues.push({ type: 'int_type', loc, msg: 'Input should be a valid integer', input });
  return undefined;
};

const readString = (issues: Issue[], loc: (string | number)[], input: unknown, maxLength?: number) => {
  if (typeof input !== 'string') {
    issues.push({ type: 'string_type', loc, msg: 'Input should be a valid string', input });
    return undefined;
  }
  if (maxLength !== undefined && [...input].length > maxLength) {
    issues.push({
      type: 'string_too_long',
      loc,
      msg: `String should have at most ${maxLength} characters`,
      input,
      ctx: { max_length: maxLength },
    });
    return undefined;
  }
  return input;
};

const readBool = (issues: Issue[], loc: (string | number)[], input: unknown): boolean | undefined => {
  if (typeof input === 'boolean') return input;
  issues.push({ type: 'bool_type', loc, msg: 'Input should be a valid boolean', input });
  return undefined;
};

/** ISO date-time → canonical `...Z` string; naive values are taken as UTC. */
const readDateTime = (issues: Issue[], loc: (string | number)[], input: unknown): string | undefined => {
  if (typeof input === 'string' && DATETIME_RE.test(input)) {
    const match = DATETIME_RE.exec(input);
    const parsed = Date.parse(match?.[1] ? input : `${input}Z`);
    if (!Number.isNaN(parsed)) return new Date(parsed).toISOString();
  }
  issues.push({
    type: typeof input === 'string' ? 'datetime_from_date_parsing' : 'datetime_type',
    loc,
    msg: 'Input should be a valid datetime',
    input,
  });
  return undefined;
};

/** Decodes a JSON body the way FastAPI does for a required Pydantic model body. */
const parseJsonObject = (raw: string): { value: Record<string, unknown> } | { reply: Reply } => {
  if (raw.trim() === '') {
    return { reply: invalid([{ type: 'missing', loc: ['body'], msg: 'Field required', input: null }]) };
  }
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch (error) {
    const message = error instanceof Error ? error.message : 'invalid JSON';
    const position = Number(/position (\d+)/.exec(message)?.[1] ?? raw.length);
    return {
      reply: invalid([
        {
          type: 'json_invalid',
          loc: ['body', position],
          msg: 'JSON decode error',
          input: {},
          ctx: { error: message },
        },
      ]),
    };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return {
      reply: invalid([
        {
          type: 'model_attributes_type',
          loc: ['body'],
          msg: 'Input should be a valid dictionary or object to extract fields from',
          input: value,
        },
      ]),
    };
  }
  return { value: value as Record<string, unknown> };
};

const fakeJwt = (claims: Record<string, unknown>): string => {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${part({ alg: 'HS256', typ: 'JWT' })}.${part(claims)}.${randomBytes(32).toString('base64url')}`;
};

const matchRoute = (method: string, path: string): { route: Route; param?: string } | { reply: Reply } => {
  const segments = path.split('/').filter((segment) => segment !== '');
  const [api, interviews, resource, param, extra, ...rest] = segments;
  const notFound = { reply: detail(404, 'Not Found') };
  if (api !== 'api' || interviews !== 'interviews' || rest.length > 0) return notFound;
  const methods = (allowed: Record<string, Route>, value?: string) => {
    const route = allowed[method];
    if (route) return { route, param: value };
    return { reply: detail(405, 'Method Not Allowed', { allow: Object.keys(allowed).join(', ') }) };
  };
  if (resource === 'config' && param === undefined) {
    return methods({ GET: { key: 'GET /api/interviews/config', auth: true, handler: 'config' } });
  }
  if (resource === 'rooms' && param === undefined) {
    return methods({
      GET: { key: 'GET /api/interviews/rooms', auth: true, handler: 'list' },
      POST: { key: 'POST /api/interviews/rooms', auth: true, handler: 'create' },
    });
  }
  if (resource === 'rooms' && param !== undefined && extra === undefined) {
    const key = '/api/interviews/rooms/{room_id}';
    return methods(
      {
        GET: { key: `GET ${key}`, auth: true, handler: 'get' },
        PATCH: { key: `PATCH ${key}`, auth: true, handler: 'patch' },
        DELETE: { key: `DELETE ${key}`, auth: true, handler: 'delete' },
      },
      param,
    );
  }
  if (resource === 'join' && param !== undefined && extra === undefined) {
    const key = '/api/interviews/join/{access_token}';
    return methods(
      {
        GET: { key: `GET ${key}`, auth: false, handler: 'info' },
        POST: { key: `POST ${key}`, auth: false, handler: 'join' },
      },
      param,
    );
  }
  if (resource === 'join' && param !== undefined && extra === 'leave') {
    return methods(
      { POST: { key: 'POST /api/interviews/join/{access_token}/leave', auth: false, handler: 'leave' } },
      param,
    );
  }
  return notFound;
};

/** Starts a stand-in on 127.0.0.1 (port 0 = a free port). */
export const startStandin = async (options: StandinOptions): Promise<Standin> => {
  const host = options.host ?? '127.0.0.1';
  const now = options.now ?? (() => new Date());
  const projectIds = (options.projectIds ?? [DEMO_PROJECT_ID]).map((id) => canonicalUuid(id) ?? id);
  const projectId = projectIds[0] ?? DEMO_PROJECT_ID;
  const tokensPer30Min = options.tokensPer30Min ?? DEFAULT_TOKENS_PER_30_MIN;
  let balance = options.tokenBalance ?? DEFAULT_TOKEN_BALANCE;
  let faults: StandinFaults = { ...options.faults };
  let random = mulberry32(options.faults?.seed ?? options.seed ?? 0x5eed);
  let baseUrl = '';

  const records: RoomRecord[] = [];
  const byId = new Map<string, RoomRecord>();
  const byAccessToken = new Map<string, RoomRecord>();
  const counters = {
    createCalls: 0,
    roomsCreated: 0,
    internalErrors: 0,
    faultsInjected: { '429': 0, '500': 0, '503': 0, drop: 0 } as Record<FaultKind, number>,
    requests: {} as Record<string, number>,
  };

  /** Expiry is computed lazily: a pending room past expires_at becomes expired and releases its tokens. */
  const refresh = () => {
    const nowMs = now().getTime();
    for (const record of records) {
      const { room } = record;
      if (room.status === 'pending' && room.expires_at !== null && Date.parse(room.expires_at) <= nowMs) {
        room.status = 'expired';
        balance += record.reserved;
        record.reserved = 0;
      }
    }
  };

  const costPerRoom = (durationMinutes: number) => Math.ceil(durationMinutes / 30) * tokensPer30Min;

  const handlers = {
    config: (): Reply => ({ status: 200, body: { tokens_per_30_min: tokensPer30Min } }),

    create: (raw: string): Reply => {
      const parsed = parseJsonObject(raw);
      if ('reply' in parsed) return parsed.reply;
      const body = parsed.value;
      const issues: Issue[] = [];
      let project: string | undefined;
      if (body.project_id === undefined) {
        issues.push({ type: 'missing', loc: ['body', 'project_id'], msg: 'Field required', input: body });
      } else {
        const issue = uuidIssue(['body', 'project_id'], body.project_id);
        if (issue) issues.push(issue);
        else project = canonicalUuid(body.project_id as string);
      }
      const int = (name: string, fallback: number) =>
        body[name] === undefined ? fallback : readInt(issues, ['body', name], body[name]);
      const count = int('count', 1);
      const duration = int('max_duration_minutes', 30);
      const days = int('expires_in_days', 7);
      const strings: Record<string, string | null> = {};
      for (const name of ['voice', 'realtime_provider', 'language', 'topics_for_respondent']) {
        const value = body[name];
        strings[name] =
          value === undefined || value === null ? null : (readString(issues, ['body', name], value) ?? null);
      }
      if (issues.length > 0) return invalid(issues);
      if (project === undefined || count === undefined || duration === undefined || days === undefined) {
        return detail(500, 'Internal Server Error');
      }
      // Business rules: not in the schema, enforced by server code (api.md §2.1), so 400 with a string detail.
      if (count < 1 || count > 100) return detail(400, 'count must be between 1 and 100');
      if (duration < 1) return detail(400, 'max_duration_minutes must be at least 1');
      if (days < 1) return detail(400, 'expires_in_days must be at least 1');
      if (!projectIds.includes(project)) return detail(404, 'Project not found');
      const perRoom = costPerRoom(duration);
      const cost = count * perRoom;
      if (cost > balance) {
        return detail(
          402,
          `Insufficient tokens: creating ${count} room(s) reserves ${cost} tokens, ${balance} available`,
        );
      }
      balance -= cost;
      const createdAt = now();
      const expiresAt = new Date(createdAt.getTime() + days * 24 * 60 * 60 * 1000);
      const created: Room[] = [];
      for (let i = 0; i < count; i++) {
        const id = randomUUID();
        const accessToken = randomBytes(32).toString('base64url');
        const room: Room = {
          id,
          project_id: project,
          record_id: null,
          access_token: accessToken,
          url: `${baseUrl}/interview/${accessToken}`,
          room_name: `interview-${id}`,
          respondent_email: null,
          max_duration_minutes: duration,
          research_goals_override: null,
          interview_guide_override: null,
          status: 'pending',
          created_at: createdAt.toISOString(),
          started_at: null,
          finished_at: null,
          expires_at: expiresAt.toISOString(),
          created_by: STANDIN_USER_ID,
          voice: strings.voice ?? null,
          realtime_provider: strings.realtime_provider ?? null,
          language: strings.language ?? null,
          topics_for_respondent: strings.topics_for_respondent ?? null,
          display_name: null,
        };
        const record = { room, reserved: perRoom };
        records.push(record);
        byId.set(id, record);
        byAccessToken.set(accessToken, record);
        created.push({ ...room });
      }
      counters.roomsCreated += count;
      return { status: 200, body: { rooms: created } };
    },

    list: (_raw: string, _param: string | undefined, query: URLSearchParams): Reply => {
      const projectFilter = query.get('project_id');
      const statusFilter = query.get('status');
      if (projectFilter !== null) {
        const issue = uuidIssue(['query', 'project_id'], projectFilter);
        if (issue) return invalid([issue]);
      }
      const project = projectFilter === null ? undefined : canonicalUuid(projectFilter);
      const rooms = records
        .map((record) => record.room)
        .filter((room) => project === undefined || room.project_id === project)
        .filter((room) => statusFilter === null || room.status === statusFilter)
        .map((room) => ({ ...room }));
      return { status: 200, body: rooms };
    },

    get: (_raw: string, param: string | undefined): Reply => {
      const found = findRoom(param);
      return 'reply' in found ? found.reply : { status: 200, body: { ...found.record.room } };
    },

    patch: (raw: string, param: string | undefined): Reply => {
      const pathIssue = uuidIssue(['path', 'room_id'], param);
      const parsed = parseJsonObject(raw);
      const issues: Issue[] = pathIssue ? [pathIssue] : [];
      if ('reply' in parsed) {
        const bodyIssues = (parsed.reply.body as { detail: Issue[] }).detail;
        return invalid([...issues, ...bodyIssues]);
      }
      const body = parsed.value;
      const texts: Record<string, string | null | undefined> = {};
      for (const name of [
        'research_goals_override',
        'interview_guide_override',
        'topics_for_respondent',
        'display_name',
      ]) {
        const value = body[name];
        texts[name] =
          value === undefined || value === null
            ? undefined
            : readString(issues, ['body', name], value, name === 'display_name' ? 42 : undefined);
      }
      const duration =
        body.max_duration_minutes === undefined || body.max_duration_minutes === null
          ? undefined
          : readInt(issues, ['body', 'max_duration_minutes'], body.max_duration_minutes);
      const expiresAt =
        body.expires_at === undefined || body.expires_at === null
          ? undefined
          : readDateTime(issues, ['body', 'expires_at'], body.expires_at);
      const clear: Record<string, boolean | undefined> = {};
      for (const name of [
        'research_goals_override',
        'interview_guide_override',
        'topics_for_respondent',
        'display_name',
      ]) {
        const flag = `clear_${name}`;
        clear[name] = body[flag] === undefined ? undefined : readBool(issues, ['body', flag], body[flag]);
      }
      if (issues.length > 0) return invalid(issues);
      const found = findRoom(param);
      if ('reply' in found) return found.reply;
      const { room } = found.record;
      if (room.status !== 'pending') {
        return detail(409, `Only rooms in 'pending' status can be updated (status: ${room.status})`);
      }
      if (duration !== undefined && duration < 1)
        return detail(400, 'max_duration_minutes must be at least 1');
      // Null or absent leaves a field unchanged; the clear_* flags clear it (api.md §2.4). The reservation
      // made at creation is kept even when the duration changes (our choice; undocumented).
      const fields = [
        'research_goals_override',
        'interview_guide_override',
        'topics_for_respondent',
        'display_name',
      ] as const;
      for (const name of fields) {
        if (clear[name]) room[name] = null;
        else if (texts[name] !== undefined) room[name] = texts[name] ?? null;
      }
      if (duration !== undefined) room.max_duration_minutes = duration;
      if (expiresAt !== undefined) room.expires_at = expiresAt;
      refresh();
      return { status: 200, body: { ...room } };
    },

    delete: (_raw: string, param: string | undefined): Reply => {
      const found = findRoom(param);
      if ('reply' in found) return found.reply;
      const { record } = found;
      if (record.room.status !== 'pending') {
        return detail(409, `Only rooms in 'pending' status can be cancelled (status: ${record.room.status})`);
      }
      record.room.status = 'cancelled';
      balance += record.reserved;
      record.reserved = 0;
      return { status: 200, body: { message: 'Interview room cancelled', room_id: record.room.id } };
    },

    info: (_raw: string, param: string | undefined): Reply => {
      const record = byAccessToken.get(param ?? '');
      if (!record) return detail(404, 'Interview room not found');
      const { room } = record;
      return {
        status: 200,
        body: {
          room_name: room.room_name,
          max_duration_minutes: room.max_duration_minutes,
          status: room.status,
          project_name: DEMO_PROJECT_NAME,
          expires_at: room.expires_at,
          language: room.language,
          topics_for_respondent: room.topics_for_respondent,
        },
      };
    },

    join: (raw: string, param: string | undefined): Reply => {
      const parsed = parseJsonObject(raw);
      if ('reply' in parsed) return parsed.reply;
      const issues: Issue[] = [];
      const { email } = parsed.value;
      if (email === undefined) {
        issues.push({ type: 'missing', loc: ['body', 'email'], msg: 'Field required', input: parsed.value });
      } else if (typeof email !== 'string') {
        issues.push({
          type: 'string_type',
          loc: ['body', 'email'],
          msg: 'Input should be a valid string',
          input: email,
        });
      } else if (!EMAIL_RE.test(email)) {
        issues.push({
          type: 'value_error',
          loc: ['body', 'email'],
          msg: 'value is not a valid email address: The email address is not valid.',
          input: email,
          ctx: { reason: 'The email address is not valid.' },
        });
      }
      if (issues.length > 0 || typeof email !== 'string') return invalid(issues);
      const record = byAccessToken.get(param ?? '');
      if (!record) return detail(404, 'Interview room not found');
      const { room } = record;
      if (room.status === 'active') {
        // Rejoining with the same email works while active (guide); anyone else is refused.
        if (room.respondent_email?.toLowerCase() !== email.toLowerCase()) {
          return detail(409, 'Interview room is already in use by another respondent');
        }
      } else if (room.status === 'pending') {
        room.status = 'active';
        room.respondent_email = email;
        room.started_at = now().toISOString();
      } else {
        return detail(409, `Interview room is not available (status: ${room.status})`);
      }
      return {
        status: 200,
        body: {
          token: fakeJwt({
            sub: email,
            room: room.room_name,
            exp: Math.floor(now().getTime() / 1000) + 3600,
          }),
          url: 'wss://livekit.standin.invalid',
          room_name: room.room_name,
          max_duration_minutes: room.max_duration_minutes,
        },
      };
    },

    leave: (_raw: string, param: string | undefined): Reply => {
      const record = byAccessToken.get(param ?? '');
      if (!record) return detail(404, 'Interview room not found');
      const { room } = record;
      if (room.status === 'active') {
        room.status = 'completed';
        room.finished_at = now().toISOString();
        room.record_id = randomUUID();
        // The reservation becomes the final charge (guide: charged on completion); nothing is released.
        record.reserved = 0;
      } else if (room.status !== 'completed') {
        return detail(409, `Interview room is not active (status: ${room.status})`);
      }
      return { status: 200, body: { message: 'Participant left', status: room.status } };
    },
  };

  const findRoom = (param: string | undefined): { record: RoomRecord } | { reply: Reply } => {
    const issue = uuidIssue(['path', 'room_id'], param);
    if (issue) return { reply: invalid([issue]) };
    const record = byId.get(canonicalUuid(param ?? '') ?? '');
    return record ? { record } : { reply: detail(404, 'Interview room not found') };
  };

  const readBody = (req: IncomingMessage): Promise<string | undefined> =>
    new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      let size = 0;
      let tooLarge = false;
      req.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_BODY_BYTES) tooLarge = true;
        else chunks.push(chunk);
      });
      req.on('end', () => resolve(tooLarge ? undefined : Buffer.concat(chunks).toString('utf8')));
      req.on('error', reject);
    });

  const send = (res: ServerResponse, reply: Reply) => {
    if (res.destroyed || res.headersSent) return;
    const payload = JSON.stringify(reply.body);
    res.writeHead(reply.status, {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(payload),
      ...reply.headers,
    });
    res.end(payload);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://standin.invalid');
    const matched = matchRoute(req.method ?? 'GET', url.pathname);
    const routeKey = 'route' in matched ? matched.route.key : 'unmatched';
    counters.requests[routeKey] = (counters.requests[routeKey] ?? 0) + 1;
    if ('route' in matched && matched.route.handler === 'create') counters.createCalls++;

    const raw = await readBody(req);
    if (faults.latencyMs) await new Promise((resolve) => setTimeout(resolve, faults.latencyMs));
    if (raw === undefined) return send(res, detail(413, 'Request body too large'));
    if ('reply' in matched) return send(res, matched.reply);
    const { route, param } = matched;

    if (route.auth) {
      const header = req.headers.authorization;
      const match = header === undefined ? null : /^Bearer\s+(.+)$/i.exec(header);
      if (!match) return send(res, detail(401, 'Not authenticated', { 'www-authenticate': 'Bearer' }));
      if (match[1] !== options.token) {
        return send(res, detail(401, 'Invalid authentication credentials', { 'www-authenticate': 'Bearer' }));
      }
    }

    const fault =
      route.handler === 'create' || faults.applyTo === 'all' ? rollFault(faults, random) : undefined;
    if (fault) counters.faultsInjected[fault]++;
    // 429/500/503 are answered before processing, so nothing is created.
    if (fault === '429') {
      const retryAfter = String(faults.retryAfterSeconds ?? 1);
      return send(res, detail(429, 'Too many requests', { 'retry-after': retryAfter }));
    }
    if (fault === '500') return send(res, detail(500, 'Internal Server Error'));
    if (fault === '503') return send(res, detail(503, 'Service temporarily unavailable'));

    refresh();
    const handler = handlers[route.handler] as (
      raw: string,
      param: string | undefined,
      query: URLSearchParams,
    ) => Reply;
    const reply = handler(raw, param === undefined ? undefined : safeDecode(param), url.searchParams);
    // "drop": the request was processed (rooms exist), but the client never sees the answer.
    if (fault === 'drop') {
      res.socket?.destroy();
      return;
    }
    send(res, reply);
  };

  const server = createServer((req, res) => {
    res.on('error', () => undefined);
    handle(req, res).catch(() => {
      counters.internalErrors++;
      send(res, detail(500, 'Internal Server Error'));
    });
  });
  server.on('clientError', (_error, socket) => socket.destroy());

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  baseUrl = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;

  return {
    baseUrl,
    port,
    token: options.token,
    projectId,
    rooms: () => {
      refresh();
      return records.map((record) => ({ ...record.room }));
    },
    stats: () => {
      refresh();
      return {
        createCalls: counters.createCalls,
        roomsCreated: counters.roomsCreated,
        faultsInjected: { ...counters.faultsInjected },
        requests: { ...counters.requests },
        internalErrors: counters.internalErrors,
        tokenBalance: balance,
      };
    },
    setFaults: (next) => {
      faults = { ...next };
      if (next.seed !== undefined) random = mulberry32(next.seed);
    },
    setBalance: (tokens) => {
      balance = tokens;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
};

/** Path parameters arrive percent-encoded; a malformed escape stays as-is (and then matches nothing). */
const safeDecode = (value: string): string => {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
};
