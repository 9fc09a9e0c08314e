// An SES event as EventBridge delivers it (source aws.ses), read into what it means for one respondent. Only
// the fields used are checked; SES adds fields over time and an unknown one must not fail an event.
import * as z from 'zod';
import { PermanentError } from '#shared/errors.ts';
import { type DeliveryReport, MESSAGE_TAGS, parseRespondentTag } from './outcome.ts';

const recipients = z.array(z.object({ emailAddress: z.string(), diagnosticCode: z.string().optional() }));

/** The part of an SES EventBridge event this project reads. */
export const SesEventSchema = z.object({
  source: z.literal('aws.ses'),
  time: z.string(),
  detail: z.object({
    eventType: z.string(),
    mail: z.object({
      messageId: z.string(),
      timestamp: z.string(),
      tags: z.record(z.string(), z.array(z.string())).default({}),
    }),
    delivery: z.object({ timestamp: z.string() }).optional(),
    bounce: z
      .object({
        bounceType: z.string(),
        bounceSubType: z.string().optional(),
        timestamp: z.string(),
        bouncedRecipients: recipients.default([]),
      })
      .optional(),
    complaint: z.object({ timestamp: z.string(), complaintFeedbackType: z.string().optional() }).optional(),
    reject: z.object({ reason: z.string() }).optional(),
    failure: z.object({ errorMessage: z.string() }).optional(),
    deliveryDelay: z
      .object({ timestamp: z.string(), delayType: z.string(), delayedRecipients: recipients.default([]) })
      .optional(),
  }),
});

/** An SES event, parsed. */
export type SesEvent = z.infer<typeof SesEventSchema>;

/** What an event says about one respondent, or why it says nothing this project records. */
export type SesEventMeaning =
  | {
      kind: 'report';
      campaignId: string;
      batch: number;
      seq: number;
      messageId: string;
      report: DeliveryReport;
    }
  | { kind: 'ignored'; why: string };

/** Reads a raw EventBridge event; a malformed one is a {@link PermanentError} naming what is wrong. */
export const parseSesEvent = (raw: unknown): SesEvent => {
  const result = SesEventSchema.safeParse(raw);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
    throw new PermanentError(`not an SES event: ${problems.slice(0, 3).join('; ')}`);
  }
  return result.data;
};

/** The first value of a message tag. */
const tag = (event: SesEvent, name: string): string | undefined => event.detail.mail.tags[name]?.[0];

/** What the event means for its respondent (found through the message's campaign and respondent tags). */
export const meaningOf = (event: SesEvent): SesEventMeaning => {
  const campaignId = tag(event, MESSAGE_TAGS.campaign);
  const respondent = parseRespondentTag(tag(event, MESSAGE_TAGS.respondent) ?? '');
  if (!campaignId || !respondent) return { kind: 'ignored', why: 'no campaign and respondent tags' };
  const report = reportOf(event);
  if (!report) return { kind: 'ignored', why: `${event.detail.eventType} is not recorded` };
  return { kind: 'report', campaignId, ...respondent, messageId: event.detail.mail.messageId, report };
};

/** The report an event type makes (Send, Open, Click… make none). */
const reportOf = (event: SesEvent): DeliveryReport | undefined => {
  const { detail } = event;
  const at = (timestamp: string | undefined) => timestamp ?? event.time;
  switch (detail.eventType) {
    case 'Delivery':
      return { kind: 'outcome', outcome: 'delivered', at: at(detail.delivery?.timestamp) };
    case 'Bounce': {
      const bounce = detail.bounce;
      const diagnostic = bounce?.bouncedRecipients[0]?.diagnosticCode;
      const reason = [`${bounce?.bounceType ?? 'Unknown'} bounce`, bounce?.bounceSubType, diagnostic]
        .filter(Boolean)
        .join(': ');
      // Only a permanent bounce (suppression-list ones included) ends the invitation; a transient one is
      // news of trouble, like a delay. SES calls what it cannot classify "Undetermined": not terminal either.
      return bounce?.bounceType === 'Permanent'
        ? { kind: 'outcome', outcome: 'bounced', at: at(bounce.timestamp), reason }
        : { kind: 'delay', at: at(bounce?.timestamp), reason };
    }
    case 'Complaint':
      return {
        kind: 'outcome',
        outcome: 'complained',
        at: at(detail.complaint?.timestamp),
        reason: `complaint${detail.complaint?.complaintFeedbackType ? `: ${detail.complaint.complaintFeedbackType}` : ''}`,
      };
    case 'Reject':
      return {
        kind: 'outcome',
        outcome: 'rejected',
        at: at(undefined),
        reason: `rejected by SES: ${detail.reject?.reason ?? 'no reason'}`,
      };
    case 'Rendering Failure':
      return {
        kind: 'outcome',
        outcome: 'render-failed',
        at: at(undefined),
        reason: `rendering failed: ${detail.failure?.errorMessage ?? 'no message'}`,
      };
    case 'DeliveryDelay': {
      const delay = detail.deliveryDelay;
      const reason = [
        `delayed: ${delay?.delayType ?? 'unknown'}`,
        delay?.delayedRecipients[0]?.diagnosticCode,
      ]
        .filter(Boolean)
        .join(': ');
      return { kind: 'delay', at: at(delay?.timestamp), reason };
    }
    default:
      return undefined;
  }
};
