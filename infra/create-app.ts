import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { type DeployConfig, loadDeployConfig } from './config.ts';
import { REPO_ROOT } from './constructs/app-function.ts';
import { InvitesStack } from './stack.ts';

/** Options of `createApp`; the CDK CLI entry (infra/app.ts) uses the defaults. */
export interface CreateAppOptions {
  /** Extra context, as `-c key=value` would give (deploy settings, `config` file path). */
  readonly context?: Record<string, unknown>;
  /** Cloud assembly directory (tests use a temporary one). */
  readonly outdir?: string;
  /** Run cdk-nag's AWS Solutions checks at synth (default true). */
  readonly nag?: boolean;
  /** Bundle the functions with esbuild (default true); tests skip it for speed. */
  readonly bundle?: boolean;
  /** CDK's built-in CloudFormation schema validation (default true; ~12 s, so most tests skip it). */
  readonly cfnValidation?: boolean;
}

/** The app, its one stack and the configuration it was built from. */
export interface CreatedApp {
  app: App;
  stack: InvitesStack;
  config: DeployConfig;
  warnings: string[];
}

/** Feature flags from cdk.json, so tests synthesize exactly what `cdk synth` does. */
const cdkJsonContext = (): Record<string, unknown> =>
  (JSON.parse(readFileSync(resolve(REPO_ROOT, 'cdk.json'), 'utf8')) as { context?: Record<string, unknown> })
    .context ?? {};

/** Builds the CDK app: deploy configuration (validated), the stack and the cdk-nag checks. */
export const createApp = (options: CreateAppOptions = {}): CreatedApp => {
  const app = new App({
    ...(options.outdir ? { outdir: options.outdir } : {}),
    builtinCloudFormationValidation: options.cfnValidation ?? true,
    context: {
      ...cdkJsonContext(),
      ...options.context,
      // The documented CDK switch that skips asset bundling (`cdk synth --exclusively` sets it too).
      ...(options.bundle === false ? { 'aws:cdk:bundling-stacks': [] } : {}),
    },
  });
  const { config, warnings } = loadDeployConfig((key) => app.node.tryGetContext(key), REPO_ROOT);
  const stack = new InvitesStack(app, config.stackName, { config });
  if (options.nag !== false) Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { app, stack, config, warnings };
};
