// Pure backoff arithmetic and Retry-After parsing.
import { describe, expect, it } from 'vitest';
import { backoffDelayMs, parseRetryAfter, resolveRetryPolicy } from '#shared/aseed/retry.ts';

describe('parseRetryAfter', () => {
  const now = new Date('2026-03-01T10:00:00Z');

  it.each([
    ['delay-seconds', '3', 3_000],
    ['zero seconds', '0', 0],
    ['padded seconds', ' 12 ', 12_000],
    ['an HTTP date in the future', 'Sun, 01 Mar 2026 10:00:30 GMT', 30_000],
    ['an HTTP date in the past', 'Sun, 01 Mar 2026 09:00:00 GMT', 0],
    ['garbage', 'soon', undefined],
    ['a negative number', '-5', undefined],
    ['absent', null, undefined],
  ])('%s', (_name, header, expected) => {
    // Prepare / Act
    const parsed = parseRetryAfter(header, now);

    // Assert
    expect(parsed).toBe(expected);
  });
});

describe('backoffDelayMs (full jitter)', () => {
  it('doubles the ceiling per retry up to the cap and scales it by the random draw', () => {
    // Prepare
    const atTop = resolveRetryPolicy({ baseDelayMs: 100, maxDelayMs: 1_000, random: () => 0.9999 });
    const atBottom = resolveRetryPolicy({ baseDelayMs: 100, maxDelayMs: 1_000, random: () => 0 });

    // Act
    const top = [1, 2, 3, 4, 5, 6].map((retry) => backoffDelayMs(retry, atTop));
    const bottom = [1, 2, 3].map((retry) => backoffDelayMs(retry, atBottom));

    // Assert
    expect(top).toEqual([99, 199, 399, 799, 999, 999]);
    expect(bottom).toEqual([0, 0, 0]);
  });

  it('defaults to 4 attempts and never fewer than 1', () => {
    // Prepare / Act
    const defaults = resolveRetryPolicy();
    const none = resolveRetryPolicy({ maxAttempts: 0 });

    // Assert
    expect(defaults.maxAttempts).toBe(4);
    expect(none.maxAttempts).toBe(1);
  });
});
