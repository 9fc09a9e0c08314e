/**
 * The measured side of the ingest benchmark, run in its own process (bundled by esbuild like a Lambda, so
 * no TypeScript loader inflates its memory): `node ingest-child.mjs '<json args>'` prints one JSON result.
 * See bench/ingest.ts for the modes.
 */
import { createReadStream, readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { EmulatorEndpoints } from '#local/emulators.ts';
import { parseRespondents } from '#shared/csv/parse.ts';
import { awsIngestPorts } from '#shared/ingest/aws.ts';
import { ingestUpload } from '#shared/ingest/ingest.ts';
import { createDynamoStore } from '#shared/store/dynamo/index.ts';
import { type CsvSpec, generateCsvFile } from './generate-csv.ts';

/** How respondent items reach DynamoDB in `ingest` mode. */
export type DynamoMode = 'emulator' | 'stub';

/** The project id the stand-in accepts (copied: importing the stand-in would bundle the server). */
const PROJECT_ID = '5eed0000-0000-4000-8000-00000000d3a0';

/** Arguments of one child run. */
export interface IngestChildArgs {
  mode: 'parse' | 'ingest' | 'generate';
  /** generate mode: the CSV to write. */
  spec?: CsvSpec;
  /** parse mode: the file. */
  file?: string;
  /** ingest mode: where the CSV is and where things go. */
  endpoints?: EmulatorEndpoints;
  tableName?: string;
  queueUrl?: string;
  bucket?: string;
  key?: string;
  dynamo?: DynamoMode;
  dynamoLatencyMs?: number;
}

/** Result of one child run. */
export interface IngestChildResult {
  mode: IngestChildArgs['mode'];
  dynamo?: DynamoMode;
  dynamoLatencyMs?: number;
  rows: number;
  accepted: number;
  rejected: number;
  duplicates: number;
  batches?: number;
  /** Wall time of the measured work. */
  ms: number;
  /** CPU time (user + system) of the process during it: the cost on an otherwise idle core. */
  cpuMs: number;
  rowsPerSec: number;
  /** Rows per CPU-second: what one idle core would achieve when the work is CPU-bound. */
  rowsPerCpuSec: number;
  peakRssMb: number;
  /** RSS before the work started (Node + loaded modules). */
  baseRssMb: number;
  /** Wall time the use case spent waiting for respondent writes / SQS sends (each awaited in turn). */
  dynamoWriteMs?: number;
  sqsSendMs?: number;
  batchWriteCalls?: number;
  sqsSendCalls?: number;
  outcome?: string;
}

const MB = 1024 * 1024;
const CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };
// Clients built here rather than with local/aws.ts: that module imports the emulators, which must not be
// bundled into the measured process.
const base = (endpoint: string, region: string) => ({
  endpoint,
  region,
  credentials: CREDENTIALS,
  requestHandler: { requestTimeout: 60_000, connectionTimeout: 2000 },
});
const docOf = (client: DynamoDBClient) =>
  DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
const round = (value: number, digits = 0) => Number(value.toFixed(digits));

/** Samples RSS every 20 ms; `stop()` returns the peak in MB, including the kernel's maxRSS. */
/**
 * Peak resident set size of this process image: VmHWM from /proc/self/status (Linux). Not
 * `resourceUsage().maxRSS`: on Linux that keeps the high-water mark of the process before `exec`, i.e. of
 * the parent that spawned us (the benchmark, which holds the CSV it uploaded), not ours.
 */
const highWaterMarkBytes = (): number | undefined => {
  try {
    const match = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync('/proc/self/status', 'utf8'));
    return match ? Number(match[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
};

const rssSampler = () => {
  let peak = process.memoryUsage.rss();
  // Where the memory is at the highest sample: JS heap vs buffers outside it.
  let atPeak = process.memoryUsage();
  const timer = setInterval(() => {
    const usage = process.memoryUsage();
    if (usage.rss > peak) {
      peak = usage.rss;
      atPeak = usage;
    }
  }, 20);
  return {
    stop: () => {
      clearInterval(timer);
      const hwm = highWaterMarkBytes();
      if (process.env.BENCH_MEMORY_DETAIL) {
        const mb = (n: number) => round(n / MB, 1);
        process.stderr.write(
          `memory: VmHWM ${hwm === undefined ? '?' : mb(hwm)}; at the highest sample: heapUsed ${mb(atPeak.heapUsed)} heapTotal ${mb(atPeak.heapTotal)} external ${mb(atPeak.external)} arrayBuffers ${mb(atPeak.arrayBuffers)} rss ${mb(atPeak.rss)}\n`,
        );
      }
      return round(Math.max(peak, hwm ?? 0, process.memoryUsage.rss()) / MB, 1);
    },
  };
};

/** Wall and CPU time of the measured window. */
const stopwatch = () => {
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  return () => {
    const cpu = process.cpuUsage(cpu0);
    return { ms: performance.now() - t0, cpuMs: (cpu.user + cpu.system) / 1000 };
  };
};

interface RawHandler {
  handle: (
    request: { headers: Record<string, string>; body?: unknown },
    options?: unknown,
  ) => Promise<unknown>;
}

/**
 * A DynamoDB client whose BatchWriteItem calls never leave the process: answered "all processed" (after
 * `latencyMs`) once the SDK has built, signed and serialised them. Every other operation goes to `endpoint`.
 */
const stubbedBatchWriteClient = (endpoint: string, region: string, latencyMs: number) => {
  const real = new DynamoDBClient(base(endpoint, region));
  const handler = real.config.requestHandler as unknown as RawHandler;
  let batchWrites = 0;
  const client = new DynamoDBClient({
    ...base(endpoint, region),
    requestHandler: {
      handle: async (request: { headers: Record<string, string>; body?: unknown }, options?: unknown) => {
        if (request.headers['x-amz-target'] !== 'DynamoDB_20120810.BatchWriteItem') {
          return handler.handle(request, options);
        }
        batchWrites++;
        if (latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, latencyMs));
        return {
          response: {
            statusCode: 200,
            reason: 'OK',
            headers: { 'content-type': 'application/x-amz-json-1.0' },
            body: Readable.from([Buffer.from('{"UnprocessedItems":{}}')]),
          },
        };
      },
      updateHttpClientConfig: () => undefined,
      httpHandlerConfigs: () => ({}),
      destroy: () => real.destroy(),
    } as never,
  });
  return { client, batchWrites: () => batchWrites, destroy: () => client.destroy() };
};

/** Adds the awaited wall time of `fn` calls to `total`. */
const timed =
  <A extends unknown[], R>(fn: (...args: A) => Promise<R>, total: { ms: number; calls: number }) =>
  async (...args: A): Promise<R> => {
    const t0 = performance.now();
    try {
      return await fn(...args);
    } finally {
      total.ms += performance.now() - t0;
      total.calls++;
    }
  };

const parseOnly = async (file: string): Promise<IngestChildResult> => {
  const baseRssMb = round(process.memoryUsage.rss() / MB, 1);
  const sampler = rssSampler();
  const stop = stopwatch();
  const counts = { rows: 0, accepted: 0, rejected: 0, duplicates: 0 };
  for await (const row of parseRespondents(createReadStream(file, { highWaterMark: 256 * 1024 }))) {
    counts.rows++;
    if (row.kind === 'accepted') counts.accepted++;
    else if (row.kind === 'rejected') counts.rejected++;
    else counts.duplicates++;
  }
  const { ms, cpuMs } = stop();
  return {
    mode: 'parse',
    ...counts,
    ms: round(ms),
    cpuMs: round(cpuMs),
    rowsPerSec: round((counts.rows / ms) * 1000),
    rowsPerCpuSec: round((counts.rows / cpuMs) * 1000),
    peakRssMb: sampler.stop(),
    baseRssMb,
  };
};

const ingest = async (args: IngestChildArgs): Promise<IngestChildResult> => {
  const endpoints = args.endpoints as EmulatorEndpoints;
  const s3 = new S3Client({ ...base(endpoints.s3, endpoints.region), forcePathStyle: true });
  const sqsClient = new SQSClient({ ...base(endpoints.sqs, endpoints.region), useQueueUrlAsEndpoint: false });
  const dynamo =
    args.dynamo === 'stub'
      ? stubbedBatchWriteClient(endpoints.dynamo, endpoints.region, args.dynamoLatencyMs ?? 0)
      : undefined;
  const plainDynamo = dynamo ? undefined : new DynamoDBClient(base(endpoints.dynamo, endpoints.region));
  const doc = docOf(dynamo?.client ?? (plainDynamo as DynamoDBClient));
  const store = createDynamoStore({ doc, tableName: args.tableName as string });
  const writes = { ms: 0, calls: 0 };
  store.writeRejected = timed(store.writeRejected.bind(store), writes);
  store.writeBatches = timed(store.writeBatches.bind(store), writes);
  const sends = { ms: 0, calls: 0 };
  const sqs = sqsClient as unknown as { send: (...a: unknown[]) => Promise<unknown> };
  sqs.send = timed(sqs.send.bind(sqs), sends);

  const baseRssMb = round(process.memoryUsage.rss() / MB, 1);
  const sampler = rssSampler();
  const stop = stopwatch();
  const result = await ingestUpload(
    {
      ...awsIngestPorts({ s3, sqs: sqsClient, queueUrl: args.queueUrl as string }),
      store,
      campaignDefaults: { projectId: PROJECT_ID, sender: 'Research Team <research@bench.example.com>' },
      leaseMs: 600_000,
    },
    { bucket: args.bucket as string, key: args.key as string },
  );
  const { ms, cpuMs } = stop();
  const peakRssMb = sampler.stop();
  dynamo?.destroy();
  plainDynamo?.destroy();
  s3.destroy();
  sqsClient.destroy();
  const record = result.record;
  const rows = record?.rows ?? 0;
  return {
    mode: 'ingest',
    dynamo: args.dynamo ?? 'emulator',
    ...(args.dynamo === 'stub' ? { dynamoLatencyMs: args.dynamoLatencyMs ?? 0 } : {}),
    rows,
    accepted: record?.accepted ?? 0,
    rejected: record?.rejected ?? 0,
    duplicates: record?.duplicates ?? 0,
    batches: record?.batches ?? 0,
    ms: round(ms),
    cpuMs: round(cpuMs),
    rowsPerSec: round((rows / ms) * 1000),
    rowsPerCpuSec: round((rows / cpuMs) * 1000),
    peakRssMb,
    baseRssMb,
    dynamoWriteMs: round(writes.ms),
    sqsSendMs: round(sends.ms),
    ...(dynamo ? { batchWriteCalls: dynamo.batchWrites() } : {}),
    sqsSendCalls: sends.calls,
    outcome: result.outcome,
  };
};

const args = JSON.parse(process.argv[2] ?? '{}') as IngestChildArgs;
if (args.mode === 'generate') {
  process.stdout.write(`${JSON.stringify(await generateCsvFile(args.spec as CsvSpec))}\n`);
} else {
  const result = args.mode === 'parse' ? await parseOnly(args.file as string) : await ingest(args);
  process.stdout.write(`${JSON.stringify(result)}\n`);
}
