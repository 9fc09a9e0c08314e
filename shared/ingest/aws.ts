// The ingest's ports over S3 and SQS (SDK v3).
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import {
  SendMessageBatchCommand,
  type SendMessageBatchRequestEntry,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { serializeInviteMessage } from '#shared/campaign/messages.ts';
import type { CsvInput } from '#shared/csv/encoding.ts';
import { CsvFileError } from '#shared/csv/parse.ts';
import { PermanentError, RetryableError } from '#shared/errors.ts';
import { backoffMs, realSleep, type Sleep } from '#shared/store/concurrency.ts';
import type { InviteQueue, UploadRef, UploadSource } from './ports.ts';

/** SendMessageBatch takes at most 10 entries. */
const SQS_BATCH_MAX = 10;
/** Attempts for entries SendMessageBatch reports as failed. */
const SQS_ATTEMPTS = 6;

/** The settings object beside the CSV is not JSON. */
export class SettingsFileError extends PermanentError {}

const isNoSuchKey = (error: unknown) =>
  error instanceof Error && (error.name === 'NoSuchKey' || error.name === 'NotFound');

/** Reads and JSON-parses the optional settings object; undefined when there is none. */
const readSettings = async (s3: S3Client, bucket: string, key: string): Promise<unknown> => {
  let text: string;
  try {
    const result = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    text = (await result.Body?.transformToString('utf-8')) ?? '';
  } catch (error) {
    if (isNoSuchKey(error)) return undefined;
    throw error;
  }
  try {
    return JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (error) {
    throw new SettingsFileError(
      `settings file ${key} is not valid JSON: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
};

/** Opens the CSV as a stream, pinned to the version/ETag the event named so we parse what we hashed. */
const openCsv = async (s3: S3Client, upload: UploadRef): Promise<CsvInput> => {
  try {
    const result = await s3.send(
      new GetObjectCommand({
        Bucket: upload.bucket,
        Key: upload.key,
        ...(upload.versionId
          ? { VersionId: upload.versionId }
          : upload.etag
            ? { IfMatch: `"${upload.etag.replace(/"/g, '')}"` }
            : {}),
      }),
    );
    if (!result.Body) throw new RetryableError(`S3 returned no body for ${upload.key}`);
    return result.Body as unknown as AsyncIterable<Uint8Array>;
  } catch (error) {
    if (error instanceof Error && (error.name === 'PreconditionFailed' || isNoSuchKey(error))) {
      // Replaced or deleted since the event: a newer upload has its own event (and campaign).
      throw new CsvFileError(`the object ${upload.key} changed or disappeared before it could be read`);
    }
    throw error;
  }
};

/** The uploads bucket over an S3 client. */
export const s3UploadSource = (s3: S3Client): UploadSource => ({
  readSettings: (bucket, key) => readSettings(s3, bucket, key),
  openCsv: (upload) => openCsv(s3, upload),
});

/** One SendMessageBatch of ≤ 10 entries, retrying entries SQS reports as failed (with backoff). */
const sendBatch = async (
  sqs: SQSClient,
  queueUrl: string,
  first: SendMessageBatchRequestEntry[],
  sleep: Sleep,
) => {
  let entries = first;
  for (let attempt = 0; entries.length > 0; attempt++) {
    if (attempt >= SQS_ATTEMPTS)
      throw new RetryableError(`SQS refused ${entries.length} messages repeatedly`);
    if (attempt > 0) await sleep(backoffMs(attempt, 100, 3000));
    const result = await sqs.send(new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: entries }));
    const senderFault = (result.Failed ?? []).find((f) => f.SenderFault);
    if (senderFault) {
      throw new PermanentError(
        `SQS rejected a message: ${senderFault.Code ?? ''} ${senderFault.Message ?? ''}`,
      );
    }
    const failed = new Set((result.Failed ?? []).map((f) => f.Id));
    entries = entries.filter((entry) => failed.has(entry.Id));
  }
};

/** The invite queue over an SQS client: 10 messages per SendMessageBatch. */
export const sqsInviteQueue = (sqs: SQSClient, queueUrl: string, sleep: Sleep = realSleep): InviteQueue => ({
  async send(messages) {
    for (let i = 0; i < messages.length; i += SQS_BATCH_MAX) {
      const entries = messages
        .slice(i, i + SQS_BATCH_MAX)
        .map((message, index) => ({ Id: `m${index}`, MessageBody: serializeInviteMessage(message) }));
      await sendBatch(sqs, queueUrl, entries, sleep);
    }
  },
});

/** The ingest's S3 and SQS ports over SDK clients. */
export const awsIngestPorts = (clients: {
  s3: S3Client;
  sqs: SQSClient;
  queueUrl: string;
  sleep?: Sleep;
}) => ({
  source: s3UploadSource(clients.s3),
  queue: sqsInviteQueue(clients.sqs, clients.queueUrl, clients.sleep),
});
