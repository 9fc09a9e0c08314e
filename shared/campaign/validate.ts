// Validation of a campaign's input before anything is created: a CSV (a stream or its text) and the settings
// (defaults ⊕ overrides), checked with the very code ingest runs, and the tokens its rooms would reserve.
// The CLI's dry run reads files into it; the console hands it what the browser sent.
import type { CsvInput } from '#shared/csv/encoding.ts';
import { CsvFileError, type ParsedRow, parseRespondentBatches, type Respondent } from '#shared/csv/parse.ts';
import { PermanentError } from '#shared/errors.ts';
import { overBudget, type Reservation, reservationOf } from './budget.ts';
import { type CampaignSettings, checkMergeFields, resolveSettings, SettingsError } from './settings.ts';

/** Usable settings, or why they are not (in ingest's words). */
export type SettingsCheck = { settings: CampaignSettings } | { settingsError: string };

/** A row that would get no invitation, and why: rejected, a duplicate in the file, or screened out. */
export interface RefusedRow {
  line: number;
  email: string;
  status: 'rejected' | 'duplicate' | 'suppressed' | 'already';
  reason: string;
}

/**
 * Who of the accepted rows ingest would not invite although the row is fine: an address on the suppression
 * list, or one already in the campaign (a later upload). Undefined: invited.
 */
export type Screen = (
  respondent: Respondent,
) => { status: 'suppressed' | 'already'; reason: string } | undefined;

/** What validating a CSV and its settings found. */
export interface Validation {
  /** The CSV as a whole is unusable (empty, binary, no email column…): the campaign would fail. */
  fileError?: string;
  /** The settings are unusable: the campaign would fail before creating any room. */
  settingsError?: string;
  settings?: CampaignSettings;
  /** What the columns were read as (`email ← E-Mail; name ← Vorname + Nachname; merge fields: …`). */
  columns?: string;
  rows: number;
  /** Valid rows, screened ones included. */
  accepted: number;
  rejected: number;
  duplicates: number;
  /** Accepted rows the screen found on the suppression list. */
  suppressed: number;
  /** Accepted rows the screen found in the campaign already. */
  already: number;
  /** Refused rows in file order (the first `keepRefused` of them). */
  refused: RefusedRow[];
  /** Every refused row, kept or not. */
  refusedTotal: number;
  /** The first accepted line: what a preview shows by default. */
  firstLine?: number;
  /**
   * The templates use merge fields neither built in nor a column of the file: ingest would fail the campaign
   * before creating any room (this names each field and the template part).
   */
  mergeFieldError?: string;
}

/** Resolves defaults ⊕ overrides as ingest does; the problem in words when they are unusable. */
export const checkSettingsOf = (defaults: unknown, overrides: unknown): SettingsCheck => {
  try {
    return { settings: resolveSettings(defaults, overrides) };
  } catch (error) {
    if (!(error instanceof PermanentError)) throw error;
    return { settingsError: error.message };
  }
};

/** What {@link validateCsv} takes: the file, the settings checked before, the screen, how many refusals to keep. */
export interface ValidateInput {
  /** The file: a stream of bytes (a file, an S3 body) or its whole text. */
  csv: CsvInput | string;
  settings: SettingsCheck;
  screen?: Screen;
  /** Refused rows kept in `refused` (all by default); they are counted either way. */
  keepRefused?: number;
}

/** Counts one parsed row into `result`; `refuse` records a row that gets no invitation. */
const countRow = (
  result: Validation,
  row: ParsedRow,
  screen: Screen | undefined,
  refuse: (row: RefusedRow) => void,
): void => {
  result.rows++;
  if (row.kind === 'accepted') {
    result.accepted++;
    result.firstLine ??= row.line;
    const screened = screen?.(row.respondent);
    if (screened) {
      result[screened.status]++;
      refuse({ line: row.line, email: row.respondent.email, ...screened });
    }
  } else if (row.kind === 'rejected') {
    result.rejected++;
    refuse({ line: row.line, email: row.email ?? '', status: 'rejected', reason: row.reason });
  } else {
    result.duplicates++;
    refuse({
      line: row.line,
      email: row.email,
      status: 'duplicate',
      reason: `duplicate of line ${row.firstLine}`,
    });
  }
};

/** Validates a CSV with the checked settings exactly as ingest would; nothing is created. */
export const validateCsv = async (input: ValidateInput): Promise<Validation> => {
  const result: Validation = {
    rows: 0,
    accepted: 0,
    rejected: 0,
    duplicates: 0,
    suppressed: 0,
    already: 0,
    refused: [],
    refusedTotal: 0,
    ...input.settings,
  };
  const keep = input.keepRefused ?? Number.POSITIVE_INFINITY;
  const refuse = (row: RefusedRow) => {
    if (result.refusedTotal++ < keep) result.refused.push(row);
  };
  let fieldKeys: string[] = [];
  // A string would iterate character by character: the parser takes it as one chunk.
  const csv = typeof input.csv === 'string' ? [input.csv] : input.csv;
  try {
    for await (const rows of parseRespondentBatches(csv, {
      columns: result.settings?.columns,
      onFileInfo: (info) => {
        fieldKeys = info.fieldKeys;
        result.columns = info.columns;
      },
    })) {
      for (const row of rows) countRow(result, row, input.screen, refuse);
    }
  } catch (error) {
    if (!(error instanceof CsvFileError)) throw error;
    result.fileError = error.message;
  }
  if (result.settings && !result.fileError) {
    try {
      checkMergeFields(result.settings, fieldKeys);
    } catch (error) {
      if (!(error instanceof SettingsError)) throw error;
      result.mergeFieldError = error.message;
    }
  }
  return result;
};

/** The price a validation found, where from, or why it has none. */
export interface DryRunPrice {
  tokensPer30Min?: number;
  source: string;
  problem?: string;
}

/** Respondents the file would invite: accepted, and neither suppressed nor in the campaign already. */
export const invitableOf = (v: Validation): number => v.accepted - v.suppressed - v.already;

/** Tokens the invitable respondents reserve at `price`; undefined without a price or settings. */
export const reservationFor = (v: Validation, price: DryRunPrice): Reservation | undefined =>
  v.settings && !v.fileError && price.tokensPer30Min !== undefined
    ? reservationOf(price.tokensPer30Min, v.settings.maxDurationMinutes, invitableOf(v))
    : undefined;

/**
 * Why the campaign is over its `maxTokens` budget at `price` (the ingest would fail it), if it is; like the
 * ingest, it counts the `inCampaign` respondents of earlier uploads with the file's new ones.
 */
export const budgetProblem = (v: Validation, price: DryRunPrice, inCampaign = 0): string | undefined => {
  const reservation = reservationFor(v, price);
  if (!reservation || !v.settings) return undefined;
  const whole = reservationOf(
    reservation.tokensPer30Min,
    v.settings.maxDurationMinutes,
    inCampaign + reservation.respondents,
  );
  return overBudget(whole, v.settings.maxTokens);
};

/** True when ingest would fail the campaign on this input (at this price, for a campaign with a budget). */
export const wouldFail = (v: Validation, price: DryRunPrice = { source: '' }, inCampaign = 0): boolean =>
  Boolean(v.fileError || v.settingsError || v.mergeFieldError || budgetProblem(v, price, inCampaign));
