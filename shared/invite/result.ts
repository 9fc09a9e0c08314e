// What processing one invite-queue message did: its own module, so each kind of message (batch, follow-up,
// cancel) reports it without importing the dispatcher.

/** What one processed batch did (for logs and tests). */
export interface BatchResult {
  campaignId: string;
  batch?: number;
  emailed: number;
  failed: number;
  skipped: number;
  completed: boolean;
  /** Handed to a fresh message because the invocation ran out of time. */
  deferred?: boolean;
}

/** A result with nothing done yet. */
export const emptyResult = (campaignId: string): BatchResult => ({
  campaignId,
  emailed: 0,
  failed: 0,
  skipped: 0,
  completed: false,
});
