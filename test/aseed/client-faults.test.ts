// The client under every fault the stand-in injects: retry counts, Retry-After, full jitter, timeouts, and
// createRooms never resent blindly (the stand-in's rooms() is the ground truth of what was created).
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { type Standin, startStandin } from '#local/standin/server.ts';
import { AseedClient, roomsCreatedDuring } from '#shared/aseed/client.ts';
import {
  AseedNetworkError,
  AseedNotFoundError,
  AseedRateLimitedError,
  AseedServerError,
  AseedTimeoutError,
  CreateOutcomeUnknownError,
} from '#shared/aseed/errors.ts';
import type { RetryOptions } from '#shared/aseed/retry.ts';
import { isRetryable } from '#shared/errors.ts';
import { instantRetry, TOKEN, thrown } from './support/setup.ts';

let standin: Standin;

const clientWith = (
  retry: RetryOptions,
  options: { timeoutMs?: number; now?: () => Date; fetch?: typeof fetch } = {},
) =>
  new AseedClient({
    baseUrl: standin.baseUrl,
    token: TOKEN,
    timeoutMs: options.timeoutMs ?? 5_000,
    retry,
    ...options,
  });

const requestsTo = (route: string) => standin.stats().requests[route] ?? 0;
const LIST = 'GET /api/interviews/rooms';

beforeAll(async () => {
  standin = await startStandin({ token: TOKEN, seed: 42 });
});

beforeEach(() => {
  standin.setFaults({});
});

afterAll(async () => {
  await standin.close();
});

describe('createRooms is never retried blindly', () => {
  it('429 → AseedRateLimitedError with Retry-After, one call, nothing created', async () => {
    // Prepare
    const { sleeps, retry } = instantRetry();
    standin.setFaults({ p429: 1, retryAfterSeconds: 3 });
    const before = standin.stats();

    // Act
    const error = await thrown(() =>
      clientWith(retry).createRooms({ project_id: standin.projectId, count: 5 }),
    );

    // Assert
    expect(error).toBeInstanceOf(AseedRateLimitedError);
    expect(error).toMatchObject({ status: 429, retryAfterMs: 3_000, retryable: true });
    expect(standin.stats().createCalls).toBe(before.createCalls + 1);
    expect(standin.rooms()).toHaveLength(before.roomsCreated);
    expect(sleeps).toEqual([]);
  });

  it.each([
    [500, { p500: 1 }],
    [503, { p503: 1 }],
  ])('%i → CreateOutcomeUnknownError carrying request and timestamps, one call', async (status, faults) => {
    // Prepare
    const { sleeps, retry } = instantRetry();
    standin.setFaults(faults);
    const before = standin.stats();
    const request = { project_id: standin.projectId, count: 4, language: 'en' };
    const start = Date.now();

    // Act
    const error = await thrown(() => clientWith(retry).createRooms(request));

    // Assert
    expect(error).toBeInstanceOf(CreateOutcomeUnknownError);
    const unknown = error as CreateOutcomeUnknownError;
    expect(unknown.request).toEqual(request);
    expect(unknown.status).toBe(status);
    expect(unknown.cause).toBeInstanceOf(AseedServerError);
    expect(unknown.startedAt.getTime()).toBeGreaterThanOrEqual(start);
    expect(unknown.endedAt.getTime()).toBeGreaterThanOrEqual(unknown.startedAt.getTime());
    expect(isRetryable(unknown)).toBe(true);
    expect(standin.stats().createCalls).toBe(before.createCalls + 1);
    expect(standin.rooms()).toHaveLength(before.roomsCreated);
    expect(sleeps).toEqual([]);
  });

  it('dropped connection → CreateOutcomeUnknownError; the rooms exist and listRooms reconciles them', async () => {
    // Prepare
    const { sleeps, retry } = instantRetry();
    standin.setFaults({ pDrop: 1 });
    const before = standin.stats();
    const client = clientWith(retry);

    // Act
    const error = await thrown(() => client.createRooms({ project_id: standin.projectId, count: 3 }));
    standin.setFaults({});
    const found = roomsCreatedDuring(
      await client.listRooms({ projectId: standin.projectId }),
      error as CreateOutcomeUnknownError,
      0,
    );

    // Assert
    expect(error).toBeInstanceOf(CreateOutcomeUnknownError);
    expect(error.cause).toBeInstanceOf(AseedNetworkError);
    expect(standin.stats().createCalls).toBe(before.createCalls + 1);
    const created = standin.rooms().slice(before.roomsCreated);
    expect(created).toHaveLength(3);
    expect(found.map((room) => room.id).sort()).toEqual(created.map((room) => room.id).sort());
    expect(sleeps).toEqual([]);
  });

  it('timeout → CreateOutcomeUnknownError; the slow server still creates the rooms', async () => {
    // Prepare: the timeout leaves ample time for the request to arrive, but not for the answer.
    const { retry } = instantRetry();
    standin.setFaults({ latencyMs: 1_000 });
    const before = standin.stats();

    // Act
    const error = await thrown(() =>
      clientWith(retry, { timeoutMs: 300 }).createRooms({ project_id: standin.projectId, count: 2 }),
    );

    // Assert
    expect(error).toBeInstanceOf(CreateOutcomeUnknownError);
    expect(error.cause).toBeInstanceOf(AseedTimeoutError);
    await vi.waitFor(() => expect(standin.rooms()).toHaveLength(before.roomsCreated + 2), { timeout: 5_000 });
    expect(standin.stats().createCalls).toBe(before.createCalls + 1);
  });

  it('connection refused → plain AseedNetworkError (certainly not sent), not an unknown outcome', async () => {
    // Prepare
    const closed = await startStandin({ token: TOKEN });
    await closed.close();
    const client = new AseedClient({ baseUrl: closed.baseUrl, token: TOKEN, retry: instantRetry().retry });

    // Act
    const error = await thrown(() => client.createRooms({ project_id: closed.projectId }));

    // Assert
    expect(error).toBeInstanceOf(AseedNetworkError);
    expect(error).not.toBeInstanceOf(CreateOutcomeUnknownError);
    expect((error as AseedNetworkError).notSent).toBe(true);
  });

  it('under the CLI fault mix, every create call is sent once and the client never loses a room', async () => {
    // Prepare
    standin.setFaults({ p429: 0.1, p500: 0.05, p503: 0.05, pDrop: 0.02, seed: 7 });
    const { retry } = instantRetry();
    const client = clientWith(retry);
    const before = standin.stats();
    let seen = 0;
    let unknown = 0;

    // Act
    for (let i = 0; i < 60; i++) {
      try {
        seen += (await client.createRooms({ project_id: standin.projectId, count: 2 })).length;
      } catch (error) {
        if (error instanceof CreateOutcomeUnknownError) unknown++;
        else expect(error).toBeInstanceOf(AseedRateLimitedError);
      }
    }
    const after = standin.stats();

    // Assert
    expect(after.createCalls - before.createCalls).toBe(60);
    const faults = (kind: '429' | '500' | '503' | 'drop') =>
      after.faultsInjected[kind] - before.faultsInjected[kind];
    expect(unknown).toBe(faults('500') + faults('503') + faults('drop'));
    expect(after.roomsCreated - before.roomsCreated).toBe(seen + 2 * faults('drop'));
  });
});

describe('idempotent calls retry with backoff', () => {
  it('503 on every attempt: 4 attempts, full-jitter delays 100/200/400 ms, then AseedServerError', async () => {
    // Prepare
    const { sleeps, retry } = instantRetry({ baseDelayMs: 200 });
    standin.setFaults({ p503: 1, applyTo: 'all' });
    const before = requestsTo(LIST);

    // Act
    const error = await thrown(() => clientWith(retry).listRooms());

    // Assert
    expect(error).toBeInstanceOf(AseedServerError);
    expect(error).toMatchObject({ status: 503 });
    expect(requestsTo(LIST) - before).toBe(4);
    expect(sleeps).toEqual([100, 200, 400]);
  });

  it('jitter stays within [0, min(cap, base × 2^n)) for any random value', async () => {
    // Prepare
    const { sleeps, retry } = instantRetry({
      maxAttempts: 8,
      baseDelayMs: 100,
      maxDelayMs: 1_000,
      random: () => 0.999,
    });
    standin.setFaults({ p503: 1, applyTo: 'all' });

    // Act
    await thrown(() => clientWith(retry).getConfig());

    // Assert
    expect(sleeps).toEqual([99, 199, 399, 799, 999, 999, 999]);
  });

  it('429 with Retry-After: waits exactly the announced seconds, then gives up with retryAfterMs', async () => {
    // Prepare
    const { sleeps, retry } = instantRetry({ maxAttempts: 3 });
    standin.setFaults({ p429: 1, retryAfterSeconds: 2, applyTo: 'all' });

    // Act
    const error = await thrown(() => clientWith(retry).getConfig());

    // Assert
    expect(error).toBeInstanceOf(AseedRateLimitedError);
    expect(error).toMatchObject({ retryAfterMs: 2_000 });
    expect(sleeps).toEqual([2_000, 2_000]);
  });

  it('Retry-After as an HTTP date is honoured relative to the injected clock', async () => {
    // Prepare
    const now = new Date('2026-03-01T10:00:00Z');
    const { sleeps, retry } = instantRetry({ maxAttempts: 2 });
    let calls = 0;
    const dated: typeof fetch = async () => {
      calls++;
      return calls === 1
        ? new Response('{"detail":"slow down"}', {
            status: 429,
            headers: { 'retry-after': 'Sun, 01 Mar 2026 10:00:07 GMT' },
          })
        : new Response('{"tokens_per_30_min":12}', { status: 200 });
    };

    // Act
    const config = await clientWith(retry, { now: () => now, fetch: dated }).getConfig();

    // Assert
    expect(config.tokens_per_30_min).toBe(12);
    expect(sleeps).toEqual([7_000]);
  });

  it('a Retry-After beyond maxRetryAfterMs ends the retries at once, leaving the wait to the caller', async () => {
    // Prepare
    const { sleeps, retry } = instantRetry({ maxRetryAfterMs: 10_000 });
    standin.setFaults({ p429: 1, retryAfterSeconds: 60, applyTo: 'all' });
    const before = requestsTo(LIST);

    // Act
    const error = await thrown(() => clientWith(retry).listRooms());

    // Assert
    expect(error).toMatchObject({ retryAfterMs: 60_000 });
    expect(requestsTo(LIST) - before).toBe(1);
    expect(sleeps).toEqual([]);
  });

  it('seeded intermittent 503s: retries until the stand-in answers, deterministically', async () => {
    // Prepare
    const run = async () => {
      standin.setFaults({ p503: 0.6, applyTo: 'all', seed: 6 });
      const { sleeps, retry } = instantRetry({ maxAttempts: 10 });
      const before = requestsTo(LIST);
      await clientWith(retry).listRooms();
      return { attempts: requestsTo(LIST) - before, sleeps };
    };

    // Act
    const first = await run();
    const second = await run();

    // Assert
    expect(first.attempts).toBe(3); // mulberry32(6) rolls 0.53, 0.00, 0.66: two 503s, then an answer
    expect(first.sleeps).toHaveLength(2);
    expect(second).toEqual(first);
  });

  it('500 is not retried (only 429/502/503/504 and network errors are)', async () => {
    // Prepare
    const { sleeps, retry } = instantRetry();
    standin.setFaults({ p500: 1, applyTo: 'all' });
    const before = requestsTo(LIST);

    // Act
    const error = await thrown(() => clientWith(retry).listRooms());

    // Assert
    expect(error).toMatchObject({ status: 500 });
    expect(requestsTo(LIST) - before).toBe(1);
    expect(sleeps).toEqual([]);
  });

  it('a 404 is not retried', async () => {
    // Prepare
    const { sleeps, retry } = instantRetry();

    // Act
    const error = await thrown(() => clientWith(retry).getRoom('00000000-0000-4000-8000-000000000000'));

    // Assert
    expect(error).toBeInstanceOf(AseedNotFoundError);
    expect(sleeps).toEqual([]);
  });

  it('dropped connections on reads are retried, then surface as AseedNetworkError', async () => {
    // Prepare
    const { sleeps, retry } = instantRetry({ maxAttempts: 3 });
    standin.setFaults({ pDrop: 1, applyTo: 'all' });

    // Act
    const error = await thrown(() => clientWith(retry).getConfig());

    // Assert
    expect(error).toBeInstanceOf(AseedNetworkError);
    expect(sleeps).toHaveLength(2);
  });

  it('timeouts abort each attempt and are retried: 3 attempts of 50 ms against a 1.5 s server', async () => {
    // Prepare
    const { sleeps, retry } = instantRetry({ maxAttempts: 3 });
    standin.setFaults({ latencyMs: 1_500 });
    const started = Date.now();

    // Act
    const error = await thrown(() => clientWith(retry, { timeoutMs: 50 }).getConfig());
    const elapsed = Date.now() - started;

    // Assert
    expect(error).toBeInstanceOf(AseedTimeoutError);
    expect(error).toMatchObject({ timeoutMs: 50, retryable: true });
    expect(sleeps).toHaveLength(2);
    expect(elapsed).toBeLessThan(1_200); // well below one server answer: each attempt was cut short
  });

  it('a DELETE whose answer was lost and whose retry finds the room cancelled counts as done', async () => {
    // Prepare: the first DELETE is processed but its connection cut; faults are lifted before the retry.
    const [room] = await clientWith({ maxAttempts: 1 }).createRooms({ project_id: standin.projectId });
    if (!room) throw new Error('no room');
    standin.setFaults({ pDrop: 1, applyTo: 'all' });
    const { retry } = instantRetry({
      sleep: async () => {
        standin.setFaults({});
      },
    });
    const before = requestsTo('DELETE /api/interviews/rooms/{room_id}');

    // Act
    await clientWith(retry).deleteRoom(room.id);

    // Assert
    expect(requestsTo('DELETE /api/interviews/rooms/{room_id}') - before).toBe(2);
    expect(standin.rooms().find((r) => r.id === room.id)?.status).toBe('cancelled');
  });
});
