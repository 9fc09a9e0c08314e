// The SES events use case: one event from the configuration set (via EventBridge) recorded on the respondent
// its message tags name. Events arrive at least once and in any order; the store's ranking makes that safe.
import { type AppLogger, silentLogger } from '#shared/log.ts';
import { respondentSk } from '#shared/store/keys.ts';
import type { DeliveriesPort } from '#shared/store/ports.ts';
import { type DeliveryRecordResult, UNREACHABLE_OUTCOMES } from './outcome.ts';
import { meaningOf, parseSesEvent } from './ses-event.ts';
import {
  type Settlement,
  settleUnreachable,
  type UnreachableAseed,
  type UnreachableDeps,
} from './unreachable.ts';

/** What the events use case needs. */
export interface SesEventDeps {
  store: DeliveriesPort & UnreachableDeps['store'];
  /** Cancels the rooms of bounced and complained respondents. */
  aseed: UnreachableAseed;
  logger?: AppLogger;
  clock?: () => number;
}

/** What one event did (`settled`: a bounce or complaint's suppression and room, after recording it). */
export type SesEventResult =
  | { kind: DeliveryRecordResult; campaignId: string; respondent: string; what: string; settled?: Settlement }
  | { kind: 'ignored'; why: string };

/**
 * Records one SES event, then settles a bounce or complaint (suppression list, room cancelled). A malformed
 * event throws a PermanentError (the function's caller sends it to the DLQ); an event for no respondent of
 * this deployment, or of a type not recorded (Send, Open…), is ignored. A duplicate settles again: a crash
 * between recording and settling is finished by the retry.
 */
export const recordSesEvent = async (deps: SesEventDeps, raw: unknown): Promise<SesEventResult> => {
  const logger = deps.logger ?? silentLogger;
  const meaning = meaningOf(parseSesEvent(raw));
  if (meaning.kind === 'ignored') {
    logger.debug('SES event ignored', { why: meaning.why });
    return meaning;
  }
  const { campaignId, batch, seq, report } = meaning;
  const clock = deps.clock ?? Date.now;
  const kind = await deps.store.recordDelivery({ campaignId, batch, seq, report, nowMs: clock() });
  const what = report.kind === 'outcome' ? report.outcome : 'delayed';
  const respondent = `${batch}-${seq}`;
  const fields = { campaignId, respondent, messageId: meaning.messageId, what, result: kind };
  if (kind === 'missing') {
    logger.warn('SES event for no known respondent', fields);
    return { kind, campaignId, respondent, what };
  }
  const unreachable = report.kind === 'outcome' && UNREACHABLE_OUTCOMES.includes(report.outcome);
  const settled = unreachable
    ? await settleUnreachable({ ...deps, logger, clock }, campaignId, respondentSk(batch, seq))
    : undefined;
  logger.info('SES event recorded', { ...fields, ...settled });
  return { kind, campaignId, respondent, what, ...(settled ? { settled } : {}) };
};
