// One data record → one row outcome: the role columns validated (email, name, language), the other
// columns kept as merge fields, or the precise reason the row is rejected.
import * as z from 'zod';
import { checkEmail, hasControlChar, MAX_EMAIL_LENGTH, stripControlChars } from '#shared/mail/address.ts';
import { type Locale, parseLocale } from '#shared/mail/locale.ts';
import { isKnownTld } from '#shared/mail/tld.ts';
import type { ColumnPlan } from './columns.ts';
import type { RawRecord } from './records.ts';

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

type Rejected = ParsedRow & { kind: 'rejected' };
type Accepted = ParsedRow & { kind: 'accepted' };

/** Longest name kept. */
export const MAX_NAME_LENGTH = 200;

const noControl = (value: string) => !hasControlChar(value);

/** Respondents' addresses must have a top-level domain mail can reach. */
const RESPONDENT_ADDRESS = { knownTld: isKnownTld };

/** One row's role values, validated and normalised. */
const RowSchema = z.object({
  email: z.string().transform((value, ctx) => {
    const checked = checkEmail(value, RESPONDENT_ADDRESS);
    if (checked.ok) return checked.email;
    ctx.issues.push({ code: 'custom', message: checked.problem, input: value });
    return z.NEVER;
  }),
  name: z
    .string()
    .max(MAX_NAME_LENGTH, { error: `is longer than ${MAX_NAME_LENGTH} characters` })
    .refine(noControl, { error: 'contains a control character' })
    .optional(),
  language: z
    .string()
    .max(50, { error: 'is longer than 50 characters' })
    .refine(noControl, { error: 'contains a control character' })
    .optional(),
});

/** True when every field of a record is empty or spaces (a blank line). */
export const isBlank = (fields: string[]): boolean => {
  for (const f of fields) if (f.trim() !== '') return false;
  return true;
};

/** The address a rejected row names in the report, when it is short enough to be one. */
const describeEmail = (raw: string | undefined): string | undefined => {
  if (raw === undefined) return undefined;
  const value = stripControlChars(raw).trim();
  return value.length > 0 && value.length <= MAX_EMAIL_LENGTH + 66 ? value : undefined;
};

/** A rejected row, with the address it names (if any). */
const rejected = (line: number, reason: string, rawEmail: string | undefined): Rejected => {
  const email = describeEmail(rawEmail);
  return email === undefined ? { kind: 'rejected', line, reason } : { kind: 'rejected', line, reason, email };
};

/** The reason a record csv-parse flagged (oversized field, too many columns…) rejects its row. */
const damaged = (record: RawRecord & { problem: string }, plan: ColumnPlan): Rejected => {
  const column = record.problemColumn;
  const header = column === undefined ? undefined : plan.headers[column];
  const reason =
    column === undefined
      ? record.problem
      : `column ${column + 1}${header ? ` ("${header}")` : ''} ${record.problem}`;
  return rejected(record.line, reason, column === plan.email ? undefined : record.fields[plan.email]);
};

/** A value past the header's columns: most likely a value with an unquoted delimiter. */
const overflows = (fields: string[], plan: ColumnPlan): boolean => {
  for (let i = plan.width; i < fields.length; i++) if ((fields[i] as string).trim() !== '') return true;
  return false;
};

// Tabs and line breaks (Alt+Enter in an Excel cell), with the spaces around them (not \v or \f: those are
// control characters the check refuses).
const NAME_BREAKS = /[ \u00a0]*[\t\r\n\u2028\u2029]+[ \u00a0]*/g;
const HAS_BREAK = /[\t\r\n\u2028\u2029]/;
// Longest name that is folded: a longer one is refused for its length anyway, and the fold stays linear.
const MAX_FOLDED = MAX_NAME_LENGTH * 4;

/**
 * The row's name: its name column, else the columns it is joined from (first name + last name). A line
 * break or tab inside becomes one space: the person is kept (headers are safe by how they are built, not
 * by refusing the row).
 */
const nameOf = (fields: string[], plan: ColumnPlan): string | undefined => {
  let name: string | undefined;
  if (plan.name !== undefined) name = fields[plan.name];
  else if (plan.nameParts !== undefined) {
    name = plan.nameParts
      .map((i) => fields[i]?.trim() ?? '')
      .filter((part) => part !== '')
      .join(' ');
  }
  if (name === undefined || name.length > MAX_FOLDED) return name;
  return HAS_BREAK.test(name) ? name.replace(NAME_BREAKS, ' ').trim() : name.trim();
};

/** The merge fields of a row, or the reason one of them rejects it. */
const mergeFields = (
  fields: string[],
  plan: ColumnPlan,
  maxFieldLength: number,
): { fields: Record<string, string> } | { reason: string } => {
  const extra: Record<string, string> = {};
  const keys = plan.fieldKeys;
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i];
    if (key === undefined) continue;
    let value = fields[i]?.trim() ?? '';
    if (value.length > maxFieldLength) {
      return { reason: `column "${plan.headers[i]}" is longer than ${maxFieldLength} characters` };
    }
    if (hasControlChar(value)) {
      // Line breaks and tabs are ordinary in a multi-line cell; anything else is refused.
      value = value.replace(/\r\n?/g, '\n');
      if (hasControlChar(value.replace(/[\n\t]/g, ''))) {
        return { reason: `column "${plan.headers[i]}" contains a control character` };
      }
    }
    extra[key] = value;
  }
  return { fields: extra };
};

/** The accepted row of validated role values; an unsupported language is a warning, not a rejection. */
const accepted = (
  line: number,
  data: { email: string; name?: string | undefined; language?: string | undefined },
  fields: Record<string, string>,
): Accepted => {
  const respondent: Respondent = { email: data.email, emailKey: data.email.toLowerCase(), fields };
  if (data.name !== undefined) respondent.name = data.name;
  const row: Accepted = { kind: 'accepted', line, respondent };
  if (data.language === undefined) return row;
  const locale = parseLocale(data.language);
  if (locale) respondent.language = locale;
  else
    row.warnings = [`language "${data.language}" is not supported (en, ru): the campaign language is used`];
  return row;
};

/** Turns one data record into a row outcome, duplicates aside. */
export const readRow = (record: RawRecord, plan: ColumnPlan, maxFieldLength: number): Accepted | Rejected => {
  const { fields, line } = record;
  if (record.problem !== undefined) return damaged({ ...record, problem: record.problem }, plan);
  const rawEmail = fields[plan.email];
  if (fields.length > plan.width && overflows(fields, plan)) {
    const reason = `row has ${fields.length} values but the header has ${plan.width} columns (a value with an unquoted delimiter?)`;
    return rejected(line, reason, rawEmail);
  }
  const language = plan.language === undefined ? undefined : fields[plan.language]?.trim();
  const parsed = RowSchema.safeParse({
    email: rawEmail ?? '',
    name: nameOf(fields, plan) || undefined,
    language: language || undefined,
  });
  if (!parsed.success) {
    const reason = parsed.error.issues.map((issue) => `${issue.path.join('.')} ${issue.message}`).join('; ');
    return rejected(line, reason, rawEmail);
  }
  const merged = mergeFields(fields, plan, maxFieldLength);
  if ('reason' in merged) return rejected(line, merged.reason, rawEmail);
  return accepted(line, parsed.data, merged.fields);
};
