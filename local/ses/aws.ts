// `invites local --ses aws`: the invite side sends through a real SES account (the AWS SDK's default
// credential chain) while S3, SQS, DynamoDB and the Aseed API stay local. The preflight reads the account
// before anything starts, so missing credentials, a missing region or a missing permission are one clear
// sentence instead of a campaign whose respondents all fail.
import { GetAccountCommand, SESv2Client } from '@aws-sdk/client-sesv2';
import { type SendQuota, sendQuotaOf } from '#shared/mail/quota.ts';

/** Options of the real SES a local run sends through. */
export interface RealSesOptions {
  /** AWS region of the SES account; default: the SDK's (AWS_REGION, the profile). */
  region?: string;
}

/** What the preflight found: the client to send with, and the account as GetAccount reports it. */
export interface RealSes {
  client: SESv2Client;
  region: string;
  quota: SendQuota;
  /** False while the account is in the SES sandbox (only verified identities and the simulator receive). */
  productionAccess: boolean;
}

/** Raised when the real SES account cannot be used; the message says what to fix. */
export class RealSesError extends Error {
  override name = 'RealSesError';
}

/** Builds the client and reads the account (ses:GetAccount); throws a {@link RealSesError} saying why not. */
export const connectRealSes = async (options: RealSesOptions): Promise<RealSes> => {
  // As the deployed function's client (functions/invite/deps.ts): two attempts of at most 10 s stay inside
  // the 30 s send lease, so a redelivered batch never sends again while a call may still land.
  const client = new SESv2Client({
    ...(options.region ? { region: options.region } : {}),
    requestHandler: { requestTimeout: 10_000, connectionTimeout: 3_000 },
    maxAttempts: 2,
  });
  try {
    const region = await client.config.region().catch(() => '');
    if (!region) throw new RealSesError('no AWS region: pass --region or set AWS_REGION');
    const account = await client.send(new GetAccountCommand({}));
    return {
      client,
      region,
      quota: sendQuotaOf(account),
      productionAccess: account.ProductionAccessEnabled ?? false,
    };
  } catch (error) {
    client.destroy();
    if (error instanceof RealSesError) throw error;
    throw new RealSesError(`cannot read the SES account (ses:GetAccount): ${explain(error)}`, {
      cause: error,
    });
  }
};

const explain = (error: unknown): string => {
  const name = (error as { name?: string }).name ?? '';
  const message = (error as Error).message ?? String(error);
  if (/CredentialsProviderError|Could not load credentials/i.test(`${name} ${message}`))
    return 'no AWS credentials found (set AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)';
  if (/AccessDenied|UnrecognizedClient|InvalidClientToken|SignatureDoesNotMatch/i.test(name))
    return `${name}: ${message} (the caller needs ses:GetAccount and ses:SendBulkEmail)`;
  return `${name ? `${name}: ` : ''}${message}`;
};

/**
 * Invite visibility timeout (= function timeout, s) for a run against `ses`: room for the deployed send lease
 * (30 s) and safety margin (20 s), and for a batch of 100 at the account's rate, twice over.
 */
export const realSesVisibilitySeconds = (ses: RealSes): number =>
  Math.max(120, Math.ceil((2 * 100) / Math.max(ses.quota.maxSendRate, 0.1)) + 60);

/** One paragraph about the account, printed before the run. */
export const describeRealSes = (ses: RealSes): string => {
  const { quota } = ses;
  const daily = Number.isFinite(quota.max24HourSend)
    ? `${quota.sentLast24Hours} of ${quota.max24HourSend} sent in the last 24 hours`
    : 'no 24-hour quota';
  return [
    `SES in ${ses.region}: ${ses.productionAccess ? 'production access' : 'SANDBOX (only verified addresses and the mailbox simulator receive)'}, ` +
      `${quota.maxSendRate}/s, ${daily}${quota.sendingEnabled ? '' : ', SENDING PAUSED'}.`,
    "Emails go out for real. The mailbox simulator (success@, bounce@, complaint@simulator.amazonses.com) tests outcomes without touching the account's reputation.",
    '',
  ].join('\n');
};
