import { isUtf8 } from 'node:buffer';
import { type CsvError, type Options, parse } from 'csv-parse';
import { parse as parseSync } from 'csv-parse/sync';
import { decodeWindows1252 } from './encoding.ts';

/**
 * One record as csv-parse read it. `line` is the physical line the record starts on (1-based, what a
 * spreadsheet shows). `problem` is set when the record is damaged (oversized field, too many columns,
 * unclosed quote) — its fields are then incomplete and must not be used.
 */
export interface RawRecord {
  line: number;
  fields: string[];
  problem?: string;
  /** 0-based column the problem was found in, when it concerns one column. */
  problemColumn?: number;
}

/** Limits applied to each record. */
export interface RecordLimits {
  /** Longest field kept, in bytes; a longer one damages its record (the next records are read normally). */
  maxFieldBytes: number;
  /** Most fields per record. */
  maxFields: number;
  /**
   * Safety cap on one record's content, in bytes, handed to csv-parse (`max_record_size`): reached only by
   * a quote that never closes in a huge file. Reading stops there (csv-parse cannot resume after it).
   */
  maxRecordBytes: number;
}

/** Default `maxRecordBytes`: far above any real row, low enough that a runaway quote stays cheap. */
export const MAX_RECORD_BYTES = 16 * 1024 * 1024;

/** csv-parse options shared by the stream and the re-read of an unclosed record. */
const OPTIONS = {
  // Latin-1 maps each byte to one character: the bytes survive, and each field is decoded on its own.
  encoding: 'latin1',
  bom: false, // the encoding layer has removed it
  // Any of CR, LF, CRLF ends a record, even mixed in one file (auto-discovery would fix the first one).
  record_delimiter: ['\r\n', '\n', '\r'],
  raw: true,
  relax_quotes: true,
  relax_column_count: true,
  skip_empty_lines: false, // blank lines still count for line numbers; the caller skips them
} satisfies Options;

/** Largest unclosed record re-read to find where its quote opened. */
const REREAD_MAX_BYTES = 1024 * 1024;

/** What csv-parse yields with `raw: true`: the fields and the record's source text. */
interface ParsedRecord {
  record: string[];
  raw: string;
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: any byte above 0x7F means "decode it properly".
const NON_ASCII = /[^\u0000-\u007f]/;

/**
 * Decodes one field read as Latin-1 (one character per byte, so the bytes are intact). Valid UTF-8 is
 * UTF-8; anything else is read as Windows-1252 (Excel's "CSV" on Western Windows), so accented names from
 * such files survive instead of turning into U+FFFD. ASCII (most fields) is returned as it is.
 */
const decodeField = (latin1: string): string => {
  if (!NON_ASCII.test(latin1)) return latin1;
  const bytes = Buffer.from(latin1, 'latin1');
  return isUtf8(bytes) ? bytes.toString('utf8') : decodeWindows1252(bytes);
};

/** Line breaks in a record's source text: CR, LF and CRLF each end one line. */
export const countLineBreaks = (raw: string): number => {
  let n = 0;
  for (let i = raw.indexOf('\n'); i !== -1; i = raw.indexOf('\n', i + 1)) n++;
  for (let i = raw.indexOf('\r'); i !== -1; i = raw.indexOf('\r', i + 1)) {
    if (raw.charCodeAt(i + 1) !== 0x0a) n++;
  }
  return n;
};

/**
 * Re-reads the text of a record csv-parse gave up on because a quote never closes, with the quote closed:
 * its fields as csv-parse sees them (Latin-1, undecoded), the unclosed value last. Undefined if that fails.
 */
const rereadClosed = (raw: string, delimiter: string): string[] | undefined => {
  try {
    const [record] = parseSync(Buffer.from(`${raw}"`, 'latin1'), {
      ...OPTIONS,
      raw: false,
      delimiter,
      to: 1,
    });
    return record;
  } catch {
    return undefined;
  }
};

const span = (first: number, last: number) => (last > first ? `lines ${first}–${last}` : `line ${first}`);

/**
 * Streams the records of a CSV (UTF-8 or Windows-1252 bytes; UTF-16 is transcoded before) through
 * csv-parse, in batches (one per input chunk), each record numbered with the spreadsheet line it starts
 * on. csv-parse does the CSV work; this adds what it does not offer (see README.md beside this file):
 * line numbers counted from each record's raw text (its `info.lines` drifts), per-field Windows-1252,
 * per-field size and column limits that reject a row without stopping the file, and an unclosed quote
 * or a runaway record reported as one damaged record at the line its row starts on.
 */
export async function* readRecords(
  chunks: AsyncIterable<Buffer>,
  delimiter: string,
  limits: RecordLimits,
): AsyncGenerator<RawRecord[], void, undefined> {
  const parser = parse({ ...OPTIONS, delimiter, max_record_size: limits.maxRecordBytes });
  // Errors are read from `parser.errored` after each write; the listener keeps them from being unhandled.
  parser.on('error', () => undefined);
  let line = 1;

  const toRecord = ({ record, raw }: ParsedRecord): RawRecord => {
    const out: RawRecord = { line, fields: record };
    line += countLineBreaks(raw);
    const tooMany = record.length > limits.maxFields;
    if (tooMany) record.length = limits.maxFields;
    for (let i = 0; i < record.length; i++) {
      if ((record[i] as string).length > limits.maxFieldBytes) {
        if (out.problem === undefined) {
          out.problem = `is longer than ${limits.maxFieldBytes} bytes`;
          out.problemColumn = i;
        }
        record[i] = ''; // not decoded nor kept: the row is rejected anyway
      }
    }
    if (tooMany && out.problem === undefined) out.problem = `more than ${limits.maxFields} columns`;
    // The other fields stay readable so that a rejected row can still name its email address.
    if (NON_ASCII.test(raw)) out.fields = record.map(decodeField);
    return out;
  };

  // Everything csv-parse has produced so far; it parses synchronously within write() and end().
  const drain = (): RawRecord[] => {
    const out: RawRecord[] = [];
    for (let item = parser.read() as ParsedRecord | null; item !== null; item = parser.read()) {
      out.push(toRecord(item));
    }
    const error = parser.errored as CsvError | null;
    if (error) out.push(failure(error));
    return out;
  };

  // The record csv-parse gave up on, reported at the line its row starts on.
  const failure = (error: CsvError): RawRecord => {
    const raw = typeof error.raw === 'string' ? error.raw : '';
    const last = line + countLineBreaks(raw);
    if (error.code === 'CSV_QUOTE_NOT_CLOSED') {
      // Re-read with the quote closed, the fields before the unclosed value still name the row's email and
      // tell the line the quote opened on. Skipped for a huge record (memory): the message then names the row.
      const fields = raw.length <= REREAD_MAX_BYTES ? rereadClosed(raw, delimiter) : undefined;
      if (fields === undefined || fields.length === 0) {
        return {
          line,
          fields: [],
          problem: `unclosed quote: a quoted value in the row starting on line ${line} never closes, so ${span(line, last)} could not be read`,
        };
      }
      const before = fields.slice(0, fields.length - 1); // the unclosed value (the rest of the file) is not kept
      let opened = line;
      for (const field of before) opened += countLineBreaks(field);
      return {
        line,
        fields: before
          .slice(0, limits.maxFields)
          .map((f) => (f.length > limits.maxFieldBytes ? '' : decodeField(f))),
        problem: `unclosed quote: the quoted value opened on line ${opened} never closes, so ${span(opened, last)} could not be read`,
      };
    }
    if (error.code === 'CSV_MAX_RECORD_SIZE') {
      return {
        line,
        fields: [],
        problem: `the row starting on line ${line} is larger than ${limits.maxRecordBytes} bytes (a quote that never closes?): reading stopped, so line ${line} and every line after it could not be read`,
      };
    }
    return { line, fields: [], problem: `the file cannot be read from here on: ${error.message}` };
  };

  try {
    for await (const chunk of chunks) {
      parser.write(chunk);
      const batch = drain();
      if (batch.length > 0) yield batch;
      if (parser.errored) return;
    }
    await new Promise<void>((resolve) => {
      parser.end(() => resolve());
      parser.once('error', () => resolve());
    });
    const batch = drain();
    if (batch.length > 0) yield batch;
  } finally {
    parser.destroy();
  }
}
