import { z } from 'zod';
import { PermanentError } from '#shared/errors.ts';
import { checkEmail, hasControlChar, MAX_EMAIL_LENGTH, stripControlChars } from '#shared/mail/address.ts';
import { type Locale, parseLocale } from '#shared/mail/locale.ts';
import { type ColumnPlan, planColumns } from './columns.ts';
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
import { MAX_RECORD_BYTES, type RawRecord, readRecords } from './records.ts';

/** A respondent read from a valid row. `fields` holds the other columns, keyed by normalised header name. */
export interface Respondent {
  email: string;
  /** Dedupe key: the address lower-cased. */
  emailKey: string;
  name?: string;
  /** The respondent's language when the row names a supported one. */
  language?: Locale;
  fields: Record<string, string>;
}

/** Outcome of one data row. `line` is the row number a spreadsheet shows (header = 1). */
export type ParsedRow =
  | { kind: 'accepted'; line: number; respondent: Respondent; warnings?: string[] }
  | { kind: 'rejected'; line: number; reason: string; email?: string }
  | { kind: 'duplicate'; line: number; email: string; firstLine: number };

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
}

/** Parser limits and hooks. */
export interface ParseOptions {
  /** Longest merge-field value, in characters (default 1000). */
  maxFieldLength?: number;
  /** Longest raw field, in bytes: a longer one rejects its row, the next rows are read (default 64 KiB). */
  maxFieldBytes?: number;
  /** Most columns per row (default 200). */
  maxColumns?: number;
  /** Called once, after the header is read and before the first row is yielded. */
  onFileInfo?: (info: CsvFileInfo) => void;
}

/** The file as a whole cannot be used (empty, binary, no email column…). Nothing should be enqueued. */
export class CsvFileError extends PermanentError {}

/** Longest name kept. */
export const MAX_NAME_LENGTH = 200;
const SNIFF_BYTES = 64 * 1024;

const noControl = (value: string) => !hasControlChar(value);

/** One row's role values, validated and normalised. */
const RowSchema = z.object({
  email: z.string().transform((value, ctx) => {
    const checked = checkEmail(value);
    if (checked.ok) return checked.email;
    ctx.issues.push({ code: 'custom', message: checked.problem, input: value });
    return z.NEVER;
  }),
  name: z
    .string()
    .max(MAX_NAME_LENGTH, { error: `is longer than ${MAX_NAME_LENGTH} characters` })
    .refine(noControl, { error: 'contains a line break or other control character' })
    .optional(),
  language: z
    .string()
    .max(50, { error: 'is longer than 50 characters' })
    .refine(noControl, { error: 'contains a control character' })
    .optional(),
});

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

const isBlank = (fields: string[]): boolean => {
  for (const f of fields) if (f.trim() !== '') return false;
  return true;
};

const describeEmail = (raw: string | undefined): string | undefined => {
  if (raw === undefined) return undefined;
  const value = stripControlChars(raw).trim();
  return value.length > 0 && value.length <= MAX_EMAIL_LENGTH + 66 ? value : undefined;
};

/** Turns one data record into a row outcome, duplicates aside. */
const readRow = (
  record: RawRecord,
  plan: ColumnPlan,
  maxFieldLength: number,
): ParsedRow & { kind: 'accepted' | 'rejected' } => {
  const { fields, line } = record;
  const rawEmail = fields[plan.email];
  if (record.problem !== undefined) {
    const column = record.problemColumn;
    const reason =
      column === undefined
        ? record.problem
        : `column ${column + 1}${plan.headers[column] ? ` ("${plan.headers[column]}")` : ''} ${record.problem}`;
    return withEmail({ kind: 'rejected', line, reason }, column === plan.email ? undefined : rawEmail);
  }
  if (fields.length > plan.width) {
    for (let i = plan.width; i < fields.length; i++) {
      if ((fields[i] as string).trim() !== '') {
        return withEmail(
          {
            kind: 'rejected',
            line,
            reason: `row has ${fields.length} values but the header has ${plan.width} columns (a value with an unquoted delimiter?)`,
          },
          rawEmail,
        );
      }
    }
  }
  let name = plan.name === undefined ? undefined : fields[plan.name]?.trim();
  if (!name && plan.name === undefined && (plan.firstName !== undefined || plan.lastName !== undefined)) {
    const first = plan.firstName === undefined ? '' : (fields[plan.firstName]?.trim() ?? '');
    const last = plan.lastName === undefined ? '' : (fields[plan.lastName]?.trim() ?? '');
    name = `${first} ${last}`.trim();
  }
  const language = plan.language === undefined ? undefined : fields[plan.language]?.trim();
  const parsed = RowSchema.safeParse({
    email: rawEmail ?? '',
    name: name || undefined,
    language: language || undefined,
  });
  if (!parsed.success) {
    const reason = parsed.error.issues.map((issue) => `${issue.path.join('.')} ${issue.message}`).join('; ');
    return withEmail({ kind: 'rejected', line, reason }, rawEmail);
  }
  const extra: Record<string, string> = {};
  const keys = plan.fieldKeys;
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i];
    if (key === undefined) continue;
    let value = fields[i]?.trim() ?? '';
    if (value.length > maxFieldLength) {
      return withEmail(
        {
          kind: 'rejected',
          line,
          reason: `column "${plan.headers[i]}" is longer than ${maxFieldLength} characters`,
        },
        rawEmail,
      );
    }
    if (hasControlChar(value)) {
      // Line breaks and tabs are ordinary in a multi-line cell; anything else is refused.
      value = value.replace(/\r\n?/g, '\n');
      if (hasControlChar(value.replace(/[\n\t]/g, ''))) {
        return withEmail(
          { kind: 'rejected', line, reason: `column "${plan.headers[i]}" contains a control character` },
          rawEmail,
        );
      }
    }
    extra[key] = value;
  }
  const email = parsed.data.email;
  const respondent: Respondent = { email, emailKey: email.toLowerCase(), fields: extra };
  if (parsed.data.name !== undefined) respondent.name = parsed.data.name;
  const row: ParsedRow & { kind: 'accepted' } = { kind: 'accepted', line, respondent };
  if (parsed.data.language !== undefined) {
    const locale = parseLocale(parsed.data.language);
    if (locale) respondent.language = locale;
    else {
      row.warnings = [
        `language "${parsed.data.language}" is not supported (en, ru): the campaign language is used`,
      ];
    }
  }
  return row;
};

const withEmail = (
  row: { kind: 'rejected'; line: number; reason: string },
  rawEmail: string | undefined,
): ParsedRow & { kind: 'rejected' } => {
  const email = describeEmail(rawEmail);
  return email === undefined ? row : { ...row, email };
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
  const maxFieldLength = options.maxFieldLength ?? 1000;
  const source = buffers(input)[Symbol.asyncIterator]();
  try {
    yield* parseSource(source, options, maxFieldLength);
  } finally {
    // Whole-file errors and consumers that stop early must still close the input (an S3 body holds a socket).
    await source.return(undefined);
  }
}

async function* parseSource(
  source: AsyncGenerator<Buffer>,
  options: ParseOptions,
  maxFieldLength: number,
): AsyncGenerator<ParsedRow[], void, undefined> {
  const raw = await peek(source, 16);
  const sniffed = sniff(raw.head);
  if (sniffed.kind === 'empty') throw new CsvFileError('the file is empty');
  if (sniffed.kind === 'binary')
    throw new CsvFileError(`the file is not a CSV: it looks like ${sniffed.what}`);
  const bytes = decodedBytes(raw.head, raw.rest, sniffed.encoding, sniffed.bomLength);
  const { head, rest } = await peek(bytes, SNIFF_BYTES);
  if (looksBinary(head)) throw new CsvFileError('the file is not a CSV: it contains binary data (NUL bytes)');
  const delimiter = detectDelimiter(head);
  const limits = {
    maxFieldBytes: options.maxFieldBytes ?? 64 * 1024,
    maxFields: options.maxColumns ?? 200,
    maxRecordBytes: MAX_RECORD_BYTES,
  };
  let plan: ColumnPlan | undefined;
  const seen = new EmailKeySet();

  // The rows of a batch of records; the first non-blank record of the file is the header.
  const handle = (records: RawRecord[]): ParsedRow[] => {
    const rows: ParsedRow[] = [];
    for (const record of records) {
      if (plan === undefined) {
        if (record.problem === undefined && isBlank(record.fields)) continue;
        if (record.problem !== undefined) {
          const where = record.problemColumn === undefined ? '' : `column ${record.problemColumn + 1} `;
          throw new CsvFileError(
            `the header row (line ${record.line}) cannot be read: ${where}${record.problem}`,
          );
        }
        const checked = planColumns(record.fields);
        if (!checked.ok) throw new CsvFileError(checked.problem);
        plan = checked.plan;
        options.onFileInfo?.({
          encoding: sniffed.kind === 'text' ? sniffed.encoding : 'utf-8',
          delimiter,
          headers: plan.headers.slice(0, plan.width),
          fieldKeys: plan.fieldKeys.filter((k): k is string => k !== undefined),
          headerLine: record.line,
        });
        continue;
      }
      if (record.problem === undefined && isBlank(record.fields)) continue;
      const row = readRow(record, plan, maxFieldLength);
      if (row.kind === 'accepted') {
        const firstLine = seen.addOrGet(row.respondent.emailKey, row.line);
        if (firstLine !== undefined) {
          rows.push({ kind: 'duplicate', line: row.line, email: row.respondent.email, firstLine });
          continue;
        }
      }
      rows.push(row);
    }
    return rows;
  };

  async function* all(): AsyncGenerator<Buffer> {
    if (head.length > 0) yield head;
    yield* rest;
  }
  for await (const records of readRecords(all(), delimiter, limits)) {
    const rows = handle(records);
    if (rows.length > 0) yield rows;
  }
  if (plan === undefined) throw new CsvFileError('the file is empty (no header row)');
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
