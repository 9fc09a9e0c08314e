// What `invites up` tells other commands about the running local stack (no imports: the CLI reads it cheaply).

/** Where `invites up` writes its endpoints, relative to the working directory. */
export const LOCAL_DEPLOYMENT_FILE = '.invites/local.json';

/** `.invites/local.json`: what a command needs to use the running local stack. */
export interface LocalDeploymentInfo {
  /** The stand-in Aseed API. */
  api: { url: string; token: string };
  /** The SES emulator: its API endpoint and its web inbox. */
  ses: { endpoint: string; inbox: string };
  /** The emulated AWS endpoints (any credentials work) and the stack's resources on them. */
  aws: { region: string; s3: string; sqs: string; dynamo: string };
  bucketName: string;
  tableName: string;
  /** The invite queue (`invites cancel` sends its cancel messages there). */
  inviteQueueUrl: string;
  /** The console's API on loopback, sign-in off (`<console>api/campaigns`…); `invites up` serves it. */
  console?: string;
  pid: number;
  startedAt: string;
}
