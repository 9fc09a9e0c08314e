// Lambda entry of the ingest function: config parsed and clients built once per cold start.
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ENV, IngestEnvSchema, parseEnv } from '#shared/config.ts';
import { createLogger } from '#shared/log.ts';
import { createDynamoStore } from '#shared/store/dynamo/index.ts';
import { aseedFromEnv } from '../aseed.ts';
import { createIngestHandler } from './app.ts';

const env = parseEnv(IngestEnvSchema);
const aseed = aseedFromEnv(env);
const requestHandler = { requestTimeout: 10_000, connectionTimeout: 3_000 };
const doc = DynamoDBDocumentClient.from(new DynamoDBClient({ requestHandler }), {
  marshallOptions: { removeUndefinedValues: true },
});

/** The Lambda handler (S3 ObjectCreated notifications of campaign CSVs). */
export const handler = createIngestHandler({
  s3: new S3Client({ requestHandler }),
  sqs: new SQSClient({ requestHandler }),
  store: createDynamoStore({ doc, tableName: env[ENV.tableName] }),
  queueUrl: env[ENV.inviteQueueUrl],
  campaignDefaults: env[ENV.campaignDefaults],
  price: { tokensPer30Min: async () => (await aseed.getConfig()).tokens_per_30_min },
  logger: createLogger('ingest'),
});
