import { resolve } from 'node:path';
import { Duration, type RemovalPolicy, Token, Validations } from 'aws-cdk-lib';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat, SourceMapMode } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { z } from 'zod';
import type { Binding } from './bindings.ts';

/** Repository root: entries in `FUNCTIONS` (infra/definitions.ts) are relative to it. */
export const REPO_ROOT = resolve(import.meta.dirname, '..', '..');

/**
 * ESM bundles still contain CommonJS dependencies that call `require`; this banner gives them one.
 * Kept free of double quotes because CDK passes it to esbuild inside a double-quoted shell argument.
 */
export const ESM_REQUIRE_BANNER =
  "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);";

/** Lambda's limit on the total size of a function's environment variables. */
const LAMBDA_ENV_LIMIT_BYTES = 4096;

/** Environment variables every function gets besides its bindings. */
const COMMON_ENV_PREFIXES = ['POWERTOOLS_', 'NODE_OPTIONS', 'LOG_LEVEL', 'AWS_'];

/** Props of `AppFunction`. */
export interface AppFunctionProps {
  /** Short name: Powertools service name suffix and log group name part. */
  readonly name: string;
  /** Entry file relative to the repository root; it exports `handler`. */
  readonly entry: string;
  readonly timeoutSeconds: number;
  readonly memoryMb: number;
  /** Schema of the environment the code parses at cold start (shared/config.ts); checked at synth. */
  readonly envSchema: z.ZodObject;
  /** Everything the function uses: environment and grants bound together. */
  readonly bindings: readonly Binding[];
  readonly serviceName: string;
  readonly logLevel: string;
  readonly logRetention: RetentionDays;
  readonly removalPolicy: RemovalPolicy;
  /** Where failed asynchronous invocations go (functions triggered by S3). */
  readonly deadLetterQueue?: IQueue;
}

/**
 * The one way this project defines a Lambda function: Node.js 22 on ARM64, bundled locally by esbuild
 * (never Docker) as minified ESM with source maps, X-Ray tracing, its own log group with retention, its own
 * role, and an environment that only bindings can populate — each with the grant it needs.
 */
export class AppFunction extends Construct {
  readonly function: NodejsFunction;
  readonly logGroup: LogGroup;
  readonly role: Role;

  constructor(scope: Construct, id: string, props: AppFunctionProps) {
    super(scope, id);

    const environment: Record<string, string> = {
      POWERTOOLS_SERVICE_NAME: `${props.serviceName}-${props.name}`,
      LOG_LEVEL: props.logLevel,
      NODE_OPTIONS: '--enable-source-maps',
    };
    for (const binding of props.bindings) {
      for (const [key, value] of Object.entries(binding.environment)) {
        if (key in environment) throw new Error(`${id}: environment variable ${key} is bound twice`);
        environment[key] = value;
      }
    }
    checkEnvironment(id, props.envSchema, environment);

    this.logGroup = new LogGroup(this, 'Logs', {
      retention: props.logRetention,
      removalPolicy: props.removalPolicy,
    });
    // An own role instead of the AWSLambdaBasicExecutionRole managed policy: logs go to this group only.
    this.role = new Role(this, 'Role', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `Execution role of the ${props.name} function`,
    });
    this.logGroup.grantWrite(this.role);

    this.function = new NodejsFunction(this, 'Function', {
      entry: resolve(REPO_ROOT, props.entry),
      handler: 'handler',
      projectRoot: REPO_ROOT,
      depsLockFilePath: resolve(REPO_ROOT, 'package-lock.json'),
      runtime: Runtime.NODEJS_22_X,
      architecture: Architecture.ARM_64,
      timeout: Duration.seconds(props.timeoutSeconds),
      memorySize: props.memoryMb,
      role: this.role,
      logGroup: this.logGroup,
      tracing: Tracing.ACTIVE,
      environment,
      ...(props.deadLetterQueue ? { deadLetterQueue: props.deadLetterQueue } : {}),
      bundling: {
        forceDockerBundling: false,
        format: OutputFormat.ESM,
        target: 'node22',
        mainFields: ['module', 'main'],
        banner: ESM_REQUIRE_BANNER,
        minify: true,
        sourceMap: true,
        sourceMapMode: SourceMapMode.DEFAULT,
        sourcesContent: false,
        tsconfig: resolve(REPO_ROOT, 'tsconfig.json'),
        // Everything is bundled, the AWS SDK included: the code runs on the SDK version it was tested with
        // (SES v2 inline templates need a 2024 or later client), not on whichever one the runtime ships.
        // NodejsFunction leaves @aws-sdk/* out unless told otherwise.
        externalModules: [],
      },
    });
    for (const binding of props.bindings) binding.grant?.(this.function);

    Validations.of(this.role).acknowledge({
      id: 'AwsSolutions::AwsSolutions-IAM5[Resource::*]',
      reason:
        'Only X-Ray (xray:PutTraceSegments, xray:PutTelemetryRecords) and, for the invite function, ' +
        'ses:GetAccount use Resource "*": neither has resource-level permissions. test/infra asserts no other ' +
        'statement uses "*".',
    });
    Validations.of(this.function).acknowledge({
      id: 'AwsSolutions::AwsSolutions-L1',
      reason:
        'Pinned to nodejs22.x (supported until 2027), the Node line the project is built and tested on; ' +
        'moving to nodejs24.x is a one-line change here once the toolchain is tested on it.',
    });
  }
}

/**
 * Fails synth when the environment does not satisfy the schema the code parses at cold start, or sets a
 * variable the code never reads. Unresolved tokens (ARNs, names) are checked for presence only.
 */
const checkEnvironment = (id: string, schema: z.ZodObject, environment: Record<string, string>): void => {
  const declared = new Set(Object.keys(schema.shape));
  const unknown = Object.keys(environment).filter(
    (key) => !declared.has(key) && !COMMON_ENV_PREFIXES.some((prefix) => key.startsWith(prefix)),
  );
  const probe = Object.fromEntries(
    // A deploy-time reference (an ARN, a queue or function URL) is a string, URL-shaped for URL schemas.
    Object.entries(environment).map(([key, value]) => [
      key,
      Token.isUnresolved(value) ? 'https://unresolved-token.invalid/' : value,
    ]),
  );
  const result = schema.safeParse(probe);
  // Lambda refuses environments over 4 KB; an unresolved token (ARN, URL) is counted generously.
  const size = Object.entries(environment).reduce(
    (total, [key, value]) =>
      total + key.length + (Token.isUnresolved(value) ? 200 : Buffer.byteLength(value)),
    0,
  );
  const problems = [
    ...(size > LAMBDA_ENV_LIMIT_BYTES ? [`the environment is about ${size} bytes, over Lambda's 4 KB`] : []),
    ...unknown.map((key) => `${key}: not read by the function (not in its schema)`),
    ...(result.success
      ? []
      : result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`)),
  ];
  if (problems.length > 0)
    throw new Error(`${id}: environment does not match the code: ${problems.join('; ')}`);
};
