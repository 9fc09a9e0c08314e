// Lambda entry of the tracker function: config parsed, the store's and Aseed's clients built once per cold start.
import { ENV, parseEnv, TrackerEnvSchema } from '#shared/config.ts';
import { createLogger } from '#shared/log.ts';
import { createDynamoStore } from '#shared/store/dynamo/index.ts';
import { aseedFromEnv } from '../aseed.ts';
import { documentClient } from '../dynamo.ts';
import { createTrackerHandler } from './app.ts';

const env = parseEnv(TrackerEnvSchema);
const doc = documentClient();

/** The Lambda handler (EventBridge Scheduler). */
export const handler = createTrackerHandler({
  store: createDynamoStore({ doc, tableName: env[ENV.tableName] }),
  aseed: aseedFromEnv(env),
  logger: createLogger('tracker'),
});
