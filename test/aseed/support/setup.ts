/** Shared fixtures of the Aseed tests: a secret-looking token and instant, recorded retry sleeps. */
import type { RetryOptions } from '#shared/aseed/retry.ts';

/** Bearer token used by the tests; distinctive so a leak into a message is easy to spot. */
export const TOKEN = 'sk-live-TEST-9f8e7d6c5b4a-do-not-log';

/** Retry options that never really sleep: delays are recorded instead, jitter is pinned to 0.5. */
export const instantRetry = (overrides: RetryOptions = {}): { sleeps: number[]; retry: RetryOptions } => {
  const sleeps: number[] = [];
  return {
    sleeps,
    retry: {
      sleep: async (ms) => {
        sleeps.push(ms);
      },
      random: () => 0.5,
      ...overrides,
    },
  };
};

/** Runs `act` and returns what it threw (fails when it did not throw). */
export const thrown = async (act: () => Promise<unknown>): Promise<Error> => {
  try {
    await act();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a rejection');
};
