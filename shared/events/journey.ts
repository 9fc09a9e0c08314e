// One journey per respondent: its send state until SES reports on the message, then what SES said. The report,
// the summary and the CLI read a respondent's status from here only.
import type { RespondentProgress, RespondentState } from '#shared/invite/respondent.ts';
import type { DeliveryProgress } from './outcome.ts';

/** A respondent's status along its journey. */
export type JourneyStatus = RespondentState | 'delivered' | 'bounced' | 'complained';

/** Statuses of respondents whose email SES accepted (delivered or not since). */
export const EMAILED_STATUSES: readonly JourneyStatus[] = ['emailed', 'delivered', 'bounced', 'complained'];

/**
 * The status and reason of a respondent: a bounce or complaint with SES's words, a message SES rejected or
 * could not render as failed, a delivery as delivered, and otherwise the send state with its own reason.
 */
export const journeyOf = (
  r: RespondentProgress & DeliveryProgress,
): { status: JourneyStatus; reason: string | undefined } => {
  switch (r.delivery) {
    case 'bounced':
    case 'complained':
      return { status: r.delivery, reason: r.deliveryReason };
    case 'rejected':
    case 'render-failed':
      return { status: 'failed', reason: r.deliveryReason };
    case 'delivered':
      return { status: 'delivered', reason: undefined };
    default:
      return { status: r.state, reason: r.reason };
  }
};
