import { GetItemCommand, PutItemCommand, QueryCommand as RawQueryCommand } from '@aws-sdk/client-dynamodb';
import { SendEmailCommand, TooManyRequestsException } from '@aws-sdk/client-sesv2';
import { CreateQueueCommand, ReceiveMessageCommand, SendMessageBatchCommand } from '@aws-sdk/client-sqs';
import { PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { S3Event, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { afterAll, describe, expect, it } from 'vitest';
import { makeDocClient, makeDynamoClient } from '#local/aws.ts';
import { runLocalCampaign } from '#local/campaign.ts';
import { throttledSes } from '#local/runtime/faults.ts';
import {
  containerPool,
  crashableClient,
  crashableObject,
  installCrashPoints,
  invoke,
  makeLambdaContext,
  SimulatedCrash,
  seededRandom,
} from '#local/runtime/lambda.ts';
import { createLocalResources, type LocalResources } from '#local/runtime/resources.ts';
import { createS3Bridge, decodeS3EventKey } from '#local/runtime/s3-bridge.ts';
import { createSqsPoller, type SqsPollerOptions } from '#local/runtime/sqs-poller.ts';
import { emulatorEndpoints, testClients, uniqueName } from '#test/support/aws.ts';

const clients = testClients();
afterAll(() => clients.destroy());

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Fresh resources with a 2 s visibility timeout (short, yet long enough that a loaded CI machine does not
 * redeliver a batch still being handled) and 3 receives before the DLQ.
 */
const resources = () =>
  createLocalResources(clients, {
    prefix: uniqueName('rt'),
    overrides: { visibilityTimeoutSeconds: 2, maxReceiveCount: 3 },
  });

const sendBodies = async (queueUrl: string, bodies: string[]) => {
  await clients.sqs.send(
    new SendMessageBatchCommand({
      QueueUrl: queueUrl,
      Entries: bodies.map((body, i) => ({ Id: String(i), MessageBody: body })),
    }),
  );
};

/** A dummy SQS handler that records every delivery (body → receive counts seen). */
const recorder = () => {
  const deliveries = new Map<string, string[]>();
  const invocations: string[][] = [];
  const record = (event: SQSEvent) => {
    invocations.push(event.Records.map((r) => r.body));
    for (const r of event.Records) {
      deliveries.set(r.body, [...(deliveries.get(r.body) ?? []), r.attributes.ApproximateReceiveCount]);
    }
  };
  return { deliveries, invocations, record };
};

const poller = (
  res: LocalResources,
  handler: SqsPollerOptions['handler'],
  extra: Partial<SqsPollerOptions> = {},
) =>
  createSqsPoller({
    sqs: clients.sqs,
    queueUrl: res.queueUrl,
    handler,
    batchSize: res.definitions.inviteQueue.batchSize,
    maxConcurrency: 1,
    timeoutMs: 2000,
    ...extra,
  });

const receiveAll = async (queueUrl: string) =>
  (await clients.sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10 })))
    .Messages ?? [];

// Each test owns its queues, so they run concurrently: most of their time is spent waiting out visibility timeouts.
describe.concurrent('SQS poller (Lambda event source semantics)', () => {
  it('hands the function a genuine SQSEvent and deletes a batch that succeeded', async () => {
    // Prepare
    const res = await resources();
    await sendBodies(res.queueUrl, ['a', 'b']);
    const events: SQSEvent[] = [];

    // Act
    const stats = await poller(res, async (event) => {
      events.push(event);
    }).drain();

    // Assert
    expect(stats).toMatchObject({ drained: true, messagesDeleted: 2, messagesFailed: 0 });
    const record = events[0]?.Records[0];
    expect(record).toMatchObject({
      eventSource: 'aws:sqs',
      eventSourceARN: res.queueArn,
      awsRegion: 'us-east-1',
      body: 'a',
      attributes: { ApproximateReceiveCount: '1' },
    });
    expect(record?.receiptHandle).toBeTruthy();
    expect(record?.md5OfBody).toMatch(/^[0-9a-f]{32}$/);
  });

  it('redelivers only the messages named in batchItemFailures', async () => {
    // Prepare
    const res = await resources();
    await sendBodies(res.queueUrl, ['m0', 'm1', 'm2', 'm3', 'm4']);
    const { deliveries, record } = recorder();
    const handler = async (event: SQSEvent): Promise<SQSBatchResponse> => {
      record(event);
      const failFirstTime = event.Records.filter(
        (r) => (r.body === 'm1' || r.body === 'm3') && r.attributes.ApproximateReceiveCount === '1',
      );
      return { batchItemFailures: failFirstTime.map((r) => ({ itemIdentifier: r.messageId })) };
    };

    // Act
    const stats = await poller(res, handler).drain();

    // Assert
    expect(stats.drained).toBe(true);
    expect(Object.fromEntries(deliveries)).toEqual({
      m0: ['1'],
      m1: ['1', '2'],
      m2: ['1'],
      m3: ['1', '2'],
      m4: ['1'],
    });
    expect(stats).toMatchObject({ partialFailures: 1, messagesFailed: 2, messagesDeleted: 5 });
  });

  it('redelivers the whole batch when the function throws', async () => {
    // Prepare
    const res = await resources();
    await sendBodies(res.queueUrl, ['x', 'y', 'z']);
    const { deliveries, invocations, record } = recorder();
    const handler = async (event: SQSEvent) => {
      record(event);
      if (invocations.length === 1) throw new Error('downstream unavailable');
    };

    // Act
    const stats = await poller(res, handler).drain();

    // Assert
    expect(stats).toMatchObject({ drained: true, errors: 1, messagesDeleted: 3 });
    expect(Object.fromEntries(deliveries)).toEqual({ x: ['1', '2'], y: ['1', '2'], z: ['1', '2'] });
  });

  it('treats an unknown itemIdentifier as a failure of the whole batch, as Lambda does', async () => {
    // Prepare
    const res = await resources();
    await sendBodies(res.queueUrl, ['p', 'q']);
    const { deliveries, invocations, record } = recorder();
    const handler = async (event: SQSEvent): Promise<SQSBatchResponse> => {
      record(event);
      return { batchItemFailures: invocations.length === 1 ? [{ itemIdentifier: 'no-such-id' }] : [] };
    };

    // Act
    const stats = await poller(res, handler).drain();

    // Assert
    expect(stats.invalidResponses).toBe(1);
    expect(Object.fromEntries(deliveries)).toEqual({ p: ['1', '2'], q: ['1', '2'] });
  });

  it('moves a message that keeps failing to the DLQ after maxReceiveCount deliveries (queue RedrivePolicy)', async () => {
    // Prepare
    const res = await resources();
    await sendBodies(res.queueUrl, ['good', 'poison']);
    const { deliveries, record } = recorder();
    const handler = async (event: SQSEvent): Promise<SQSBatchResponse> => {
      record(event);
      return {
        batchItemFailures: event.Records.filter((r) => r.body === 'poison').map((r) => ({
          itemIdentifier: r.messageId,
        })),
      };
    };

    // Act
    const stats = await poller(res, handler).drain();
    const dead = await receiveAll(res.dlqUrl);

    // Assert
    expect(stats.drained).toBe(true);
    expect(deliveries.get('poison')).toEqual(['1', '2', '3']);
    expect(deliveries.get('good')).toEqual(['1']);
    expect(dead.map((m) => m.Body)).toEqual(['poison']);
  });

  it('can redrive itself for a queue without a RedrivePolicy', async () => {
    // Prepare
    const res = await resources();
    const plain = await clients.sqs.send(
      new CreateQueueCommand({ QueueName: uniqueName('plain'), Attributes: { VisibilityTimeout: '1' } }),
    );
    const queueUrl = plain.QueueUrl as string;
    await sendBodies(queueUrl, ['poison']);
    const { deliveries, record } = recorder();

    // Act
    const stats = await createSqsPoller({
      sqs: clients.sqs,
      queueUrl,
      maxConcurrency: 1,
      timeoutMs: 1000,
      redrive: { dlqUrl: res.dlqUrl, maxReceiveCount: 2 },
      handler: async (event) => {
        record(event);
        throw new Error('always');
      },
    }).drain();

    // Assert
    expect(deliveries.get('poison')).toEqual(['1', '2']);
    expect(stats.redrivenByPoller).toBe(1);
    expect((await receiveAll(res.dlqUrl)).map((m) => m.Body)).toEqual(['poison']);
  });

  it('abandons an invocation past its timeout: no deletion, and its later side effects never happen', async () => {
    // Prepare
    const res = await resources();
    await sendBodies(res.queueUrl, ['slow']);
    const doc = crashableClient(clients.dynamo);
    let attempt = 0;
    const handler = async (event: SQSEvent) => {
      attempt += 1;
      const mine = attempt;
      // The first invocation outlives its timeout; its write comes after Lambda would have killed it.
      if (mine === 1) await sleep(2500);
      await doc.send(
        new PutItemCommand({
          TableName: res.tableName,
          Item: { pk: { S: event.Records[0]?.body ?? '' }, sk: { S: `attempt#${mine}` } },
        }),
      );
    };

    // Act
    const stats = await poller(res, handler, { timeoutMs: 1000 }).drain();
    const written = await clients.dynamo.send(
      new RawQueryCommand({
        TableName: res.tableName,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': { S: 'slow' } },
      }),
    );

    // Assert
    expect(stats).toMatchObject({ drained: true, messagesDeleted: 1 });
    expect(stats.timeouts).toBeGreaterThanOrEqual(1);
    const attempts = written.Items?.map((item) => item.sk?.S) ?? [];
    expect(attempts).not.toContain('attempt#1');
    expect(attempts).toHaveLength(1);
  });

  it('counts a crash the handler swallowed as a crash: the batch is not deleted', async () => {
    // Prepare
    const res = await resources();
    await sendBodies(res.queueUrl, ['c1', 'c2']);
    const dynamo = crashableClient(clients.dynamo);
    const { deliveries, record } = recorder();
    // Like a batch processor: per-record errors are caught and reported, never rethrown.
    const handler = async (event: SQSEvent): Promise<SQSBatchResponse> => {
      record(event);
      const failures = [];
      for (const r of event.Records) {
        try {
          await dynamo.send(
            new PutItemCommand({
              TableName: res.tableName,
              Item: { pk: { S: r.body }, sk: { S: r.messageId } },
            }),
          );
        } catch (error) {
          if (!(error instanceof SimulatedCrash)) throw error;
          failures.push({ itemIdentifier: r.messageId });
        }
      }
      return { batchItemFailures: failures };
    };
    let calls = 0;

    // Act: the very first call of the run crashes; nothing after.
    const stats = await poller(res, handler, {
      crash: { probability: 1, mode: 'per-call', random: () => (calls++ === 0 ? 0 : 1) },
    }).drain();

    // Assert
    expect(stats.crashes).toBe(1);
    expect(Object.fromEntries(deliveries)).toEqual({ c1: ['1', '2'], c2: ['1', '2'] });
  });

  it('still processes every message at least once under seeded random crashes', async () => {
    // Prepare
    const res = await resources();
    const bodies = Array.from({ length: 20 }, (_, i) => `r${i}`);
    await sendBodies(res.queueUrl, bodies.slice(0, 10));
    await sendBodies(res.queueUrl, bodies.slice(10));
    const dynamo = crashableClient(clients.dynamo);
    const handler = async (event: SQSEvent) => {
      for (const r of event.Records) {
        await dynamo.send(
          new PutItemCommand({ TableName: res.tableName, Item: { pk: { S: r.body }, sk: { S: 'done' } } }),
        );
      }
    };
    const crashes: string[] = [];

    // Act
    const stats = await poller(res, handler, {
      batchSize: 5,
      // One invocation at a time keeps the seeded draws in a fixed order: the run replays exactly.
      maxConcurrency: 1,
      crash: { probability: 0.3, random: seededRandom(7), onCrash: (c) => crashes.push(c.point) },
    }).drain({ timeoutMs: 60_000 });
    const items = await Promise.all(
      bodies.map((body) =>
        clients.dynamo.send(
          new GetItemCommand({ TableName: res.tableName, Key: { pk: { S: body }, sk: { S: 'done' } } }),
        ),
      ),
    );

    // Assert
    expect(stats.drained).toBe(true);
    expect(stats.crashes).toBe(crashes.length);
    expect(stats.crashes).toBeGreaterThan(0);
    expect(items.every((item) => item.Item !== undefined)).toBe(true);
    expect(await receiveAll(res.dlqUrl)).toEqual([]);
  });

  it('refuses a function timeout above the visibility timeout, as Lambda refuses such a mapping', async () => {
    // Prepare
    const res = await resources();

    // Act
    const drained = poller(res, async () => undefined, { timeoutMs: 2001 }).drain();

    // Assert
    await expect(drained).rejects.toThrow(/exceeds the queue's visibility timeout of 2 s/);
  });

  it('runs up to maxConcurrency invocations at once', async () => {
    // Prepare
    const res = await resources();
    await sendBodies(res.queueUrl, ['w1', 'w2', 'w3', 'w4']);
    let running = 0;
    let peak = 0;
    const handler = async () => {
      running += 1;
      peak = Math.max(peak, running);
      await sleep(300);
      running -= 1;
    };

    // Act
    const stats = await poller(res, handler, { batchSize: 1, maxConcurrency: 2 }).drain();

    // Assert
    expect(stats).toMatchObject({ drained: true, invocations: 4, messagesDeleted: 4 });
    expect(peak).toBe(2);
  });
});

describe('fault injection', () => {
  it('throttles SES sends with a genuine TooManyRequestsException and counts every call', async () => {
    // Prepare
    const draws = [0.05, 0.9, 0.9];
    const ses = throttledSes(clients.ses, 0.1, () => draws.shift() ?? 1);
    const send = () =>
      ses.client.send(
        new SendEmailCommand({
          FromEmailAddress: 'research@example.org',
          Destination: { ToAddresses: [`${uniqueName('t')}@example.com`] },
          Content: { Simple: { Subject: { Data: 's' }, Body: { Text: { Data: 't' } } } },
        }),
      );

    // Act
    const first = send();
    await first.catch(() => undefined);
    const second = await send();

    // Assert
    await expect(first).rejects.toBeInstanceOf(TooManyRequestsException);
    await expect(first).rejects.toMatchObject({
      name: 'TooManyRequestsException',
      $metadata: { httpStatusCode: 429 },
    });
    expect(second.MessageId).toBeTruthy();
    expect(ses.calls()).toEqual({ SendEmailCommand: 2 });
    expect(ses.injectedFaults()).toBe(1);
  });

  it('makes the methods of an object with #private fields crashable, leaving it usable outside invocations', async () => {
    // Prepare
    class Api {
      readonly #created: string[] = [];
      async createRooms(n: number) {
        for (let i = 0; i < n; i += 1) this.#created.push(`room${this.#created.length}`);
        return this.#created.length;
      }
      created() {
        return [...this.#created];
      }
    }
    const real = new Api();
    const api = crashableObject(real, ['createRooms']);
    const handler = async () => api.createRooms(2);

    // Act: the only draw says "crash", and the first crash point is after the call.
    const crashed = await invoke(
      handler,
      {},
      {
        functionName: 'f',
        timeoutMs: 1000,
        crash: {
          probability: 1,
          mode: 'per-call',
          random: (() => {
            const d = [1, 0];
            return () => d.shift() ?? 1;
          })(),
        },
      },
    );
    const outside = await api.createRooms(1);

    // Assert: the rooms of the crashed call exist; nobody got its result.
    expect(crashed).toMatchObject({ kind: 'crash', point: 'after createRooms' });
    expect(outside).toBe(3);
    expect(api.created()).toEqual(['room0', 'room1', 'room2']);
  });

  it('installs crash points in a client so a document client built from it crashes too', async () => {
    // Prepare
    const res = await resources();
    const dynamo = installCrashPoints(makeDynamoClient(emulatorEndpoints().dynamo));
    const doc = makeDocClient(dynamo);
    const put = (sk: string) =>
      doc.send(new PutCommand({ TableName: res.tableName, Item: { pk: 'doc', sk } }));

    // Act
    const crashed = await invoke(
      () => put('inside'),
      {},
      {
        functionName: 'f',
        timeoutMs: 1000,
        crash: { probability: 1, mode: 'per-call', random: () => 0 },
      },
    );
    await put('outside');
    const stored = await doc.send(
      new QueryCommand({
        TableName: res.tableName,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': 'doc' },
      }),
    );
    dynamo.destroy();

    // Assert
    expect(crashed).toMatchObject({ kind: 'crash', point: 'before PutItemCommand' });
    expect(stored.Items?.map((item) => item.sk)).toEqual(['outside']);
  });

  it('kills an invocation after a call really happened (crash after side effect)', async () => {
    // Prepare
    const res = await resources();
    await sendBodies(res.queueUrl, ['after']);
    const dynamo = crashableClient(clients.dynamo);
    // Per-call draws, < 0.5 crashes: the first PutItem passes 'before' (1) and crashes 'after' (0).
    const draws = [1, 0];
    let writes = 0;
    const handler = async (event: SQSEvent) => {
      for (const r of event.Records) {
        await dynamo.send(
          new PutItemCommand({
            TableName: res.tableName,
            Item: { pk: { S: r.body }, sk: { S: `w${++writes}` } },
          }),
        );
      }
    };

    // Act
    const stats = await poller(res, handler, {
      crash: { probability: 0.5, mode: 'per-call', random: () => draws.shift() ?? 0.99 },
    }).drain();
    const written = await clients.dynamo.send(
      new RawQueryCommand({
        TableName: res.tableName,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': { S: 'after' } },
      }),
    );

    // Assert: the write of the crashed invocation stuck, and the redelivery wrote again.
    expect(stats.crashes).toBe(1);
    expect(written.Items?.map((item) => item.sk?.S).sort()).toEqual(['w1', 'w2']);
  });
});

describe('S3 → ingest bridge', () => {
  it('delivers a genuine ObjectCreated:Put event for a matching upload, duplicated on request', async () => {
    // Prepare
    const res = await resources();
    const events: S3Event[] = [];
    const bridge = createS3Bridge({
      s3: clients.s3,
      bucket: res.bucketName,
      prefix: res.definitions.uploads.prefix,
      suffix: res.definitions.uploads.csvSuffix,
      duplicates: 2,
      handler: async (event) => {
        events.push(event);
      },
    });
    const key = `${res.definitions.uploads.prefix}spring wave+1.csv`;

    // Act
    const report = await bridge.putObject({ Key: key, Body: 'email\nanna@example.com\n' });
    await bridge.putObject({ Key: `${res.definitions.uploads.prefix}spring.settings.json`, Body: '{}' });
    await bridge.putObject({ Key: 'elsewhere/x.csv', Body: 'email\n' });

    // Assert
    expect(events).toHaveLength(3);
    expect(events[1]).toEqual(events[0]);
    expect(events[2]).toEqual(events[0]);
    const record = events[0]?.Records[0];
    expect(record).toMatchObject({
      eventSource: 'aws:s3',
      eventName: 'ObjectCreated:Put',
      awsRegion: 'us-east-1',
      s3: {
        bucket: { name: res.bucketName, arn: `arn:aws:s3:::${res.bucketName}` },
        object: { key: 'campaigns/spring+wave%2B1.csv', size: 23 },
      },
    });
    expect(decodeS3EventKey(record?.s3.object.key ?? '')).toBe(key);
    expect(record?.s3.object.eTag).toMatch(/^[0-9a-f]{32}$/);
    expect(report.deliveries.every((d) => d.succeeded)).toBe(true);
    expect(bridge.reports().map((r) => r.matched)).toEqual([true, false, false]);
  });

  it('retries a failed delivery like an asynchronous Lambda invocation and gives a re-upload a new sequencer', async () => {
    // Prepare
    const res = await resources();
    const sequencers: string[] = [];
    let calls = 0;
    const bridge = createS3Bridge({
      s3: clients.s3,
      bucket: res.bucketName,
      prefix: res.definitions.uploads.prefix,
      suffix: res.definitions.uploads.csvSuffix,
      handler: async (event) => {
        calls += 1;
        sequencers.push(event.Records[0]?.s3.object.sequencer ?? '');
        if (calls === 1) throw new Error('transient');
      },
    });
    const key = `${res.definitions.uploads.prefix}c.csv`;

    // Act
    const first = await bridge.putObject({ Key: key, Body: 'email\n' });
    await bridge.putObject({ Key: key, Body: 'email\n' });

    // Assert
    expect(first.deliveries[0]?.attempts.map((a) => a.kind)).toEqual(['error', 'ok']);
    expect(sequencers[0]).toBe(sequencers[1]);
    expect((sequencers[2] ?? '') > (sequencers[1] ?? '')).toBe(true);
  });
});

describe('runLocalCampaign timings', () => {
  it('refuses a function timeout too short to take the create lock and make one create call', async () => {
    // Act: a real API's 10 s Aseed timeout needs a 11 s lock lease plus the call itself.
    const run = runLocalCampaign({
      csv: { name: 'short.csv', body: 'email\na@example.com\n' },
      emulators: emulatorEndpoints(),
      api: { url: 'http://127.0.0.1:9', token: 'unused' },
      timings: { visibilityTimeoutSeconds: 10 },
    });

    // Assert
    await expect(run).rejects.toThrow(/visibility timeout 10 s is too short .* at least 21 s/);
  });

  it('hands each concurrent invocation its own handler instance, reusing idle ones', async () => {
    // Prepare
    let created = 0;
    const active = new Set<number>();
    const handler = containerPool(() => {
      const id = created++;
      return async (ms: number) => {
        expect(active.has(id)).toBe(false);
        active.add(id);
        await new Promise((resolve) => setTimeout(resolve, ms));
        active.delete(id);
        return id;
      };
    });
    const context = makeLambdaContext('pool', 'id', Date.now() + 1000);

    // Act
    const together = await Promise.all([handler(30, context), handler(30, context), handler(30, context)]);
    const later = await handler(1, context);

    // Assert
    expect(new Set(together).size).toBe(3);
    expect(created).toBe(3);
    expect(together).toContain(later);
  });
});
