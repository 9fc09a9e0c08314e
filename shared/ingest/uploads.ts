// A later upload of a campaign (a changed CSV under the same key): who is in the campaign already (reported
// as duplicates, invited no second time), which settings apply, and what a failed upload leaves behind.
import type { RespondentsPort, StartIngestOutcome } from '#shared/store/ports.ts';
import type { CampaignStatus, UploadRound } from '#shared/store/types.ts';

/** Where a respondent of an earlier upload came in, and whether they were emailed. */
export interface PriorRespondent {
  upload: number;
  line: number;
  emailedAt?: string;
}

/**
 * The respondents of the campaign's earlier uploads by lower-cased address. This upload's own respondents are
 * left out (by their upload number, whatever batch they are in), so an ingest resumed after a crash sorts
 * every row exactly as the crashed one did.
 */
export const priorRespondents = async (
  store: Pick<RespondentsPort, 'listRespondents'>,
  campaignId: string,
  upload: Pick<UploadRound, 'number'>,
): Promise<Map<string, PriorRespondent>> => {
  const prior = new Map<string, PriorRespondent>();
  if (upload.number === 1) return prior;
  for (const r of await store.listRespondents(campaignId)) {
    if ((r.upload ?? 1) >= upload.number || prior.has(r.emailKey)) continue;
    prior.set(r.emailKey, {
      upload: r.upload ?? 1,
      line: r.line,
      ...(r.emailedAt ? { emailedAt: r.emailedAt } : {}),
    });
  }
  return prior;
};

/** The report's reason for a row whose address is in the campaign already. */
export const alreadyReason = (prior: PriorRespondent): string => {
  const where = `upload ${prior.upload}, line ${prior.line}`;
  return prior.emailedAt
    ? `already invited on ${prior.emailedAt.slice(0, 10)} (${where})`
    : `already in this campaign (${where}), not emailed`;
};

/**
 * Whether the ingest uses the settings on the record: a resumed ingest its own (the batches it cut before the
 * crash were cut with them), a later upload the campaign's (its emails and rooms stay the same for
 * everyone). A campaign whose uploads all failed so far reads them afresh: they may be what was fixed.
 */
export const keepsSettings = (started: StartIngestOutcome): boolean =>
  started.outcome === 'taken-over' ||
  (started.outcome === 'reopened' && started.record.upload?.reopened !== 'failed');

/** The status a failed upload leaves: a running campaign goes on as it was; otherwise it is `failed`. */
export const statusAfterFailure = (upload: UploadRound | undefined): CampaignStatus | undefined =>
  upload?.reopened === 'enqueued' || upload?.reopened === 'completed' ? upload.reopened : undefined;
