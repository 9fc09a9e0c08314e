// Lambda entry of the console API function (HTTP API, JWT-authorized): config parsed, the store's and the
// queue's clients built once per cold start.
import { SQSClient } from '@aws-sdk/client-sqs';
import { ConsoleEnvSchema, ENV, parseEnv } from '#shared/config.ts';
import { sqsInviteQueue } from '#shared/ingest/aws.ts';
import { createLogger } from '#shared/log.ts';
import { createDynamoStore } from '#shared/store/dynamo/index.ts';
import { documentClient } from '../dynamo.ts';
import { createConsoleHandler } from './app.ts';

const env = parseEnv(ConsoleEnvSchema);
const sqs = new SQSClient({ requestHandler: { requestTimeout: 10_000, connectionTimeout: 3_000 } });

/** The Lambda handler (HTTP API, payload 2.0). */
export const handler = createConsoleHandler({
  store: createDynamoStore({ doc: documentClient(), tableName: env[ENV.tableName] }),
  // A cancel from the console goes the way `invites cancel` goes: one message per batch.
  queue: sqsInviteQueue(sqs, env[ENV.inviteQueueUrl]),
  logger: createLogger('console'),
});
