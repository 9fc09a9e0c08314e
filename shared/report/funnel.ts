// A campaign's funnel from its report lines: the CLI's status and the console show the same figures.
import { EMAILED_STATUSES, type JourneyStatus } from '#shared/events/journey.ts';

/** Invited (SES accepted the email) → delivered → started → completed, and where people were lost. */
export interface Funnel {
  /** Respondents whose email SES accepted; of them, what SES reported since (delivered: reached the inbox). */
  emailed: number;
  delivered: number;
  bounced: number;
  complained: number;
  /** Opted out through the link in the email (one-click). */
  unsubscribed: number;
  /** Of those emailed, who joined their room (started, completed or not), who completed, whose room expired. */
  started: number;
  completed: number;
  expired: number;
}

/** A campaign's funnel as the tracker last counted it (`at`: when, ISO): the console's list shows it. */
export type FunnelSnapshot = Funnel & { at: string };

/** The funnel's counts from a campaign's report (every respondent's journey status and times). */
export const funnelOf = (
  // A report line's fields by their names, not its type: the store's types hold a FunnelSnapshot.
  lines: readonly { status: string; delivered_at: string; started_at: string }[],
): Funnel => {
  const count = (...statuses: string[]) => lines.filter((l) => statuses.includes(l.status)).length;
  return {
    emailed: lines.filter((l) => EMAILED_STATUSES.includes(l.status as JourneyStatus)).length,
    delivered: lines.filter((l) => l.delivered_at !== '').length,
    bounced: count('bounced'),
    complained: count('complained'),
    unsubscribed: count('unsubscribed'),
    started: lines.filter((l) => l.started_at !== '').length,
    completed: count('completed'),
    expired: count('expired'),
  };
};
