/**
 * Byte-level front end of the parser: reads the first bytes to recognise the encoding (BOM, BOM-less
 * UTF-16) and binary files, then yields the content as UTF-8 (or Windows-1252) bytes, transcoding UTF-16
 * as a stream.
 */

/** What the parser accepts: a Node Readable, an S3 GetObject body, or any async iterable of bytes. */
export type CsvInput = AsyncIterable<Uint8Array | string> | Iterable<Uint8Array | string>;

/** The encoding the file was read as. Windows-1252 is decided per field (see records.ts). */
export type SourceEncoding = 'utf-8' | 'utf-8-bom' | 'utf-16le' | 'utf-16be';

/** How the start of a file was classified. */
export type Sniff =
  | { kind: 'empty' }
  | { kind: 'binary'; what: string }
  | { kind: 'text'; encoding: SourceEncoding; bomLength: number };

const toBuffer = (chunk: Uint8Array | string): Buffer =>
  typeof chunk === 'string'
    ? Buffer.from(chunk, 'utf8')
    : Buffer.isBuffer(chunk)
      ? chunk
      : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);

const MAGIC: [number[], string][] = [
  [[0x50, 0x4b, 0x03, 0x04], 'a ZIP archive (an .xlsx workbook?) — export the sheet as CSV'],
  [[0x50, 0x4b, 0x05, 0x06], 'an empty ZIP archive'],
  [[0xd0, 0xcf, 0x11, 0xe0], 'an old Excel .xls workbook — export the sheet as CSV'],
  [[0x89, 0x50, 0x4e, 0x47], 'a PNG image'],
  [[0x25, 0x50, 0x44, 0x46], 'a PDF document'],
  [[0x1f, 0x8b], 'a gzip archive'],
  [[0xff, 0xd8, 0xff], 'a JPEG image'],
  [[0x47, 0x49, 0x46, 0x38], 'a GIF image'],
  [[0x42, 0x5a, 0x68], 'a bzip2 archive'],
  [[0x37, 0x7a, 0xbc, 0xaf], 'a 7-Zip archive'],
  [[0x7f, 0x45, 0x4c, 0x46], 'an executable'],
  [[0xff, 0xfe, 0x00, 0x00], 'UTF-32 text (not supported: save as UTF-8)'],
  [[0x00, 0x00, 0xfe, 0xff], 'UTF-32 text (not supported: save as UTF-8)'],
];

const startsWith = (buf: Buffer, bytes: number[]): boolean =>
  buf.length >= bytes.length && bytes.every((b, i) => buf[i] === b);

/** Share of even/odd bytes that are zero in the first bytes: BOM-less UTF-16 has ASCII with a zero half. */
const utf16Guess = (buf: Buffer): 'utf-16le' | 'utf-16be' | undefined => {
  const n = Math.min(buf.length, 1024) & ~1;
  if (n < 4) return undefined;
  let evenZero = 0;
  let oddZero = 0;
  for (let i = 0; i < n; i += 2) {
    if (buf[i] === 0) evenZero++;
    if (buf[i + 1] === 0) oddZero++;
  }
  const pairs = n / 2;
  if (oddZero / pairs > 0.7 && evenZero === 0) return 'utf-16le';
  if (evenZero / pairs > 0.7 && oddZero === 0) return 'utf-16be';
  return undefined;
};

/** Classifies the first bytes of a file. */
export const sniff = (head: Buffer): Sniff => {
  if (head.length === 0) return { kind: 'empty' };
  for (const [magic, what] of MAGIC) if (startsWith(head, magic)) return { kind: 'binary', what };
  if (startsWith(head, [0xef, 0xbb, 0xbf])) return { kind: 'text', encoding: 'utf-8-bom', bomLength: 3 };
  if (startsWith(head, [0xff, 0xfe])) return { kind: 'text', encoding: 'utf-16le', bomLength: 2 };
  if (startsWith(head, [0xfe, 0xff])) return { kind: 'text', encoding: 'utf-16be', bomLength: 2 };
  const guess = utf16Guess(head);
  if (guess) return { kind: 'text', encoding: guess, bomLength: 0 };
  return { kind: 'text', encoding: 'utf-8', bomLength: 0 };
};

/**
 * True when decoded text looks binary: any NUL, or more than 2% other control bytes (tab, CR, LF aside).
 * Real CSV exports contain neither.
 */
export const looksBinary = (text: Buffer): boolean => {
  if (text.includes(0)) return true;
  let controls = 0;
  for (let i = 0; i < text.length; i++) {
    const b = text[i] as number;
    if ((b < 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d) || b === 0x7f) controls++;
  }
  return controls > 8 && controls / text.length > 0.02;
};

/** Async iterator over input chunks as Buffers. */
export async function* buffers(input: CsvInput): AsyncGenerator<Buffer> {
  for await (const chunk of input as AsyncIterable<Uint8Array | string>) {
    const buf = toBuffer(chunk);
    if (buf.length > 0) yield buf;
  }
}

/**
 * Reads from `source` until `min` bytes (or the end) and returns them with the rest of the stream.
 * Never holds more than the head plus one chunk.
 */
export const peek = async (
  source: AsyncIterator<Buffer>,
  min: number,
): Promise<{ head: Buffer; rest: AsyncGenerator<Buffer> }> => {
  const parts: Buffer[] = [];
  let size = 0;
  let done = false;
  while (size < min) {
    const next = await source.next();
    if (next.done) {
      done = true;
      break;
    }
    parts.push(next.value);
    size += next.value.length;
  }
  const head = parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts);
  async function* rest(): AsyncGenerator<Buffer> {
    if (done) return;
    try {
      for (;;) {
        const next = await source.next();
        if (next.done) return;
        yield next.value;
      }
    } finally {
      // A consumer that stops early must still release the source (an S3 body holds a socket).
      await source.return?.();
    }
  }
  return { head, rest: rest() };
};

/**
 * Yields the file as bytes csv-parse reads (UTF-8, or Windows-1252 bytes passed through): the BOM
 * removed, UTF-16 transcoded chunk by chunk (a code unit split across chunks is carried over).
 */
export async function* decodedBytes(
  head: Buffer,
  rest: AsyncIterable<Buffer>,
  encoding: SourceEncoding,
  bomLength: number,
): AsyncGenerator<Buffer> {
  const first = bomLength > 0 ? head.subarray(bomLength) : head;
  if (encoding === 'utf-8' || encoding === 'utf-8-bom') {
    if (first.length > 0) yield first;
    yield* rest;
    return;
  }
  const decoder = new TextDecoder(encoding);
  const out = (text: string): Buffer => Buffer.from(text, 'utf8');
  if (first.length > 0) yield out(decoder.decode(first, { stream: true }));
  for await (const chunk of rest) {
    const text = decoder.decode(chunk, { stream: true });
    if (text.length > 0) yield out(text);
  }
  const tail = decoder.decode();
  if (tail.length > 0) yield out(tail);
}
