// Cold-start wiring shared by the invite and dead-letter Lambdas (same env, same clients): config parsed
// once, clients built once (the Aseed token is read lazily: functions/aseed.ts).
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SESv2Client } from '@aws-sdk/client-sesv2';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { z } from 'zod';
import { DeadLetterEnvSchema, ENV, InviteEnvSchema, parseEnv } from '#shared/config.ts';
import { createLogger } from '#shared/log.ts';
import { Mailer } from '#shared/mail/mailer.ts';
import { AccountQuota, sesQuotaSource } from '#shared/mail/quota.ts';
import { createDynamoStore } from '#shared/store/dynamo/index.ts';
import { aseedFromEnv, secretReader } from '../aseed.ts';
import type { InviteHandlerDeps } from './app.ts';

const requestHandler = { requestTimeout: 10_000, connectionTimeout: 3_000 };

const sharedDeps = (env: z.output<typeof DeadLetterEnvSchema>, service: string): InviteHandlerDeps => {
  const doc = DynamoDBDocumentClient.from(new DynamoDBClient({ requestHandler }), {
    marshallOptions: { removeUndefinedValues: true },
  });
  // Two attempts × 10 s stay inside the 30 s send lease, so a concurrent delivery never takes over a send
  // that is still in flight (which would email twice).
  const ses = new SESv2Client({ requestHandler, maxAttempts: 2 });
  return {
    store: createDynamoStore({ doc, tableName: env[ENV.tableName] }),
    aseed: aseedFromEnv(env),
    mailer: new Mailer({ client: ses }),
    quota: new AccountQuota(sesQuotaSource(ses)),
    ...(env[ENV.sesConfigurationSet] ? { configurationSetName: env[ENV.sesConfigurationSet] } : {}),
    sendRatePerSecond: env[ENV.sesSendRatePerSecond],
    maxReceiveCount: env[ENV.inviteMaxReceiveCount],
    logger: createLogger(service),
  };
};

/** Deps of the invite handler from the Lambda environment (call once, at module scope). */
export const inviteDepsFromEnv = (service: string): InviteHandlerDeps => {
  const env = parseEnv(InviteEnvSchema);
  const sqs = new SQSClient({ requestHandler });
  const queueUrl = env[ENV.inviteQueueUrl];
  return {
    ...sharedDeps(env, service),
    optOut: {
      baseUrl: env[ENV.optOutUrl],
      key: secretReader(env[ENV.optOutKeySecretArn], 'the opt-out signing key'),
    },
    requeue: async (body, delayMs) => {
      const DelaySeconds = delayMs ? Math.min(900, Math.ceil(delayMs / 1000)) : undefined;
      await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: body, DelaySeconds }));
    },
  };
};

/** Deps of the dead-letter handler from the Lambda environment (call once, at module scope). */
export const deadLetterDepsFromEnv = (service: string): InviteHandlerDeps =>
  sharedDeps(parseEnv(DeadLetterEnvSchema), service);
