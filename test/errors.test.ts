import { describe, expect, it } from 'vitest';
import { isRetryable, PermanentError, RetryableError } from '#shared/errors.ts';

describe('isRetryable', () => {
  it('tells transient from permanent errors and keeps the cause', () => {
    // Prepare
    const cause = new Error('socket hang up');
    // Act
    const transient = new RetryableError('timed out', { cause });
    // Assert
    expect(isRetryable(transient)).toBe(true);
    expect(isRetryable(new PermanentError('bad row'))).toBe(false);
    expect(isRetryable(new Error('unknown'))).toBe(false);
    expect(transient.cause).toBe(cause);
    expect(transient.name).toBe('RetryableError');
  });
});
