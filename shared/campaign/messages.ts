import * as z from 'zod';
import { FOLLOW_UP_KINDS } from './follow-ups.ts';

/**
 * Body of an invite-queue message: tiny by design, the respondents live in the table.
 * `{ campaignId, batch }` processes one batch; `{ campaignId, finalize: true }` asks the invite side to
 * complete the campaign (sent by an ingest that finishes after the invite side already did every batch);
 * `{ campaignId, batch, followUp }` sends a reminder or the thank-you to those of the batch due it;
 * `{ campaignId, batch, cancel: true }` carries out a cancelled campaign's cancel on one batch.
 */
export const InviteMessage = z.union([
  z.strictObject({ campaignId: z.string().min(1).max(64), batch: z.int().min(0) }),
  z.strictObject({
    campaignId: z.string().min(1).max(64),
    batch: z.int().min(0),
    followUp: z.enum(FOLLOW_UP_KINDS),
  }),
  z.strictObject({ campaignId: z.string().min(1).max(64), batch: z.int().min(0), cancel: z.literal(true) }),
  z.strictObject({ campaignId: z.string().min(1).max(64), finalize: z.literal(true) }),
]);
/** One invite-queue message. */
export type InviteMessage = z.infer<typeof InviteMessage>;

/** JSON body of a message. */
export const serializeInviteMessage = (message: InviteMessage): string => JSON.stringify(message);

/** Parses a message body; throws a zod error for anything else (a poison message). */
export const parseInviteMessage = (body: string): InviteMessage => InviteMessage.parse(JSON.parse(body));
