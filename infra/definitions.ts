// Resource facts shared by the CDK stack (infra/) and the local runtime (local/), so the two cannot drift.
// Data only: no CDK imports, no AWS SDK imports.

/** DynamoDB attribute type used by the table's key schema ('S' = string). */
export type KeyAttributeType = 'S' | 'N' | 'B';

/** The single campaign table: key schema, TTL attribute and secondary indexes. */
export const TABLE = {
  /** Partition key of every item (campaign record and respondent items). */
  partitionKey: { name: 'pk', type: 'S' },
  /** Sort key of every item. */
  sortKey: { name: 'sk', type: 'S' },
  /** Epoch-seconds attribute after which DynamoDB may delete the item (personal data is not kept forever). */
  timeToLiveAttribute: 'expiresAt',
  /**
   * Global secondary indexes. `tracking` is sparse: only a campaign whose rooms are still polled has
   * `trackPk`, so the tracker's one Query finds the due campaigns by `nextPollAt` without a scan.
   * `campaigns` holds every campaign record (`listPk`), newest first by `createdAt`: the console's list.
   */
  globalSecondaryIndexes: [
    {
      indexName: 'tracking',
      partitionKey: { name: 'trackPk', type: 'S' },
      sortKey: { name: 'nextPollAt', type: 'N' },
      /** The table's keys only: the campaign id is in `pk`, the poll reads the record itself. */
      projection: 'KEYS_ONLY',
    },
    {
      indexName: 'campaigns',
      partitionKey: { name: 'listPk', type: 'S' },
      sortKey: { name: 'createdAt', type: 'S' },
      /** Keys only: a page of the list reads its records in one BatchGetItem. */
      projection: 'KEYS_ONLY',
    },
  ] as ReadonlyArray<{
    readonly indexName: string;
    readonly partitionKey: { readonly name: string; readonly type: KeyAttributeType };
    readonly sortKey?: { readonly name: string; readonly type: KeyAttributeType };
    readonly projection: 'KEYS_ONLY' | 'ALL';
  }>,
} as const;

/** Where researchers upload campaigns in the bucket, and which keys start a campaign. */
export const UPLOADS = {
  /** Key prefix of campaign uploads; only objects under it notify the ingest function. */
  prefix: 'campaigns/',
  /** Suffix of the respondent CSV; only these objects notify the ingest function. */
  csvSuffix: '.csv',
  /** `campaigns/<name>.settings.json` beside `campaigns/<name>.csv` overrides the defaults (upload it first). */
  settingsSuffix: '.settings.json',
} as const;

/** Timeouts and memory of the functions. */
export const FUNCTIONS = {
  ingest: {
    /** Entry point, relative to the repository root. */
    entry: 'functions/ingest/handler.ts',
    /** Streams the CSV, writes respondents and enqueues batches: large files need minutes, not seconds. */
    timeoutSeconds: 600,
    memoryMb: 1024,
  },
  invite: {
    /** Entry point, relative to the repository root. */
    entry: 'functions/invite/handler.ts',
    /** One invocation handles up to `INVITE_QUEUE.batchSize` messages of up to 100 respondents each. */
    timeoutSeconds: 300,
    memoryMb: 512,
  },
  deadLetter: {
    /** Entry point, relative to the repository root. */
    entry: 'functions/deadletter/handler.ts',
    /**
     * Records one dead-lettered batch: ≤ 100 respondent updates plus best-effort room cancellations through
     * an Aseed API that may be the very thing failing, so it gets the invite function's time, not its memory.
     */
    timeoutSeconds: 300,
    memoryMb: 256,
  },
  events: {
    /** Entry point, relative to the repository root. */
    entry: 'functions/events/handler.ts',
    /** One SES event: two or three single-item DynamoDB requests. */
    timeoutSeconds: 30,
    memoryMb: 256,
  },
  optOut: {
    /** Entry point, relative to the repository root. */
    entry: 'functions/optout/handler.ts',
    /** One opt-out: a read, two conditional writes, one room cancellation through the API. */
    timeoutSeconds: 30,
    memoryMb: 256,
  },
  console: {
    /** Entry point, relative to the repository root. */
    entry: 'functions/console/handler.ts',
    /** One page: a campaign's report read and filtered (10,000 respondents ≈ 10 MB); API Gateway waits 30 s. */
    timeoutSeconds: 29,
    memoryMb: 1024,
  },
  tracker: {
    /** Entry point, relative to the repository root. */
    entry: 'functions/tracker/handler.ts',
    /**
     * Polls the due campaigns: three list calls per project and one read of each campaign's room holders
     * (10,000 respondents ≈ 10 MB), then only the changes. Memory for the lists; time well inside the lease.
     */
    timeoutSeconds: 120,
    memoryMb: 1024,
  },
} as const;

/** The tracker's schedule (EventBridge Scheduler): the shortest poll interval of shared/tracker/config.ts. */
export const TRACKER_SCHEDULE = {
  rateMinutes: 5,
} as const;

/** SES events → the events function: retries of the asynchronous invocation and the DLQ behind them. */
export const SES_EVENTS = {
  /** Attempts Lambda makes after the first one failed, before the event goes to the DLQ. */
  retryAttempts: 2,
  /** EventBridge's own delivery retries (throttled or unavailable function), and for how long. */
  ruleRetryAttempts: 8,
  maxEventAgeHours: 24,
  /** The SES event types the configuration set publishes to EventBridge and the rule passes on. */
  detailTypes: [
    'Email Delivered',
    'Email Bounced',
    'Email Complaint Received',
    'Email Rejected',
    'Email Rendering Failed',
    'Email Delivery Delayed',
  ],
} as const;

/** The invite queue, its dead-letter queue and the Lambda event source that drains it. */
export const INVITE_QUEUE = {
  /** AWS guidance for SQS-triggered functions: visibility timeout ≥ 6 × the function timeout. */
  visibilityTimeoutSeconds: 6 * FUNCTIONS.invite.timeoutSeconds,
  /** Receives before a message moves to the DLQ (the invite function marks its respondents on the last one). */
  maxReceiveCount: 5,
  /**
   * Messages per invocation (each carries up to `respondentsPerMessage` respondents). The stack lowers it
   * when the configured SES send rate could not email a full batch in half the function timeout.
   */
  batchSize: 10,
  /** Upper bound of respondents in one message: one Aseed create call makes at most 100 rooms. */
  respondentsPerMessage: 100,
  /** How long an unprocessed message is kept (4 days, the SQS default). */
  retentionSeconds: 4 * 24 * 3600,
  /** How long a dead-lettered message is kept for inspection and redrive (14 days, the SQS maximum). */
  deadLetterRetentionSeconds: 14 * 24 * 3600,
} as const;

/**
 * The dead-letter function's event source on the invite DLQ. Each dead-lettered message is a batch that
 * exhausted its receives; the function records it (and the message leaves the DLQ). A record it cannot
 * record stays in the DLQ (retention `INVITE_QUEUE.deadLetterRetentionSeconds`) and is retried after the
 * visibility timeout.
 */
export const INVITE_DEAD_LETTERS = {
  /** AWS guidance for SQS-triggered functions: visibility timeout ≥ 6 × the function timeout. */
  visibilityTimeoutSeconds: 6 * FUNCTIONS.deadLetter.timeoutSeconds,
  /** One message per invocation: a slow record (up to 100 cancellations) cannot time out its neighbours. */
  batchSize: 1,
  /** Lambda's SQS minimum; dead letters are rare and must not add load to an Aseed API that is struggling. */
  maxConcurrency: 2,
} as const;

/**
 * How the invite event source's maximum concurrency follows the SES send rate:
 * `clamp(ceil(sendRate / emailsPerSecondPerInvocation), min, max)`. The sends themselves are paced on one
 * schedule shared by all invocations (`SES_SEND_RATE`, in the table), so together they never exceed the quota.
 */
export const INVITE_CONCURRENCY = {
  /** Send rate one invocation can use well (SendBulkEmail calls of 50 between room creations). */
  emailsPerSecondPerInvocation: 10,
  /** Lower bound imposed by Lambda's SQS ScalingConfig. */
  min: 2,
  /** Upper bound we allow, so a large quota cannot flood the Aseed API with parallel create calls. */
  max: 20,
} as const;

/** CloudFormation output keys of the stack; the `invites` CLI reads them to find the deployed resources. */
export const STACK_OUTPUTS = {
  bucketName: 'UploadBucketName',
  tableName: 'TableName',
  inviteQueueUrl: 'InviteQueueUrl',
  optOutUrl: 'OptOutUrl',
  consoleApiUrl: 'ConsoleApiUrl',
  consoleUrl: 'ConsoleUrl',
  consoleUserPoolId: 'ConsoleUserPoolId',
  consoleUserPoolClientId: 'ConsoleUserPoolClientId',
  inviteDeadLetterQueueUrl: 'InviteDeadLetterQueueUrl',
  aseedTokenSecretArn: 'AseedTokenSecretArn',
  sesConfigurationSetName: 'SesConfigurationSetName',
  defaultSender: 'DefaultSender',
  ingestLogGroupName: 'IngestLogGroupName',
  inviteLogGroupName: 'InviteLogGroupName',
  deadLetterLogGroupName: 'DeadLetterLogGroupName',
  trackerLogGroupName: 'TrackerLogGroupName',
} as const;
