// The SES events use case: one event from the configuration set (via EventBridge) recorded on the respondent
// its message tags name. Events arrive at least once and in any order; the store's ranking makes that safe.
import { type AppLogger, silentLogger } from '#shared/log.ts';
import type { DeliveriesPort } from '#shared/store/ports.ts';
import type { DeliveryRecordResult } from './outcome.ts';
import { meaningOf, parseSesEvent } from './ses-event.ts';

/** What the events use case needs. */
export interface SesEventDeps {
  store: DeliveriesPort;
  logger?: AppLogger;
  clock?: () => number;
}

/** What one event did. */
export type SesEventResult =
  | { kind: DeliveryRecordResult; campaignId: string; respondent: string; what: string }
  | { kind: 'ignored'; why: string };

/**
 * Records one SES event. A malformed event throws a PermanentError (the function's caller sends it to the
 * DLQ); an event for no respondent of this deployment, or of a type not recorded (Send, Open…), is ignored.
 */
export const recordSesEvent = async (deps: SesEventDeps, raw: unknown): Promise<SesEventResult> => {
  const logger = deps.logger ?? silentLogger;
  const meaning = meaningOf(parseSesEvent(raw));
  if (meaning.kind === 'ignored') {
    logger.debug('SES event ignored', { why: meaning.why });
    return meaning;
  }
  const { campaignId, batch, seq, report } = meaning;
  const kind = await deps.store.recordDelivery({
    campaignId,
    batch,
    seq,
    report,
    nowMs: (deps.clock ?? Date.now)(),
  });
  const what = report.kind === 'outcome' ? report.outcome : 'delayed';
  const respondent = `${batch}-${seq}`;
  const fields = { campaignId, respondent, messageId: meaning.messageId, what, result: kind };
  if (kind === 'missing') logger.warn('SES event for no known respondent', fields);
  else logger.info('SES event recorded', fields);
  return { kind, campaignId, respondent, what };
};
