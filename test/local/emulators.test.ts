import {
  BatchWriteItemCommand,
  ConditionalCheckFailedException,
  CreateTableCommand,
  PutItemCommand,
  QueryCommand,
  waitUntilTableExists,
} from '@aws-sdk/client-dynamodb';
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { SendBulkEmailCommand, SendEmailCommand } from '@aws-sdk/client-sesv2';
import {
  CreateQueueCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
} from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeDynamoClient, readSesStore } from '#local/aws.ts';
import { waitForDynamo } from '#local/emulators.ts';
import { dynamoTargets, emulatorEndpoints, testClients, uniqueName } from '#test/support/aws.ts';

const clients = testClients();
afterAll(() => clients.destroy());

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('S3 (fauxqs)', () => {
  it('stores an object with its user metadata', async () => {
    // Prepare
    const Bucket = uniqueName('bucket');
    await clients.s3.send(new CreateBucketCommand({ Bucket }));

    // Act
    await clients.s3.send(
      new PutObjectCommand({
        Bucket,
        Key: 'uploads/campaign.csv',
        Body: 'email\nanna@example.com\n',
        ContentType: 'text/csv',
        Metadata: { 'campaign-language': 'ru' },
      }),
    );
    const object = await clients.s3.send(new GetObjectCommand({ Bucket, Key: 'uploads/campaign.csv' }));

    // Assert
    expect(await object.Body?.transformToString()).toBe('email\nanna@example.com\n');
    expect(object.Metadata).toEqual({ 'campaign-language': 'ru' });
    expect(object.ContentType).toBe('text/csv');
    expect(object.ETag).toMatch(/^"[0-9a-f]{32}"$/);
  });
});

describe('SQS (fauxqs)', () => {
  const createQueues = async (maxReceiveCount: number, visibilityTimeout: number) => {
    const dlq = await clients.sqs.send(new CreateQueueCommand({ QueueName: uniqueName('dlq') }));
    const dlqAttributes = await clients.sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: dlq.QueueUrl, AttributeNames: ['QueueArn'] }),
    );
    const queue = await clients.sqs.send(
      new CreateQueueCommand({
        QueueName: uniqueName('queue'),
        Attributes: {
          VisibilityTimeout: String(visibilityTimeout),
          RedrivePolicy: JSON.stringify({
            deadLetterTargetArn: dlqAttributes.Attributes?.QueueArn,
            maxReceiveCount,
          }),
        },
      }),
    );
    return { queueUrl: queue.QueueUrl as string, dlqUrl: dlq.QueueUrl as string };
  };

  const receive = (QueueUrl: string) =>
    clients.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl,
        MaxNumberOfMessages: 10,
        MessageSystemAttributeNames: ['ApproximateReceiveCount', 'SentTimestamp'],
      }),
    );

  it('sends, receives and deletes a message', async () => {
    // Prepare
    const { queueUrl } = await createQueues(5, 30);
    await clients.sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: '{"batch":1}' }));

    // Act
    const first = await receive(queueUrl);
    const message = first.Messages?.[0];
    await clients.sqs.send(
      new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: message?.ReceiptHandle }),
    );
    const afterDelete = await receive(queueUrl);

    // Assert
    expect(message?.Body).toBe('{"batch":1}');
    expect(message?.Attributes?.ApproximateReceiveCount).toBe('1');
    expect(afterDelete.Messages ?? []).toEqual([]);
  });

  it('hides a received message for the visibility timeout, then redelivers it with a higher receive count', async () => {
    // Prepare
    const { queueUrl } = await createQueues(5, 1);
    await clients.sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: 'hello' }));
    await receive(queueUrl);

    // Act
    const whileInvisible = await receive(queueUrl);
    await sleep(1100);
    const afterTimeout = await receive(queueUrl);

    // Assert
    expect(whileInvisible.Messages ?? []).toEqual([]);
    expect(afterTimeout.Messages?.[0]?.Body).toBe('hello');
    expect(afterTimeout.Messages?.[0]?.Attributes?.ApproximateReceiveCount).toBe('2');
  });

  it('moves a message to the dead-letter queue after maxReceiveCount receives (RedrivePolicy)', async () => {
    // Prepare
    const { queueUrl, dlqUrl } = await createQueues(2, 0);
    await clients.sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: 'poison' }));

    // Act: VisibilityTimeout 0 makes the message visible again at once.
    const receives = [];
    for (let attempt = 0; attempt < 3; attempt += 1) receives.push((await receive(queueUrl)).Messages ?? []);
    const inDlq = await receive(dlqUrl);

    // Assert
    expect(receives.map((messages) => messages.length)).toEqual([1, 1, 0]);
    expect(inDlq.Messages?.[0]?.Body).toBe('poison');
  });
});

describe('SES v2 (aws-ses-v2-local)', () => {
  it('stores a simple SendEmail with text, HTML and reply-to', async () => {
    // Prepare
    const to = `${uniqueName('anna')}@example.com`;

    // Act
    const sent = await clients.ses.send(
      new SendEmailCommand({
        FromEmailAddress: 'research@example.org',
        ReplyToAddresses: ['replies@example.org'],
        Destination: { ToAddresses: [to] },
        Content: {
          Simple: {
            Subject: { Data: 'Your interview' },
            Body: { Text: { Data: 'Join: https://x/1' }, Html: { Data: '<p>Join</p>' } },
          },
        },
      }),
    );
    const stored = (await readSesStore(emulatorEndpoints().ses)).filter((m) => m.to.includes(to));

    // Assert
    expect(sent.MessageId).toBeTruthy();
    expect(stored).toEqual([
      expect.objectContaining({
        messageId: sent.MessageId,
        from: 'research@example.org',
        to: [to],
        replyTo: ['replies@example.org'],
        subject: 'Your interview',
        text: 'Join: https://x/1',
        html: '<p>Join</p>',
      }),
    ]);
  });

  it('renders SendBulkEmail with inline template content per destination, failing invalid addresses per entry', async () => {
    // Prepare
    const tag = uniqueName('bulk');
    const good = [`a-${tag}@example.com`, `b-${tag}@example.com`];

    // Act
    const sent = await clients.ses.send(
      new SendBulkEmailCommand({
        FromEmailAddress: 'research@example.org',
        DefaultContent: {
          Template: {
            TemplateContent: {
              Subject: 'Hello {{name}}',
              Text: 'Room: {{url}}',
              Html: '<a href="{{url}}">{{name}}</a>',
            },
            TemplateData: JSON.stringify({ name: 'there', url: 'none' }),
          },
        },
        BulkEmailEntries: [
          ...good.map((address, index) => ({
            Destination: { ToAddresses: [address] },
            ReplacementEmailContent: {
              ReplacementTemplate: {
                ReplacementTemplateData: JSON.stringify({ name: `R<${index}>`, url: `https://r/${index}` }),
              },
            },
          })),
          { Destination: { ToAddresses: ['not an address'] } },
        ],
      }),
    );
    const stored = (await readSesStore(emulatorEndpoints().ses)).filter((m) => m.to[0]?.includes(tag));

    // Assert
    expect(sent.BulkEmailEntryResults?.map((r) => r.Status)).toEqual(['SUCCESS', 'SUCCESS', 'FAILED']);
    expect(stored.map((m) => m.messageId)).toEqual(
      sent.BulkEmailEntryResults?.slice(0, 2).map((r) => r.MessageId),
    );
    // The emulator, like SES, renders merge fields raw: escaping is the caller's job.
    expect(stored.map(({ to, subject, text, html }) => ({ to, subject, text, html }))).toEqual([
      {
        to: [good[0]],
        subject: 'Hello R<0>',
        text: 'Room: https://r/0',
        html: '<a href="https://r/0">R<0></a>',
      },
      {
        to: [good[1]],
        subject: 'Hello R<1>',
        text: 'Room: https://r/1',
        html: '<a href="https://r/1">R<1></a>',
      },
    ]);
  });
});

describe.each(dynamoTargets())('DynamoDB ($name)', ({ endpoint }) => {
  const dynamo = makeDynamoClient(endpoint);
  // DynamoDB Local starts on first use: wait for it here, not inside a test's timeout.
  beforeAll(() => waitForDynamo(endpoint), 90_000);
  afterAll(() => dynamo.destroy());

  const createTable = async () => {
    const TableName = uniqueName('table');
    await dynamo.send(
      new CreateTableCommand({
        TableName,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [
          { AttributeName: 'pk', AttributeType: 'S' },
          { AttributeName: 'sk', AttributeType: 'S' },
        ],
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
      }),
    );
    await waitUntilTableExists(
      { client: dynamo, maxWaitTime: 10, minDelay: 0.1, maxDelay: 0.2 },
      { TableName },
    );
    return TableName;
  };

  it('refuses a conditional put on an existing key with ConditionalCheckFailed', async () => {
    // Prepare
    const TableName = await createTable();
    const put = () =>
      dynamo.send(
        new PutItemCommand({
          TableName,
          Item: { pk: { S: 'C#1' }, sk: { S: 'META' } },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
    await put();

    // Act
    const second = put();

    // Assert
    await expect(second).rejects.toBeInstanceOf(ConditionalCheckFailedException);
  });

  it('writes 25 items with BatchWriteItem and queries them back in key order', async () => {
    // Prepare
    const TableName = await createTable();
    const items = Array.from({ length: 25 }, (_, i) => ({
      PutRequest: {
        Item: { pk: { S: 'C#1' }, sk: { S: `R#${String(i).padStart(3, '0')}` }, n: { N: String(i) } },
      },
    }));

    // Act
    const written = await dynamo.send(new BatchWriteItemCommand({ RequestItems: { [TableName]: items } }));
    const queried = await dynamo.send(
      new QueryCommand({
        TableName,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :r)',
        ExpressionAttributeValues: { ':pk': { S: 'C#1' }, ':r': { S: 'R#' } },
      }),
    );

    // Assert
    expect(written.UnprocessedItems ?? {}).toEqual({});
    expect(queried.Items?.map((item) => item.n?.N)).toEqual(items.map((_, i) => String(i)));
  });
});
