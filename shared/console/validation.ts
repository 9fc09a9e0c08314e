// The console's check of a campaign's CSV before it is uploaded: the dry run of the CLI, plus what only the
// stack knows: the suppression list, who is in the campaign already (a later upload), the price, and
// whether the upload would be refused. Nothing is created.
import type { TokenPrice } from '#shared/campaign/budget.ts';
import {
  budgetProblem,
  type DryRunPrice,
  invitableOf,
  type RefusedRow,
  reservationFor,
  type Screen,
  type Validation,
  validateCsv,
  wouldFail,
} from '#shared/campaign/validate.ts';
import { MAX_KEPT } from '#shared/ingest/config.ts';
import { suppressedReason, suppressionsOf } from '#shared/ingest/screen.ts';
import { alreadyReason, priorRespondents } from '#shared/ingest/uploads.ts';
import type { CampaignsPort, RespondentsPort, SuppressionPort } from '#shared/store/ports.ts';
import type { CampaignRecord } from '#shared/store/types.ts';
import { uploadOf } from '#shared/store/uploads.ts';
import { type CampaignFileRequest, type CampaignKeys, campaignOf } from './campaign-file.ts';
import { uploadRefusal } from './uploads.ts';

/** Refused rows an answer lists at most (all are counted). */
export const MAX_LISTED_REFUSALS = 1000;

/** The token price and where it comes from (`GET /api/interviews/config` of the Aseed API, or the stand-in). */
export interface PriceSource extends TokenPrice {
  readonly source: string;
}

/** What checking a campaign file reaches: the store's campaign, respondents and suppression list, the price. */
export interface ValidationPorts extends CampaignKeys {
  store: Pick<CampaignsPort, 'getCampaign'> &
    Pick<RespondentsPort, 'listRespondents'> &
    Pick<SuppressionPort, 'listSuppressed'>;
  /** The deployment's campaign defaults (CAMPAIGN_DEFAULTS), which the file's settings override. */
  defaults: unknown;
  price?: PriceSource;
  nowMs: number;
}

/** The answer of `POST /api/validate` (the web page reads these names). */
export interface ValidationAnswer
  extends Pick<
    Validation,
    | 'fileError'
    | 'settingsError'
    | 'mergeFieldError'
    | 'columns'
    | 'rows'
    | 'accepted'
    | 'rejected'
    | 'duplicates'
    | 'suppressed'
    | 'already'
    | 'refused'
    | 'refusedTotal'
    | 'firstLine'
  > {
  name: string;
  campaignId: string;
  existing?: { status: string; uploads: number };
  refusal?: string;
  invitable: number;
  cost: { tokensPer30Min?: number; halfHours?: number; tokens?: number; source: string; problem?: string };
  budgetProblem?: string;
  wouldFail: boolean;
  settings?: {
    projectId: string;
    maxDurationMinutes: number;
    expiresInDays: number;
    language: string;
    sender: string;
    maxTokens?: number;
  };
}

/**
 * The ingest's screen of this file: people of the campaign's uploads so far (a later upload invites them no
 * second time), then addresses on the suppression list, each with the ingest's reason.
 */
const screenOf = async (
  ports: ValidationPorts,
  campaignId: string,
  record: CampaignRecord | undefined,
): Promise<Screen> => {
  const next = { number: record ? uploadOf(record).number + 1 : 1 };
  const prior = await priorRespondents(ports.store, campaignId, next);
  const suppressed = suppressionsOf(await ports.store.listSuppressed(ports.nowMs));
  return (respondent) => {
    const earlier = prior.get(respondent.emailKey);
    if (earlier) return { status: 'already', reason: alreadyReason(earlier) };
    const entry = suppressed.get(respondent.emailKey);
    return entry ? { status: 'suppressed', reason: suppressedReason(entry) } : undefined;
  };
};

/** The price, or why there is none (no port here, or the API did not answer). */
const priceOf = async (price: PriceSource | undefined): Promise<DryRunPrice> => {
  if (!price) return { source: '', problem: 'this console cannot read the token price' };
  try {
    return { tokensPer30Min: await price.tokensPer30Min(), source: price.source };
  } catch (error) {
    return { source: price.source, problem: `the price could not be read: ${(error as Error).message}` };
  }
};

/** Long garbage in a row (megabytes of it, at worst) is cut as the ingest's report cuts it. */
const cut = (value: string) => (value.length > MAX_KEPT ? `${value.slice(0, MAX_KEPT)}…` : value);

/** The cost of the invitable respondents at `price`; `problem` when there is no price or nothing to price. */
const costOf = (v: Validation, price: DryRunPrice): ValidationAnswer['cost'] => {
  const reservation = reservationFor(v, price);
  if (!reservation) {
    const problem = price.problem ?? 'not priced: the file or the settings are unusable';
    return { source: price.source, problem };
  }
  const { tokensPer30Min, halfHours, tokens } = reservation;
  return { tokensPer30Min, halfHours, tokens, source: price.source };
};

/** The answer's settings: what a researcher checks before a start. */
const settingsSummary = (v: Validation): Pick<ValidationAnswer, 'settings'> => {
  if (!v.settings) return {};
  const { projectId, maxDurationMinutes, expiresInDays, language, sender, maxTokens } = v.settings;
  const summary = { projectId, maxDurationMinutes, expiresInDays, language, sender };
  return { settings: maxTokens === undefined ? summary : { ...summary, maxTokens } };
};

/**
 * Checks the CSV of campaign `name` as the ingest would take it if it were uploaded now: with the campaign's
 * settings (a later upload) or defaults ⊕ the request's, screening out the suppressed and those in the
 * campaign already, priced for the respondents it would invite.
 */
export const validateCampaignFile = async (
  ports: ValidationPorts,
  request: CampaignFileRequest & { name: string },
): Promise<ValidationAnswer> => {
  const { campaignId = '', record, settings } = await campaignOf(ports, request);
  const refusal = uploadRefusal(request.name, record, request.settings ? 'settings' : 'csv');
  const v = await validateCsv({
    csv: request.csv,
    settings,
    screen: await screenOf(ports, campaignId, record),
    keepRefused: MAX_LISTED_REFUSALS,
  });
  const price = v.settings && !v.fileError ? await priceOf(ports.price) : { source: '' };
  const inCampaign = record?.accepted ?? 0;
  const budget = budgetProblem(v, price, inCampaign);
  return {
    name: request.name,
    campaignId,
    ...(record ? { existing: { status: record.status, uploads: uploadOf(record).number } } : {}),
    ...(refusal ? { refusal } : {}),
    ...(v.fileError ? { fileError: v.fileError } : {}),
    ...(v.settingsError ? { settingsError: v.settingsError } : {}),
    ...(v.mergeFieldError ? { mergeFieldError: v.mergeFieldError } : {}),
    ...(v.columns ? { columns: v.columns } : {}),
    rows: v.rows,
    accepted: v.accepted,
    rejected: v.rejected,
    duplicates: v.duplicates,
    suppressed: v.suppressed,
    already: v.already,
    refused: v.refused.map((row) => ({ ...row, email: cut(row.email), reason: cut(row.reason) })),
    refusedTotal: v.refusedTotal,
    invitable: invitableOf(v),
    cost: costOf(v, price),
    ...(budget ? { budgetProblem: budget } : {}),
    wouldFail: wouldFail(v, price, inCampaign),
    ...settingsSummary(v),
    ...(v.firstLine !== undefined ? { firstLine: v.firstLine } : {}),
  };
};
