/**
 * Header handling: normalised names, aliases for the columns we understand (English, Russian, German,
 * French, Spanish, Italian, Portuguese, Dutch, and the column names of common exports), the settings'
 * column mapping, and the column plan a header row turns into.
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

/** The name with separators removed: what merge-field references are compared on. */
export const compactFieldName = (name: string): string => normaliseFieldName(name).replaceAll('_', '');

/** What header aliases are compared on: the compact name without accents (`Prénom` → `prenom`). */
export const aliasKey = (name: string): string =>
  compactFieldName(name).normalize('NFD').replace(/\p{M}/gu, '');

/** Header aliases per role, compared by {@link aliasKey} (case, spaces, `-`, `_` and accents ignored). */
export const COLUMN_ALIASES = {
  email: [
    ...['email', 'emailaddress', 'mail', 'mailaddress', 'primaryemail', 'recipientemail'],
    ...['emailadres', 'emailadresse', 'mailadresse', 'courriel', 'adressecourriel', 'adresseemail'],
    ...['adressemail', 'adresseelectronique', 'correo', 'correoelectronico', 'direcciondecorreo'],
    ...['direcciondecorreoelectronico', 'direcciondeemail', 'indirizzoemail', 'postaelettronica'],
    ...['enderecodeemail', 'почта', 'электроннаяпочта', 'адресэлектроннойпочты', 'имейл', 'емейл'],
  ],
  name: [
    ...['name', 'fullname', 'displayname', 'respondentname', 'recipientname', 'nomcomplet'],
    ...['nombrecompleto', 'nomecompleto', 'vollstandigername', 'volledigenaam', 'имя', 'фио', 'полноеимя'],
  ],
  firstName: [
    ...['firstname', 'givenname', 'forename', 'recipientfirstname', 'vorname', 'prenom', 'nombre'],
    ...['nome', 'voornaam'],
  ],
  lastName: [
    ...['lastname', 'surname', 'familyname', 'recipientlastname', 'nachname', 'familienname', 'nom'],
    ...['nomdefamille', 'apellido', 'apellidos', 'cognome', 'sobrenome', 'achternaam', 'фамилия'],
  ],
  language: [
    ...['language', 'lang', 'locale', 'preferredlanguage', 'sprache', 'langue', 'idioma', 'lingua'],
    ...['taal', 'язык'],
  ],
} as const;

type Role = keyof typeof COLUMN_ALIASES;

const ROLE_BY_ALIAS = new Map<string, Role>();
for (const [role, aliases] of Object.entries(COLUMN_ALIASES) as [Role, readonly string[]][]) {
  for (const alias of aliases) ROLE_BY_ALIAS.set(aliasKey(alias), role);
}

/** Headers that say "name" without saying which: a first or a family name beside the other one. */
const BARE_NAMES = new Set(['name', 'имя']);
/** English first/last-name headers: beside them a bare "Name" is as likely the full name, so it stays that. */
const ENGLISH_NAME_PARTS = new Set([
  'firstname',
  'givenname',
  'forename',
  'recipientfirstname',
  'lastname',
  'familyname',
  'recipientlastname',
]);
/**
 * The address headers files had before the export and foreign ones were added: when one of them is
 * present, another address-like column (`RecipientEmail`, `Correo`) is a merge field, as it always was.
 */
const CORE_EMAIL = new Set(COLUMN_ALIASES.email.slice(0, 4).map(aliasKey));
/** Longest column summary kept: 200 headers of 64 KiB each must not reach the campaign record. */
const MAX_SUMMARY = 2000;

/** Which columns hold the address, the name and the language, by header (settings `columns`). */
export interface ColumnMapping {
  email?: string | undefined;
  /** One column, or several joined with a space (`["Vorname", "Nachname"]`). */
  name?: string | readonly string[] | undefined;
  language?: string | undefined;
}

/** Where each value of a data row goes. Index = column position. */
export interface ColumnPlan {
  email: number;
  /** The name column, or the columns joined into the name (first + last name); they stay merge fields. */
  name?: number;
  nameParts?: number[];
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

const quoted = (headers: readonly string[], max = 10): string =>
  headers
    .slice(0, max)
    .map((h) => `"${h.slice(0, 40)}"`)
    .join(', ') + (headers.length > max ? ', …' : '');

/** The column a mapping names: its header as written, else the one header with the same alias key. */
const findColumn = (headers: string[], wanted: string, path: string): number | string => {
  const exact = headers.flatMap((h, i) => (h === wanted.trim() ? [i] : []));
  const key = aliasKey(wanted);
  const found =
    exact.length > 0 ? exact : headers.flatMap((h, i) => (key !== '' && aliasKey(h) === key ? [i] : []));
  if (found.length === 1) return found[0] as number;
  if (found.length > 1) return `settings ${path} "${wanted}" matches more than one column of the file`;
  return `settings ${path} names the column "${wanted}", which the file does not have (its columns: ${quoted(headers)})`;
};

/** Role columns the settings' mapping names, or the first problem with it (a missing column, one used twice). */
const mappedRoles = (headers: string[], mapping: ColumnMapping): Partial<ColumnPlan> | string => {
  const out: Partial<ColumnPlan> = {};
  const usedBy = new Map<number, string>();
  const find = (wanted: string, path: string): number | string => {
    const found = findColumn(headers, wanted, path);
    if (typeof found === 'string') return found;
    const other = usedBy.get(found);
    if (other !== undefined)
      return `settings ${path} names the column "${wanted}", which ${other} already uses`;
    usedBy.set(found, path);
    return found;
  };
  for (const role of ['email', 'language'] as const) {
    const wanted = mapping[role];
    if (wanted === undefined) continue;
    const found = find(wanted, `columns.${role}`);
    if (typeof found === 'string') return found;
    out[role] = found;
  }
  if (mapping.name === undefined) return out;
  const parts: number[] = [];
  for (const wanted of typeof mapping.name === 'string' ? [mapping.name] : mapping.name) {
    const found = find(wanted, 'columns.name');
    if (typeof found === 'string') return found;
    parts.push(found);
  }
  if (typeof mapping.name === 'string') out.name = parts[0] as number;
  else out.nameParts = parts;
  return out;
};

/** The roles the aliases give, where the mapping left them open; emails found (to check there is one). */
const aliasRoles = (headers: string[], mapped: Partial<ColumnPlan>) => {
  const roles: Partial<Record<Role, number>> = {};
  const emails: number[] = [];
  const taken = new Set([mapped.email, mapped.name, mapped.language, ...(mapped.nameParts ?? [])]);
  headers.forEach((header, i) => {
    const role = taken.has(i) ? undefined : ROLE_BY_ALIAS.get(aliasKey(header));
    if (role === 'email') emails.push(i);
    else if (role !== undefined && roles[role] === undefined) roles[role] = i;
  });
  const plan: Partial<ColumnPlan> = { ...mapped };
  if (mapped.language === undefined && roles.language !== undefined) plan.language = roles.language;
  if (mapped.name === undefined && mapped.nameParts === undefined) {
    const { name, firstName, lastName } = roles;
    // Next to a non-English first name, a bare "Name" is the family name ("Vorname, Name"); next to a
    // non-English family name, the first name ("Имя, Фамилия", "Name, Surname").
    const bare = name !== undefined && BARE_NAMES.has(aliasKey(headers[name] as string));
    const partner = (i: number | undefined) =>
      i !== undefined && !ENGLISH_NAME_PARTS.has(aliasKey(headers[i] as string));
    if (bare && partner(firstName) && lastName === undefined) plan.nameParts = [firstName as number, name];
    else if (bare && partner(lastName) && firstName === undefined)
      plan.nameParts = [name, lastName as number];
    else if (name !== undefined) plan.name = name;
    else if (firstName !== undefined || lastName !== undefined) {
      plan.nameParts = [firstName, lastName].filter((i): i is number => i !== undefined);
    }
  }
  if (mapped.email !== undefined) return { plan, emails: [mapped.email] };
  const core = emails.filter((i) => CORE_EMAIL.has(aliasKey(headers[i] as string)));
  return { plan, emails: core.length > 0 ? core : emails };
};

/** Merge-field keys: every column but the address, the name column, the language and blank headers. */
const fieldKeysOf = (headers: string[], plan: Partial<ColumnPlan>): (string | undefined)[] => {
  const used = new Set<string>();
  return headers.map((header, i) => {
    const key = normaliseFieldName(header);
    if (i === plan.email || i === plan.name || i === plan.language || key === '') return undefined;
    let unique = key;
    for (let n = 2; used.has(unique); n++) unique = `${key}_${n}`;
    used.add(unique);
    return unique;
  });
};

/** Why a header has no usable email column. */
const noEmailColumn = (headers: string[], emails: number[]): string => {
  if (emails.length > 1) {
    const list = emails.map((i) => `${i + 1} ("${headers[i]}")`).join(' and ');
    return `the header row has more than one email column: columns ${list}; say which one in the settings ("columns": { "email": "…" })`;
  }
  if (headers.some(looksLikeEmail)) {
    return 'the first row looks like data, not a header (it holds an email address); add a header row with an "email" column';
  }
  return `no email column: the header row has ${quoted(headers) || 'no names'}; name one column "email" (or "e-mail", "email address", "mail"), or say which one in the settings ("columns": { "email": "…" })`;
};

/**
 * Turns a header row into a column plan. The settings' mapping decides the roles it names; aliases find
 * the others. The email column is required and must be unique; first + last name make the name when no
 * name column exists (they stay merge fields too); a second name/language column is a merge field. Every
 * other column becomes a merge field keyed by its normalised name (`_2`, `_3` … on collisions).
 */
export const planColumns = (headers: string[], mapping: ColumnMapping = {}): HeaderCheck => {
  const trimmed = headers.map((h) => h.trim());
  let width = trimmed.length;
  while (width > 0 && trimmed[width - 1] === '') width--;
  const declared = trimmed.slice(0, width);
  const mapped = mappedRoles(declared, mapping);
  if (typeof mapped === 'string') return { ok: false, problem: mapped };
  const { plan, emails } = aliasRoles(declared, mapped);
  const [email] = emails;
  if (email === undefined || emails.length > 1)
    return { ok: false, problem: noEmailColumn(declared, emails) };
  plan.email = email;
  const fieldKeys = fieldKeysOf(declared, plan);
  return { ok: true, plan: { ...plan, email, fieldKeys, width, headers: trimmed } };
};

/**
 * What the header was read as, for the dry run and the summary:
 * `email ← E-Mail; name ← Vorname + Nachname; language ← Sprache; merge fields: firma, stadt`.
 */
export const describeColumns = (plan: ColumnPlan): string => {
  const header = (i: number) => plan.headers[i] ?? '';
  const out = [`email ← ${header(plan.email)}`];
  if (plan.name !== undefined) out.push(`name ← ${header(plan.name)}`);
  else if (plan.nameParts !== undefined) out.push(`name ← ${plan.nameParts.map(header).join(' + ')}`);
  if (plan.language !== undefined) out.push(`language ← ${header(plan.language)}`);
  const parts = new Set(plan.nameParts);
  const fields = plan.fieldKeys.filter((k, i): k is string => k !== undefined && !parts.has(i));
  out.push(fields.length > 0 ? `merge fields: ${fields.join(', ')}` : 'no other columns');
  const summary = out.join('; ');
  return summary.length <= MAX_SUMMARY ? summary : `${summary.slice(0, MAX_SUMMARY)}…`;
};
