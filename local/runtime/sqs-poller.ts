import {
  ChangeMessageVisibilityCommand,
  DeleteMessageBatchCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  type Message,
  type MessageAttributeValue,
  ReceiveMessageCommand,
  SendMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent, SQSMessageAttributes, SQSRecord } from 'aws-lambda';
import { LOCAL_REGION } from '#local/emulators.ts';
import { type CrashPolicy, type InvocationOutcome, invoke, type LambdaHandler } from './lambda.ts';

/**
 * The handler shape of an SQS-triggered function. It may return an `SQSBatchResponse` (partial batch
 * response) or nothing; anything else is judged by Lambda's rules (see {@link failedMessageIds}).
 */
export type SqsHandler = LambdaHandler<SQSEvent, SQSBatchResponse | unknown>;

/** Options of {@link createSqsPoller}: the event source mapping's settings. */
export interface SqsPollerOptions {
  sqs: SQSClient;
  queueUrl: string;
  /** `eventSourceARN` of the records; looked up when absent. */
  queueArn?: string;
  handler: SqsHandler;
  functionName?: string;
  /** Messages per invocation (default 10). Above 10, several receives fill one batch. */
  batchSize?: number;
  /** How long to keep filling a batch above 10 messages (ms, default 0: one round of receives). */
  maxBatchingWindowMs?: number;
  /**
   * Function timeout (ms, default 30 s): a longer invocation is abandoned and its batch fails. Must not
   * exceed the queue's visibility timeout (Lambda refuses such a mapping; so does drain()).
   */
  timeoutMs?: number;
  /** Concurrent invocations (the mapping's maximum concurrency, default 2). */
  maxConcurrency?: number;
  /** ReportBatchItemFailures on the mapping (default true). */
  reportBatchItemFailures?: boolean;
  /**
   * Redrive done by the poller, for queues without a RedrivePolicy: a message received more than
   * `maxReceiveCount` times goes to `dlqUrl` instead of the handler. Leave unset when the queue has a
   * RedrivePolicy (fauxqs applies it itself).
   */
  redrive?: { dlqUrl: string; maxReceiveCount: number };
  crash?: CrashPolicy;
  /** Probability that a batch is delivered a second time before it is deleted (at-least-once delivery). */
  duplicateProbability?: number;
  /** Randomness for duplicates; default Math.random. */
  random?: () => number;
  /** Long-poll wait per receive (s, default 1); keep below the client's request timeout. */
  waitTimeSeconds?: number;
  region?: string;
  /** Observer of poller-side failures (receive, delete, redrive calls). */
  onError?: (error: unknown) => void;
  /** Observer of every invocation (progress, logs). */
  onInvocation?: (report: SqsInvocationReport) => void;
}

/** What one invocation did with its batch. */
export interface SqsInvocationReport {
  outcome: InvocationOutcome<unknown>;
  messageIds: string[];
  /** Left on the queue to reappear after the visibility timeout. */
  failedIds: string[];
  deletedIds: string[];
  /** Why the whole batch failed, when it did. */
  batchFailure?: 'error' | 'crash' | 'timeout' | 'invalid-response';
  duplicate: boolean;
}

/** Counters of a poller's life. */
export interface SqsPollerStats {
  receives: number;
  messagesReceived: number;
  invocations: number;
  succeeded: number;
  errors: number;
  crashes: number;
  timeouts: number;
  invalidResponses: number;
  partialFailures: number;
  messagesFailed: number;
  messagesDeleted: number;
  deleteFailures: number;
  duplicateDeliveries: number;
  redrivenByPoller: number;
  /** Receive/delete calls that failed (the poller backs off and keeps going). */
  pollerErrors: number;
}

/** An SQS event source mapping, run locally. */
export interface SqsPoller {
  start(): void;
  /** Stops polling, waits for running invocations and for abandoned ones to settle. */
  stop(): Promise<void>;
  /**
   * Runs until the queue holds no message (visible, in flight or delayed) and no invocation runs, for
   * `idleMs` (default 300 ms); then stops, unless `keepRunning`. `drained` is false if `timeoutMs` (default
   * 120 s) passed first. Drains in a row should keep it running: a long poll the stop aborts stays waiting in
   * the emulator, which hands the next message sent to that dead receive (it comes back 30 s later).
   */
  drain(options?: {
    idleMs?: number;
    timeoutMs?: number;
    keepRunning?: boolean;
    /**
     * Messages a crashed or failed invocation left (not a timed-out one, which may still run) are made visible
     * again at once instead of after the visibility timeout: for simulated time, which stands still while it
     * drains, so the wait would cost real seconds and change nothing.
     */
    fastForward?: boolean;
  }): Promise<SqsPollerStats & { drained: boolean }>;
  stats(): SqsPollerStats;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const toRecordAttributes = (attributes: Message['MessageAttributes']): SQSMessageAttributes =>
  Object.fromEntries(
    Object.entries(attributes ?? {}).map(([name, value]: [string, MessageAttributeValue]) => [
      name,
      {
        ...(value.StringValue !== undefined ? { stringValue: value.StringValue } : {}),
        ...(value.BinaryValue !== undefined
          ? { binaryValue: Buffer.from(value.BinaryValue).toString('base64') }
          : {}),
        stringListValues: value.StringListValues ?? [],
        binaryListValues: (value.BinaryListValues ?? []).map((b) => Buffer.from(b).toString('base64')),
        dataType: value.DataType ?? 'String',
      },
    ]),
  );

/** Turns received SQS messages into a genuine Lambda `SQSEvent`. */
export const buildSqsEvent = (
  messages: Message[],
  eventSourceARN: string,
  awsRegion = LOCAL_REGION,
): SQSEvent => ({
  Records: messages.map(
    (message): SQSRecord => ({
      messageId: message.MessageId as string,
      receiptHandle: message.ReceiptHandle as string,
      body: message.Body ?? '',
      attributes: {
        ApproximateReceiveCount: message.Attributes?.ApproximateReceiveCount ?? '1',
        SentTimestamp: message.Attributes?.SentTimestamp ?? String(Date.now()),
        SenderId: message.Attributes?.SenderId ?? 'AIDALOCAL',
        ApproximateFirstReceiveTimestamp:
          message.Attributes?.ApproximateFirstReceiveTimestamp ?? String(Date.now()),
      },
      messageAttributes: toRecordAttributes(message.MessageAttributes),
      md5OfBody: message.MD5OfBody ?? '',
      ...(message.MD5OfMessageAttributes ? { md5OfMessageAttributes: message.MD5OfMessageAttributes } : {}),
      eventSource: 'aws:sqs',
      eventSourceARN,
      awsRegion,
    }),
  ),
});

/**
 * Which messages failed, by Lambda's rules for ReportBatchItemFailures: null/empty response or list = all
 * succeeded; an itemIdentifier that is missing, empty or not in the batch = the whole batch failed.
 */
export const failedMessageIds = (result: unknown, messageIds: readonly string[]): string[] | 'invalid' => {
  if (result === undefined || result === null) return [];
  if (typeof result !== 'object') return 'invalid';
  const failures = (result as { batchItemFailures?: unknown }).batchItemFailures;
  if (failures === undefined || failures === null) return [];
  if (!Array.isArray(failures)) return 'invalid';
  const ids = new Set<string>();
  for (const failure of failures) {
    const id = (failure as { itemIdentifier?: unknown } | null)?.itemIdentifier;
    if (typeof id !== 'string' || id === '' || !messageIds.includes(id)) return 'invalid';
    ids.add(id);
  }
  return [...ids];
};

/** Creates a local SQS → Lambda event source mapping with Lambda's semantics. */
export const createSqsPoller = (options: SqsPollerOptions): SqsPoller => {
  const batchSize = options.batchSize ?? 10;
  const timeoutMs = options.timeoutMs ?? 30_000;
  const concurrency = options.maxConcurrency ?? 2;
  const reportFailures = options.reportBatchItemFailures ?? true;
  const random = options.random ?? Math.random;
  const stats: SqsPollerStats = {
    receives: 0,
    messagesReceived: 0,
    invocations: 0,
    succeeded: 0,
    errors: 0,
    crashes: 0,
    timeouts: 0,
    invalidResponses: 0,
    partialFailures: 0,
    messagesFailed: 0,
    messagesDeleted: 0,
    deleteFailures: 0,
    duplicateDeliveries: 0,
    redrivenByPoller: 0,
    pollerErrors: 0,
  };
  const abandoned = new Set<Promise<unknown>>();
  let abort = new AbortController();
  let running = false;
  // Batches between receive and the end of their deletion: their messages may not show in the queue counts.
  let handling = 0;
  let workers: Promise<void>[] = [];
  let arn = options.queueArn;
  let startError: unknown;

  const receiveOnce = async (max: number, waitTimeSeconds: number): Promise<Message[]> => {
    stats.receives += 1;
    const response = await options.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: options.queueUrl,
        MaxNumberOfMessages: Math.min(10, max),
        WaitTimeSeconds: waitTimeSeconds,
        MessageSystemAttributeNames: ['All'],
        MessageAttributeNames: ['All'],
      }),
      { abortSignal: abort.signal },
    );
    return response.Messages ?? [];
  };

  const receiveBatch = async (): Promise<Message[]> => {
    const batch = await receiveOnce(batchSize, options.waitTimeSeconds ?? 1);
    // Filling a batch above 10 uses short polls: a long poll here would eat into the visibility timeout
    // of the messages already held.
    const windowEnds = Date.now() + (options.maxBatchingWindowMs ?? 0);
    while (batch.length > 0 && batch.length < batchSize && running) {
      const more = await receiveOnce(batchSize - batch.length, 0);
      batch.push(...more);
      if (more.length === 0) {
        if (Date.now() >= windowEnds) break;
        await sleep(Math.min(50, windowEnds - Date.now()));
      }
    }
    return batch;
  };

  const redriveExhausted = async (messages: Message[]): Promise<Message[]> => {
    const redrive = options.redrive;
    if (!redrive) return messages;
    const keep: Message[] = [];
    for (const message of messages) {
      if (Number(message.Attributes?.ApproximateReceiveCount ?? '1') <= redrive.maxReceiveCount) {
        keep.push(message);
        continue;
      }
      await options.sqs.send(
        new SendMessageCommand({
          QueueUrl: redrive.dlqUrl,
          MessageBody: message.Body ?? '',
          ...(message.MessageAttributes ? { MessageAttributes: message.MessageAttributes } : {}),
        }),
      );
      await options.sqs.send(
        new DeleteMessageCommand({ QueueUrl: options.queueUrl, ReceiptHandle: message.ReceiptHandle }),
      );
      stats.redrivenByPoller += 1;
    }
    return keep;
  };

  const deleteMessages = async (messages: Message[]): Promise<string[]> => {
    const deleted: string[] = [];
    for (let i = 0; i < messages.length; i += 10) {
      const chunk = messages.slice(i, i + 10);
      const response = await options.sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: options.queueUrl,
          Entries: chunk.map((message, index) => ({
            Id: String(index),
            ReceiptHandle: message.ReceiptHandle,
          })),
        }),
      );
      for (const ok of response.Successful ?? []) {
        const id = chunk[Number(ok.Id)]?.MessageId;
        if (id) deleted.push(id);
      }
      stats.deleteFailures += response.Failed?.length ?? 0;
    }
    stats.messagesDeleted += deleted.length;
    return deleted;
  };

  const invokeBatch = async (messages: Message[], duplicate: boolean): Promise<SqsInvocationReport> => {
    const messageIds = messages.map((message) => message.MessageId as string);
    const event = buildSqsEvent(messages, arn as string, options.region);
    stats.invocations += 1;
    if (duplicate) stats.duplicateDeliveries += 1;
    const outcome = await invoke(options.handler, event, {
      functionName: options.functionName ?? 'invite',
      timeoutMs,
      ...(options.crash ? { crash: options.crash } : {}),
      onAbandoned: (pending) => {
        abandoned.add(pending);
        void pending.finally(() => abandoned.delete(pending));
      },
    });
    const report = (failedIds: string[], batchFailure?: SqsInvocationReport['batchFailure']) => ({
      outcome,
      messageIds,
      failedIds,
      deletedIds: [],
      duplicate,
      ...(batchFailure ? { batchFailure } : {}),
    });
    switch (outcome.kind) {
      case 'error':
        stats.errors += 1;
        return report(messageIds, 'error');
      case 'crash':
        stats.crashes += 1;
        return report(messageIds, 'crash');
      case 'timeout':
        stats.timeouts += 1;
        return report(messageIds, 'timeout');
      case 'ok': {
        const failed = reportFailures ? failedMessageIds(outcome.result, messageIds) : [];
        if (failed === 'invalid') {
          stats.invalidResponses += 1;
          return report(messageIds, 'invalid-response');
        }
        stats.succeeded += 1;
        if (failed.length > 0) stats.partialFailures += 1;
        return report(failed);
      }
    }
  };

  const handleBatch = async (received: Message[]) => {
    const messages = await redriveExhausted(received);
    if (messages.length === 0) return;
    let report = await invokeBatch(messages, false);
    // At-least-once: now and then the same batch reaches the function twice before it is deleted.
    if (!report.batchFailure && options.duplicateProbability && random() < options.duplicateProbability) {
      options.onInvocation?.(report);
      report = await invokeBatch(messages, true);
    }
    if (report.failedIds.length < messages.length) {
      const toDelete = messages.filter((message) => !report.failedIds.includes(message.MessageId as string));
      report.deletedIds = await deleteMessages(toDelete);
    }
    // Failed messages are left alone: they reappear when their visibility timeout expires, as with Lambda.
    stats.messagesFailed += report.failedIds.length;
    // Only an invocation that died (not one that timed out and may still run, nor one whose record asked to
    // be retried later) leaves messages a fast-forward drain shows again at once.
    if (report.batchFailure === 'crash' || report.batchFailure === 'error') {
      for (const message of messages) {
        if (report.failedIds.includes(message.MessageId as string) && message.ReceiptHandle)
          leftBehind.set(message.MessageId as string, message.ReceiptHandle);
      }
    }
    options.onInvocation?.(report);
  };

  /** Receipts of messages failed invocations left in flight (made visible early by a fast-forward drain). */
  const leftBehind = new Map<string, string>();
  const showLeftBehind = async () => {
    const receipts = [...leftBehind.values()];
    leftBehind.clear();
    for (const ReceiptHandle of receipts) {
      await options.sqs
        .send(
          new ChangeMessageVisibilityCommand({
            QueueUrl: options.queueUrl,
            ReceiptHandle,
            VisibilityTimeout: 0,
          }),
        )
        .catch(() => {});
    }
  };

  const worker = async () => {
    while (running) {
      try {
        const messages = await receiveBatch();
        stats.messagesReceived += messages.length;
        if (messages.length === 0) continue;
        handling += 1;
        try {
          await handleBatch(messages);
        } finally {
          handling -= 1;
        }
      } catch (error) {
        if (!running) break;
        // The emulator hiccuped: back off briefly, like the real poller, and keep polling.
        if ((error as Error).name === 'AbortError') continue;
        stats.pollerErrors += 1;
        options.onError?.(error);
        await sleep(100);
      }
    }
  };

  const queueIsEmpty = async (): Promise<boolean> => {
    const response = await options.sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: options.queueUrl,
        AttributeNames: [
          'ApproximateNumberOfMessages',
          'ApproximateNumberOfMessagesNotVisible',
          'ApproximateNumberOfMessagesDelayed',
        ],
      }),
    );
    const attributes = response.Attributes ?? {};
    return (
      Number(attributes.ApproximateNumberOfMessages ?? 0) +
        Number(attributes.ApproximateNumberOfMessagesNotVisible ?? 0) +
        Number(attributes.ApproximateNumberOfMessagesDelayed ?? 0) ===
      0
    );
  };

  // Like creating the event source mapping: Lambda refuses a function timeout above the visibility timeout,
  // which would let a still-running batch reappear and run twice at once.
  const checkMapping = async () => {
    const response = await options.sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: options.queueUrl,
        AttributeNames: ['QueueArn', 'VisibilityTimeout'],
      }),
    );
    arn ??= response.Attributes?.QueueArn;
    if (!arn) throw new Error(`queue ${options.queueUrl} has no QueueArn`);
    const visibilitySeconds = Number(response.Attributes?.VisibilityTimeout ?? '30');
    if (timeoutMs > visibilitySeconds * 1000) {
      throw new Error(
        `function timeout ${timeoutMs} ms exceeds the queue's visibility timeout of ${visibilitySeconds} s`,
      );
    }
  };

  const start = () => {
    if (running) return;
    running = true;
    abort = new AbortController();
    const launch = async () => {
      try {
        await checkMapping();
      } catch (error) {
        running = false;
        startError = error;
        return;
      }
      await Promise.all(Array.from({ length: concurrency }, () => worker()));
    };
    workers = [launch()];
  };

  const stop = async () => {
    running = false;
    abort.abort();
    await Promise.allSettled(workers);
    workers = [];
    await Promise.allSettled([...abandoned]);
  };

  return {
    start,
    stop,
    stats: () => ({ ...stats }),
    drain: async ({
      idleMs = 300,
      timeoutMs: drainTimeoutMs = 120_000,
      keepRunning = false,
      fastForward = false,
    } = {}) => {
      start();
      await sleep(0);
      const deadline = Date.now() + drainTimeoutMs;
      let idleSince: number | undefined;
      let drained = false;
      while (Date.now() < deadline) {
        if (startError) break;
        // Received-but-undeleted messages count as NotVisible, so an empty queue and no batch being
        // handled means nothing is left, including messages of failed invocations awaiting redelivery.
        const empty = handling === 0 && (await queueIsEmpty().catch(() => false)) && handling === 0;
        if (empty) {
          idleSince ??= Date.now();
          if (Date.now() - idleSince >= idleMs) {
            drained = true;
            break;
          }
        } else {
          idleSince = undefined;
          if (fastForward && handling === 0) await showLeftBehind();
        }
        await sleep(50);
      }
      if (!keepRunning || startError) await stop();
      if (startError) throw startError;
      return { ...stats, drained };
    },
  };
};
