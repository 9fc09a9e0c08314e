// Lambda entry of the events function: config parsed, the store's and Aseed's clients built once per cold start.
import { ENV, EventsEnvSchema, parseEnv } from '#shared/config.ts';
import { createLogger } from '#shared/log.ts';
import { createDynamoStore } from '#shared/store/dynamo/index.ts';
import { aseedFromEnv } from '../aseed.ts';
import { documentClient } from '../dynamo.ts';
import { createEventsHandler } from './app.ts';

const env = parseEnv(EventsEnvSchema);
const doc = documentClient();

/** The Lambda handler (EventBridge rule on the configuration set's SES events). */
export const handler = createEventsHandler({
  store: createDynamoStore({ doc, tableName: env[ENV.tableName] }),
  aseed: aseedFromEnv(env),
  logger: createLogger('events'),
});
