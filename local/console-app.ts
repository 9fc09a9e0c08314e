// The web console's app for the local stack: built by Vite from web/ into a temporary directory each time
// the stack starts (a fraction of a second), so a clone needs no build step before `invites up`.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The web app's Vite config. */
export const WEB_CONFIG = fileURLToPath(new URL('../web/vite.config.ts', import.meta.url));

/** Builds the app; its directory, removed by the cleanup pushed on `cleanups`. */
export const buildConsoleApp = async (cleanups: Array<() => Promise<void> | void>): Promise<string> => {
  const outDir = await mkdtemp(join(tmpdir(), 'invites-console-'));
  cleanups.push(() => rm(outDir, { recursive: true, force: true }));
  const { build } = await import('vite');
  await build({ configFile: WEB_CONFIG, build: { outDir, emptyOutDir: true }, logLevel: 'warn' });
  return outDir;
};
