import { CreateTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import type { SESv2Client } from '@aws-sdk/client-sesv2';
import {
  ChangeMessageVisibilityCommand,
  CreateQueueCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  type Message,
  ReceiveMessageCommand,
  SendMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { S3Event, SQSEvent, SQSRecord } from 'aws-lambda';
import { createIngestHandler } from '#functions/ingest/app.ts';
import { createDeadLetterHandler, createInviteHandler, type InviteHandler } from '#functions/invite/app.ts';
import {
  type AwsClients,
  makeAwsClients,
  makeDocClient,
  makeDynamoClient,
  readSesStore,
} from '#local/aws.ts';
import { tableInput } from '#local/runtime/resources.ts';
import { buildSqsEvent } from '#local/runtime/sqs-poller.ts';
import { type Standin, type StandinFaults, startStandin } from '#local/standin/server.ts';
import { AseedClient } from '#shared/aseed/client.ts';
import type { Pacer } from '#shared/campaign/pacer.ts';
import type { InviteAseed, InviteDeps, InviteMailer } from '#shared/invite/index.ts';
import { classifySesError, Mailer } from '#shared/mail/mailer.ts';
import { createDynamoStore } from '#shared/store/dynamo/index.ts';
import { queryPrefix, tableOf } from '#shared/store/dynamo/table.ts';
import type { Store } from '#shared/store/ports.ts';
import { readReport } from '#shared/store/report.ts';
import type { ReportRow } from '#shared/store/types.ts';
import { emulatorEndpoints, uniqueName } from '#test/support/aws.ts';

/** Thrown by a killed invocation's clients: the test's stand-in for a Lambda dying mid-flight. */
export class Crash extends Error {
  override name = 'Crash';
}

/** A kill switch shared by one invocation's clients: once dead, every call throws Crash. */
export interface KillSwitch {
  dead: boolean;
}

/** Counts of calls that reached the emulators. */
export interface CallCounts {
  dynamoWriteRequests: number;
  dynamoWriteItems: number;
  dynamoReads: number;
  sesCalls: number;
}

const WRITE_COMMANDS = new Set([
  'PutItemCommand',
  'UpdateItemCommand',
  'DeleteItemCommand',
  'PutCommand',
  'UpdateCommand',
  'DeleteCommand',
]);

/** Counts DynamoDB requests (and written items) through a middleware; `kill` makes every call crash. */
const instrumentDynamo = (
  client: DynamoDBClient,
  counts: CallCounts,
  kill: KillSwitch,
  onWrite?: (name: string, input: Record<string, unknown>) => void,
) => {
  client.middlewareStack.add(
    (next, context) => async (args) => {
      if (kill.dead) throw new Crash('invocation is dead');
      const name = context.commandName ?? '';
      const input = args.input as Record<string, unknown>;
      if (WRITE_COMMANDS.has(name)) {
        counts.dynamoWriteRequests++;
        counts.dynamoWriteItems++;
        onWrite?.(name, input);
      } else if (name.startsWith('BatchWrite')) {
        counts.dynamoWriteRequests++;
        const requests = Object.values((input.RequestItems ?? {}) as Record<string, unknown[]>);
        counts.dynamoWriteItems += requests.reduce((sum, list) => sum + list.length, 0);
        onWrite?.(name, input);
      } else counts.dynamoReads++;
      if (kill.dead) throw new Crash('invocation died before the call');
      const result = await next(args);
      if (kill.dead) throw new Crash('invocation died after the call');
      return result;
    },
    { step: 'initialize', name: 'pipelineTestCounter' },
  );
};

/** Counts SES calls; `throttle()` decides per call whether SES answers with a throttling error. */
const instrumentSes = (client: SESv2Client, counts: CallCounts, throttle: () => boolean) => {
  client.middlewareStack.add(
    (next) => async (args) => {
      counts.sesCalls++;
      if (throttle()) {
        const error = new Error('Maximum sending rate exceeded.') as Error & { $metadata: unknown };
        error.name = 'TooManyRequestsException';
        error.$metadata = { httpStatusCode: 429 };
        throw error;
      }
      return next(args);
    },
    { step: 'initialize', name: 'pipelineTestSes' },
  );
};

/** Options of {@link createWorld}. */
export interface WorldOptions {
  dynamoEndpoint?: string;
  maxReceiveCount?: number;
  faults?: StandinFaults;
  /** Probability that an SES call is throttled. */
  sesThrottle?: number;
  lockLeaseMs?: number;
  ingestLeaseMs?: number;
}

/** Everything a pipeline test needs: emulators, stand-in, resources, handlers, ground truth. */
export interface World {
  clients: AwsClients;
  standin: Standin;
  store: Store;
  tableName: string;
  bucket: string;
  queueUrl: string;
  dlqUrl: string;
  /** Unique recipient domain: the SES store is shared, this test's mail is found by it. */
  domain: string;
  counts: CallCounts;
  maxReceiveCount: number;
  campaignDefaults: Record<string, unknown>;
  ingest: ReturnType<typeof createIngestHandler>;
  invite: InviteHandler;
  /** The handler for the dead-letter queue. */
  deadLetter: InviteHandler;
  /** An invite handler whose clients share `kill` and whose Aseed/mailer calls can be intercepted. */
  inviteWith(options: {
    kill: KillSwitch;
    aseed?: (real: InviteAseed) => InviteAseed;
    mailer?: (real: InviteMailer) => InviteMailer;
    onWrite?: (name: string, input: Record<string, unknown>) => void;
    /** Send lease of this handler (default 500 ms); must outlast its slowest send. */
    sendLeaseMs?: number;
    /** Give the handler a `requeue` that sends to this world's queue (as the deployed handler has). */
    requeue?: boolean;
    /** SES pacing of this handler (default: the shared schedule at 100,000/s). */
    pacer?: Pacer;
  }): InviteHandler;
  /** An ingest handler whose DynamoDB/SQS clients share `kill`. */
  ingestWith(options: {
    kill: KillSwitch;
    onWrite?: (name: string, input: Record<string, unknown>) => void;
  }): ReturnType<typeof createIngestHandler>;
  upload(key: string, body: string | Uint8Array, settings?: unknown): Promise<{ etag: string }>;
  /** The campaign's report rows, as every reader maps them. */
  report(campaignId: string): Promise<ReportRow[]>;
  /** Raw items of a partition whose sort key starts with `prefix` (to look at storage shapes). */
  queryItems<T>(pk: string, prefix: string): Promise<T[]>;
  s3Event(key: string, etag: string): S3Event;
  /** Polls the queue like Lambda's event source until it is empty (or `maxRounds`). */
  drain(
    handler?: InviteHandler,
    options?: { maxRounds?: number },
  ): Promise<{ rounds: number; failures: number }>;
  /** One receive of up to 10 messages as a genuine SQS event (not deleted). */
  receiveEvent(): Promise<SQSEvent>;
  /** Emails the SES emulator got for this world's domain. */
  emails(): Promise<Array<{ to: string; subject: string; text: string; html: string }>>;
  close(): Promise<void>;
}

/**
 * A CSV with `n` valid respondents at `domain` (plus optional extra lines appended). Languages alternate
 * (every third `ru`) unless `language` fixes one for all rows (then the rows form a single batch per 100).
 */
export const makeCsv = (n: number, domain: string, extra: string[] = [], language?: string): string => {
  const lines = ['email,name,language,team'];
  for (let i = 0; i < n; i++) {
    lines.push(`person${i}@${domain},Person ${i},${language ?? (i % 3 === 0 ? 'ru' : 'en')},t${i % 5}`);
  }
  return `${[...lines, ...extra].join('\n')}\n`;
};

/** The error the Mailer raises when SES refuses a whole call for the send rate (HTTP 429). */
export const sesThrottled = () =>
  classifySesError({
    name: 'TooManyRequestsException',
    message: 'Maximum sending rate exceeded.',
    $metadata: { httpStatusCode: 429 },
  });

/**
 * Uploads `n` respondents (`language` for all, else alternating: see makeCsv) with an optional settings
 * object, runs the ingest and returns the campaign id.
 */
export const ingestCampaign = async (
  world: World,
  name: string,
  n: number,
  settings?: unknown,
  language?: string,
): Promise<string> => {
  const key = `campaigns/${name}.csv`;
  const { etag } = await world.upload(key, makeCsv(n, `${name}.${world.domain}`, [], language), settings);
  const [result] = await world.ingest(world.s3Event(key, etag));
  return result?.campaignId ?? '';
};

/** Builds a world: own table, bucket, queues and stand-in; shared emulators from the global setup. */
export const createWorld = async (options: WorldOptions = {}): Promise<World> => {
  const endpoints = emulatorEndpoints();
  const clients = makeAwsClients(
    endpoints,
    options.dynamoEndpoint ? { dynamoEndpoint: options.dynamoEndpoint } : {},
  );
  const counts: CallCounts = { dynamoWriteRequests: 0, dynamoWriteItems: 0, dynamoReads: 0, sesCalls: 0 };
  const alive: KillSwitch = { dead: false };
  instrumentDynamo(clients.dynamo, counts, alive);
  const throttle = options.sesThrottle ?? 0;
  instrumentSes(clients.ses, counts, () => Math.random() < throttle);
  const tableName = uniqueName('table');
  await clients.dynamo.send(new CreateTableCommand(tableInput(tableName)));

  const bucket = uniqueName('bucket');
  await clients.s3.send(new CreateBucketCommand({ Bucket: bucket }));
  const maxReceiveCount = options.maxReceiveCount ?? 20;
  const dlq = await clients.sqs.send(new CreateQueueCommand({ QueueName: uniqueName('dlq') }));
  const dlqArn = await clients.sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: dlq.QueueUrl, AttributeNames: ['QueueArn'] }),
  );
  const queue = await clients.sqs.send(
    new CreateQueueCommand({
      QueueName: uniqueName('queue'),
      Attributes: {
        VisibilityTimeout: '30',
        RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn.Attributes?.QueueArn, maxReceiveCount }),
      },
    }),
  );
  const queueUrl = queue.QueueUrl ?? '';
  const dlqUrl = dlq.QueueUrl ?? '';
  const standin = await startStandin({ token: `tok-${uniqueName('t')}`, faults: options.faults ?? {} });
  const domain = `${uniqueName('c')}.example.com`;
  const store = createDynamoStore({ doc: clients.doc, tableName });
  const campaignDefaults = { projectId: standin.projectId, sender: 'Research Team <research@example.com>' };
  const aseed = new AseedClient({ baseUrl: standin.baseUrl, token: standin.token, timeoutMs: 3000 });
  const mailer = new Mailer({ client: clients.ses });
  const inviteBase: InviteDeps & { sendRatePerSecond: number } = {
    store,
    aseed,
    mailer,
    maxReceiveCount,
    lockLeaseMs: options.lockLeaseMs ?? 2000,
    reconcileDelayMs: 10,
    sendLeaseMs: 500,
    sendRatePerSecond: 100_000,
  };
  const ingestBase = {
    s3: clients.s3,
    sqs: clients.sqs,
    store,
    queueUrl,
    campaignDefaults,
    leaseMs: options.ingestLeaseMs ?? 2000,
  };
  const extraClients: Array<{ destroy(): void }> = [];

  const killableStore = (
    kill: KillSwitch,
    onWrite?: (name: string, input: Record<string, unknown>) => void,
  ) => {
    const dynamo = makeDynamoClient(options.dynamoEndpoint ?? endpoints.dynamo, endpoints.region);
    instrumentDynamo(dynamo, counts, kill, onWrite);
    const doc = makeDocClient(dynamo);
    extraClients.push(dynamo, doc);
    return createDynamoStore({ doc, tableName });
  };
  const guard =
    <A extends unknown[], R>(kill: KillSwitch, fn: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      if (kill.dead) throw new Crash('invocation is dead');
      const result = await fn(...args);
      if (kill.dead) throw new Crash('invocation died after the call');
      return result;
    };

  const world: World = {
    clients,
    standin,
    store,
    tableName,
    bucket,
    queueUrl,
    dlqUrl,
    domain,
    counts,
    maxReceiveCount,
    campaignDefaults,
    ingest: createIngestHandler(ingestBase),
    invite: createInviteHandler(inviteBase),
    deadLetter: createDeadLetterHandler(inviteBase),
    inviteWith: ({ kill, aseed: wrapAseed, mailer: wrapMailer, onWrite, sendLeaseMs, requeue, pacer }) => {
      const killableAseed: InviteAseed = {
        createRooms: guard(kill, (req) => aseed.createRooms(req)),
        listRooms: guard(kill, (filter) => aseed.listRooms(filter)),
        deleteRoom: guard(kill, (id) => aseed.deleteRoom(id)),
        updateRoom: guard(kill, (id, patch) => aseed.updateRoom(id, patch)),
      };
      const killableMailer: InviteMailer = { sendBulk: guard(kill, (email) => mailer.sendBulk(email)) };
      return createInviteHandler({
        ...inviteBase,
        store: killableStore(kill, onWrite),
        aseed: wrapAseed ? wrapAseed(killableAseed) : killableAseed,
        mailer: wrapMailer ? wrapMailer(killableMailer) : killableMailer,
        ...(sendLeaseMs ? { sendLeaseMs } : {}),
        ...(pacer ? { pacer } : {}),
        ...(requeue
          ? {
              requeue: guard(kill, async (body: string) => {
                await clients.sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: body }));
              }),
            }
          : {}),
      });
    },
    ingestWith: ({ kill, onWrite }) =>
      createIngestHandler({
        ...ingestBase,
        store: killableStore(kill, onWrite),
        sqs: {
          send: guard(kill, (command: never) => clients.sqs.send(command)),
        } as unknown as SQSClient,
      }),
    upload: async (key, body, settings) => {
      if (settings !== undefined) {
        await clients.s3.send(
          new PutObjectCommand({
            Bucket: bucket,
            Key: key.replace(/\.csv$/, '.settings.json'),
            Body: JSON.stringify(settings),
          }),
        );
      }
      const put = await clients.s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
      return { etag: put.ETag ?? '' };
    },
    report: (campaignId) => readReport(store, campaignId),
    queryItems: <T>(pk: string, prefix: string) =>
      queryPrefix<T>(tableOf({ doc: clients.doc, tableName }), pk, prefix),
    s3Event: (key, etag) => s3EventFor(bucket, key, etag),
    receiveEvent: async () => {
      const received = await clients.sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: queueUrl,
          MaxNumberOfMessages: 10,
          MessageSystemAttributeNames: ['All'],
          WaitTimeSeconds: 0,
        }),
      );
      return { Records: (received.Messages ?? []).map((m) => sqsRecordOf(m, queueUrl)) };
    },
    drain: async (handler, drainOptions = {}) => {
      const maxRounds = drainOptions.maxRounds ?? 200;
      let rounds = 0;
      let failures = 0;
      let empty = 0;
      while (rounds < maxRounds) {
        const event = await world.receiveEvent();
        if (event.Records.length === 0) {
          // fauxqs re-queues expired messages lazily: two empty receives in a row mean drained.
          if (++empty >= 2) break;
          continue;
        }
        empty = 0;
        rounds++;
        let failed = new Set<string>();
        try {
          const response = await (handler ?? world.invite)(event);
          failed = new Set(response.batchItemFailures.map((f) => f.itemIdentifier));
        } catch {
          failed = new Set(event.Records.map((r) => r.messageId));
        }
        failures += failed.size;
        for (const record of event.Records) {
          if (failed.has(record.messageId)) {
            await clients.sqs.send(
              new ChangeMessageVisibilityCommand({
                QueueUrl: queueUrl,
                ReceiptHandle: record.receiptHandle,
                VisibilityTimeout: 0,
              }),
            );
          } else {
            await clients.sqs.send(
              new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: record.receiptHandle }),
            );
          }
        }
      }
      return { rounds, failures };
    },
    emails: async () => {
      const all = await readSesStore(endpoints.ses);
      return all
        .filter((m) => m.to.some((to) => to.endsWith(domain)))
        .map((m) => ({ to: m.to[0] ?? '', subject: m.subject, text: m.text ?? '', html: m.html ?? '' }));
    },
    close: async () => {
      await standin.close();
      for (const client of extraClients) client.destroy();
      clients.destroy();
    },
  };
  return world;
};

/** A genuine S3 ObjectCreated:Put event for one object (key URL-encoded as S3 does). */
export const s3EventFor = (bucket: string, key: string, etag: string): S3Event => ({
  Records: [
    {
      eventVersion: '2.1',
      eventSource: 'aws:s3',
      awsRegion: 'us-east-1',
      eventTime: new Date().toISOString(),
      eventName: 'ObjectCreated:Put',
      userIdentity: { principalId: 'AWS:TEST' },
      requestParameters: { sourceIPAddress: '127.0.0.1' },
      responseElements: { 'x-amz-request-id': 'TEST', 'x-amz-id-2': 'TEST' },
      s3: {
        s3SchemaVersion: '1.0',
        configurationId: 'campaign-upload',
        bucket: { name: bucket, ownerIdentity: { principalId: 'TEST' }, arn: `arn:aws:s3:::${bucket}` },
        object: {
          key: encodeURIComponent(key).replace(/%2F/g, '/').replace(/%20/g, '+'),
          size: 1,
          eTag: etag.replace(/"/g, ''),
          sequencer: '0',
        },
      },
    },
  ],
});

/** A genuine SQS record from a received message (built by the local runtime's event builder). */
export const sqsRecordOf = (message: Message, queueUrl: string): SQSRecord => {
  const queueArn = `arn:aws:sqs:us-east-1:000000000000:${queueUrl.split('/').pop() ?? ''}`;
  const [record] = buildSqsEvent([message], queueArn).Records;
  if (!record) throw new Error('buildSqsEvent returned no record');
  return record;
};

/** Messages waiting in a queue (visible ones; the DLQ in tests). */
export const receiveAll = async (sqs: SQSClient, queueUrl: string): Promise<string[]> => {
  const bodies: string[] = [];
  for (let i = 0; i < 20; i++) {
    const received = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }),
    );
    if (!received.Messages?.length) break;
    bodies.push(...received.Messages.map((m) => m.Body ?? ''));
  }
  return bodies;
};

/** Ground-truth checks shared by the guarantee tests. */
export const groundTruth = async (world: World, campaignId: string) => {
  const respondents = await world.store.listRespondents(campaignId);
  // Only this campaign's recipients: other tests of the same world share the domain.
  const recipients = new Set(respondents.map((r) => r.email));
  const emails = (await world.emails()).filter((email) => recipients.has(email.to));
  const rooms = world.standin.rooms();
  const byRecipient = new Map<string, typeof emails>();
  for (const email of emails) byRecipient.set(email.to, [...(byRecipient.get(email.to) ?? []), email]);
  const urlOwners = new Map<string, Set<string>>();
  for (const email of emails) {
    for (const room of rooms) {
      if (email.text.includes(room.url))
        urlOwners.set(room.url, (urlOwners.get(room.url) ?? new Set()).add(email.to));
    }
  }
  return { respondents, emails, rooms, byRecipient, urlOwners };
};
