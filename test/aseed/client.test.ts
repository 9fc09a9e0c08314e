// AseedClient against the in-process stand-in: happy paths, typed errors, request refusal, response
// validation and the guarantee that the API token never appears in an error.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Standin, startStandin } from '#local/standin/server.ts';
import { AseedClient, roomsCreatedDuring } from '#shared/aseed/client.ts';
import {
  AseedAuthError,
  AseedCredentialsError,
  AseedInsufficientTokensError,
  AseedMalformedResponseError,
  AseedNotFoundError,
  AseedRejectedError,
  AseedRequestInvalidError,
  AseedValidationError,
  CreateOutcomeUnknownError,
  isAseedError,
} from '#shared/aseed/errors.ts';
import { isRetryable, PermanentError } from '#shared/errors.ts';
import { TOKEN, thrown } from './support/setup.ts';

let standin: Standin;
let client: AseedClient;

const clientWith = (options: Partial<ConstructorParameters<typeof AseedClient>[0]> = {}) =>
  new AseedClient({
    baseUrl: standin.baseUrl,
    token: TOKEN,
    timeoutMs: 5_000,
    retry: { maxAttempts: 1 },
    ...options,
  });

/** A fetch that passes requests through but lets a test rewrite the response body and headers. */
const rewritingFetch =
  (
    rewrite: (
      body: unknown,
      response: Response,
    ) => { body: unknown; headers?: Record<string, string>; status?: number },
  ) =>
  async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const response = await fetch(input, init);
    const changed = rewrite(JSON.parse(await response.text()), response);
    return new Response(JSON.stringify(changed.body), {
      status: changed.status ?? response.status,
      headers: { 'content-type': 'application/json', ...changed.headers },
    });
  };

beforeAll(async () => {
  standin = await startStandin({ token: TOKEN, tokenBalance: 10_000, tokensPer30Min: 10 });
  client = clientWith();
});

afterAll(async () => {
  await standin.close();
});

describe('happy paths', () => {
  it('reads the config', async () => {
    // Prepare / Act
    const config = await client.getConfig();

    // Assert
    expect(config).toEqual({ tokens_per_30_min: 10 });
  });

  it('creates rooms from the {rooms:[...]} envelope and lists them as a bare array', async () => {
    // Prepare
    const before = standin.rooms().length;

    // Act
    const rooms = await client.createRooms({ project_id: standin.projectId, count: 3, language: 'ru' });
    const listed = await client.listRooms({ projectId: standin.projectId, status: 'pending' });

    // Assert
    expect(rooms).toHaveLength(3);
    expect(standin.rooms()).toHaveLength(before + 3);
    expect(rooms.every((room) => room.status === 'pending' && room.language === 'ru')).toBe(true);
    expect(listed.map((room) => room.id)).toEqual(expect.arrayContaining(rooms.map((room) => room.id)));
  });

  it('gets, renames (display_name ≤ 42), clears and cancels a room', async () => {
    // Prepare
    const [room] = await client.createRooms({ project_id: standin.projectId });
    if (!room) throw new Error('no room');
    const name = 'n'.repeat(42);

    // Act
    const renamed = await client.updateRoom(room.id, {
      display_name: name,
      topics_for_respondent: 'Pricing',
    });
    const unchanged = await client.updateRoom(room.id, { display_name: null });
    const cleared = await client.updateRoom(room.id, { clear_display_name: true });
    await client.deleteRoom(room.id);
    const cancelled = await client.getRoom(room.id);

    // Assert
    expect(renamed.display_name).toBe(name);
    expect(renamed.topics_for_respondent).toBe('Pricing');
    expect(unchanged.display_name).toBe(name);
    expect(cleared.display_name).toBeNull();
    expect(cancelled.status).toBe('cancelled');
  });

  it('moves a room pending → active → completed through the public join and leave calls', async () => {
    // Prepare
    const [room] = await client.createRooms({ project_id: standin.projectId, max_duration_minutes: 45 });
    if (!room) throw new Error('no room');

    // Act
    const info = await client.getRoomInfo(room.access_token);
    const joined = await client.joinRoom(room.access_token, 'anna@example.com');
    const active = await client.getRoom(room.id);
    await client.leaveRoom(room.access_token);
    const completed = await client.getRoom(room.id);

    // Assert
    expect(info).toMatchObject({ status: 'pending', max_duration_minutes: 45, room_name: room.room_name });
    expect(joined).toMatchObject({ room_name: room.room_name, max_duration_minutes: 45 });
    expect(active).toMatchObject({ status: 'active', respondent_email: 'anna@example.com' });
    expect(completed.status).toBe('completed');
    expect(completed.finished_at).not.toBeNull();
  });

  it('asks an async token provider before every request', async () => {
    // Prepare
    let calls = 0;
    const rotating = clientWith({
      token: async () => {
        calls++;
        return TOKEN;
      },
    });

    // Act
    await rotating.getConfig();
    await rotating.listRooms();

    // Assert
    expect(calls).toBe(2);
  });

  it('keeps the path of the base URL (e.g. /custdev) and tolerates a trailing slash', async () => {
    // Prepare
    const urls: string[] = [];
    const spy = clientWith({
      baseUrl: `${standin.baseUrl}/`,
      fetch: async (input, init) => {
        urls.push(String(input));
        return fetch(input, init);
      },
    });
    const prefixed = clientWith({
      baseUrl: 'http://aseed.invalid/custdev/',
      fetch: async (input) => {
        urls.push(String(input));
        return new Response('{"tokens_per_30_min":5}', { status: 200 });
      },
    });

    // Act
    await spy.getConfig();
    await prefixed.getConfig();

    // Assert
    expect(urls).toEqual([
      `${standin.baseUrl}/api/interviews/config`,
      'http://aseed.invalid/custdev/api/interviews/config',
    ]);
  });

  it('accepts optional fields that are absent instead of null', async () => {
    // Prepare: strip every null, as a non-Pydantic server might.
    const sparse = clientWith({
      fetch: rewritingFetch((body) => ({
        body: (body as Record<string, unknown>[]).map((room) =>
          Object.fromEntries(Object.entries(room).filter(([, value]) => value !== null)),
        ),
      })),
    });
    await client.createRooms({ project_id: standin.projectId });

    // Act
    const rooms = await sparse.listRooms();

    // Assert
    expect(rooms.length).toBeGreaterThan(0);
    expect(rooms[0]?.display_name).toBeUndefined();
  });
});

describe('typed errors', () => {
  it('401 → AseedAuthError (permanent)', async () => {
    // Prepare
    const wrong = clientWith({ token: 'wrong-token' });

    // Act
    const error = await thrown(() => wrong.listRooms());

    // Assert
    expect(error).toBeInstanceOf(AseedAuthError);
    expect(error).toMatchObject({ status: 401, operation: 'listRooms', retryable: false });
  });

  it('403 → AseedAuthError too (older FastAPI answers a missing bearer with 403)', async () => {
    // Prepare
    const forbidden = clientWith({
      fetch: async () => new Response('{"detail":"Not authenticated"}', { status: 403 }),
    });

    // Act
    const error = await thrown(() => forbidden.getConfig());

    // Assert
    expect(error).toBeInstanceOf(AseedAuthError);
    expect(error).toMatchObject({ status: 403 });
  });

  it('404 → AseedNotFoundError for an unknown room, project or access token', async () => {
    // Prepare / Act
    const room = await thrown(() => client.getRoom(randomUUID()));
    const project = await thrown(() => client.createRooms({ project_id: randomUUID() }));
    const token = await thrown(() => client.getRoomInfo('no-such-token'));

    // Assert
    expect(room).toBeInstanceOf(AseedNotFoundError);
    expect(project).toBeInstanceOf(AseedNotFoundError);
    expect(token).toBeInstanceOf(AseedNotFoundError);
  });

  it('402 → AseedInsufficientTokensError and nothing is created', async () => {
    // Prepare
    standin.setBalance(59); // one 60-minute room costs 2 × 10 = 20; three cost 60
    const before = standin.rooms().length;

    // Act
    const error = await thrown(() =>
      client.createRooms({ project_id: standin.projectId, count: 3, max_duration_minutes: 60 }),
    );
    standin.setBalance(10_000);

    // Assert
    expect(error).toBeInstanceOf(AseedInsufficientTokensError);
    expect(error).toMatchObject({ status: 402, retryable: false });
    expect(standin.rooms()).toHaveLength(before);
  });

  it('409 → AseedRejectedError when updating a room that is no longer pending', async () => {
    // Prepare
    const [room] = await client.createRooms({ project_id: standin.projectId });
    if (!room) throw new Error('no room');
    await client.deleteRoom(room.id);

    // Act
    const error = await thrown(() => client.updateRoom(room.id, { display_name: 'late' }));

    // Assert
    expect(error).toBeInstanceOf(AseedRejectedError);
    expect(error).toMatchObject({ status: 409, retryable: false });
  });

  it('422 → AseedValidationError carrying the FastAPI detail list', async () => {
    // Prepare: a transport that corrupts the body after the client validated it.
    const corrupting = clientWith({
      fetch: async (input, init) => fetch(input, { ...init, body: '{"project_id":"nope","count":"abc"}' }),
    });

    // Act
    const error = await thrown(() => corrupting.createRooms({ project_id: standin.projectId }));

    // Assert
    expect(error).toBeInstanceOf(AseedValidationError);
    expect((error as AseedValidationError).detail.map((item) => item.loc)).toEqual([
      ['body', 'project_id'],
      ['body', 'count'],
    ]);
    expect(error.message).toContain('body.count');
  });

  it.each([
    ['count 101', { count: 101 }],
    ['count 0', { count: 0 }],
    ['count -1', { count: -1 }],
    ['count 1.5', { count: 1.5 }],
    ['a non-UUID project', { project_id: 'project-1' }],
  ])('refuses %s before sending anything', async (_name, override) => {
    // Prepare
    const calls = standin.stats().createCalls;

    // Act
    const error = await thrown(() => client.createRooms({ project_id: standin.projectId, ...override }));

    // Assert
    expect(error).toBeInstanceOf(AseedRequestInvalidError);
    expect(error).toBeInstanceOf(PermanentError);
    expect(standin.stats().createCalls).toBe(calls);
  });

  it('refuses a 43-character display_name, a non-UUID room id and an invalid email before sending', async () => {
    // Prepare
    const requests = Object.values(standin.stats().requests).reduce((sum, count) => sum + count, 0);

    // Act
    const errors = [
      await thrown(() => client.updateRoom(randomUUID(), { display_name: 'x'.repeat(43) })),
      await thrown(() => client.getRoom('room-1')),
      await thrown(() => client.joinRoom('token', 'not-an-email')),
    ];

    // Assert
    expect(errors.every((error) => error instanceof AseedRequestInvalidError)).toBe(true);
    expect(Object.values(standin.stats().requests).reduce((sum, count) => sum + count, 0)).toBe(requests);
  });

  it('a failing token provider → AseedCredentialsError (retryable), nothing sent', async () => {
    // Prepare
    const calls = standin.stats().createCalls;
    const broken = clientWith({
      token: async () => {
        throw new Error('secrets manager unavailable');
      },
    });

    // Act
    const error = await thrown(() => broken.createRooms({ project_id: standin.projectId }));

    // Assert
    expect(error).toBeInstanceOf(AseedCredentialsError);
    expect(isRetryable(error)).toBe(true);
    expect(error.cause).toBeInstanceOf(Error);
    expect(standin.stats().createCalls).toBe(calls);
  });
});

describe('response validation', () => {
  it('a room missing a required field → AseedMalformedResponseError naming the field', async () => {
    // Prepare
    await client.createRooms({ project_id: standin.projectId });
    const drifted = clientWith({
      fetch: rewritingFetch((body) => ({
        body: (body as Record<string, unknown>[]).map(({ created_by: _dropped, ...room }) => room),
      })),
    });

    // Act
    const error = await thrown(() => drifted.listRooms());

    // Assert
    expect(error).toBeInstanceOf(AseedMalformedResponseError);
    expect((error as AseedMalformedResponseError).problems.join()).toContain('created_by');
  });

  it('a list wrapped in an envelope, or a non-JSON body, is malformed', async () => {
    // Prepare
    const wrapped = clientWith({ fetch: rewritingFetch((body) => ({ body: { rooms: body } })) });
    const html = clientWith({ fetch: async () => new Response('<html>oops</html>', { status: 200 }) });

    // Act
    const wrappedError = await thrown(() => wrapped.listRooms());
    const htmlError = await thrown(() => html.getConfig());

    // Assert
    expect(wrappedError).toBeInstanceOf(AseedMalformedResponseError);
    expect(htmlError).toBeInstanceOf(AseedMalformedResponseError);
  });

  it('an unreadable create answer → CreateOutcomeUnknownError (rooms exist, we cannot see them)', async () => {
    // Prepare
    const unwrapped = clientWith({
      fetch: rewritingFetch((body) => ({ body: (body as { rooms: unknown }).rooms })),
    });
    const before = standin.rooms().length;

    // Act
    const error = await thrown(() => unwrapped.createRooms({ project_id: standin.projectId, count: 2 }));
    const found = roomsCreatedDuring(
      await client.listRooms({ projectId: standin.projectId }),
      error as CreateOutcomeUnknownError,
    );

    // Assert
    expect(error).toBeInstanceOf(CreateOutcomeUnknownError);
    expect(error.cause).toBeInstanceOf(AseedMalformedResponseError);
    expect(standin.rooms()).toHaveLength(before + 2);
    expect(found.length).toBeGreaterThanOrEqual(2);
  });

  it('a display_name longer than 42 in a response is malformed', async () => {
    // Prepare
    const [room] = await client.createRooms({ project_id: standin.projectId });
    if (!room) throw new Error('no room');
    const long = clientWith({
      fetch: rewritingFetch((body) => ({ body: { ...(body as object), display_name: 'y'.repeat(43) } })),
    });

    // Act
    const error = await thrown(() => long.getRoom(room.id));

    // Assert
    expect(error).toBeInstanceOf(AseedMalformedResponseError);
  });
});

describe('the token never appears in an error', () => {
  it('across auth, not-found, validation, rejection, server echo, network and malformed errors', async () => {
    // Prepare: include a server that echoes the token back in its detail, and an unreachable host.
    const echo = clientWith({
      fetch: async (_input, init) => {
        const auth = new Headers(init?.headers).get('authorization') ?? '';
        return new Response(JSON.stringify({ detail: `bad credentials: ${auth}` }), { status: 400 });
      },
    });
    const echo422 = clientWith({
      fetch: async (_input, init) => {
        const auth = new Headers(init?.headers).get('authorization') ?? '';
        return new Response(JSON.stringify({ detail: [{ loc: ['header'], msg: auth, type: 'x' }] }), {
          status: 422,
        });
      },
    });
    const echoMalformed = clientWith({
      fetch: async () => new Response(JSON.stringify({ tokens_per_30_min: TOKEN }), { status: 200 }),
    });
    const offline = clientWith({ baseUrl: 'http://127.0.0.1:9' });
    const withProvider = clientWith({ token: async () => TOKEN, baseUrl: 'http://127.0.0.1:9' });

    // Act
    const errors = [
      await thrown(() => clientWith({ token: `${TOKEN}-wrong` }).getConfig()),
      await thrown(() => client.getRoom(randomUUID())),
      await thrown(() => client.createRooms({ project_id: standin.projectId, count: 500 })),
      await thrown(() => echo.getConfig()),
      await thrown(() => echo422.listRooms()),
      await thrown(() => echoMalformed.getConfig()),
      await thrown(() => offline.getConfig()),
      await thrown(() => withProvider.createRooms({ project_id: standin.projectId })),
    ];
    const texts = errors.flatMap((error) => {
      const chain: string[] = [];
      for (let current: unknown = error; current instanceof Error; current = current.cause) {
        chain.push(current.message, String(current), current.stack ?? '');
      }
      return [...chain, JSON.stringify(error)];
    });

    // Assert
    expect(errors.every(isAseedError)).toBe(true);
    expect(texts.filter((text) => text.includes(TOKEN))).toEqual([]);
    expect(errors[3]?.message).toContain('[redacted]');
  });
});
