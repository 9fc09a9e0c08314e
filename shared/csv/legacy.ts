/**
 * The two 8-bit encodings spreadsheets still write: Windows-1252 (Excel's "CSV" on Western Windows) and
 * Mac Roman (old Excel for Mac, CR line endings). Both map every byte, so which one a field is in is
 * judged by how its letters read: "Jürgen Groß" in Mac Roman bytes reads "JŸrgen Gro§" as Windows-1252.
 */

/** The 8-bit encoding a field that is not UTF-8 was read in. */
export type LegacyEncoding = 'windows-1252' | 'mac-roman';

// Windows-1252 differs from Latin-1 only in 0x80–0x9F. Node's TextDecoder('windows-1252') decodes as
// Latin-1 (C1 controls instead of € “ ” – …), so the table is spelt out. Undefined bytes stay C1 controls.
const CP1252_HIGH =
  '\u20ac\u0081\u201a\u0192\u201e\u2026\u2020\u2021\u02c6\u2030\u0160\u2039\u0152\u008d\u017d\u008f' +
  '\u0090\u2018\u2019\u201c\u201d\u2022\u2013\u2014\u02dc\u2122\u0161\u203a\u0153\u009d\u017e\u0178';

// Mac Roman 0x80–0xFF (Apple's table; 0xF0 is the Apple logo, a private-use character). Spelt out so
// that it does not depend on the runtime's ICU data.
const MAC_ROMAN_HIGH =
  '\u00c4\u00c5\u00c7\u00c9\u00d1\u00d6\u00dc\u00e1\u00e0\u00e2\u00e4\u00e3\u00e5\u00e7\u00e9\u00e8' +
  '\u00ea\u00eb\u00ed\u00ec\u00ee\u00ef\u00f1\u00f3\u00f2\u00f4\u00f6\u00f5\u00fa\u00f9\u00fb\u00fc' +
  '\u2020\u00b0\u00a2\u00a3\u00a7\u2022\u00b6\u00df\u00ae\u00a9\u2122\u00b4\u00a8\u2260\u00c6\u00d8' +
  '\u221e\u00b1\u2264\u2265\u00a5\u00b5\u2202\u2211\u220f\u03c0\u222b\u00aa\u00ba\u03a9\u00e6\u00f8' +
  '\u00bf\u00a1\u00ac\u221a\u0192\u2248\u2206\u00ab\u00bb\u2026\u00a0\u00c0\u00c3\u00d5\u0152\u0153' +
  '\u2013\u2014\u201c\u201d\u2018\u2019\u00f7\u25ca\u00ff\u0178\u2044\u20ac\u2039\u203a\ufb01\ufb02' +
  '\u2021\u00b7\u201a\u201e\u2030\u00c2\u00ca\u00c1\u00cb\u00c8\u00cd\u00ce\u00cf\u00cc\u00d3\u00d4' +
  '\uf8ff\u00d2\u00da\u00db\u00d9\u0131\u02c6\u02dc\u00af\u02d8\u02d9\u02da\u00b8\u02dd\u02db\u02c7';

/** Decodes Windows-1252 bytes. */
export const decodeWindows1252 = (bytes: Buffer): string =>
  bytes.toString('latin1').replace(/[\u0080-\u009f]/g, (c) => CP1252_HIGH[c.charCodeAt(0) - 0x80] as string);

/** Decodes Mac Roman bytes. */
export const decodeMacRoman = (bytes: Buffer): string =>
  bytes
    .toString('latin1')
    .replace(/[\u0080-\u00ff]/g, (c) => MAC_ROMAN_HIGH[c.charCodeAt(0) - 0x80] as string);

const LETTER = /\p{L}/u;
const LOWER = /\p{Ll}/u;
const UPPER = /\p{Lu}/u;
const LATIN = /\p{Script=Latin}/u;
// Quotation marks: an opening one belongs before a word, a closing one after it; ’ between letters is an
// apostrophe (l’Oréal, Paul’s), which counts for the reading like a letter.
const OPENING = /[\u2018\u201a\u201c\u201e\u2039\u00ab]/;
const CLOSING = /[\u2019\u201d\u203a\u00bb]/;
const APOSTROPHE = '\u2019';
// Typography people do type next to letters (Smith–Jones, etc…, Acme™, €5): neutral in either reading.
const TYPOGRAPHY = /[\u2013\u2014\u2026\u2022\u2122\u00ae\u00a9\u20ac\u00a0]/;
// C1 controls: what a byte undefined in Windows-1252 becomes.
const C1 = /[\u0080-\u009f]/;
// Ligatures (Mac Roman 0xDE, 0xDF) and the florin sign (0x83 in Windows-1252, 0xC4 in Mac Roman) are
// letters to Unicode but never part of a name typed into a spreadsheet.
const NOT_IN_NAMES = /[\ufb01\ufb02\u0192]/;

/** True when a letter reads as part of its word: no capital inside it, no other script than its neighbours. */
const fitsWord = (c: string, before: string, after: string, twoBefore: string): boolean => {
  if (NOT_IN_NAMES.test(c)) return false;
  if (!LATIN.test(c) && (LATIN.test(before) || LATIN.test(after))) return false; // Groπ, Ωhm
  if (UPPER.test(c)) return !LOWER.test(before) && !(LETTER.test(before) && LOWER.test(after)); // MŸller
  if (LOWER.test(c) && UPPER.test(after)) return false; // ìBest, SmithñJones
  return !(LOWER.test(c) && UPPER.test(before) && UPPER.test(twoBefore)); // JOSƒ
};

/** Score of one character that is neither a letter nor a control character. */
const markScore = (c: string, letterBefore: boolean, letterAfter: boolean): number => {
  if (c === APOSTROPHE && letterBefore && letterAfter) return 1;
  if (TYPOGRAPHY.test(c)) return 0;
  if (OPENING.test(c)) return letterBefore ? -1 : 0; // Zo‘ (Zoë)
  if (CLOSING.test(c)) return letterAfter && !letterBefore ? -1 : 0; // ”Best
  return -(Number(letterBefore) + Number(letterAfter)); // Gro§ (Groß)
};

/**
 * How well the non-ASCII characters of a decoded field read: a letter that fits its word +1 (0 when it
 * stands alone), one that does not (a capital inside a word, a small letter before a capital or after two,
 * another script beside a Latin letter, a ligature or `ƒ`) -2, an apostrophe between letters +1, a quotation
 * mark on the wrong side of a word -1, a symbol beside a letter (`Gro§`) -1 per side, dashes, `…`, `™`
 * and `€` 0, a control character (an undefined byte) -3.
 */
export const plausibility = (text: string): number => {
  let score = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (c.charCodeAt(0) < 0x80) continue;
    const before = text[i - 1] ?? '';
    const after = text[i + 1] ?? '';
    const letterBefore = LETTER.test(before);
    const letterAfter = LETTER.test(after);
    if (C1.test(c)) score -= 3;
    else if (!LETTER.test(c)) score += markScore(c, letterBefore, letterAfter);
    else if (!fitsWord(c, before, after, text[i - 2] ?? '')) score -= 2;
    // A letter with no letter beside it (`– dash –` read as `ñ dash ñ`) proves nothing.
    else if (letterBefore || letterAfter) score += 1;
  }
  return score;
};

/** How far one reading must beat the other to count as clear: a single letter either way is not proof. */
const CLEAR_MARGIN = 2;

/**
 * Decodes the fields of one file that are not UTF-8, each in the encoding that reads clearly better
 * (`Jürgen Groß`, not `JŸrgen Gro§`). Otherwise (`Björk` reads as well as `Bjšrk`, `Paul’s` as `Paulís`)
 * it goes to the encoding the file's clear fields chose so far, then to the file's line endings: CR alone
 * is old Excel for Mac, anything else Windows-1252.
 */
export class LegacyDecoder {
  /** Fields that read clearly better as Mac Roman, minus those that read clearly better as Windows-1252. */
  private lean = 0;

  constructor(private readonly crLineEndings: boolean) {}

  /** The field's text and the encoding it was read in. */
  decode(bytes: Buffer): { text: string; encoding: LegacyEncoding } {
    const windows = decodeWindows1252(bytes);
    const mac = decodeMacRoman(bytes);
    const difference = plausibility(mac) - plausibility(windows);
    const clear = Math.abs(difference) >= CLEAR_MARGIN ? Math.sign(difference) : 0;
    this.lean += clear;
    const leaning = clear !== 0 ? clear : this.lean !== 0 ? this.lean : this.crLineEndings ? 1 : -1;
    return leaning > 0 ? { text: mac, encoding: 'mac-roman' } : { text: windows, encoding: 'windows-1252' };
  }
}
