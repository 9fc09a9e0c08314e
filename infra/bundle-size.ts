import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

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
  /** The bundle file. */
  file: string;
  /** The function's environment, with deploy-time references (ARNs, URLs) replaced by placeholders. */
  environment: Record<string, string>;
}

interface Manifest {
  artifacts?: Record<string, { type: string; properties?: { templateFile?: string } }>;
}
interface Template {
  Resources?: Record<
    string,
    {
      Type: string;
      Properties?: { Code?: { S3Key?: unknown }; Environment?: { Variables?: Record<string, unknown> } };
      Metadata?: Record<string, string>;
    }
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
        file: join(dir, code),
        environment: placeholders(resource.Properties?.Environment?.Variables ?? {}),
      });
    }
  }
  return sizes;
};

/** A value of the right shape for each reference CloudFormation resolves at deploy time. */
const placeholders = (variables: Record<string, unknown>): Record<string, string> =>
  Object.fromEntries(
    Object.entries(variables).map(([key, value]) => [
      key,
      typeof value === 'string'
        ? value
        : key.endsWith('_URL')
          ? 'https://sqs.us-east-1.amazonaws.com/123456789012/placeholder'
          : 'arn:aws:secretsmanager:us-east-1:123456789012:secret:placeholder',
    ]),
  );

/**
 * Module load time of a bundle: milliseconds its `import()` takes in a fresh Node process, with the
 * function's environment — the init part of a cold start that the code controls (config parsed, clients
 * built; nothing reaches the network). The median of `runs` processes.
 */
export const loadTimeMs = (file: string, environment: Record<string, string>, runs = 5): number => {
  const script = `const t = performance.now(); await import(${JSON.stringify(pathToFileURL(file).href)}); process.stdout.write(String(performance.now() - t));`;
  const times: number[] = [];
  for (let run = 0; run < runs; run++) {
    const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      env: { PATH: process.env.PATH, AWS_REGION: 'us-east-1', ...environment },
      encoding: 'utf8',
      timeout: 30_000,
    });
    if (child.status !== 0) throw new Error(`Loading ${file} failed: ${child.stderr || child.error}`);
    times.push(Number(child.stdout));
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)] ?? Number.NaN;
};

/** `npm run synth` step: prints each bundle's size and fails when one is missing or over budget. */
const main = (outdir: string): void => {
  const sizes = bundleSizes(outdir);
  const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;
  for (const size of sizes) {
    const verdict = size.codeBytes < MAX_BUNDLE_BYTES ? 'ok' : 'OVER BUDGET';
    const loadMs = loadTimeMs(size.file, size.environment);
    console.log(
      `bundle ${size.function}: ${kb(size.codeBytes)} minified (+ ${kb(size.sourceMapBytes)} source map), loads in ${loadMs.toFixed(0)} ms on this machine's Node ${process.version} — ${verdict}`,
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
