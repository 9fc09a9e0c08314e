import { Duration, Lazy, RemovalPolicy, Validations } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import { HttpApi, HttpMethod, HttpStage, LogGroupLogDestination } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpUserPoolAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import {
  AccountRecovery,
  FeaturePlan,
  Mfa,
  OAuthScope,
  UserPool,
  type UserPoolClient,
  UserPoolClientIdentityProvider,
} from 'aws-cdk-lib/aws-cognito';
import { LogGroup } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { ConsoleEnvSchema } from '#shared/config.ts';
import { FUNCTIONS } from '../definitions.ts';
import { AppFunction, type AppFunctionProps } from './app-function.ts';
import type { Binding } from './bindings.ts';

/** Props of {@link ConsoleApi}. */
export interface ConsoleApiProps {
  /** What the function uses: the table (reads, the cancel) and the invite queue (cancel messages). */
  readonly bindings: readonly Binding[];
  /** The settings every function of the stack shares (service name, log level, retention, removal). */
  readonly common: Pick<AppFunctionProps, 'serviceName' | 'logLevel' | 'logRetention' | 'removalPolicy'>;
}

/** One JSON line per request, with HTTP API variables only: who (the JWT's subject) did what, and how it went. */
const ACCESS_LOG_FORMAT = AccessLogFormat.custom(
  JSON.stringify({
    requestId: '$context.requestId',
    time: '$context.requestTime',
    ip: '$context.identity.sourceIp',
    routeKey: '$context.routeKey',
    path: '$context.path',
    status: '$context.status',
    responseLength: '$context.responseLength',
    latencyMs: '$context.responseLatency',
    user: '$context.authorizer.claims.sub',
    authorizerError: '$context.authorizer.error',
  }),
);

/** Requests per second the API takes, and the burst above it: a few researchers, not the public. */
const THROTTLE = { rateLimit: 20, burstLimit: 40 } as const;

/**
 * The web console's API: a Cognito user pool (admin-created users only, MFA required), an HTTP API whose
 * every route needs that pool's JWT, with access logs and throttling, and the one console function behind it.
 */
export class ConsoleApi extends Construct {
  readonly function: AppFunction;
  readonly userPool: UserPool;
  readonly client: UserPoolClient;
  readonly api: HttpApi;
  readonly stage: HttpStage;
  /** Where the managed login may send a code and return after sign-out: set by {@link allowSignInAt}. */
  private readonly signInUrls = { callback: [] as string[], signedOut: [] as string[] };

  constructor(scope: Construct, id: string, props: ConsoleApiProps) {
    super(scope, id);
    this.userPool = this.createUserPool(props.common.removalPolicy);
    this.client = this.userPool.addClient('Console', {
      generateSecret: false,
      authFlows: { userSrp: true },
      // The console's pages sign in through the pool's managed login: the authorization code grant (with
      // PKCE, the client being public), never the implicit grant. The URLs are the console site's, which
      // is made after this API (its /api/* behaviour points here), hence lazy.
      oAuth: {
        flows: { authorizationCodeGrant: true },
        scopes: [OAuthScope.OPENID, OAuthScope.EMAIL, OAuthScope.PROFILE],
        callbackUrls: Lazy.list({ produce: () => this.signInUrls.callback }),
        logoutUrls: Lazy.list({ produce: () => this.signInUrls.signedOut }),
      },
      supportedIdentityProviders: [UserPoolClientIdentityProvider.COGNITO],
      preventUserExistenceErrors: true,
      accessTokenValidity: Duration.hours(1),
      idTokenValidity: Duration.hours(1),
      refreshTokenValidity: Duration.hours(12),
    });
    // A code grant without a callback URL is refused at deploy; say so at synth.
    this.node.addValidation({
      validate: () =>
        this.signInUrls.callback.length > 0 ? [] : ['the console client has no callback URL (allowSignInAt)'],
    });
    this.function = new AppFunction(this, 'Function', {
      ...props.common,
      name: 'console',
      ...FUNCTIONS.console,
      envSchema: ConsoleEnvSchema,
      bindings: props.bindings,
    });
    this.api = new HttpApi(this, 'Api', {
      description: 'Aseed invites console API (Cognito JWT on every route)',
      createDefaultStage: false,
      defaultAuthorizer: new HttpUserPoolAuthorizer('Researchers', this.userPool, {
        userPoolClients: [this.client],
      }),
    });
    this.api.addRoutes({
      path: '/api/{proxy+}',
      methods: [HttpMethod.GET, HttpMethod.POST],
      integration: new HttpLambdaIntegration('Console', this.function.function),
    });
    const accessLogs = new LogGroup(this, 'AccessLogs', {
      retention: props.common.logRetention,
      removalPolicy: props.common.removalPolicy,
    });
    this.stage = new HttpStage(this, 'Stage', {
      httpApi: this.api,
      stageName: '$default',
      autoDeploy: true,
      throttle: THROTTLE,
      accessLogSettings: {
        destination: new LogGroupLogDestination(accessLogs),
        format: ACCESS_LOG_FORMAT,
      },
    });
  }

  /** Lets the managed login send the client's authorization codes to `callbackUrl` and return to `signedOutUrl`. */
  allowSignInAt(callbackUrl: string, signedOutUrl: string): void {
    this.signInUrls.callback.push(callbackUrl);
    this.signInUrls.signedOut.push(signedOutUrl);
  }

  /** Researchers sign in with an address an administrator added (`invites console-user add`). */
  private createUserPool(removalPolicy: RemovalPolicy): UserPool {
    const pool = new UserPool(this, 'Researchers', {
      selfSignUpEnabled: false,
      signInAliases: { email: true },
      // Fixed when the pool is made: Ana@x.org and ana@x.org are one researcher.
      signInCaseSensitive: false,
      autoVerify: { email: true },
      passwordPolicy: {
        minLength: 12,
        requireLowercase: true,
        requireUppercase: true,
        requireDigits: true,
        requireSymbols: true,
        tempPasswordValidity: Duration.days(3),
      },
      mfa: Mfa.REQUIRED,
      mfaSecondFactor: { otp: true, sms: false },
      accountRecovery: AccountRecovery.EMAIL_ONLY,
      featurePlan: FeaturePlan.ESSENTIALS,
      deletionProtection: removalPolicy === RemovalPolicy.RETAIN,
      removalPolicy,
    });
    Validations.of(pool).acknowledge({
      id: 'AwsSolutions::AwsSolutions-COG8',
      reason:
        "The pool holds a few administrator-created researchers with MFA required; the Plus plan (threat protection, per user per month) is the owner's choice, not a default.",
    });
    return pool;
  }
}
