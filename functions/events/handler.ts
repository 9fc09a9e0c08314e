// Lambda entry of the events function: config parsed, the store's and Aseed's clients built once per cold start.
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ENV, EventsEnvSchema, parseEnv } from '#shared/config.ts';
import { createLogger } from '#shared/log.ts';
import { createDynamoStore } from '#shared/store/dynamo/index.ts';
import { aseedFromEnv } from '../aseed.ts';
import { createEventsHandler } from './app.ts';

const env = parseEnv(EventsEnvSchema);
const doc = DynamoDBDocumentClient.from(
  new DynamoDBClient({ requestHandler: { requestTimeout: 5_000, connectionTimeout: 3_000 } }),
  { marshallOptions: { removeUndefinedValues: true } },
);

/** The Lambda handler (EventBridge rule on the configuration set's SES events). */
export const handler = createEventsHandler({
  store: createDynamoStore({ doc, tableName: env[ENV.tableName] }),
  aseed: aseedFromEnv(env),
  logger: createLogger('events'),
});
