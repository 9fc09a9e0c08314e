// The web console of the local stack (`invites up`, `invites local --serve`): the built app and the real
// console handler on one loopback origin, sign-in off (nobody but this machine reaches it), uploads signed
// for the emulated bucket and passed to it through that origin, the price from the stand-in, test sends
// through the SES emulator.
import type { SESv2Client } from '@aws-sdk/client-sesv2';
import { createConsoleHandler } from '#functions/console/app.ts';
import { UPLOADS } from '#infra/definitions.ts';
import type { AseedClient } from '#shared/aseed/client.ts';
import { CONSOLE_SECURITY_HEADERS, consoleCsp } from '#shared/console/csp.ts';
import { presignedPut } from '#shared/console/sign.ts';
import type { InviteQueue } from '#shared/ingest/ports.ts';
import { Mailer } from '#shared/mail/mailer.ts';
import type { Store } from '#shared/store/ports.ts';
import { DUMMY_CREDENTIALS } from './aws.ts';
import { buildConsoleApp } from './console-app.ts';
import { LOCAL_S3_PATH, startConsoleServer } from './console-server.ts';

/** The stack's CSP and security headers, so the local app meets the same policy as the deployed one. */
const SECURITY_HEADERS = { 'content-security-policy': consoleCsp(), ...CONSOLE_SECURITY_HEADERS };

/** What the local console reaches: the local stack's store, queue, bucket, defaults, API and SES. */
export interface LocalConsoleDeps {
  store: Store;
  queue: InviteQueue;
  /** The emulated S3 (uploads pass through the console's origin to it). */
  s3Endpoint: string;
  region: string;
  bucket: string;
  /** The local stack's campaign defaults, as its ingest gets them. */
  defaults: unknown;
  /** The local stack's Aseed API: the stand-in. */
  aseed: Pick<AseedClient, 'getConfig'>;
  /** The local stack's SES (the emulator): test sends land in its inbox. */
  ses: SESv2Client;
}

/** Starts the console (app + API) over the local stack; its base URL. */
export const serveConsole = async (
  deps: LocalConsoleDeps,
  cleanups: Array<() => Promise<void> | void>,
): Promise<string> => {
  const appDir = await buildConsoleApp(cleanups);
  const endpoint = await startConsoleServer({
    appDir,
    s3Endpoint: deps.s3Endpoint,
    headers: SECURITY_HEADERS,
    handlerFor: (origin) => {
      // Signed for the console's own origin: the browser PUTs there, the server passes it to the bucket.
      const sign = presignedPut({
        bucket: deps.bucket,
        region: deps.region,
        credentials: DUMMY_CREDENTIALS,
        endpoint: `${origin}${LOCAL_S3_PATH}`,
      });
      return createConsoleHandler({
        store: deps.store,
        queue: deps.queue,
        uploads: { bucket: deps.bucket, prefix: UPLOADS.prefix, sign },
        campaignDefaults: deps.defaults,
        price: {
          source: 'the local Aseed stand-in (GET /api/interviews/config)',
          tokensPer30Min: async () => (await deps.aseed.getConfig()).tokens_per_30_min,
        },
        // No configuration set, as `invites test-send --local`: the local events function hears nothing of it.
        testSend: { mailer: new Mailer({ client: deps.ses }) },
      });
    },
  });
  cleanups.push(() => endpoint.close());
  return endpoint.url;
};
