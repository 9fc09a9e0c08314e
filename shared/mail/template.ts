import { compactFieldName } from '#shared/csv/columns.ts';
import { PermanentError } from '#shared/errors.ts';
import { stripControlChars } from './address.ts';
import type { Locale } from './locale.ts';

/** An email template: subject, plain text and HTML, with `{{field}}` merge fields. */
export interface EmailTemplate {
  subject: string;
  text: string;
  html: string;
}

/** The three parts of a template, in the order their merge fields are numbered. */
export const TEMPLATE_PARTS = ['subject', 'text', 'html'] as const;

/** One part of a template. */
export type TemplatePart = (typeof TEMPLATE_PARTS)[number];

/** A rendered email. */
export type RenderedEmail = EmailTemplate;

/** A template that cannot be used (bad merge-field syntax). */
export class TemplateError extends PermanentError {}

/** Merge fields every invitation provides; CSV columns cannot override them. */
export const BUILTIN_FIELDS = ['name', 'greeting', 'roomUrl', 'durationMinutes', 'expiresOn'] as const;

type Piece = string | { ref: string; key: string };

const REF = /\{\{([^{}]*)\}\}/g;
const NAME = /^[\p{L}\p{N}_][\p{L}\p{N}_ .-]*$/u;

/**
 * Splits a template into literal text and merge-field references. Only `{{ field }}` is allowed: block
 * helpers, comments, partials and triple braces are refused, because SES renders templates with
 * Handlebars and would otherwise run them.
 */
export const parseTemplate = (source: string): Piece[] => {
  const pieces: Piece[] = [];
  let last = 0;
  for (const match of source.matchAll(REF)) {
    const index = match.index;
    const inner = (match[1] as string).trim();
    const literal = source.slice(last, index);
    checkLiteral(literal);
    if (literal.endsWith('\\')) throw new TemplateError('a backslash right before "{{" is not supported');
    if (source[index + match[0].length] === '}' || (index > 0 && source[index - 1] === '{')) {
      throw new TemplateError('triple braces "{{{ }}}" are not supported: use {{field}}');
    }
    if (!NAME.test(inner)) {
      const shown = inner.slice(0, 30);
      throw new TemplateError(
        /^[#/!>^&@]|^else\b/.test(inner)
          ? `"{{${shown}}}" is not supported: only plain {{field}} merge fields are`
          : `"{{${shown}}}" is not a valid merge field name`,
      );
    }
    if (literal) pieces.push(literal);
    pieces.push({ ref: inner, key: compactFieldName(inner) });
    last = index + match[0].length;
  }
  const tail = source.slice(last);
  checkLiteral(tail);
  if (tail) pieces.push(tail);
  return pieces;
};

const checkLiteral = (literal: string): void => {
  if (literal.includes('{{')) throw new TemplateError('"{{" without a matching "}}"');
};

/** The merge fields a template references (compact names, e.g. `roomurl`, `companyname`). */
export const templateFields = (template: EmailTemplate): string[] => [...fieldUses(template).keys()];

/** Each merge field a template references (compact key) with the parts it appears in and its name as written. */
export const fieldUses = (template: EmailTemplate): Map<string, { ref: string; parts: TemplatePart[] }> => {
  const uses = new Map<string, { ref: string; parts: TemplatePart[] }>();
  for (const part of TEMPLATE_PARTS) {
    for (const piece of parseTemplate(template[part])) {
      if (typeof piece === 'string') continue;
      const use = uses.get(piece.key) ?? { ref: piece.ref, parts: [] };
      if (!use.parts.includes(part)) use.parts.push(part);
      uses.set(piece.key, use);
    }
  }
  return uses;
};

/** HTML-escapes text for element content and quoted attribute values. */
export const escapeHtml = (value: string): string =>
  value.replace(/[&<>"']/g, (c) =>
    c === '&' ? '&amp;' : c === '<' ? '&lt;' : c === '>' ? '&gt;' : c === '"' ? '&quot;' : '&#39;',
  );

/** A value for the HTML part: escaped, line breaks as `<br>`. */
export const htmlValue = (value: string): string => escapeHtml(value).replace(/\r\n?|\n/g, '<br>');

/** A value for the subject: one line, no control characters. */
export const subjectValue = (value: string): string => stripControlChars(value);

/** Merge data with keys compacted (`Company Name`, `company_name` and `companyName` are one field). */
export type MergeData = Map<string, string>;

/** Builds merge data from plain records; later records win. */
export const mergeData = (...records: (Record<string, string> | undefined)[]): MergeData => {
  const data: MergeData = new Map();
  for (const record of records) {
    if (!record) continue;
    for (const [key, value] of Object.entries(record)) data.set(compactFieldName(key), value);
  }
  return data;
};

const fill = (pieces: Piece[], data: MergeData, transform: (v: string) => string): string => {
  let out = '';
  for (const piece of pieces) out += typeof piece === 'string' ? piece : transform(data.get(piece.key) ?? '');
  return out;
};

/**
 * Renders a template locally, exactly as SES will render `toSesTemplate` + `sesTemplateData`: the subject
 * is one line (control characters become spaces), the text part gets raw values, the HTML part escaped
 * ones. Unknown merge fields render empty.
 */
export const renderTemplate = (
  template: EmailTemplate,
  data: MergeData | Record<string, string>,
): RenderedEmail => {
  const merged = data instanceof Map ? data : mergeData(data);
  return {
    subject: fill(parseTemplate(template.subject), merged, subjectValue),
    text: fill(parseTemplate(template.text), merged, (v) => v),
    html: fill(parseTemplate(template.html), merged, htmlValue),
  };
};

// Each part gets its own variables so one value can be raw in the text and escaped in the HTML. SES inline
// templates take ASCII letters and digits only: field i of the template is s<i>, t<i> and h<i>.
const PART_LETTER: Record<TemplatePart, string> = { subject: 's', text: 't', html: 'h' };

/** Each merge field of a template (compact key) and its number, in order of first use. */
export const sesFieldNumbers = (template: EmailTemplate): Map<string, number> =>
  new Map([...fieldUses(template).keys()].map((key, n) => [key, n]));

/** The SES variable of field number `n` in `part`: `s0`, `t3`, `h12`. */
export const sesVariable = (part: TemplatePart, n: number): string => `${PART_LETTER[part]}${n}`;

const numberOf = (numbers: Map<string, number>, key: string): number => numbers.get(key) as number;

/**
 * The template as SES receives it: each `{{field}}` becomes a numbered, part-specific variable (`{{s0}}`,
 * `{{t0}}`, `{{h0}}`). SES substitutes values verbatim, so the values are prepared per part by
 * `sesTemplateData` (escaped for HTML, one line for the subject).
 */
export const toSesTemplate = (template: EmailTemplate): EmailTemplate => {
  const numbers = sesFieldNumbers(template);
  const part = (name: TemplatePart) =>
    parseTemplate(template[name])
      .map((p) => (typeof p === 'string' ? p : `{{${sesVariable(name, numberOf(numbers, p.key))}}}`))
      .join('');
  return { subject: part('subject'), text: part('text'), html: part('html') };
};

const PREPARE: Record<TemplatePart, (v: string) => string> = {
  subject: subjectValue,
  text: (v) => v,
  html: htmlValue,
};

/** Where each SES variable of a template takes its value from: parsed once, filled per destination. */
export type SesDataPlan = Array<{ variable: string; key: string; prepare: (v: string) => string }>;

/** The plan of a template's SES variables (one entry per variable). */
export const sesDataPlan = (template: EmailTemplate): SesDataPlan => {
  const numbers = sesFieldNumbers(template);
  const plan: SesDataPlan = [];
  for (const part of TEMPLATE_PARTS) {
    for (const piece of parseTemplate(template[part])) {
      if (typeof piece === 'string') continue;
      plan.push({
        variable: sesVariable(part, numberOf(numbers, piece.key)),
        key: piece.key,
        prepare: PREPARE[part],
      });
    }
  }
  return plan;
};

/**
 * The SES template data for `data`: every variable the template uses, each prepared for its part, and an
 * empty string where `data` has no value (SES does not render a missing variable empty: it drops the message).
 */
export const sesTemplateData = (
  template: EmailTemplate | SesDataPlan,
  data: MergeData | Record<string, string>,
): Record<string, string> => {
  const merged = data instanceof Map ? data : mergeData(data);
  const plan = Array.isArray(template) ? template : sesDataPlan(template);
  const out: Record<string, string> = {};
  for (const { variable, key, prepare } of plan) out[variable] = prepare(merged.get(key) ?? '');
  return out;
};

/**
 * What SES makes of an inline template and its data: each `{{variable}}` replaced by its value, verbatim.
 * A variable without a value is an error, as SES's strict rendering drops such a message.
 */
export const applySesTemplate = (template: EmailTemplate, data: Record<string, string>): RenderedEmail => {
  const apply = (source: string) =>
    source.replace(/\{\{([A-Za-z0-9]+)\}\}/g, (_, variable: string) => {
      const value = data[variable];
      if (value === undefined) throw new TemplateError(`no value for the SES variable {{${variable}}}`);
      return value;
    });
  return { subject: apply(template.subject), text: apply(template.text), html: apply(template.html) };
};

/** Formats the expiry date for a locale, e.g. `5 December 2026` / `5 декабря 2026 г.`. */
export const formatExpiry = (date: Date, locale: Locale, timeZone = 'UTC'): string =>
  new Intl.DateTimeFormat(locale === 'ru' ? 'ru-RU' : 'en-GB', {
    day: 'numeric',
    month: 'long',
    year: 'numeric',
    timeZone,
  }).format(date);

/** What an invitation email is rendered from. */
export interface InviteValues {
  locale: Locale;
  name?: string;
  roomUrl: string;
  durationMinutes: number;
  expiresAt: Date;
  /** Extra CSV columns (merge fields). */
  fields?: Record<string, string>;
  timeZone?: string;
}

/**
 * Merge data for one invitation. Built-in fields win over CSV columns of the same name, so a column
 * called "room url" can never replace the link. The room URL must be http(s).
 */
export const inviteData = (values: InviteValues): MergeData => {
  let url: URL;
  try {
    url = new URL(values.roomUrl);
  } catch {
    throw new TemplateError('roomUrl is not a valid URL');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    throw new TemplateError('roomUrl must be http(s)');
  const name = values.name?.trim() ?? '';
  const greeting =
    values.locale === 'ru'
      ? name
        ? `Здравствуйте, ${name}!`
        : 'Здравствуйте!'
      : name
        ? `Hello ${name},`
        : 'Hello,';
  return mergeData(values.fields, {
    name,
    greeting,
    roomUrl: values.roomUrl,
    durationMinutes: String(values.durationMinutes),
    expiresOn: formatExpiry(values.expiresAt, values.locale, values.timeZone),
  });
};
