// The console API of the local stack (`invites up`): the real handler on a loopback function URL, sign-in
// off (nobody but this machine reaches it), uploads signed for the emulated bucket, the price from the
// stand-in, test sends through the SES emulator.
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { SESv2Client } from '@aws-sdk/client-sesv2';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { createConsoleHandler } from '#functions/console/app.ts';
import { UPLOADS } from '#infra/definitions.ts';
import type { AseedClient } from '#shared/aseed/client.ts';
import type { InviteQueue } from '#shared/ingest/ports.ts';
import { Mailer } from '#shared/mail/mailer.ts';
import type { Store } from '#shared/store/ports.ts';
import { startFunctionUrl } from './runtime/function-url.ts';

/** What the local console reaches: the local stack's store, queue, bucket, defaults, API and SES. */
export interface LocalConsoleDeps {
  store: Store;
  queue: InviteQueue;
  s3: S3Client;
  bucket: string;
  /** The local stack's campaign defaults, as its ingest gets them. */
  defaults: unknown;
  /** The local stack's Aseed API: the stand-in. */
  aseed: Pick<AseedClient, 'getConfig'>;
  /** The local stack's SES (the emulator): test sends land in its inbox. */
  ses: SESv2Client;
}

/** Starts the console API over the local stack; its base URL. */
export const serveConsole = async (
  deps: LocalConsoleDeps,
  cleanups: Array<() => Promise<void> | void>,
): Promise<string> => {
  const handler = createConsoleHandler({
    store: deps.store,
    queue: deps.queue,
    uploads: {
      bucket: deps.bucket,
      prefix: UPLOADS.prefix,
      sign: (key, put) =>
        getSignedUrl(
          deps.s3,
          new PutObjectCommand({
            Bucket: deps.bucket,
            Key: key,
            ContentType: put.contentType,
            ContentLength: put.contentLength,
          }),
          { expiresIn: put.expiresInSeconds, signableHeaders: new Set(['content-type', 'content-length']) },
        ),
    },
    campaignDefaults: deps.defaults,
    price: {
      source: 'the local Aseed stand-in (GET /api/interviews/config)',
      tokensPer30Min: async () => (await deps.aseed.getConfig()).tokens_per_30_min,
    },
    // No configuration set, as `invites test-send --local`: the local events function hears nothing of it.
    testSend: { mailer: new Mailer({ client: deps.ses }) },
  });
  const endpoint = await startFunctionUrl(handler);
  cleanups.push(() => endpoint.close());
  return endpoint.url;
};
