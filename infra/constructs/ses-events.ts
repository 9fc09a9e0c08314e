import { Duration } from 'aws-cdk-lib';
import { Rule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { EventsEnvSchema } from '#shared/config.ts';
import { FUNCTIONS, INVITE_QUEUE, SES_EVENTS } from '../definitions.ts';
import { AppFunction, type AppFunctionProps } from './app-function.ts';
import type { Binding } from './bindings.ts';

/** Props of {@link SesEvents}. */
export interface SesEventsProps {
  /** The configuration set whose events (on the default bus) the rule passes on; no other SES events. */
  readonly configurationSetName: string;
  /** What the function uses: the table (item reads and updates). */
  readonly bindings: readonly Binding[];
  /** The settings every function of the stack shares (service name, log level, retention, removal). */
  readonly common: Pick<AppFunctionProps, 'serviceName' | 'logLevel' | 'logRetention' | 'removalPolicy'>;
}

/**
 * SES events of the configuration set → EventBridge rule → the events function, which records each on its
 * respondent. An event the function keeps failing on (after Lambda's retries), or that EventBridge cannot
 * deliver, lands in the DLQ: kept 14 days for a look and a redrive.
 */
export class SesEvents extends Construct {
  readonly function: AppFunction;
  readonly deadLetterQueue: Queue;
  readonly rule: Rule;

  constructor(scope: Construct, id: string, props: SesEventsProps) {
    super(scope, id);
    this.deadLetterQueue = new Queue(this, 'DeadLetters', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.seconds(INVITE_QUEUE.deadLetterRetentionSeconds),
    });
    this.function = new AppFunction(this, 'Events', {
      ...props.common,
      name: 'events',
      ...FUNCTIONS.events,
      envSchema: EventsEnvSchema,
      bindings: props.bindings,
      deadLetterQueue: this.deadLetterQueue,
    });
    this.function.function.configureAsyncInvoke({ retryAttempts: SES_EVENTS.retryAttempts });
    this.rule = new Rule(this, 'Rule', {
      description: `SES events of configuration set ${props.configurationSetName} → the events function`,
      eventPattern: {
        source: ['aws.ses'],
        detailType: [...SES_EVENTS.detailTypes],
        detail: { mail: { tags: { 'ses:configuration-set': [props.configurationSetName] } } },
      },
      targets: [
        new LambdaFunction(this.function.function, {
          retryAttempts: SES_EVENTS.ruleRetryAttempts,
          maxEventAge: Duration.hours(SES_EVENTS.maxEventAgeHours),
          deadLetterQueue: this.deadLetterQueue,
        }),
      ],
    });
  }
}
