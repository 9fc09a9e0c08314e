/** Runs `fn` over `items` with at most `limit` in flight; results keep the input order. */
export const mapLimit = async <T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> => {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index] as T, index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
};

/** Promise-based sleep; injectable so tests need not wait. */
export type Sleep = (ms: number) => Promise<void>;
/** Real-time sleep. */
export const realSleep: Sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Exponential backoff with full jitter: attempt 0 → up to `baseMs`, capped at `maxMs`. */
export const backoffMs = (attempt: number, baseMs = 50, maxMs = 2000): number =>
  Math.floor(Math.random() * Math.min(maxMs, baseMs * 2 ** attempt));
