// Lambda entry of the console API function (HTTP API, JWT-authorized): config parsed, the store's and the
// queue's clients built once per cold start.
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { ConsoleEnvSchema, ENV, parseEnv } from '#shared/config.ts';
import { sqsInviteQueue } from '#shared/ingest/aws.ts';
import { createLogger } from '#shared/log.ts';
import { createDynamoStore } from '#shared/store/dynamo/index.ts';
import { documentClient } from '../dynamo.ts';
import { createConsoleHandler } from './app.ts';

const env = parseEnv(ConsoleEnvSchema);
const sqs = new SQSClient({ requestHandler: { requestTimeout: 10_000, connectionTimeout: 3_000 } });
const s3 = new S3Client({});

/** The Lambda handler (HTTP API, payload 2.0). */
export const handler = createConsoleHandler({
  store: createDynamoStore({ doc: documentClient(), tableName: env[ENV.tableName] }),
  // A cancel from the console goes the way `invites cancel` goes: one message per batch.
  queue: sqsInviteQueue(sqs, env[ENV.inviteQueueUrl]),
  uploads: {
    bucket: env[ENV.uploadsBucket],
    prefix: env[ENV.uploadsPrefix],
    // Signed locally with the function's credentials: S3 takes the PUT only with this type and length.
    sign: (key, put) =>
      getSignedUrl(
        s3,
        new PutObjectCommand({
          Bucket: env[ENV.uploadsBucket],
          Key: key,
          ContentType: put.contentType,
          ContentLength: put.contentLength,
        }),
        { expiresIn: put.expiresInSeconds, signableHeaders: new Set(['content-type', 'content-length']) },
      ),
  },
  logger: createLogger('console'),
});
