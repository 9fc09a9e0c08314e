import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SESv2Client } from '@aws-sdk/client-sesv2';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { LOCAL_REGION } from './emulators.ts';

/** Where the clients point: any subset of the emulator endpoints (region defaults to us-east-1). */
export interface AwsEndpoints {
  s3: string;
  sqs: string;
  ses: string;
  dynamo: string;
  region?: string;
}

/** Tuning shared by every client. */
export interface AwsClientOptions {
  /** Per-request socket timeout, ms (default 5000). */
  requestTimeout?: number;
  /** TCP connect timeout, ms (default 2000). */
  connectionTimeout?: number;
  /** SDK retry attempts including the first (SDK default 3). */
  maxAttempts?: number;
  /** Dummy static credentials by default; emulators never validate them. */
  credentials?: { accessKeyId: string; secretAccessKey: string };
}

/** The clients a handler or test needs, all pointed at the same emulators. */
export interface AwsClients {
  s3: S3Client;
  sqs: SQSClient;
  ses: SESv2Client;
  dynamo: DynamoDBClient;
  doc: DynamoDBDocumentClient;
  /** Destroys every client (closes pooled sockets). */
  destroy(): void;
}

/** Credentials the emulators accept (never validated). */
export const DUMMY_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' } as const;

const baseConfig = (endpoint: string, region: string | undefined, options: AwsClientOptions) => ({
  endpoint,
  region: region ?? LOCAL_REGION,
  credentials: options.credentials ?? DUMMY_CREDENTIALS,
  ...(options.maxAttempts ? { maxAttempts: options.maxAttempts } : {}),
  // Every client gets a timeout so a wedged emulator fails the test instead of hanging it.
  requestHandler: {
    requestTimeout: options.requestTimeout ?? 5000,
    connectionTimeout: options.connectionTimeout ?? 2000,
  },
});

/** S3 client for fauxqs: path-style URLs (no `bucket.localhost` DNS needed). */
export const makeS3Client = (endpoint: string, region?: string, options: AwsClientOptions = {}): S3Client =>
  new S3Client({ ...baseConfig(endpoint, region, options), forcePathStyle: true });

/** SQS client for fauxqs: the endpoint, not the queue URL's host (`sqs.<region>.localhost`), is used. */
export const makeSqsClient = (endpoint: string, region?: string, options: AwsClientOptions = {}): SQSClient =>
  new SQSClient({ ...baseConfig(endpoint, region, options), useQueueUrlAsEndpoint: false });

/** SES v2 client for aws-ses-v2-local. */
export const makeSesClient = (
  endpoint: string,
  region?: string,
  options: AwsClientOptions = {},
): SESv2Client => new SESv2Client(baseConfig(endpoint, region, options));

/** DynamoDB client for dynalite or DynamoDB Local. */
export const makeDynamoClient = (
  endpoint: string,
  region?: string,
  options: AwsClientOptions = {},
): DynamoDBClient => new DynamoDBClient(baseConfig(endpoint, region, options));

/** Document client over `dynamo`, dropping undefined attributes instead of failing on them. */
export const makeDocClient = (dynamo: DynamoDBClient): DynamoDBDocumentClient =>
  DynamoDBDocumentClient.from(dynamo, { marshallOptions: { removeUndefinedValues: true } });

/**
 * Builds all clients against `endpoints`; `overrides.dynamo` picks another DynamoDB endpoint (e.g. the
 * DynamoDB Local one) without changing the others.
 */
export const makeAwsClients = (
  endpoints: AwsEndpoints,
  overrides: AwsClientOptions & { dynamoEndpoint?: string } = {},
): AwsClients => {
  const { dynamoEndpoint, ...options } = overrides;
  const s3 = makeS3Client(endpoints.s3, endpoints.region, options);
  const sqs = makeSqsClient(endpoints.sqs, endpoints.region, options);
  const ses = makeSesClient(endpoints.ses, endpoints.region, options);
  const dynamo = makeDynamoClient(dynamoEndpoint ?? endpoints.dynamo, endpoints.region, options);
  const doc = makeDocClient(dynamo);
  return {
    s3,
    sqs,
    ses,
    dynamo,
    doc,
    destroy: () => {
      for (const client of [s3, sqs, ses, doc, dynamo]) client.destroy();
    },
  };
};

/** One email as the SES emulator received it: the ground truth of what was sent. */
export interface SesMessage {
  messageId: string;
  from: string;
  to: string[];
  cc: string[];
  bcc: string[];
  replyTo: string[];
  subject: string;
  text: string | undefined;
  html: string | undefined;
  headers: Array<{ name: string; value: string }>;
  /** Epoch seconds the emulator stored it. */
  at: number;
}

// Shape of aws-ses-v2-local's `GET /store` (dist/store.d.ts `Email`).
interface RawSesEmail {
  messageId: string;
  from: string;
  replyTo?: string[];
  destination: { to: string[]; cc?: string[]; bcc?: string[] };
  subject: string;
  body: { html?: string; text?: string };
  headers?: Array<{ name: string; value: string }>;
  at: number;
}

/**
 * Every email the SES emulator holds, oldest first. `since` (epoch seconds) limits to newer ones. The store
 * is process-wide and shared by parallel test files: filter by your own recipients rather than clearing it.
 */
export const readSesStore = async (sesEndpoint: string, since?: number): Promise<SesMessage[]> => {
  const url = new URL('/store', sesEndpoint);
  if (since !== undefined) url.searchParams.set('since', String(Math.floor(since)));
  const response = await fetch(url, { signal: AbortSignal.timeout(5000) });
  if (!response.ok) throw new Error(`SES emulator GET /store answered ${response.status}`);
  const body = (await response.json()) as { emails: RawSesEmail[] };
  return body.emails.map((email) => ({
    messageId: email.messageId,
    from: email.from,
    to: email.destination.to,
    cc: email.destination.cc ?? [],
    bcc: email.destination.bcc ?? [],
    replyTo: email.replyTo ?? [],
    subject: email.subject,
    // Template sends store '' for a missing part; report it as absent.
    text: email.body.text || undefined,
    html: email.body.html || undefined,
    headers: email.headers ?? [],
    at: email.at,
  }));
};

/** Empties the SES emulator's store (emails and templates) — affects every user of that emulator. */
export const clearSesStore = async (sesEndpoint: string): Promise<void> => {
  const response = await fetch(new URL('/clear-store', sesEndpoint), {
    method: 'POST',
    signal: AbortSignal.timeout(5000),
  });
  await response.arrayBuffer();
  if (!response.ok) throw new Error(`SES emulator POST /clear-store answered ${response.status}`);
};

/** The SES emulator's web inbox, for humans. */
export const sesInboxUrl = (sesEndpoint: string): string => new URL('/', sesEndpoint).toString();
