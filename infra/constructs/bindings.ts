import { Stack, Validations } from 'aws-cdk-lib';
import type { IGrantable } from 'aws-cdk-lib/aws-iam';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { CfnBucket, IBucket } from 'aws-cdk-lib/aws-s3';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import type { IConstruct } from 'constructs';
import { ENV } from '#shared/config.ts';

// A binding is one thing a function may use: the environment variable that tells the code where it is and
// the IAM grant that lets the code use it, declared together so neither can exist without the other.

/** Name of an environment variable the functions read (from `ENV` in shared/config.ts). */
export type EnvName = (typeof ENV)[keyof typeof ENV];

/** One resource or setting a function uses: its environment (if any) and its grant (if any). */
export interface Binding {
  /** Environment variables this binding sets. */
  readonly environment: Readonly<Partial<Record<EnvName, string>>>;
  /** Grants the function's role what the binding needs. */
  readonly grant?: (grantee: IGrantable) => void;
}

/** DynamoDB item actions the pipeline uses: single-item conditional writes, BatchWriteItem, Query, Get. */
export const TABLE_ACTIONS = [
  'dynamodb:GetItem',
  'dynamodb:Query',
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
  'dynamodb:BatchWriteItem',
] as const;

/** A plain setting: an environment variable and no permission. */
export const setting = (name: EnvName, value: string | number): Binding => ({
  environment: { [name]: String(value) },
});

/**
 * The campaign table: its name, and item reads/writes/queries on the table (never Scan, never table
 * management); `actions` narrows them for a function that needs fewer, and `indexes` names the secondary
 * indexes it queries (none by default: no function gets `index/*`).
 */
export const tableAccess = (
  name: EnvName,
  table: { tableName: string; tableArn: string },
  actions: ReadonlyArray<(typeof TABLE_ACTIONS)[number] | 'dynamodb:BatchGetItem'> = TABLE_ACTIONS,
  indexes: readonly string[] = [],
): Binding => ({
  environment: { [name]: table.tableName },
  grant: (grantee) => {
    grantee.grantPrincipal.addToPrincipalPolicy(
      new PolicyStatement({
        actions: [...actions],
        resources: [table.tableArn, ...indexes.map((index) => `${table.tableArn}/index/${index}`)],
      }),
    );
  },
});

/** A queue the function sends to: its URL, and sqs:SendMessage on it. */
export const queueSend = (name: EnvName, queue: IQueue): Binding => ({
  environment: { [name]: queue.queueUrl },
  grant: (grantee) => queue.grantSendMessages(grantee),
});

/** A secret read at cold start: its ARN (never its value), and GetSecretValue on that one secret. */
export const secretRead = (name: EnvName, secret: ISecret): Binding => ({
  environment: { [name]: secret.secretArn },
  grant: (grantee) => {
    grantee.grantPrincipal.addToPrincipalPolicy(
      new PolicyStatement({ actions: ['secretsmanager:GetSecretValue'], resources: [secret.secretArn] }),
    );
  },
});

/**
 * Objects under `prefix` in the upload bucket: read only, plus listing so a missing object is a 404 (the
 * bucket name arrives in the S3 event, so there is no environment variable).
 */
export const uploadsRead = (bucket: IBucket, prefix: string): Binding => ({
  environment: {},
  grant: (grantee) => {
    grantee.grantPrincipal.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ['s3:GetObject', 's3:GetObjectVersion'],
        resources: [bucket.arnForObjects(`${prefix}*`)],
      }),
    );
    // Without ListBucket, S3 answers a missing key (an upload without a settings file) with 403 AccessDenied
    // instead of 404 NoSuchKey, and ingest could not tell "no settings" from "no permission".
    grantee.grantPrincipal.addToPrincipalPolicy(
      new PolicyStatement({ actions: ['s3:ListBucket'], resources: [bucket.bucketArn] }),
    );
    const bucketId = Stack.of(bucket).resolve((bucket.node.defaultChild as CfnBucket).logicalId);
    Validations.of(grantee.grantPrincipal as unknown as IConstruct).acknowledge({
      id: `AwsSolutions::AwsSolutions-IAM5[Resource::<${bucketId}.Arn>/${prefix}*]`,
      reason: `Object reads are limited to the ${prefix} prefix; the object names are the researchers' uploads.`,
    });
  },
});

/**
 * Uploads into the upload bucket: the bucket and prefix as settings, and `s3:PutObject` on exactly the keys a
 * campaign has (`<prefix>*<suffix>`), which the console signs one-off PUTs for; no read, no delete.
 */
export const uploadsWrite = (bucket: IBucket, prefix: string, suffixes: readonly string[]): Binding => ({
  environment: { [ENV.uploadsBucket]: bucket.bucketName, [ENV.uploadsPrefix]: prefix },
  grant: (grantee) => {
    grantee.grantPrincipal.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ['s3:PutObject'],
        resources: suffixes.map((suffix) => bucket.arnForObjects(`${prefix}*${suffix}`)),
      }),
    );
    const bucketId = Stack.of(bucket).resolve((bucket.node.defaultChild as CfnBucket).logicalId);
    for (const suffix of suffixes) {
      Validations.of(grantee.grantPrincipal as unknown as IConstruct).acknowledge({
        id: `AwsSolutions::AwsSolutions-IAM5[Resource::<${bucketId}.Arn>/${prefix}*${suffix}]`,
        reason: `Writes are limited to campaign files (${prefix}<name>${suffix}), each signed for one name, size and type.`,
      });
    }
  },
});

/**
 * Sending through SES v2 with one configuration set: its name, and the send actions on exactly the sender
 * identity (plus sandbox recipient identities) and that configuration set. SendBulkEmail is authorised as
 * `ses:SendBulkEmail` by the v2 API; `ses:SendBulkTemplatedEmail` (the v1 name some regions still check for
 * v2 bulk sends) is listed too, on the same resources. `pace` adds the account read a paced sender needs
 * (the console's one-off test sends are not paced).
 */
export const sesSend = (
  name: EnvName,
  configurationSet: { configurationSetName: string },
  configurationSetArn: string,
  identityArns: readonly string[],
  { pace = true }: { pace?: boolean } = {},
): Binding => ({
  environment: { [name]: configurationSet.configurationSetName },
  grant: (grantee) => {
    grantee.grantPrincipal.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ['ses:SendEmail', 'ses:SendBulkEmail', 'ses:SendBulkTemplatedEmail'],
        resources: [...identityArns, configurationSetArn],
      }),
    );
    if (!pace) return;
    // The account's quota and send rate, to pace at and wait for (GetAccount has no resource to scope to).
    grantee.grantPrincipal.addToPrincipalPolicy(
      new PolicyStatement({ actions: ['ses:GetAccount'], resources: ['*'] }),
    );
  },
});
