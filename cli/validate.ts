// Validation of a campaign's input before anything is created: the CSV (streamed) and the settings file,
// checked with the very code ingest runs, plus the token cost estimate for --dry-run.
import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { ReportLine } from '#local/campaign.ts';
import { overBudget, type Reservation, reservationOf } from '#shared/campaign/budget.ts';
import {
  type CampaignSettings,
  checkMergeFields,
  resolveSettings,
  SettingsError,
} from '#shared/campaign/settings.ts';
import { CsvFileError, parseRespondents } from '#shared/csv/parse.ts';
import { PermanentError } from '#shared/errors.ts';

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
  accepted: number;
  rejected: number;
  duplicates: number;
  /** Rejected and duplicate rows, in file order. */
  refused: ReportLine[];
  /**
   * The templates use merge fields neither built in nor a column of the file: ingest would fail the campaign
   * before creating any room (this names each field and the template part).
   */
  mergeFieldError?: string;
}

/** Reads a settings file as JSON; a clear error when it is missing or not JSON. */
export const readSettingsFile = async (path: string): Promise<unknown> => {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new SettingsFileProblem(`cannot read the settings file ${path}: ${(error as Error).message}`);
  }
  try {
    return JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (error) {
    throw new SettingsFileProblem(`the settings file ${path} is not valid JSON: ${(error as Error).message}`);
  }
};

/** The settings file cannot be read or parsed. */
export class SettingsFileProblem extends PermanentError {}

/** Resolves defaults ⊕ the settings file as ingest does; the problem in words when they are unusable. */
export const checkSettings = async (
  settingsPath: string | undefined,
  defaults: Record<string, unknown>,
): Promise<{ settings: CampaignSettings } | { settingsError: string }> => {
  try {
    const overrides = settingsPath ? await readSettingsFile(settingsPath) : undefined;
    return { settings: resolveSettings(defaults, overrides) };
  } catch (error) {
    if (!(error instanceof PermanentError)) throw error;
    return { settingsError: error.message };
  }
};

/** The columns of a report line that only an invited respondent fills. */
const NOT_INVITED = {
  name: '',
  room_status: '',
  emailed_at: '',
  delivered_at: '',
  started_at: '',
  completed_at: '',
  reminders_sent: 0,
  thanked_at: '',
  upload: 1,
} as const;

/** True when ingest would fail the campaign on this input (at this price, for a campaign with a budget). */
export const wouldFail = (v: Validation, price: DryRunPrice = { source: '' }): boolean =>
  Boolean(v.fileError || v.settingsError || v.mergeFieldError || budgetProblem(v, price));

/** Validates a CSV file and the settings (defaults ⊕ file) exactly as ingest would. */
export const validateCampaign = async (options: {
  csvPath: string;
  settingsPath?: string;
  defaults: Record<string, unknown>;
}): Promise<Validation> => {
  const result: Validation = {
    rows: 0,
    accepted: 0,
    rejected: 0,
    duplicates: 0,
    refused: [],
    ...(await checkSettings(options.settingsPath, options.defaults)),
  };
  let fieldKeys: string[] = [];
  try {
    for await (const row of parseRespondents(createReadStream(options.csvPath), {
      columns: result.settings?.columns,
      onFileInfo: (info) => {
        fieldKeys = info.fieldKeys;
        result.columns = info.columns;
      },
    })) {
      result.rows++;
      if (row.kind === 'accepted') result.accepted++;
      else if (row.kind === 'rejected') {
        result.rejected++;
        result.refused.push({
          line: row.line,
          email: row.email ?? '',
          status: 'rejected',
          room_url: '',
          reason: row.reason,
          ...NOT_INVITED,
        });
      } else {
        result.duplicates++;
        result.refused.push({
          line: row.line,
          email: row.email,
          status: 'duplicate',
          room_url: '',
          reason: `duplicate of line ${row.firstLine}`,
          ...NOT_INVITED,
        });
      }
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

/** The price the dry run found, or why it has none. */
export interface DryRunPrice {
  tokensPer30Min?: number;
  source: string;
  problem?: string;
}

/** Tokens the accepted respondents reserve at `price`; undefined without a price or settings. */
export const reservationFor = (v: Validation, price: DryRunPrice): Reservation | undefined =>
  v.settings && !v.fileError && price.tokensPer30Min !== undefined
    ? reservationOf(price.tokensPer30Min, v.settings.maxDurationMinutes, v.accepted)
    : undefined;

/** Why the campaign is over its `maxTokens` budget at `price` (the ingest would fail it), if it is. */
export const budgetProblem = (v: Validation, price: DryRunPrice): string | undefined => {
  const reservation = reservationFor(v, price);
  return reservation && overBudget(reservation, v.settings?.maxTokens);
};

/** The budget line of the dry run, when the settings have one. */
const budgetLine = (v: Validation, price: DryRunPrice): string | undefined => {
  const maxTokens = v.settings?.maxTokens;
  if (maxTokens === undefined || v.fileError) return undefined;
  if (price.tokensPer30Min === undefined) return `Budget: maxTokens ${maxTokens}, not checked (no price)`;
  return `Budget: ${budgetProblem(v, price) ?? `within maxTokens ${maxTokens}`}`;
};

/** The dry run's report, for a human. */
export const formatValidation = (v: Validation, cost: DryRunPrice, limit = 100): string => {
  const out: string[] = [];
  if (v.fileError) out.push(`CSV unusable: ${v.fileError}`);
  else {
    out.push(
      `CSV: ${v.rows} data rows: ${v.accepted} accepted, ${v.rejected} rejected, ${v.duplicates} duplicates`,
    );
    if (v.columns) out.push(`Columns: ${v.columns}`);
    for (const row of v.refused.slice(0, limit)) {
      out.push(`  line ${row.line}: ${row.status}${row.email ? ` ${row.email}` : ''}: ${row.reason}`);
    }
    if (v.refused.length > limit) out.push(`  … and ${v.refused.length - limit} more`);
  }
  if (v.settingsError) out.push(`Settings unusable: ${v.settingsError}`);
  else if (v.settings) {
    const s = v.settings;
    out.push(
      `Settings: project ${s.projectId}, ${s.maxDurationMinutes} min interviews, rooms valid ${s.expiresInDays} days, language ${s.language}, sender ${s.sender}`,
    );
    if (v.mergeFieldError) out.push(`Templates unusable with this file: ${v.mergeFieldError}`);
  }
  if (v.settings && !v.fileError) {
    const reservation = reservationFor(v, cost);
    if (reservation) {
      out.push(
        `Token cost: ${reservation.tokensPer30Min} tokens per 30 min × ${reservation.halfHours} × ${v.accepted} respondents = ${reservation.tokens} tokens (price from ${cost.source})`,
      );
    } else {
      out.push(`Token cost: unknown (${cost.problem ?? 'no price'})`);
    }
    const budget = budgetLine(v, cost);
    if (budget) out.push(budget);
  }
  out.push('Dry run: nothing was created.');
  return `${out.join('\n')}\n`;
};
