// The opt-out endpoint of a local run: the real handler on a loopback function URL, signing with a key of
// the run's own (random, kept in memory as Secrets Manager would keep it).
import { randomBytes } from 'node:crypto';
import { createOptOutHandler } from '#functions/optout/app.ts';
import type { OptOutConfig } from '#shared/optout/link.ts';
import type { OptOutDeps } from '#shared/optout/optout.ts';
import { startFunctionUrl } from './runtime/function-url.ts';

/** Starts the endpoint over `deps` (their key is the run's); the invite side's config for signing its links. */
export const serveOptOut = async (
  deps: Omit<OptOutDeps, 'key'>,
  cleanups: Array<() => Promise<void> | void>,
): Promise<OptOutConfig> => {
  const key = randomBytes(32).toString('base64url');
  const endpoint = await startFunctionUrl(createOptOutHandler({ ...deps, key: async () => key }));
  cleanups.push(() => endpoint.close());
  return { baseUrl: endpoint.url, key: async () => key };
};
