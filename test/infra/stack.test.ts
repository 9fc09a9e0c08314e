import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { inviteMaxConcurrency } from '#infra/config.ts';
import { TABLE_ACTIONS } from '#infra/constructs/bindings.ts';
import {
  FUNCTIONS,
  INVITE_DEAD_LETTERS,
  INVITE_QUEUE,
  SES_EVENTS,
  TABLE,
  TRACKER_SCHEDULE,
  UPLOADS,
} from '#infra/definitions.ts';
import { DeadLetterEnvSchema, ENV, InviteEnvSchema } from '#shared/config.ts';
import { PAUSE_LOG_FIELD } from '#shared/errors.ts';
import { FULL_CONTEXT, type Synthesized, synth } from './synth.ts';

type Resource = { Type: string; Properties?: Record<string, unknown> };
type Statement = { Effect: string; Action: string | string[]; Resource: unknown; Condition?: unknown };

const resourcesOf = (synthesized: Synthesized, type: string): Record<string, Resource> =>
  synthesized.template.findResources(type) as Record<string, Resource>;

const logicalIdOf = (synthesized: Synthesized, type: string, idPrefix: string): string => {
  const id = Object.keys(resourcesOf(synthesized, type)).find((key) => key.startsWith(idPrefix));
  if (!id) throw new Error(`no ${type} ${idPrefix}*`);
  return id;
};

const functionNamed = (synthesized: Synthesized, idPrefix: string): Resource => {
  const id = logicalIdOf(synthesized, 'AWS::Lambda::Function', idPrefix);
  return resourcesOf(synthesized, 'AWS::Lambda::Function')[id] as Resource;
};

const statementsOf = (synthesized: Synthesized): Statement[] =>
  Object.values(resourcesOf(synthesized, 'AWS::IAM::Policy')).flatMap(
    (policy) =>
      (policy.Properties?.PolicyDocument as { Statement: Statement[] } | undefined)?.Statement ?? [],
  );

/** Statements of the policies attached to the role whose logical id starts with `roleIdPrefix`. */
const roleStatementsOf = (synthesized: Synthesized, roleIdPrefix: string): Statement[] => {
  const roleId = logicalIdOf(synthesized, 'AWS::IAM::Role', roleIdPrefix);
  return Object.values(resourcesOf(synthesized, 'AWS::IAM::Policy'))
    .filter((policy) => JSON.stringify(policy.Properties?.Roles).includes(`"${roleId}"`))
    .flatMap(
      (policy) =>
        (policy.Properties?.PolicyDocument as { Statement: Statement[] } | undefined)?.Statement ?? [],
    );
};

const actionsOf = (statement: Statement): string[] =>
  Array.isArray(statement.Action) ? statement.Action : [statement.Action];

const environmentOf = (fn: Resource): Record<string, unknown> =>
  (fn.Properties?.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {};

describe('the stack', () => {
  let stack: Synthesized;

  beforeAll(() => {
    // Prepare: every optional resource on (alarm topic, higher SES rate), bundling skipped for speed.
    stack = synth({ context: FULL_CONTEXT });
  });

  it('drains the invite queue with partial batch responses, the batch size and an SES-derived concurrency', () => {
    // Act
    const mappings = Object.values(resourcesOf(stack, 'AWS::Lambda::EventSourceMapping'));

    // Assert: one mapping per queue, each to its own function.
    expect(mappings.map((mapping) => mapping.Properties?.EventSourceArn)).toEqual(
      expect.arrayContaining([
        { 'Fn::GetAtt': [logicalIdOf(stack, 'AWS::SQS::Queue', 'Invites'), 'Arn'] },
        { 'Fn::GetAtt': [logicalIdOf(stack, 'AWS::SQS::Queue', 'InviteDeadLetters'), 'Arn'] },
      ]),
    );
    expect(mappings).toHaveLength(2);
    stack.template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: { 'Fn::GetAtt': [logicalIdOf(stack, 'AWS::SQS::Queue', 'Invites'), 'Arn'] },
      FunctionName: { Ref: logicalIdOf(stack, 'AWS::Lambda::Function', 'InviteFunction') },
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      BatchSize: INVITE_QUEUE.batchSize,
      ScalingConfig: { MaximumConcurrency: inviteMaxConcurrency(Number(FULL_CONTEXT.sesSendRate)) },
    });
    // 100 emails/s at 10 per invocation → 10 concurrent invocations; the rate itself is shared through the
    // table, so the function gets the account's rate, not a share of it.
    expect(inviteMaxConcurrency(100)).toBe(10);
    expect(environmentOf(functionNamed(stack, 'InviteFunction'))[ENV.sesSendRatePerSecond]).toBe('100');
  });

  it('redrives invite messages to the dead-letter queue after maxReceiveCount receives', () => {
    // Act
    const queue = resourcesOf(stack, 'AWS::SQS::Queue')[logicalIdOf(stack, 'AWS::SQS::Queue', 'Invites')];

    // Assert
    expect(queue?.Properties?.RedrivePolicy).toEqual({
      deadLetterTargetArn: {
        'Fn::GetAtt': [logicalIdOf(stack, 'AWS::SQS::Queue', 'InviteDeadLetters'), 'Arn'],
      },
      maxReceiveCount: INVITE_QUEUE.maxReceiveCount,
    });
    expect(environmentOf(functionNamed(stack, 'InviteFunction'))[ENV.inviteMaxReceiveCount]).toBe(
      String(INVITE_QUEUE.maxReceiveCount),
    );
  });

  it('drains the invite DLQ into the dead-letter function with partial batch responses, one message at a time', () => {
    // Act
    const dlqId = logicalIdOf(stack, 'AWS::SQS::Queue', 'InviteDeadLetters');
    const dlq = resourcesOf(stack, 'AWS::SQS::Queue')[dlqId];
    const fn = functionNamed(stack, 'DeadLetterFunction');

    // Assert: without ReportBatchItemFailures the partial response would be ignored and failed records deleted.
    stack.template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: { 'Fn::GetAtt': [dlqId, 'Arn'] },
      FunctionName: { Ref: logicalIdOf(stack, 'AWS::Lambda::Function', 'DeadLetterFunction') },
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      BatchSize: INVITE_DEAD_LETTERS.batchSize,
      ScalingConfig: { MaximumConcurrency: INVITE_DEAD_LETTERS.maxConcurrency },
    });
    expect(INVITE_DEAD_LETTERS.batchSize).toBeLessThanOrEqual(10);
    expect(fn.Properties?.Timeout).toBe(FUNCTIONS.deadLetter.timeoutSeconds);
    expect(dlq?.Properties?.VisibilityTimeout).toBeGreaterThanOrEqual(
      6 * FUNCTIONS.deadLetter.timeoutSeconds,
    );
    // Records the function cannot record stay in the DLQ for the maximum retention.
    expect(dlq?.Properties?.MessageRetentionPeriod).toBe(INVITE_QUEUE.deadLetterRetentionSeconds);
  });

  it('lets the dead-letter function use the table, read the secret and consume the DLQ, and nothing else', () => {
    // Act
    const statements = roleStatementsOf(stack, 'DeadLetterRole');
    const env = environmentOf(functionNamed(stack, 'DeadLetterFunction'));

    // Assert
    const dlqArn = { 'Fn::GetAtt': [logicalIdOf(stack, 'AWS::SQS::Queue', 'InviteDeadLetters'), 'Arn'] };
    const tableArn = { 'Fn::GetAtt': [logicalIdOf(stack, 'AWS::DynamoDB::Table', 'Campaigns'), 'Arn'] };
    const secretRef = { Ref: logicalIdOf(stack, 'AWS::SecretsManager::Secret', 'AseedToken') };
    expect(statements).toEqual(
      expect.arrayContaining([
        { Effect: 'Allow', Action: [...TABLE_ACTIONS].sort(), Resource: tableArn },
        { Effect: 'Allow', Action: 'secretsmanager:GetSecretValue', Resource: secretRef },
        {
          Effect: 'Allow',
          Action: expect.arrayContaining([
            'sqs:ReceiveMessage',
            'sqs:DeleteMessage',
            'sqs:ChangeMessageVisibility',
          ]),
          Resource: dlqArn,
        },
      ]),
    );
    const services = new Set(statements.flatMap(actionsOf).map((action) => action.split(':')[0]));
    expect([...services].sort()).toEqual(['dynamodb', 'logs', 'secretsmanager', 'sqs', 'xray']);
    for (const statement of statements.filter((s) => actionsOf(s).some((a) => a.startsWith('sqs:')))) {
      expect(statement.Resource).toEqual(dlqArn);
      expect(actionsOf(statement)).not.toContain('sqs:SendMessage');
    }
    // Same environment as the invite function minus SES (the schema makes the configuration set optional).
    for (const name of Object.keys(DeadLetterEnvSchema.shape).filter(
      (key) => key !== ENV.sesConfigurationSet,
    )) {
      expect(env).toHaveProperty(name);
    }
    expect(env).not.toHaveProperty(ENV.sesConfigurationSet);
    expect(env[ENV.inviteMaxReceiveCount]).toBe(String(INVITE_QUEUE.maxReceiveCount));
  });

  it('lets the invite function send to its own queue only (batches it has no time for go back to it)', () => {
    // Act
    const statements = roleStatementsOf(stack, 'InviteRole');
    const env = environmentOf(functionNamed(stack, 'InviteFunction'));

    // Assert
    const queueArn = { 'Fn::GetAtt': [logicalIdOf(stack, 'AWS::SQS::Queue', 'Invites'), 'Arn'] };
    const sends = statements.filter((s) => actionsOf(s).includes('sqs:SendMessage'));
    expect(sends.map((s) => s.Resource)).toEqual([queueArn]);
    expect(env[ENV.inviteQueueUrl]).toEqual({ Ref: logicalIdOf(stack, 'AWS::SQS::Queue', 'Invites') });
  });

  it('keeps the invite visibility timeout at least 6 × the invite function timeout', () => {
    // Act
    const queue = resourcesOf(stack, 'AWS::SQS::Queue')[logicalIdOf(stack, 'AWS::SQS::Queue', 'Invites')];
    const fn = functionNamed(stack, 'InviteFunction');

    // Assert
    const visibility = queue?.Properties?.VisibilityTimeout as number;
    const timeout = fn.Properties?.Timeout as number;
    expect(timeout).toBe(FUNCTIONS.invite.timeoutSeconds);
    expect(visibility).toBeGreaterThanOrEqual(6 * timeout);
  });

  it('encrypts every queue and denies non-TLS access to it', () => {
    // Act
    const queues = resourcesOf(stack, 'AWS::SQS::Queue');
    const policies = Object.values(resourcesOf(stack, 'AWS::SQS::QueuePolicy'));

    // Assert
    for (const [id, queue] of Object.entries(queues)) {
      expect(queue.Properties?.SqsManagedSseEnabled, id).toBe(true);
      const policy = policies.find((each) => JSON.stringify(each.Properties?.Queues).includes(id));
      expect(JSON.stringify(policy?.Properties?.PolicyDocument), id).toContain(
        '"aws:SecureTransport":"false"',
      );
    }
  });

  it('grants no wildcard actions, and "*" resources only to X-Ray and SES GetAccount', () => {
    // Act
    const statements = statementsOf(stack);

    // Assert
    expect(statements.length).toBeGreaterThan(0);
    for (const statement of statements) {
      for (const action of actionsOf(statement)) expect(action).not.toContain('*');
      if (
        statement.Resource === '*' ||
        (Array.isArray(statement.Resource) && statement.Resource.includes('*'))
      ) {
        // X-Ray, and SES GetAccount (the account's quota has no resource to scope to).
        const actions = actionsOf(statement);
        expect(actions.every((a) => a.startsWith('xray:') || a === 'ses:GetAccount')).toBe(true);
      }
    }
  });

  it('lets the ingest function read uploads only under the campaign prefix (and list, for 404s), and the console put only campaign files', () => {
    // Act
    const bucketId = logicalIdOf(stack, 'AWS::S3::Bucket', 'Uploads');
    // Statements on the upload bucket (the console pages' deployment has its own bucket: console-site.test).
    const s3Statements = statementsOf(stack).filter(
      (s) =>
        actionsOf(s).some((a) => a.startsWith('s3:')) &&
        !actionsOf(s).includes('s3:PutBucketNotification') &&
        JSON.stringify(s.Resource).includes(`"${bucketId}"`),
    );

    // Assert
    expect(s3Statements).toEqual(
      expect.arrayContaining([
        {
          Effect: 'Allow',
          Action: ['s3:GetObject', 's3:GetObjectVersion'],
          Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [bucketId, 'Arn'] }, `/${UPLOADS.prefix}*`]] },
        },
        { Effect: 'Allow', Action: 's3:ListBucket', Resource: { 'Fn::GetAtt': [bucketId, 'Arn'] } },
        {
          Effect: 'Allow',
          Action: 's3:PutObject',
          Resource: [UPLOADS.csvSuffix, UPLOADS.settingsSuffix].map((suffix) => ({
            'Fn::Join': ['', [{ 'Fn::GetAtt': [bucketId, 'Arn'] }, `/${UPLOADS.prefix}*${suffix}`]],
          })),
        },
      ]),
    );
    expect(s3Statements).toHaveLength(3);
    expect(
      roleStatementsOf(stack, 'ConsoleFunctionRole').filter((s) => actionsOf(s).includes('s3:PutObject')),
    ).toHaveLength(1);
  });

  it('lets the functions read only the token secret and send only as the sender identity and configuration set', () => {
    // Act
    const statements = statementsOf(stack);
    const secretId = logicalIdOf(stack, 'AWS::SecretsManager::Secret', 'AseedToken');
    const secretStatements = statements.filter((s) =>
      actionsOf(s).some((a) => a.startsWith('secretsmanager:')),
    );
    const sesStatements = statements.filter((s) => actionsOf(s).includes('ses:SendBulkEmail'));
    const quotaStatements = roleStatementsOf(stack, 'InviteRole').filter((s) =>
      actionsOf(s).includes('ses:GetAccount'),
    );

    // Assert: every function but the bucket-notification helper reads the secret (the ingest and the console
    // for the token price); the invite function sends, and the console its test sends.
    const keyId = logicalIdOf(stack, 'AWS::SecretsManager::Secret', 'OptOutSigningKey');
    const secretsReadBy = (of: Statement[]) =>
      of
        .filter((s) => actionsOf(s).includes('secretsmanager:GetSecretValue'))
        .flatMap((s) => [s.Resource].flat().map((r) => (r as { Ref: string }).Ref))
        .sort();
    expect(secretStatements.flatMap(actionsOf).every((a) => a === 'secretsmanager:GetSecretValue')).toBe(
      true,
    );
    for (const role of [
      'IngestRole',
      'SesEventsRole',
      'TrackerRole',
      'DeadLetterRole',
      'ConsoleFunctionRole',
    ]) {
      expect(secretsReadBy(roleStatementsOf(stack, role))).toEqual([secretId]);
    }
    // The signing key: the invite function signs links with it, the opt-out endpoint checks them.
    for (const role of ['InviteRole', 'OptOutEndpointRole']) {
      expect(secretsReadBy(roleStatementsOf(stack, role))).toEqual([secretId, keyId].sort());
    }
    expect(secretsReadBy(secretStatements)).toHaveLength(9);
    expect(sesStatements).toHaveLength(2);
    expect(roleStatementsOf(stack, 'InviteRole')).toContainEqual(sesStatements[0]);
    // The console sends as the same identities through the same configuration set, and is not paced.
    expect(roleStatementsOf(stack, 'ConsoleFunctionRole')).toContainEqual(sesStatements[0]);
    expect(
      roleStatementsOf(stack, 'ConsoleFunctionRole').filter((s) => actionsOf(s).includes('ses:GetAccount')),
    ).toEqual([]);
    const resources = JSON.stringify(sesStatements[0]?.Resource);
    expect(resources).toContain(':identity/invites.example.org"');
    // The sender address too: SES authorises against it when the address itself is the verified identity.
    expect(resources).toContain(':identity/research@invites.example.org"');
    expect(resources).toContain(':identity/tester@example.org"');
    expect(quotaStatements).toHaveLength(1);
    expect(resources).toContain(':configuration-set/');
    expect(resources).not.toContain('identity/*');
  });

  it('outputs the default sender, which invites test-send sends as', () => {
    // Act
    const outputs = stack.template.findOutputs('DefaultSender');

    // Assert
    expect(Object.values(outputs).map((o) => o.Value)).toEqual([
      expect.stringContaining('research@invites.example.org'),
    ]);
  });

  it('never puts the Aseed token in a function environment or in the template', () => {
    // Act
    const functions = Object.values(resourcesOf(stack, 'AWS::Lambda::Function'));
    const secret = resourcesOf(stack, 'AWS::SecretsManager::Secret')[
      logicalIdOf(stack, 'AWS::SecretsManager::Secret', 'AseedToken')
    ];

    // Assert
    const template = JSON.stringify(stack.template.toJSON());
    expect(template).not.toContain('{{resolve:secretsmanager');
    expect(secret?.Properties?.SecretString).toBeUndefined();
    for (const fn of functions) {
      for (const [name, value] of Object.entries(environmentOf(fn))) {
        if (name === ENV.aseedTokenSecretArn) {
          expect(value).toEqual({ Ref: logicalIdOf(stack, 'AWS::SecretsManager::Secret', 'AseedToken') });
        } else if (name === ENV.optOutKeySecretArn) {
          expect(value).toEqual({
            Ref: logicalIdOf(stack, 'AWS::SecretsManager::Secret', 'OptOutSigningKey'),
          });
        } else {
          expect(name).not.toMatch(/TOKEN|SECRET/);
          expect(JSON.stringify(value)).not.toContain('AseedToken');
        }
      }
    }
  });

  it('gives each function exactly the environment its code parses at cold start', () => {
    // Act
    const invite = environmentOf(functionNamed(stack, 'InviteFunction'));
    const ingest = environmentOf(functionNamed(stack, 'IngestFunction'));

    // Assert
    for (const name of Object.keys(InviteEnvSchema.shape)) expect(invite).toHaveProperty(name);
    expect(invite[ENV.aseedBaseUrl]).toBe('https://app.aseed.ai/custdev');
    expect(invite[ENV.sesSendRatePerSecond]).toBe('100');
    expect(JSON.parse(ingest[ENV.campaignDefaults] as string)).toEqual(stack.config.campaignDefaults);
    expect(stack.config.campaignDefaults).toMatchObject({
      projectId: '3f1c2a9e-5b7d-4c8e-9f10-2a3b4c5d6e7f',
      sender: 'research@invites.example.org',
      replyTo: 'team@example.org',
    });
    for (const env of [invite, ingest]) {
      expect(env).toMatchObject({ NODE_OPTIONS: '--enable-source-maps', LOG_LEVEL: 'INFO' });
      expect(env.POWERTOOLS_SERVICE_NAME).toMatch(/^aseed-invites-/);
    }
  });

  it('runs every function on Node.js 22, ARM64, traced, logging to a log group with retention', () => {
    // Act
    const groups = resourcesOf(stack, 'AWS::Logs::LogGroup');

    // Assert
    for (const prefix of [
      'IngestFunction',
      'InviteFunction',
      'DeadLetterFunction',
      'SesEventsFunction',
      'TrackerFunction',
    ]) {
      const fn = functionNamed(stack, prefix);
      expect(fn.Properties).toMatchObject({
        Runtime: 'nodejs22.x',
        Architectures: ['arm64'],
        Handler: 'index.handler',
        TracingConfig: { Mode: 'Active' },
      });
      const groupRef = (fn.Properties?.LoggingConfig as { LogGroup: { Ref: string } } | undefined)?.LogGroup
        .Ref;
      expect(groupRef).toBeDefined();
      expect(groups[groupRef ?? '']?.Properties?.RetentionInDays).toBe(30);
    }
  });

  it('secures the upload bucket: no public access, encryption, versioning, expiry, TLS only', () => {
    // Act
    const bucketId = logicalIdOf(stack, 'AWS::S3::Bucket', 'Uploads');
    const bucket = resourcesOf(stack, 'AWS::S3::Bucket')[bucketId];
    const policy = Object.values(resourcesOf(stack, 'AWS::S3::BucketPolicy')).find(
      (each) => JSON.stringify(each.Properties?.Bucket) === JSON.stringify({ Ref: bucketId }),
    );

    // Assert
    expect(bucket?.Properties).toMatchObject({
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
      },
      VersioningConfiguration: { Status: 'Enabled' },
      LifecycleConfiguration: {
        Rules: expect.arrayContaining([
          expect.objectContaining({
            ExpirationInDays: 30,
            NoncurrentVersionExpiration: { NoncurrentDays: 7 },
          }),
          expect.objectContaining({ ExpiredObjectDeleteMarker: true }),
        ]),
      },
    });
    const statements = (policy?.Properties?.PolicyDocument as { Statement: Statement[] } | undefined)
      ?.Statement;
    expect(statements).toContainEqual(
      expect.objectContaining({
        Effect: 'Deny',
        Action: 's3:*',
        Principal: { AWS: '*' },
        Condition: { Bool: { 'aws:SecureTransport': 'false' } },
      }),
    );
  });

  it('notifies the ingest function only for CSVs under the campaign prefix', () => {
    // Act
    const [notifications] = Object.values(resourcesOf(stack, 'Custom::S3BucketNotifications'));

    // Assert
    expect(notifications?.Properties).toMatchObject({
      BucketName: { Ref: logicalIdOf(stack, 'AWS::S3::Bucket', 'Uploads') },
      NotificationConfiguration: {
        LambdaFunctionConfigurations: [
          {
            Events: ['s3:ObjectCreated:*'],
            Filter: {
              Key: {
                FilterRules: expect.arrayContaining([
                  { Name: 'prefix', Value: UPLOADS.prefix },
                  { Name: 'suffix', Value: UPLOADS.csvSuffix },
                ]),
              },
            },
            LambdaFunctionArn: {
              'Fn::GetAtt': [logicalIdOf(stack, 'AWS::Lambda::Function', 'IngestFunction'), 'Arn'],
            },
          },
        ],
      },
    });
  });

  it('keeps state in an on-demand, encrypted, point-in-time-recoverable table with the shared key schema and TTL', () => {
    // Act + Assert
    stack.template.hasResourceProperties('AWS::DynamoDB::Table', {
      BillingMode: 'PAY_PER_REQUEST',
      KeySchema: [
        { AttributeName: TABLE.partitionKey.name, KeyType: 'HASH' },
        { AttributeName: TABLE.sortKey.name, KeyType: 'RANGE' },
      ],
      AttributeDefinitions: Match.arrayWith([
        { AttributeName: TABLE.partitionKey.name, AttributeType: TABLE.partitionKey.type },
        { AttributeName: TABLE.sortKey.name, AttributeType: TABLE.sortKey.type },
      ]),
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      SSESpecification: { SSEEnabled: true },
      TimeToLiveSpecification: { AttributeName: TABLE.timeToLiveAttribute, Enabled: true },
      DeletionProtectionEnabled: true,
    });
  });

  it('alarms on every dead-lettered batch (a dead-letter function invocation), and notifies the alarm topic', () => {
    // Act
    const topicId = logicalIdOf(stack, 'AWS::SNS::Topic', 'AlarmTopic');
    const functionId = logicalIdOf(stack, 'AWS::Lambda::Function', 'DeadLetterFunction');

    // Assert
    stack.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/Lambda',
      MetricName: 'Invocations',
      Dimensions: [{ Name: 'FunctionName', Value: { Ref: functionId } }],
      Statistic: 'Sum',
      ComparisonOperator: 'GreaterThanThreshold',
      Threshold: 0,
      EvaluationPeriods: 1,
      AlarmActions: [{ Ref: topicId }],
    });
    stack.template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'ops@example.org',
      TopicArn: { Ref: topicId },
    });
  });

  it('alarms when messages stay in the invite DLQ (visible or in flight) longer than two dead-letter timeouts', () => {
    // Act
    const dlqId = logicalIdOf(stack, 'AWS::SQS::Queue', 'InviteDeadLetters');
    const topicId = logicalIdOf(stack, 'AWS::SNS::Topic', 'AlarmTopic');
    const queueMetric = (metricName: string) =>
      Match.objectLike({
        MetricStat: {
          Metric: {
            Namespace: 'AWS/SQS',
            MetricName: metricName,
            Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [dlqId, 'QueueName'] } }],
          },
          Period: FUNCTIONS.deadLetter.timeoutSeconds,
          Stat: 'Maximum',
        },
      });

    // Assert: the pollers take visible messages at once, so a failing record is mostly in flight.
    stack.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Metrics: Match.arrayWith([
        queueMetric('ApproximateNumberOfMessagesVisible'),
        queueMetric('ApproximateNumberOfMessagesNotVisible'),
      ]),
      ComparisonOperator: 'GreaterThanThreshold',
      Threshold: 0,
      EvaluationPeriods: 3,
      DatapointsToAlarm: 3,
      AlarmActions: [{ Ref: topicId }],
    });
  });

  it.each([
    ['SES pauses the account', 'account-paused', 'SesSendingPaused'],
    ['Aseed has too few tokens', 'tokens', 'AseedTokensShort'],
  ])('alarms when %s: a metric filter on the invite log line that names the pause', (_, kind, metricName) => {
    // Act
    const logGroupId = logicalIdOf(stack, 'AWS::Logs::LogGroup', 'InviteLogs');
    const topicId = logicalIdOf(stack, 'AWS::SNS::Topic', 'AlarmTopic');
    const filters = Object.values(resourcesOf(stack, 'AWS::Logs::MetricFilter')).map(
      (f) =>
        f.Properties as {
          LogGroupName: unknown;
          FilterPattern: string;
          MetricTransformations: Array<{ MetricNamespace: string; MetricName: string }>;
        },
    );

    // Assert: the pauses a person must lift are matched, the daily quota (it lifts by itself) is not.
    expect(filters.map((f) => f.FilterPattern).sort()).toEqual([
      `{ $.${PAUSE_LOG_FIELD} = "account-paused" }`,
      `{ $.${PAUSE_LOG_FIELD} = "tokens" }`,
    ]);
    const filter = filters.find((f) => f.FilterPattern === `{ $.${PAUSE_LOG_FIELD} = "${kind}" }`);
    expect(filter?.LogGroupName).toEqual({ Ref: logGroupId });
    const [transformation] = filter?.MetricTransformations ?? [];
    expect(transformation?.MetricName).toBe(metricName);
    stack.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: transformation?.MetricNamespace,
      MetricName: metricName,
      Statistic: 'Sum',
      // Longer than the 15-minute recheck of a paused batch: one log line per recheck keeps it in alarm.
      Period: 1200,
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
      AlarmActions: [{ Ref: topicId }],
    });
  });

  it('alarms on function errors and throttles and on the age of the oldest invite message', () => {
    // Act
    const alarms = Object.values(resourcesOf(stack, 'AWS::CloudWatch::Alarm')).map(
      (alarm) => alarm.Properties,
    );

    // Assert
    for (const prefix of [
      'IngestFunction',
      'InviteFunction',
      'DeadLetterFunction',
      'SesEventsFunction',
      'TrackerFunction',
    ]) {
      const dimension = [
        { Name: 'FunctionName', Value: { Ref: logicalIdOf(stack, 'AWS::Lambda::Function', prefix) } },
      ];
      for (const metric of ['Errors', 'Throttles']) {
        expect(alarms).toContainEqual(expect.objectContaining({ MetricName: metric, Dimensions: dimension }));
      }
    }
    expect(alarms).toContainEqual(
      expect.objectContaining({ MetricName: 'ApproximateAgeOfOldestMessage', Threshold: 3600 }),
    );
  });

  it('sends delivery, bounce and complaint events of the SES configuration set to EventBridge', () => {
    // Act + Assert
    stack.template.hasResourceProperties('AWS::SES::ConfigurationSetEventDestination', {
      EventDestination: {
        Enabled: true,
        MatchingEventTypes: Match.arrayWith([
          'delivery',
          'bounce',
          'complaint',
          'reject',
          'renderingFailure',
          'deliveryDelay',
        ]),
        EventBridgeDestination: { EventBusArn: Match.anyValue() },
      },
    });
  });

  it("passes only its configuration set's SES events to the events function, retried, then to a DLQ", () => {
    // Act
    const setId = logicalIdOf(stack, 'AWS::SES::ConfigurationSet', 'Mail');
    const functionId = logicalIdOf(stack, 'AWS::Lambda::Function', 'SesEventsFunction');
    const dlqId = logicalIdOf(stack, 'AWS::SQS::Queue', 'SesEventsDeadLetters');

    // Assert
    stack.template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.ses'],
        'detail-type': [...SES_EVENTS.detailTypes],
        detail: { mail: { tags: { 'ses:configuration-set': [{ Ref: setId }] } } },
      },
      Targets: [
        Match.objectLike({
          Arn: { 'Fn::GetAtt': [functionId, 'Arn'] },
          RetryPolicy: {
            MaximumRetryAttempts: SES_EVENTS.ruleRetryAttempts,
            MaximumEventAgeInSeconds: 86_400,
          },
          DeadLetterConfig: { Arn: { 'Fn::GetAtt': [dlqId, 'Arn'] } },
        }),
      ],
    });
    stack.template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: { Ref: functionId },
      MaximumRetryAttempts: SES_EVENTS.retryAttempts,
    });
    expect(functionNamed(stack, 'SesEventsFunction').Properties?.DeadLetterConfig).toEqual({
      TargetArn: { 'Fn::GetAtt': [dlqId, 'Arn'] },
    });
    stack.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [dlqId, 'QueueName'] } }],
      Threshold: 0,
    });
  });

  it('finds tracked campaigns through a sparse keys-only index by next poll time, and lists campaigns by creation', () => {
    // Act + Assert
    stack.template.hasResourceProperties('AWS::DynamoDB::Table', {
      AttributeDefinitions: Match.arrayWith([
        { AttributeName: 'trackPk', AttributeType: 'S' },
        { AttributeName: 'nextPollAt', AttributeType: 'N' },
        { AttributeName: 'listPk', AttributeType: 'S' },
        { AttributeName: 'createdAt', AttributeType: 'S' },
      ]),
      GlobalSecondaryIndexes: [
        {
          IndexName: 'tracking',
          KeySchema: [
            { AttributeName: 'trackPk', KeyType: 'HASH' },
            { AttributeName: 'nextPollAt', KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'KEYS_ONLY' },
        },
        {
          IndexName: 'campaigns',
          KeySchema: [
            { AttributeName: 'listPk', KeyType: 'HASH' },
            { AttributeName: 'createdAt', KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'KEYS_ONLY' },
        },
      ],
    });
  });

  it('runs the tracker every 5 minutes without retries: reads, its index, updates, and sends to the invite queue', () => {
    // Act
    const fnId = logicalIdOf(stack, 'AWS::Lambda::Function', 'TrackerFunction');
    const statements = roleStatementsOf(stack, 'TrackerRole');
    const dynamo = statements.filter((st) => actionsOf(st).some((a) => a.startsWith('dynamodb:')));

    // Assert
    stack.template.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: `rate(${TRACKER_SCHEDULE.rateMinutes} minutes)`,
      State: 'ENABLED',
      Target: {
        Arn: { 'Fn::GetAtt': [fnId, 'Arn'] },
        RetryPolicy: { MaximumRetryAttempts: 0 },
      },
    });
    expect(dynamo).toHaveLength(1);
    expect(actionsOf(dynamo[0] as Statement).sort()).toEqual([
      'dynamodb:GetItem',
      'dynamodb:Query',
      'dynamodb:UpdateItem',
    ]);
    const resources = JSON.stringify(dynamo[0]?.Resource);
    expect(resources).toContain('/index/tracking');
    expect(resources).not.toContain('index/*');
    expect(statements.flatMap(actionsOf).filter((a) => /^(ses|s3):/.test(a))).toEqual([]);
    // Due reminders and thank-yous go to the invite queue (the one paced sender), and to no other queue.
    const queueArn = { 'Fn::GetAtt': [logicalIdOf(stack, 'AWS::SQS::Queue', 'Invites'), 'Arn'] };
    const sends = statements.filter((st) => actionsOf(st).some((a) => a.startsWith('sqs:')));
    expect(sends.map((st) => st.Resource)).toEqual([queueArn]);
    expect(environmentOf(functionNamed(stack, 'TrackerFunction'))[ENV.inviteQueueUrl]).toEqual({
      Ref: logicalIdOf(stack, 'AWS::SQS::Queue', 'Invites'),
    });
    for (const metric of ['Errors', 'Throttles'])
      stack.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        MetricName: metric,
        Dimensions: [{ Name: 'FunctionName', Value: { Ref: fnId } }],
      });
  });

  it('serves the opt-out endpoint on a public function URL that the invite function signs links for', () => {
    // Act
    const urls = Object.values(resourcesOf(stack, 'AWS::Lambda::Url'));
    const fnId = logicalIdOf(stack, 'AWS::Lambda::Function', 'OptOutEndpointFunction');
    const urlId = logicalIdOf(stack, 'AWS::Lambda::Url', 'OptOutEndpointFunction');
    const invite = environmentOf(functionNamed(stack, 'InviteFunction'));
    const optOut = environmentOf(functionNamed(stack, 'OptOutEndpointFunction'));
    const statements = roleStatementsOf(stack, 'OptOutEndpointRole');
    const key = resourcesOf(stack, 'AWS::SecretsManager::Secret')[
      logicalIdOf(stack, 'AWS::SecretsManager::Secret', 'OptOutSigningKey')
    ];

    // Assert: the only URL is the endpoint's (no credentials: a mail client posts to it; the HMAC guards it).
    expect(urls).toEqual([
      expect.objectContaining({
        Properties: expect.objectContaining({
          AuthType: 'NONE',
          TargetFunctionArn: { 'Fn::GetAtt': [fnId, 'Arn'] },
        }),
      }),
    ]);
    expect(invite[ENV.optOutUrl]).toEqual({ 'Fn::GetAtt': [urlId, 'FunctionUrl'] });
    expect(key?.Properties?.GenerateSecretString).toMatchObject({ PasswordLength: 48 });
    expect(
      Object.keys(optOut)
        .filter((k) => !/^(POWERTOOLS_|LOG_LEVEL|NODE_OPTIONS)/.test(k))
        .sort(),
    ).toEqual([ENV.aseedBaseUrl, ENV.aseedTokenSecretArn, ENV.optOutKeySecretArn, ENV.tableName].sort());
    expect(statements.flatMap(actionsOf).filter((a) => /^(ses|sqs|s3):/.test(a))).toEqual([]);
    expect(Object.values(stack.template.findOutputs('OptOutUrl')).map((o) => o.Value)).toEqual([
      { 'Fn::GetAtt': [urlId, 'FunctionUrl'] },
    ]);
  });

  it('gives the events function the table and the Aseed API: item reads, updates and puts, the token secret', () => {
    // Act
    const fn = functionNamed(stack, 'SesEventsFunction');
    const tableId = logicalIdOf(stack, 'AWS::DynamoDB::Table', 'Campaigns');
    const statements = roleStatementsOf(stack, 'SesEventsRole');
    const dynamo = statements.filter((st) => actionsOf(st).some((a) => a.startsWith('dynamodb:')));

    // Assert: updates record outcomes, puts add to the suppression list; the token cancels rooms.
    expect(
      Object.keys(environmentOf(fn))
        .filter((k) => !/^(POWERTOOLS_|LOG_LEVEL|NODE_OPTIONS)/.test(k))
        .sort(),
    ).toEqual([ENV.aseedBaseUrl, ENV.aseedTokenSecretArn, ENV.tableName].sort());
    expect(dynamo).toHaveLength(1);
    expect(actionsOf(dynamo[0] as Statement).sort()).toEqual([
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'dynamodb:UpdateItem',
    ]);
    expect(JSON.stringify(dynamo[0]?.Resource)).toContain(tableId);
    expect(statements.flatMap(actionsOf).filter((a) => /^(ses|sqs:Send|s3):/.test(a))).toEqual([]);
  });
});

describe('the stack with the offline defaults', () => {
  it('synthesizes with demo values, no alarm topic, and warns about them', () => {
    // Act
    const stack = synth();

    // Assert
    expect(stack.warnings.join('\n')).toMatch(/campaignDefaults\.projectId[\s\S]*campaignDefaults\.sender/);
    expect(Object.keys(resourcesOf(stack, 'AWS::SNS::Topic'))).toEqual([]);
    stack.template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: { 'Fn::GetAtt': [logicalIdOf(stack, 'AWS::SQS::Queue', 'Invites'), 'Arn'] },
      // No cap configured: sized for SES's usual 14/s (paced at the account's real rate from GetAccount).
      ScalingConfig: { MaximumConcurrency: 2 },
      BatchSize: 10,
    });
  });
});
