import { randomBytes } from 'node:crypto';
import {
  HeadObjectCommand,
  PutObjectCommand,
  type PutObjectCommandInput,
  type S3Client,
} from '@aws-sdk/client-s3';
import type { S3Event, S3EventRecord } from 'aws-lambda';
import { LOCAL_REGION } from '#local/emulators.ts';
import { type CrashPolicy, type InvocationOutcome, invoke, type LambdaHandler } from './lambda.ts';

/** The object facts an ObjectCreated record carries. */
export interface S3ObjectFacts {
  bucket: string;
  /** The raw key; the event carries it URL-encoded, as S3 does. */
  key: string;
  size: number;
  /** Without the surrounding quotes S3 puts on the ETag header. */
  eTag: string;
  versionId?: string;
  /** Hex string, increasing per object version; duplicates of one notification share it. */
  sequencer: string;
  eventName?:
    | 'ObjectCreated:Put'
    | 'ObjectCreated:Post'
    | 'ObjectCreated:Copy'
    | 'ObjectCreated:CompleteMultipartUpload';
  region?: string;
  eventTime?: Date;
}

/** Encodes a key the way S3 event notifications do (form encoding: spaces as `+`, slashes kept). */
export const encodeS3EventKey = (key: string): string =>
  encodeURIComponent(key).replace(/%2F/g, '/').replace(/%20/g, '+');

/** Decodes a key from an S3 event notification (what a handler must do). */
export const decodeS3EventKey = (key: string): string => decodeURIComponent(key.replace(/\+/g, ' '));

/** Builds a genuine S3 ObjectCreated event (one record), as S3 delivers it to Lambda. */
export const buildS3Event = (facts: S3ObjectFacts): S3Event => {
  const record: S3EventRecord = {
    eventVersion: '2.1',
    eventSource: 'aws:s3',
    awsRegion: facts.region ?? LOCAL_REGION,
    eventTime: (facts.eventTime ?? new Date()).toISOString(),
    eventName: facts.eventName ?? 'ObjectCreated:Put',
    userIdentity: { principalId: 'AWS:LOCALUSER' },
    requestParameters: { sourceIPAddress: '127.0.0.1' },
    responseElements: {
      'x-amz-request-id': randomBytes(8).toString('hex').toUpperCase(),
      'x-amz-id-2': randomBytes(32).toString('base64'),
    },
    s3: {
      s3SchemaVersion: '1.0',
      configurationId: 'local-ingest-notification',
      bucket: {
        name: facts.bucket,
        ownerIdentity: { principalId: 'LOCALOWNER' },
        arn: `arn:aws:s3:::${facts.bucket}`,
      },
      object: {
        key: encodeS3EventKey(facts.key),
        size: facts.size,
        eTag: facts.eTag,
        ...(facts.versionId ? { versionId: facts.versionId } : {}),
        sequencer: facts.sequencer,
      },
    },
  };
  return { Records: [record] };
};

/** Options of {@link createS3Bridge}. */
export interface S3BridgeOptions {
  s3: S3Client;
  bucket: string;
  /** Only keys with this prefix notify (the bucket notification filter). */
  prefix?: string;
  /** Only keys with this suffix notify. */
  suffix?: string;
  handler: LambdaHandler<S3Event, unknown>;
  functionName?: string;
  /** Function timeout (ms); default 60 s. */
  timeoutMs?: number;
  /** Extra deliveries of every notification (S3 delivers at least once); default 0. */
  duplicates?: number;
  /** Deliver the duplicates one after another (default) or all at once, racing. */
  duplicateMode?: 'sequential' | 'concurrent';
  /** Retries of a failed delivery, like Lambda's asynchronous invocation (default 2, i.e. 3 attempts). */
  retryAttempts?: number;
  /** Pause before a retry (Lambda waits minutes; default 50 ms locally). */
  retryDelayMs?: number;
  crash?: CrashPolicy;
  region?: string;
}

/** What became of one notification: each delivery, with every attempt's outcome. */
export interface S3DeliveryReport {
  key: string;
  /** False when the key does not match prefix/suffix: no handler was invoked. */
  matched: boolean;
  event?: S3Event;
  deliveries: Array<{ attempts: InvocationOutcome<unknown>[]; succeeded: boolean }>;
}

/** Bridges S3 uploads to the ingest handler, since no emulator sends S3 notifications. */
export interface S3Bridge {
  /** PutObject into the bucket, then deliver the ObjectCreated:Put notification (when the key matches). */
  putObject(input: Omit<PutObjectCommandInput, 'Bucket'>): Promise<S3DeliveryReport>;
  /** Deliver the notification for an object already in the bucket (e.g. uploaded by someone else). */
  notify(key: string): Promise<S3DeliveryReport>;
  /** Deliver a prepared event (`duplicates` and retries apply). */
  deliver(event: S3Event): Promise<S3DeliveryReport['deliveries']>;
  /** Every report so far. */
  reports(): S3DeliveryReport[];
  /** Waits for abandoned (timed-out) invocations to settle. */
  close(): Promise<void>;
}

let sequence = 0n;
const nextSequencer = (): string => {
  // Monotonic like S3's: later versions of a key compare greater.
  sequence += 1n;
  return (BigInt(Date.now()) * 1000n + (sequence % 1000n)).toString(16).toUpperCase().padStart(16, '0');
};

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Creates an {@link S3Bridge} for one bucket and handler. */
export const createS3Bridge = (options: S3BridgeOptions): S3Bridge => {
  const prefix = options.prefix ?? '';
  const suffix = options.suffix ?? '';
  const reports: S3DeliveryReport[] = [];
  const abandoned = new Set<Promise<unknown>>();
  const matches = (key: string) => key.startsWith(prefix) && key.endsWith(suffix);

  const deliverOnce = async (event: S3Event) => {
    const attempts: InvocationOutcome<unknown>[] = [];
    const maxAttempts = 1 + (options.retryAttempts ?? 2);
    for (let attempt = 1; attempt <= maxAttempts; attempt += 1) {
      // Every attempt gets its own copy: a handler must not be able to mutate the next attempt's event.
      const outcome = await invoke(options.handler, structuredClone(event), {
        functionName: options.functionName ?? 'ingest',
        timeoutMs: options.timeoutMs ?? 60_000,
        ...(options.crash ? { crash: options.crash } : {}),
        onAbandoned: (pending) => {
          abandoned.add(pending);
          void pending.finally(() => abandoned.delete(pending));
        },
      });
      attempts.push(outcome);
      if (outcome.kind === 'ok') return { attempts, succeeded: true };
      if (attempt < maxAttempts) await sleep(options.retryDelayMs ?? 50);
    }
    return { attempts, succeeded: false };
  };

  const deliver = async (event: S3Event) => {
    const count = 1 + (options.duplicates ?? 0);
    if (options.duplicateMode === 'concurrent') {
      return Promise.all(Array.from({ length: count }, () => deliverOnce(event)));
    }
    const deliveries = [];
    for (let i = 0; i < count; i += 1) deliveries.push(await deliverOnce(event));
    return deliveries;
  };

  const notify = async (key: string): Promise<S3DeliveryReport> => {
    if (!matches(key)) {
      const report = { key, matched: false, deliveries: [] };
      reports.push(report);
      return report;
    }
    const head = await options.s3.send(new HeadObjectCommand({ Bucket: options.bucket, Key: key }));
    const event = buildS3Event({
      bucket: options.bucket,
      key,
      size: head.ContentLength ?? 0,
      eTag: (head.ETag ?? '').replace(/"/g, ''),
      ...(head.VersionId ? { versionId: head.VersionId } : {}),
      sequencer: nextSequencer(),
      ...(options.region ? { region: options.region } : {}),
    });
    const report: S3DeliveryReport = { key, matched: true, event, deliveries: [] };
    reports.push(report);
    report.deliveries = await deliver(event);
    return report;
  };

  return {
    putObject: async (input) => {
      await options.s3.send(new PutObjectCommand({ ...input, Bucket: options.bucket }));
      return notify(input.Key as string);
    },
    notify,
    deliver,
    reports: () => [...reports],
    close: async () => {
      await Promise.allSettled([...abandoned]);
    },
  };
};
