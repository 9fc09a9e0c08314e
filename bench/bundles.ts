/**
 * Bundle size of each function, built with esbuild straight from functions/<name>/handler.ts with the
 * options infra/constructs/app-function.ts gives NodejsFunction (minified ESM for node22, everything bundled,
 * the AWS SDK too, the createRequire banner). Copied rather than imported: importing that module loads aws-cdk-lib, which
 * costs seconds the quick run does not have. If infra changes its bundling, change BUNDLE_OPTIONS too.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { type BuildOptions, build } from 'esbuild';

const REPO_ROOT = resolve(import.meta.dirname, '..');

/** Same as infra's ESM_REQUIRE_BANNER. */
const BANNER =
  "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);";

/** esbuild options matching the CDK bundling (minify, esm, node22, platform node, nothing external). */
export const BUNDLE_OPTIONS: BuildOptions = {
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node22',
  mainFields: ['module', 'main'],
  minify: true,
  banner: { js: BANNER },
  tsconfig: join(REPO_ROOT, 'tsconfig.json'),
  write: false,
  logLevel: 'silent',
};

/** Function names: every functions/<name>/handler.ts. */
export const functionNames = (): string[] =>
  readdirSync(join(REPO_ROOT, 'functions'), { withFileTypes: true })
    .filter(
      (entry) => entry.isDirectory() && existsSync(join(REPO_ROOT, 'functions', entry.name, 'handler.ts')),
    )
    .map((entry) => entry.name)
    .sort();

/** Minified bundle bytes of each function (without the source map). */
export const bundleSizes = async (): Promise<Record<string, number>> => {
  const sizes: Record<string, number> = {};
  for (const name of functionNames()) {
    const result = await build({
      ...BUNDLE_OPTIONS,
      entryPoints: [join(REPO_ROOT, 'functions', name, 'handler.ts')],
      outfile: join(REPO_ROOT, 'cdk.out', 'bench', name, 'index.mjs'),
    });
    const file = result.outputFiles?.find((output) => output.path.endsWith('.mjs'));
    sizes[name] = file?.contents.byteLength ?? 0;
  }
  return sizes;
};
