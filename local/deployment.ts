// The local stack as a deployment (`invites up`, and `invites local --serve` once its run is done):
// emulators, the stand-in, the stack's resources and the real handlers, kept running until stopped. Uploads
// to its bucket start campaigns as S3 notifications would (the runtime watches the bucket: fauxqs delivers
// none), SES events reach the events function, and the tracker runs on the deployed schedule. Its endpoints
// go to `.invites/local.json` for `send|status|report --local`.
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { createTrackerHandler } from '#functions/tracker/app.ts';
import { UPLOADS } from '#infra/definitions.ts';
import type { S3Bridge } from '#local/runtime/s3-bridge.ts';
import { sqsInviteQueue } from '#shared/ingest/aws.ts';
import { createDynamoStore } from '#shared/store/dynamo/index.ts';
import {
  type Cleanups,
  deploymentInfoOf,
  prepare,
  type Run,
  runCleanups,
  type Services,
  startServices,
  wire,
} from './campaign.ts';
import { serveConsole } from './console.ts';
import { LOCAL_DEPLOYMENT_FILE, type LocalDeploymentInfo } from './deployment-info.ts';
import type { LocalCampaignOptions } from './run-types.ts';
import type { LocalStack } from './stack.ts';

/** A running local deployment. */
export interface LocalDeployment {
  info: LocalDeploymentInfo;
  close(): Promise<void>;
}

/**
 * Notifies the ingest of every new CSV under the campaign prefix, checking the bucket every `everyMs`. What
 * the bridge delivered already (the upload of `invites local --serve`'s own run) is not delivered again.
 */
const watchUploads = (s3: S3Client, bucket: string, bridge: S3Bridge, everyMs = 500) => {
  const idOf = (key: string, eTag = '') => `${key}\n${eTag.replace(/"/g, '')}`;
  const seen = new Set(
    bridge.reports().flatMap((r) => (r.event ? [idOf(r.key, r.event.Records[0]?.s3.object.eTag)] : [])),
  );
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      try {
        const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: UPLOADS.prefix }));
        for (const object of listed.Contents ?? []) {
          const id = idOf(object.Key ?? '', object.ETag);
          if (!object.Key?.endsWith(UPLOADS.csvSuffix) || seen.has(id)) continue;
          seen.add(id);
          void bridge.notify(object.Key);
        }
      } catch {
        // the emulator is stopping, or busy: look again
      }
      await new Promise((resolve) => setTimeout(resolve, everyMs));
    }
  })();
  return async () => {
    stopped = true;
    await loop;
  };
};

/**
 * Runs a wired stack live, as deployed: the pollers and SES events (started, or left running when a campaign
 * run started them), the upload watcher, the tracker every 30 s on the run's clock, and the console. Its
 * steps go on `cleanups`; returns what `.invites/local.json` says about it.
 */
export const goLive = async (
  run: Run,
  stack: LocalStack,
  services: Services,
  cleanups: Cleanups,
): Promise<LocalDeploymentInfo> => {
  await stack.sesEvents?.start();
  stack.poller.start();
  stack.dlqPoller?.start();
  const { resources, clients } = run;
  cleanups.push(watchUploads(clients.own.s3, resources.bucketName, stack.bridge));
  const tracker = createTrackerHandler({
    store: createDynamoStore({ doc: clients.own.doc, tableName: resources.tableName }),
    aseed: run.aseed,
    queue: sqsInviteQueue(clients.own.sqs, resources.queueUrl),
    // The stand-in's clock: after simulated days (`--days`) rooms expire, and reminders fall due, on it.
    clock: services.clock.now,
    ...(run.options.logger ? { logger: run.options.logger } : {}),
  });
  // Looks for due campaigns every 30 s; a campaign is polled only when due (every 5 minutes at most).
  const timer = setInterval(() => void tracker().catch(() => {}), 30_000);
  cleanups.push(() => clearInterval(timer));
  const consoleUrl = await serveConsole(
    {
      store: createDynamoStore({ doc: clients.own.doc, tableName: resources.tableName }),
      queue: sqsInviteQueue(clients.own.sqs, resources.queueUrl),
      s3Endpoint: services.endpoints.s3,
      region: services.endpoints.region,
      bucket: resources.bucketName,
      defaults: run.defaults,
      aseed: run.aseed,
      ses: clients.own.ses,
    },
    cleanups,
  );
  return deploymentInfoOf(services, resources, consoleUrl);
};

/** Starts the local stack and keeps it running until `close()`; writes `file` (default LOCAL_DEPLOYMENT_FILE). */
export const startLocalDeployment = async (
  options: Pick<LocalCampaignOptions, 'defaults' | 'logger'> & { file?: string } = {},
): Promise<LocalDeployment> => {
  const cleanups: Cleanups = [];
  const file = options.file ?? LOCAL_DEPLOYMENT_FILE;
  const runOptions: LocalCampaignOptions = { csv: { name: 'none.csv', body: '' }, ...options };
  try {
    const services = await startServices(runOptions, {}, cleanups);
    const run = await prepare(runOptions, 1, services, new Uint8Array(), {}, cleanups);
    const stack = wire(run);
    cleanups.push(() => stack.close());
    const info = await goLive(run, stack, services, cleanups);
    await mkdir(dirname(file), { recursive: true });
    await writeFile(file, `${JSON.stringify(info, null, 2)}\n`);
    cleanups.unshift(() => rm(file, { force: true }));
    return { info, close: () => runCleanups(cleanups) };
  } catch (error) {
    await runCleanups(cleanups);
    throw error;
  }
};
