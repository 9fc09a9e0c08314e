import { ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InviteHandler } from '#functions/invite/app.ts';
import type { InviteAseed, InviteMailer } from '#shared/invite/index.ts';
import {
  Crash,
  createWorld,
  groundTruth,
  ingestCampaign,
  type KillSwitch,
  receiveAll,
  sqsRecordOf,
  type World,
} from './support.ts';

/** Every accepted respondent of the campaign: exactly one email, one distinct room, and the store agrees. */
const expectExactlyOnce = async (world: World, campaignId: string, n: number) => {
  const truth = await groundTruth(world, campaignId);
  const mine = truth.respondents;
  expect(mine).toHaveLength(n);
  expect(mine.every((r) => r.state === 'emailed')).toBe(true);
  for (const r of mine) {
    const received = truth.byRecipient.get(r.email) ?? [];
    expect(received, r.email).toHaveLength(1);
    expect(received[0]?.text).toContain(r.roomUrl);
  }
  const urls = new Set(mine.map((r) => r.roomUrl));
  expect(urls.size).toBe(n);
  const campaign = await world.store.getCampaign(campaignId);
  expect(campaign).toMatchObject({ status: 'completed', emailed: n, failed: 0 });
  return truth;
};

/** Rooms made since `roomsBefore` that nobody received are cancelled (no token reservation leaks). */
const expectNoLostRoom = (
  world: World,
  truth: Awaited<ReturnType<typeof groundTruth>>,
  roomsBefore: number,
) => {
  const sent = new Set(truth.respondents.map((r) => r.roomUrl));
  const made = world.standin.rooms().slice(roomsBefore);
  const lost = made.filter((room) => !sent.has(room.url) && room.status !== 'cancelled');
  expect(lost).toEqual([]);
};

/** `n` rooms were made since `roomsBefore`: one emailed to each respondent, every other one cancelled. */
const expectRoomsExactlyOnce = async (world: World, campaignId: string, n: number, roomsBefore: number) => {
  expect(world.standin.rooms().length - roomsBefore).toBe(n);
  const truth = await expectExactlyOnce(world, campaignId, n);
  expectNoLostRoom(world, truth, roomsBefore);
};

/** One round with the dying handler, a pause for its leases to run out, then a healthy drain. */
const crashThenRecover = async (world: World, dying: InviteHandler) => {
  await world.drain(dying, { maxRounds: 1 });
  await new Promise((resolve) => setTimeout(resolve, 600));
  await world.drain();
};

describe('invite guarantees (issue 3 §6)', () => {
  let world: World;
  beforeAll(async () => {
    world = await createWorld({ lockLeaseMs: 500 });
  });
  afterAll(() => world.close());

  it('(a) the same SQS message delivered twice, even concurrently, gives one room and one email each', async () => {
    // Prepare: 30 respondents of one language → one batch; a duplicate copy of its message.
    const roomsBefore = world.standin.rooms().length;
    const campaignId = await ingestCampaign(world, 'dup', 30, undefined, 'en');
    const event = await world.receiveEvent();
    expect(event.Records).toHaveLength(1);
    const record = event.Records[0];
    if (!record) throw new Error('no record');
    // Slow SES, so the copies overlap in the send stage too (not only while waiting for the create lock).
    const slow = () =>
      world.inviteWith({
        kill: { dead: false },
        // The lease must outlast the slowed send, as the deployed one outlasts the SES client's attempts.
        sendLeaseMs: 2_000,
        mailer: (real): InviteMailer => ({
          sendBulk: async (email) => {
            await new Promise((resolve) => setTimeout(resolve, 300));
            return real.sendBulk(email);
          },
        }),
      });
    const copies = ['', '-twin', '-triplet'].map((suffix) => ({
      ...record,
      messageId: `${record.messageId}${suffix}`,
    }));

    // Act: three copies at once, then a late one.
    const responses = await Promise.all(copies.map((copy) => slow()({ Records: [copy] })));
    const late = await world.invite({ Records: [record] });
    await world.drain();

    // Assert: a copy that found another mid-send failed for a later retry instead of sending too.
    expect(responses.flatMap((r) => r.batchItemFailures).length).toBeLessThan(3);
    expect(late.batchItemFailures).toHaveLength(0);
    const truth = await expectExactlyOnce(world, campaignId, 30);
    // One create for the batch: a copy that came while the first handed its rooms out did not create more.
    expect(world.standin.rooms().length - roomsBefore).toBe(30);
    expectNoLostRoom(world, truth, roomsBefore);
  });

  it('(b) a crash after create succeeded but before the assignment was stored creates no second room', async () => {
    // Prepare: the first invocation dies right after the create call returned.
    const campaignId = await ingestCampaign(world, 'crash-create', 40, undefined, 'en');
    const roomsBefore = world.standin.rooms().length;
    const kill: KillSwitch = { dead: false };
    const dying = world.inviteWith({
      kill,
      aseed: (real): InviteAseed => ({
        ...real,
        createRooms: async (request) => {
          await real.createRooms(request); // the rooms exist at Aseed…
          kill.dead = true; // the Lambda is gone: nothing after this reaches DynamoDB
          throw new Crash('crashed after create');
        },
      }),
    });
    // Act
    await crashThenRecover(world, dying);

    // Assert: exactly 40 rooms were ever created for these 40 respondents.
    await expectRoomsExactlyOnce(world, campaignId, 40, roomsBefore);
  });

  it('(b) a crash in the middle of storing the assignments: the retry finishes them, no new room', async () => {
    // Prepare: die after 10 respondents got their room (the markers went first, in bulk).
    const campaignId = await ingestCampaign(world, 'crash-assign', 40, undefined, 'en');
    const roomsBefore = world.standin.rooms().length;
    const kill: KillSwitch = { dead: false };
    let assignments = 0;
    const dying = world.inviteWith({
      kill,
      onWrite: (name, input) => {
        // Commands carry the low-level names (UpdateItemCommand) whether or not the input is marshalled yet.
        const values = JSON.stringify(
          (input as { ExpressionAttributeValues?: unknown }).ExpressionAttributeValues,
        );
        if (name === 'UpdateItemCommand' && values?.includes('"room_assigned"') && ++assignments >= 10)
          kill.dead = true;
      },
    });

    // Act
    await crashThenRecover(world, dying);

    // Assert
    expect(assignments).toBeGreaterThanOrEqual(10);
    await expectRoomsExactlyOnce(world, campaignId, 40, roomsBefore);
  });

  it('(b) a crash after the returned rooms were recorded, before the lock was released: handed out, no new room', async () => {
    // Prepare: the invocation dies on the first write after the created-rooms record (the lock's release).
    const campaignId = await ingestCampaign(world, 'crash-recorded', 40, undefined, 'en');
    const roomsBefore = world.standin.rooms().length;
    const kill: KillSwitch = { dead: false };
    let recorded = false;
    const dying = world.inviteWith({
      kill,
      onWrite: (name, input) => {
        const sk = (input as { Item?: { sk?: string | { S?: string } } }).Item?.sk;
        const key = typeof sk === 'string' ? sk : sk?.S;
        if (recorded) kill.dead = true;
        else if (name === 'PutItemCommand' && key?.startsWith('CREATED#')) recorded = true;
      },
    });

    // Act
    await crashThenRecover(world, dying);

    // Assert
    expect(recorded).toBe(true);
    await expectRoomsExactlyOnce(world, campaignId, 40, roomsBefore);
  });

  it('(b) reconciling a crashed create never takes rooms another create is still handing out', async () => {
    // Prepare: another invocation's create returned 40 rooms with the same settings and is handing them out
    // (a live created-rooms record); then our create dies before reaching Aseed, leaving only its intent.
    const campaignId = await ingestCampaign(world, 'crash-before-create', 40, undefined, 'en');
    const roomsBefore = world.standin.rooms().length;
    const kill: KillSwitch = { dead: false };
    let others: string[] = [];
    const dying = world.inviteWith({
      kill,
      aseed: (real): InviteAseed => ({
        ...real,
        createRooms: async (request) => {
          const rooms = await real.createRooms(request);
          others = rooms.map((room) => room.id);
          await world.store.putCreatedRooms({
            projectId: request.project_id,
            intent: {
              intentId: `other-${campaignId}`,
              campaignId: `other-${campaignId}`,
              batch: 0,
              roomKey: 'other',
              params: {
                projectId: request.project_id,
                maxDurationMinutes: request.max_duration_minutes ?? 0,
                expiresInDays: request.expires_in_days ?? 0,
                ...(request.language ? { language: request.language } : {}),
              },
              count: rooms.length,
              respondents: [],
              startedAt: Date.now(),
            },
            rooms: rooms.map((room) => ({ id: room.id, url: room.url })),
            leaseUntil: Date.now() + 60_000,
            nowMs: Date.now(),
          });
          kill.dead = true;
          throw new Crash('crashed before our create reached Aseed');
        },
      }),
    });

    // Act
    await crashThenRecover(world, dying);

    // Assert: the other create's rooms are untouched (no marker, nobody got one); ours made 40 of its own.
    const truth = await expectExactlyOnce(world, campaignId, 40);
    expect(others).toHaveLength(40);
    const markers = await Promise.all(others.map((id) => world.store.getRoomMarker(id)));
    expect(markers.filter(Boolean)).toEqual([]);
    const given = new Set(truth.respondents.map((r) => r.roomId));
    expect(others.filter((id) => given.has(id))).toEqual([]);
    expect(world.standin.rooms().length - roomsBefore).toBe(80);
    await world.store.deleteCreatedRooms(world.standin.projectId, `other-${campaignId}`);
  });

  it('(c) create outcome unknown (rooms created, connection dropped) is reconciled: no second room', async () => {
    // Prepare
    const campaignId = await ingestCampaign(world, 'drop', 50, undefined, 'ru');
    const roomsBefore = world.standin.rooms().length;
    world.standin.setFaults({ pDrop: 1 });

    // Act: the first create is dropped after the rooms were made; faults off for the rest.
    const first = await world.invite(await world.receiveEvent());
    world.standin.setFaults({});
    await world.drain();

    // Assert
    expect(world.standin.stats().faultsInjected.drop).toBeGreaterThan(0);
    expect(first.batchItemFailures).toHaveLength(0); // reconciled within the same invocation
    await expectRoomsExactlyOnce(world, campaignId, 50, roomsBefore);
  });

  it('(d) a crash after SES accepted but before it was recorded re-sends once (at-least-once, same link)', async () => {
    // Prepare: the first invocation dies right after SendBulkEmail returned.
    const campaignId = await ingestCampaign(world, 'crash-ses', 20, undefined, 'en');
    const kill: KillSwitch = { dead: false };
    const dying = world.inviteWith({
      kill,
      mailer: (real): InviteMailer => ({
        sendBulk: async (email) => {
          await real.sendBulk(email);
          kill.dead = true;
          throw new Crash('crashed after SES accepted');
        },
      }),
    });

    // Act
    await crashThenRecover(world, dying);

    // Assert: each respondent got the same link twice (the documented window), never someone else's.
    const truth = await groundTruth(world, campaignId);
    expect(truth.respondents.every((r) => r.state === 'emailed')).toBe(true);
    for (const r of truth.respondents) {
      const received = truth.byRecipient.get(r.email) ?? [];
      expect(received).toHaveLength(2);
      expect(received.every((m) => m.text.includes(r.roomUrl ?? '?'))).toBe(true);
    }
    expect(new Set(truth.respondents.map((r) => r.roomUrl)).size).toBe(20);
    expect(await world.store.getCampaign(campaignId)).toMatchObject({ status: 'completed', emailed: 20 });
  });
});

describe('invite under faults', () => {
  let world: World;
  beforeAll(async () => {
    world = await createWorld({ sesThrottle: 0.3, maxReceiveCount: 100, lockLeaseMs: 500 });
  });
  afterAll(() => world.close());

  it('(e) API 429/500/503 and SES throttling are retried: nothing lost, nothing doubled', async () => {
    // Prepare
    world.standin.setFaults({ p429: 0.3, p500: 0.2, p503: 0.1, seed: 7 });
    const roomsBefore = world.standin.rooms().length;
    const campaignId = await ingestCampaign(world, 'faults', 250);

    // Act
    const { failures } = await world.drain(undefined, { maxRounds: 400 });

    // Assert
    const stats = world.standin.stats();
    expect(
      stats.faultsInjected['429'] + stats.faultsInjected['500'] + stats.faultsInjected['503'],
    ).toBeGreaterThan(0);
    expect(failures).toBeGreaterThan(0);
    const truth = await expectExactlyOnce(world, campaignId, 250);
    expect(world.standin.rooms()).toHaveLength(250);
    expectNoLostRoom(world, truth, roomsBefore);
  });
});

describe('dead-letter queue', () => {
  let world: World;
  beforeAll(async () => {
    world = await createWorld({ maxReceiveCount: 3 });
  });
  afterAll(() => world.close());

  it('(f) a poison message lands in the DLQ after maxReceiveCount and the campaign record shows it', async () => {
    // Prepare: a project the API does not know → every create fails (404); plus an unreadable message.
    const campaignId = await ingestCampaign(
      world,
      'poison',
      15,
      { projectId: '0badc0de-0000-4000-8000-000000000000' },
      'en',
    );
    await world.clients.sqs.send(
      new SendMessageCommand({ QueueUrl: world.queueUrl, MessageBody: 'garbage' }),
    );

    // Act
    const { failures } = await world.drain();

    // Assert
    expect(failures).toBe(6); // 2 messages × 3 receives
    const dead = await receiveAll(world.clients.sqs, world.dlqUrl);
    expect(dead).toHaveLength(2);
    expect(dead).toContain('garbage');
    const campaign = await world.store.getCampaign(campaignId);
    expect(campaign).toMatchObject({ status: 'completed', deadLettered: 15, failed: 15, emailed: 0 });
    const report = await world.report(campaignId);
    expect(report.every((r) => r.status === 'failed' && r.reason.startsWith('dead-lettered: '))).toBe(true);
    expect(await world.emails()).toHaveLength(0);
  });

  it('(f) a batch whose last receive died before recording is recorded by the dead-letter handler', async () => {
    // Prepare: a campaign whose only message skips the invite side and sits in the DLQ (as after a crash).
    const campaignId = await ingestCampaign(world, 'dlq-crash', 4, undefined, 'en');
    const event = await world.receiveEvent();
    const record = event.Records[0];
    if (!record) throw new Error('no record');
    await world.clients.sqs.send(
      new SendMessageCommand({ QueueUrl: world.dlqUrl, MessageBody: record.body }),
    );
    await world.drain(async () => ({ batchItemFailures: [] })); // drops the original copy

    // Act: the DLQ handler runs on it, twice (at-least-once there too).
    const received = await world.clients.sqs.send(
      new ReceiveMessageCommand({ QueueUrl: world.dlqUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }),
    );
    const dlqEvent = { Records: (received.Messages ?? []).map((m) => sqsRecordOf(m, world.dlqUrl)) };
    const first = await world.deadLetter(dlqEvent);
    const second = await world.deadLetter(dlqEvent);

    // Assert
    expect([...first.batchItemFailures, ...second.batchItemFailures]).toEqual([]);
    expect(await world.store.getCampaign(campaignId)).toMatchObject({
      status: 'completed',
      deadLettered: 4,
      failed: 4,
      batchesDone: 1,
    });
  });
});
