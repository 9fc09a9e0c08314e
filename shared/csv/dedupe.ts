/**
 * Remembers which email keys a file has already produced, in about 12 bytes per key instead of the ~120
 * of a Map of strings, so a million-row file stays well under the ingest memory budget. Keys are stored
 * as two independent 32-bit hashes (64 bits): the chance that two different addresses collide in a
 * 1,000,000-row file is about 3·10⁻⁸, and a collision would show up as a reported duplicate, not vanish.
 */
export class EmailKeySet {
  private h1: Uint32Array;
  private h2: Uint32Array;
  private lines: Uint32Array;
  private size = 0;
  private mask: number;

  constructor(initialCapacity = 1024) {
    let capacity = 16;
    while (capacity < initialCapacity * 2) capacity *= 2;
    this.h1 = new Uint32Array(capacity);
    this.h2 = new Uint32Array(capacity);
    this.lines = new Uint32Array(capacity);
    this.mask = capacity - 1;
  }

  /** Number of keys stored. */
  get count(): number {
    return this.size;
  }

  /** Records `key` first seen on `line`; returns the earlier line when the key was already there. */
  addOrGet(key: string, line: number): number | undefined {
    // FNV-1a and a multiply-rotate hash over UTF-16 code units; `| 1` keeps 0 free as "empty slot".
    let a = 0x811c9dc5;
    let b = 0x9747b28c;
    for (let i = 0; i < key.length; i++) {
      const c = key.charCodeAt(i);
      a = Math.imul(a ^ c, 0x01000193);
      b = Math.imul(b ^ c, 0x5bd1e995);
      b ^= b >>> 15;
    }
    a = (a ^ (a >>> 16)) >>> 0;
    b = ((b ^ (b >>> 13)) | 1) >>> 0;
    let slot = a & this.mask;
    for (;;) {
      const stored = this.h2[slot] as number;
      if (stored === 0) break;
      if (stored === b && this.h1[slot] === a) return this.lines[slot];
      slot = (slot + 1) & this.mask;
    }
    this.h1[slot] = a;
    this.h2[slot] = b;
    this.lines[slot] = line;
    this.size++;
    if (this.size * 2 > this.mask) this.grow();
    return undefined;
  }

  private grow(): void {
    const { h1, h2, lines } = this;
    const capacity = h1.length * 2;
    this.h1 = new Uint32Array(capacity);
    this.h2 = new Uint32Array(capacity);
    this.lines = new Uint32Array(capacity);
    this.mask = capacity - 1;
    for (let i = 0; i < h1.length; i++) {
      const b = h2[i] as number;
      if (b === 0) continue;
      const a = h1[i] as number;
      let slot = a & this.mask;
      while (this.h2[slot] !== 0) slot = (slot + 1) & this.mask;
      this.h1[slot] = a;
      this.h2[slot] = b;
      this.lines[slot] = lines[i] as number;
    }
  }
}
