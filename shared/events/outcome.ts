// What SES says became of an invitation, after it accepted the message: the delivery outcome recorded on the
// respondent. Outcomes only move forward (a Delivery arriving after a Complaint does not undo it), so each has
// a rank and the store applies one only over a lower rank; every kind's first time is kept either way.

/** An outcome SES reports for one message to one respondent. */
export type DeliveryOutcome =
  | 'delivered'
  | 'rejected'
  | 'render-failed'
  | 'bounced'
  | 'complained'
  /** Not SES's: the respondent opted out through the link in the email (one-click, RFC 8058). */
  | 'unsubscribed';

/**
 * Rank of each outcome: a later event applies only over a lower rank. A complaint comes after a delivery;
 * a bounce can follow a delivery (an asynchronous bounce); SES's own rejects and rendering failures replace
 * the delivery; a complaint is the strongest signal SES sends, and the respondent's own opt-out ranks above all.
 */
export const OUTCOME_RANK: Record<DeliveryOutcome, number> = {
  delivered: 1,
  rejected: 2,
  'render-failed': 2,
  bounced: 3,
  complained: 4,
  unsubscribed: 5,
};

/** Outcomes that end the respondent's invitation: no reminder, the room's tokens can come back. */
export const UNREACHABLE_OUTCOMES: readonly DeliveryOutcome[] = ['bounced', 'complained', 'unsubscribed'];

/** The attribute holding an outcome's first time (ISO), e.g. `deliveredAt`. */
export const OUTCOME_TIME_FIELD = {
  delivered: 'deliveredAt',
  rejected: 'rejectedAt',
  'render-failed': 'renderFailedAt',
  bounced: 'bouncedAt',
  complained: 'complainedAt',
  unsubscribed: 'unsubscribedAt',
} as const satisfies Record<DeliveryOutcome, string>;

/** The delivery attributes of a respondent item (all absent until SES reports on it). */
export interface DeliveryProgress {
  /** The highest-ranked outcome so far. */
  delivery?: DeliveryOutcome;
  deliveryRank?: number;
  /** SES's words for it (bounce type and diagnostic, reject reason, rendering error). */
  deliveryReason?: string;
  deliveredAt?: string;
  rejectedAt?: string;
  renderFailedAt?: string;
  bouncedAt?: string;
  complainedAt?: string;
  unsubscribedAt?: string;
  /** Latest transient trouble (DeliveryDelay, transient bounce): recorded, not an outcome. */
  delayedAt?: string;
  delayReason?: string;
}

/** One SES report about a respondent, as the store records it. */
export type DeliveryReport =
  | { kind: 'outcome'; outcome: DeliveryOutcome; at: string; reason?: string }
  | { kind: 'delay'; at: string; reason: string };

/** What recording a report did. */
export type DeliveryRecordResult =
  /** The outcome is now the respondent's (or the delay its latest). */
  | 'applied'
  /** A duplicate, or older news than what is recorded: only a missing first time was filled in. */
  | 'stale'
  /** No such respondent (not this deployment's, or already gone). */
  | 'missing';

/** Names of the message tags that lead an SES event back to its respondent. */
export const MESSAGE_TAGS = { campaign: 'campaign', respondent: 'respondent' } as const;

/** Tag value naming a respondent inside its campaign: `<batch>-<seq>` (SES allows letters, digits, `_`, `-`). */
export const respondentTag = (batch: number, seq: number): string => `${batch}-${seq}`;

/** The batch and seq of a respondent tag, or undefined when it is not one. */
export const parseRespondentTag = (tag: string): { batch: number; seq: number } | undefined => {
  const match = /^(\d{1,9})-(\d{1,4})$/.exec(tag);
  return match ? { batch: Number(match[1]), seq: Number(match[2]) } : undefined;
};
