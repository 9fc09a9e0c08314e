import { PermanentError } from '#shared/errors.ts';
import { type ColumnMapping, type ColumnPlan, describeColumns, planColumns } from './columns.ts';
import { EmailKeySet } from './dedupe.ts';
import {
  buffers,
  type CsvInput,
  decodedBytes,
  looksBinary,
  peek,
  type SourceEncoding,
  sniff,
} from './encoding.ts';
import { MAX_RECORD_BYTES, type RawRecord, type RecordLimits, readRecords } from './records.ts';
import { isBlank, type ParsedRow, readRow } from './row.ts';

export { MAX_NAME_LENGTH, type ParsedRow, type Respondent } from './row.ts';

/** What was learnt about the file before the first row. */
export interface CsvFileInfo {
  encoding: SourceEncoding;
  delimiter: ',' | ';' | '\t';
  /** Header names as written. */
  headers: string[];
  /** Merge-field keys the extra columns provide. */
  fieldKeys: string[];
  /** Line of the header row (1 unless blank lines precede it). */
  headerLine: number;
  /** What the columns were read as: `email ← E-Mail; name ← Vorname + Nachname; merge fields: firma`. */
  columns: string;
}

/** Parser limits and hooks. */
export interface ParseOptions {
  /** Longest merge-field value, in characters (default 1000). */
  maxFieldLength?: number;
  /** Longest raw field, in bytes: a longer one rejects its row, the next rows are read (default 64 KiB). */
  maxFieldBytes?: number;
  /** Most columns per row (default 200). */
  maxColumns?: number;
  /** Which columns hold the address, name and language (settings `columns`); aliases find the rest. */
  columns?: ColumnMapping | undefined;
  /** Called once, after the header is read and before the first row is yielded. */
  onFileInfo?: (info: CsvFileInfo) => void;
}

/** The file as a whole cannot be used (empty, binary, no email column…). Nothing should be enqueued. */
export class CsvFileError extends PermanentError {}

const SNIFF_BYTES = 64 * 1024;

/** Picks `,` `;` or tab: the most frequent one outside quotes on the first non-blank line (`,` on a tie). */
export const detectDelimiter = (head: Buffer): ',' | ';' | '\t' => {
  let i = 0;
  while (i < head.length && (head[i] === 0x0a || head[i] === 0x0d || head[i] === 0x20)) i++;
  let comma = 0;
  let semicolon = 0;
  let tab = 0;
  let quoted = false;
  for (; i < head.length; i++) {
    const c = head[i];
    if (c === 0x22) quoted = !quoted;
    else if (!quoted) {
      if (c === 0x0a || c === 0x0d) break;
      if (c === 0x2c) comma++;
      else if (c === 0x3b) semicolon++;
      else if (c === 0x09) tab++;
    }
  }
  if (semicolon > comma && semicolon >= tab) return ';';
  if (tab > comma && tab > semicolon) return '\t';
  return ',';
};

/**
 * Streams respondent rows out of a CSV file (never holding it whole). Throws `CsvFileError` before the
 * first row when the file as a whole is unusable (empty, binary, unreadable header, no email column).
 * After that, every data row yields exactly one outcome and a bad row never stops the good ones;
 * blank rows yield nothing but still count for line numbers. A header-only file yields no rows.
 */
export async function* parseRespondents(
  input: CsvInput,
  options: ParseOptions = {},
): AsyncGenerator<ParsedRow, void, undefined> {
  for await (const rows of parseRespondentBatches(input, options)) yield* rows;
}

/**
 * {@link parseRespondents} in batches of rows (one per ~16 KiB of input), in order: for a consumer that
 * handles a million rows, one await per batch instead of one per row.
 */
export async function* parseRespondentBatches(
  input: CsvInput,
  options: ParseOptions = {},
): AsyncGenerator<ParsedRow[], void, undefined> {
  const source = buffers(input)[Symbol.asyncIterator]();
  try {
    yield* parseSource(source, options);
  } finally {
    // Whole-file errors and consumers that stop early must still close the input (an S3 body holds a socket).
    await source.return(undefined);
  }
}

/** The decoded text of a source that looks like a CSV, its delimiter and its encoding. */
const openText = async (source: AsyncGenerator<Buffer>) => {
  const raw = await peek(source, 16);
  const sniffed = sniff(raw.head);
  if (sniffed.kind === 'empty') throw new CsvFileError('the file is empty');
  if (sniffed.kind === 'binary')
    throw new CsvFileError(`the file is not a CSV: it looks like ${sniffed.what}`);
  const bytes = decodedBytes(raw.head, raw.rest, sniffed.encoding, sniffed.bomLength);
  const { head, rest } = await peek(bytes, SNIFF_BYTES);
  if (looksBinary(head)) throw new CsvFileError('the file is not a CSV: it contains binary data (NUL bytes)');
  async function* text(): AsyncGenerator<Buffer> {
    if (head.length > 0) yield head;
    yield* rest;
  }
  return { text: text(), delimiter: detectDelimiter(head), encoding: sniffed.encoding };
};

/** Records into rows: the first non-blank record of the file is the header, blank ones are skipped. */
class RowReader {
  private plan: ColumnPlan | undefined;
  private readonly seen = new EmailKeySet();

  constructor(
    private readonly options: ParseOptions,
    private readonly file: { delimiter: CsvFileInfo['delimiter']; encoding: SourceEncoding },
  ) {}

  /** True once the header was read. */
  get hasHeader(): boolean {
    return this.plan !== undefined;
  }

  /** The rows of a batch of records, duplicates of earlier rows marked. */
  rows(records: RawRecord[]): ParsedRow[] {
    const rows: ParsedRow[] = [];
    const maxFieldLength = this.options.maxFieldLength ?? 1000;
    for (const record of records) {
      if (record.problem === undefined && isBlank(record.fields)) continue;
      if (this.plan === undefined) {
        this.plan = this.header(record);
        continue;
      }
      const row = readRow(record, this.plan, maxFieldLength);
      const firstLine =
        row.kind === 'accepted' ? this.seen.addOrGet(row.respondent.emailKey, row.line) : undefined;
      if (row.kind === 'accepted' && firstLine !== undefined) {
        rows.push({ kind: 'duplicate', line: row.line, email: row.respondent.email, firstLine });
      } else rows.push(row);
    }
    return rows;
  }

  /** The column plan of the header record, announced through `onFileInfo`. */
  private header(record: RawRecord): ColumnPlan {
    if (record.problem !== undefined) {
      const where = record.problemColumn === undefined ? '' : `column ${record.problemColumn + 1} `;
      throw new CsvFileError(
        `the header row (line ${record.line}) cannot be read: ${where}${record.problem}`,
      );
    }
    const checked = planColumns(record.fields, this.options.columns);
    if (!checked.ok) throw new CsvFileError(checked.problem);
    const { plan } = checked;
    this.options.onFileInfo?.({
      encoding: this.file.encoding,
      delimiter: this.file.delimiter,
      headers: plan.headers.slice(0, plan.width),
      fieldKeys: plan.fieldKeys.filter((k): k is string => k !== undefined),
      headerLine: record.line,
      columns: describeColumns(plan),
    });
    return plan;
  }
}

async function* parseSource(
  source: AsyncGenerator<Buffer>,
  options: ParseOptions,
): AsyncGenerator<ParsedRow[], void, undefined> {
  const { text, delimiter, encoding } = await openText(source);
  const limits: RecordLimits = {
    maxFieldBytes: options.maxFieldBytes ?? 64 * 1024,
    maxFields: options.maxColumns ?? 200,
    maxRecordBytes: MAX_RECORD_BYTES,
  };
  const reader = new RowReader(options, { delimiter, encoding });
  for await (const records of readRecords(text, delimiter, limits)) {
    const rows = reader.rows(records);
    if (rows.length > 0) yield rows;
  }
  if (!reader.hasHeader) throw new CsvFileError('the file is empty (no header row)');
}

/** Counts of a parse, for the campaign record and logs. */
export interface CsvTally {
  accepted: number;
  rejected: number;
  duplicates: number;
}

/** Adds one row to a tally (mutates and returns it). */
export const tally = (counts: CsvTally, row: ParsedRow): CsvTally => {
  if (row.kind === 'accepted') counts.accepted++;
  else if (row.kind === 'rejected') counts.rejected++;
  else counts.duplicates++;
  return counts;
};

/** Parses a whole (small) file into arrays: convenient for tests, previews and settings checks. */
export const parseAll = async (
  input: CsvInput,
  options?: ParseOptions,
): Promise<{ rows: ParsedRow[]; info: CsvFileInfo | undefined; counts: CsvTally }> => {
  let info: CsvFileInfo | undefined;
  const rows: ParsedRow[] = [];
  const counts: CsvTally = { accepted: 0, rejected: 0, duplicates: 0 };
  for await (const row of parseRespondents(input, {
    ...options,
    onFileInfo: (i) => {
      info = i;
      options?.onFileInfo?.(i);
    },
  })) {
    rows.push(row);
    tally(counts, row);
  }
  return { rows, info, counts };
};
