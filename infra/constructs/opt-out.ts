import { Validations } from 'aws-cdk-lib';
import { type FunctionUrl, FunctionUrlAuthType, InvokeMode } from 'aws-cdk-lib/aws-lambda';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { ENV, OptOutEnvSchema } from '#shared/config.ts';
import { FUNCTIONS } from '../definitions.ts';
import { AppFunction, type AppFunctionProps } from './app-function.ts';
import { type Binding, secretRead } from './bindings.ts';

/** Props of {@link OptOut}. */
export interface OptOutProps {
  /** What the function uses besides its key: the table, the Aseed token and API (rooms are cancelled). */
  readonly bindings: readonly Binding[];
  /** The settings every function of the stack shares (service name, log level, retention, removal). */
  readonly common: Pick<AppFunctionProps, 'serviceName' | 'logLevel' | 'logRetention' | 'removalPolicy'>;
}

/**
 * The one-click opt-out endpoint (RFC 8058): a generated signing key in Secrets Manager, the function, and
 * its public function URL. Public by necessity (a mail client posts to it without credentials); what guards
 * it is the HMAC each link carries, checked with that key, and a GET that changes nothing.
 */
export class OptOut extends Construct {
  readonly function: AppFunction;
  readonly key: Secret;
  readonly url: FunctionUrl;

  constructor(scope: Construct, id: string, props: OptOutProps) {
    super(scope, id);
    this.key = new Secret(this, 'SigningKey', {
      description: 'Key that signs the opt-out links of invitation emails (HMAC-SHA256).',
      generateSecretString: { passwordLength: 48, excludePunctuation: true },
      removalPolicy: props.common.removalPolicy,
    });
    Validations.of(this.key).acknowledge({
      id: 'AwsSolutions::AwsSolutions-SMG4',
      reason:
        'Rotating the signing key would void the opt-out links of every email already sent; it is replaced by hand if it ever leaks.',
    });
    this.function = new AppFunction(this, 'Endpoint', {
      ...props.common,
      name: 'optout',
      ...FUNCTIONS.optOut,
      envSchema: OptOutEnvSchema,
      bindings: [...props.bindings, secretRead(ENV.optOutKeySecretArn, this.key)],
    });
    this.url = this.function.function.addFunctionUrl({
      authType: FunctionUrlAuthType.NONE,
      invokeMode: InvokeMode.BUFFERED,
    });
  }
}
