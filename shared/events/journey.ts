// One journey per respondent: its send state until SES reports on the message, then what SES said, then
// what the respondent did with the room (the tracker's polls). The report, the summary and the CLI read a
// respondent's status from here only.
import type { RespondentProgress, RespondentState } from '#shared/invite/respondent.ts';
import type { RoomProgress } from '#shared/tracker/progress.ts';
import type { DeliveryProgress } from './outcome.ts';

/** A respondent's status along its journey. */
export type JourneyStatus =
  | RespondentState
  | 'delivered'
  | 'bounced'
  | 'complained'
  | 'unsubscribed'
  | 'started'
  | 'completed'
  | 'expired';

/** Statuses of respondents whose email SES accepted (delivered or not since, and whatever they did next). */
export const EMAILED_STATUSES: readonly JourneyStatus[] = [
  'emailed',
  'delivered',
  'bounced',
  'complained',
  'unsubscribed',
  'started',
  'completed',
  'expired',
];

/**
 * The status and reason of a respondent: an interview started or completed above all (it happened, whatever
 * SES said); then a bounce or complaint with SES's words; a message SES rejected or could not render as
 * failed; its campaign's cancel; a room that expired unstarted; a delivery as delivered; and otherwise the
 * send state.
 */
export const journeyOf = (
  r: RespondentProgress & DeliveryProgress & RoomProgress,
): { status: JourneyStatus; reason: string | undefined } => {
  if (r.roomStatus === 'completed' || r.roomStatus === 'started')
    return { status: r.roomStatus, reason: undefined };
  switch (r.delivery) {
    case 'bounced':
    case 'complained':
      return { status: r.delivery, reason: r.deliveryReason };
    case 'unsubscribed':
      return { status: 'unsubscribed', reason: 'opted out through the link in the email' };
    case 'rejected':
    case 'render-failed':
      return { status: 'failed', reason: r.deliveryReason };
    default:
      if (r.state === 'cancelled') return { status: 'cancelled', reason: r.reason };
      if (r.roomStatus === 'expired' && r.state === 'emailed')
        return { status: 'expired', reason: 'the room expired unstarted' };
      if (r.delivery === 'delivered') return { status: 'delivered', reason: undefined };
      return { status: r.state, reason: r.reason };
  }
};
