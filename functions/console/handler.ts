// Lambda entry of the console API function (HTTP API, JWT-authorized): config parsed, the store's, the
// queue's, SES's and the Aseed API's clients built once per cold start (the Aseed token is read lazily).
import { SESv2Client } from '@aws-sdk/client-sesv2';
import { SQSClient } from '@aws-sdk/client-sqs';
import { fromEnv } from '@aws-sdk/credential-provider-env';
import { AseedClient } from '#shared/aseed/client.ts';
import { ConsoleEnvSchema, ENV, parseEnv } from '#shared/config.ts';
import { presignedPut } from '#shared/console/sign.ts';
import { sqsInviteQueue } from '#shared/ingest/aws.ts';
import { createLogger } from '#shared/log.ts';
import { Mailer } from '#shared/mail/mailer.ts';
import { createDynamoStore } from '#shared/store/dynamo/index.ts';
import { secretReader } from '../aseed.ts';
import { documentClient } from '../dynamo.ts';
import { createConsoleHandler } from './app.ts';

const env = parseEnv(ConsoleEnvSchema);
const sqs = new SQSClient({ requestHandler: { requestTimeout: 10_000, connectionTimeout: 3_000 } });
// A researcher waits for the answer, and API Gateway for at most 30 s: one short try each, no long retries.
const ses = new SESv2Client({
  requestHandler: { requestTimeout: 10_000, connectionTimeout: 3_000 },
  maxAttempts: 2,
});
const aseed = new AseedClient({
  baseUrl: env[ENV.aseedBaseUrl],
  token: secretReader(env[ENV.aseedTokenSecretArn], 'the Aseed token'),
  timeoutMs: 5_000,
  retry: { maxAttempts: 2 },
});
const configurationSet = env[ENV.sesConfigurationSet];

/** The Lambda handler (HTTP API, payload 2.0). */
export const handler = createConsoleHandler({
  store: createDynamoStore({ doc: documentClient(), tableName: env[ENV.tableName] }),
  // A cancel from the console goes the way `invites cancel` goes: one message per batch.
  queue: sqsInviteQueue(sqs, env[ENV.inviteQueueUrl]),
  uploads: {
    bucket: env[ENV.uploadsBucket],
    prefix: env[ENV.uploadsPrefix],
    // Signed locally with the function's credentials: S3 takes the PUT only with this type and length.
    sign: presignedPut({
      bucket: env[ENV.uploadsBucket],
      region: process.env.AWS_REGION ?? '',
      credentials: fromEnv(),
    }),
  },
  campaignDefaults: env[ENV.campaignDefaults],
  // The price the ingest checks a budget at: GET /api/interviews/config of the same API.
  price: {
    source: `the Aseed API (GET ${env[ENV.aseedBaseUrl]}/api/interviews/config)`,
    tokensPer30Min: async () => (await aseed.getConfig()).tokens_per_30_min,
  },
  // A test send goes out as the campaigns' emails do: the same configuration set (reputation, suppression).
  testSend: {
    mailer: new Mailer({ client: ses }),
    ...(configurationSet ? { configurationSetName: configurationSet } : {}),
  },
  logger: createLogger('console'),
});
