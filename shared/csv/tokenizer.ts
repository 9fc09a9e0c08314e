import { isUtf8 } from 'node:buffer';

/**
 * One record as the tokenizer saw it. `line` is the physical line the record starts on (1-based, what a
 * spreadsheet shows); `lineCount` how many physical lines it spans. `problem` is set when the record is
 * damaged (oversized field, unclosed quote) — its fields are then incomplete and must not be used.
 */
export interface RawRecord {
  line: number;
  lineCount: number;
  fields: string[];
  problem?: string;
  /** 0-based column the problem was found in, when it concerns one column. */
  problemColumn?: number;
}

/** Limits that keep memory bounded whatever the input. */
export interface TokenizerLimits {
  /** Longest field kept, in bytes; longer ones are skipped without buffering and the record is damaged. */
  maxFieldBytes: number;
  /** Most fields kept per record. */
  maxFields: number;
}

const QUOTE = 0x22;
const CR = 0x0d;
const LF = 0x0a;
const QUOTE_BYTE = Buffer.from('"');

// Windows-1252 differs from Latin-1 only in 0x80–0x9F. Node's TextDecoder('windows-1252') decodes as
// Latin-1 (C1 controls instead of € “ ” – …), so the table is spelt out. Undefined bytes stay C1 controls.
const CP1252_HIGH =
  '\u20ac\u0081\u201a\u0192\u201e\u2026\u2020\u2021\u02c6\u2030\u0160\u2039\u0152\u008d\u017d\u008f' +
  '\u0090\u2018\u2019\u201c\u201d\u2022\u2013\u2014\u02dc\u2122\u0161\u203a\u0153\u009d\u017e\u0178';

/** Decodes Windows-1252 bytes. */
export const decodeWindows1252 = (bytes: Buffer): string => {
  const latin1 = bytes.toString('latin1');
  return latin1.replace(/[\u0080-\u009f]/g, (c) => CP1252_HIGH[c.charCodeAt(0) - 0x80] as string);
};

/**
 * Decodes one field. Valid UTF-8 is UTF-8; anything else is read as Windows-1252 (Excel's "CSV" on
 * Western Windows), so accented names from such files survive instead of turning into U+FFFD.
 */
const decodeField = (bytes: Buffer): string => {
  if (bytes.length === 0) return '';
  return isUtf8(bytes) ? bytes.toString('utf8') : decodeWindows1252(bytes);
};

/**
 * A streaming RFC 4180 tokenizer over bytes (UTF-8 or Windows-1252; UTF-16 is transcoded before it).
 * It is hand-written rather than csv-parse because the parser must report spreadsheet row numbers
 * exactly, skip an oversized field without buffering it and without losing the following rows, and
 * report an unclosed quote at the line it opened on — see README.md beside this file for the csv-parse 7.0.3
 * behaviours that ruled it out. Relaxed like spreadsheets: a quote inside an unquoted field is literal,
 * text after a closing quote is appended.
 */
export class CsvTokenizer {
  private readonly delimiter: number;
  private readonly limits: TokenizerLimits;
  /** Physical line of the next byte. */
  private line = 1;
  private recordLine = 1;
  private fields: string[] = [];
  private parts: Buffer[] = [];
  private fieldBytes = 0;
  private inQuotes = false;
  /** The last byte was a quote inside a quoted field: either an escaped quote or the closing one. */
  private quotePending = false;
  private fieldWasQuoted = false;
  private pendingCR = false;
  private problem: string | undefined;
  private problemColumn: number | undefined;
  private quoteOpenLine = 0;

  constructor(delimiter: string, limits: TokenizerLimits) {
    this.delimiter = delimiter.charCodeAt(0);
    this.limits = limits;
  }

  /** Consumes a chunk and returns the records it completed. */
  push(chunk: Buffer): RawRecord[] {
    const out: RawRecord[] = [];
    const d = this.delimiter;
    const len = chunk.length;
    let start = 0; // start of the not-yet-collected part of the current field in this chunk
    let i = 0;
    if (this.pendingCR) {
      // A CR ended the previous chunk: an LF right after it belongs to the same line break.
      this.pendingCR = false;
      if (len > 0 && chunk[0] === LF && !this.inQuotes) {
        i = 1;
        start = 1;
      } else if (len > 0 && chunk[0] === LF && this.inQuotes) {
        // Inside quotes the LF is part of the value; the line was already counted at the CR.
        i = 1;
      }
    }
    while (i < len) {
      const c = chunk[i] as number;
      if (this.inQuotes) {
        if (this.quotePending) {
          this.quotePending = false;
          if (c === QUOTE) {
            // "" → one literal quote: keep the first, drop the second.
            if (i === 0) this.collect(QUOTE_BYTE, 0, 1);
            else this.collect(chunk, start, i);
            start = i + 1;
            i++;
            continue;
          }
          // The previous quote closed the field.
          this.inQuotes = false;
          this.collect(chunk, start, i - 1);
          start = i;
          continue; // re-examine c outside quotes
        }
        if (c === QUOTE) {
          this.quotePending = true;
        } else if (c === LF) {
          this.line++;
        } else if (c === CR) {
          this.line++;
          if (i + 1 < len) {
            if (chunk[i + 1] === LF) i++;
          } else {
            this.pendingCR = true;
          }
        }
        i++;
        continue;
      }
      if (c === d) {
        this.collect(chunk, start, i);
        this.endField();
        i++;
        start = i;
      } else if (c === LF || c === CR) {
        this.collect(chunk, start, i);
        this.endField();
        out.push(this.endRecord());
        this.line++;
        if (c === CR) {
          if (i + 1 < len) {
            if (chunk[i + 1] === LF) i++;
          } else {
            this.pendingCR = true;
          }
        }
        i++;
        start = i;
        this.recordLine = this.line;
      } else if (c === QUOTE && this.fieldBytes === 0 && start === i && !this.fieldWasQuoted) {
        this.inQuotes = true;
        this.fieldWasQuoted = true;
        this.quoteOpenLine = this.line;
        i++;
        start = i;
      } else {
        i++;
      }
    }
    if (this.inQuotes && this.quotePending) {
      // Keep the pending quote out of the value until the next chunk says what it was.
      this.collect(chunk, start, len - 1);
    } else {
      this.collect(chunk, start, len);
    }
    return out;
  }

  /** Flushes the last record at end of input. */
  end(): RawRecord[] {
    if (this.inQuotes && this.quotePending) {
      // The file ends right after a closing quote.
      this.inQuotes = false;
      this.quotePending = false;
    }
    if (this.inQuotes) {
      const lastLine = this.line;
      const span =
        lastLine > this.quoteOpenLine ? `lines ${this.quoteOpenLine}–${lastLine}` : `line ${lastLine}`;
      this.problem = `unclosed quote: the quoted value opened on line ${this.quoteOpenLine} never closes, so ${span} could not be read`;
      this.endField();
      return [this.endRecord()];
    }
    if (this.fieldBytes > 0 || this.fields.length > 0 || this.fieldWasQuoted || this.problem !== undefined) {
      this.endField();
      return [this.endRecord()];
    }
    return [];
  }

  private collect(chunk: Buffer, from: number, to: number): void {
    if (to <= from) return;
    const n = to - from;
    this.fieldBytes += n;
    if (this.problem !== undefined) return;
    if (this.fieldBytes > this.limits.maxFieldBytes) {
      this.problem = `is longer than ${this.limits.maxFieldBytes} bytes`;
      this.problemColumn = this.fields.length;
      this.parts = [];
      return;
    }
    this.parts.push(chunk.subarray(from, to));
  }

  private endField(): void {
    if (this.problem === undefined) {
      if (this.fields.length >= this.limits.maxFields) {
        this.problem = `more than ${this.limits.maxFields} columns`;
      } else {
        const parts = this.parts;
        const bytes = parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts);
        this.fields.push(decodeField(bytes));
      }
    }
    this.parts = [];
    this.fieldBytes = 0;
    this.fieldWasQuoted = false;
  }

  private endRecord(): RawRecord {
    const record: RawRecord = {
      line: this.recordLine,
      lineCount: this.line - this.recordLine + 1,
      fields: this.fields,
    };
    if (this.problem !== undefined) record.problem = this.problem;
    if (this.problemColumn !== undefined) record.problemColumn = this.problemColumn;
    this.fields = [];
    this.problem = undefined;
    this.problemColumn = undefined;
    return record;
  }
}
