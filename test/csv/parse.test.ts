import { describe, expect, it } from 'vitest';
import {
  CsvFileError,
  type ParsedRow,
  parseAll,
  parseRespondentBatches,
  parseRespondents,
} from '#shared/csv/parse.ts';
import { brief, chunked, parseEverySplit } from './support.ts';

const accepted = (rows: ParsedRow[]) =>
  rows.flatMap((r) => (r.kind === 'accepted' ? [r] : [])).map((r) => ({ line: r.line, ...r.respondent }));

describe('parseRespondentBatches', () => {
  it('yields the rows parseRespondents yields, in order, a batch per stretch of input', async () => {
    // Prepare: ~150 KB of rows with a bad address and a duplicate every so often.
    const lines = ['email,name'];
    for (let i = 0; i < 3000; i++) {
      lines.push(
        i % 700 === 5
          ? 'not-an-address,X'
          : i % 500 === 7
            ? 'ROW1@example.com,Again'
            : `row${i}@example.com,Name ${i}`,
      );
    }
    const csv = `${lines.join('\n')}\n`;

    // Act
    const batches: ParsedRow[][] = [];
    for await (const batch of parseRespondentBatches(chunked(csv, 4096))) batches.push(batch);
    const { rows } = await parseAll(chunked(csv, 4096));

    // Assert
    expect(batches.length).toBeGreaterThan(5);
    expect(batches.every((batch) => batch.length > 0)).toBe(true);
    expect(batches.flat()).toEqual(rows);
    expect(rows).toHaveLength(3000);
    expect(rows.filter((r) => r.kind === 'duplicate')).toHaveLength(6);
  });
});

describe('parseRespondents: rows and normalisation', () => {
  it('accepts good rows, trims values and keys duplicates case-insensitively', async () => {
    // Prepare
    const csv = 'email,name\n  Anna@Example.COM  ,  Anna Petrova \nbob@example.org,Bob\n';
    // Act
    const { rows } = await parseEverySplit(csv);
    // Assert
    expect(accepted(rows)).toEqual([
      { line: 2, email: 'Anna@example.com', emailKey: 'anna@example.com', name: 'Anna Petrova', fields: {} },
      { line: 3, email: 'bob@example.org', emailKey: 'bob@example.org', name: 'Bob', fields: {} },
    ]);
  });

  it('reports a duplicate with the line of the first occurrence and skips it', async () => {
    // Prepare
    const csv = 'email\na@example.com\nb@example.com\nA@EXAMPLE.com\n';
    // Act
    const { rows, counts } = await parseEverySplit(csv);
    // Assert
    expect(rows[2]).toEqual({ kind: 'duplicate', line: 4, email: 'A@example.com', firstLine: 2 });
    expect(counts).toEqual({ accepted: 2, rejected: 0, duplicates: 1 });
  });

  it('keeps extra columns as merge fields under normalised names', async () => {
    // Prepare
    const csv = 'Email,Company Name,Team-Lead,company name,\nx@example.com,ACME,Zoe,Other,\n';
    // Act
    const { rows, info } = await parseEverySplit(csv);
    // Assert
    expect(accepted(rows)[0]?.fields).toEqual({
      company_name: 'ACME',
      team_lead: 'Zoe',
      company_name_2: 'Other',
    });
    expect(info?.fieldKeys).toEqual(['company_name', 'team_lead', 'company_name_2']);
  });

  it('reads quoted values with delimiters, doubled quotes and line breaks', async () => {
    // Prepare
    const csv = 'email,name,note\nx@example.com,"Doe, ""JD"" John","line one\r\nline two"\n';
    // Act
    const { rows } = await parseEverySplit(csv);
    // Assert
    expect(accepted(rows)[0]).toMatchObject({
      name: 'Doe, "JD" John',
      fields: { note: 'line one\nline two' },
    });
  });

  it('keeps names with HTML or formulas as text (escaping happens where they are used)', async () => {
    // Prepare
    const csv =
      'email,name\nx@example.com,<script>alert(1)</script>\ny@example.com,"=HYPERLINK(""http://e.vil"")"\n';
    // Act
    const { rows } = await parseEverySplit(csv);
    // Assert
    expect(accepted(rows).map((r) => r.name)).toEqual([
      '<script>alert(1)</script>',
      '=HYPERLINK("http://e.vil")',
    ]);
  });
});

describe('parseRespondents: line numbers as a spreadsheet shows them', () => {
  it('counts blank rows and a multi-line quoted value as one row, with LF, CRLF and CR', async () => {
    for (const nl of ['\n', '\r\n', '\r']) {
      // Prepare
      const csv = [
        'email,note',
        'a@example.com,x',
        '',
        'b@example.com,"two',
        'lines"',
        '',
        '',
        'c@example.com,y',
      ].join(nl);
      // Act
      const { rows } = await parseEverySplit(csv);
      // Assert
      expect(brief(rows)).toEqual([
        [2, 'accepted', 'a@example.com'],
        [4, 'accepted', 'b@example.com'],
        [7, 'accepted', 'c@example.com'],
      ]);
    }
  });

  it('counts blank rows before the header', async () => {
    // Prepare
    const csv = '\n\nemail\nx@example.com\n';
    // Act
    const { rows, info } = await parseEverySplit(csv);
    // Assert
    expect(info?.headerLine).toBe(3);
    expect(brief(rows)).toEqual([[4, 'accepted', 'x@example.com']]);
  });

  it('treats rows of empty values (",,") and whitespace as blank', async () => {
    // Prepare
    const csv = 'email,name\n,,\n   \n x@example.com,X\n';
    // Act
    const { rows } = await parseEverySplit(csv);
    // Assert
    expect(brief(rows)).toEqual([[4, 'accepted', 'x@example.com']]);
  });

  it('gives a rejected multi-line row the line it starts on', async () => {
    // Prepare
    const csv = 'email,name\n"not an email\nat all",X\nok@example.com,Y\n';
    // Act
    const { rows } = await parseEverySplit(csv);
    // Assert
    expect(brief(rows)).toEqual([
      [2, 'rejected', 'email contains a control character (e.g. a line break)'],
      [3, 'accepted', 'ok@example.com'],
    ]);
  });
});

describe('parseRespondents: delimiters and headers', () => {
  it.each([
    [';', 'email;name;city\nx@example.com;"Smith; J";Paris\n'],
    ['\t', 'email\tname\tcity\nx@example.com\tSmith, J\tParis\n'],
    [',', 'email,name,city\nx@example.com,"Smith; J",Paris\n'],
  ])('detects %j from the header line', async (delimiter, csv) => {
    // Act
    const { rows, info } = await parseEverySplit(csv);
    // Assert
    expect(info?.delimiter).toBe(delimiter);
    expect(accepted(rows)[0]).toMatchObject({ email: 'x@example.com', fields: { city: 'Paris' } });
  });

  it.each([
    ['E-mail', 'Full Name'],
    ['EMAIL ADDRESS', 'name'],
    [' mail ', 'Display Name'],
    ['Email_Address', 'FULL_NAME'],
    ['Электронная почта', 'ФИО'],
  ])('matches header aliases %j / %j', async (emailHeader, nameHeader) => {
    // Prepare
    const csv = `"${emailHeader}","${nameHeader}"\nx@example.com,Xavier\n`;
    // Act
    const { rows } = await parseEverySplit(csv);
    // Assert
    expect(accepted(rows)[0]).toMatchObject({ email: 'x@example.com', name: 'Xavier', fields: {} });
  });

  it('builds the name from first and last name columns and keeps them as merge fields', async () => {
    // Prepare
    const csv = 'First Name,Last Name,Email\nAnna,Petrova,a@example.com\n,Solo,s@example.com\n';
    // Act
    const { rows } = await parseEverySplit(csv);
    // Assert
    expect(accepted(rows).map((r) => [r.name, r.fields])).toEqual([
      ['Anna Petrova', { first_name: 'Anna', last_name: 'Petrova' }],
      ['Solo', { first_name: '', last_name: 'Solo' }],
    ]);
  });

  it('reads the language column (en/ru in many spellings) and warns about others', async () => {
    // Prepare
    const csv =
      'email,Lang\na@example.com,EN\nb@example.com,ru-RU\nc@example.com,Русский\nd@example.com,de\ne@example.com,\n';
    // Act
    const { rows } = await parseEverySplit(csv);
    // Assert
    expect(accepted(rows).map((r) => r.language)).toEqual(['en', 'ru', 'ru', undefined, undefined]);
    expect(rows[3]).toMatchObject({
      kind: 'accepted',
      warnings: [expect.stringContaining('"de" is not supported')],
    });
  });

  it('accepts trailing delimiters and rows shorter than the header', async () => {
    // Prepare
    const csv = 'email,name,city,\nx@example.com,X,,\ny@example.com\n';
    // Act
    const { rows } = await parseEverySplit(csv);
    // Assert
    expect(accepted(rows).map((r) => [r.email, r.name, r.fields])).toEqual([
      ['x@example.com', 'X', { city: '' }],
      ['y@example.com', undefined, { city: '' }],
    ]);
  });

  it('rejects a row with more values than the header, naming both counts', async () => {
    // Prepare
    const csv = 'email,name\nx@example.com,Smith, John\ny@example.com,Y\n';
    // Act
    const { rows } = await parseEverySplit(csv);
    // Assert
    expect(rows[0]).toEqual({
      kind: 'rejected',
      line: 2,
      email: 'x@example.com',
      reason: 'row has 3 values but the header has 2 columns (a value with an unquoted delimiter?)',
    });
    expect(rows[1]?.kind).toBe('accepted');
  });
});

describe('parseRespondents: row validation', () => {
  it.each([
    ['anna example.com', 'email contains a space'],
    ['anna@@example.com', 'email has 2 "@" (exactly one expected)'],
    ['anna@example.com.', 'email ends with a dot'],
    ['anna@localhost', 'email has no dot in the domain (e.g. example.com)'],
    ['anna', 'email has no "@"'],
    ['@example.com', 'email has nothing before "@"'],
    ['anna@', 'email has nothing after "@"'],
    ['an..na@example.com', 'email has a misplaced dot before "@"'],
    ['"anna"@example.com', 'email has a character not allowed before "@" (quotes, commas, brackets, …)'],
    ['анна@example.com', 'email has non-ASCII characters before "@" (SES cannot deliver to them)'],
    ['anna@exa_mple.com', 'email has an invalid domain (letters, digits and inner hyphens only)'],
    ['user@example.com\u201d', 'email has a character that cannot be in a domain: "\u201d" (U+201D)'],
    ['user@example.com\u2122', 'email has a character that cannot be in a domain: "\u2122" (U+2122)'],
    ['user@exam\u00b7ple.com', 'email has a character that cannot be in a domain: "\u00b7" (U+00B7)'],
    ['user@example.com\u{1F600}', 'email has a character that cannot be in a domain: "\u{1F600}" (U+1F600)'],
    ['user@example.c', 'email has an unknown top-level domain ".c" (not in the public suffix list)'],
    ['user@example.1ab', 'email has an unknown top-level domain ".1ab" (not in the public suffix list)'],
    [
      'user@example.\u0441om',
      'email has an unknown top-level domain ".\u0441om" (not in the public suffix list; it mixes Latin with look-alike letters of another script)',
    ],
    [
      `${'a'.repeat(64)}@${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(63)}.com`,
      'email is longer than 254 characters',
    ],
    ['', 'email is empty'],
  ])('rejects %j: %s', async (email, reason) => {
    // Prepare
    const csv = `email,name\n"${email.replaceAll('"', '""')}",X\nok@example.com,Y\n`;
    // Act
    const { rows } = await parseEverySplit(csv);
    // Assert
    expect(rows[0]).toMatchObject({ kind: 'rejected', line: 2, reason });
    expect(rows[1]).toMatchObject({ kind: 'accepted', line: 3 });
  });

  it('trims a trailing left-to-right mark, zero-width space or NBSP like a space', async () => {
    // Act
    const { rows } = await parseEverySplit('email\nanna@example.com\u200e\n\u200bbob@example.org\u00a0\n');
    // Assert
    expect(accepted(rows).map((r) => r.email)).toEqual(['anna@example.com', 'bob@example.org']);
  });

  it('accepts the Catalan middle dot between two l and the ideographic full stop', async () => {
    // Act
    const { rows } = await parseEverySplit(
      'email\nanna@paral\u00b7lel.cat\ninfo@例え\u3002jp\nbob@example\uff0ecom\n',
    );
    // Assert
    expect(accepted(rows).map((r) => r.email)).toEqual([
      'anna@xn--parallel-koa.cat',
      'info@xn--r8jz45g.jp',
      'bob@example.com',
    ]);
  });

  it('converts an international domain to punycode', async () => {
    // Act
    const { rows } = await parseEverySplit('email\nivan@пример.рф\n');
    // Assert
    expect(accepted(rows)[0]?.email).toBe('ivan@xn--e1afmkfd.xn--p1ai');
  });

  it('folds line breaks and tabs in a name to one space, refuses other control characters and over-long names', async () => {
    // Prepare
    const csv = `email,name,note\na@example.com,"Anna \r\n Bcc: x@evil.com",ok\nb@example.com,${'n'.repeat(201)},ok\nc@example.com,C,"bell\u0007"\nd@example.com,D,"multi\nline"\ne@example.com,"Eva\tMaria\u0007",ok\nf@example.com,"Fay\u000b\nGo",ok\ng@example.com,"${' '.repeat(60_000)}x",ok\n`;
    // Act
    const { rows } = await parseEverySplit(csv);
    // Assert
    expect(brief(rows)).toEqual([
      [2, 'accepted', 'a@example.com'],
      [3, 'rejected', 'name is longer than 200 characters'],
      [4, 'rejected', 'column "note" contains a control character'],
      [5, 'accepted', 'd@example.com'],
      [6, 'rejected', 'name contains a control character'],
      [7, 'rejected', 'name contains a control character'],
      [8, 'rejected', 'name is longer than 200 characters'],
    ]);
    expect(rows[0]).toMatchObject({ respondent: { name: 'Anna Bcc: x@evil.com' } });
    expect(rows[3]).toMatchObject({ respondent: { fields: { note: 'multi\nline' } } });
  });

  it('rejects a merge field over maxFieldLength', async () => {
    // Act
    const { rows } = await parseEverySplit('email,bio\na@example.com,0123456789A\n', { maxFieldLength: 10 });
    // Assert
    expect(rows[0]).toMatchObject({ kind: 'rejected', reason: 'column "bio" is longer than 10 characters' });
  });

  it('rejects an oversized field and keeps the following rows', async () => {
    // Prepare
    const csv = `email,bio\na@example.com,short\nb@example.com,"${'x'.repeat(5000)}\n${'y'.repeat(5000)}"\nc@example.com,ok\n`;
    // Act
    const { rows } = await parseAll(chunked(csv, 1000), { maxFieldBytes: 4096 });
    // Assert
    expect(brief(rows)).toEqual([
      [2, 'accepted', 'a@example.com'],
      [3, 'rejected', 'column 2 ("bio") is longer than 4096 bytes'],
      [4, 'accepted', 'c@example.com'],
    ]);
  });

  it('reports an unclosed quote at the line it opens and keeps the rows before it', async () => {
    // Prepare
    const csv = 'email,name\na@example.com,A\nb@example.com,"Bob\nc@example.com,C\n';
    // Act
    const { rows } = await parseEverySplit(csv);
    // Assert
    expect(brief(rows)).toEqual([
      [2, 'accepted', 'a@example.com'],
      [
        3,
        'rejected',
        'unclosed quote: the quoted value opened on text line 3 never closes, so text lines 3–5 could not be read',
      ],
    ]);
  });

  it('reads a quote inside an unquoted value and text after a closing quote literally', async () => {
    // Act
    const { rows } = await parseEverySplit('email,name\na@example.com,Jo "JJ" Smith\nb@example.com,"Bo"b\n');
    // Assert: csv-parse (relax_quotes) keeps a value with text after its closing quote as written
    expect(accepted(rows).map((r) => r.name)).toEqual(['Jo "JJ" Smith', '"Bo"b']);
  });
});

describe('parseRespondents: encodings', () => {
  const body = 'email;name\r\nanna@example.com;Анна Пётровна\r\nrene@example.com;René Ærø\r\n';
  const expected = [
    { email: 'anna@example.com', name: 'Анна Пётровна' },
    { email: 'rene@example.com', name: 'René Ærø' },
  ];
  const be = (text: string) => Buffer.from(text, 'utf16le').swap16();

  it.each([
    ['utf-8', Buffer.from(body)],
    ['utf-8-bom', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(body)])],
    ['utf-16le', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(body, 'utf16le')])],
    ['utf-16be', Buffer.concat([Buffer.from([0xfe, 0xff]), be(body)])],
    ['utf-16le', Buffer.from(body, 'utf16le')],
  ])('reads %s', async (encoding, bytes) => {
    // Act
    const { rows, info } = await parseEverySplit(bytes);
    // Assert
    expect(info?.encoding).toBe(encoding);
    expect(accepted(rows).map((r) => ({ email: r.email, name: r.name }))).toEqual(expected);
  });

  it('reads Windows-1252 values (invalid UTF-8) as Windows-1252', async () => {
    // Prepare: "René Ærø – €5" in cp1252
    const bytes = Buffer.concat([
      Buffer.from('email,name\nrene@example.com,Ren'),
      Buffer.from([0xe9, 0x20, 0xc6, 0x72, 0xf8, 0x20, 0x96, 0x20, 0x80, 0x35]),
      Buffer.from('\n'),
    ]);
    // Act
    const { rows } = await parseEverySplit(bytes);
    // Assert
    expect(accepted(rows)[0]?.name).toBe('René Ærø – €5');
  });
});

describe('parseRespondents: whole-file failures', () => {
  const failures: [string, string | Buffer, RegExp][] = [
    ['an empty file', '', /empty/],
    ['only a BOM', Buffer.from([0xef, 0xbb, 0xbf]), /empty/],
    ['only blank lines', '\n\r\n  \n', /empty/],
    ['a PNG', Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]), /PNG image/],
    ['a ZIP (xlsx)', Buffer.from([0x50, 0x4b, 0x03, 0x04, 20, 0, 0, 0]), /ZIP archive/],
    ['a PDF', Buffer.from('%PDF-1.7\n%âãÏÓ\n'), /PDF document/],
    ['NUL bytes', Buffer.from('email\n\0\0\0\0x@example.com\n'), /binary data/],
    ['no email column', 'name,city\nAnna,Paris\n', /no email column: the header row has "name", "city"/],
    ['no header row', 'anna@example.com,Anna\n', /looks like data, not a header/],
    [
      'two email columns',
      'email,name,E-Mail\n',
      /more than one email column: columns 1 \("email"\) and 3 \("E-Mail"\)/,
    ],
    [
      'an unreadable header',
      '"email,name\nx@example.com\n',
      /header row \(line 1\) cannot be read: unclosed quote/,
    ],
  ];

  it.each(failures)('throws CsvFileError for %s before yielding any row', async (_, input, message) => {
    // Prepare
    const yielded: ParsedRow[] = [];
    // Act
    const run = async () => {
      for await (const row of parseRespondents(chunked(input, 5))) yielded.push(row);
    };
    // Assert
    await expect(run()).rejects.toThrow(CsvFileError);
    await expect(run()).rejects.toThrow(message);
    expect(yielded).toEqual([]);
  });

  it('accepts a header-only file as zero rows', async () => {
    // Act
    const { rows, info } = await parseEverySplit('email,name\r\n');
    // Assert
    expect(rows).toEqual([]);
    expect(info?.headers).toEqual(['email', 'name']);
  });

  it('is a PermanentError (the campaign fails, nothing is retried)', async () => {
    // Act
    const error = await parseAll(chunked('')).catch((e: unknown) => e);
    // Assert
    expect(error).toMatchObject({ retryable: false, name: 'CsvFileError' });
  });
});

describe('parseRespondents: releasing the input', () => {
  it('destroys the stream when the file is refused', async () => {
    // Prepare
    const stream = chunked('name\nAnna\n', 3);
    // Act
    await parseAll(stream).catch(() => undefined);
    // Assert
    expect(stream.destroyed).toBe(true);
  });

  it('destroys the stream when the consumer stops early', async () => {
    // Prepare
    const stream = chunked(
      `email\n${Array.from({ length: 1000 }, (_, i) => `u${i}@example.com`).join('\n')}\n`,
      64,
    );
    // Act
    for await (const row of parseRespondents(stream)) if (row.line === 3) break;
    // Assert
    expect(stream.destroyed).toBe(true);
  });
});
