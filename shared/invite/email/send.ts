// One chunk's send: a slot on the schedule, the claims just ahead of it, one SendBulkEmail (repeated in place
// when SES throttled it and sent nothing), and each recipient's outcome recorded.

import { sleepUntil } from '#shared/campaign/pacer.ts';
import type { CampaignSettings } from '#shared/campaign/settings.ts';
import { isRetryable, PausedError, type PauseKind, PermanentError } from '#shared/errors.ts';
import { MESSAGE_TAGS, respondentTag } from '#shared/events/outcome.ts';
import { maskEmail } from '#shared/log.ts';
import type { Locale } from '#shared/mail/locale.ts';
import { type SendOutcome, SesThrottledError } from '#shared/mail/mailer.ts';
import { type EmailTemplate, inviteData } from '#shared/mail/template.ts';
import { mapLimit } from '#shared/store/concurrency.ts';
import type { RespondentItem } from '#shared/store/types.ts';
import { type Ctx, messageOf } from '../context.ts';
import type { Failure } from '../respondent.ts';
import type { SendClaim } from './claim.ts';
import { optOutSigner, recipientParts, withOptOut } from './opt-out.ts';
import { claimLeadMs, fadeWorst, sendMarginMs, throttlePauseMs } from './plan.ts';
import { ensureQuotaFor } from './quota.ts';

/** What the sends of a batch did; `retry` respondents need another attempt. */
export interface SendSummary {
  emailed: number;
  failed: number;
  retry: number;
  /** Of `retry`: held back only because the invocation's deadline was too close. */
  outOfTime: number;
  retryReason: string;
  /** SendBulkEmail calls made (repeats included). */
  sesCalls: number;
}

/**
 * One kind of email (the invitation, a reminder, the thank-you): how its recipients are claimed for an
 * attempt, given back when SES sent nothing, and settled. Every kind goes through the same paced send.
 */
export interface SendKind {
  /** What the email is called in logs and reasons. */
  label: string;
  claim(ctx: Ctx, r: RespondentItem, attempt: string): Promise<SendClaim>;
  /** Gives back what `attempt` holds; `fresh`: claimed from nobody (the others may have been sent). */
  release(
    ctx: Ctx,
    held: readonly RespondentItem[],
    attempt: string,
    fresh: ReadonlySet<string>,
  ): Promise<void>;
  /** Records that SES took it; true when this call recorded it. */
  markSent(
    ctx: Ctx,
    r: RespondentItem,
    attempt: string,
    sent: { messageId: string; at: string },
  ): Promise<boolean>;
  /** Records that it can never go (SES refused the recipient, or it cannot be rendered); true if recorded. */
  fail(ctx: Ctx, r: RespondentItem, attempt: string, failure: Failure): Promise<boolean>;
  template(settings: CampaignSettings, locale: Locale): EmailTemplate;
}

/** The campaign a chunk is sent for, in one locale, and the kind of email. */
export interface ChunkJob {
  campaignId: string;
  settings: CampaignSettings;
  locale: string;
  kind: SendKind;
}

/** A claimed respondent with its merge data. */
interface Ready {
  respondent: RespondentItem;
  data: ReturnType<typeof inviteData>;
}

/**
 * Sends one chunk: books a slot, claims its respondents just ahead of it (a punctual slot) or once it has
 * come (any other), renders, sends and records. Respondents it could not send are counted in `summary`.
 */
export const sendChunk = async (ctx: Ctx, job: ChunkJob, chunk: RespondentItem[], summary: SendSummary) => {
  await ensureQuotaFor(ctx, chunk.length);
  const lead = claimLeadMs(ctx.config, ctx.sendTiming);
  const slot = await ctx.reserveSends(chunk.length, lead);
  const margin = sendMarginMs(ctx.config, ctx.sendTiming);
  if (Math.max(slot.at, ctx.clock()) > ctx.deadline - margin) {
    // Too close to the Lambda timeout to send and record safely: leave them for the redelivery.
    summary.retry += chunk.length;
    summary.outOfTime += chunk.length;
    summary.retryReason = 'invocation deadline too close to send safely';
    return;
  }
  // A call that reaches SES late lets the next sender's reach it early, into a throttle: a punctual slot's
  // claims are done when it comes, and the lease, counted from the claim, still covers the wait and the call.
  await sleepUntil(slot.punctual ? slot.at - lead : slot.at, ctx.clock, ctx.sleep);
  const attempt = ctx.newId();
  const claimedAt = ctx.clock();
  const { marked, fresh } = await claimChunk(ctx, job.kind, chunk, attempt, summary);
  const ready = await render(ctx, { job, attempt }, marked, summary);
  if (ready.length === 0) return;
  // No call (a repeat included) starts after this: the lease and the deadline margin still cover it.
  const sendBy = Math.min(claimedAt + ctx.config.sendLeaseMs / 2, ctx.deadline - margin);
  await sleepUntil(slot.at, ctx.clock, ctx.sleep);
  if (slot.punctual && ctx.clock() - slot.at > ctx.config.lateToleranceMs) {
    // The claims outran their lead: take a new slot at the end of the schedule if the lease allows
    // (else it goes out now, late).
    await waitForNewSlot(ctx, ready.length, sendBy);
  }
  const sendStarted = ctx.clock();
  let outcomes: SendOutcome[];
  try {
    outcomes = await sendWithRepeats(ctx, job, ready, sendBy, summary);
  } catch (error) {
    // The mailer throws a retryable error only while nothing was sent: hand the chunk back, so a
    // redelivery sends at once and a dead-lettering cancels their rooms.
    if (isRetryable(error)) {
      const held = ready.map(({ respondent }) => respondent);
      await job.kind.release(ctx, held, attempt, fresh);
    }
    if (error instanceof PausedError) ctx.quota?.invalidate();
    throw error;
  }
  const paused = await recordOutcomes(ctx, { job, attempt }, ready, outcomes, summary);
  ctx.sendTiming.worstMs = fadeWorst(ctx.sendTiming.worstMs, ctx.clock() - sendStarted);
  if (paused) {
    // SES took none of these (a quota or a pause): they wait with the batch, as if never claimed.
    await job.kind.release(ctx, paused.respondents, attempt, fresh);
    ctx.quota?.invalidate();
    throw new PausedError(paused.kind, paused.reason);
  }
};

/** Claims a chunk's respondents for `attempt`; those a concurrent delivery holds are counted to retry. */
const claimChunk = async (
  ctx: Ctx,
  kind: SendKind,
  chunk: RespondentItem[],
  attempt: string,
  summary: SendSummary,
) => {
  const started = ctx.clock();
  const claims = await mapLimit(chunk, ctx.config.writesInParallel, (r) => kind.claim(ctx, r, attempt));
  const claimMs = ctx.clock() - started;
  ctx.sendTiming.claimMs = fadeWorst(ctx.sendTiming.claimMs ?? claimMs, claimMs);
  const marked: RespondentItem[] = [];
  // Claimed from nobody (not taken over from a crashed attempt that may have sent).
  const fresh = new Set<string>();
  for (const claim of claims) {
    if (claim.kind === 'claimed') {
      marked.push(claim.respondent);
      if (claim.fresh) fresh.add(claim.respondent.sk);
    } else if (claim.kind === 'busy') {
      // A concurrent delivery of this batch is sending to them right now: not ours to send.
      summary.retry++;
      summary.retryReason = 'being sent by a concurrent delivery of this batch';
    }
  }
  return { marked, fresh };
};

/** The job and the attempt that holds its claims. */
interface Attempt {
  job: ChunkJob;
  attempt: string;
}

/** Merge data of each claimed respondent; one whose email cannot be rendered fails. */
const render = async (
  ctx: Ctx,
  { job, attempt }: Attempt,
  marked: RespondentItem[],
  summary: SendSummary,
) => {
  const ready: Ready[] = [];
  for (const respondent of marked) {
    try {
      ready.push({ respondent, data: mergeData(job, respondent) });
    } catch (error) {
      const failure = {
        kind: 'unrenderable',
        reason: `cannot render the ${job.kind.label}: ${messageOf(error)}`,
      } as const;
      await job.kind.fail(ctx, respondent, attempt, failure);
      summary.failed++;
    }
  }
  return ready;
};

/** Merge data of one email: every kind carries the same room link. */
const mergeData = ({ settings, locale }: ChunkJob, r: RespondentItem) => {
  if (!r.roomUrl) throw new PermanentError('no room URL');
  const expiresAt = r.roomExpiresAt
    ? new Date(r.roomExpiresAt)
    : new Date(Date.parse(r.updatedAt) + settings.expiresInDays * 86_400_000);
  return inviteData({
    locale: locale as Locale,
    ...(r.name ? { name: r.name } : {}),
    roomUrl: r.roomUrl,
    durationMinutes: settings.maxDurationMinutes,
    expiresAt,
    fields: r.fields,
  });
};

/** The time one more call needs, as recently seen. */
const nextSendMs = (ctx: Ctx) => Math.max(ctx.sendTiming.worstMs, 100);

/** Books a new slot and waits for it; false (nothing waited) when the call would then start after `sendBy`. */
const waitForNewSlot = async (ctx: Ctx, count: number, sendBy: number): Promise<boolean> => {
  const at = (await ctx.reserveSends(count)).at;
  if (Math.max(at, ctx.clock()) + nextSendMs(ctx) > sendBy) return false;
  await sleepUntil(at, ctx.clock, ctx.sleep);
  return true;
};

/**
 * The chunk's SendBulkEmail. Throttled, SES sent nothing: the same call again after a short pause and a new
 * slot (a retry outside the schedule would take the next sender's slot and get it throttled in turn), while
 * `sendBy` allows, so transient throttling costs the batch none of its receives.
 */
const sendWithRepeats = async (
  ctx: Ctx,
  job: ChunkJob,
  ready: Ready[],
  sendBy: number,
  summary: SendSummary,
) => {
  const { settings } = job;
  const signer = await optOutSigner(ctx);
  const send = () =>
    ctx.deps.mailer.sendBulk({
      from: settings.sender,
      ...(settings.replyTo ? { replyTo: settings.replyTo } : {}),
      ...(ctx.deps.configurationSetName ? { configurationSetName: ctx.deps.configurationSetName } : {}),
      template: withOptOut(signer, job.kind.template(settings, job.locale as Locale), job.locale as Locale),
      // The tags come back in SES's events: they lead each event to its respondent without a lookup.
      tags: { [MESSAGE_TAGS.campaign]: job.campaignId },
      destinations: ready.map(({ respondent, data }) => ({
        to: respondent.email,
        ...recipientParts(signer, respondent, data),
        tags: { [MESSAGE_TAGS.respondent]: respondentTag(respondent.batch, respondent.seq) },
      })),
    });
  for (let retry = 0; ; retry++) {
    summary.sesCalls++;
    try {
      return await send();
    } catch (error) {
      const pauseMs = throttlePauseMs(retry);
      const repeatable =
        error instanceof SesThrottledError &&
        retry < ctx.config.sesThrottleRetries &&
        ctx.clock() + pauseMs + nextSendMs(ctx) <= sendBy;
      if (!repeatable) throw error;
      ctx.logger.warn('SES throttled the send; trying again shortly', {
        retry: retry + 1,
        pauseMs: Math.round(pauseMs),
      });
      await ctx.sleep(pauseMs);
      if (!(await waitForNewSlot(ctx, ready.length, sendBy))) throw error;
    }
  }
};

/** Recipients SES did not take because the account must pause, with the kind and SES's reason. */
interface PausedRecipients {
  kind: PauseKind;
  reason: string;
  respondents: RespondentItem[];
}

/**
 * Records each recipient's outcome: emailed with its message id, failed with SES's reason, or to retry; those
 * SES held back for a pause are returned (not recorded) for the caller to release.
 */
const recordOutcomes = async (
  ctx: Ctx,
  { job, attempt }: Attempt,
  ready: Ready[],
  outcomes: SendOutcome[],
  summary: SendSummary,
): Promise<PausedRecipients | undefined> => {
  let paused: PausedRecipients | undefined;
  ctx.quota?.noteSent(outcomes.filter((o) => o.status === 'sent').length);
  await mapLimit(ready, ctx.config.writesInParallel, async ({ respondent }, index) => {
    const outcome: SendOutcome = outcomes[index] ?? { status: 'retry', reason: 'no outcome' };
    const masked = maskEmail(respondent.email);
    if (outcome.status === 'paused') {
      paused ??= { kind: outcome.kind, reason: outcome.reason, respondents: [] };
      paused.respondents.push(respondent);
    } else if (outcome.status === 'sent') {
      const sent = { messageId: outcome.messageId, at: new Date(ctx.clock()).toISOString() };
      if (await job.kind.markSent(ctx, respondent, attempt, sent)) {
        summary.emailed++;
        ctx.logger.debug('emailed', { respondent: masked, email: job.kind.label, messageId: sent.messageId });
      }
    } else if (outcome.status === 'failed') {
      ctx.logger.warn('recipient rejected', { respondent: masked, reason: outcome.reason });
      const failure = { kind: 'rejected', reason: outcome.reason } as const;
      if (await job.kind.fail(ctx, respondent, attempt, failure)) summary.failed++;
    } else {
      summary.retry++;
      summary.retryReason = outcome.reason;
    }
  });
  return paused;
};
