import { describe, expect, it } from 'vitest';
import type { FollowUpKind } from '#shared/campaign/follow-ups.ts';
import type { CampaignSettings } from '#shared/campaign/settings.ts';
import { RetryableError } from '#shared/errors.ts';
import { processInviteMessage } from '#shared/invite/index.ts';
import type { Store } from '#shared/store/ports.ts';
import { fakeAseed, fakeMailer, inviteDeps, seededCampaign } from './fakes.ts';

// Reminders and the thank-you travel the invitation's send path as their own message kind: each goes at most
// once per respondent, with the room link of the invitation, and only while the respondent may still get it.
const DAY = 86_400_000;

/** A campaign of `size` respondents invited at `t0` (the fake API's rooms expire 7 days after now). */
const invitedCampaign = async (size: number, settings: Partial<CampaignSettings>) => {
  const t0 = Date.now();
  const clock = { now: t0 };
  const { store, campaignId } = await seededCampaign([size], undefined, settings);
  const aseed = fakeAseed();
  const mail = fakeMailer();
  const deps = { ...inviteDeps(store, aseed.api, mail.mailer), clock: () => clock.now };
  await processInviteMessage(deps, { campaignId, batch: 0 });
  return { store, campaignId, aseed, mail, deps, clock, t0 };
};

/** The follow-up message of batch 0. */
const followUp = (campaignId: string, kind: FollowUpKind) => ({ campaignId, batch: 0, followUp: kind });

const observe = async (store: Store, campaignId: string, sk: string, status: 'started' | 'completed') => {
  const at = new Date().toISOString();
  const observation = status === 'started' ? { status, startedAt: at } : { status, completedAt: at };
  await store.recordRoomProgress({ campaignId, sk, observation, nowMs: Date.now() });
};

describe('reminders and the thank-you', () => {
  it('reminds, once and with the same room link, only those whose room is still pending and address is fine', async () => {
    // Prepare: of four invited, one started and one bounced.
    const run = await invitedCampaign(4, { reminders: [{ afterDays: 2 }] });
    const [started, bounced, ...pending] = await run.store.listRespondents(run.campaignId);
    if (!started || !bounced) throw new Error('no respondents');
    await observe(run.store, run.campaignId, started.sk, 'started');
    await run.store.recordDelivery({
      campaignId: run.campaignId,
      batch: 0,
      seq: bounced.seq,
      report: { kind: 'outcome', outcome: 'bounced', at: new Date().toISOString() },
      nowMs: Date.now(),
    });
    const invitations = run.mail.sent.length;
    run.clock.now = run.t0 + 2 * DAY + 1;

    // Act: the message, then a duplicate delivery of it.
    const first = await processInviteMessage(run.deps, followUp(run.campaignId, 'reminder1'));
    const again = await processInviteMessage(run.deps, followUp(run.campaignId, 'reminder1'));

    // Assert
    const reminders = run.mail.sent.slice(invitations);
    expect(first).toMatchObject({ emailed: 2, failed: 0, skipped: 2 });
    expect(again).toMatchObject({ emailed: 0, skipped: 4 });
    expect(reminders.map((m) => m.to).sort()).toEqual(pending.map((r) => r.email).sort());
    for (const r of pending) {
      const reminder = reminders.find((m) => m.to === r.email);
      expect((reminder?.data as Map<string, string> | undefined)?.get('roomurl')).toBe(r.roomUrl);
      expect(reminder?.email.template.subject).toMatch(/^Reminder:/);
      expect(await run.store.getRespondent(run.campaignId, r.sk)).toMatchObject({
        state: 'emailed',
        reminder1: { state: 'sent' },
      });
    }
    expect(run.aseed.calls.create).toBe(1);
  });

  it('sends no reminder before its day, none the campaign does not have, and none to a room about to close', async () => {
    // Prepare
    const run = await invitedCampaign(2, { reminders: [{ afterDays: 2 }] });
    const invitations = run.mail.sent.length;

    // Act
    run.clock.now = run.t0 + DAY;
    const early = await processInviteMessage(run.deps, followUp(run.campaignId, 'reminder1'));
    run.clock.now = run.t0 + 3 * DAY;
    const unknown = await processInviteMessage(run.deps, followUp(run.campaignId, 'reminder2'));
    run.clock.now = run.t0 + 7 * DAY - 30 * 60_000;
    const closing = await processInviteMessage(run.deps, followUp(run.campaignId, 'reminder1'));

    // Assert
    expect([early.emailed, unknown.emailed, closing.emailed]).toEqual([0, 0, 0]);
    expect(run.mail.sent).toHaveLength(invitations);
  });

  it('retries while a live attempt holds a reminder, and sends it once after that attempt crashed', async () => {
    // Prepare: an attempt claimed the reminder of one respondent, then died.
    const run = await invitedCampaign(2, { reminders: [{ afterDays: 1 }] });
    const [held] = await run.store.listRespondents(run.campaignId);
    if (!held) throw new Error('no respondent');
    run.clock.now = run.t0 + DAY + 1;
    const lease = 60_000;
    await run.store.claimFollowUp(
      { campaignId: run.campaignId, sk: held.sk, nowMs: run.clock.now },
      { kind: 'reminder1', attempt: 'crashed', until: run.clock.now + lease },
    );
    const invitations = run.mail.sent.length;

    // Act
    const whileHeld = processInviteMessage(run.deps, followUp(run.campaignId, 'reminder1'));
    await expect(whileHeld).rejects.toBeInstanceOf(RetryableError);
    run.clock.now += lease + 1;
    const after = await processInviteMessage(run.deps, followUp(run.campaignId, 'reminder1'));
    const duplicate = await processInviteMessage(run.deps, followUp(run.campaignId, 'reminder1'));

    // Assert: the free respondent got it on the first try, the held one after the lease; nobody twice.
    const reminders = run.mail.sent.slice(invitations).map((m) => m.to);
    expect(reminders.sort()).toEqual(
      (await run.store.listRespondents(run.campaignId)).map((r) => r.email).sort(),
    );
    expect([after.emailed, duplicate.emailed]).toEqual([1, 0]);
  });

  it('sends each reminder once when two deliveries of its message run at the same time', async () => {
    // Prepare
    const run = await invitedCampaign(30, { reminders: [{ afterDays: 1 }, { afterDays: 3 }] });
    const invitations = run.mail.sent.length;
    run.clock.now = run.t0 + 3 * DAY + 1;

    // Act
    const results = await Promise.allSettled(
      (['reminder1', 'reminder1', 'reminder2', 'reminder2'] as const).map((kind) =>
        processInviteMessage(run.deps, followUp(run.campaignId, kind)),
      ),
    );
    // A delivery that met the other's claims retries; its redelivery finds nothing left.
    for (const kind of ['reminder1', 'reminder2'] as const) {
      await processInviteMessage(run.deps, followUp(run.campaignId, kind));
    }

    // Assert
    const reminders = run.mail.sent.slice(invitations);
    const subjects = new Map<string, number>();
    for (const m of reminders) subjects.set(m.to, (subjects.get(m.to) ?? 0) + 1);
    expect(reminders).toHaveLength(60);
    expect([...subjects.values()].every((n) => n === 2)).toBe(true);
    expect(
      results.filter((r) => r.status === 'rejected').every((r) => r.reason instanceof RetryableError),
    ).toBe(true);
  });

  it('thanks those whose interview completed, once, and nobody when the campaign has no thank-you', async () => {
    // Prepare
    const withThanks = await invitedCampaign(3, { thankYou: {} });
    const without = await invitedCampaign(1, {});
    const [done, startedOnly] = await withThanks.store.listRespondents(withThanks.campaignId);
    const [other] = await without.store.listRespondents(without.campaignId);
    if (!done || !startedOnly || !other) throw new Error('no respondents');
    await observe(withThanks.store, withThanks.campaignId, done.sk, 'completed');
    await observe(withThanks.store, withThanks.campaignId, startedOnly.sk, 'started');
    await observe(without.store, without.campaignId, other.sk, 'completed');
    const [before, beforeOther] = [withThanks.mail.sent.length, without.mail.sent.length];

    // Act
    await processInviteMessage(withThanks.deps, followUp(withThanks.campaignId, 'thanks'));
    await processInviteMessage(withThanks.deps, followUp(withThanks.campaignId, 'thanks'));
    await processInviteMessage(without.deps, followUp(without.campaignId, 'thanks'));

    // Assert
    const thanks = withThanks.mail.sent.slice(before);
    expect(thanks.map((m) => m.to)).toEqual([done.email]);
    expect(thanks[0]?.email.template.subject).toMatch(/thank/i);
    expect(without.mail.sent).toHaveLength(beforeOther);
  });
});
