// Contract tests: every answer of the stand-in (success and error, every endpoint) and every request of the
// client are validated with ajv against the published OpenAPI schemas, not by hand-written field checks.
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Standin, startStandin } from '#local/standin/server.ts';
import { AseedClient } from '#shared/aseed/client.ts';
import {
  componentProblems,
  type Exchange,
  knownFormats,
  recordingFetch,
  requestProblems,
  responseProblems,
  SPEC_PATH,
  spec,
} from './support/contract.ts';
import { rawRequest } from './support/raw.ts';
import { TOKEN } from './support/setup.ts';

/** The spec operations a client may call (api.md §2: agent-config and session-report are internal callbacks). */
const CLIENT_OPERATIONS = [
  'get /api/interviews/config',
  'post /api/interviews/rooms',
  'get /api/interviews/rooms',
  'get /api/interviews/rooms/{room_id}',
  'patch /api/interviews/rooms/{room_id}',
  'delete /api/interviews/rooms/{room_id}',
  'get /api/interviews/join/{access_token}',
  'post /api/interviews/join/{access_token}',
  'post /api/interviews/join/{access_token}/leave',
];

let standin: Standin;
let client: AseedClient;
const clientCalls = recordingFetch();
const rawCalls = recordingFetch();
const raw = (method: string, path: string, options: Parameters<typeof rawRequest>[3] = {}) =>
  rawRequest(standin.baseUrl, method, path, { fetch: rawCalls.fetch, ...options });
const authed = (method: string, path: string, body?: unknown) => raw(method, path, { token: TOKEN, body });

/**
 * Runs `act` and returns the exchanges (client and raw) it produced, and what it threw. Errors are returned,
 * not thrown, so the schema check runs and reports first even when the client's own parsing also objects.
 */
const exchangesOf = async (
  act: () => Promise<unknown>,
): Promise<{ exchanges: Exchange[]; error: unknown }> => {
  const fromClient = clientCalls.exchanges.length;
  const fromRaw = rawCalls.exchanges.length;
  let error: unknown;
  try {
    await act();
  } catch (caught) {
    error = caught;
  }
  return {
    exchanges: [...clientCalls.exchanges.slice(fromClient), ...rawCalls.exchanges.slice(fromRaw)],
    error,
  };
};

/** Every exchange with its schema problems (lenient: the published schema; strict: no undeclared fields). */
const nonConforming = (exchanges: Exchange[]) =>
  exchanges
    .map((exchange) => ({
      call: `${exchange.method} ${exchange.url.pathname} → ${exchange.status}`,
      problems: [...responseProblems(exchange), ...responseProblems(exchange, { strict: true })],
    }))
    .filter((entry) => entry.problems.length > 0);

const statusesOf = (exchanges: Exchange[]) => exchanges.map((exchange) => exchange.status).sort();

beforeAll(async () => {
  standin = await startStandin({ token: TOKEN, tokenBalance: 100_000 });
  client = new AseedClient({
    baseUrl: standin.baseUrl,
    token: TOKEN,
    fetch: clientCalls.fetch,
    timeoutMs: 5_000,
    retry: { maxAttempts: 1 },
  });
});

afterAll(async () => {
  await standin.close();
});

describe('stand-in responses conform to the published schema', () => {
  it('config: 200 and 401 bodies', async () => {
    // Prepare / Act
    const { exchanges, error } = await exchangesOf(async () => {
      await client.getConfig();
      await raw('GET', '/api/interviews/config');
      await raw('GET', '/api/interviews/config', { token: 'wrong' });
    });

    // Assert
    expect(nonConforming(exchanges)).toEqual([]);
    expect(error).toBeUndefined();
    expect(statusesOf(exchanges)).toEqual([200, 401, 401]);
  });

  it('create: 200 envelope and every error (400, 402, 404, 422 variants, 429, 500, 503)', async () => {
    // Prepare
    const project = standin.projectId;

    // Act
    const { exchanges, error } = await exchangesOf(async () => {
      await client.createRooms({
        project_id: project,
        count: 2,
        language: 'en',
        voice: 'alloy',
        topics_for_respondent: 'x',
      });
      await authed('POST', '/api/interviews/rooms', {});
      await authed('POST', '/api/interviews/rooms', { project_id: 'not-a-uuid', count: 'abc', voice: 7 });
      await authed('POST', '/api/interviews/rooms', '{"project_id": ');
      await authed('POST', '/api/interviews/rooms', [1, 2]);
      await authed('POST', '/api/interviews/rooms', { project_id: project, count: 101 });
      await authed('POST', '/api/interviews/rooms', { project_id: randomUUID() });
      standin.setBalance(0);
      await authed('POST', '/api/interviews/rooms', { project_id: project });
      standin.setBalance(100_000);
      for (const fault of [{ p429: 1 }, { p500: 1 }, { p503: 1 }]) {
        standin.setFaults(fault);
        await authed('POST', '/api/interviews/rooms', { project_id: project });
      }
      standin.setFaults({});
    });

    // Assert
    expect(nonConforming(exchanges)).toEqual([]);
    expect(error).toBeUndefined();
    expect(statusesOf(exchanges)).toEqual([200, 400, 402, 404, 422, 422, 422, 422, 429, 500, 503]);
  });

  it('list: bare array with and without filters, 422 for a non-UUID project_id', async () => {
    // Prepare
    await client.createRooms({ project_id: standin.projectId });

    // Act
    const { exchanges, error } = await exchangesOf(async () => {
      await client.listRooms();
      await client.listRooms({ projectId: standin.projectId, status: 'pending' });
      await client.listRooms({ status: 'no-such-status' });
      await authed('GET', '/api/interviews/rooms?project_id=nope');
    });

    // Assert
    expect(nonConforming(exchanges)).toEqual([]);
    expect(error).toBeUndefined();
    expect(statusesOf(exchanges)).toEqual([200, 200, 200, 422]);
  });

  it('get, patch and delete: 200, 404, 409 and 422 bodies', async () => {
    // Prepare
    const [room] = await client.createRooms({ project_id: standin.projectId });
    if (!room) throw new Error('no room');
    const path = `/api/interviews/rooms/${room.id}`;

    // Act
    const { exchanges, error } = await exchangesOf(async () => {
      await client.getRoom(room.id);
      await client.updateRoom(room.id, { display_name: 'Anna K.', research_goals_override: 'Goals' });
      await client.updateRoom(room.id, { clear_display_name: true, expires_at: '2099-01-01T00:00:00Z' });
      await authed('GET', `/api/interviews/rooms/${randomUUID()}`);
      await authed('GET', '/api/interviews/rooms/not-a-uuid');
      await authed('PATCH', path, { display_name: 'x'.repeat(43), max_duration_minutes: 'long' });
      await authed('PATCH', `/api/interviews/rooms/${randomUUID()}`, { display_name: 'ok' });
      await client.deleteRoom(room.id);
      await authed('DELETE', path);
      await authed('PATCH', path, { display_name: 'late' });
      await authed('DELETE', `/api/interviews/rooms/${randomUUID()}`);
    });

    // Assert
    expect(nonConforming(exchanges)).toEqual([]);
    expect(error).toBeUndefined();
    expect(statusesOf(exchanges)).toEqual([200, 200, 200, 200, 404, 404, 404, 409, 409, 422, 422]);
  });

  it('public join endpoints: info, join, leave with 200, 404, 409 and 422 bodies', async () => {
    // Prepare
    const [room, idle] = await client.createRooms({ project_id: standin.projectId, count: 2 });
    if (!room || !idle) throw new Error('no rooms');
    const joinPath = `/api/interviews/join/${room.access_token}`;

    // Act
    const { exchanges, error } = await exchangesOf(async () => {
      await client.getRoomInfo(room.access_token);
      await client.joinRoom(room.access_token, 'anna@example.com');
      await client.joinRoom(room.access_token, 'anna@example.com');
      await raw('POST', joinPath, { body: { email: 'bob@example.com' } });
      await raw('POST', joinPath, { body: { email: 'not-an-email' } });
      await raw('POST', joinPath, { body: {} });
      await client.leaveRoom(room.access_token);
      await raw('POST', `${joinPath}/leave`);
      await raw('POST', `/api/interviews/join/${idle.access_token}/leave`);
      await raw('GET', '/api/interviews/join/unknown-token');
      await raw('POST', '/api/interviews/join/unknown-token', { body: { email: 'anna@example.com' } });
      await raw('POST', '/api/interviews/join/unknown-token/leave');
    });

    // Assert
    expect(nonConforming(exchanges)).toEqual([]);
    expect(error).toBeUndefined();
    expect(statusesOf(exchanges)).toEqual([200, 200, 200, 200, 200, 404, 404, 404, 409, 409, 422, 422]);
  });

  it('rooms in every status (pending, active, completed, expired, cancelled) conform in list and get', async () => {
    // Prepare
    const rooms = await client.createRooms({ project_id: standin.projectId, count: 5 });
    const [pending, active, completed, expired, cancelled] = rooms;
    if (!pending || !active || !completed || !expired || !cancelled) throw new Error('no rooms');
    await client.joinRoom(active.access_token, 'a@example.com');
    await client.joinRoom(completed.access_token, 'c@example.com');
    await client.leaveRoom(completed.access_token);
    await client.updateRoom(expired.id, { expires_at: '2000-01-01T00:00:00Z' });
    await client.deleteRoom(cancelled.id);

    // Act
    const { exchanges, error } = await exchangesOf(async () => {
      await client.listRooms({ projectId: standin.projectId });
      for (const room of rooms) await client.getRoom(room.id);
      for (const room of rooms) await client.getRoomInfo(room.access_token);
    });
    const statuses = (await client.listRooms()).filter((room) => rooms.some((r) => r.id === room.id));

    // Assert
    expect(nonConforming(exchanges)).toEqual([]);
    expect(error).toBeUndefined();
    expect(statuses.map((room) => room.status).sort()).toEqual([
      'active',
      'cancelled',
      'completed',
      'expired',
      'pending',
    ]);
  });

  it('unknown paths (404) and wrong methods (405) answer a string detail', async () => {
    // Prepare / Act
    const { exchanges, error } = await exchangesOf(async () => {
      await authed('GET', '/api/interviews/nothing-here');
      await authed('PUT', '/api/interviews/rooms');
      await authed('POST', '/api/interviews/config');
    });

    // Assert
    expect(nonConforming(exchanges)).toEqual([]);
    expect(error).toBeUndefined();
    expect(statusesOf(exchanges)).toEqual([404, 405, 405]);
  });

  it('covered every client-facing operation with a validated 200 and the documented error statuses', () => {
    // Prepare
    const all = [...clientCalls.exchanges, ...rawCalls.exchanges];

    // Act
    const ok = new Set<string>();
    for (const exchange of all) {
      if (exchange.status !== 200) continue;
      for (const [template, item] of Object.entries(spec.paths)) {
        const pattern = new RegExp(`^${template.replace(/\{[^}]+\}/g, '[^/]+')}$`);
        if (pattern.test(exchange.url.pathname) && item[exchange.method.toLowerCase()]) {
          ok.add(`${exchange.method.toLowerCase()} ${template}`);
        }
      }
    }
    const errorStatuses = new Set(
      all.map((exchange) => exchange.status).filter((status) => (status ?? 0) >= 400),
    );

    // Assert
    expect([...ok].sort()).toEqual([...CLIENT_OPERATIONS].sort());
    expect([...errorStatuses].sort()).toEqual([400, 401, 402, 404, 405, 409, 422, 429, 500, 503]);
    expect(all.length).toBeGreaterThan(50);
  });
});

describe('requests the client sends conform to the published request schemas', () => {
  it('every request recorded during the response tests above', () => {
    // Prepare
    const requests = clientCalls.exchanges;

    // Act
    const problems = requests
      .map((exchange) => ({
        call: `${exchange.method} ${exchange.url.pathname}${exchange.url.search}`,
        problems: requestProblems(exchange),
      }))
      .filter((entry) => entry.problems.length > 0);

    // Assert
    expect(requests.length).toBeGreaterThan(20);
    expect(problems).toEqual([]);
  });

  it('any valid create or update input produces a request body the schema accepts', async () => {
    // Prepare: a transport that only records and answers a schema-valid room.
    const room = (await client.listRooms())[0];
    const recorder = recordingFetch(async (_input, init) => {
      const body = init?.method === 'POST' ? { rooms: [room] } : room;
      return new Response(JSON.stringify(body), {
        status: 200,
        headers: { 'content-type': 'application/json' },
      });
    });
    const offline = new AseedClient({
      baseUrl: 'http://aseed.invalid/custdev',
      token: TOKEN,
      fetch: recorder.fetch,
    });
    const optionalText = fc.option(fc.string({ maxLength: 60 }), { nil: null });
    const createInput = fc.record(
      {
        project_id: fc.uuid(),
        count: fc.integer({ min: 1, max: 100 }),
        max_duration_minutes: fc.integer({ min: 1, max: 240 }),
        expires_in_days: fc.integer({ min: 1, max: 365 }),
        voice: optionalText,
        realtime_provider: optionalText,
        language: optionalText,
        topics_for_respondent: optionalText,
      },
      { requiredKeys: ['project_id'] },
    );
    const updateInput = fc.record(
      {
        research_goals_override: optionalText,
        interview_guide_override: optionalText,
        topics_for_respondent: optionalText,
        max_duration_minutes: fc.option(fc.integer({ min: 1, max: 240 }), { nil: null }),
        expires_at: fc.option(
          fc
            .date({ min: new Date('2000-01-01'), max: new Date('2100-01-01'), noInvalidDate: true })
            .map((d) => d.toISOString()),
          { nil: null },
        ),
        display_name: fc.option(fc.string({ maxLength: 42 }), { nil: null }),
        clear_research_goals_override: fc.boolean(),
        clear_interview_guide_override: fc.boolean(),
        clear_topics_for_respondent: fc.boolean(),
        clear_display_name: fc.boolean(),
      },
      { requiredKeys: [] },
    );

    // Act
    await fc.assert(
      fc.asyncProperty(createInput, updateInput, async (create, update) => {
        await offline.createRooms(create);
        await offline.updateRoom(randomUUID(), update);
      }),
      { numRuns: 100 },
    );
    const problems = recorder.exchanges.flatMap((exchange) => requestProblems(exchange, '/custdev'));

    // Assert
    expect(recorder.exchanges).toHaveLength(200);
    expect(problems).toEqual([]);
  });
});

describe('the validator itself', () => {
  it('knows every format the spec uses, so none is skipped silently', () => {
    // Prepare
    const formats = [...readFileSync(SPEC_PATH, 'utf8').matchAll(/"format": "([^"]+)"/g)].map(
      (match) => match[1],
    );

    // Act
    const unknown = formats.filter((format) => format !== undefined && !knownFormats().includes(format));

    // Assert
    expect(formats.length).toBeGreaterThan(0);
    expect(unknown).toEqual([]);
  });

  it('rejects drifted bodies: a room without created_by, an unwrapped create answer, a 43-char display_name', async () => {
    // Prepare
    const [room] = standin.rooms();
    if (!room) throw new Error('no room');
    const { created_by: _dropped, ...withoutCreatedBy } = room;

    // Act
    const missingField = componentProblems('InterviewRoomResponse', withoutCreatedBy);
    const unwrapped = componentProblems('CreateRoomsResponse', [room]);
    const tooLong = componentProblems('InterviewRoomResponse', { ...room, display_name: 'x'.repeat(43) });
    const stringDetailAs422 = componentProblems('HTTPValidationError', { detail: 'nope' });
    const extraField = componentProblems('InterviewRoomResponse', { ...room, owner: 'me' }, { strict: true });

    // Assert
    expect(componentProblems('InterviewRoomResponse', room)).toEqual([]);
    expect(missingField.join()).toContain('created_by');
    expect(unwrapped).not.toEqual([]);
    expect(tooLong.join()).toContain('maxLength');
    expect(stringDetailAs422).not.toEqual([]);
    expect(extraField.join()).toContain('additionalProperties');
  });
});
