import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type RawRecord, type RecordLimits, readRecords } from '#shared/csv/records.ts';
import { quoteCsv } from '#shared/report/csv-cell.ts';

const LIMITS: RecordLimits = { maxFieldBytes: 1 << 20, maxFields: 100, maxRecordBytes: 16 << 20 };

/** Splits bytes into chunks of `size`, as an async source. */
async function* chunksOf(bytes: Buffer, size: number): AsyncGenerator<Buffer> {
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

const readAll = async (
  input: string | Buffer,
  { size = 1000, delimiter = ',', limits = LIMITS } = {},
): Promise<RawRecord[]> => {
  const bytes = typeof input === 'string' ? Buffer.from(input, 'utf8') : input;
  const out: RawRecord[] = [];
  for await (const batch of readRecords(chunksOf(bytes, size), delimiter, limits)) out.push(...batch);
  return out;
};

const cell = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 12 }),
  fc.constantFrom('', '"', '""', ',', ';', '\t', '\r', '\n', '\r\n', ' x ', 'a"b', '"quoted"'),
);

describe('property: csv-parse reads back what an RFC 4180 writer wrote', () => {
  it('same fields and spreadsheet line numbers, whatever the chunking', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.array(cell, { minLength: 1, maxLength: 5 }), { minLength: 1, maxLength: 12 }),
        fc.constantFrom(',', ';', '\t'),
        fc.constantFrom('\n', '\r\n', '\r'),
        fc.integer({ min: 1, max: 50 }),
        async (rows, delimiter, eol, size) => {
          // Prepare
          const text = rows.map((r) => r.map((v) => quoteCsv(v, delimiter)).join(delimiter)).join(eol) + eol;
          // Act
          const records = await readAll(text, { size, delimiter });
          // Assert
          expect(records.map((r) => r.fields)).toEqual(rows);
          // One row per record, however many text lines its values span.
          expect(records.map((r) => r.line)).toEqual(rows.map((_, i) => i + 1));
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('readRecords', () => {
  it('numbers records as spreadsheet rows with CR, LF and CRLF mixed, even split across chunks', async () => {
    // Prepare
    const csv = 'h\r\na\rb\n\r\n"x\r\ny"\r\nc';
    for (const size of [1, 2, 3, 1000]) {
      // Act
      const records = await readAll(csv, { size });
      // Assert
      expect(records.map((r) => [r.line, r.fields])).toEqual([
        [1, ['h']],
        [2, ['a']],
        [3, ['b']],
        [4, ['']],
        [5, ['x\r\ny']],
        [6, ['c']],
      ]);
    }
  });

  it('decides Windows-1252 per field', async () => {
    // Prepare: "Zürich" in UTF-8, "René" in Windows-1252, in one record
    const bytes = Buffer.concat([Buffer.from('Zürich,Ren'), Buffer.from([0xe9]), Buffer.from(',€\n')]);
    // Act
    const [record] = await readAll(bytes);
    // Assert
    expect(record?.fields).toEqual(['Zürich', 'René', '€']);
  });

  it('reports an unclosed quote at the row it starts, naming the text line the quote opened on', async () => {
    // Prepare: row 2 spans text lines 2–3; row 3 starts on text line 4, its second value spans 4–5, the
    // third opens on text line 5
    const csv = 'h\n"a\nb",x\nmail@example.com,"two\nlines","never\nclosed\n';
    // Act
    const records = await readAll(csv, { size: 4 });
    // Assert
    expect(records).toEqual([
      { line: 1, fields: ['h'] },
      { line: 2, fields: ['a\nb', 'x'] },
      {
        line: 3,
        fields: ['mail@example.com', 'two\nlines'],
        problem:
          'unclosed quote: the quoted value opened on text line 5 never closes, so text lines 5–7 could not be read',
      },
    ]);
  });

  it('rejects an oversized field but reads the next records', async () => {
    // Prepare
    const csv = `a,b\nmail@example.com,"${'x'.repeat(50)}"\nc,d\n`;
    // Act
    const records = await readAll(csv, { size: 7, limits: { ...LIMITS, maxFieldBytes: 40 } });
    // Assert
    expect(records).toEqual([
      { line: 1, fields: ['a', 'b'] },
      { line: 2, fields: ['mail@example.com', ''], problem: 'is longer than 40 bytes', problemColumn: 1 },
      { line: 3, fields: ['c', 'd'] },
    ]);
  });

  it('marks a record with too many columns, keeping the first ones', async () => {
    // Act
    const records = await readAll('a,b,c,d\ne,f\n', { limits: { ...LIMITS, maxFields: 3 } });
    // Assert
    expect(records).toEqual([
      { line: 1, fields: ['a', 'b', 'c'], problem: 'more than 3 columns' },
      { line: 2, fields: ['e', 'f'] },
    ]);
  });

  it('stops at the safety cap on a runaway record, keeping the records before it', async () => {
    // Prepare: a quote that never closes in a file far larger than the cap
    let pulled = 0;
    async function* source(): AsyncGenerator<Buffer> {
      yield Buffer.from('h\nok\n\n"runaway\n');
      for (let i = 0; i < 1000; i++) {
        pulled++;
        yield Buffer.from('more text\n'.repeat(10));
      }
    }
    const records: RawRecord[] = [];
    // Act
    for await (const batch of readRecords(source(), ',', { ...LIMITS, maxRecordBytes: 1000 })) {
      records.push(...batch);
    }
    // Assert
    expect(records).toEqual([
      { line: 1, fields: ['h'] },
      { line: 2, fields: ['ok'] },
      { line: 3, fields: [''] },
      {
        line: 4,
        fields: [],
        problem:
          'the row is larger than 1000 bytes (a quote that never closes?): reading stopped, so row 4 and every row after it could not be read',
      },
    ]);
    expect(pulled).toBeLessThan(20);
  });
});
