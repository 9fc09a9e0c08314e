// Flow: S3 ObjectCreated event → for each record: ingest use case (settings, CSV → respondents → batches → SQS).

import type { S3Client } from '@aws-sdk/client-s3';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { Context, S3Event } from 'aws-lambda';
import { awsIngestPorts } from '#shared/ingest/aws.ts';
import { type IngestDeps, type IngestResult, ingestUpload } from '#shared/ingest/ingest.ts';
import { errorFields, silentLogger } from '#shared/log.ts';

/** The ingest Lambda handler: an S3 event in, one result per record out. */
export type IngestHandler = (
  event: S3Event,
  context?: Pick<Context, 'getRemainingTimeInMillis'>,
) => Promise<IngestResult[]>;

/** Leaves this much of the invocation for the final writes when waiting on a busy ingest lease. */
const DEADLINE_MARGIN_MS = 10_000;

/** Deps of the ingest handler: the use case's, with the S3 and SQS clients its ports are built over. */
export interface IngestHandlerDeps extends Omit<IngestDeps, 'source' | 'queue'> {
  s3: S3Client;
  sqs: SQSClient;
  queueUrl: string;
}

/** Decodes an S3 event key (URL-encoded, spaces as `+`). */
export const decodeS3Key = (key: string): string => decodeURIComponent(key.replace(/\+/g, ' '));

/**
 * Builds the ingest handler over injected deps (clients, store, clock…): handler.ts passes the real ones,
 * tests and the local runtime their own. Every record is attempted; if any failed, the first error is
 * thrown afterwards so Lambda retries the event (records already ingested are then recognised as duplicates).
 */
export const createIngestHandler = (handlerDeps: IngestHandlerDeps): IngestHandler => {
  const { s3, sqs, queueUrl, ...rest } = handlerDeps;
  const deps: IngestDeps = {
    ...rest,
    ...awsIngestPorts({ s3, sqs, queueUrl, ...(rest.sleep ? { sleep: rest.sleep } : {}) }),
  };
  return async (event, context) => {
    const logger = deps.logger ?? silentLogger;
    const clock = deps.clock ?? Date.now;
    const results: IngestResult[] = [];
    let firstError: unknown;
    for (const record of event.Records ?? []) {
      if (!record.eventName?.startsWith('ObjectCreated')) continue;
      const object = record.s3.object;
      try {
        results.push(
          await ingestUpload(deps, {
            bucket: record.s3.bucket.name,
            key: decodeS3Key(object.key),
            ...(object.eTag ? { etag: object.eTag } : {}),
            ...(object.versionId ? { versionId: object.versionId } : {}),
            ...(context
              ? { deadlineMs: clock() + context.getRemainingTimeInMillis() - DEADLINE_MARGIN_MS }
              : {}),
          }),
        );
      } catch (error) {
        logger.error('ingest failed; the event will be retried', { key: object.key, ...errorFields(error) });
        firstError ??= error;
      }
    }
    if (firstError !== undefined) throw firstError;
    return results;
  };
};
