// The console's hosting on the stack: a private bucket only the distribution reads, HTTPS and strict headers on
// every behaviour, /api/* to the JWT-guarded API uncached, sign-in by code grant to the distribution's own
// URL, and a deployment of the pages with their config.json that can do nothing else.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runInNewContext } from 'node:vm';
import { Match } from 'aws-cdk-lib/assertions';
import { CachePolicy, OriginRequestPolicy } from 'aws-cdk-lib/aws-cloudfront';
import { beforeAll, describe, expect, it } from 'vitest';
import { authDomainPrefixOf, SPA_ROUTES_FUNCTION } from '#infra/constructs/console-site.ts';
import { createApp } from '#infra/create-app.ts';
import { STACK_OUTPUTS } from '#infra/definitions.ts';
import { CONSOLE_PATHS } from '#shared/console/site-config.ts';
import { FULL_CONTEXT, type Synthesized, synth } from './synth.ts';

type Resource = { Type: string; Properties?: Record<string, unknown>; DependsOn?: string[] };
type Statement = {
  Effect: string;
  Action: string | string[];
  Principal?: unknown;
  Resource: unknown;
  Condition?: unknown;
};
type Behavior = Record<string, unknown> & { ViewerProtocolPolicy?: string; PathPattern?: string };
type DistributionConfig = {
  DefaultCacheBehavior: Behavior;
  CacheBehaviors: Behavior[];
  Origins: Array<Record<string, unknown> & { Id: string; DomainName: unknown }>;
  CustomErrorResponses?: unknown;
} & Record<string, unknown>;

const resourcesOf = (stack: Synthesized, type: string): Record<string, Resource> =>
  stack.template.findResources(type) as Record<string, Resource>;

const idOf = (stack: Synthesized, type: string, prefix: string): string => {
  const id = Object.keys(resourcesOf(stack, type)).find((key) => key.startsWith(prefix));
  if (!id) throw new Error(`no ${type} ${prefix}*`);
  return id;
};

const resourceOf = (stack: Synthesized, type: string, prefix: string): Resource =>
  resourcesOf(stack, type)[idOf(stack, type, prefix)] as Resource;

const actionsOf = (statement: Statement): string[] =>
  Array.isArray(statement.Action) ? statement.Action : [statement.Action];

/** The distribution's domain name, as CloudFormation resolves it. */
const domainOf = (stack: Synthesized) => ({
  'Fn::GetAtt': [idOf(stack, 'AWS::CloudFront::Distribution', 'ConsoleSiteDistribution'), 'DomainName'],
});

describe('the console site', () => {
  let stack: Synthesized;
  let distribution: DistributionConfig;
  beforeAll(() => {
    // Prepare: bundling skipped for speed; the fixture stands in for web/dist.
    stack = synth({ context: FULL_CONTEXT });
    distribution = resourceOf(stack, 'AWS::CloudFront::Distribution', 'ConsoleSiteDistribution').Properties
      ?.DistributionConfig as DistributionConfig;
  });

  it('keeps the pages in a private bucket that only this distribution reads, through origin access control', () => {
    // Act
    const bucketId = idOf(stack, 'AWS::S3::Bucket', 'ConsoleSiteBucket');
    const bucket = resourcesOf(stack, 'AWS::S3::Bucket')[bucketId];
    const policy = Object.values(resourcesOf(stack, 'AWS::S3::BucketPolicy')).find(
      (each) => JSON.stringify(each.Properties?.Bucket) === JSON.stringify({ Ref: bucketId }),
    );
    const statements =
      (policy?.Properties?.PolicyDocument as { Statement: Statement[] } | undefined)?.Statement ?? [];
    const distributionId = idOf(stack, 'AWS::CloudFront::Distribution', 'ConsoleSiteDistribution');

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
      OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
      LoggingConfiguration: { DestinationBucketName: { Ref: idOf(stack, 'AWS::S3::Bucket', 'AccessLogs') } },
    });
    expect(bucket?.Properties).not.toHaveProperty('WebsiteConfiguration');
    const allows = statements.filter((statement) => statement.Effect === 'Allow');
    expect(allows).toEqual([
      {
        Effect: 'Allow',
        Action: 's3:GetObject',
        Principal: { Service: 'cloudfront.amazonaws.com' },
        Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [bucketId, 'Arn'] }, '/*']] },
        Condition: {
          StringEquals: {
            'AWS:SourceArn': {
              'Fn::Join': [
                '',
                [
                  'arn:',
                  { Ref: 'AWS::Partition' },
                  ':cloudfront::',
                  { Ref: 'AWS::AccountId' },
                  ':distribution/',
                  { Ref: distributionId },
                ],
              ],
            },
          },
        },
      },
    ]);
    expect(statements).toContainEqual(
      expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
    );
    const s3Origin = distribution.Origins.find((origin) => 'S3OriginConfig' in origin);
    expect(s3Origin).toMatchObject({
      DomainName: { 'Fn::GetAtt': [bucketId, 'RegionalDomainName'] },
      OriginAccessControlId: {
        'Fn::GetAtt': [idOf(stack, 'AWS::CloudFront::OriginAccessControl', 'ConsoleSite'), 'Id'],
      },
    });
    stack.template.hasResourceProperties('AWS::CloudFront::OriginAccessControl', {
      OriginAccessControlConfig: Match.objectLike({
        SigningBehavior: 'always',
        OriginAccessControlOriginType: 's3',
      }),
    });
  });

  it('redirects to HTTPS on every behaviour, serves HTTP/2 and 3, logs, and maps no error codes', () => {
    // Act
    const behaviors = [distribution.DefaultCacheBehavior, ...distribution.CacheBehaviors];

    // Assert
    expect(behaviors).toHaveLength(2);
    for (const behavior of behaviors) expect(behavior.ViewerProtocolPolicy).toBe('redirect-to-https');
    expect(distribution).toMatchObject({
      DefaultRootObject: 'index.html',
      HttpVersion: 'http2and3',
      Logging: {
        Bucket: {
          'Fn::GetAtt': [idOf(stack, 'AWS::S3::Bucket', 'ConsoleSiteDistributionLogs'), 'RegionalDomainName'],
        },
      },
    });
    // Error responses would apply to /api/* too, turning the API's 403s and 404s into the app's page.
    expect(distribution.CustomErrorResponses).toBeUndefined();
    expect(distribution.DefaultCacheBehavior).toMatchObject({
      CachePolicyId: CachePolicy.CACHING_OPTIMIZED.cachePolicyId,
      FunctionAssociations: [
        {
          EventType: 'viewer-request',
          FunctionARN: {
            'Fn::GetAtt': [idOf(stack, 'AWS::CloudFront::Function', 'ConsoleSiteRoutes'), 'FunctionARN'],
          },
        },
      ],
    });
  });

  it("serves the app's client-side routes index.html and its files as they are", () => {
    // Prepare
    const handler = runInNewContext(`${SPA_ROUTES_FUNCTION}; handler`) as (event: unknown) => { uri: string };
    const route = (uri: string, accept?: string) =>
      handler({ request: { uri, headers: accept ? { accept: { value: accept } } : {} } }).uri;
    const page = 'text/html,application/xhtml+xml,*/*;q=0.8';

    // Act + Assert
    expect(route('/')).toBe('/index.html');
    expect(route(CONSOLE_PATHS.signInCallback, page)).toBe('/index.html');
    expect(route('/campaigns/spring-panel')).toBe('/index.html');
    // A campaign name may hold a dot: a page load is still a route.
    expect(route('/campaigns/spring.2026', page)).toBe('/index.html');
    expect(route('/assets/index-3f2a.js', '*/*')).toBe('/assets/index-3f2a.js');
    expect(route(CONSOLE_PATHS.config, 'application/json')).toBe(CONSOLE_PATHS.config);
    expect(route('/favicon.ico', 'image/avif,image/webp,*/*')).toBe('/favicon.ico');
  });

  it('routes /api/* to the console API over HTTPS, all methods, nothing cached, every viewer header but Host', () => {
    // Act
    const api = distribution.CacheBehaviors.find((behavior) => behavior.PathPattern === '/api/*');
    const origin = distribution.Origins.find((each) => each.Id === api?.TargetOriginId);

    // Assert
    expect(api).toMatchObject({
      AllowedMethods: expect.arrayContaining(['GET', 'HEAD', 'OPTIONS', 'PUT', 'PATCH', 'POST', 'DELETE']),
      CachePolicyId: CachePolicy.CACHING_DISABLED.cachePolicyId,
      OriginRequestPolicyId: OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER.originRequestPolicyId,
    });
    expect(origin).toMatchObject({
      DomainName: {
        'Fn::Select': [
          2,
          {
            'Fn::Split': [
              '/',
              { 'Fn::GetAtt': [idOf(stack, 'AWS::ApiGatewayV2::Api', 'ConsoleApi'), 'ApiEndpoint'] },
            ],
          },
        ],
      },
      CustomOriginConfig: { OriginProtocolPolicy: 'https-only', OriginSSLProtocols: ['TLSv1.2'] },
    });
  });

  it('still refuses every API route without a JWT of the pool', () => {
    // Act
    const routes = Object.values(resourcesOf(stack, 'AWS::ApiGatewayV2::Route'));

    // Assert
    expect(routes.length).toBeGreaterThan(0);
    for (const route of routes) expect(route.Properties?.AuthorizationType).toBe('JWT');
  });

  it('sends a strict CSP, HSTS and the other security headers on every behaviour', () => {
    // Act
    const policyId = idOf(stack, 'AWS::CloudFront::ResponseHeadersPolicy', 'ConsoleSiteHeaders');
    const config = resourcesOf(stack, 'AWS::CloudFront::ResponseHeadersPolicy')[policyId]?.Properties
      ?.ResponseHeadersPolicyConfig as {
      SecurityHeadersConfig: Record<string, Record<string, unknown>>;
      CustomHeadersConfig: unknown;
    };
    const csp = JSON.stringify(config.SecurityHeadersConfig.ContentSecurityPolicy?.ContentSecurityPolicy);

    // Assert
    for (const behavior of [distribution.DefaultCacheBehavior, ...distribution.CacheBehaviors]) {
      expect(behavior.ResponseHeadersPolicyId).toEqual({ Ref: policyId });
    }
    for (const directive of [
      "default-src 'none'",
      "script-src 'self';",
      "style-src 'self';",
      "frame-ancestors 'none'",
      "base-uri 'none'",
      "object-src 'none'",
      "connect-src 'self' https://",
      '.amazoncognito.com https://*.s3.',
    ]) {
      expect(csp).toContain(directive);
    }
    expect(csp).toContain(idOf(stack, 'AWS::Cognito::UserPoolDomain', 'ConsoleSiteSignIn'));
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval|style-src-attr/);
    expect(config.SecurityHeadersConfig).toMatchObject({
      StrictTransportSecurity: {
        AccessControlMaxAgeSec: 63_072_000,
        IncludeSubdomains: true,
        Preload: true,
        Override: true,
      },
      ContentTypeOptions: { Override: true },
      FrameOptions: { FrameOption: 'DENY', Override: true },
      ReferrerPolicy: { ReferrerPolicy: 'no-referrer', Override: true },
    });
    expect(config.CustomHeadersConfig).toEqual({
      Items: [
        { Header: 'Permissions-Policy', Value: 'camera=(), microphone=(), geolocation=()', Override: true },
      ],
    });
  });

  it("signs in through the pool's managed login with the code grant only, back to the distribution's URL", () => {
    // Act
    const client = resourceOf(stack, 'AWS::Cognito::UserPoolClient', 'ConsoleResearchersConsole');
    const url = (path: string) => ({ 'Fn::Join': ['', ['https://', domainOf(stack), path]] });

    // Assert
    expect(client.Properties).toMatchObject({
      GenerateSecret: false,
      AllowedOAuthFlowsUserPoolClient: true,
      AllowedOAuthFlows: ['code'],
      AllowedOAuthScopes: ['openid', 'email', 'profile'],
      CallbackURLs: [url(CONSOLE_PATHS.signInCallback)],
      LogoutURLs: [url(CONSOLE_PATHS.signedOut)],
      SupportedIdentityProviders: ['COGNITO'],
    });
    stack.template.hasResourceProperties('AWS::Cognito::UserPoolDomain', {
      ManagedLoginVersion: 2,
      UserPoolId: { Ref: idOf(stack, 'AWS::Cognito::UserPool', 'ConsoleResearchers') },
      Domain: { 'Fn::Join': ['', ['aseedinvites-', Match.objectLike({ 'Fn::Select': Match.anyValue() })]] },
    });
    stack.template.hasResourceProperties('AWS::Cognito::ManagedLoginBranding', {
      ClientId: { Ref: idOf(stack, 'AWS::Cognito::UserPoolClient', 'ConsoleResearchersConsole') },
      UseCognitoProvidedValues: true,
    });
  });

  it('lets the pages PUT presigned uploads from their own origin', () => {
    // Act
    const uploads = resourceOf(stack, 'AWS::S3::Bucket', 'Uploads');

    // Assert
    expect(uploads.Properties?.CorsConfiguration).toEqual({
      CorsRules: [
        {
          AllowedMethods: ['PUT'],
          AllowedOrigins: [{ 'Fn::Join': ['', ['https://', domainOf(stack)]] }],
          AllowedHeaders: ['content-type'],
          MaxAge: 3600,
        },
      ],
    });
  });

  it('deploys the pages and their config.json, prunes older builds and invalidates the distribution', () => {
    // Act
    const deployment = resourceOf(stack, 'Custom::CDKBucketDeployment', 'ConsoleSiteDeploy');
    const props = deployment.Properties as {
      SourceObjectKeys: string[];
      SourceMarkers: Array<Record<string, unknown>>;
    };
    const configIndex = props.SourceMarkers.findIndex((markers) => Object.keys(markers).length > 0);
    const configKey = props.SourceObjectKeys[configIndex] ?? '';
    const configFile = join(stack.outdir, `asset.${configKey.replace(/\.zip$/, '')}`, 'config.json');
    const config = JSON.parse(readFileSync(configFile, 'utf8')) as Record<string, string>;
    const resolved = (value: string | undefined) =>
      (value ?? '').replace(/<<marker:0xbaba:\d+>>/g, (marker) =>
        JSON.stringify(props.SourceMarkers[configIndex]?.[marker]),
      );

    // Assert
    expect(deployment.Properties).toMatchObject({
      DestinationBucketName: { Ref: idOf(stack, 'AWS::S3::Bucket', 'ConsoleSiteBucket') },
      DistributionId: { Ref: idOf(stack, 'AWS::CloudFront::Distribution', 'ConsoleSiteDistribution') },
      DistributionPaths: ['/*'],
      Prune: true,
    });
    expect(props.SourceObjectKeys).toHaveLength(2);
    expect(Object.keys(config).sort()).toEqual(
      ['authDomain', 'clientId', 'logoutUri', 'mode', 'redirectUri', 'region', 'userPoolId'].sort(),
    );
    expect(config.mode).toBe('cloud');
    expect(resolved(config.userPoolId)).toContain(
      idOf(stack, 'AWS::Cognito::UserPool', 'ConsoleResearchers'),
    );
    expect(resolved(config.clientId)).toContain(
      idOf(stack, 'AWS::Cognito::UserPoolClient', 'ConsoleResearchersConsole'),
    );
    expect(resolved(config.authDomain)).toMatch(
      /^https:\/\/.*ConsoleSiteSignIn.*\.auth\..*AWS::Region.*\.amazoncognito\.com$/,
    );
    expect(resolved(config.redirectUri)).toMatch(/^https:\/\/.*ConsoleSiteDistribution.*\/callback$/);
  });

  it('gives the deployment exactly its assets, the site bucket and an invalidation of this distribution', () => {
    // Act
    const roleId = idOf(stack, 'AWS::IAM::Role', 'ConsoleSiteDeployRole');
    const handler = Object.values(resourcesOf(stack, 'AWS::Lambda::Function')).find(
      (fn) => JSON.stringify(fn.Properties?.Role) === JSON.stringify({ 'Fn::GetAtt': [roleId, 'Arn'] }),
    );
    const role = resourcesOf(stack, 'AWS::IAM::Role')[roleId];
    const policies = Object.values(resourcesOf(stack, 'AWS::IAM::Policy')).filter((policy) =>
      JSON.stringify(policy.Properties?.Roles).includes(`"${roleId}"`),
    );
    const statements = policies.flatMap(
      (policy) =>
        (policy.Properties?.PolicyDocument as { Statement: Statement[] } | undefined)?.Statement ?? [],
    );
    const bucketArn = { 'Fn::GetAtt': [idOf(stack, 'AWS::S3::Bucket', 'ConsoleSiteBucket'), 'Arn'] };

    // Assert
    expect(handler).toBeDefined();
    expect(role?.Properties).not.toHaveProperty('ManagedPolicyArns');
    expect(role?.Properties).not.toHaveProperty('Policies');
    expect(policies).toHaveLength(1);
    expect(statements.flatMap(actionsOf).sort()).toEqual([
      'cloudfront:CreateInvalidation',
      'cloudfront:GetInvalidation',
      'logs:CreateLogStream',
      'logs:PutLogEvents',
      's3:DeleteObject',
      's3:GetObject',
      's3:ListBucket',
      's3:PutObject',
    ]);
    const resourceOfAction = (action: string) =>
      statements.find((statement) => actionsOf(statement).includes(action))?.Resource;
    expect(resourceOfAction('s3:ListBucket')).toEqual(bucketArn);
    expect(resourceOfAction('s3:PutObject')).toEqual({ 'Fn::Join': ['', [bucketArn, '/*']] });
    expect(JSON.stringify(resourceOfAction('cloudfront:CreateInvalidation'))).toContain(
      idOf(stack, 'AWS::CloudFront::Distribution', 'ConsoleSiteDistribution'),
    );
    // The two asset objects by key, not the whole asset bucket.
    const reads = resourceOfAction('s3:GetObject') as unknown[];
    expect(reads).toHaveLength(2);
    for (const read of reads) expect(JSON.stringify(read)).toMatch(/\/[0-9a-f]{64}\.zip"/);
    // The handler runs once its policy is attached.
    expect(resourceOf(stack, 'Custom::CDKBucketDeployment', 'ConsoleSiteDeploy').DependsOn).toEqual(
      expect.arrayContaining([idOf(stack, 'AWS::IAM::Policy', 'ConsoleSiteDeployPolicy')]),
    );
  });

  it('outputs the console URL', () => {
    // Act
    const output = stack.template.toJSON().Outputs[STACK_OUTPUTS.consoleUrl] as { Value: unknown };

    // Assert
    expect(output.Value).toEqual({ 'Fn::Join': ['', ['https://', domainOf(stack), '/']] });
  });
});

describe('the managed login domain prefix', () => {
  it('is the stack name, lower-case, without the words Cognito refuses, and the stack id part', () => {
    // Act + Assert
    expect(authDomainPrefixOf('AseedInvites', '1a2b3c4d')).toBe('aseedinvites-1a2b3c4d');
    expect(authDomainPrefixOf('My-AWS-Cognito-Stack', '1a2b3c4d')).toBe('my-stack-1a2b3c4d');
    expect(authDomainPrefixOf('aawsws', '1a2b3c4d')).toBe('console-1a2b3c4d');
    expect(authDomainPrefixOf('AWS', '1a2b3c4d')).toBe('console-1a2b3c4d');
    const long = authDomainPrefixOf(`Stack${'x'.repeat(120)}`, '1a2b3c4d');
    expect(long.length).toBeLessThanOrEqual(63);
    expect(long).toMatch(/^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/);
  });
});

describe('the app without a console build', () => {
  it('refuses to synthesize, saying how to build it', () => {
    // Act + Assert
    expect(() =>
      createApp({ bundle: false, nag: false, consoleSiteDir: 'test/fixtures/no-console-build' }),
    ).toThrow('test/fixtures/no-console-build has no index.html: build the console first: npm run build:web');
  });
});
