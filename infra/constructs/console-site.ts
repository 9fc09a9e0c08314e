import { Aws, Duration, Fn, type RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import {
  AllowedMethods,
  CachePolicy,
  Function as CloudFrontFunction,
  Distribution,
  FunctionCode,
  FunctionEventType,
  FunctionRuntime,
  HeadersFrameOption,
  HeadersReferrerPolicy,
  HttpVersion,
  OriginProtocolPolicy,
  OriginRequestPolicy,
  OriginSslPolicy,
  ResponseHeadersPolicy,
  S3OriginAccessControl,
  ViewerProtocolPolicy,
} from 'aws-cdk-lib/aws-cloudfront';
import { HttpOrigin, S3BucketOrigin } from 'aws-cdk-lib/aws-cloudfront-origins';
import { CfnManagedLoginBranding, ManagedLoginVersion, UserPoolDomain } from 'aws-cdk-lib/aws-cognito';
import { Effect, Policy, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import {
  BlockPublicAccess,
  Bucket,
  BucketEncryption,
  type CfnBucket,
  HttpMethods,
  type IBucket,
  ObjectOwnership,
} from 'aws-cdk-lib/aws-s3';
import { BucketDeployment, CacheControl, type ISource, Source } from 'aws-cdk-lib/aws-s3-deployment';
import { Construct } from 'constructs';
import { CONSOLE_SECURITY_HEADERS, consoleCsp, HSTS_MAX_AGE_SECONDS } from '#shared/console/csp.ts';
import { CONSOLE_PATHS, type ConsoleCloudConfig } from '#shared/console/site-config.ts';
import type { ConsoleApi } from './console-api.ts';

/** Props of {@link ConsoleSite}. */
export interface ConsoleSiteProps {
  /** The built console (`vite build`'s output): `index.html` and its assets, deployed as they are. */
  readonly siteDir: string;
  /** The console API: its HTTP API serves `/api/*`, its user pool's managed login signs researchers in. */
  readonly api: ConsoleApi;
  /** The bucket the console's presigned PUTs go to: it gets a CORS rule for the console's origin. */
  readonly uploads: Bucket;
  /** The stack's server access log bucket: the site's and the CloudFront log bucket's logs go there. */
  readonly accessLogs: IBucket;
  /** Retention of the deploy handler's logs and removal policy of the buckets, as the stack's other resources. */
  readonly common: { readonly logRetention: RetentionDays; readonly removalPolicy: RemovalPolicy };
}

/**
 * Viewer-request function of the pages: a page load or a path without a file extension is one of the app's
 * client-side routes, so it gets `index.html`; everything else is a file of the build. (Custom error
 * responses would do the same for 403/404, but they apply to the whole distribution, and the API's own
 * 403s and 404s must reach the app as they are.) ES5: the CloudFront Functions runtime.
 */
export const SPA_ROUTES_FUNCTION = `function handler(event) {
  var request = event.request;
  var accept = request.headers.accept ? request.headers.accept.value : '';
  var last = request.uri.slice(request.uri.lastIndexOf('/') + 1);
  if (last.indexOf('.') === -1 || accept.indexOf('text/html') !== -1) {
    request.uri = '/index.html';
  }
  return request;
}`;

/** Stable per deployed stack (account, region, name) and unguessable across them: its stack id's first group. */
const STACK_ID_HEX = Fn.select(0, Fn.split('-', Fn.select(2, Fn.split('/', Aws.STACK_ID))));

/**
 * Prefix of the managed login's domain (`<prefix>.auth.<region>.amazoncognito.com`, unique per region across
 * all accounts): the stack name, lower-case, without the words Cognito refuses, then 8 hex digits of the
 * stack id, so two accounts deploying the same stack name do not collide. At most 49 characters.
 */
export const authDomainPrefixOf = (stackName: string, hex: string = STACK_ID_HEX): string => {
  let name = stackName.toLowerCase();
  for (let previous = ''; previous !== name; ) {
    previous = name;
    name = name.replace(/aws|amazon|cognito/g, '');
  }
  name = name
    .replace(/[^a-z0-9]+/g, '-')
    .slice(0, 40)
    .replace(/^-+|-+$/g, '');
  return `${name || 'console'}-${hex}`;
};

/**
 * The web console's hosting: a private S3 bucket of the built pages behind a CloudFront distribution (origin
 * access control; HTTPS only; strict CSP and security headers on every response), `/api/*` of the same
 * distribution routed to the console API (same origin: no CORS), the user pool's managed login for the
 * pages' code grant with PKCE, and a deployment that uploads the pages with their `config.json` and
 * invalidates the cache. Modelled on aws-solutions-constructs' cloudfront-s3.
 */
export class ConsoleSite extends Construct {
  readonly bucket: Bucket;
  readonly distribution: Distribution;
  readonly headers: ResponseHeadersPolicy;
  readonly authDomain: UserPoolDomain;
  readonly deployment: BucketDeployment;
  /** `https://<distribution domain>/`: the console. */
  readonly url: string;

  constructor(scope: Construct, id: string, props: ConsoleSiteProps) {
    super(scope, id);
    const { removalPolicy } = props.common;
    const stackName = Stack.of(this).stackName;
    this.bucket = new Bucket(this, 'Bucket', {
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      encryption: BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      // A deploy replaces the pages; the previous build stays a month, for a rollback by hand.
      versioned: true,
      lifecycleRules: [{ id: 'ExpireOldBuilds', noncurrentVersionExpiration: Duration.days(30) }],
      serverAccessLogsBucket: props.accessLogs,
      serverAccessLogsPrefix: 'console-site/',
      removalPolicy,
    });
    // CloudFront's standard logs are written with object ACLs, which the stack's access-log bucket
    // (bucket owner enforced) refuses: a bucket of their own, as aws-solutions-constructs makes.
    const distributionLogs = new Bucket(this, 'DistributionLogs', {
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      encryption: BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      objectOwnership: ObjectOwnership.OBJECT_WRITER,
      lifecycleRules: [{ id: 'ExpireDistributionLogs', expiration: Duration.days(90) }],
      serverAccessLogsBucket: props.accessLogs,
      serverAccessLogsPrefix: 'console-distribution-logs/',
      removalPolicy,
    });

    this.authDomain = new UserPoolDomain(this, 'SignIn', {
      userPool: props.api.userPool,
      cognitoDomain: { domainPrefix: authDomainPrefixOf(stackName) },
      managedLoginVersion: ManagedLoginVersion.NEWER_MANAGED_LOGIN,
    });
    const authOrigin = this.authDomain.baseUrl();
    this.headers = this.createHeaders(stackName, authOrigin);
    this.distribution = this.createDistribution(props, distributionLogs);
    this.url = `https://${this.distribution.distributionDomainName}/`;
    const origin = `https://${this.distribution.distributionDomainName}`;

    // Managed login shows its pages only for a client that has a style: Cognito's own look.
    new CfnManagedLoginBranding(this, 'SignInStyle', {
      userPoolId: props.api.userPool.userPoolId,
      clientId: props.api.client.userPoolClientId,
      useCognitoProvidedValues: true,
    });
    props.api.allowSignInAt(
      `${origin}${CONSOLE_PATHS.signInCallback}`,
      `${origin}${CONSOLE_PATHS.signedOut}`,
    );
    // The pages PUT a campaign's files to the presigned URL the API signs, straight to S3.
    props.uploads.addCorsRule({
      allowedMethods: [HttpMethods.PUT],
      allowedOrigins: [origin],
      allowedHeaders: ['content-type'],
      maxAge: 3600,
    });

    const config: ConsoleCloudConfig = {
      mode: 'cloud',
      region: Aws.REGION,
      userPoolId: props.api.userPool.userPoolId,
      clientId: props.api.client.userPoolClientId,
      authDomain: authOrigin,
      redirectUri: `${origin}${CONSOLE_PATHS.signInCallback}`,
      logoutUri: `${origin}${CONSOLE_PATHS.signedOut}`,
    };
    this.deployment = this.deploy(props, [
      Source.asset(props.siteDir),
      Source.jsonData(CONSOLE_PATHS.config.slice(1), config),
    ]);
  }

  /** Security headers of every response, pages and API alike (the CSP also in shared/console/csp.ts). */
  private createHeaders(stackName: string, authOrigin: string): ResponseHeadersPolicy {
    const { 'permissions-policy': permissionsPolicy } = CONSOLE_SECURITY_HEADERS;
    return new ResponseHeadersPolicy(this, 'Headers', {
      // Policy names are unique per account (CloudFront is global): the stack's region keeps two apart.
      responseHeadersPolicyName: `${stackName.slice(0, 80)}-${Aws.REGION}-console`,
      comment: 'Aseed invites console: CSP and security headers',
      securityHeadersBehavior: {
        contentSecurityPolicy: {
          contentSecurityPolicy: consoleCsp({
            authOrigin,
            // Presigned uploads go straight to the uploads bucket; naming it would make a cycle (the
            // bucket's CORS rule names this distribution), so any bucket of the region.
            uploadsOrigin: `https://*.s3.${Aws.REGION}.amazonaws.com`,
          }),
          override: true,
        },
        strictTransportSecurity: {
          accessControlMaxAge: Duration.seconds(HSTS_MAX_AGE_SECONDS),
          includeSubdomains: true,
          preload: true,
          override: true,
        },
        contentTypeOptions: { override: true },
        frameOptions: { frameOption: HeadersFrameOption.DENY, override: true },
        referrerPolicy: { referrerPolicy: HeadersReferrerPolicy.NO_REFERRER, override: true },
      },
      customHeadersBehavior: {
        customHeaders: [{ header: 'Permissions-Policy', value: permissionsPolicy, override: true }],
      },
    });
  }

  private createDistribution(props: ConsoleSiteProps, logs: Bucket): Distribution {
    const stackName = Stack.of(this).stackName;
    const originAccessControl = new S3OriginAccessControl(this, 'OriginAccess', {
      // Unique per account, like the headers policy's name.
      originAccessControlName: `${stackName.slice(0, 40)}-${Aws.REGION}-console`,
      description: 'CloudFront reads the console pages',
    });
    const routes = new CloudFrontFunction(this, 'Routes', {
      code: FunctionCode.fromInline(SPA_ROUTES_FUNCTION),
      runtime: FunctionRuntime.JS_2_0,
      comment: 'Client-side routes of the console get index.html',
    });
    const distribution = new Distribution(this, 'Distribution', {
      comment: `${stackName} console`,
      defaultRootObject: 'index.html',
      httpVersion: HttpVersion.HTTP2_AND_3,
      enableLogging: true,
      logBucket: logs,
      logFilePrefix: 'console/',
      defaultBehavior: {
        origin: S3BucketOrigin.withOriginAccessControl(this.bucket, { originAccessControl }),
        viewerProtocolPolicy: ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        cachePolicy: CachePolicy.CACHING_OPTIMIZED,
        responseHeadersPolicy: this.headers,
        functionAssociations: [{ function: routes, eventType: FunctionEventType.VIEWER_REQUEST }],
      },
      additionalBehaviors: {
        // The API under the pages' own origin: the JWT in the Authorization header, nothing cached.
        '/api/*': {
          origin: new HttpOrigin(Fn.select(2, Fn.split('/', props.api.api.apiEndpoint)), {
            protocolPolicy: OriginProtocolPolicy.HTTPS_ONLY,
            originSslProtocols: [OriginSslPolicy.TLS_V1_2],
          }),
          viewerProtocolPolicy: ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
          allowedMethods: AllowedMethods.ALLOW_ALL,
          cachePolicy: CachePolicy.CACHING_DISABLED,
          originRequestPolicy: OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
          responseHeadersPolicy: this.headers,
        },
      },
    });
    this.acknowledgeDistribution(distribution);
    return distribution;
  }

  private acknowledgeDistribution(distribution: Distribution): void {
    Validations.of(distribution).acknowledge(
      {
        id: 'AwsSolutions::AwsSolutions-CFR1',
        reason:
          'Researchers sign in from wherever they work; every API call needs a JWT of the pool (MFA ' +
          'required), and the pages themselves hold no data.',
      },
      {
        id: 'AwsSolutions::AwsSolutions-CFR2',
        reason:
          'A WAF web ACL is billed per month, per rule and per request; the pages are static and the API ' +
          'takes only JWTs of the pool and is throttled (20/s). The owner may attach one (webAclId).',
      },
      {
        id: 'AwsSolutions::AwsSolutions-CFR4',
        reason:
          "The distribution uses CloudFront's own domain and certificate, for which CloudFront sets the " +
          'TLSv1 security policy whatever MinimumProtocolVersion says; a custom domain (ACM certificate, DNS) ' +
          'is the owner’s choice.',
      },
    );
  }

  /**
   * Uploads the pages and `config.json` (deploy-time values filled in by the handler), deleting files of
   * older builds, then invalidates the distribution. The handler's role has exactly what that takes: CDK's
   * grants (wildcard actions, any object of the asset bucket, any distribution) are dropped for it.
   */
  private deploy(props: ConsoleSiteProps, sources: ISource[]): BucketDeployment {
    const role = new Role(this, 'DeployRole', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: 'Deploys the console pages: reads their assets, writes the site bucket, invalidates',
    });
    const deployRole = role.withoutPolicyUpdates();
    const logGroup = new LogGroup(this, 'DeployLogs', {
      retention: props.common.logRetention,
      removalPolicy: props.common.removalPolicy,
    });
    // Bound here, not by the deployment, to read exactly these asset objects.
    const bound = sources.map((source) => source.bind(this, { handlerRole: deployRole }));
    const policy = new Policy(this, 'DeployPolicy', {
      roles: [role],
      statements: [
        new PolicyStatement({
          effect: Effect.ALLOW,
          actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
          resources: [logGroup.logGroupArn],
        }),
        new PolicyStatement({
          effect: Effect.ALLOW,
          actions: ['s3:GetObject'],
          resources: bound.map((each) => each.bucket.arnForObjects(each.zipObjectKey)),
        }),
        new PolicyStatement({
          effect: Effect.ALLOW,
          actions: ['s3:ListBucket'],
          resources: [this.bucket.bucketArn],
        }),
        new PolicyStatement({
          effect: Effect.ALLOW,
          actions: ['s3:PutObject', 's3:DeleteObject'],
          resources: [this.bucket.arnForObjects('*')],
        }),
        new PolicyStatement({
          effect: Effect.ALLOW,
          actions: ['cloudfront:CreateInvalidation', 'cloudfront:GetInvalidation'],
          resources: [this.distribution.distributionArn],
        }),
      ],
    });
    Validations.of(policy).acknowledge({
      id: `AwsSolutions::AwsSolutions-IAM5[Resource::<${Stack.of(this).getLogicalId(this.bucket.node.defaultChild as CfnBucket)}.Arn>/*]`,
      reason:
        'The deployment writes the whole build into the console bucket, and deletes files of older builds; ' +
        'the object names are the build’s.',
    });
    const deployment = new BucketDeployment(this, 'Deploy', {
      sources: bound.map((config) => ({ bind: () => config })),
      destinationBucket: this.bucket,
      distribution: this.distribution,
      distributionPaths: ['/*'],
      role: deployRole,
      logGroup,
      // Browsers check for a newer build on each load (a 304 when none); the edge keeps files until the
      // next deploy's invalidation.
      cacheControl: [
        CacheControl.fromString('public, max-age=0, must-revalidate'),
        CacheControl.sMaxAge(Duration.days(365)),
      ],
    });
    // The handler runs once the policy is attached, not merely once the role exists.
    deployment.node.addDependency(policy);
    // CDK's singleton handler of every BucketDeployment, a child of the stack.
    const handler = Stack.of(this).node.children.find((child) =>
      child.node.id.startsWith('Custom::CDKBucketDeployment'),
    );
    if (handler) {
      Validations.of(handler).acknowledge({
        id: 'AwsSolutions::AwsSolutions-L1',
        reason:
          "CDK's own deploy-time handler (Python, with the AWS CLI layer): aws-cdk-lib picks and updates its " +
          'runtime; it runs only while the stack deploys.',
      });
    }
    return deployment;
  }
}
