/** Fault injection of the stand-in: a seedable PRNG, the fault settings and the `--faults` spec parser. */

/**
 * Faults of one stand-in instance. Probabilities are per create call (POST /api/interviews/rooms) unless
 * `applyTo` is 'all'; `latencyMs` is added to every request.
 */
export interface StandinFaults {
  /** Delay added before handling every request. */
  latencyMs?: number;
  /** 429 with Retry-After, answered before processing: nothing created. */
  p429?: number;
  /** 500 answered before processing: nothing created. */
  p500?: number;
  /** 503 answered before processing: nothing created. */
  p503?: number;
  /** The request is processed (rooms ARE created), then the socket is destroyed without a response. */
  pDrop?: number;
  /** Retry-After value sent with injected 429s, in seconds. Default 1. */
  retryAfterSeconds?: number;
  /** Which requests the probabilities apply to. Default 'create'. 'all' is for testing idempotent retries. */
  applyTo?: 'create' | 'all';
  /** Re-seeds the instance's PRNG when set. */
  seed?: number;
}

/** An injected fault kind. */
export type FaultKind = '429' | '500' | '503' | 'drop';

/** mulberry32: tiny deterministic PRNG returning floats in [0, 1). */
export const mulberry32 = (seed: number): (() => number) => {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
};

/** Draws at most one fault with a single roll, so the probabilities are exclusive and add up. */
export const rollFault = (faults: StandinFaults, random: () => number): FaultKind | undefined => {
  const roll = random();
  let threshold = 0;
  const table: [FaultKind, number | undefined][] = [
    ['429', faults.p429],
    ['500', faults.p500],
    ['503', faults.p503],
    ['drop', faults.pDrop],
  ];
  for (const [kind, probability] of table) {
    threshold += probability ?? 0;
    if (roll < threshold) return kind;
  }
  return undefined;
};

const KEYS: Record<string, keyof StandinFaults> = {
  '429': 'p429',
  '500': 'p500',
  '503': 'p503',
  drop: 'pDrop',
  latency: 'latencyMs',
  retryafter: 'retryAfterSeconds',
  seed: 'seed',
};

/**
 * Parses a CLI fault spec such as `429=0.1,500=0.05,503=0.05,drop=0.02,latency=50` (also `retryAfter=2`,
 * `seed=7`, `applyTo=all`). Throws on unknown keys, non-numbers, probabilities outside [0, 1] or summing above 1.
 */
export const parseFaultSpec = (spec: string): StandinFaults => {
  const faults: StandinFaults = {};
  for (const part of spec.split(',')) {
    const entry = part.trim();
    if (entry === '') continue;
    const [rawKey, rawValue, ...rest] = entry.split('=');
    const key = rawKey?.trim().toLowerCase() ?? '';
    const value = rawValue?.trim() ?? '';
    if (rest.length > 0 || value === '') throw new Error(`Bad fault entry "${entry}": expected key=value`);
    if (key === 'applyto') {
      if (value !== 'create' && value !== 'all') throw new Error(`Bad fault entry "${entry}": create or all`);
      faults.applyTo = value;
      continue;
    }
    const field = KEYS[key];
    const number = Number(value);
    if (field === undefined)
      throw new Error(`Unknown fault "${rawKey}" (known: ${Object.keys(KEYS).join(', ')})`);
    if (!Number.isFinite(number) || number < 0)
      throw new Error(`Bad fault entry "${entry}": not a number ≥ 0`);
    if (field.startsWith('p') && number > 1)
      throw new Error(`Bad fault entry "${entry}": probability above 1`);
    (faults as Record<string, number>)[field] = number;
  }
  const total = (faults.p429 ?? 0) + (faults.p500 ?? 0) + (faults.p503 ?? 0) + (faults.pDrop ?? 0);
  if (total > 1) throw new Error(`Fault probabilities add up to ${total}, more than 1`);
  return faults;
};
