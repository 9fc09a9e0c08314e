/**
 * Ingest benchmark: a generated CSV (a million rows by default) parsed, validated and enqueued through the
 * real ingest use case (`ingestUpload`) with real SDK clients, in a child process so its peak RSS is the
 * ingest's alone (the emulators run in the parent). Modes:
 * - `parse`: parse + validate only, from a file on disk (no AWS at all);
 * - `ingest`: the use case against the emulators: CSV from S3 (fauxqs), messages to SQS (fauxqs), respondent
 *   items to DynamoDB. `dynamo: 'emulator'` writes them to dynalite; `dynamo: 'stub'` answers BatchWriteItem
 *   in-process (the SDK still builds, marshals and serialises every request; everything else — campaign
 *   record, lease, checkpoints — still goes to dynalite), optionally after `dynamoLatencyMs`, to model a real
 *   table's round trip. dynalite stores ~1,000–2,000 items/s on this machine, so a million items would
 *   take the emulator 10+ minutes: the stub shows what our code costs, the emulator run what dynalite does.
 *
 * Run alone: `npx tsx bench/ingest.ts [rows]` (parse + stubbed ingest, prints JSON).
 */
import { existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  PutObjectCommand,
  type S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { GetQueueAttributesCommand, PurgeQueueCommand } from '@aws-sdk/client-sqs';
import { build } from 'esbuild';
import { makeAwsClients } from '#local/aws.ts';
import type { EmulatorEndpoints } from '#local/emulators.ts';
import { createLocalResources, type LocalResources } from '#local/runtime/resources.ts';
import { runJsonChild } from './child.ts';
import { type CsvSpec, csvPathFor, type GeneratedCsv, generateCsvFile } from './generate-csv.ts';
import type { DynamoMode, IngestChildArgs, IngestChildResult } from './ingest-child.ts';

export type { DynamoMode, IngestChildArgs, IngestChildResult } from './ingest-child.ts';

let childBundle: Promise<string> | undefined;

/**
 * Bundles bench/ingest-child.ts (and everything it imports, AWS SDK included) into one ESM file in the temp
 * directory, as a Lambda bundle would be, so the measured process carries no TypeScript loader.
 */
const bundleChild = (): Promise<string> => {
  childBundle ??= (async () => {
    const outfile = join(tmpdir(), `aseed-bench-ingest-child-${process.pid}.mjs`);
    await build({
      entryPoints: [join(import.meta.dirname, 'ingest-child.ts')],
      outfile,
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      minify: true,
      banner: {
        js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
      },
      tsconfig: join(import.meta.dirname, '..', 'tsconfig.json'),
      logLevel: 'silent',
    });
    return outfile;
  })();
  return childBundle;
};

/** Runs one measurement in a fresh Node process and returns its result. */
export const runIngestChild = async (
  args: IngestChildArgs,
  timeoutMs = 20 * 60_000,
): Promise<IngestChildResult> => {
  const file = await bundleChild();
  // BENCH_CPU_PROF=<dir> writes a V8 CPU profile of each child there (open it in Chrome DevTools).
  // Profiled children run the TypeScript through tsx, so the profile names real files and packages.
  const profile = process.env.BENCH_CPU_PROF
    ? [
        '--cpu-prof',
        '--cpu-prof-dir',
        process.env.BENCH_CPU_PROF,
        '--import',
        'tsx',
        join(import.meta.dirname, 'ingest-child.ts'),
      ]
    : [file];
  return runJsonChild<IngestChildResult>([...profile, JSON.stringify(args)], {
    label: `ingest child (${args.mode})`,
    timeoutMs,
    onStderr: (stderr) => {
      if (!process.env.BENCH_MEMORY_DETAIL) return;
      const lines = stderr.split('\n').filter((line) => line.startsWith('memory'));
      process.stderr.write(`${lines.join('\n')}\n`);
    },
  });
};

/** The CSV every ingest measurement uses: a few bad rows (1 in 10,000) and duplicates (1 in 5,000). */
export const ingestCsvSpec = (rows: number): CsvSpec => ({
  rows,
  badEvery: 10_000,
  duplicateEvery: 5_000,
  languages: true,
  domain: 'ingest.bench.example.com',
});

/**
 * The ingest CSV of `rows` rows on disk, generated once (in a child process, so a busy benchmark process
 * does not slow it down) and then reused. `generatedMs` is set when it was generated now.
 */
export const generateIngestCsv = async (rows: number): Promise<GeneratedCsv & { generatedMs?: number }> => {
  const spec = ingestCsvSpec(rows);
  if (existsSync(csvPathFor(spec))) return generateCsvFile(spec);
  const started = performance.now();
  await runIngestChild({ mode: 'generate', spec });
  return { ...(await generateCsvFile(spec)), generatedMs: Math.round(performance.now() - started) };
};

/** A CSV uploaded to a fresh bucket, with fresh resources, ready for an `ingest` child. */
export interface PreparedUpload {
  csv: GeneratedCsv;
  resources: LocalResources;
  key: string;
}

/** fauxqs refuses request bodies over 11 MiB: larger files go up in parts, as the AWS CLI would send them. */
const PART_BYTES = 8 * 1024 * 1024;

/**
 * Uploads `body` (a buffer, not a stream: a streamed upload that the emulator cuts off is an uncaught error
 * in the SDK instead of a rejected promise), in parts when it is large.
 */
const uploadFile = async (s3: S3Client, bucket: string, key: string, body: Buffer): Promise<void> => {
  if (body.length <= PART_BYTES) {
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: 'text/csv' }));
    return;
  }
  const { UploadId } = await s3.send(
    new CreateMultipartUploadCommand({ Bucket: bucket, Key: key, ContentType: 'text/csv' }),
  );
  const parts: { ETag: string | undefined; PartNumber: number }[] = [];
  for (let offset = 0, number = 1; offset < body.length; offset += PART_BYTES, number++) {
    const part = await s3.send(
      new UploadPartCommand({
        Bucket: bucket,
        Key: key,
        UploadId,
        PartNumber: number,
        Body: body.subarray(offset, offset + PART_BYTES),
      }),
    );
    parts.push({ ETag: part.ETag, PartNumber: number });
  }
  await s3.send(
    new CompleteMultipartUploadCommand({
      Bucket: bucket,
      Key: key,
      UploadId,
      MultipartUpload: { Parts: parts },
    }),
  );
};

/** Generates (or reuses) the CSV and uploads it to fresh local resources named `prefix`. */
export const prepareUpload = async (
  endpoints: EmulatorEndpoints,
  rows: number,
  prefix: string,
): Promise<PreparedUpload> => {
  const csv = await generateCsvFile(ingestCsvSpec(rows));
  const clients = makeAwsClients(endpoints, { requestTimeout: 120_000 });
  try {
    const resources = await createLocalResources(clients, { prefix });
    const key = `campaigns/bench-${rows}.csv`;
    await uploadFile(clients.s3, resources.bucketName, key, readFileSync(csv.path));
    return { csv, resources, key };
  } finally {
    clients.destroy();
  }
};

/** Messages waiting in the invite queue; then purges it (the benchmark's messages are never consumed). */
export const drainQueueCount = async (endpoints: EmulatorEndpoints, queueUrl: string): Promise<number> => {
  const clients = makeAwsClients(endpoints);
  try {
    const attributes = await clients.sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['ApproximateNumberOfMessages'] }),
    );
    await clients.sqs.send(new PurgeQueueCommand({ QueueUrl: queueUrl }));
    return Number(attributes.Attributes?.ApproximateNumberOfMessages ?? 0);
  } finally {
    clients.destroy();
  }
};

/** Ingest run against prepared resources. */
export const ingestChildArgs = (
  endpoints: EmulatorEndpoints,
  upload: PreparedUpload,
  dynamo: DynamoMode,
  dynamoLatencyMs = 0,
): IngestChildArgs => ({
  mode: 'ingest',
  endpoints,
  tableName: upload.resources.tableName,
  queueUrl: upload.resources.queueUrl,
  bucket: upload.resources.bucketName,
  key: upload.key,
  dynamo,
  dynamoLatencyMs,
});

const main = async () => {
  const rows = Number(process.argv[2] ?? 1_000_000);
  const { startEmulators } = await import('#local/emulators.ts');
  const emulators = await startEmulators({ dynamo: 'dynalite' });
  try {
    const csv = await generateCsvFile(ingestCsvSpec(rows));
    console.log(JSON.stringify({ csv }));
    console.log(JSON.stringify(await runIngestChild({ mode: 'parse', file: csv.path })));
    const upload = await prepareUpload(emulators.endpoints, rows, `bench-ingest-${Date.now()}`);
    const result = await runIngestChild(ingestChildArgs(emulators.endpoints, upload, 'stub'));
    console.log(
      JSON.stringify({
        ...result,
        queued: await drainQueueCount(emulators.endpoints, upload.resources.queueUrl),
      }),
    );
  } finally {
    await emulators.stop();
  }
};

if (process.argv[1] && import.meta.filename === process.argv[1]) {
  await main();
}
