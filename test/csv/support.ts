import { Readable } from 'node:stream';
import { type ParsedRow, type ParseOptions, parseAll } from '#shared/csv/parse.ts';

/** Splits bytes into chunks of `size` (to exercise chunk boundaries), as a Node Readable like an S3 body. */
export const chunked = (input: string | Buffer, size = Number.POSITIVE_INFINITY): Readable => {
  const bytes = typeof input === 'string' ? Buffer.from(input, 'utf8') : input;
  const chunks: Buffer[] = [];
  const step = Number.isFinite(size) ? size : Math.max(bytes.length, 1);
  for (let i = 0; i < bytes.length; i += step) chunks.push(bytes.subarray(i, i + step));
  return Readable.from(chunks);
};

/** Compact view of rows for assertions: `[line, kind, email-or-reason]`. */
export const brief = (rows: ParsedRow[]): [number, string, string][] =>
  rows.map((r) =>
    r.kind === 'accepted'
      ? [r.line, 'accepted', r.respondent.email]
      : r.kind === 'duplicate'
        ? [r.line, `duplicate of ${r.firstLine}`, r.email]
        : [r.line, 'rejected', r.reason],
  );

/** Chunk sizes every structural case is run with: whole, tiny and odd. */
export const CHUNK_SIZES = [Number.POSITIVE_INFINITY, 1, 2, 3, 7];

/** Parses with every chunk size and checks they agree; returns the whole-input result. */
export const parseEverySplit = async (input: string | Buffer, options?: ParseOptions) => {
  const results = [];
  for (const size of CHUNK_SIZES) results.push(await parseAll(chunked(input, size), options));
  const [first, ...others] = results;
  for (const other of others) {
    if (JSON.stringify(other.rows) !== JSON.stringify(first?.rows)) {
      throw new Error(
        `chunking changed the result:\n${JSON.stringify(first?.rows)}\n${JSON.stringify(other.rows)}`,
      );
    }
  }
  return first as Awaited<ReturnType<typeof parseAll>>;
};
