// `invites send` against a deployed stack, with the AWS calls mocked and the clock faked: what it uploads, how
// it follows the campaign record, and when it gives up waiting for one.
import { resolve } from 'node:path';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient, GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { EXIT } from '#cli/args.ts';
import { main } from '#cli/main.ts';
import { STACK_OUTPUTS } from '#infra/definitions.ts';
import type { CampaignRecord } from '#shared/store/types.ts';
import { capturingIo } from '#test/support/cli.ts';

const EXAMPLE = resolve(import.meta.dirname, '../../examples/respondents.csv');
const cfn = mockClient(CloudFormationClient);
const s3 = mockClient(S3Client);
const doc = mockClient(DynamoDBDocumentClient);

/** Fake-clock time of the upload: the command's wait starts there. */
let uploadedAt = 0;

/** Runs `invites <args>` in process, advancing the fake clock until it returns (20 s of real time at most). */
const runWithClock = async (args: string[]) => {
  const { io, output } = capturingIo();
  let code: number | undefined;
  const run = main(args, io).then((result) => {
    code = result;
  });
  const realStart = performance.now();
  while (code === undefined && performance.now() - realStart < 20_000) await vi.advanceTimersByTimeAsync(500);
  // Still running after 20 s of real time: fail here rather than hang on timers nobody advances.
  if (code === undefined)
    throw new Error(`invites ${args.join(' ')} did not return; stderr: ${output().stderr}`);
  await run;
  return { code, ...output(), waitedMs: Date.now() - uploadedAt };
};

const record = (fields: Partial<CampaignRecord>): CampaignRecord => ({
  pk: 'C',
  sk: 'META',
  type: 'campaign',
  campaignId: 'c',
  source: { bucket: 'uploads-bucket', key: 'campaigns/respondents.csv', etag: 'abc' },
  status: 'ingesting',
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
  ...fields,
});

describe('invites send (deployed stack, mocked AWS, fake clock)', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['Date', 'setTimeout', 'clearTimeout'] });
    uploadedAt = Number.NaN;
    cfn.reset();
    s3.reset();
    doc.reset();
    cfn.on(DescribeStacksCommand).resolves({
      Stacks: [
        {
          StackName: 'AseedInvites',
          CreationTime: new Date(0),
          StackStatus: 'CREATE_COMPLETE',
          Outputs: [
            { OutputKey: STACK_OUTPUTS.bucketName, OutputValue: 'uploads-bucket' },
            { OutputKey: STACK_OUTPUTS.tableName, OutputValue: 'state-table' },
          ],
        },
      ],
    });
    s3.on(PutObjectCommand).callsFake(() => {
      uploadedAt = Date.now();
      return { ETag: '"abc"' };
    });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('stops waiting after a minute without a campaign record, and says where to look', async () => {
    // Prepare: the ingest never writes a record.
    doc.on(GetCommand).resolves({});

    // Act
    const run = await runWithClock(['send', EXAMPLE, '--stack', 'AseedInvites']);

    // Assert
    expect(run.code).toBe(EXIT.failed);
    expect(run.stderr).toMatch(/the ingest did not take the upload within 60 s/);
    expect(run.stderr).toContain(STACK_OUTPUTS.ingestLogGroupName);
    expect(run.waitedMs).toBeGreaterThanOrEqual(60_000);
    expect(run.waitedMs).toBeLessThan(65_000);
    const [put] = s3.commandCalls(PutObjectCommand);
    expect(put?.args[0].input).toMatchObject({
      Bucket: 'uploads-bucket',
      Key: expect.stringMatching(/^campaigns\/respondents-\d{8}T\d{6}\.csv$/),
      ContentType: 'text/csv',
    });
  });

  it('follows a record that appears late (after 50 s) to completion and exits 0', async () => {
    // Prepare: no record for 50 s after the upload, then a sending one, then the completed campaign.
    doc.on(GetCommand).callsFake(() => {
      const age = Date.now() - uploadedAt - 50_000;
      if (age < 0) return {};
      return {
        Item:
          age < 10_000
            ? record({ status: 'enqueued', accepted: 3, emailed: 1 })
            : record({ status: 'completed', rows: 3, accepted: 3, emailed: 3, failed: 0 }),
      };
    });
    // The report's read at the end (respondents and rejected rows): nobody stored in this mock.
    doc.on(QueryCommand).resolves({ Items: [] });

    // Act
    const run = await runWithClock(['send', EXAMPLE, '--stack', 'AseedInvites']);

    // Assert
    expect(run.code).toBe(EXIT.ok);
    expect(run.stderr).not.toMatch(/did not take the upload/);
    expect(run.stdout).toMatch(/: completed/);
    expect(run.stdout).toMatch(/emailed 3, failed 0/);
    expect(run.stdout).toMatch(/funnel/);
    expect(run.waitedMs).toBeGreaterThanOrEqual(60_000);
  });

  it('sends a changed file into a named campaign, and gives up when the ingest never takes it', async () => {
    // Prepare: the campaign exists (completed, its first upload tagged "old"); no event ever reaches the ingest.
    doc.on(GetCommand).resolves({
      Item: record({ status: 'completed', uploadTags: new Set(['etag:old']), accepted: 3, emailed: 3 }),
    });

    // Act
    const run = await runWithClock(['send', EXAMPLE, '--stack', 'AseedInvites', '--campaign', 'spring']);

    // Assert
    expect(run.code).toBe(EXIT.failed);
    expect(run.stderr).toMatch(/the ingest did not take the upload within 60 s/);
    const [put] = s3.commandCalls(PutObjectCommand);
    expect(put?.args[0].input).toMatchObject({ Key: 'campaigns/spring.csv' });
  });

  it('refuses to send into a cancelled campaign, uploading nothing', async () => {
    // Prepare
    doc.on(GetCommand).resolves({
      Item: record({ status: 'cancelled', cancelledAt: '2026-11-30T10:00:00.000Z' }),
    });

    // Act
    const run = await runWithClock(['send', EXAMPLE, '--stack', 'AseedInvites', '--campaign', 'spring']);

    // Assert
    expect(run.code).toBe(EXIT.failed);
    expect(run.stderr).toContain('campaign spring was cancelled on 2026-11-30: it takes nobody new');
    expect(s3.commandCalls(PutObjectCommand)).toHaveLength(0);
  });

  it('refuses a campaign name that cannot be a key', async () => {
    // Act
    const run = await runWithClock(['send', EXAMPLE, '--stack', 'AseedInvites', '--campaign', '../x']);

    // Assert
    expect(run.code).toBe(EXIT.usage);
    expect(run.stderr).toMatch(/--campaign '..\/x' is not a campaign name/);
  });
});
