import { readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bundleSizes, loadTimeMs, MAX_BUNDLE_BYTES } from '#infra/bundle-size.ts';
import { ESM_REQUIRE_BANNER } from '#infra/constructs/app-function.ts';
import { synth } from './synth.ts';

describe('function bundles (real esbuild bundling)', () => {
  it('bundles each function as minified ESM with a source map, under 1 MB', { timeout: 60_000 }, () => {
    // Prepare + Act
    const { outdir, template } = synth({ bundle: true });
    const sizes = bundleSizes(outdir);

    // Assert
    expect(sizes.map((size) => size.function).sort()).toEqual([
      expect.stringMatching(/^ConsoleFunction/),
      expect.stringMatching(/^DeadLetterFunction/),
      expect.stringMatching(/^IngestFunction/),
      expect.stringMatching(/^InviteFunction/),
      expect.stringMatching(/^OptOutEndpointFunction/),
      expect.stringMatching(/^SesEventsFunction/),
      expect.stringMatching(/^TrackerFunction/),
    ]);
    for (const size of sizes) {
      console.log(`${size.function}: ${size.codeBytes} bytes (+ ${size.sourceMapBytes} bytes source map)`);
      expect(size.codeBytes).toBeLessThan(MAX_BUNDLE_BYTES);
      expect(size.sourceMapBytes).toBeGreaterThan(0);
      // Each bundle loads on its own (no node_modules beside it) with the environment the stack gives it.
      expect(loadTimeMs(size.file, size.environment, 1)).toBeGreaterThan(0);
    }
    // The project's functions; CDK's deploy-time handler of the console pages is Python, not bundled here.
    const keys = Object.values(template.findResources('AWS::Lambda::Function'))
      .filter((fn) => String(fn.Properties?.Runtime).startsWith('nodejs'))
      .map((fn) => fn.Properties?.Code?.S3Key as unknown)
      .filter((key): key is string => typeof key === 'string');
    expect(keys).toHaveLength(7);
    for (const key of keys) {
      const code = readFileSync(join(outdir, `asset.${key.replace(/\.zip$/, '')}`, 'index.mjs'), 'utf8');
      expect(code.startsWith(ESM_REQUIRE_BANNER)).toBe(true);
      expect(code).toMatch(/export\s*\{[^}]*\bas handler\b|export\s*\{[^}]*\bhandler\b/);
      expect(code).toContain('//# sourceMappingURL=index.mjs.map');
      // Only Node built-ins stay unbundled: the AWS SDK is in the bundle, not taken from the runtime.
      const imports = [
        // Statements only: the SDK's error texts quote an `import "…"` line as advice.
        ...code.matchAll(/(?:^|[;}\n])import\s*(?:[\w$*{}\s,]+?\s*from\s*)?["']([^"']+)["']/g),
        ...code.matchAll(/\bimport\(\s*["']([^"']+)["']\s*\)/g),
      ].map((match) => match[1] ?? '');
      expect(imports).toContain('node:module');
      const unbundled = imports.filter(
        (specifier) => !builtinModules.includes(specifier) && !specifier.startsWith('node:'),
      );
      expect(unbundled).toEqual([]);
    }
  });
});
