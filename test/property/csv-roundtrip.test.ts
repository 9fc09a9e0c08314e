import { parse as parseCsvSync } from 'csv-parse/sync';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type ParsedRow, parseAll } from '#shared/csv/parse.ts';
import { neutralise, quoteCsv, readCell, safeCell, toCsvRow } from '#shared/report/csv-cell.ts';
import { chunked } from '#test/csv/support.ts';
import { hostileString, validEmail } from './arbitraries.ts';

// Formula triggers a spreadsheet would evaluate at the start of a cell.
const TRIGGER_START = /^[=+\-@\t\r\n\uff1d\uff0b\uff0d\uff20]/;
// A name the parser keeps as it is: no control characters, no surrounding spaces, ≤ 200 characters.
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is being excluded.
const CONTROLS = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;
const plainName = hostileString().map((s) => s.replace(CONTROLS, '').trim().slice(0, 200));

/** Writes a respondent CSV the way a spreadsheet would (RFC 4180 quoting, chosen delimiter and line ends). */
const writeCsv = (rows: [string, string][], delimiter: string, eol: string): string =>
  [['Email', 'Full Name'], ...rows]
    .map((r) => r.map((v) => quoteCsv(v, delimiter)).join(delimiter))
    .join(eol) + eol;

describe('property: parsing a generated CSV and writing the report round-trips every email', () => {
  it('every address comes back accepted or as a duplicate, on its own line, and survives the report', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(validEmail(), plainName), { minLength: 1, maxLength: 30 }),
        fc.constantFrom(',', ';', '\t'),
        fc.constantFrom('\n', '\r\n'),
        fc.integer({ min: 1, max: 64 }),
        async (people, delimiter, eol, chunkSize) => {
          // Prepare
          const csv = writeCsv(people, delimiter, eol);
          // Act
          const { rows } = await parseAll(chunked(csv, chunkSize));
          const report = rows
            .map((r) => toCsvRow([r.line, r.kind, emailOf(r), r.kind === 'rejected' ? r.reason : '']))
            .join('');
          const readBack = (parseCsvSync(report, { relax_column_count: true }) as string[][]).map((cells) =>
            cells.map(readCell),
          );
          // Assert
          expect(rows.map((r) => r.kind === 'rejected')).not.toContain(true);
          const seen = new Map<string, number>();
          people.forEach(([email, name], i) => {
            const row = rows[i] as ParsedRow;
            const line = i + 2;
            expect(row.line).toBe(line);
            const key = email.toLowerCase();
            const first = seen.get(key);
            if (first === undefined) {
              seen.set(key, line);
              expect(row).toMatchObject({ kind: 'accepted', respondent: { email, emailKey: key } });
              if (name) expect(row).toMatchObject({ respondent: { name } });
            } else {
              expect(row).toEqual({ kind: 'duplicate', line, email, firstLine: first });
            }
            expect(readBack[i]?.[2]).toBe(email);
          });
        },
      ),
      { numRuns: 150 },
    );
  });
});

const emailOf = (row: ParsedRow): string | undefined =>
  row.kind === 'accepted' ? row.respondent.email : row.kind === 'duplicate' ? row.email : row.email;

describe('property: report cells are formula-safe', () => {
  it('no cell starts with a formula trigger, and reading it back gives the value', () => {
    fc.assert(
      fc.property(fc.array(hostileString(), { minLength: 1, maxLength: 6 }), (values) => {
        // Act
        const [cells] = parseCsvSync(toCsvRow(values), { relax_column_count: true }) as string[][];
        // Assert
        expect(cells).toHaveLength(values.length);
        cells?.forEach((cell, i) => {
          expect(cell).not.toMatch(TRIGGER_START);
          expect(readCell(cell)).toBe(values[i]);
        });
      }),
    );
  });

  it('safeCell neutralises the classic payloads', () => {
    // Act + Assert
    expect(safeCell('=HYPERLINK("http://evil.example","x")')).toBe(
      '"\'=HYPERLINK(""http://evil.example"",""x"")"',
    );
    expect(safeCell('+1 555')).toBe("'+1 555");
    expect(safeCell('-2+3')).toBe("'-2+3");
    expect(safeCell('@SUM(A1)')).toBe("'@SUM(A1)");
    expect(safeCell('\t=1')).toBe("'\t=1");
    expect(safeCell('\r=1')).toBe('"\'\r=1"');
    expect(safeCell('plain, text')).toBe('"plain, text"');
    expect(neutralise(-5)).toBe('-5');
    expect(toCsvRow(['a', null, 3, true])).toBe('a,,3,true\r\n');
  });
});
