// Stand-in behaviour: statuses and transitions (api.md §3), token reservations, lazy expiry on the injected
// clock, unguessable access tokens, ground truth and stats, seeded faults and the fault spec parser.
import { afterEach, describe, expect, it } from 'vitest';
import { mulberry32, parseFaultSpec, rollFault } from '#local/standin/faults.ts';
import { DEMO_PROJECT_ID, type Standin, type StandinOptions, startStandin } from '#local/standin/server.ts';
import { AseedClient } from '#shared/aseed/client.ts';
import { rawRequest } from './support/raw.ts';
import { TOKEN } from './support/setup.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const started: Standin[] = [];

const start = async (options: Partial<StandinOptions> = {}) => {
  const standin = await startStandin({ token: TOKEN, ...options });
  started.push(standin);
  const client = new AseedClient({ baseUrl: standin.baseUrl, token: TOKEN, retry: { maxAttempts: 1 } });
  return { standin, client };
};

afterEach(async () => {
  await Promise.all(started.splice(0).map((standin) => standin.close()));
});

describe('rooms', () => {
  it('get UUID ids, unique unguessable access tokens, url <base>/interview/<token> and server defaults', async () => {
    // Prepare
    const { standin, client } = await start();

    // Act
    const rooms = await client.createRooms({ project_id: DEMO_PROJECT_ID, count: 100 });

    // Assert
    expect(new Set(rooms.map((room) => room.access_token)).size).toBe(100);
    for (const room of rooms) {
      expect(room.id).toMatch(UUID);
      expect(room.access_token).toMatch(/^[A-Za-z0-9_-]{43}$/); // 32 random bytes, base64url
      expect(room.url).toBe(`${standin.baseUrl}/interview/${room.access_token}`);
      expect(room).toMatchObject({
        status: 'pending',
        max_duration_minutes: 30,
        project_id: DEMO_PROJECT_ID,
      });
      expect(room.created_by).toMatch(UUID);
      expect(Date.parse(room.expires_at ?? '') - Date.parse(room.created_at)).toBe(7 * 24 * 3600 * 1000);
    }
  });

  it('follow pending → active → completed, and rejoining with the same email works while active', async () => {
    // Prepare
    const { client } = await start();
    const [room] = await client.createRooms({ project_id: DEMO_PROJECT_ID });
    if (!room) throw new Error('no room');

    // Act
    await client.joinRoom(room.access_token, 'anna@example.com');
    await client.joinRoom(room.access_token, 'ANNA@example.com');
    const other = await client
      .joinRoom(room.access_token, 'bob@example.com')
      .catch((error: unknown) => error);
    const active = await client.getRoom(room.id);
    await client.leaveRoom(room.access_token);
    const completed = await client.getRoom(room.id);
    const rejoin = await client
      .joinRoom(room.access_token, 'anna@example.com')
      .catch((error: unknown) => error);

    // Assert
    expect(active).toMatchObject({ status: 'active', respondent_email: 'anna@example.com' });
    expect(active.started_at).not.toBeNull();
    expect(other).toMatchObject({ status: 409 });
    expect(completed).toMatchObject({ status: 'completed' });
    expect(completed.record_id).toMatch(UUID);
    expect(rejoin).toMatchObject({ status: 409 });
  });

  it('pending → cancelled on DELETE; PATCH and DELETE refuse any non-pending room with 409', async () => {
    // Prepare
    const { client } = await start();
    const [cancelled, active] = await client.createRooms({ project_id: DEMO_PROJECT_ID, count: 2 });
    if (!cancelled || !active) throw new Error('no rooms');
    await client.joinRoom(active.access_token, 'a@example.com');

    // Act
    await client.deleteRoom(cancelled.id);
    const refusals = await Promise.all([
      client.deleteRoom(cancelled.id).catch((error: unknown) => error),
      client.updateRoom(cancelled.id, { display_name: 'x' }).catch((error: unknown) => error),
      client.deleteRoom(active.id).catch((error: unknown) => error),
      client.updateRoom(active.id, { display_name: 'x' }).catch((error: unknown) => error),
    ]);

    // Assert
    expect((await client.getRoom(cancelled.id)).status).toBe('cancelled');
    expect(refusals.map((error) => (error as { status?: number }).status)).toEqual([409, 409, 409, 409]);
  });

  it('expire lazily once the injected clock passes expires_at; PATCH expires_at extends a pending room', async () => {
    // Prepare
    let now = new Date('2026-03-01T10:00:00Z');
    const { standin, client } = await start({ now: () => now });
    const [kept, lapsed] = await client.createRooms({
      project_id: DEMO_PROJECT_ID,
      count: 2,
      expires_in_days: 1,
    });
    if (!kept || !lapsed) throw new Error('no rooms');
    await client.updateRoom(kept.id, { expires_at: '2026-03-10T00:00:00Z' });

    // Act
    now = new Date('2026-03-02T10:00:00Z');
    const listed = await client.listRooms({ status: 'expired' });
    const join = await client
      .joinRoom(lapsed.access_token, 'late@example.com')
      .catch((error: unknown) => error);

    // Assert
    expect(listed.map((room) => room.id)).toEqual([lapsed.id]);
    expect((await client.getRoom(kept.id)).status).toBe('pending');
    expect(join).toMatchObject({ status: 409 });
    expect(standin.rooms().map((room) => room.status)).toEqual(['pending', 'expired']);
  });

  it('list filters by project and status and only shows the token owner its rooms (single owner)', async () => {
    // Prepare
    const other = '0b5e4b1e-6c3d-4e2f-8a1b-9c8d7e6f5a4b';
    const { client } = await start({ projectIds: [DEMO_PROJECT_ID, other] });
    await client.createRooms({ project_id: DEMO_PROJECT_ID, count: 2 });
    const [mine] = await client.createRooms({ project_id: other });

    // Act
    const byProject = await client.listRooms({ projectId: other });
    const unknownStatus = await client.listRooms({ status: 'archived' });

    // Assert
    expect(byProject.map((room) => room.id)).toEqual([mine?.id]);
    expect(unknownStatus).toEqual([]);
  });
});

describe('token balance', () => {
  it('create reserves count × ceil(duration/30) × tokens_per_30_min; cancel and expiry release, completion keeps', async () => {
    // Prepare
    let now = new Date('2026-03-01T10:00:00Z');
    const { standin, client } = await start({ tokenBalance: 1_000, tokensPer30Min: 10, now: () => now });

    // Act
    const rooms = await client.createRooms({
      project_id: DEMO_PROJECT_ID,
      count: 4,
      max_duration_minutes: 45,
    });
    const afterCreate = standin.stats().tokenBalance;
    const [cancel, complete, expire] = rooms;
    if (!cancel || !complete || !expire) throw new Error('no rooms');
    await client.deleteRoom(cancel.id);
    const afterCancel = standin.stats().tokenBalance;
    await client.joinRoom(complete.access_token, 'c@example.com');
    await client.leaveRoom(complete.access_token);
    await client.updateRoom(expire.id, { expires_at: '2026-03-01T11:00:00Z' });
    now = new Date('2026-03-01T12:00:00Z');
    const afterExpiry = standin.stats().tokenBalance;

    // Assert: 4 rooms × ceil(45/30)=2 × 10 = 80 reserved.
    expect(afterCreate).toBe(920);
    expect(afterCancel).toBe(940);
    expect(afterExpiry).toBe(960);
  });

  it('refuses a batch it cannot fully reserve with 402, all-or-nothing', async () => {
    // Prepare
    const { standin } = await start({ tokenBalance: 50, tokensPer30Min: 10 });

    // Act
    const refused = await rawRequest(standin.baseUrl, 'POST', '/api/interviews/rooms', {
      token: TOKEN,
      body: { project_id: DEMO_PROJECT_ID, count: 6 },
    });
    const accepted = await rawRequest(standin.baseUrl, 'POST', '/api/interviews/rooms', {
      token: TOKEN,
      body: { project_id: DEMO_PROJECT_ID, count: 5 },
    });

    // Assert
    expect(refused.status).toBe(402);
    expect(refused.body).toEqual({ detail: expect.stringContaining('Insufficient tokens') });
    expect(accepted.status).toBe(200);
    expect(standin.rooms()).toHaveLength(5);
    expect(standin.stats().tokenBalance).toBe(0);
  });
});

describe('ground truth, stats and faults', () => {
  it('rooms() and stats() count every create call, room and injected fault, including dropped answers', async () => {
    // Prepare
    const { standin } = await start({ faults: { pDrop: 1 } });
    const create = () =>
      rawRequest(standin.baseUrl, 'POST', '/api/interviews/rooms', {
        token: TOKEN,
        body: { project_id: DEMO_PROJECT_ID, count: 2 },
      });

    // Act
    const dropped = await create().catch((error: unknown) => error);
    standin.setFaults({ p429: 1, retryAfterSeconds: 5 });
    const limited = await create();
    standin.setFaults({});
    await create();

    // Assert
    expect(dropped).toBeInstanceOf(TypeError); // fetch failed: the socket was destroyed
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('5');
    expect(standin.rooms()).toHaveLength(4);
    expect(standin.stats()).toMatchObject({
      createCalls: 3,
      roomsCreated: 4,
      faultsInjected: { '429': 1, '500': 0, '503': 0, drop: 1 },
      requests: { 'POST /api/interviews/rooms': 3 },
      internalErrors: 0,
    });
  });

  it('adds latencyMs to every request', async () => {
    // Prepare
    const { standin } = await start({ faults: { latencyMs: 120 } });
    const startedAt = Date.now();

    // Act
    await rawRequest(standin.baseUrl, 'GET', '/api/interviews/join/x');

    // Assert
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(110);
  });

  it('the same seed gives the same fault sequence', () => {
    // Prepare
    const faults = { p429: 0.1, p500: 0.05, p503: 0.05, pDrop: 0.02 };
    const sequence = (seed: number) => {
      const random = mulberry32(seed);
      return Array.from({ length: 200 }, () => rollFault(faults, random) ?? '-').join(',');
    };

    // Act
    const first = sequence(11);
    const again = sequence(11);
    const other = sequence(12);

    // Assert
    expect(again).toBe(first);
    expect(other).not.toBe(first);
    expect(first).toContain('429');
  });

  it('parseFaultSpec reads the CLI spec and rejects nonsense', () => {
    // Prepare
    const spec = '429=0.1,500=0.05,503=0.05,drop=0.02,latency=50';

    // Act
    const parsed = parseFaultSpec(spec);

    // Assert
    expect(parsed).toEqual({ p429: 0.1, p500: 0.05, p503: 0.05, pDrop: 0.02, latencyMs: 50 });
    expect(parseFaultSpec(' retryAfter=2 , seed=9, applyTo=all ')).toEqual({
      retryAfterSeconds: 2,
      seed: 9,
      applyTo: 'all',
    });
    expect(parseFaultSpec('')).toEqual({});
    for (const bad of ['418=0.1', '429=2', '429=-1', '429=x', '429', '429=0.6,500=0.6', 'applyTo=some']) {
      expect(() => parseFaultSpec(bad), bad).toThrow();
    }
  });
});
