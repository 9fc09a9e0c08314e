import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Template } from 'aws-cdk-lib/assertions';
import { type CreateAppOptions, type CreatedApp, createApp } from '#infra/create-app.ts';

/** The example deploy configuration (infra/deploy.example.json): every optional resource switched on. */
export const EXAMPLE_CONFIG_FILE = 'infra/deploy.example.json';

/** Context of a full deploy: the example file, and a command-line override of the SES send rate. */
export const FULL_CONTEXT = { config: EXAMPLE_CONFIG_FILE, sesSendRate: '100' } as const;

/** A tiny stand-in for the built console (`web/dist`), so the tests need no `vite build`. */
export const CONSOLE_SITE_FIXTURE = 'test/fixtures/console-site';

/** A synthesized app in a fresh temporary cloud assembly directory. */
export interface Synthesized extends CreatedApp {
  outdir: string;
  template: Template;
}

/**
 * Builds and synthesizes the app; by default without bundling, cdk-nag or CFN schema validation (fast), with
 * the fixture console.
 */
export const synth = (options: CreateAppOptions = {}): Synthesized => {
  const outdir = mkdtempSync(join(tmpdir(), 'infra-test-'));
  const created = createApp({
    bundle: false,
    nag: false,
    cfnValidation: false,
    consoleSiteDir: CONSOLE_SITE_FIXTURE,
    ...options,
    outdir,
  });
  const assembly = created.app.synth();
  const template = assembly.getStackByName(created.stack.stackName).template as Record<string, unknown>;
  return { ...created, outdir, template: Template.fromJSON(template) };
};

/** Violations left in the validation report (unacknowledged findings of any severity). */
export const reportedViolations = (outdir: string): Array<{ ruleName: string; paths: string[] }> => {
  const report = JSON.parse(readFileSync(join(outdir, 'validation-report.json'), 'utf8')) as {
    pluginReports: Array<{
      violations: Array<{ ruleName: string; violatingConstructs: Array<{ constructPath: string }> }>;
    }>;
  };
  return report.pluginReports.flatMap((plugin) =>
    plugin.violations.map((violation) => ({
      ruleName: violation.ruleName,
      paths: violation.violatingConstructs.map((construct) => construct.constructPath),
    })),
  );
};
