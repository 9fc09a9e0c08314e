import { Validations } from 'aws-cdk-lib';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import type { IConstruct } from 'constructs';
import { describe, expect, it } from 'vitest';
import { createApp } from '#infra/create-app.ts';
import { CONSOLE_SITE_FIXTURE, FULL_CONTEXT, reportedViolations, synth } from './synth.ts';

/** Every acknowledged cdk-nag finding: adding one must show up in review as a change to this list. */
const EXPECTED_ACKNOWLEDGEMENTS = [
  'AseedInvites/AseedToken AwsSolutions::AwsSolutions-SMG4',
  'AseedInvites/Ingest/Function AwsSolutions::AwsSolutions-L1',
  'AseedInvites/Ingest/Role AwsSolutions::AwsSolutions-IAM5[Resource::*]',
  'AseedInvites/Ingest/Role AwsSolutions::AwsSolutions-IAM5[Resource::<Uploads4F6EB0FD.Arn>/campaigns/*]',
  'AseedInvites/Invite/Function AwsSolutions::AwsSolutions-L1',
  'AseedInvites/Invite/Role AwsSolutions::AwsSolutions-IAM5[Resource::*]',
  'AseedInvites/DeadLetter/Function AwsSolutions::AwsSolutions-L1',
  'AseedInvites/DeadLetter/Role AwsSolutions::AwsSolutions-IAM5[Resource::*]',
  'AseedInvites/SesEvents/Events/Function AwsSolutions::AwsSolutions-L1',
  'AseedInvites/SesEvents/Events/Role AwsSolutions::AwsSolutions-IAM5[Resource::*]',
  'AseedInvites/OptOut/SigningKey AwsSolutions::AwsSolutions-SMG4',
  'AseedInvites/OptOut/Endpoint/Function AwsSolutions::AwsSolutions-L1',
  'AseedInvites/OptOut/Endpoint/Role AwsSolutions::AwsSolutions-IAM5[Resource::*]',
  'AseedInvites/Console/Function/Function AwsSolutions::AwsSolutions-L1',
  'AseedInvites/Console/Function/Role AwsSolutions::AwsSolutions-IAM5[Resource::*]',
  'AseedInvites/Console/Function/Role AwsSolutions::AwsSolutions-IAM5[Resource::<Uploads4F6EB0FD.Arn>/campaigns/*.csv]',
  'AseedInvites/Console/Function/Role AwsSolutions::AwsSolutions-IAM5[Resource::<Uploads4F6EB0FD.Arn>/campaigns/*.settings.json]',
  'AseedInvites/Console/Researchers AwsSolutions::AwsSolutions-COG8',
  'AseedInvites/ConsoleSite/Distribution AwsSolutions::AwsSolutions-CFR1',
  'AseedInvites/ConsoleSite/Distribution AwsSolutions::AwsSolutions-CFR2',
  'AseedInvites/ConsoleSite/Distribution AwsSolutions::AwsSolutions-CFR4',
  'AseedInvites/ConsoleSite/DeployPolicy AwsSolutions::AwsSolutions-IAM5[Resource::<ConsoleSiteBucket380F1C30.Arn>/*]',
  'AseedInvites/Custom::CDKBucketDeployment8693BB64968944B69AAFB0CC9EB8756C AwsSolutions::AwsSolutions-L1',
  'AseedInvites/Tracker/Function AwsSolutions::AwsSolutions-L1',
  'AseedInvites/Tracker/Role AwsSolutions::AwsSolutions-IAM5[Resource::*]',
  'AseedInvites AwsSolutions::AwsSolutions-IAM5[Resource::<TrackerFunction5513E925.Arn>:*]',
  'AseedInvites/BucketNotificationsHandler050a0587b7544547bf325f094a3db834 AwsSolutions::AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
].sort();

const acknowledgementsOf = (root: IConstruct): string[] =>
  root.node
    .findAll()
    .flatMap((construct) =>
      construct.node.metadata
        .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
        .flatMap((entry) => Object.keys(entry.data as object).map((id) => `${construct.node.path} ${id}`)),
    )
    .sort();

describe('cdk-nag (AwsSolutions)', () => {
  it('reports no unacknowledged finding on the stack with every optional resource', () => {
    // Prepare + Act: synth throws when a plugin reports an error.
    const synthesized = synth({ context: FULL_CONTEXT, nag: true });

    // Assert: no violation of any severity is left, and the acknowledgements are exactly the reviewed ones.
    expect(reportedViolations(synthesized.outdir)).toEqual([]);
    expect(acknowledgementsOf(synthesized.app)).toEqual(EXPECTED_ACKNOWLEDGEMENTS);
  });

  it('fails synth when a new finding appears', () => {
    // Prepare: an unencrypted queue without TLS enforcement breaks AwsSolutions::AwsSolutions-SQS2/SQS3/SQS4.
    const { app, stack } = createApp({
      bundle: false,
      cfnValidation: false,
      context: FULL_CONTEXT,
      consoleSiteDir: CONSOLE_SITE_FIXTURE,
    });
    new Queue(stack, 'Careless', { encryption: QueueEncryption.UNENCRYPTED });

    // Act + Assert
    expect(() => app.synth()).toThrow(/AwsSolutions-SQS4[\s\S]*Careless|Careless[\s\S]*AwsSolutions-SQS4/);
  });
});
