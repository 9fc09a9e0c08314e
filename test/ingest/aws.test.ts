import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import type { InviteMessage } from '#shared/campaign/messages.ts';
import { CsvFileError } from '#shared/csv/parse.ts';
import { PermanentError, RetryableError } from '#shared/errors.ts';
import { SettingsFileError, s3UploadSource, sqsInviteQueue } from '#shared/ingest/aws.ts';

const s3 = mockClient(S3Client);
const sqs = mockClient(SQSClient);
afterEach(() => {
  s3.reset();
  sqs.reset();
});

const QUEUE = 'https://sqs.test/q';
const messagesOf = (n: number): InviteMessage[] =>
  Array.from({ length: n }, (_, batch) => ({ campaignId: 'c1', batch }));
/** A GetObject body as the SDK gives it (only what the adapter uses). */
const bodyOf = (text: string) => ({ transformToString: async () => text }) as never;
const namedError = (name: string) => Object.assign(new Error(name), { name });
const sent = () => sqs.commandCalls(SendMessageBatchCommand).map((call) => call.args[0].input);

describe('the SQS invite queue', () => {
  it('sends 23 messages as SendMessageBatch calls of 10, 10 and 3 JSON bodies', async () => {
    // Prepare
    sqs.on(SendMessageBatchCommand).resolves({ Successful: [], Failed: [] });
    const queue = sqsInviteQueue(new SQSClient({}), QUEUE, async () => {});

    // Act
    await queue.send(messagesOf(23));

    // Assert
    const calls = sent();
    expect(calls.map((call) => call.Entries?.length)).toEqual([10, 10, 3]);
    expect(calls.every((call) => call.QueueUrl === QUEUE)).toBe(true);
    expect(calls[1]?.Entries?.[0]).toEqual({ Id: 'm0', MessageBody: '{"campaignId":"c1","batch":10}' });
  });

  it('resends only the entries SQS reports as failed, after a backoff', async () => {
    // Prepare
    sqs
      .on(SendMessageBatchCommand)
      .resolvesOnce({ Failed: [{ Id: 'm1', SenderFault: false, Code: 'InternalError' }] })
      .resolves({ Failed: [] });
    const waits: number[] = [];
    const queue = sqsInviteQueue(new SQSClient({}), QUEUE, async (ms) => {
      waits.push(ms);
    });

    // Act
    await queue.send(messagesOf(3));

    // Assert
    expect(sent().map((call) => call.Entries?.map((e) => e.Id))).toEqual([['m0', 'm1', 'm2'], ['m1']]);
    expect(waits).toHaveLength(1);
  });

  it('gives up with a retryable error after 6 attempts that all fail', async () => {
    // Prepare
    sqs.on(SendMessageBatchCommand).resolves({ Failed: [{ Id: 'm0', SenderFault: false, Code: 'x' }] });
    const queue = sqsInviteQueue(new SQSClient({}), QUEUE, async () => {});

    // Act
    const sending = queue.send(messagesOf(1));

    // Assert
    await expect(sending).rejects.toBeInstanceOf(RetryableError);
    await expect(sending).rejects.toThrow('SQS refused 1 messages repeatedly');
    expect(sent()).toHaveLength(6);
  });

  it('fails permanently, without retrying, when SQS blames the sender', async () => {
    // Prepare
    sqs.on(SendMessageBatchCommand).resolves({
      Failed: [{ Id: 'm0', SenderFault: true, Code: 'InvalidMessageContents', Message: 'bad' }],
    });
    const queue = sqsInviteQueue(new SQSClient({}), QUEUE, async () => {});

    // Act
    const sending = queue.send(messagesOf(2));

    // Assert
    await expect(sending).rejects.toBeInstanceOf(PermanentError);
    await expect(sending).rejects.toThrow('SQS rejected a message: InvalidMessageContents bad');
    expect(sent()).toHaveLength(1);
  });
});

describe('the S3 upload source', () => {
  it('reads the settings object as JSON, without a BOM', async () => {
    // Prepare
    s3.on(GetObjectCommand, { Bucket: 'b', Key: 'k.settings.json' }).resolves({
      Body: bodyOf('\uFEFF{"maxDurationMinutes":45}'),
    });

    // Act
    const settings = await s3UploadSource(new S3Client({})).readSettings('b', 'k.settings.json');

    // Assert
    expect(settings).toEqual({ maxDurationMinutes: 45 });
  });

  it('reads no settings when there is no settings object', async () => {
    // Prepare
    s3.on(GetObjectCommand).rejects(namedError('NoSuchKey'));

    // Act
    const settings = await s3UploadSource(new S3Client({})).readSettings('b', 'k.settings.json');

    // Assert
    expect(settings).toBeUndefined();
  });

  it('raises SettingsFileError for a settings object that is not JSON', async () => {
    // Prepare
    s3.on(GetObjectCommand).resolves({ Body: bodyOf('{oops') });

    // Act
    const reading = s3UploadSource(new S3Client({})).readSettings('b', 'k.settings.json');

    // Assert
    await expect(reading).rejects.toBeInstanceOf(SettingsFileError);
    await expect(reading).rejects.toThrow(/settings file k.settings.json is not valid JSON/);
  });

  it('opens the CSV pinned to its ETag, or to its version when the event names one', async () => {
    // Prepare
    s3.on(GetObjectCommand).resolves({ Body: bodyOf('email\n') });
    const source = s3UploadSource(new S3Client({}));

    // Act
    await source.openCsv({ bucket: 'b', key: 'k.csv', etag: '"abc"' });
    await source.openCsv({ bucket: 'b', key: 'k.csv', etag: 'abc', versionId: 'v7' });

    // Assert
    const inputs = s3.commandCalls(GetObjectCommand).map((call) => call.args[0].input);
    expect(inputs).toEqual([
      { Bucket: 'b', Key: 'k.csv', IfMatch: '"abc"' },
      { Bucket: 'b', Key: 'k.csv', VersionId: 'v7' },
    ]);
  });

  it.each(['PreconditionFailed', 'NoSuchKey'])('raises CsvFileError when S3 answers %s', async (name) => {
    // Prepare
    s3.on(GetObjectCommand).rejects(namedError(name));

    // Act
    const opening = s3UploadSource(new S3Client({})).openCsv({ bucket: 'b', key: 'k.csv', etag: 'e' });

    // Assert
    await expect(opening).rejects.toBeInstanceOf(CsvFileError);
    await expect(opening).rejects.toThrow('the object k.csv changed or disappeared before it could be read');
  });

  it('raises a retryable error when S3 returns no body, and passes other errors on', async () => {
    // Prepare
    s3.on(GetObjectCommand).resolvesOnce({}).rejectsOnce(namedError('SlowDown'));
    const source = s3UploadSource(new S3Client({}));

    // Act
    const empty = source.openCsv({ bucket: 'b', key: 'k.csv' });
    await expect(empty).rejects.toBeInstanceOf(RetryableError);
    const slow = source.openCsv({ bucket: 'b', key: 'k.csv' });

    // Assert
    await expect(empty).rejects.toThrow('S3 returned no body for k.csv');
    await expect(slow).rejects.toMatchObject({ name: 'SlowDown' });
  });
});
