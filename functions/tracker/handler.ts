// Lambda entry of the tracker function: config parsed, the store's, Aseed's and the queue's clients built once
// per cold start.
import { SQSClient } from '@aws-sdk/client-sqs';
import { ENV, parseEnv, TrackerEnvSchema } from '#shared/config.ts';
import { sqsInviteQueue } from '#shared/ingest/aws.ts';
import { createLogger } from '#shared/log.ts';
import { createDynamoStore } from '#shared/store/dynamo/index.ts';
import { aseedFromEnv } from '../aseed.ts';
import { documentClient } from '../dynamo.ts';
import { createTrackerHandler } from './app.ts';

const env = parseEnv(TrackerEnvSchema);
const doc = documentClient();
const sqs = new SQSClient({ requestHandler: { requestTimeout: 10_000, connectionTimeout: 3_000 } });

/** The Lambda handler (EventBridge Scheduler). */
export const handler = createTrackerHandler({
  store: createDynamoStore({ doc, tableName: env[ENV.tableName] }),
  aseed: aseedFromEnv(env),
  // Due reminders and thank-yous go on the invite queue: the one paced, exactly-once sender.
  queue: sqsInviteQueue(sqs, env[ENV.inviteQueueUrl]),
  logger: createLogger('tracker'),
});
