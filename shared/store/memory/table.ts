// An in-memory table with DynamoDB's item semantics where the use cases depend on them: items copied on
// every read and write (no aliasing), conditional writes that either apply whole or not at all.
import { realSleep, type Sleep } from '../concurrency.ts';
import { bySortKey, DEFAULT_RETENTION_DAYS } from '../items.ts';

/** A stored item: every item has its keys. */
export interface Item {
  pk: string;
  sk: string;
  [name: string]: unknown;
}

/** The memory table: items by partition, then sort key. */
export interface MemoryTable {
  /** A copy of one item, if present. */
  get<T>(pk: string, sk: string): T | undefined;
  /** Puts a copy of the item; with `ifAbsent`, only when no item has its keys (false when one had). */
  put(item: object, options?: { ifAbsent?: boolean }): boolean;
  /** Applies `change` to a copy of the item and stores it when `change` returns true (atomic here). */
  update<T>(pk: string, sk: string, change: (item: T | undefined) => T | false): T | false;
  delete(pk: string, sk: string): void;
  /** Copies of the items of partition `pk` whose sort key starts with `prefix`, in sort key order. */
  query<T>(pk: string, prefix: string): T[];
  /** Copies of every item `keep` accepts, across partitions (what a sparse index would hold). */
  scan<T>(keep: (item: Item) => boolean): T[];
  /** TTL value (epoch s) for an item written at `nowMs`. */
  expiresAt(nowMs: number): number;
  sleep: Sleep;
}

/** A new, empty memory table. */
export const memoryTable = (options: { retentionDays?: number; sleep?: Sleep } = {}): MemoryTable => {
  const partitions = new Map<string, Map<string, Item>>();
  const partition = (pk: string) => {
    const found = partitions.get(pk) ?? new Map<string, Item>();
    partitions.set(pk, found);
    return found;
  };
  const retentionSeconds = (options.retentionDays ?? DEFAULT_RETENTION_DAYS) * 86_400;
  return {
    get: <T>(pk: string, sk: string) => {
      const item = partitions.get(pk)?.get(sk);
      return item ? (structuredClone(item) as T) : undefined;
    },
    put(item, { ifAbsent = false } = {}) {
      const { pk, sk } = item as Item;
      if (ifAbsent && partition(pk).has(sk)) return false;
      partition(pk).set(sk, structuredClone(item) as Item);
      return true;
    },
    update<T>(pk: string, sk: string, change: (item: T | undefined) => T | false) {
      const current = partitions.get(pk)?.get(sk);
      const next = change(current ? (structuredClone(current) as T) : undefined);
      if (next === false) return false;
      partition(pk).set(sk, structuredClone(next) as Item);
      return structuredClone(next);
    },
    delete: (pk, sk) => void partitions.get(pk)?.delete(sk),
    query: <T>(pk: string, prefix: string) =>
      [...(partitions.get(pk)?.values() ?? [])]
        .filter((item) => item.sk.startsWith(prefix))
        .sort(bySortKey)
        .map((item) => structuredClone(item) as T),
    scan: <T>(keep: (item: Item) => boolean) =>
      [...partitions.values()]
        .flatMap((p) => [...p.values()].filter(keep))
        .map((i) => structuredClone(i) as T),
    expiresAt: (nowMs) => Math.floor(nowMs / 1000) + retentionSeconds,
    sleep: options.sleep ?? realSleep,
  };
};
