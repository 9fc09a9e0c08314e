// Where a CLI command works: the deployed stack (found through its CloudFormation outputs) or the local stack
// `invites up` runs (found through `.invites/local.json`). Either way the same clients: S3, the store, the
// invite queue.
import { readFile } from 'node:fs/promises';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { STACK_OUTPUTS, UPLOADS } from '#infra/definitions.ts';
import { LOCAL_DEPLOYMENT_FILE, type LocalDeploymentInfo } from '#local/deployment-info.ts';
import { sqsInviteQueue } from '#shared/ingest/aws.ts';
import type { InviteQueue } from '#shared/ingest/ports.ts';
import { createDynamoStore } from '#shared/store/dynamo/index.ts';
import { campaignIdFor } from '#shared/store/keys.ts';
import type { Store } from '#shared/store/ports.ts';
import type { CampaignRecord } from '#shared/store/types.ts';
import { UsageError } from './args.ts';

const requestHandler = { requestTimeout: 15_000, connectionTimeout: 5_000 };

/** The deployed resources the CLI needs, from the stack's outputs. */
export interface StackResources {
  bucketName: string;
  tableName: string;
  /** Absent on a stack deployed before the output existed: commands that send need it. */
  inviteQueueUrl?: string;
  /** The console's user pool (absent on a stack deployed before the console). */
  consoleUserPoolId?: string;
}

/** Reads the stack's outputs (STACK_OUTPUTS keys) with DescribeStacks. */
export const describeStack = async (stackName: string): Promise<StackResources> => {
  const cfn = new CloudFormationClient({ requestHandler });
  try {
    const response = await cfn.send(new DescribeStacksCommand({ StackName: stackName }));
    const outputs = new Map((response.Stacks?.[0]?.Outputs ?? []).map((o) => [o.OutputKey, o.OutputValue]));
    const bucketName = outputs.get(STACK_OUTPUTS.bucketName);
    const tableName = outputs.get(STACK_OUTPUTS.tableName);
    if (!bucketName || !tableName) {
      throw new Error(
        `stack ${stackName} has no ${!bucketName ? STACK_OUTPUTS.bucketName : STACK_OUTPUTS.tableName} output: is it the invites stack?`,
      );
    }
    const inviteQueueUrl = outputs.get(STACK_OUTPUTS.inviteQueueUrl);
    const consoleUserPoolId = outputs.get(STACK_OUTPUTS.consoleUserPoolId);
    return {
      bucketName,
      tableName,
      ...(inviteQueueUrl ? { inviteQueueUrl } : {}),
      ...(consoleUserPoolId ? { consoleUserPoolId } : {}),
    };
  } finally {
    cfn.destroy();
  }
};

/** Where a command works, with its clients. */
export interface Target {
  /** How the user names it on the command line, for the hints we print. */
  flag: string;
  bucketName: string;
  s3: S3Client;
  store: Store;
  /** The invite queue (cancel messages); throws a clear error on a stack without its output. */
  inviteQueue(): InviteQueue;
  destroy(): void;
}

/** The clients of a target over `config` (the emulators' endpoints, or the default AWS chain). */
const clientsOf = (
  flag: string,
  resources: StackResources,
  config: { s3?: object; dynamo?: object; sqs?: object },
): Target => {
  const s3 = new S3Client({ requestHandler, ...config.s3 });
  const dynamo = new DynamoDBClient({ requestHandler, ...config.dynamo });
  const sqs = new SQSClient({ requestHandler, ...config.sqs });
  const doc = DynamoDBDocumentClient.from(dynamo, { marshallOptions: { removeUndefinedValues: true } });
  return {
    flag,
    bucketName: resources.bucketName,
    s3,
    store: createDynamoStore({ doc, tableName: resources.tableName }),
    inviteQueue: () => {
      if (!resources.inviteQueueUrl) {
        throw new Error(`${flag} shows no ${STACK_OUTPUTS.inviteQueueUrl} output: deploy the stack again`);
      }
      return sqsInviteQueue(sqs, resources.inviteQueueUrl);
    },
    destroy: () => {
      s3.destroy();
      dynamo.destroy();
      sqs.destroy();
    },
  };
};

/** What `invites up` wrote about the running local stack; a usage error naming the fix when none runs. */
export const localDeployment = async (command: string): Promise<LocalDeploymentInfo> => {
  try {
    return JSON.parse(await readFile(LOCAL_DEPLOYMENT_FILE, 'utf8')) as LocalDeploymentInfo;
  } catch {
    throw new UsageError(
      `no local stack here (${LOCAL_DEPLOYMENT_FILE}): start one with 'invites up'`,
      command,
    );
  }
};

/** The local stack's clients from `.invites/local.json` (any credentials do for the emulators). */
const localTarget = async (command: string): Promise<Target> => {
  const info = await localDeployment(command);
  const local = { region: info.aws.region, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } };
  return clientsOf('--local', info, {
    s3: { ...local, endpoint: info.aws.s3, forcePathStyle: true },
    dynamo: { ...local, endpoint: info.aws.dynamo },
    sqs: { ...local, endpoint: info.aws.sqs },
  });
};

/** The target `--stack <name>` or `--local` names (exactly one of them). */
export const targetOf = async (
  command: string,
  values: { stack?: string | undefined; local?: boolean | undefined },
): Promise<Target> => {
  if (values.local && values.stack) throw new UsageError('--stack and --local exclude each other', command);
  if (values.local) return localTarget(command);
  if (!values.stack) throw new UsageError('--stack <name> (or --local) is required', command);
  return clientsOf(`--stack ${values.stack}`, await describeStack(values.stack), {});
};

/** The key of the CSV of the campaign sent as NAME (`send --campaign NAME`): every upload of it goes there. */
export const namedCampaignKey = (name: string): string => `${UPLOADS.prefix}${name}${UPLOADS.csvSuffix}`;

/** The campaign a command names: by its id, or by the NAME it was sent under. */
export const findCampaign = async (target: Target, idOrName: string): Promise<CampaignRecord | undefined> =>
  (await target.store.getCampaign(idOrName)) ??
  (await target.store.getCampaign(
    campaignIdFor({ bucket: target.bucketName, key: namedCampaignKey(idOrName) }),
  ));
