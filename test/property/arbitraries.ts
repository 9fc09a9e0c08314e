import fc from 'fast-check';

/** Pieces attackers and broken exports put in cells: line breaks, header syntax, HTML, templates, formulas. */
const NASTY = [
  '\r',
  '\n',
  '\r\n',
  '\t',
  '\0',
  '\u0085',
  '\u2028',
  '\u2029',
  '\u001b',
  'Bcc: victim@example.com',
  'Subject: x',
  'Content-Type: text/html',
  '<script>alert(1)</script>',
  '<',
  '>',
  '&',
  '&amp;',
  '"',
  "'",
  '{{',
  '}}',
  '{{{roomUrl}}}',
  '=',
  '+',
  '-',
  '@',
  ',',
  ';',
  ' ',
  '=HYPERLINK("http://evil.example")',
  'é',
  'Ж',
  '🙂',
];

/** Any string, biased towards hostile content. */
export const hostileString = (): fc.Arbitrary<string> =>
  fc.oneof(
    fc.string({ unit: 'binary', maxLength: 40 }),
    fc
      .array(fc.oneof(fc.constantFrom(...NASTY), fc.string({ maxLength: 5 })), { maxLength: 12 })
      .map((p) => p.join('')),
  );

/** Characters a valid address may use, plus a few uncommon-but-legal ones. */
const localPart = fc
  .array(
    fc.constantFrom(
      ...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%&*+/=?^_`{|}~-'.split(''),
    ),
    {
      minLength: 1,
      maxLength: 20,
    },
  )
  .map((c) => c.join(''));

const label = fc
  .array(fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz0123456789'.split('')), {
    minLength: 1,
    maxLength: 12,
  })
  .map((c) => c.join(''));

/** A valid address (what checkEmail accepts): dot-atom local part, lower-case domain with an alphabetic TLD. */
export const validEmail = (): fc.Arbitrary<string> =>
  fc
    .tuple(
      fc.array(localPart, { minLength: 1, maxLength: 3 }),
      fc.array(label, { minLength: 1, maxLength: 3 }),
      fc.constantFrom('com', 'org', 'ru', 'net', 'co'),
    )
    .map(([local, labels, tld]) => `${local.join('.')}@${labels.join('.')}.${tld}`);
