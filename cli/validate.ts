// The dry run of the CLI: the CSV and settings files read into the shared validation (the very code ingest
// runs), and its report for a human.
import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import {
  budgetProblem,
  checkSettingsOf,
  type DryRunPrice,
  reservationFor,
  type SettingsCheck,
  type Validation,
  validateCsv,
} from '#shared/campaign/validate.ts';
import { PermanentError } from '#shared/errors.ts';

export {
  budgetProblem,
  type DryRunPrice,
  reservationFor,
  type Validation,
  wouldFail,
} from '#shared/campaign/validate.ts';

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
): Promise<SettingsCheck> => {
  try {
    const overrides = settingsPath ? await readSettingsFile(settingsPath) : undefined;
    return checkSettingsOf(defaults, overrides);
  } catch (error) {
    if (!(error instanceof PermanentError)) throw error;
    return { settingsError: error.message };
  }
};

/** Validates a CSV file and the settings (defaults ⊕ file) exactly as ingest would. */
export const validateCampaign = async (options: {
  csvPath: string;
  settingsPath?: string;
  defaults: Record<string, unknown>;
}): Promise<Validation> =>
  validateCsv({
    csv: createReadStream(options.csvPath),
    settings: await checkSettings(options.settingsPath, options.defaults),
  });

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
        `Token cost: ${reservation.tokensPer30Min} tokens per 30 min × ${reservation.halfHours} × ${reservation.respondents} respondents = ${reservation.tokens} tokens (price from ${cost.source})`,
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
