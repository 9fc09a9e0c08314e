// `invites console-user add` against a deployed stack, with CloudFormation and Cognito mocked.
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import {
  AdminCreateUserCommand,
  AdminGetUserCommand,
  CognitoIdentityProviderClient,
  UsernameExistsException,
} from '@aws-sdk/client-cognito-identity-provider';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { EXIT } from '#cli/args.ts';
import { main } from '#cli/main.ts';
import { STACK_OUTPUTS } from '#infra/definitions.ts';
import { capturingIo } from '#test/support/cli.ts';

const cfn = mockClient(CloudFormationClient);
const cognito = mockClient(CognitoIdentityProviderClient);

/** A stack with the base outputs, and the console's pool unless `withConsole` is false. */
const stackOutputs = (withConsole = true) => {
  cfn.on(DescribeStacksCommand).resolves({
    Stacks: [
      {
        StackName: 'AseedInvites',
        CreationTime: new Date(0),
        StackStatus: 'UPDATE_COMPLETE',
        Outputs: [
          { OutputKey: STACK_OUTPUTS.bucketName, OutputValue: 'uploads' },
          { OutputKey: STACK_OUTPUTS.tableName, OutputValue: 'table' },
          ...(withConsole
            ? [{ OutputKey: STACK_OUTPUTS.consoleUserPoolId, OutputValue: 'eu-west-1_pool' }]
            : []),
        ],
      },
    ],
  });
};

const run = async (args: string[]) => {
  const { io, output } = capturingIo();
  const code = await main(args, io);
  return { code, ...output() };
};

describe('invites console-user add', () => {
  beforeEach(() => {
    cfn.reset();
    cognito.reset();
  });

  it('creates the user in the stack pool with a verified address, and Cognito mails the password', async () => {
    // Prepare
    stackOutputs();
    cognito.on(AdminCreateUserCommand).resolves({});

    // Act
    const result = await run(['console-user', 'add', 'ana@example.org', '--stack', 'AseedInvites']);

    // Assert
    expect(result.code).toBe(EXIT.ok);
    expect(result.stdout).toContain('Invited ana@example.org to the console');
    expect(cognito.commandCalls(AdminCreateUserCommand)[0]?.args[0].input).toEqual({
      UserPoolId: 'eu-west-1_pool',
      Username: 'ana@example.org',
      UserAttributes: [
        { Name: 'email', Value: 'ana@example.org' },
        { Name: 'email_verified', Value: 'true' },
      ],
      DesiredDeliveryMediums: ['EMAIL'],
    });
  });

  it('says a user added before is there already, and invites again one who never signed in', async () => {
    // Prepare
    stackOutputs();
    const exists = new UsernameExistsException({ message: 'exists', $metadata: {} });
    cognito.on(AdminCreateUserCommand).rejects(exists);
    cognito.on(AdminCreateUserCommand, { MessageAction: 'RESEND' }).resolves({});
    cognito
      .on(AdminGetUserCommand, { Username: 'ana@example.org' })
      .resolves({ Username: 'ana@example.org', UserStatus: 'CONFIRMED' })
      .on(AdminGetUserCommand, { Username: 'ben@example.org' })
      .resolves({ Username: 'ben@example.org', UserStatus: 'FORCE_CHANGE_PASSWORD' });

    // Act
    const active = await run(['console-user', 'add', 'ana@example.org', '--stack', 'AseedInvites']);
    const waiting = await run(['console-user', 'add', 'ben@example.org', '--stack', 'AseedInvites']);

    // Assert
    expect([active.code, active.stdout]).toEqual([
      EXIT.ok,
      expect.stringContaining('is a console user already'),
    ]);
    expect([waiting.code, waiting.stdout]).toEqual([EXIT.ok, expect.stringContaining('invited again')]);
    const resent = cognito.commandCalls(AdminCreateUserCommand).filter((c) => c.args[0].input.MessageAction);
    expect(resent.map((c) => c.args[0].input.Username)).toEqual(['ben@example.org']);
  });

  it('names what is wrong: no console on the stack, a bad address, the local stack', async () => {
    // Prepare
    stackOutputs(false);

    // Act
    const old = await run(['console-user', 'add', 'ana@example.org', '--stack', 'AseedInvites']);
    const bad = await run(['console-user', 'add', 'ana', '--stack', 'AseedInvites']);
    const local = await run(['console-user', 'add', 'ana@example.org', '--local']);

    // Assert
    expect([old.code, old.stderr]).toEqual([
      EXIT.failed,
      expect.stringContaining('has no ConsoleUserPoolId output'),
    ]);
    expect([bad.code, bad.stderr]).toEqual([
      EXIT.usage,
      expect.stringContaining("'ana' is not an email address"),
    ]);
    expect([local.code, local.stderr]).toEqual([EXIT.usage, expect.stringContaining('sign-in off')]);
    expect(cognito.commandCalls(AdminCreateUserCommand)).toHaveLength(0);
  });
});
