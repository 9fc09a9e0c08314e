// Flow: SQS event → BatchProcessor (one record = one batch of ≤ 100 respondents) → invite use case →
// partial batch response (failed records are redelivered; on the last receive they are dead-lettered).
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { createSharedPacer } from '#shared/campaign/pacer.ts';
import { type InviteDeps, processDeadLetterRecord, processInviteRecord } from '#shared/invite/index.ts';

/** The invite Lambda handler: SQS event in, `{ batchItemFailures }` out. */
export type InviteHandler = (event: SQSEvent, context?: Context) => Promise<SQSBatchResponse>;

/** Deps of the invite handler: the use case's, plus the account's SES rate and a way back onto the queue. */
export interface InviteHandlerDeps extends InviteDeps {
  /**
   * A cap on the SES send rate (emails per second). Sends are paced at the account's MaxSendRate (from
   * `quota`), or this if lower, on one schedule in the table shared by every invocation (createSharedPacer);
   * ignored when `pacer` is given.
   */
  sendRatePerSecond?: number;
  /**
   * Sends a message body to the invite queue again. When given, a batch that this invocation has no time
   * left for (any record but the first) is handed to a fresh message rather than failed, so it keeps all
   * of its receives for real attempts.
   */
  requeue?: (body: string, delayMs?: number) => Promise<void>;
}

/** ApproximateReceiveCount of a record (1 when absent). */
export const receiveCountOf = (record: SQSRecord): number => {
  const count = Number(record.attributes?.ApproximateReceiveCount ?? '1');
  return Number.isFinite(count) && count > 0 ? count : 1;
};

/** The send rate to pace at: the account's MaxSendRate (read through `quota`), capped by `sendRatePerSecond`. */
const sendRateOf = (deps: InviteHandlerDeps): (() => Promise<number>) | undefined => {
  const cap = deps.sendRatePerSecond;
  const { quota } = deps;
  if (!quota) return cap === undefined ? undefined : async () => cap;
  return async () => Math.min(cap ?? Number.POSITIVE_INFINITY, (await quota.current()).maxSendRate);
};

/**
 * Builds the invite handler over injected deps. Records are processed one after another (a batch holds its
 * create lock and send lease briefly, and the invocation's deadline is spent in order); a failing record
 * never blocks the others.
 */
export const createInviteHandler = (deps: InviteHandlerDeps): InviteHandler => {
  // One schedule for the whole account, kept in the table: a lone invocation may use the full rate, twenty
  // concurrent ones share it.
  const rate = sendRateOf(deps);
  const pacer =
    deps.pacer ??
    (rate
      ? createSharedPacer({
          store: deps.store,
          ratePerSecond: rate,
          ...(deps.clock ? { clock: deps.clock } : {}),
        })
      : undefined);
  const useCaseDeps: InviteDeps = {
    ...deps,
    ...(pacer ? { pacer } : {}),
    sendTiming: deps.sendTiming ?? { worstMs: 0 },
  };
  const { requeue } = deps;
  return async (event, context) => {
    const processor = new BatchProcessor(EventType.SQS);
    let started = 0;
    return processPartialResponse(
      event,
      async (record: SQSRecord) => {
        const deadline = context
          ? { deadlineMs: (deps.clock ?? Date.now)() + context.getRemainingTimeInMillis() }
          : {};
        // The first record always gets a real attempt, so every invocation makes progress.
        const options = {
          ...(requeue && started++ > 0 ? { requeue: () => requeue(record.body) } : {}),
          ...(requeue ? { requeueAfter: (delayMs: number) => requeue(record.body, delayMs) } : {}),
        };
        await processInviteRecord(
          { ...useCaseDeps, ...deadline },
          record.body,
          receiveCountOf(record),
          options,
        );
      },
      processor,
      { ...(context ? { context } : {}), processInParallel: false, throwOnFullBatchFailure: false },
    );
  };
};

/**
 * Builds the handler for the invite dead-letter queue (an event source on the DLQ, batch size ≤ 10): records
 * each dead-lettered batch on its campaign (respondents `failed`, `deadLettered` count) when the last
 * receive could not (it crashed or timed out), so the campaign still completes. Safe to run on every message.
 */
export const createDeadLetterHandler =
  (deps: InviteDeps): InviteHandler =>
  async (event, context) =>
    processPartialResponse(
      event,
      async (record: SQSRecord) => {
        await processDeadLetterRecord(deps, record.body);
      },
      new BatchProcessor(EventType.SQS),
      { ...(context ? { context } : {}), processInParallel: false, throwOnFullBatchFailure: false },
    );
