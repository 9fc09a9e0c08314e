// The console API on the stack: no route without the user pool's JWT, a pool nobody can join by themselves,
// access logs and throttling, and a function that can read the campaigns, send cancels, sign campaign
// uploads, read the token price and send test emails, nothing more.
import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { STACK_OUTPUTS } from '#infra/definitions.ts';
import { ENV } from '#shared/config.ts';
import { FULL_CONTEXT, type Synthesized, synth } from './synth.ts';

type Resource = { Type: string; Properties?: Record<string, unknown> };
type Statement = { Action: string | string[]; Resource: unknown };

const resourcesOf = (stack: Synthesized, type: string): Resource[] =>
  Object.values(stack.template.findResources(type) as Record<string, Resource>);

const idOf = (stack: Synthesized, type: string, prefix: string): string => {
  const id = Object.keys(stack.template.findResources(type)).find((key) => key.startsWith(prefix));
  if (!id) throw new Error(`no ${type} ${prefix}*`);
  return id;
};

describe('the console API', () => {
  let stack: Synthesized;
  beforeAll(() => {
    // Prepare: bundling skipped for speed.
    stack = synth({ context: FULL_CONTEXT });
  });

  it('refuses every route without a JWT of the researchers pool for the console client', () => {
    // Act
    const routes = resourcesOf(stack, 'AWS::ApiGatewayV2::Route');
    const authorizerId = idOf(stack, 'AWS::ApiGatewayV2::Authorizer', 'ConsoleApiResearchers');

    // Assert
    expect(routes.length).toBeGreaterThan(0);
    for (const route of routes) {
      expect(route.Properties).toMatchObject({
        AuthorizationType: 'JWT',
        AuthorizerId: { Ref: authorizerId },
      });
    }
    stack.template.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
      AuthorizerType: 'JWT',
      IdentitySource: ['$request.header.Authorization'],
      JwtConfiguration: {
        Audience: [{ Ref: idOf(stack, 'AWS::Cognito::UserPoolClient', 'ConsoleResearchersConsole') }],
        Issuer: Match.objectLike({ 'Fn::Join': Match.anyValue() }),
      },
    });
  });

  it('lets only an administrator add researchers, with MFA and a strong password', () => {
    // Act + Assert
    stack.template.hasResourceProperties('AWS::Cognito::UserPool', {
      AdminCreateUserConfig: { AllowAdminCreateUserOnly: true },
      MfaConfiguration: 'ON',
      EnabledMfas: ['SOFTWARE_TOKEN_MFA'],
      Policies: { PasswordPolicy: Match.objectLike({ MinimumLength: 12, RequireSymbols: true }) },
    });
    stack.template.hasResourceProperties('AWS::Cognito::UserPoolClient', {
      GenerateSecret: false,
      ExplicitAuthFlows: Match.arrayWith(['ALLOW_USER_SRP_AUTH']),
      PreventUserExistenceErrors: 'ENABLED',
    });
  });

  it('logs every request and throttles the stage', () => {
    // Act + Assert
    stack.template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: '$default',
      AutoDeploy: true,
      AccessLogSettings: { DestinationArn: Match.anyValue(), Format: Match.stringLikeRegexp('requestId') },
      DefaultRouteSettings: { ThrottlingRateLimit: 20, ThrottlingBurstLimit: 40 },
    });
  });

  it('gives the function reads of the table and its campaigns index, the cancel update, the invite queue, the price and test sends', () => {
    // Act
    const roleId = idOf(stack, 'AWS::IAM::Role', 'ConsoleFunctionRole');
    const statements = resourcesOf(stack, 'AWS::IAM::Policy')
      .filter((policy) => JSON.stringify(policy.Properties?.Roles).includes(`"${roleId}"`))
      .flatMap(
        (policy) =>
          (policy.Properties?.PolicyDocument as { Statement: Statement[] } | undefined)?.Statement ?? [],
      );
    const actions = (st: Statement) => (Array.isArray(st.Action) ? st.Action : [st.Action]);
    const dynamo = statements.filter((st) => actions(st).some((a) => a.startsWith('dynamodb:')));

    // Assert
    expect(dynamo).toHaveLength(1);
    expect(actions(dynamo[0] as Statement).sort()).toEqual([
      'dynamodb:BatchGetItem',
      'dynamodb:GetItem',
      'dynamodb:Query',
      'dynamodb:UpdateItem',
    ]);
    expect(JSON.stringify(dynamo[0]?.Resource)).toContain('/index/campaigns');
    // Uploads: PutObject on campaign files only (see stack.test), nothing read or deleted; the Aseed token
    // (the price); test sends as the campaigns' sender through their configuration set, unpaced.
    expect(
      statements
        .flatMap(actions)
        .filter((a) => /^(ses|s3|secretsmanager):/.test(a))
        .sort(),
    ).toEqual([
      's3:PutObject',
      'secretsmanager:GetSecretValue',
      'ses:SendBulkEmail',
      'ses:SendBulkTemplatedEmail',
      'ses:SendEmail',
    ]);
    const secretId = idOf(stack, 'AWS::SecretsManager::Secret', 'AseedToken');
    const secretRead = statements.find((st) => actions(st).includes('secretsmanager:GetSecretValue'));
    expect(secretRead?.Resource).toEqual({ Ref: secretId });
    const send = statements.find((st) => actions(st).includes('ses:SendBulkEmail'));
    const sendResources = JSON.stringify(send?.Resource);
    expect(sendResources).toContain(':identity/invites.example.org"');
    expect(sendResources).toContain(':configuration-set/');
    expect(sendResources).not.toContain('*');
    const fn = stack.template.findResources('AWS::Lambda::Function')[
      idOf(stack, 'AWS::Lambda::Function', 'ConsoleFunction')
    ] as Resource;
    const env =
      (fn.Properties?.Environment as { Variables: Record<string, unknown> } | undefined)?.Variables ?? {};
    expect(Object.keys(env)).toEqual(
      expect.arrayContaining([
        ENV.campaignDefaults,
        ENV.aseedBaseUrl,
        ENV.aseedTokenSecretArn,
        ENV.sesConfigurationSet,
      ]),
    );
    expect(JSON.parse(String(env[ENV.campaignDefaults]))).toMatchObject({
      sender: expect.stringContaining('research@invites.example.org'),
    });
    expect(Object.keys(stack.template.toJSON().Outputs)).toEqual(
      expect.arrayContaining([
        STACK_OUTPUTS.consoleApiUrl,
        STACK_OUTPUTS.consoleUserPoolId,
        STACK_OUTPUTS.consoleUserPoolClientId,
      ]),
    );
  });
});
