import { CfnOutput, Duration, RemovalPolicy, Stack, type StackProps, Tags, Validations } from 'aws-cdk-lib';
import {
  Alarm,
  ComparisonOperator,
  type IMetric,
  MathExpression,
  Stats,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { AttributeType, BillingMode, ProjectionType, Table, TableEncryption } from 'aws-cdk-lib/aws-dynamodb';
import { EventBus } from 'aws-cdk-lib/aws-events';
import type { CfnFunction } from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { FilterPattern, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { BlockPublicAccess, Bucket, BucketEncryption, EventType, ObjectOwnership } from 'aws-cdk-lib/aws-s3';
import { LambdaDestination } from 'aws-cdk-lib/aws-s3-notifications';
import { Schedule, ScheduleExpression } from 'aws-cdk-lib/aws-scheduler';
import { LambdaInvoke } from 'aws-cdk-lib/aws-scheduler-targets';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import {
  ConfigurationSet,
  ConfigurationSetTlsPolicy,
  EmailIdentity,
  EmailSendingEvent,
  EventDestination,
  Identity,
  SuppressionReasons,
} from 'aws-cdk-lib/aws-ses';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import {
  DeadLetterEnvSchema,
  ENV,
  IngestEnvSchema,
  InviteEnvSchema,
  TrackerEnvSchema,
} from '#shared/config.ts';
import { PAUSE_LOG_FIELD, type PauseKind } from '#shared/errors.ts';
import { DEFAULT_INVITE } from '#shared/invite/config.ts';
import { CAMPAIGNS_INDEX, TRACKING_INDEX } from '#shared/store/keys.ts';
import {
  type DeployConfig,
  inviteBatchSize,
  inviteMaxConcurrency,
  senderAddressOf,
  sesIdentityOf,
  sizingRateOf,
} from './config.ts';
import { AppFunction } from './constructs/app-function.ts';
import {
  queueSend,
  secretRead,
  sesSend,
  setting,
  tableAccess,
  uploadsRead,
  uploadsWrite,
} from './constructs/bindings.ts';
import { ConsoleApi } from './constructs/console-api.ts';
import { ConsoleSite } from './constructs/console-site.ts';
import { OptOut } from './constructs/opt-out.ts';
import { SesEvents } from './constructs/ses-events.ts';
import {
  FUNCTIONS,
  INVITE_DEAD_LETTERS,
  INVITE_QUEUE,
  STACK_OUTPUTS,
  TABLE,
  TRACKER_SCHEDULE,
  UPLOADS,
} from './definitions.ts';

/** Service name prefix of the functions' Powertools logs and traces. */
export const SERVICE_NAME = 'aseed-invites';

/** Props of `InvitesStack`. */
export interface InvitesStackProps extends StackProps {
  readonly config: DeployConfig;
  /** The built web console (`index.html` and assets) that the stack deploys: `web/dist` (infra/create-app.ts). */
  readonly consoleSiteDir: string;
}

/** Period of the paused-account alarm: longer than the paused batches' recheck, in whole minutes. */
export const PAUSE_ALARM_PERIOD = Duration.minutes(
  Math.ceil((DEFAULT_INVITE.pauseRecheckMs + 300_000) / 60_000),
);

/**
 * The whole product on AWS: upload bucket → ingest function → invite queue → invite function → Aseed API
 * and SES; invite DLQ → dead-letter function (records batches whose last receive died); SES events →
 * events function (records deliveries, bounces, complaints on the respondents); state in one
 * DynamoDB table, the Aseed token in Secrets Manager, alarms on failures.
 * Environment-agnostic (no lookups): synthesizes offline.
 */
export class InvitesStack extends Stack {
  readonly bucket: Bucket;
  readonly table: Table;
  readonly inviteQueue: Queue;
  readonly inviteDeadLetterQueue: Queue;
  readonly ingest: AppFunction;
  readonly invite: AppFunction;
  readonly optOut: OptOut;
  readonly console: ConsoleApi;
  readonly consoleSite: ConsoleSite;
  readonly deadLetter: AppFunction;
  readonly events: SesEvents;
  readonly tracker: AppFunction;
  readonly trackerSchedule: Schedule;
  readonly alarms: Alarm[] = [];

  constructor(scope: Construct, id: string, props: InvitesStackProps) {
    super(scope, id, {
      description: 'Aseed interview invitations: CSV upload → rooms → emails',
      ...props,
    });
    const { config } = props;
    Tags.of(this).add('project', SERVICE_NAME);
    const removalPolicy = config.removalPolicy === 'destroy' ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN;

    // --- Storage -----------------------------------------------------------------------------------------
    const accessLogs = new Bucket(this, 'AccessLogs', {
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      encryption: BucketEncryption.S3_MANAGED, // server access logging cannot write to SSE-KMS buckets
      enforceSSL: true,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      lifecycleRules: [{ id: 'ExpireAccessLogs', expiration: Duration.days(90) }],
      removalPolicy,
    });

    this.bucket = new Bucket(this, 'Uploads', {
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      encryption: BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      versioned: true,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      serverAccessLogsBucket: accessLogs,
      serverAccessLogsPrefix: 'uploads/',
      lifecycleRules: [
        {
          // Respondent CSVs are personal data: keep them only as long as a campaign needs them.
          id: 'ExpireUploads',
          expiration: Duration.days(config.uploadRetentionDays),
          noncurrentVersionExpiration: Duration.days(7),
          abortIncompleteMultipartUploadAfter: Duration.days(1),
        },
        // Expiring a versioned object leaves a delete marker; remove it once no version is left.
        { id: 'RemoveExpiredDeleteMarkers', expiredObjectDeleteMarker: true },
      ],
      removalPolicy,
    });

    this.table = new Table(this, 'Campaigns', {
      partitionKey: { name: TABLE.partitionKey.name, type: AttributeType.STRING },
      sortKey: { name: TABLE.sortKey.name, type: AttributeType.STRING },
      timeToLiveAttribute: TABLE.timeToLiveAttribute,
      billingMode: BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: TableEncryption.AWS_MANAGED,
      deletionProtection: removalPolicy === RemovalPolicy.RETAIN,
      removalPolicy,
    });
    for (const index of TABLE.globalSecondaryIndexes) {
      const key = (k: { name: string; type: string }) => ({
        name: k.name,
        type: k.type === 'N' ? AttributeType.NUMBER : AttributeType.STRING,
      });
      this.table.addGlobalSecondaryIndex({
        indexName: index.indexName,
        partitionKey: key(index.partitionKey),
        ...(index.sortKey ? { sortKey: key(index.sortKey) } : {}),
        projectionType: index.projection === 'KEYS_ONLY' ? ProjectionType.KEYS_ONLY : ProjectionType.ALL,
      });
    }

    const secret = new Secret(this, 'AseedToken', {
      description: 'Aseed API token used by the invite function. Put the real token here after deploying.',
      removalPolicy,
    });
    Validations.of(secret).acknowledge({
      id: 'AwsSolutions::AwsSolutions-SMG4',
      reason:
        'The Aseed API token is issued in the Aseed UI; there is no API to rotate it, so rotation is manual.',
    });

    // --- Queues ------------------------------------------------------------------------------------------
    const deadLetterProps = {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.seconds(INVITE_QUEUE.deadLetterRetentionSeconds),
    };
    // Drained by the dead-letter function, so it needs a visibility timeout that covers that function.
    this.inviteDeadLetterQueue = new Queue(this, 'InviteDeadLetters', {
      ...deadLetterProps,
      visibilityTimeout: Duration.seconds(INVITE_DEAD_LETTERS.visibilityTimeoutSeconds),
    });
    this.inviteQueue = new Queue(this, 'Invites', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      visibilityTimeout: Duration.seconds(INVITE_QUEUE.visibilityTimeoutSeconds),
      retentionPeriod: Duration.seconds(INVITE_QUEUE.retentionSeconds),
      deadLetterQueue: { queue: this.inviteDeadLetterQueue, maxReceiveCount: INVITE_QUEUE.maxReceiveCount },
    });
    const ingestFailures = new Queue(this, 'IngestFailures', deadLetterProps);

    // --- SES ---------------------------------------------------------------------------------------------
    const configurationSet = new ConfigurationSet(this, 'Mail', {
      reputationMetrics: true,
      sendingEnabled: true,
      suppressionReasons: SuppressionReasons.BOUNCES_AND_COMPLAINTS,
      tlsPolicy: ConfigurationSetTlsPolicy.REQUIRE,
    });
    // Deliveries, bounces, complaints, rejects, rendering failures and delays go to the default event bus,
    // where the events function's rule takes them (infra/constructs/ses-events.ts).
    configurationSet.addEventDestination('BouncesAndComplaints', {
      destination: EventDestination.eventBus(EventBus.fromEventBusName(this, 'DefaultBus', 'default')),
      events: [
        EmailSendingEvent.DELIVERY,
        EmailSendingEvent.BOUNCE,
        EmailSendingEvent.COMPLAINT,
        EmailSendingEvent.REJECT,
        EmailSendingEvent.RENDERING_FAILURE,
        EmailSendingEvent.DELIVERY_DELAY,
      ],
    });
    const identity = sesIdentityOf(config);
    if (config.ses.createIdentity) {
      new EmailIdentity(this, 'SenderIdentity', {
        identity: identity.includes('@') ? Identity.email(identity) : Identity.domain(identity),
        configurationSet,
      });
    }
    // SES authorises a send against the most specific verified identity: the sender address when it is
    // verified itself, else its domain. Grant both, so either way of verifying works.
    const sender = senderAddressOf(config);
    const identities = new Set([
      identity,
      sender,
      sender.split('@').pop() ?? sender,
      ...config.ses.sandboxRecipients,
    ]);
    const identityArns = [...identities].map((name) =>
      this.formatArn({ service: 'ses', resource: 'identity', resourceName: name }),
    );
    const configurationSetArn = this.formatArn({
      service: 'ses',
      resource: 'configuration-set',
      resourceName: configurationSet.configurationSetName,
    });

    // --- Functions ---------------------------------------------------------------------------------------
    const common = {
      serviceName: SERVICE_NAME,
      logLevel: config.logLevel,
      logRetention: config.logRetentionDays as RetentionDays,
      removalPolicy,
    };
    this.ingest = new AppFunction(this, 'Ingest', {
      ...common,
      name: 'ingest',
      ...FUNCTIONS.ingest,
      envSchema: IngestEnvSchema,
      deadLetterQueue: ingestFailures,
      bindings: [
        uploadsRead(this.bucket, UPLOADS.prefix),
        tableAccess(ENV.tableName, this.table),
        queueSend(ENV.inviteQueueUrl, this.inviteQueue),
        setting(ENV.campaignDefaults, JSON.stringify(config.campaignDefaults)),
        // The token price, for campaigns with a maxTokens budget.
        secretRead(ENV.aseedTokenSecretArn, secret),
        setting(ENV.aseedBaseUrl, config.aseedBaseUrl),
      ],
    });
    this.bucket.addEventNotification(EventType.OBJECT_CREATED, new LambdaDestination(this.ingest.function), {
      prefix: UPLOADS.prefix,
      suffix: UPLOADS.csvSuffix,
    });
    // CDK configures S3 notifications through its own singleton custom resource.
    const notificationsHandler = this.node.children.find((child) =>
      child.node.id.startsWith('BucketNotificationsHandler'),
    );
    if (notificationsHandler) {
      Validations.of(notificationsHandler).acknowledge({
        id: 'AwsSolutions::AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
        reason:
          "CDK's built-in handler that sets the bucket's notification configuration during deployments only; " +
          'the managed policy gives it CloudWatch Logs writes, and its one other permission is ' +
          's3:PutBucketNotification on the upload bucket.',
      });
    }

    const sizingRate = sizingRateOf(config);
    const maxConcurrency = inviteMaxConcurrency(sizingRate);
    // The invite side's bindings except SES (its schema makes the configuration set optional): the
    // dead-letter function shares them and never sends email, so it gets no SES permission.
    const inviteSideBindings = [
      tableAccess(ENV.tableName, this.table),
      secretRead(ENV.aseedTokenSecretArn, secret),
      setting(ENV.aseedBaseUrl, config.aseedBaseUrl),
      ...(config.ses.sendRatePerSecond === undefined
        ? []
        : [setting(ENV.sesSendRatePerSecond, config.ses.sendRatePerSecond)]),
      setting(ENV.inviteMaxReceiveCount, INVITE_QUEUE.maxReceiveCount),
    ];
    // What settling a respondent's outcome needs (an SES event, an opt-out): item reads and updates, puts to
    // the suppression list, and the Aseed API to cancel the pending room.
    const settleBindings = [
      tableAccess(ENV.tableName, this.table, ['dynamodb:GetItem', 'dynamodb:UpdateItem', 'dynamodb:PutItem']),
      secretRead(ENV.aseedTokenSecretArn, secret),
      setting(ENV.aseedBaseUrl, config.aseedBaseUrl),
    ];
    // One-click opt-out (RFC 8058): the invite function signs each recipient's link, this endpoint checks it.
    this.optOut = new OptOut(this, 'OptOut', {
      bindings: [...settleBindings],
      common,
    });
    // The web console's API: what the CLI reads (the list through its index), and the cancel it writes.
    this.console = new ConsoleApi(this, 'Console', {
      common,
      bindings: [
        tableAccess(
          ENV.tableName,
          this.table,
          ['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:BatchGetItem', 'dynamodb:UpdateItem'],
          [CAMPAIGNS_INDEX],
        ),
        queueSend(ENV.inviteQueueUrl, this.inviteQueue),
        // Presigned PUTs of campaign files, the CLI's keys: the ingest takes them from there.
        uploadsWrite(this.bucket, UPLOADS.prefix, [UPLOADS.csvSuffix, UPLOADS.settingsSuffix]),
        // A new campaign's file checked as the ingest would (its defaults, the price) and test-sent.
        setting(ENV.campaignDefaults, JSON.stringify(config.campaignDefaults)),
        secretRead(ENV.aseedTokenSecretArn, secret),
        setting(ENV.aseedBaseUrl, config.aseedBaseUrl),
        sesSend(ENV.sesConfigurationSet, configurationSet, configurationSetArn, identityArns, {
          pace: false,
        }),
      ],
    });
    this.invite = new AppFunction(this, 'Invite', {
      ...common,
      name: 'invite',
      ...FUNCTIONS.invite,
      envSchema: InviteEnvSchema,
      bindings: [
        ...inviteSideBindings,
        setting(ENV.optOutUrl, this.optOut.url.url),
        secretRead(ENV.optOutKeySecretArn, this.optOut.key),
        // Batches an invocation has no time left for go back to the queue as fresh messages.
        queueSend(ENV.inviteQueueUrl, this.inviteQueue),
        sesSend(ENV.sesConfigurationSet, configurationSet, configurationSetArn, identityArns),
      ],
    });
    this.invite.function.addEventSource(
      new SqsEventSource(this.inviteQueue, {
        batchSize: inviteBatchSize(sizingRate),
        reportBatchItemFailures: true,
        maxConcurrency,
      }),
    );

    // A batch whose last allowed receive crashed or timed out reaches the DLQ unrecorded; this function
    // records it (respondents failed, unsent rooms cancelled, campaign completed if it was the last batch).
    this.deadLetter = new AppFunction(this, 'DeadLetter', {
      ...common,
      name: 'deadletter',
      ...FUNCTIONS.deadLetter,
      envSchema: DeadLetterEnvSchema,
      bindings: inviteSideBindings,
    });
    this.deadLetter.function.addEventSource(
      new SqsEventSource(this.inviteDeadLetterQueue, {
        batchSize: INVITE_DEAD_LETTERS.batchSize,
        reportBatchItemFailures: true,
        maxConcurrency: INVITE_DEAD_LETTERS.maxConcurrency,
      }),
    );

    this.events = new SesEvents(this, 'SesEvents', {
      configurationSetName: configurationSet.configurationSetName,
      bindings: [
        // Rooms of bounced and complained respondents are cancelled, giving their tokens back.
        ...settleBindings,
      ],
      common,
    });

    // Rooms' progress (started, completed, expired) is polled: the API has no webhooks. Each run polls the
    // campaigns that are due; the next run picks up any it missed, so the scheduler does not retry.
    this.tracker = new AppFunction(this, 'Tracker', {
      ...common,
      name: 'tracker',
      ...FUNCTIONS.tracker,
      envSchema: TrackerEnvSchema,
      bindings: [
        tableAccess(
          ENV.tableName,
          this.table,
          ['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:UpdateItem'],
          [TRACKING_INDEX],
        ),
        secretRead(ENV.aseedTokenSecretArn, secret),
        setting(ENV.aseedBaseUrl, config.aseedBaseUrl),
        // Due reminders and thank-yous are handed to the invite function, the one paced sender.
        queueSend(ENV.inviteQueueUrl, this.inviteQueue),
      ],
    });
    this.trackerSchedule = new Schedule(this, 'TrackerSchedule', {
      description: 'Polls the rooms of open campaigns (the tracker function)',
      schedule: ScheduleExpression.rate(Duration.minutes(TRACKER_SCHEDULE.rateMinutes)),
      target: new LambdaInvoke(this.tracker.function, { retryAttempts: 0 }),
    });
    Validations.of(this).acknowledge({
      id: `AwsSolutions::AwsSolutions-IAM5[Resource::<${this.getLogicalId(this.tracker.function.node.defaultChild as CfnFunction)}.Arn>:*]`,
      reason:
        "The scheduler's role may invoke the tracker function and its versions (the `:*` CDK's LambdaInvoke " +
        'target adds); no other function.',
    });

    // The console's pages, on a distribution that also serves the console API under /api/*.
    this.consoleSite = new ConsoleSite(this, 'ConsoleSite', {
      siteDir: props.consoleSiteDir,
      api: this.console,
      uploads: this.bucket,
      accessLogs,
      common,
    });

    // --- Alarms ------------------------------------------------------------------------------------------
    const alarm = (
      id: string,
      metric: IMetric,
      threshold: number,
      description: string,
      evaluationPeriods = 1,
    ): void => {
      this.alarms.push(
        new Alarm(this, id, {
          metric,
          threshold,
          evaluationPeriods,
          datapointsToAlarm: evaluationPeriods,
          comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
          treatMissingData: TreatMissingData.NOT_BREACHING,
          alarmDescription: description,
        }),
      );
    };
    const minute = Duration.minutes(1);
    // The dead-letter function's pollers take a message as soon as it arrives, and one it fails to record is
    // in flight (invisible) for the visibility timeout, so the visible count alone stays near 0 either way.
    // Depth = visible + in flight, above 0 in three consecutive periods of one function timeout (so for more
    // than two timeouts): only a message the function keeps failing on, or an event source that stopped
    // polling, keeps it there that long.
    const depthPeriod = Duration.seconds(FUNCTIONS.deadLetter.timeoutSeconds);
    const dlqDepth = new MathExpression({
      label: 'Invite DLQ depth (visible + in flight)',
      expression: 'visible + inFlight',
      period: depthPeriod,
      usingMetrics: {
        visible: this.inviteDeadLetterQueue.metricApproximateNumberOfMessagesVisible({
          period: depthPeriod,
          statistic: Stats.MAXIMUM,
        }),
        inFlight: this.inviteDeadLetterQueue.metricApproximateNumberOfMessagesNotVisible({
          period: depthPeriod,
          statistic: Stats.MAXIMUM,
        }),
      },
    });
    alarm(
      'InviteDeadLettersAlarm',
      dlqDepth,
      0,
      'Dead-lettered invite messages stay in the DLQ: the dead-letter function cannot record them ' +
        '(see its log group); those campaigns cannot complete until it does.',
      3,
    );
    alarm(
      'DeadLetterInvocationsAlarm',
      this.deadLetter.function.metricInvocations({ period: Duration.minutes(5), statistic: Stats.SUM }),
      0,
      'An invite batch exhausted its receives and was dead-lettered: its respondents are recorded as ' +
        'failed (see the campaign report and the invite and dead-letter log groups).',
    );
    alarm(
      'IngestFailuresAlarm',
      ingestFailures.metricApproximateNumberOfMessagesVisible({ period: minute, statistic: Stats.MAXIMUM }),
      0,
      'An upload event failed ingest after retries: that campaign did not start.',
    );
    alarm(
      'SesEventsDeadLettersAlarm',
      this.events.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
        period: minute,
        statistic: Stats.MAXIMUM,
      }),
      0,
      'SES events could not be recorded (see the events log group); they wait in the events DLQ for a redrive.',
    );
    alarm(
      'InviteBacklogAgeAlarm',
      this.inviteQueue.metricApproximateAgeOfOldestMessage({ period: minute, statistic: Stats.MAXIMUM }),
      config.alarms.oldestMessageAgeSeconds,
      'Invite messages wait too long: the invite function is failing, throttled or too slow.',
    );
    // Only a person can undo a pause SES put on the account or the configuration set, or top up the Aseed
    // tokens; a daily-quota pause lifts by itself and shows on the campaign. The invite function logs each
    // pause with its kind; a paused batch logs once per recheck (15 min), so a period 5 min longer stays in
    // alarm while the pause lasts instead of flapping, and goes back to OK once no batch logs it.
    const personPauses: [string, string, PauseKind, string][] = [
      [
        'SendingPaused',
        'SesSendingPaused',
        'account-paused',
        'SES paused or suspended sending for the account or the configuration set: campaigns wait (retried ' +
          'every 15 min) and no respondent fails. See the SES console (reputation, account status).',
      ],
      [
        'TokensShort',
        'AseedTokensShort',
        'tokens',
        'Aseed refused to create rooms for too few tokens (402): campaigns wait (retried every 15 min) and ' +
          'no respondent fails. Top up the Aseed account; `invites status` shows the paused campaign.',
      ],
    ];
    for (const [id, metricName, kind, description] of personPauses) {
      const filter = this.invite.logGroup.addMetricFilter(`${id}Filter`, {
        filterPattern: FilterPattern.stringValue(`$.${PAUSE_LOG_FIELD}`, '=', kind),
        metricNamespace: `AseedInvites/${this.stackName}`,
        metricName,
        metricValue: '1',
      });
      const metric = filter.metric({ period: PAUSE_ALARM_PERIOD, statistic: Stats.SUM });
      alarm(`${metricName}Alarm`, metric, 0, description);
    }
    for (const [name, fn, label] of [
      ['Ingest', this.ingest, 'ingest'],
      ['Invite', this.invite, 'invite'],
      ['DeadLetter', this.deadLetter, 'dead-letter'],
      ['Events', this.events.function, 'events'],
      ['Tracker', this.tracker, 'tracker'],
    ] as const) {
      alarm(
        `${name}ErrorsAlarm`,
        fn.function.metricErrors({ period: Duration.minutes(5), statistic: Stats.SUM }),
        0,
        `The ${label} function failed (see its log group).`,
      );
      alarm(
        `${name}ThrottlesAlarm`,
        fn.function.metricThrottles({ period: Duration.minutes(5), statistic: Stats.SUM }),
        0,
        `The ${label} function was throttled.`,
      );
    }
    if (config.alarms.email) {
      const topic = new Topic(this, 'AlarmTopic', { displayName: 'Aseed invites alarms', enforceSSL: true });
      topic.addSubscription(new EmailSubscription(config.alarms.email));
      for (const each of this.alarms) each.addAlarmAction(new SnsAction(topic));
    }

    // --- Outputs -----------------------------------------------------------------------------------------
    const output = (key: string, value: string, description: string) =>
      new CfnOutput(this, key, { key, value, description });
    output(STACK_OUTPUTS.bucketName, this.bucket.bucketName, `Upload CSVs to s3://<this>/${UPLOADS.prefix}`);
    output(STACK_OUTPUTS.tableName, this.table.tableName, 'Campaign state table');
    output(STACK_OUTPUTS.inviteQueueUrl, this.inviteQueue.queueUrl, 'Invite queue');
    output(STACK_OUTPUTS.optOutUrl, this.optOut.url.url, 'One-click opt-out endpoint of the emails');
    output(STACK_OUTPUTS.consoleApiUrl, this.console.stage.url, 'Console API (Cognito JWT on every route)');
    output(STACK_OUTPUTS.consoleUrl, this.consoleSite.url, 'The web console (sign in with a console user)');
    output(STACK_OUTPUTS.consoleUserPoolId, this.console.userPool.userPoolId, 'Console sign-in: user pool');
    output(
      STACK_OUTPUTS.consoleUserPoolClientId,
      this.console.client.userPoolClientId,
      'Console sign-in: app client',
    );
    output(
      STACK_OUTPUTS.inviteDeadLetterQueueUrl,
      this.inviteDeadLetterQueue.queueUrl,
      'Invite dead-letter queue',
    );
    output(STACK_OUTPUTS.aseedTokenSecretArn, secret.secretArn, 'Put the Aseed API token in this secret');
    output(
      STACK_OUTPUTS.sesConfigurationSetName,
      configurationSet.configurationSetName,
      'SES configuration set',
    );
    output(
      STACK_OUTPUTS.defaultSender,
      String(config.campaignDefaults.sender),
      'The default sender of campaigns (invites test-send sends as it)',
    );
    output(
      STACK_OUTPUTS.ingestLogGroupName,
      this.ingest.logGroup.logGroupName,
      'Logs of the ingest function',
    );
    output(
      STACK_OUTPUTS.inviteLogGroupName,
      this.invite.logGroup.logGroupName,
      'Logs of the invite function',
    );
    output(
      STACK_OUTPUTS.deadLetterLogGroupName,
      this.deadLetter.logGroup.logGroupName,
      'Logs of the dead-letter function',
    );
    output(
      STACK_OUTPUTS.trackerLogGroupName,
      this.tracker.logGroup.logGroupName,
      'Logs of the tracker function',
    );
  }
}
