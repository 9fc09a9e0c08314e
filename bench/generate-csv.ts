/** Streams synthetic respondent CSVs to disk for the benchmarks: realistic columns, a few bad and duplicate rows. */

import { once } from 'node:events';
import { createWriteStream, existsSync, renameSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** What to generate. */
export interface CsvSpec {
  /** Data rows (header excluded). */
  rows: number;
  /** Every n-th row has an unusable email address (0 = none). */
  badEvery?: number;
  /** Every n-th row repeats an earlier address in another letter case (0 = none). */
  duplicateEvery?: number;
  /** Add a `language` column (en/ru mix). Mixed languages split batches by room language. */
  languages?: boolean;
  /** Domain of the generated addresses (unique per run keeps SES inbox filters simple). */
  domain?: string;
}

/** A generated file and the row outcomes the parser should report for it. */
export interface GeneratedCsv {
  path: string;
  bytes: number;
  rows: number;
  expected: { accepted: number; rejected: number; duplicates: number };
}

const ROWS_PER_CHUNK = 2000;

/** Outcome of data row `i` (0-based) under `spec`: deterministic, so expectations need no second pass. */
const kindOf = (spec: CsvSpec, i: number): 'bad' | 'duplicate' | 'ok' => {
  const n = i + 1;
  if (spec.badEvery && n % spec.badEvery === 0) return 'bad';
  // A duplicate needs an earlier accepted row to copy: row 0 always is one.
  if (spec.duplicateEvery && n % spec.duplicateEvery === 0 && i > 0) return 'duplicate';
  return 'ok';
};

/** Counts what the parser should report for `spec`. */
export const expectedOutcomes = (spec: CsvSpec): GeneratedCsv['expected'] => {
  const expected = { accepted: 0, rejected: 0, duplicates: 0 };
  for (let i = 0; i < spec.rows; i++) {
    const kind = kindOf(spec, i);
    if (kind === 'bad') expected.rejected++;
    else if (kind === 'duplicate') expected.duplicates++;
    else expected.accepted++;
  }
  return expected;
};

/** The CSV text of data rows [from, to) of `spec`. */
const rowsText = (spec: CsvSpec, from: number, to: number): string => {
  const domain = spec.domain ?? 'bench.example.com';
  const parts: string[] = [];
  for (let i = from; i < to; i++) {
    const kind = kindOf(spec, i);
    // The earlier row copied by a duplicate: ok rows only, so the copy is always of an accepted address.
    let source = kind === 'duplicate' ? Math.floor(i / 2) : i;
    while (kindOf(spec, source) !== 'ok') source--;
    const email =
      kind === 'bad'
        ? `not-an-address-${i}`
        : kind === 'duplicate'
          ? `User.${source}@${domain}`.toUpperCase()
          : `user.${i}@${domain}`;
    const language = spec.languages ? (i % 4 === 3 ? ',ru' : ',en') : '';
    // Quoted name with a comma: the tokenizer's slower path runs on every row, as with real exports.
    parts.push(`${email},"Respondent ${i}, Jr."${language},Company ${i % 997}\n`);
  }
  return parts.join('');
};

/** Header line for `spec`. */
const headerOf = (spec: CsvSpec) => `email,name${spec.languages ? ',language' : ''},company\n`;

/** Yields the CSV in chunks of a few thousand rows (for in-memory uploads of small files). */
export function* csvChunks(spec: CsvSpec): Generator<string> {
  yield headerOf(spec);
  for (let from = 0; from < spec.rows; from += ROWS_PER_CHUNK) {
    yield rowsText(spec, from, Math.min(spec.rows, from + ROWS_PER_CHUNK));
  }
}

/** The whole CSV as one string (small files only). */
export const csvText = (spec: CsvSpec): string => [...csvChunks(spec)].join('');

/** Where the CSV of `spec` is kept (os.tmpdir(); one file per distinct spec). */
export const csvPathFor = (spec: CsvSpec): string =>
  join(
    tmpdir(),
    `aseed-bench-${spec.rows}-${spec.badEvery ?? 0}-${spec.duplicateEvery ?? 0}-${spec.languages ? 'l' : 'n'}-${spec.domain ?? 'd'}.csv`,
  );

/**
 * Writes the CSV for `spec` to os.tmpdir() (streamed, honouring backpressure, so a million rows never sit in
 * memory) and returns its path; an identical earlier file is reused.
 */
export const generateCsvFile = async (spec: CsvSpec): Promise<GeneratedCsv> => {
  const path = csvPathFor(spec);
  const expected = expectedOutcomes(spec);
  if (existsSync(path)) return { path, bytes: statSync(path).size, rows: spec.rows, expected };
  const partial = `${path}.${process.pid}.partial`;
  const out = createWriteStream(partial);
  for (const chunk of csvChunks(spec)) {
    if (!out.write(chunk)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
  renameSync(partial, path);
  return { path, bytes: statSync(path).size, rows: spec.rows, expected };
};
