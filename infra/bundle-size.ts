import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** Largest minified bundle a function may have (the budget: under 1 MB). */
export const MAX_BUNDLE_BYTES = 1_000_000;

/** Size of one function's bundle in a cloud assembly. */
export interface BundleSize {
  /** Construct path of the function, e.g. `AseedInvites/Invite/Function` (else its logical id). */
  function: string;
  /** Bytes of the minified JavaScript (index.mjs / index.js). */
  codeBytes: number;
  /** Bytes of the source map shipped beside it. */
  sourceMapBytes: number;
}

interface Manifest {
  artifacts?: Record<string, { type: string; properties?: { templateFile?: string } }>;
}
interface Template {
  Resources?: Record<
    string,
    { Type: string; Properties?: { Code?: { S3Key?: unknown } }; Metadata?: Record<string, string> }
  >;
}

const readJson = <T>(file: string): T => JSON.parse(readFileSync(file, 'utf8')) as T;

/** Reads the bundle size of every bundled Lambda function of every stack in the cloud assembly `outdir`. */
export const bundleSizes = (outdir: string): BundleSize[] => {
  const sizes: BundleSize[] = [];
  const manifest = readJson<Manifest>(join(outdir, 'manifest.json'));
  for (const artifact of Object.values(manifest.artifacts ?? {})) {
    const templateFile = artifact.properties?.templateFile;
    if (artifact.type !== 'aws:cloudformation:stack' || !templateFile) continue;
    const template = readJson<Template>(join(outdir, templateFile));
    for (const [logicalId, resource] of Object.entries(template.Resources ?? {})) {
      // The asset directory is asset.<hash>, where <hash>.zip is the function's S3 key.
      const s3Key = resource.Properties?.Code?.S3Key;
      const hash = typeof s3Key === 'string' ? /^([0-9a-f]{64})\.zip$/.exec(s3Key)?.[1] : undefined;
      if (resource.Type !== 'AWS::Lambda::Function' || !hash) continue;
      const dir = join(outdir, `asset.${hash}`);
      if (!existsSync(dir) || !statSync(dir).isDirectory()) continue;
      const files = readdirSync(dir);
      const code = files.find((file) => /^index\.(mjs|js|cjs)$/.test(file));
      if (!code) continue;
      const map = files.find((file) => file === `${code}.map`);
      sizes.push({
        function: resource.Metadata?.['aws:cdk:path']?.replace(/\/Resource$/, '') ?? logicalId,
        codeBytes: statSync(join(dir, code)).size,
        sourceMapBytes: map ? statSync(join(dir, map)).size : 0,
      });
    }
  }
  return sizes;
};

/** `npm run synth` step: prints each bundle's size and fails when one is missing or over budget. */
const main = (outdir: string): void => {
  const sizes = bundleSizes(outdir);
  const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;
  for (const size of sizes) {
    const verdict = size.codeBytes < MAX_BUNDLE_BYTES ? 'ok' : 'OVER BUDGET';
    console.log(
      `bundle ${size.function}: ${kb(size.codeBytes)} minified (+ ${kb(size.sourceMapBytes)} source map) — ${verdict}`,
    );
  }
  if (sizes.length === 0) {
    console.error(`No bundled functions found in ${outdir}: was bundling skipped?`);
    process.exitCode = 1;
  } else if (sizes.some((size) => size.codeBytes >= MAX_BUNDLE_BYTES)) {
    console.error(`A bundle is over ${MAX_BUNDLE_BYTES} bytes.`);
    process.exitCode = 1;
  }
};

if (process.argv[1] && import.meta.filename === process.argv[1]) main(process.argv[2] ?? 'cdk.out');
