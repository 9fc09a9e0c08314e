import { App, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { describe, expect, it } from 'vitest';
import * as z from 'zod';
import { AppFunction, type AppFunctionProps } from '#infra/constructs/app-function.ts';
import { setting } from '#infra/constructs/bindings.ts';
import { FUNCTIONS } from '#infra/definitions.ts';
import { ENV } from '#shared/config.ts';

const props = (overrides: Partial<AppFunctionProps>): AppFunctionProps => ({
  name: 'probe',
  ...FUNCTIONS.invite,
  envSchema: z.object({ [ENV.aseedBaseUrl]: z.url() }),
  bindings: [setting(ENV.aseedBaseUrl, 'https://app.aseed.ai/custdev')],
  serviceName: 'test',
  logLevel: 'INFO',
  logRetention: RetentionDays.ONE_WEEK,
  removalPolicy: RemovalPolicy.DESTROY,
  ...overrides,
});

const stackWithoutBundling = () =>
  new Stack(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), 'Probe');

describe('AppFunction', () => {
  it('accepts an environment that matches what the code parses', () => {
    // Act + Assert
    expect(() => new AppFunction(stackWithoutBundling(), 'Fn', props({}))).not.toThrow();
  });

  it('fails synth when the code needs a variable no binding provides', () => {
    // Prepare
    const envSchema = z.object({ [ENV.aseedBaseUrl]: z.url(), [ENV.tableName]: z.string().min(1) });

    // Act + Assert
    expect(() => new AppFunction(stackWithoutBundling(), 'Fn', props({ envSchema }))).toThrow(ENV.tableName);
  });

  it('fails synth when a binding sets a variable the code never reads, or a bad value', () => {
    // Prepare
    const bindings = [setting(ENV.aseedBaseUrl, 'not a url'), setting(ENV.sesSendRatePerSecond, 5)];

    // Act + Assert
    expect(() => new AppFunction(stackWithoutBundling(), 'Fn', props({ bindings }))).toThrow(
      new RegExp(`${ENV.sesSendRatePerSecond}: not read[\\s\\S]*${ENV.aseedBaseUrl}`),
    );
  });

  it('fails synth when two bindings set the same variable', () => {
    // Prepare
    const bindings = [
      setting(ENV.aseedBaseUrl, 'https://a.example'),
      setting(ENV.aseedBaseUrl, 'https://b.example'),
    ];

    // Act + Assert
    expect(() => new AppFunction(stackWithoutBundling(), 'Fn', props({ bindings }))).toThrow('bound twice');
  });

  it("fails synth when the environment would exceed Lambda's 4 KB", () => {
    // Prepare
    const bindings = [setting(ENV.aseedBaseUrl, `https://app.aseed.ai/${'x'.repeat(5000)}`)];

    // Act + Assert
    expect(() => new AppFunction(stackWithoutBundling(), 'Fn', props({ bindings }))).toThrow('4 KB');
  });
});
