// The console API of the local stack (`invites up`): the real handler on a loopback function URL, sign-in
// off (nobody but this machine reaches it), uploads signed for the emulated bucket.
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { createConsoleHandler } from '#functions/console/app.ts';
import { UPLOADS } from '#infra/definitions.ts';
import type { InviteQueue } from '#shared/ingest/ports.ts';
import type { Store } from '#shared/store/ports.ts';
import { startFunctionUrl } from './runtime/function-url.ts';

/** Starts the console API over the local stack's store, queue and bucket; its base URL. */
export const serveConsole = async (
  deps: { store: Store; queue: InviteQueue; s3: S3Client; bucket: string },
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
  });
  const endpoint = await startFunctionUrl(handler);
  cleanups.push(() => endpoint.close());
  return endpoint.url;
};
