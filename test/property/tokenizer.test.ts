import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CsvTokenizer, type RawRecord } from '#shared/csv/tokenizer.ts';
import { quoteCsv } from '#shared/report/csv-cell.ts';

const cell = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 12 }),
  fc.constantFrom('', '"', '""', ',', ';', '\t', '\r', '\n', '\r\n', ' x ', 'a"b', '"quoted"'),
);

describe('property: the tokenizer reads back what an RFC 4180 writer wrote', () => {
  it('same fields and spreadsheet line numbers, whatever the chunking', () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(cell, { minLength: 1, maxLength: 5 }), { minLength: 1, maxLength: 12 }),
        fc.constantFrom(',', ';', '\t'),
        fc.constantFrom('\n', '\r\n', '\r'),
        fc.integer({ min: 1, max: 50 }),
        (rows, delimiter, eol, chunkSize) => {
          // Prepare
          const text = rows.map((r) => r.map((v) => quoteCsv(v, delimiter)).join(delimiter)).join(eol) + eol;
          const bytes = Buffer.from(text, 'utf8');
          const tokenizer = new CsvTokenizer(delimiter, { maxFieldBytes: 1 << 20, maxFields: 100 });
          // Act
          const records: RawRecord[] = [];
          for (let i = 0; i < bytes.length; i += chunkSize)
            records.push(...tokenizer.push(bytes.subarray(i, i + chunkSize)));
          records.push(...tokenizer.end());
          // Assert
          expect(records.map((r) => r.fields)).toEqual(rows);
          let line = 1;
          rows.forEach((row, i) => {
            expect(records[i]?.line).toBe(line);
            line += 1 + row.reduce((n, v) => n + (v.match(/\r\n|\r|\n/g)?.length ?? 0), 0);
          });
        },
      ),
      { numRuns: 300 },
    );
  });
});
