import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { type DeployConfig, DeployConfigError, loadDeployConfig } from './config.ts';
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
  /**
   * The built web console the stack deploys, relative to the repository root: else the context value
   * `consoleSiteDir` (`-c consoleSiteDir=…`), else `web/dist` (`npm run build:web`). Tests give a fixture.
   */
  readonly consoleSiteDir?: string;
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

/** Where `vite build web` writes the console. */
export const CONSOLE_BUILD_DIR = 'web/dist';

/** The console build to deploy, as an absolute path; refused when it has no index.html (not built). */
export const consoleSiteDirOf = (dir: string): string => {
  const absolute = resolve(REPO_ROOT, dir);
  if (!existsSync(join(absolute, 'index.html'))) {
    throw new DeployConfigError(`${dir} has no index.html: build the console first: npm run build:web`);
  }
  return absolute;
};

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
  const consoleSiteDir = consoleSiteDirOf(
    options.consoleSiteDir ?? String(app.node.tryGetContext('consoleSiteDir') ?? CONSOLE_BUILD_DIR),
  );
  const stack = new InvitesStack(app, config.stackName, { config, consoleSiteDir });
  if (options.nag !== false) Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { app, stack, config, warnings };
};
