import {
  ChangeMessageVisibilityCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
} from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InviteHandler } from '#functions/invite/app.ts';
import { ENV } from '#shared/config.ts';
import type { InviteMailer } from '#shared/invite/index.ts';
import { emulatorEndpoints } from '#test/support/aws.ts';
import { createWorld, ingestCampaign, receiveAll, sesThrottled, sqsRecordOf, type World } from './support.ts';

/** An invite handler whose every SendBulkEmail call fails as a whole, as SES throttling does. */
const throttledInvite = (world: World): InviteHandler =>
  world.inviteWith({
    kill: { dead: false },
    mailer: (): InviteMailer => ({
      sendBulk: async () => {
        throw sesThrottled();
      },
    }),
  });

describe('whole-call SES failure (findings 1)', () => {
  let world: World;
  beforeAll(async () => {
    world = await createWorld({ maxReceiveCount: 3 });
  });
  afterAll(() => world.close());

  it('hands the respondents back to room_assigned, so the redelivery sends to them at once', async () => {
    // Prepare: one batch of 6; its first receive meets a throttled SES.
    const campaignId = await ingestCampaign(world, 'ses-throttled', 6, undefined, 'en');
    const event = await world.receiveEvent();
    const record = event.Records[0];
    if (!record) throw new Error('no record');

    // Act: the throttled receive, then an immediate redelivery (well inside the send lease).
    const first = await throttledInvite(world)(event);
    const afterFirst = await world.store.listRespondents(campaignId);
    await world.clients.sqs.send(
      new ChangeMessageVisibilityCommand({
        QueueUrl: world.queueUrl,
        ReceiptHandle: record.receiptHandle,
        VisibilityTimeout: 0,
      }),
    );
    const { failures } = await world.drain();

    // Assert
    expect(first.batchItemFailures).toHaveLength(1);
    expect(afterFirst.map((r) => r.state)).toEqual(Array(6).fill('room_assigned'));
    expect(afterFirst.every((r) => r.sendAttempt === undefined && r.roomUrl)).toBe(true);
    expect(failures).toBe(0);
    const respondents = await world.store.listRespondents(campaignId);
    expect(respondents.every((r) => r.state === 'emailed')).toBe(true);
    const emails = (await world.emails()).filter((e) => e.to.includes('ses-throttled.'));
    expect(emails).toHaveLength(6);
    expect(await world.store.getCampaign(campaignId)).toMatchObject({ status: 'completed', emailed: 6 });
  });

  it('leaves a respondent taken over from a crashed attempt in `sending` (it may have been emailed)', async () => {
    // Prepare: an attempt whose SES call went out, then the invocation died before recording it.
    const campaignId = await ingestCampaign(world, 'ses-window', 3, undefined, 'en');
    const event = await world.receiveEvent();
    const record = event.Records[0];
    if (!record) throw new Error('no record');
    const kill = { dead: false };
    const crashing = world.inviteWith({
      kill,
      mailer: (real): InviteMailer => ({
        sendBulk: async (email) => {
          const outcomes = await real.sendBulk(email);
          kill.dead = true;
          return outcomes;
        },
      }),
    });
    await crashing(event).catch(() => undefined);
    await new Promise((resolve) => setTimeout(resolve, 700)); // the crashed attempt's send lease runs out

    // Act: the redelivery takes them over and meets a throttled SES.
    const response = await throttledInvite(world)(event);

    // Assert: still `sending` (so a dead-lettering keeps their rooms), lease ended for an immediate resend.
    expect(response.batchItemFailures).toHaveLength(1);
    const respondents = await world.store.listRespondents(campaignId);
    expect(respondents.map((r) => r.state)).toEqual(['sending', 'sending', 'sending']);
    expect(respondents.every((r) => r.sendingUntil === 0)).toBe(true);
    await world.clients.sqs.send(
      new ChangeMessageVisibilityCommand({
        QueueUrl: world.queueUrl,
        ReceiptHandle: record.receiptHandle,
        VisibilityTimeout: 0,
      }),
    );
    expect((await world.drain()).failures).toBe(0);
  });

  it('dead-letters a batch whose every send failed as a whole with its rooms cancelled', async () => {
    // Prepare: one batch of 2; SES fails every call as a whole.
    const roomsBefore = world.standin.rooms().length;
    const campaignId = await ingestCampaign(world, 'ses-down', 2, undefined, 'en');

    // Act: every allowed receive fails.
    const { failures } = await world.drain(throttledInvite(world));

    // Assert: dead-lettered as "room unsent", rooms cancelled, campaign complete.
    expect(failures).toBe(3);
    expect(await receiveAll(world.clients.sqs, world.dlqUrl)).toHaveLength(1);
    const respondents = await world.store.listRespondents(campaignId);
    expect(respondents).toHaveLength(2);
    for (const r of respondents) {
      expect(r).toMatchObject({ state: 'failed', roomUnsent: true, roomCancelled: true });
      expect(r.reason).toMatch(/^dead-lettered: /);
    }
    const made = world.standin.rooms().slice(roomsBefore);
    expect(made).toHaveLength(2);
    expect(made.every((room) => room.status === 'cancelled')).toBe(true);
    expect(await world.store.getCampaign(campaignId)).toMatchObject({
      status: 'completed',
      deadLettered: 2,
      failed: 2,
    });
  });
});

describe('dead-letter Lambda entry (finding 2)', () => {
  let world: World;
  const saved = { ...process.env };
  beforeAll(async () => {
    world = await createWorld({ maxReceiveCount: 3 });
  });
  afterAll(async () => {
    process.env = saved;
    await world.close();
  });

  it('functions/deadletter/handler.ts records a batch whose last receive died', async () => {
    // Prepare: the batch message sits in the DLQ unrecorded (as after a crash on the last receive); the
    // Lambda environment points the default clients at the emulators.
    const campaignId = await ingestCampaign(world, 'dlq-entry', 3, undefined, 'en');
    const event = await world.receiveEvent();
    const body = event.Records[0]?.body ?? '';
    await world.clients.sqs.send(new SendMessageCommand({ QueueUrl: world.dlqUrl, MessageBody: body }));
    await world.drain(async () => ({ batchItemFailures: [] })); // drops the original copy
    const endpoints = emulatorEndpoints();
    Object.assign(process.env, {
      AWS_REGION: endpoints.region,
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
      AWS_ENDPOINT_URL_DYNAMODB: endpoints.dynamo,
      AWS_ENDPOINT_URL_SESV2: endpoints.ses,
      [ENV.tableName]: world.tableName,
      [ENV.aseedBaseUrl]: world.standin.baseUrl,
      [ENV.aseedTokenSecretArn]: 'arn:aws:secretsmanager:us-east-1:000000000000:secret:unused',
      [ENV.sesSendRatePerSecond]: '10',
      [ENV.inviteMaxReceiveCount]: '3',
    });
    const received = await world.clients.sqs.send(
      new ReceiveMessageCommand({ QueueUrl: world.dlqUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }),
    );
    const dlqEvent: SQSEvent = {
      Records: (received.Messages ?? []).map((m) => sqsRecordOf(m, world.dlqUrl)),
    };

    // Act
    const { handler } = (await import('#functions/deadletter/handler.ts')) as {
      handler: (event: SQSEvent) => Promise<SQSBatchResponse>;
    };
    const response = await handler(dlqEvent);

    // Assert
    expect(dlqEvent.Records).toHaveLength(1);
    expect(response.batchItemFailures).toEqual([]);
    expect(await world.store.getCampaign(campaignId)).toMatchObject({
      status: 'completed',
      deadLettered: 3,
      failed: 3,
    });
  });
});
