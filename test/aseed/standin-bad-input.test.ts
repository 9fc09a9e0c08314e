// Bad input never crashes the stand-in: each case gets the status and body documented in
// local/standin/README.md, and every such body also validates against the published schema.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_PROJECT_ID, type Standin, startStandin } from '#local/standin/server.ts';
import { recordingFetch, responseProblems } from './support/contract.ts';
import { rawRequest } from './support/raw.ts';
import { TOKEN } from './support/setup.ts';

let standin: Standin;
let roomId: string;
let accessToken: string;
const recorder = recordingFetch();

const issue = (type: string, loc: (string | number)[]) =>
  expect.objectContaining({ type, loc, msg: expect.any(String) });
const ROOMS = '/api/interviews/rooms';
const UNKNOWN_UUID = '00000000-0000-4000-8000-000000000000';

interface Case {
  name: string;
  method: string;
  path: () => string;
  token?: string | null;
  body?: unknown;
  headers?: Record<string, string>;
  status: number;
  detail: unknown;
}

const cases: Case[] = [
  {
    name: 'no bearer token',
    method: 'GET',
    path: () => ROOMS,
    token: null,
    status: 401,
    detail: 'Not authenticated',
  },
  {
    name: 'a wrong bearer token',
    method: 'POST',
    path: () => ROOMS,
    token: 'wrong',
    body: { project_id: DEMO_PROJECT_ID },
    status: 401,
    detail: 'Invalid authentication credentials',
  },
  {
    name: 'a non-Bearer Authorization header',
    method: 'GET',
    path: () => '/api/interviews/config',
    token: null,
    headers: { authorization: `Basic ${TOKEN}` },
    status: 401,
    detail: 'Not authenticated',
  },
  {
    name: 'bad JSON',
    method: 'POST',
    path: () => ROOMS,
    body: '{"project_id": ',
    status: 422,
    detail: [issue('json_invalid', ['body', 15])],
  },
  {
    name: 'an empty body',
    method: 'POST',
    path: () => ROOMS,
    status: 422,
    detail: [issue('missing', ['body'])],
  },
  {
    name: 'a JSON array body',
    method: 'POST',
    path: () => ROOMS,
    body: [],
    status: 422,
    detail: [issue('model_attributes_type', ['body'])],
  },
  {
    name: 'a missing project_id',
    method: 'POST',
    path: () => ROOMS,
    body: { count: 1 },
    status: 422,
    detail: [issue('missing', ['body', 'project_id'])],
  },
  {
    name: 'a non-UUID project_id',
    method: 'POST',
    path: () => ROOMS,
    body: { project_id: 'proj-1' },
    status: 422,
    detail: [issue('uuid_parsing', ['body', 'project_id'])],
  },
  {
    name: 'count "abc"',
    method: 'POST',
    path: () => ROOMS,
    body: { project_id: DEMO_PROJECT_ID, count: 'abc' },
    status: 422,
    detail: [issue('int_parsing', ['body', 'count'])],
  },
  {
    name: 'count 2.5',
    method: 'POST',
    path: () => ROOMS,
    body: { project_id: DEMO_PROJECT_ID, count: 2.5 },
    status: 422,
    detail: [issue('int_from_float', ['body', 'count'])],
  },
  {
    name: 'a numeric voice',
    method: 'POST',
    path: () => ROOMS,
    body: { project_id: DEMO_PROJECT_ID, voice: 3 },
    status: 422,
    detail: [issue('string_type', ['body', 'voice'])],
  },
  {
    name: 'count 0',
    method: 'POST',
    path: () => ROOMS,
    body: { project_id: DEMO_PROJECT_ID, count: 0 },
    status: 400,
    detail: 'count must be between 1 and 100',
  },
  {
    name: 'count 101',
    method: 'POST',
    path: () => ROOMS,
    body: { project_id: DEMO_PROJECT_ID, count: 101 },
    status: 400,
    detail: 'count must be between 1 and 100',
  },
  {
    name: 'max_duration_minutes 0',
    method: 'POST',
    path: () => ROOMS,
    body: { project_id: DEMO_PROJECT_ID, max_duration_minutes: 0 },
    status: 400,
    detail: 'max_duration_minutes must be at least 1',
  },
  {
    name: 'an unknown project',
    method: 'POST',
    path: () => ROOMS,
    body: { project_id: UNKNOWN_UUID },
    status: 404,
    detail: 'Project not found',
  },
  {
    name: 'a non-UUID project_id filter',
    method: 'GET',
    path: () => `${ROOMS}?project_id=abc`,
    status: 422,
    detail: [issue('uuid_parsing', ['query', 'project_id'])],
  },
  {
    name: 'an unknown room',
    method: 'GET',
    path: () => `${ROOMS}/${UNKNOWN_UUID}`,
    status: 404,
    detail: 'Interview room not found',
  },
  {
    name: 'a non-UUID room id',
    method: 'GET',
    path: () => `${ROOMS}/room-1`,
    status: 422,
    detail: [issue('uuid_parsing', ['path', 'room_id'])],
  },
  {
    name: 'a display_name of 43 characters',
    method: 'PATCH',
    path: () => `${ROOMS}/${roomId}`,
    body: { display_name: 'x'.repeat(43) },
    status: 422,
    detail: [
      expect.objectContaining({
        type: 'string_too_long',
        loc: ['body', 'display_name'],
        msg: 'String should have at most 42 characters',
        ctx: { max_length: 42 },
      }),
    ],
  },
  {
    name: 'a non-UUID room id and a bad body together',
    method: 'PATCH',
    path: () => `${ROOMS}/nope`,
    body: { expires_at: 'tomorrow', clear_display_name: 'yes' },
    status: 422,
    detail: [
      issue('uuid_parsing', ['path', 'room_id']),
      issue('datetime_from_date_parsing', ['body', 'expires_at']),
      issue('bool_type', ['body', 'clear_display_name']),
    ],
  },
  {
    name: 'PATCH on an unknown room',
    method: 'PATCH',
    path: () => `${ROOMS}/${UNKNOWN_UUID}`,
    body: {},
    status: 404,
    detail: 'Interview room not found',
  },
  {
    name: 'DELETE on an unknown room',
    method: 'DELETE',
    path: () => `${ROOMS}/${UNKNOWN_UUID}`,
    status: 404,
    detail: 'Interview room not found',
  },
  {
    name: 'join with an invalid email',
    method: 'POST',
    path: () => `/api/interviews/join/${accessToken}`,
    token: null,
    body: { email: 'anna' },
    status: 422,
    detail: [issue('value_error', ['body', 'email'])],
  },
  {
    name: 'join an unknown access token',
    method: 'POST',
    path: () => '/api/interviews/join/unknown',
    token: null,
    body: { email: 'anna@example.com' },
    status: 404,
    detail: 'Interview room not found',
  },
  {
    name: 'leave a room nobody joined',
    method: 'POST',
    path: () => `/api/interviews/join/${accessToken}/leave`,
    token: null,
    status: 409,
    detail: 'Interview room is not active (status: pending)',
  },
  {
    name: 'an unknown path',
    method: 'GET',
    path: () => '/api/interviews/roomz',
    status: 404,
    detail: 'Not Found',
  },
  { name: 'a path outside the API', method: 'GET', path: () => '/', status: 404, detail: 'Not Found' },
  {
    name: 'an unsupported method',
    method: 'PUT',
    path: () => ROOMS,
    body: {},
    status: 405,
    detail: 'Method Not Allowed',
  },
  {
    name: 'a broken percent-escape',
    method: 'GET',
    path: () => '/api/interviews/join/%E0%A4%A',
    token: null,
    status: 404,
    detail: 'Interview room not found',
  },
  {
    name: 'a body over 1 MiB',
    method: 'POST',
    path: () => ROOMS,
    body: JSON.stringify({ project_id: DEMO_PROJECT_ID, voice: 'v'.repeat(1_100_000) }),
    status: 413,
    detail: 'Request body too large',
  },
];

beforeAll(async () => {
  standin = await startStandin({ token: TOKEN });
  const created = await rawRequest(standin.baseUrl, 'POST', ROOMS, {
    token: TOKEN,
    body: { project_id: DEMO_PROJECT_ID },
  });
  const room = (created.body as { rooms: { id: string; access_token: string }[] }).rooms[0];
  if (!room) throw new Error('no room');
  roomId = room.id;
  accessToken = room.access_token;
});

afterAll(async () => {
  await standin.close();
});

describe('bad input to the stand-in', () => {
  it.each(cases)('$name → $status', async (badCase) => {
    // Prepare
    const token = badCase.token === null ? undefined : (badCase.token ?? TOKEN);
    const roomsBefore = standin.rooms().length;

    // Act
    const response = await rawRequest(standin.baseUrl, badCase.method, badCase.path(), {
      token,
      body: badCase.body,
      headers: badCase.headers,
      fetch: recorder.fetch,
    });

    // Assert
    expect(response.status).toBe(badCase.status);
    expect(response.body).toEqual({ detail: badCase.detail });
    expect(
      responseProblems(recorder.exchanges.at(-1) as NonNullable<ReturnType<typeof recorder.exchanges.at>>),
    ).toEqual([]);
    expect(standin.rooms()).toHaveLength(roomsBefore);
  });

  it('answers 401 with WWW-Authenticate: Bearer', async () => {
    // Prepare / Act
    const response = await rawRequest(standin.baseUrl, 'GET', '/api/interviews/config');

    // Assert
    expect(response.headers.get('www-authenticate')).toBe('Bearer');
  });

  it('survived every case: no handler crash, still serving', async () => {
    // Prepare / Act
    const config = await rawRequest(standin.baseUrl, 'GET', '/api/interviews/config', { token: TOKEN });

    // Assert
    expect(config.status).toBe(200);
    expect(standin.stats().internalErrors).toBe(0);
    expect(standin.rooms()).toHaveLength(1);
  });
});
