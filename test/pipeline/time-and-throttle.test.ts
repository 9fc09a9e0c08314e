// Findings 3–5 of docs/RELIABILITY.md: batches an invocation has no time for, SES throttling of a whole
// call, and a create intent left behind by a batch that is then dead-lettered.
import { ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InviteAseed, InviteMailer } from '#shared/invite/index.ts';
import { Crash, createWorld, ingestCampaign, type KillSwitch, sesThrottled, type World } from './support.ts';

/** A Lambda context with a fixed amount of time left. */
const contextWith = (remainingMs: number): Context =>
  ({ getRemainingTimeInMillis: () => remainingMs }) as unknown as Context;

describe('an invocation out of time (finding 3)', () => {
  let world: World;
  beforeAll(async () => {
    world = await createWorld({ maxReceiveCount: 5, lockLeaseMs: 2000 });
  });
  afterAll(() => world.close());

  it('hands every batch but the first to a fresh message instead of spending a receive', async () => {
    // Prepare: two one-batch campaigns in one event; the invocation has less time left than a lock lease.
    const first = await ingestCampaign(world, 'late-a', 3, undefined, 'en');
    const second = await ingestCampaign(world, 'late-b', 3, undefined, 'en');
    const event = await world.receiveEvent();
    expect(event.Records).toHaveLength(2);
    const handler = world.inviteWith({ kill: { dead: false }, requeue: true });

    // Act
    const response = await handler(event, contextWith(1500));

    // Assert: the first record had its real attempt and failed (one receive spent, SQS redelivers it);
    // the second is acknowledged and waits in the queue as a new message with all of its receives.
    const [firstRecord, secondRecord] = event.Records;
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: firstRecord?.messageId }]);
    const waiting = await world.clients.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: world.queueUrl,
        MaxNumberOfMessages: 10,
        MessageSystemAttributeNames: ['All'],
      }),
    );
    const fresh = (waiting.Messages ?? []).filter((m) => m.Body === secondRecord?.body);
    expect(fresh).toHaveLength(1);
    expect(fresh[0]?.MessageId).not.toBe(secondRecord?.messageId);
    expect(fresh[0]?.Attributes?.ApproximateReceiveCount).toBe('1');
    expect(world.standin.stats().createCalls).toBe(0);
    for (const campaignId of [first, second]) {
      const respondents = await world.store.listRespondents(campaignId);
      expect(respondents.map((r) => r.state)).toEqual(['accepted', 'accepted', 'accepted']);
    }
  });

  it('never hands on a record without a requeue, and then spends its receive as before', async () => {
    // Prepare
    await ingestCampaign(world, 'late-c', 2, undefined, 'en');
    await ingestCampaign(world, 'late-d', 2, undefined, 'en');
    await world.drain(undefined, { maxRounds: 0 });
    const event = await world.receiveEvent();
    const handler = world.inviteWith({ kill: { dead: false } });

    // Act
    const response = await handler(event, contextWith(1500));

    // Assert
    expect(response.batchItemFailures.map((f) => f.itemIdentifier).sort()).toEqual(
      event.Records.map((r) => r.messageId).sort(),
    );
  });
});

/** A mailer that notes when each SES call starts (epoch ms) in `sends`. */
const timedSends =
  (sends: number[]) =>
  (real: InviteMailer): InviteMailer => ({
    sendBulk: async (email) => {
      sends.push(Date.now());
      return real.sendBulk(email);
    },
  });

describe('a chunk and its slot on the send schedule', () => {
  let world: World;
  beforeAll(async () => {
    world = await createWorld({});
  });
  afterAll(() => world.close());

  it('claims its respondents shortly before the slot and calls SES no earlier than it', async () => {
    // Prepare: the schedule gives the chunk a slot 1.5 s away; claims and the SES call are timed.
    const campaignId = await ingestCampaign(world, 'slot', 5, undefined, 'en');
    let slot = 0;
    let firstClaimAt = 0;
    const sends: number[] = [];
    const handler = world.inviteWith({
      kill: { dead: false },
      sendLeaseMs: 10_000,
      pacer: {
        reserve: async () => {
          slot = Date.now() + 1500;
          return { at: slot, punctual: true };
        },
      },
      onWrite: (name, input) => {
        const values = JSON.stringify(
          (input as { ExpressionAttributeValues?: unknown }).ExpressionAttributeValues,
        );
        if (name === 'UpdateItemCommand' && values?.includes('"sending"') && !firstClaimAt)
          firstClaimAt = Date.now();
      },
      mailer: timedSends(sends),
    });

    // Act
    const { failures } = await world.drain(handler);

    // Assert: claimed within the last second before the slot (not when it was booked), sent at the slot.
    expect(failures).toBe(0);
    expect(firstClaimAt).toBeGreaterThanOrEqual(slot - 1000);
    expect(sends).toHaveLength(1);
    expect(sends[0]).toBeGreaterThanOrEqual(slot);
    const respondents = await world.store.listRespondents(campaignId);
    expect(respondents.every((r) => r.state === 'emailed')).toBe(true);
  });

  it('takes a new slot when it would reach SES late on its own (the next slot’s call would come early)', async () => {
    // Prepare: the first slot has already passed by 100 ms when it is given; later ones are due as asked.
    await ingestCampaign(world, 'late', 3, undefined, 'en');
    const reservations: number[] = [];
    const sends: number[] = [];
    const handler = world.inviteWith({
      kill: { dead: false },
      sendLeaseMs: 10_000,
      pacer: {
        reserve: async (_count, leadMs) => {
          const at = reservations.length === 0 ? Date.now() - 100 : Date.now() + (leadMs ?? 0) + 200;
          reservations.push(at);
          return { at, punctual: true };
        },
      },
      mailer: timedSends(sends),
    });

    // Act
    const { failures } = await world.drain(handler);

    // Assert: one call, on the second slot.
    expect(failures).toBe(0);
    expect(reservations).toHaveLength(2);
    expect(sends).toHaveLength(1);
    expect(sends[0]).toBeGreaterThanOrEqual(reservations[1] ?? Number.POSITIVE_INFINITY);
  });
});

describe('a throttled SendBulkEmail (finding 5)', () => {
  let world: World;
  beforeAll(async () => {
    world = await createWorld({ maxReceiveCount: 3 });
  });
  afterAll(() => world.close());

  it('is tried again within the invocation, so the batch goes out on its first receive', async () => {
    // Prepare: SES throttles the first two send calls as a whole; the send schedule is watched.
    const campaignId = await ingestCampaign(world, 'throttled-twice', 6, undefined, 'en');
    let refusals = 2;
    const reserved: number[] = [];
    const handler = world.inviteWith({
      kill: { dead: false },
      sendLeaseMs: 10_000,
      pacer: {
        // An idle schedule: every call is due as soon as asked.
        reserve: async (count) => {
          reserved.push(count);
          return { at: Date.now(), punctual: false };
        },
      },
      mailer: (real): InviteMailer => ({
        sendBulk: async (email) => {
          if (refusals-- > 0) throw sesThrottled();
          return real.sendBulk(email);
        },
      }),
    });

    // Act
    const { failures } = await world.drain(handler);

    // Assert: each of the three calls had its own slot on the schedule (a retry outside it would take
    // another sender's slot).
    expect(failures).toBe(0);
    expect(reserved).toEqual([6, 6, 6]);
    const respondents = await world.store.listRespondents(campaignId);
    expect(respondents.every((r) => r.state === 'emailed')).toBe(true);
    const emails = (await world.emails()).filter((e) => e.to.includes('throttled-twice'));
    expect(emails).toHaveLength(6);
    expect(new Set(emails.map((e) => e.to)).size).toBe(6);
  });

  it('is not repeated when the send lease could run out meanwhile (a concurrent delivery could take over)', async () => {
    // Prepare: throttled once, with a send lease too short for a pause and another call.
    const campaignId = await ingestCampaign(world, 'throttled-short-lease', 4, undefined, 'en');
    let calls = 0;
    const handler = world.inviteWith({
      kill: { dead: false },
      sendLeaseMs: 100,
      mailer: (real): InviteMailer => ({
        sendBulk: async (email) => {
          if (calls++ === 0) throw sesThrottled();
          return real.sendBulk(email);
        },
      }),
    });

    // Act
    const event = await world.receiveEvent();
    const response = await handler(event);

    // Assert: one call only; the batch is failed for SQS to redeliver, its respondents handed back.
    expect(calls).toBe(1);
    expect(response.batchItemFailures).toHaveLength(1);
    const respondents = await world.store.listRespondents(campaignId);
    expect(respondents.map((r) => r.state)).toEqual(Array(4).fill('room_assigned'));
  });
});

describe('a create intent left by a batch that is then dead-lettered (finding 4)', () => {
  let world: World;
  beforeAll(async () => {
    world = await createWorld({ maxReceiveCount: 1, lockLeaseMs: 1000 });
  });
  afterAll(() => world.close());

  it('is reconciled by the dead-letter function: no room stays live and unsent', async () => {
    // Prepare: the only allowed receive dies right after the create call returned (rooms made, not marked,
    // the intent left on the project's lock), and no other create in the project follows.
    const campaignId = await ingestCampaign(world, 'intent-left', 5, undefined, 'en');
    const kill: KillSwitch = { dead: false };
    const dying = world.inviteWith({
      kill,
      aseed: (real): InviteAseed => ({
        ...real,
        createRooms: async (request) => {
          await real.createRooms(request);
          kill.dead = true;
          throw new Crash('invocation died after the create call');
        },
      }),
    });
    const event = await world.receiveEvent();
    await dying(event);
    const made = world.standin.rooms().filter((room) => room.status === 'pending');
    expect(made).toHaveLength(5);
    // The dead holder's lock lease runs out (the DLQ receives the message later than that in AWS).
    await new Promise((resolve) => setTimeout(resolve, 1100));

    // Act: the dead-letter function gets the message from the DLQ.
    const response = await world.deadLetter(event);

    // Assert: every respondent dead-lettered, every room of the create cancelled, no email.
    expect(response.batchItemFailures).toEqual([]);
    const respondents = await world.store.listRespondents(campaignId);
    expect(respondents.map((r) => r.state)).toEqual(Array(5).fill('failed'));
    expect(respondents.every((r) => r.reason?.startsWith('dead-lettered'))).toBe(true);
    const live = world.standin.rooms().filter((room) => room.status === 'pending');
    expect(live).toEqual([]);
    expect((await world.emails()).filter((e) => e.to.includes('intent-left'))).toEqual([]);
  });
});
