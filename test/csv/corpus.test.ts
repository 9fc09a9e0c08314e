import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { ColumnMapping } from '#shared/csv/columns.ts';
import { CsvFileError, type CsvFileInfo, type ParsedRow, parseRespondents } from '#shared/csv/parse.ts';
import { chunked } from './support.ts';

// Each test/fixtures/csv/<name>.expected.json describes the outcome of <name>.csv row by row (or the
// whole-file error). Fixtures too big to commit are generated here and marked "generated": true.
const DIR = join(import.meta.dirname, '..', 'fixtures', 'csv');

interface ExpectedRow {
  line: number;
  kind: ParsedRow['kind'];
  email?: string;
  reasonContains?: string;
  firstLine?: number;
}

interface Expected {
  description: string;
  error?: string;
  rows?: ExpectedRow[];
  encoding?: string;
  delimiter?: string;
  names?: Record<string, string>;
  languages?: Record<string, string>;
  fields?: Record<string, Record<string, string>>;
  generated?: boolean;
  /** The settings' column mapping the file is read with. */
  columns?: ColumnMapping;
  /** What the columns are read as (`CsvFileInfo.columns`). */
  recognised?: string;
}

/** Inputs generated at test time, streamed in 64 KiB chunks so nothing multi-megabyte is held. */
const GENERATED: Record<string, () => Readable> = {
  'multi-megabyte-field': () =>
    Readable.from(
      (function* () {
        yield Buffer.from('email,name,note\nanna@example.com,Anna,hi\nbob@example.com,Bob,"');
        const block = Buffer.alloc(64 * 1024, 'x');
        for (let i = 0; i < 80; i++) yield block; // 5 MiB
        yield Buffer.from('\nstill the same field"\ncarl@example.com,Carl,bye\n');
      })(),
    ),
  'many-columns': () => {
    const header = 'email,name';
    const wide = ['bob@example.com', ...Array.from({ length: 299 }, () => 'v')].join(',');
    return chunked(`${header}\nanna@example.com\n${wide}\ncarl@example.com\n`, 4096);
  },
};

const fixtures = readdirSync(DIR)
  .filter((f) => f.endsWith('.expected.json'))
  .map((f) => f.slice(0, -'.expected.json'.length))
  .sort();

const input = (name: string, expected: Expected): Readable => {
  if (expected.generated) {
    const make = GENERATED[name];
    if (!make) throw new Error(`no generator for ${name}`);
    return make();
  }
  const path = join(DIR, `${name}.csv`);
  if (!existsSync(path)) throw new Error(`missing fixture ${path}`);
  return chunked(readFileSync(path), 1000);
};

describe('malformed-CSV corpus', () => {
  it('has at least 30 fixtures', () => {
    // Assert
    expect(fixtures.length).toBeGreaterThanOrEqual(30);
  });

  it.each(fixtures)('%s', async (name) => {
    // Prepare
    const expected = JSON.parse(readFileSync(join(DIR, `${name}.expected.json`), 'utf8')) as Expected;
    const rows: ParsedRow[] = [];
    let info: CsvFileInfo | undefined;
    // Act
    const run = async () => {
      const options = { columns: expected.columns, onFileInfo: (i: CsvFileInfo) => (info = i) };
      for await (const row of parseRespondents(input(name, expected), options)) {
        rows.push(row);
      }
    };
    // Assert
    if (expected.error !== undefined) {
      const error = await run().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(CsvFileError);
      expect((error as Error).message).toContain(expected.error);
      expect(rows).toEqual([]);
      return;
    }
    await run();
    const actual = rows.map((row) => {
      const view: ExpectedRow = { line: row.line, kind: row.kind };
      const want = expected.rows?.find((r) => r.line === row.line);
      if (row.kind === 'accepted') view.email = row.respondent.email;
      if (row.kind === 'duplicate') Object.assign(view, { email: row.email, firstLine: row.firstLine });
      if (row.kind === 'rejected') {
        if (want?.email !== undefined) view.email = row.email;
        if (want?.reasonContains !== undefined && row.reason.includes(want.reasonContains)) {
          view.reasonContains = want.reasonContains;
        } else {
          view.reasonContains = row.reason;
        }
      }
      return view;
    });
    expect(actual).toEqual(expected.rows);
    if (expected.encoding) expect(info?.encoding).toBe(expected.encoding);
    if (expected.delimiter) expect(info?.delimiter).toBe(expected.delimiter);
    if (expected.recognised) expect(info?.columns).toBe(expected.recognised);
    const byLine = new Map(rows.map((r) => [String(r.line), r]));
    for (const [line, name] of Object.entries(expected.names ?? {})) {
      expect(byLine.get(line)).toMatchObject({ respondent: { name } });
    }
    for (const [line, language] of Object.entries(expected.languages ?? {})) {
      expect(byLine.get(line)).toMatchObject({ respondent: { language } });
    }
    for (const [line, fields] of Object.entries(expected.fields ?? {})) {
      expect(byLine.get(line)).toMatchObject({ kind: 'accepted', respondent: { fields } });
    }
  });
});
