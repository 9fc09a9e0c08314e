import { describe, expect, it } from 'vitest';
import { decodeMacRoman, decodeWindows1252, LegacyDecoder, plausibility } from '#shared/csv/legacy.ts';

// Bytes of a text in each encoding, built from the decoders' own tables (every byte 0x80–0xFF once).
const ALL_HIGH = Buffer.from(Array.from({ length: 128 }, (_, i) => 0x80 + i));
const encoderFor = (decode: (bytes: Buffer) => string) => {
  const table = [...decode(ALL_HIGH)];
  return (text: string): Buffer =>
    Buffer.from(
      [...text].map((c) => {
        if (c.charCodeAt(0) < 0x80) return c.charCodeAt(0);
        const at = table.indexOf(c);
        if (at === -1) throw new Error(`${c} has no byte in this encoding`);
        return 0x80 + at;
      }),
    );
};
const asMacRoman = encoderFor(decodeMacRoman);
const asWindows1252 = encoderFor(decodeWindows1252);

// Names both encodings can write, and a few only one of them can.
const BOTH = [
  ...['Jürgen Groß', 'Müller', 'François', 'JOSÉ', 'Zoë', 'Åsa Öberg', 'Ñandú', 'Benoît', 'Ångström'],
  ...[
    'Søren',
    'Éric',
    'Renée',
    'Straße',
    'Hélène',
    'MÜLLER',
    'Björk',
    'Gómez',
    'Peña',
    'Çelik',
    'Crème brûlée',
  ],
  ...['São Paulo', 'Æsir', 'Øst', 'Ÿvonne', 'Œuvre', 'l’Oréal', 'François “Fanfan” Œuvre'],
];
const WINDOWS_ONLY = ['Šimon', 'Žižek', 'Þór', 'Ðiðrik', '– dash –', '€100'];
// Typography of Western Windows text whose bytes are letters in Mac Roman (’ í, – ñ, ™ ô, … Ö, “ ì, ” î).
const WINDOWS_TYPOGRAPHY = [
  ...['Paul’s', 'Women’s Health', 'Smith–Jones', 'Acme™', 'etc…', '“Best”', 'Anne-Marie – Sales'],
  ...['O’Brien', 'Café “Zur Post”', 'R&D — Berlin'],
];

describe('LegacyDecoder: Windows-1252 or Mac Roman, field by field', () => {
  it.each([
    ['Mac Roman', asMacRoman, BOTH, [false, true]],
    ['Windows-1252', asWindows1252, [...BOTH, ...WINDOWS_ONLY], [false, true]],
    // CR alone is old Excel for Mac: there a tie before any clear field goes to Mac Roman.
    ['Windows-1252 (typography first)', asWindows1252, [...WINDOWS_TYPOGRAPHY, ...BOTH], [false]],
  ])('reads every name of a %s file right', (_, encode, names, lineEndings) => {
    for (const crLineEndings of lineEndings) {
      // Prepare
      const decoder = new LegacyDecoder(crLineEndings);
      // Act
      const read = names.map((name) => decoder.decode(encode(name)).text);
      // Assert
      expect(read).toEqual(names);
    }
  });

  it('reads the classic mix-up right on its own: "Jürgen Groß" from old Excel for Mac', () => {
    // Prepare
    const bytes = asMacRoman('Jürgen Groß');
    // Act
    const read = new LegacyDecoder(false).decode(bytes);
    // Assert
    expect(decodeWindows1252(bytes)).toBe('JŸrgen Gro§');
    expect(read).toEqual({ text: 'Jürgen Groß', encoding: 'mac-roman' });
  });

  it('breaks a tie by the file so far, then by its line endings', () => {
    // Prepare: "Björk" reads as well as "Bjšrk"
    const tie = asMacRoman('Björk');
    const clearlyWindows = asWindows1252('René');
    // Act
    const alone = new LegacyDecoder(false).decode(tie).text;
    const alongsideMac = new LegacyDecoder(false);
    alongsideMac.decode(asMacRoman('Groß'));
    const withCr = new LegacyDecoder(true).decode(tie).text;
    const crButWindows = new LegacyDecoder(true);
    crButWindows.decode(clearlyWindows);
    // Assert
    expect(alone).toBe('Bjšrk');
    expect(alongsideMac.decode(tie).text).toBe('Björk');
    expect(withCr).toBe('Björk');
    expect(crButWindows.decode(tie).text).toBe('Bjšrk');
  });

  it('scores mojibake below the text it was made from', () => {
    // Assert
    expect(plausibility('JŸrgen Gro§')).toBeLessThan(plausibility('Jürgen Groß'));
    expect(plausibility('RenÈ')).toBeLessThan(plausibility('René'));
    expect(plausibility('Ren\u0081')).toBeLessThan(plausibility('René'));
    expect(plausibility('SmithñJones')).toBeLessThan(plausibility('Smith–Jones'));
  });
});
