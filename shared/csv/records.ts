import { isUtf8 } from 'node:buffer';
import { type CsvError, type Options, parse } from 'csv-parse';
import { parse as parseSync } from 'csv-parse/sync';
import { LegacyDecoder } from './legacy.ts';

/**
 * One record as csv-parse read it. `line` is its row number as a spreadsheet shows it (1-based: every
 * record is one row, blank ones too, however many lines its quoted values span). `problem` is set when the record is damaged (oversized field, too many columns,
 * unclosed quote, runaway record): its fields are then incomplete, kept only to name the row's email.
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

/** Default `maxRecordBytes`: far above any real row; bounds the memory a quote that never closes takes. */
export const MAX_RECORD_BYTES = 16 * 1024 * 1024;

/** csv-parse options shared by the stream and the re-read of an unclosed record. */
const OPTIONS = {
  // Latin-1 maps each byte to one character: the bytes survive, and each field is decoded on its own.
  encoding: 'latin1',
  bom: false, // the encoding layer has removed it
  // Any of CR, LF, CRLF ends a record, even mixed in one file (auto-discovery would fix the first one).
  record_delimiter: ['\r\n', '\n', '\r'],
  relax_quotes: true,
  relax_column_count: true,
  skip_empty_lines: false, // blank lines still count for line numbers; the caller skips them
} satisfies Options;

/** Most bytes handed to csv-parse per write. */
const WRITE_BYTES = 16 * 1024;

/** How much of the input's end is kept to re-read a record whose quote never closes. */
const TAIL_BYTES = 1024 * 1024;

// A Latin-1 string holds characters up to U+00FF: one above U+007F is a byte that needs decoding.
const NON_ASCII = /[\u0080-\u00ff]/;

/**
 * Decodes one field read as Latin-1 (one character per byte, so the bytes are intact). Valid UTF-8 is
 * UTF-8; anything else is Windows-1252 (Excel's "CSV" on Western Windows) or Mac Roman (old Excel for Mac),
 * whichever its letters read best in, so accented names survive instead of turning into U+FFFD or
 * "JŸrgen Gro§". ASCII (most fields) is returned as it is.
 */
const decodeField = (latin1: string, legacy: LegacyDecoder): string => {
  if (!NON_ASCII.test(latin1)) return latin1;
  const bytes = Buffer.from(latin1, 'latin1');
  return isUtf8(bytes) ? bytes.toString('utf8') : legacy.decode(bytes).text;
};

/** Line breaks in a value: CR, LF and CRLF each end one line. */
const countLineBreaks = (text: string): number => {
  let n = 0;
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) n++;
  for (let i = text.indexOf('\r'); i !== -1; i = text.indexOf('\r', i + 1)) {
    if (text.charCodeAt(i + 1) !== 0x0a) n++;
  }
  return n;
};

/** Line breaks in a byte chunk; a CR ending it is counted, so an LF starting the next one is not. */
const countByteBreaks = (chunk: Buffer, afterCR: boolean): number => {
  let n = afterCR && chunk[0] === 0x0a ? -1 : 0;
  for (let i = chunk.indexOf(0x0a); i !== -1; i = chunk.indexOf(0x0a, i + 1)) n++;
  for (let i = chunk.indexOf(0x0d); i !== -1; i = chunk.indexOf(0x0d, i + 1)) {
    if (chunk[i + 1] !== 0x0a) n++;
  }
  return n;
};

/**
 * The text of the record that ends the input and holds `breaks` line breaks: what follows the line break
 * before them, or the whole input when it started there. Undefined when `tail` is too short to tell.
 */
const lastRecordText = (tail: Buffer, breaks: number, tailIsWholeInput: boolean): Buffer | undefined => {
  let seen = 0;
  for (let i = tail.length - 1; i >= 0; i--) {
    const c = tail[i];
    if (c !== 0x0a && c !== 0x0d) continue;
    if (seen === breaks) return tail.subarray(i + 1);
    seen++;
    if (c === 0x0a && i > 0 && tail[i - 1] === 0x0d) i--;
  }
  return tailIsWholeInput && seen === breaks ? tail : undefined;
};

/**
 * Re-reads the text of a record csv-parse gave up on because a quote never closes, with the quote closed:
 * its fields as csv-parse sees them (Latin-1, undecoded), the unclosed value last. Undefined if that fails.
 */
const rereadClosed = (text: Buffer, delimiter: string): string[] | undefined => {
  try {
    const [record] = parseSync(Buffer.concat([text, Buffer.from('"')]), { ...OPTIONS, delimiter, to: 1 });
    return record;
  } catch {
    return undefined;
  }
};

const span = (first: number, last: number) => (last > first ? `lines ${first}–${last}` : `line ${first}`);

/** True when more lines of a chunk end with CR alone than with LF (an LF inside a cell does not count). */
const crLineEndings = (chunk: Buffer): boolean => {
  let lf = 0;
  for (let i = chunk.indexOf(0x0a); i !== -1; i = chunk.indexOf(0x0a, i + 1)) lf++;
  return countByteBreaks(chunk, false) - lf > lf;
};

/** The input's line breaks and its last bytes: only needed to report a quote that never closes. */
class InputTail {
  breaks = 0;
  private afterCR = false;
  private readonly chunks: Buffer[] = [];
  private bytes = 0;
  private wholeInput = true;

  /** True when the input's first chunk ends its lines with CR alone (old Excel for Mac). */
  crLineEndings: boolean | undefined;

  /** Counts a chunk's line breaks and keeps the last TAIL_BYTES of the input. */
  add(chunk: Buffer): void {
    this.crLineEndings ??= crLineEndings(chunk);
    this.breaks += countByteBreaks(chunk, this.afterCR);
    this.afterCR = chunk[chunk.length - 1] === 0x0d;
    this.chunks.push(chunk);
    this.bytes += chunk.length;
    while (this.bytes - (this.chunks[0] as Buffer).length >= TAIL_BYTES) {
      this.bytes -= (this.chunks.shift() as Buffer).length;
      this.wholeInput = false;
    }
  }

  /** The text of the input's last record, which holds `breaks` line breaks (see {@link lastRecordText}). */
  lastRecord(breaks: number): Buffer | undefined {
    return lastRecordText(Buffer.concat(this.chunks), breaks, this.wholeInput);
  }
}

/** csv-parse's records numbered, decoded and checked against the limits; its failure as one damaged record. */
class RecordReader {
  /** Spreadsheet row of the next record. */
  private line = 1;
  /** Text line (as an editor counts them) the next record starts on: only to report an unclosed quote. */
  private textLine = 1;
  readonly tail = new InputTail();
  readonly parser;
  private legacy: LegacyDecoder | undefined;

  constructor(
    private readonly delimiter: string,
    private readonly limits: RecordLimits,
  ) {
    this.parser = parse({ ...OPTIONS, delimiter, max_record_size: limits.maxRecordBytes });
    // Errors are read from `parser.errored` after each write; the listener keeps them from being unhandled.
    this.parser.on('error', () => undefined);
  }

  /** Everything csv-parse has produced so far; it parses synchronously within write() and end(). */
  drain(): RawRecord[] {
    const out: RawRecord[] = [];
    for (let item = this.parser.read() as string[] | null; item !== null; item = this.parser.read()) {
      out.push(this.toRecord(item));
    }
    const error = this.parser.errored as CsvError | null;
    if (error) out.push(this.failure(error));
    return out;
  }

  private toRecord(record: string[]): RawRecord {
    const { maxFields, maxFieldBytes } = this.limits;
    const out: RawRecord = { line: this.line, fields: record };
    // Every line break in a record's text is either the one that ends it or inside a value, which
    // csv-parse keeps verbatim (only quotes are removed): the next record starts that many text lines on.
    this.line++;
    this.textLine++;
    for (const field of record) {
      if (field.indexOf('\n') !== -1 || field.indexOf('\r') !== -1) this.textLine += countLineBreaks(field);
    }
    const tooMany = record.length > maxFields;
    if (tooMany) record.length = maxFields;
    for (let i = 0; i < record.length; i++) {
      const field = record[i] as string;
      if (field.length > maxFieldBytes) {
        if (out.problem === undefined) {
          out.problem = `is longer than ${maxFieldBytes} bytes`;
          out.problemColumn = i;
        }
        record[i] = ''; // not decoded nor kept: the row is rejected anyway
      } else if (NON_ASCII.test(field)) {
        record[i] = decodeField(field, this.legacyDecoder());
      }
    }
    // The other fields stay readable so that a rejected row can still name its email address.
    if (tooMany && out.problem === undefined) out.problem = `more than ${maxFields} columns`;
    return out;
  }

  /** The file's decoder of 8-bit fields, made once its first bytes (and so its line endings) are known. */
  private legacyDecoder(): LegacyDecoder {
    this.legacy ??= new LegacyDecoder(this.tail.crLineEndings === true);
    return this.legacy;
  }

  /** The record csv-parse gave up on, reported at the line its row starts on. */
  private failure(error: CsvError): RawRecord {
    const { line } = this;
    if (error.code === 'CSV_QUOTE_NOT_CLOSED') return this.unclosedQuote();
    if (error.code === 'CSV_MAX_RECORD_SIZE') {
      return {
        line,
        fields: [],
        problem: `the row is larger than ${this.limits.maxRecordBytes} bytes (a quote that never closes?): reading stopped, so row ${line} and every row after it could not be read`,
      };
    }
    return { line, fields: [], problem: `the file cannot be read from here on: ${error.message}` };
  }

  /**
   * A quote that never closes: the record runs to the end of the input, so the input's line count gives its
   * last text line. Re-read with the quote closed, its text gives the values before the unclosed one (the
   * row's email) and, through their line breaks, the text line the quote opened on: where a text editor
   * finds it (a spreadsheet shows the rest of the file as that one cell). Without it, the row's first line.
   */
  private unclosedQuote(): RawRecord {
    const { line, textLine, limits } = this;
    const last = this.tail.breaks + 1;
    const text = this.tail.lastRecord(last - textLine);
    const fields = text === undefined ? undefined : rereadClosed(text, this.delimiter);
    if (fields === undefined || fields.length === 0) {
      return {
        line,
        fields: [],
        problem: `unclosed quote: a quoted value in this row (from text line ${textLine}) never closes, so text ${span(textLine, last)} could not be read`,
      };
    }
    const before = fields.slice(0, fields.length - 1); // the unclosed value (the rest of the file) is not kept
    let opened = textLine;
    for (const field of before) opened += countLineBreaks(field);
    return {
      line,
      fields: before
        .slice(0, limits.maxFields)
        .map((f) => (f.length > limits.maxFieldBytes ? '' : decodeField(f, this.legacyDecoder()))),
      problem: `unclosed quote: the quoted value opened on text line ${opened} never closes, so text ${span(opened, last)} could not be read`,
    };
  }
}

/**
 * Streams the records of a CSV (UTF-8, Windows-1252 or Mac Roman bytes; UTF-16 is transcoded before)
 * through csv-parse, in batches (one per 16 KiB of input), each record numbered with the spreadsheet row it
 * is. csv-parse does the CSV work; this adds what it does not offer (see README.md beside this file): row
 * numbers (its `info.lines` counts text lines, and drifts), 8-bit fields decoded per field, per-field size
 * and column limits that reject a row without stopping the file, and an unclosed quote or a runaway record
 * reported as one damaged record at its row, naming the text lines it swallowed.
 */
export async function* readRecords(
  chunks: AsyncIterable<Buffer>,
  delimiter: string,
  limits: RecordLimits,
): AsyncGenerator<RawRecord[], void, undefined> {
  const reader = new RecordReader(delimiter, limits);
  const { parser } = reader;
  try {
    for await (const chunk of chunks) {
      if (chunk.length === 0) continue;
      reader.tail.add(chunk);
      // Small writes: csv-parse copies each one (joined to its last bytes), and a small batch of records
      // dies young instead of surviving into the old heap (measured: less CPU and ~30 MB less RSS).
      for (let at = 0; at < chunk.length; at += WRITE_BYTES) {
        parser.write(chunk.subarray(at, at + WRITE_BYTES));
        const batch = reader.drain();
        if (batch.length > 0) yield batch;
        if (parser.errored) return;
      }
    }
    await new Promise<void>((resolve) => {
      parser.end(() => resolve());
      parser.once('error', () => resolve());
    });
    const batch = reader.drain();
    if (batch.length > 0) yield batch;
  } finally {
    parser.destroy();
  }
}
