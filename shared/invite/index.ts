// The invite side: entry points for the invite queue and its dead-letter queue, and what they run with.

export { processInviteMessage } from './batch.ts';
export type { InviteAseed, InviteDeps, InviteMailer, SendTiming } from './context.ts';
export { type InviteRecordOptions, processDeadLetterRecord, processInviteRecord } from './record.ts';
export type { BatchResult } from './result.ts';
