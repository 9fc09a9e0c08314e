/**
 * Report cells that are safe to open in a spreadsheet. Respondent data (names, emails, reasons) can start
 * with `=`, `+`, `-`, `@`, a tab or a CR, which Excel, LibreOffice and Google Sheets may run as a formula
 * (CSV injection). Such a value is written with a leading `'`, which spreadsheets show as text; a value
 * already starting with `'` gets one more, so `readCell` can always undo it exactly.
 */

/** A value a report row may hold. */
export type CellValue = string | number | boolean | null | undefined;

// ASCII triggers plus their full-width forms, which some spreadsheet apps normalise before evaluating.
const TRIGGERS = new Set(['=', '+', '-', '@', '\t', '\r', '\n', "'", '\uff1d', '\uff0b', '\uff0d', '\uff20']);

/** RFC 4180 quoting: wraps in quotes (doubling inner ones) when the value holds a delimiter, quote or line break. */
export const quoteCsv = (value: string, delimiter = ','): string =>
  value.includes(delimiter) || /["\r\n]/.test(value) || /^\s|\s$/.test(value)
    ? `"${value.replaceAll('"', '""')}"`
    : value;

/** The text a cell shows: formula triggers neutralised with a leading `'`. Numbers and booleans are kept. */
export const neutralise = (value: CellValue): string => {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return value.length > 0 && TRIGGERS.has(value[0] as string) ? `'${value}` : value;
};

/** One report cell: neutralised, then quoted for CSV. */
export const safeCell = (value: CellValue, delimiter = ','): string => quoteCsv(neutralise(value), delimiter);

/** One report row, CRLF-terminated (what spreadsheets expect). */
export const toCsvRow = (values: readonly CellValue[], delimiter = ','): string =>
  `${values.map((v) => safeCell(v, delimiter)).join(delimiter)}\r\n`;

/** Undoes `neutralise` for a cell read back from a report (after CSV unquoting). */
export const readCell = (cell: string): string =>
  cell.length > 1 && cell[0] === "'" && TRIGGERS.has(cell[1] as string) ? cell.slice(1) : cell;
