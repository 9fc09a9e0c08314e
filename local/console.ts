// The web console of the local stack (`invites up`): the built app and the real console handler on one
// loopback origin, sign-in off (nobody but this machine reaches it), uploads signed for the emulated bucket
// and passed to it through that origin.
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { createConsoleHandler } from '#functions/console/app.ts';
import { UPLOADS } from '#infra/definitions.ts';
import { CONSOLE_SECURITY_HEADERS, consoleCsp } from '#shared/console/csp.ts';
import type { InviteQueue } from '#shared/ingest/ports.ts';
import type { Store } from '#shared/store/ports.ts';
import { makeS3Client } from './aws.ts';
import { buildConsoleApp } from './console-app.ts';
import { LOCAL_S3_PATH, startConsoleServer } from './console-server.ts';

/** The stack's CSP and security headers, so the local app meets the same policy as the deployed one. */
const SECURITY_HEADERS = { 'content-security-policy': consoleCsp(), ...CONSOLE_SECURITY_HEADERS };

/** Starts the console (app + API) over the local stack's store, queue and bucket; its base URL. */
export const serveConsole = async (
  deps: { store: Store; queue: InviteQueue; s3Endpoint: string; region: string; bucket: string },
  cleanups: Array<() => Promise<void> | void>,
): Promise<string> => {
  const appDir = await buildConsoleApp(cleanups);
  const endpoint = await startConsoleServer({
    appDir,
    s3Endpoint: deps.s3Endpoint,
    headers: SECURITY_HEADERS,
    handlerFor: (origin) => {
      // Signed for the console's own origin: the browser PUTs there, the server passes it to the bucket.
      const signer = makeS3Client(`${origin}${LOCAL_S3_PATH}`, deps.region);
      cleanups.push(() => signer.destroy());
      return createConsoleHandler({
        store: deps.store,
        queue: deps.queue,
        uploads: {
          bucket: deps.bucket,
          prefix: UPLOADS.prefix,
          sign: (key, put) =>
            getSignedUrl(
              signer,
              new PutObjectCommand({
                Bucket: deps.bucket,
                Key: key,
                ContentType: put.contentType,
                ContentLength: put.contentLength,
              }),
              {
                expiresIn: put.expiresInSeconds,
                signableHeaders: new Set(['content-type', 'content-length']),
              },
            ),
        },
      });
    },
  });
  cleanups.push(() => endpoint.close());
  return endpoint.url;
};
