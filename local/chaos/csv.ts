// Generates a chaos run's respondent CSV from its seed, together with the expected outcome of every row, so
// the checks judge the pipeline against an oracle that does not come from the pipeline's own parser.
import { seededRandom } from '#local/runtime/lambda.ts';

/** What a data row of the generated file must become. */
export type ExpectedKind = 'accepted' | 'rejected' | 'duplicate';

/** One data row of the generated file and its expected outcome. */
export interface ExpectedRow {
  /** Spreadsheet line (header = 1) in the file of its upload. */
  line: number;
  /** The campaign's upload the row is in (absent: the first). */
  upload?: number;
  kind: ExpectedKind;
  /** The address as written in the file (may be empty or malformed for rejected rows). */
  raw: string;
  /** Lower-cased, trimmed address (accepted and duplicate rows). */
  emailKey?: string;
  /** Line of the accepted occurrence (duplicates). */
  firstLine?: number;
}

/** A generated CSV and its oracle. */
export interface GeneratedCsv {
  name: string;
  body: string;
  /** Every address of the run ends with this domain: the run's mail is found by it in a shared SES store. */
  domain: string;
  rows: ExpectedRow[];
  /** Accepted respondents by emailKey. */
  accepted: Map<string, ExpectedRow>;
}

/** Options of {@link generateCsv}. */
export interface GenerateCsvOptions {
  seed: number;
  /** Data rows in the file (accepted + rejected + duplicates). */
  rows: number;
  /** Unique per run (e.g. `r42-ab12cd`); becomes part of every address's domain. */
  tag: string;
}

// Addresses every validator must refuse (see shared/csv/README.md "Validation").
const BAD_EMAILS = [
  '',
  'no-at-sign.{d}',
  'two@@{d}',
  'a@b@{d}',
  'with space@{d}',
  'trailing-dot@{d}.',
  'nodomain@',
  '@{d}',
  'curly-quote@{d}\u201d',
  'one-letter-tld@{d}.c',
];
// Language cells: en/ru spellings, blank (campaign default) and an unknown one (accepted with a warning).
const LANGUAGES = ['en', 'ru', 'EN', 'ru-RU', 'English', 'русский', '', '', 'de'];
const FIRST = ['Anna', 'Boris', 'Chloé', 'Дмитрий', 'Eve', "O'Brien", 'Zoë', 'Иван', 'Li', 'Noor'];

/** Quotes a CSV value when needed (RFC 4180). */
const cell = (value: string): string => (/[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value);

/**
 * A seeded respondent file: ~6 % rejected rows (malformed or missing addresses), ~4 % duplicates (the same
 * address re-cased), mixed languages (several room settings, so several batch families), names with commas,
 * quotes, HTML and non-Latin letters, and addresses with stray case and spaces that are still valid.
 */
export const generateCsv = (options: GenerateCsvOptions): GeneratedCsv => {
  const random = seededRandom(options.seed ^ 0x5eed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)] as T;
  const domain = `${options.tag.toLowerCase()}.example.com`;
  const lines = ['email,name,language,team'];
  const rows: ExpectedRow[] = [];
  const accepted = new Map<string, ExpectedRow>();
  const acceptedList: ExpectedRow[] = [];
  for (let i = 0; i < options.rows; i++) {
    const line = i + 2;
    const roll = random();
    const name = `${pick(FIRST)} ${roll < 0.05 ? '<b>Bold</b>, Jr.' : `N${i}`}`;
    const language = pick(LANGUAGES);
    const team = `t${i % 7}`;
    if (roll > 0.94) {
      const raw = pick(BAD_EMAILS).replace('{d}', domain);
      lines.push([cell(raw), cell(name), cell(language), team].join(','));
      rows.push({ line, kind: 'rejected', raw });
      continue;
    }
    if (roll > 0.9 && acceptedList.length > 0) {
      const first = pick(acceptedList);
      const key = first.emailKey as string;
      const raw = random() < 0.5 ? key.toUpperCase() : ` ${key} `;
      lines.push([cell(raw), cell(name), cell(language), team].join(','));
      rows.push({ line, kind: 'duplicate', raw, emailKey: key, firstLine: first.line });
      continue;
    }
    const local = `p${i}.${Math.floor(random() * 1e6).toString(36)}`;
    const key = `${local}@${domain}`;
    const raw = roll < 0.1 ? `${local.toUpperCase()}@${domain.toUpperCase()}` : key;
    lines.push([cell(raw), cell(name), cell(language), team].join(','));
    const row: ExpectedRow = { line, kind: 'accepted', raw, emailKey: key };
    rows.push(row);
    accepted.set(key, row);
    acceptedList.push(row);
  }
  return { name: `chaos-${options.tag}.csv`, body: `${lines.join('\r\n')}\r\n`, domain, rows, accepted };
};

/**
 * A changed file for the same campaign (its upload 2): about a third of the first file's accepted people
 * again (some re-cased: still the same person), new people, and a few rejected rows. The oracle it returns
 * covers both uploads: the people already in the campaign are duplicates of upload 2, never invited twice.
 */
export const generateLaterCsv = (first: GeneratedCsv, seed: number): GeneratedCsv => {
  const random = seededRandom(seed ^ 0x2a2a);
  const known = [...first.accepted.values()];
  const lines = ['email,name,language,team'];
  const rows: ExpectedRow[] = [];
  const accepted = new Map(first.accepted);
  const count = Math.max(4, Math.round(first.rows.length / 2));
  for (let i = 0; i < count; i++) {
    const line = i + 2;
    const roll = random();
    const again = known[Math.floor(random() * known.length)];
    let raw: string;
    let row: ExpectedRow;
    if (roll < 0.05) {
      raw = `broken${i}@${first.domain}.c`;
      row = { line, upload: 2, kind: 'rejected', raw };
    } else if (roll < 0.4 && again?.emailKey && !rows.some((r) => r.emailKey === again.emailKey)) {
      raw = random() < 0.5 ? again.emailKey.toUpperCase() : again.emailKey;
      row = { line, upload: 2, kind: 'duplicate', raw, emailKey: again.emailKey };
    } else {
      raw = `q${i}.${Math.floor(random() * 1e6).toString(36)}@${first.domain}`;
      row = { line, upload: 2, kind: 'accepted', raw, emailKey: raw };
      accepted.set(raw, row);
    }
    lines.push([cell(raw), `Later ${i}`, 'en', `t${i % 7}`].join(','));
    rows.push(row);
  }
  return { ...first, body: `${lines.join('\r\n')}\r\n`, rows: [...first.rows, ...rows], accepted };
};
