/**
 * Header handling: normalised names, aliases for the columns we understand, and the column plan a header
 * row turns into.
 */

/**
 * Normalises a header (or merge-field) name: NFKC, lower case, every run of non-letters/digits becomes
 * one `_`, no leading/trailing `_`. `"E-mail Address"` → `e_mail_address`, `"Company Name"` → `company_name`.
 */
export const normaliseFieldName = (name: string): string =>
  name
    .normalize('NFKC')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, '_')
    .replace(/^_+|_+$/g, '');

/** The name with separators removed: what aliases and merge-field references are compared on. */
export const compactFieldName = (name: string): string => normaliseFieldName(name).replaceAll('_', '');

/** Header aliases per role, compared on the compact form (case, spaces, `-`, `_` ignored). */
export const COLUMN_ALIASES = {
  email: [
    'email',
    'emailaddress',
    'mail',
    'mailaddress',
    'emailadres',
    'emailadresse',
    'почта',
    'электроннаяпочта',
    'адресэлектроннойпочты',
    'имейл',
    'емейл',
  ],
  name: ['name', 'fullname', 'displayname', 'respondentname', 'имя', 'фио', 'полноеимя'],
  firstName: ['firstname', 'givenname', 'forename'],
  lastName: ['lastname', 'surname', 'familyname', 'фамилия'],
  language: ['language', 'lang', 'locale', 'язык'],
} as const;

type Role = keyof typeof COLUMN_ALIASES;

const ROLE_BY_ALIAS = new Map<string, Role>();
for (const [role, aliases] of Object.entries(COLUMN_ALIASES) as [Role, readonly string[]][]) {
  for (const alias of aliases) ROLE_BY_ALIAS.set(alias, role);
}

/** Where each value of a data row goes. Index = column position. */
export interface ColumnPlan {
  email: number;
  name?: number;
  firstName?: number;
  lastName?: number;
  language?: number;
  /** Merge-field key per column, or undefined for columns that are not merge fields (email, blank header). */
  fieldKeys: (string | undefined)[];
  /** Number of columns the header declares, trailing blank headers excluded. */
  width: number;
  /** Header names as written, for messages. */
  headers: string[];
}

/** Result of reading a header row. */
export type HeaderCheck = { ok: true; plan: ColumnPlan } | { ok: false; problem: string };

const looksLikeEmail = (value: string): boolean => /^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(value.trim());

/**
 * Turns a header row into a column plan. The email column is required and must be unique; a second
 * name/language column is kept as a merge field; first + last name make the name when no name column
 * exists (they stay available as merge fields too). Every non-role column becomes a merge field keyed by
 * its normalised name (`_2`, `_3` … on collisions).
 */
export const planColumns = (headers: string[]): HeaderCheck => {
  const trimmed = headers.map((h) => h.trim());
  let width = trimmed.length;
  while (width > 0 && trimmed[width - 1] === '') width--;
  const plan: ColumnPlan = { email: -1, fieldKeys: [], width, headers: trimmed };
  const emailColumns: number[] = [];
  const usedKeys = new Set<string>();
  for (let i = 0; i < width; i++) {
    const header = trimmed[i] as string;
    const key = normaliseFieldName(header);
    const role = ROLE_BY_ALIAS.get(key.replaceAll('_', ''));
    if (role === 'email') {
      emailColumns.push(i);
      plan.fieldKeys.push(undefined);
      continue;
    }
    if (role !== undefined && role !== 'firstName' && role !== 'lastName' && plan[role] === undefined) {
      plan[role] = i;
      plan.fieldKeys.push(undefined);
      continue;
    }
    if ((role === 'firstName' || role === 'lastName') && plan[role] === undefined) plan[role] = i;
    if (key === '') {
      plan.fieldKeys.push(undefined);
      continue;
    }
    let unique = key;
    for (let n = 2; usedKeys.has(unique); n++) unique = `${key}_${n}`;
    usedKeys.add(unique);
    plan.fieldKeys.push(unique);
  }
  if (emailColumns.length > 1) {
    const list = emailColumns.map((i) => `${i + 1} ("${trimmed[i]}")`).join(' and ');
    return { ok: false, problem: `the header row has more than one email column: columns ${list}` };
  }
  const [emailColumn] = emailColumns;
  if (emailColumn === undefined) {
    const first = trimmed.find(looksLikeEmail);
    if (first !== undefined) {
      return {
        ok: false,
        problem:
          'the first row looks like data, not a header (it holds an email address); add a header row with an "email" column',
      };
    }
    const shown = trimmed
      .slice(0, 10)
      .map((h) => `"${h.slice(0, 40)}"`)
      .join(', ');
    return {
      ok: false,
      problem: `no email column: the header row has ${shown || 'no names'}; name one column "email" (or "e-mail", "email address", "mail")`,
    };
  }
  plan.email = emailColumn;
  return { ok: true, plan };
};
