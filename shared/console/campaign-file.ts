// A campaign file the console checks before it is uploaded: the CSV's text the browser read, the settings
// object beside it, the campaign it is for; and the settings the ingest would read it with.
import type { CampaignSettings } from '#shared/campaign/settings.ts';
import { checkSettingsOf, type SettingsCheck } from '#shared/campaign/validate.ts';
import { PermanentError } from '#shared/errors.ts';
import { campaignIdFor } from '#shared/store/keys.ts';
import type { CampaignsPort } from '#shared/store/ports.ts';
import type { CampaignRecord } from '#shared/store/types.ts';
import { CAMPAIGN_NAME, MAX_CHECK_BYTES } from './names.ts';

/** The CSV is too large to check in the console (the console answers 413). */
export class CsvTooLargeError extends PermanentError {}

/** A CSV to check: its text, the settings overrides (if any), a data row, the campaign it is for. */
export interface CampaignFileRequest {
  /** The campaign name (`campaigns/<name>.csv`); without it, the file is judged as a new campaign. */
  name?: string;
  csv: string;
  settings?: Record<string, unknown>;
  line?: number;
}

/** The campaign name of a body, checked as the uploads check it. */
const nameOf = (value: unknown): string => {
  if (typeof value !== 'string' || !CAMPAIGN_NAME.test(value)) {
    throw new PermanentError(
      "name: a campaign name is letters, digits, '.', '_' or '-' (up to 100), starting with a letter or digit",
    );
  }
  return value;
};

/** The CSV of a body: text, at most {@link MAX_CHECK_BYTES} (else a CsvTooLargeError saying what to run). */
const csvOf = (value: unknown): string => {
  if (typeof value !== 'string') throw new PermanentError("csv: the CSV file's text");
  const bytes = Buffer.byteLength(value, 'utf8');
  if (bytes > MAX_CHECK_BYTES) {
    throw new CsvTooLargeError(
      `the CSV is ${(bytes / 1_000_000).toFixed(1)} MB, more than the ${MAX_CHECK_BYTES / 1_000_000} MB the console checks: check it with invites send <csv> --dry-run`,
    );
  }
  return value;
};

/**
 * The request from a JSON body (`{ name?, csv, settings?, line? }`), each field checked; a PermanentError
 * names the first field that is wrong.
 */
export const campaignFileRequestOf = (body: Record<string, unknown>): CampaignFileRequest => {
  const { name, settings, line } = body;
  const csv = csvOf(body.csv);
  if (
    settings !== undefined &&
    settings !== null &&
    (typeof settings !== 'object' || Array.isArray(settings))
  )
    throw new PermanentError('settings: the settings as a JSON object');
  if (line !== undefined && line !== null && !(Number.isInteger(line) && (line as number) >= 2))
    throw new PermanentError('line: the line number of a data row (2 or more: line 1 is the header)');
  return {
    ...(name !== undefined && name !== null ? { name: nameOf(name) } : {}),
    csv,
    ...(settings ? { settings: settings as Record<string, unknown> } : {}),
    ...(typeof line === 'number' ? { line } : {}),
  };
};

/** {@link campaignFileRequestOf} of a body that must name its campaign. */
export const namedCampaignFileRequestOf = (
  body: Record<string, unknown>,
): CampaignFileRequest & { name: string } => {
  const name = nameOf(body.name);
  return { ...campaignFileRequestOf(body), name };
};

/** Where a campaign's CSV goes, and so its id: the keys `invites send --campaign` uses. */
export interface CampaignKeys {
  bucket: string;
  prefix: string;
}

/** The campaign id of `name`: the id of its CSV's key. */
export const campaignIdOfName = (keys: CampaignKeys, name: string): string =>
  campaignIdFor({ bucket: keys.bucket, key: `${keys.prefix}${name}.csv` });

/**
 * The settings a later upload of `record` is ingested with: the campaign's own (its emails and rooms stay
 * the same for everyone), unless its uploads all failed so far (see keepsSettings in shared/ingest/uploads).
 */
export const keptSettingsOf = (record: CampaignRecord | undefined): CampaignSettings | undefined =>
  record && record.status !== 'failed' && record.settings
    ? (record.settings as unknown as CampaignSettings)
    : undefined;

/** The settings the ingest would read the file with: the campaign's kept ones, else defaults ⊕ the request's. */
export const settingsFor = (
  record: CampaignRecord | undefined,
  defaults: unknown,
  overrides: Record<string, unknown> | undefined,
): SettingsCheck => {
  const kept = keptSettingsOf(record);
  return kept ? { settings: kept } : checkSettingsOf(defaults, overrides);
};

/** The campaign the request names (if it names one and it exists), and the settings its file is read with. */
export const campaignOf = async (
  ports: CampaignKeys & { store: Pick<CampaignsPort, 'getCampaign'>; defaults: unknown },
  request: CampaignFileRequest,
): Promise<{ campaignId?: string; record?: CampaignRecord; settings: SettingsCheck }> => {
  if (request.name === undefined) return { settings: checkSettingsOf(ports.defaults, request.settings) };
  const campaignId = campaignIdOfName(ports, request.name);
  const record = await ports.store.getCampaign(campaignId);
  return {
    campaignId,
    ...(record ? { record } : {}),
    settings: settingsFor(record, ports.defaults, request.settings),
  };
};
