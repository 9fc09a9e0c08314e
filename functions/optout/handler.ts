// Lambda entry of the opt-out function (a function URL): config parsed, clients built once per cold start;
// the signing key and the Aseed token are read lazily from Secrets Manager (cached).
import { ENV, OptOutEnvSchema, parseEnv } from '#shared/config.ts';
import { createLogger } from '#shared/log.ts';
import { createDynamoStore } from '#shared/store/dynamo/index.ts';
import { aseedFromEnv, secretReader } from '../aseed.ts';
import { documentClient } from '../dynamo.ts';
import { createOptOutHandler } from './app.ts';

const env = parseEnv(OptOutEnvSchema);

/** The Lambda handler (function URL, GET and POST). */
export const handler = createOptOutHandler({
  store: createDynamoStore({ doc: documentClient(), tableName: env[ENV.tableName] }),
  aseed: aseedFromEnv(env),
  key: secretReader(env[ENV.optOutKeySecretArn], 'the opt-out signing key'),
  logger: createLogger('optout'),
  clock: Date.now,
});
