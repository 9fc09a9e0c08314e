import {
  CreateTableCommand,
  type CreateTableCommandInput,
  type DynamoDBClient,
  type GlobalSecondaryIndex,
  type KeySchemaElement,
  UpdateTimeToLiveCommand,
  waitUntilTableExists,
} from '@aws-sdk/client-dynamodb';
import { CreateBucketCommand, type S3Client } from '@aws-sdk/client-s3';
import { CreateQueueCommand, GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { FUNCTIONS, INVITE_QUEUE, TABLE, UPLOADS } from '#infra/definitions.ts';

type KeyType = 'S' | 'N' | 'B';
interface KeyDefinition {
  readonly name: string;
  readonly type: KeyType;
}

/** The resource facts the local runtime needs (a structural subset of infra/definitions.ts). */
export interface LocalResourceDefinitions {
  readonly table: {
    readonly partitionKey: KeyDefinition;
    readonly sortKey?: KeyDefinition;
    readonly timeToLiveAttribute?: string;
    readonly globalSecondaryIndexes: ReadonlyArray<{
      readonly indexName: string;
      readonly partitionKey: KeyDefinition;
      readonly sortKey?: KeyDefinition;
      readonly projection: 'KEYS_ONLY' | 'ALL';
    }>;
  };
  readonly uploads: { readonly prefix: string; readonly csvSuffix: string };
  readonly inviteQueue: {
    readonly visibilityTimeoutSeconds: number;
    readonly maxReceiveCount: number;
    readonly batchSize: number;
    readonly retentionSeconds?: number;
    readonly deadLetterRetentionSeconds?: number;
  };
  readonly functions: {
    readonly ingest: { readonly timeoutSeconds: number };
    readonly invite: { readonly timeoutSeconds: number };
  };
}

/** The definitions the CDK stack deploys, read from infra/definitions.ts (one source, no drift). */
export const infraDefinitions = (): LocalResourceDefinitions => ({
  table: TABLE,
  uploads: UPLOADS,
  inviteQueue: INVITE_QUEUE,
  functions: FUNCTIONS,
});

/** The local copies of the stack's resources. */
export interface LocalResources {
  tableName: string;
  bucketName: string;
  queueUrl: string;
  queueArn: string;
  dlqUrl: string;
  dlqArn: string;
  /** Whether the TTL attribute could be enabled (dynalite does not implement UpdateTimeToLive). */
  ttlEnabled: boolean;
  /** Definitions as created, after local overrides. */
  definitions: LocalResourceDefinitions;
}

/** Deliberate local deviations from the deployed values, e.g. a visibility timeout of seconds, not minutes. */
export interface LocalOverrides {
  visibilityTimeoutSeconds?: number;
  maxReceiveCount?: number;
  batchSize?: number;
  ingestTimeoutSeconds?: number;
  inviteTimeoutSeconds?: number;
}

/** Applies local overrides to a set of definitions. */
export const withOverrides = (
  definitions: LocalResourceDefinitions,
  overrides: LocalOverrides = {},
): LocalResourceDefinitions => ({
  ...definitions,
  inviteQueue: {
    ...definitions.inviteQueue,
    visibilityTimeoutSeconds:
      overrides.visibilityTimeoutSeconds ?? definitions.inviteQueue.visibilityTimeoutSeconds,
    maxReceiveCount: overrides.maxReceiveCount ?? definitions.inviteQueue.maxReceiveCount,
    batchSize: overrides.batchSize ?? definitions.inviteQueue.batchSize,
  },
  functions: {
    ingest: { timeoutSeconds: overrides.ingestTimeoutSeconds ?? definitions.functions.ingest.timeoutSeconds },
    invite: { timeoutSeconds: overrides.inviteTimeoutSeconds ?? definitions.functions.invite.timeoutSeconds },
  },
});

/** Options of {@link createLocalResources}. */
export interface CreateLocalResourcesOptions {
  /** Name prefix of every resource (default `invites-local`); make it unique per test. */
  prefix?: string;
  /** Default: {@link infraDefinitions}. */
  definitions?: LocalResourceDefinitions;
  overrides?: LocalOverrides;
}

const keySchema = (partitionKey: KeyDefinition, sortKey?: KeyDefinition): KeySchemaElement[] => [
  { AttributeName: partitionKey.name, KeyType: 'HASH' },
  ...(sortKey ? [{ AttributeName: sortKey.name, KeyType: 'RANGE' as const }] : []),
];

/** The CreateTable request of the table (keys and GSIs as deployed), on demand. */
export const tableInput = (
  tableName: string,
  table: LocalResourceDefinitions['table'] = TABLE,
): CreateTableCommandInput => {
  const attributes = new Map<string, KeyType>();
  for (const key of [
    table.partitionKey,
    table.sortKey,
    ...table.globalSecondaryIndexes.flatMap((i) => [i.partitionKey, i.sortKey]),
  ]) {
    if (key) attributes.set(key.name, key.type);
  }
  const indexes: GlobalSecondaryIndex[] = table.globalSecondaryIndexes.map((index) => ({
    IndexName: index.indexName,
    KeySchema: keySchema(index.partitionKey, index.sortKey),
    Projection: { ProjectionType: index.projection },
  }));
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [...attributes].map(([AttributeName, AttributeType]) => ({
      AttributeName,
      AttributeType,
    })),
    KeySchema: keySchema(table.partitionKey, table.sortKey),
    ...(indexes.length > 0 ? { GlobalSecondaryIndexes: indexes } : {}),
  };
};

/** Creates the table (keys, GSIs, TTL), the upload bucket, the invite queue and its DLQ with the redrive policy. */
export const createLocalResources = async (
  clients: { s3: S3Client; sqs: SQSClient; dynamo: DynamoDBClient },
  options: CreateLocalResourcesOptions = {},
): Promise<LocalResources> => {
  const prefix = options.prefix ?? 'invites-local';
  const definitions = withOverrides(options.definitions ?? infraDefinitions(), options.overrides);
  const { table, inviteQueue } = definitions;
  const tableName = `${prefix}-table`;
  const bucketName = `${prefix}-uploads`;

  await clients.dynamo.send(new CreateTableCommand(tableInput(tableName, table)));
  await waitUntilTableExists(
    { client: clients.dynamo, maxWaitTime: 30, minDelay: 0.1, maxDelay: 0.5 },
    { TableName: tableName },
  );
  let ttlEnabled = false;
  if (table.timeToLiveAttribute) {
    try {
      await clients.dynamo.send(
        new UpdateTimeToLiveCommand({
          TableName: tableName,
          TimeToLiveSpecification: { AttributeName: table.timeToLiveAttribute, Enabled: true },
        }),
      );
      ttlEnabled = true;
    } catch {
      // dynalite has no UpdateTimeToLive; nothing local depends on items expiring.
    }
  }

  await clients.s3.send(new CreateBucketCommand({ Bucket: bucketName }));

  const dlq = await clients.sqs.send(
    new CreateQueueCommand({
      QueueName: `${prefix}-invite-dlq`,
      Attributes: {
        ...(inviteQueue.deadLetterRetentionSeconds
          ? { MessageRetentionPeriod: String(inviteQueue.deadLetterRetentionSeconds) }
          : {}),
      },
    }),
  );
  const dlqUrl = dlq.QueueUrl as string;
  const dlqArn = await queueArn(clients.sqs, dlqUrl);
  const queue = await clients.sqs.send(
    new CreateQueueCommand({
      QueueName: `${prefix}-invite`,
      Attributes: {
        VisibilityTimeout: String(inviteQueue.visibilityTimeoutSeconds),
        ...(inviteQueue.retentionSeconds
          ? { MessageRetentionPeriod: String(inviteQueue.retentionSeconds) }
          : {}),
        RedrivePolicy: JSON.stringify({
          deadLetterTargetArn: dlqArn,
          maxReceiveCount: inviteQueue.maxReceiveCount,
        }),
      },
    }),
  );
  const queueUrl = queue.QueueUrl as string;
  return {
    tableName,
    bucketName,
    queueUrl,
    queueArn: await queueArn(clients.sqs, queueUrl),
    dlqUrl,
    dlqArn,
    ttlEnabled,
    definitions,
  };
};

/** The ARN of a queue, from its URL. */
export const queueArn = async (sqs: SQSClient, queueUrl: string): Promise<string> => {
  const attributes = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }),
  );
  const arn = attributes.Attributes?.QueueArn;
  if (!arn) throw new Error(`queue ${queueUrl} has no QueueArn`);
  return arn;
};
