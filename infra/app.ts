// CDK entry point (cdk.json "app"): reads the deploy configuration, builds the stack, runs cdk-nag.
import { DeployConfigError } from './config.ts';
import { createApp } from './create-app.ts';

try {
  const { app, warnings } = createApp();
  for (const warning of warnings) console.warn(`⚠ deploy config: ${warning}`);
  app.synth();
} catch (error) {
  if (!(error instanceof DeployConfigError)) throw error;
  console.error(`✖ ${error.message}`);
  process.exitCode = 1;
}
