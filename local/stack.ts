// The one place that wires the real Lambda handlers to the local services, as the stack wires them in AWS:
// the ingest behind the S3 bridge (the bucket notification), the invite function behind an SQS poller with
// Lambda's semantics, the dead-letter function behind a poller on the DLQ, and the events function behind the
// SES layer's event channel. `invites local` (and through
// it the chaos harness) and the benchmark build their runs on it.
import type { S3Client } from '@aws-sdk/client-s3';
import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { S3Event } from 'aws-lambda';
import { createEventsHandler } from '#functions/events/app.ts';
import { createIngestHandler, type IngestHandlerDeps } from '#functions/ingest/app.ts';
import {
  createDeadLetterHandler,
  createInviteHandler,
  type InviteHandlerDeps,
} from '#functions/invite/app.ts';
import { FUNCTIONS, UPLOADS } from '#infra/definitions.ts';
import { type CrashPolicy, containerPool } from '#local/runtime/lambda.ts';
import type { LocalResources } from '#local/runtime/resources.ts';
import { createS3Bridge, type S3Bridge } from '#local/runtime/s3-bridge.ts';
import { createSesEventSource, type SesEventSource } from '#local/runtime/ses-events.ts';
import { createSqsPoller, type SqsInvocationReport, type SqsPoller } from '#local/runtime/sqs-poller.ts';
import type { SesEventDeps } from '#shared/events/record.ts';

/** How the local event sources deliver: Lambda's semantics, with the timings and faults of the run. */
export interface EventSourceOptions {
  /** Client the pollers receive and delete with (the event source's own, not a handler's). */
  sqs: SQSClient;
  /** Invite messages per invocation (default: the stack's). */
  batchSize?: number;
  /** Concurrent invite invocations. */
  maxConcurrency: number;
  /** Invite function timeout = queue visibility timeout (ms). */
  timeoutMs: number;
  /** Kills invocations at random points (or on demand, for a cut-off). */
  crash?: CrashPolicy;
  onInvocation?: (report: SqsInvocationReport) => void;
  /** Delivers an SQS batch twice before it is deleted, with this probability. */
  duplicateSqs?: { probability: number; random: () => number };
  /** Extra deliveries of the CSV's S3 notification, one after another or racing. */
  duplicateS3?: { count: number; mode: 'sequential' | 'concurrent' };
  /** Pause before a failed S3 delivery is retried (default: the bridge's). */
  s3RetryDelayMs?: number;
  /** Run the dead-letter function on the DLQ (default: no). */
  deadLetter?: boolean;
}

/** What to wire: the stack's resources, the handlers' deps, and how events reach them. */
export interface LocalStackWiring {
  resources: LocalResources;
  /** The ingest handler's deps, its queue URL taken from the resources. */
  ingest: Omit<IngestHandlerDeps, 'queueUrl'> & { s3: S3Client };
  /** The invite handler's deps; `requeue` sends to the invite queue with `sqs`, as deps.ts does in AWS. */
  invite: Omit<InviteHandlerDeps, 'requeue' | 'maxReceiveCount'> & { sqs: SQSClient };
  events: EventSourceOptions;
  /**
   * The events function behind the SES layer's event channel (the rule on the configuration set's events);
   * absent when SES is not the local layer.
   */
  sesEvents?: {
    endpoint: string;
    configurationSet: string;
    deps: SesEventDeps;
    duplicates?: number;
    reverse?: boolean;
  };
}

/** The wired stack: put objects through `bridge`, start and drain the pollers. */
export interface LocalStack {
  bridge: S3Bridge;
  poller: SqsPoller;
  /** The DLQ's poller, when the dead-letter function is wired. */
  dlqPoller?: SqsPoller;
  /** SES events → the events function, when wired. */
  sesEvents?: SesEventSource;
  /** Invite containers created so far (Lambda runs each concurrent invocation in its own). */
  containers(): number;
  /** Stops the pollers and the bridge. */
  close(): Promise<void>;
}

/** Wires the real handlers to the local services (see the file's header). */
export const wireLocalStack = (wiring: LocalStackWiring): LocalStack => {
  const { resources, events } = wiring;
  const maxReceiveCount = resources.definitions.inviteQueue.maxReceiveCount;
  const ingest = createIngestHandler({ ...wiring.ingest, queueUrl: resources.queueUrl });
  const { sqs: inviteSqs, ...inviteDeps } = wiring.invite;
  let containers = 0;
  // One handler per concurrent invocation, as Lambda runs each in its own container (own module state).
  const invite = containerPool(() => {
    containers++;
    return createInviteHandler({
      ...inviteDeps,
      maxReceiveCount,
      requeue: async (body, delayMs) => {
        const DelaySeconds = delayMs ? Math.min(900, Math.ceil(delayMs / 1000)) : undefined;
        await inviteSqs.send(
          new SendMessageCommand({ QueueUrl: resources.queueUrl, MessageBody: body, DelaySeconds }),
        );
      },
    });
  });
  const bridge = createS3Bridge({
    s3: wiring.ingest.s3,
    bucket: resources.bucketName,
    prefix: UPLOADS.prefix,
    suffix: UPLOADS.csvSuffix,
    handler: ingest as (event: S3Event) => Promise<unknown>,
    functionName: 'ingest',
    timeoutMs: FUNCTIONS.ingest.timeoutSeconds * 1000,
    ...(events.duplicateS3
      ? { duplicates: events.duplicateS3.count, duplicateMode: events.duplicateS3.mode }
      : {}),
    ...(events.s3RetryDelayMs !== undefined ? { retryDelayMs: events.s3RetryDelayMs } : {}),
    ...(events.crash ? { crash: events.crash } : {}),
  });
  const poller = createSqsPoller({
    sqs: events.sqs,
    queueUrl: resources.queueUrl,
    queueArn: resources.queueArn,
    handler: invite,
    functionName: 'invite',
    batchSize: events.batchSize ?? resources.definitions.inviteQueue.batchSize,
    timeoutMs: events.timeoutMs,
    maxConcurrency: events.maxConcurrency,
    waitTimeSeconds: 1,
    ...(events.onInvocation ? { onInvocation: events.onInvocation } : {}),
    ...(events.crash ? { crash: events.crash } : {}),
    ...(events.duplicateSqs
      ? { duplicateProbability: events.duplicateSqs.probability, random: events.duplicateSqs.random }
      : {}),
  });
  const dlqPoller = events.deadLetter ? deadLetterPoller(wiring, maxReceiveCount) : undefined;
  const ses = wiring.sesEvents;
  const sesEvents = ses
    ? createSesEventSource({
        sesEndpoint: ses.endpoint,
        configurationSet: ses.configurationSet,
        handler: createEventsHandler(ses.deps) as (event: unknown) => Promise<unknown>,
        ...(ses.duplicates ? { duplicates: ses.duplicates } : {}),
        ...(ses.reverse ? { reverse: true } : {}),
      })
    : undefined;
  return {
    bridge,
    poller,
    ...(dlqPoller ? { dlqPoller } : {}),
    ...(sesEvents ? { sesEvents } : {}),
    containers: () => containers,
    async close() {
      await poller.stop();
      await dlqPoller?.stop();
      await sesEvents?.stop();
      await bridge.close();
    },
  };
};

/** The dead-letter function on the DLQ (as deployed): records batches whose last receive died. */
const deadLetterPoller = (wiring: LocalStackWiring, maxReceiveCount: number): SqsPoller => {
  const { sqs: _, ...deps } = wiring.invite;
  return createSqsPoller({
    sqs: wiring.events.sqs,
    queueUrl: wiring.resources.dlqUrl,
    queueArn: wiring.resources.dlqArn,
    handler: createDeadLetterHandler({ ...deps, maxReceiveCount }),
    functionName: 'deadletter',
    batchSize: 10,
    // The DLQ keeps the default visibility timeout (30 s); an invocation must fit in it.
    timeoutMs: Math.min(wiring.events.timeoutMs, 30_000),
    maxConcurrency: 1,
    waitTimeSeconds: 1,
  });
};
