// The SES account's sending quota as GetAccount reports it, cached: the invite side paces at its MaxSendRate
// and waits, rather than fails, when the 24-hour quota would be passed.
import { GetAccountCommand, type GetAccountCommandOutput, type SESv2Client } from '@aws-sdk/client-sesv2';

/** The account's sending limits (SES v2 GetAccount `SendQuota`, `SendingEnabled`). */
export interface SendQuota {
  /** Recipients per second. */
  maxSendRate: number;
  /** Recipients per 24 hours; Infinity when unlimited (SES reports -1). */
  max24HourSend: number;
  sentLast24Hours: number;
  sendingEnabled: boolean;
}

/** Where the quota is read from (a port: SES's GetAccount, or a fixed one in tests). */
export interface QuotaSource {
  read(): Promise<SendQuota>;
}

/** The quota in a GetAccount answer. */
export const sendQuotaOf = (account: GetAccountCommandOutput): SendQuota => {
  const quota = account.SendQuota ?? {};
  const max = quota.Max24HourSend ?? -1;
  return {
    maxSendRate: quota.MaxSendRate ?? 1,
    max24HourSend: max < 0 ? Number.POSITIVE_INFINITY : max,
    sentLast24Hours: quota.SentLast24Hours ?? 0,
    sendingEnabled: account.SendingEnabled ?? true,
  };
};

/** GetAccount through an SES v2 client. */
export const sesQuotaSource = (client: SESv2Client): QuotaSource => ({
  read: async () => sendQuotaOf(await client.send(new GetAccountCommand({}))),
});

/** How often the cached quota is read again by default. */
export const QUOTA_REFRESH_MS = 180_000;

/**
 * The quota, read at most every `refreshMs`, with this container's own sends since the read added to
 * SentLast24Hours (SES's figure lags, and several containers send at once: a send SES refuses for the quota
 * pauses the campaign anyway, so this estimate only saves calls).
 */
export class AccountQuota {
  private cached: { quota: SendQuota; readAt: number } | undefined;
  private sentSinceRead = 0;
  private readonly refreshMs: number;
  private readonly clock: () => number;

  constructor(
    private readonly source: QuotaSource,
    options: { refreshMs?: number; clock?: () => number } = {},
  ) {
    this.refreshMs = options.refreshMs ?? QUOTA_REFRESH_MS;
    this.clock = options.clock ?? Date.now;
  }

  /** The quota now, with `remaining`: recipients the 24-hour quota still allows. */
  async current(): Promise<SendQuota & { remaining: number }> {
    if (!this.cached || this.clock() - this.cached.readAt >= this.refreshMs) {
      this.cached = { quota: await this.source.read(), readAt: this.clock() };
      this.sentSinceRead = 0;
    }
    const { quota } = this.cached;
    const sent = quota.sentLast24Hours + this.sentSinceRead;
    return { ...quota, remaining: Math.max(0, quota.max24HourSend - sent) };
  }

  /** Counts recipients SES accepted since the last read. */
  noteSent(count: number): void {
    this.sentSinceRead += count;
  }

  /** Forgets the cached read (after SES refused a send for the quota or a pause: its figure is stale). */
  invalidate(): void {
    this.cached = undefined;
  }
}
