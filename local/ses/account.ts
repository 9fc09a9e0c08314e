/**
 * The SES account the strict local layer plays: its sending quota as GetAccount reports it, the maximum send
 * rate, sandbox mode with its verified identities, and paused or suspended sending. aws-ses-v2-local has
 * none of these, so without this a test could never see a throttle, a quota or a sandbox refusal.
 */

/** How the local account is set up; every field can be changed while it runs. */
export interface SesAccountSettings {
  /** Recipients per second (GetAccount MaxSendRate). */
  maxSendRate: number;
  /** Recipients per quota window; -1 = unlimited (GetAccount Max24HourSend). */
  max24HourSend: number;
  /** Recipients counted as already sent when the account was set up (GetAccount SentLast24Hours). */
  sentLast24Hours: number;
  /** Length of the rolling quota window: 24 h on SES; tests and the benchmark shorten it. */
  quotaWindowMs: number;
  /** Sandbox: only verified identities (and the mailbox simulator) may receive. */
  sandbox: boolean;
  /** Verified identities: addresses or domains. Empty = every sender is taken as verified. */
  verifiedIdentities: string[];
  /** Account-level sending paused (SendingPausedException). */
  sendingPaused: boolean;
  /** Account suspended (AccountSuspendedException). */
  suspended: boolean;
}

/** A roomy production account: what `npm test` and `invites local` get unless they ask for less. */
export const DEFAULT_SES_ACCOUNT: SesAccountSettings = {
  maxSendRate: 1000,
  max24HourSend: 1_000_000,
  sentLast24Hours: 0,
  quotaWindowMs: 86_400_000,
  sandbox: false,
  verifiedIdentities: [],
  sendingPaused: false,
  suspended: false,
};

/** Why the account refuses a whole call, as the SES v2 error it answers with. */
export interface CallRefusal {
  status: number;
  type: string;
  message: string;
}

/** The account's state: settings, the send-rate bucket and the sends inside the quota window. */
export class SesAccount {
  settings: SesAccountSettings;
  private tokens: number;
  private refilledAt: number;
  private readonly sends: Array<{ at: number; count: number }> = [];
  private readonly startedAt: number;

  constructor(
    settings: Partial<SesAccountSettings> = {},
    private readonly clock: () => number = Date.now,
  ) {
    this.settings = { ...DEFAULT_SES_ACCOUNT, ...settings };
    this.tokens = this.settings.maxSendRate;
    this.refilledAt = clock();
    this.startedAt = clock();
  }

  /** Changes settings; a new rate starts with a full bucket. */
  update(patch: Partial<SesAccountSettings>): void {
    this.settings = { ...this.settings, ...patch };
    if (patch.maxSendRate !== undefined) this.tokens = patch.maxSendRate;
  }

  /** Recipients sent inside the quota window, the set-up figure included until it ages out. */
  sentInWindow(): number {
    const since = this.clock() - this.settings.quotaWindowMs;
    while (this.sends.length > 0 && (this.sends[0] as { at: number }).at <= since) this.sends.shift();
    const carried = this.startedAt > since ? this.settings.sentLast24Hours : 0;
    return carried + this.sends.reduce((sum, send) => sum + send.count, 0);
  }

  /** Recipients the quota still allows now (Infinity when unlimited). */
  remainingQuota(): number {
    const max = this.settings.max24HourSend;
    return max < 0 ? Number.POSITIVE_INFINITY : Math.max(0, max - this.sentInWindow());
  }

  /** The GetAccount answer, shaped as SES v2 sends it. */
  describe(): Record<string, unknown> {
    const s = this.settings;
    return {
      DedicatedIpAutoWarmupEnabled: false,
      EnforcementStatus: s.suspended ? 'SHUTDOWN' : 'HEALTHY',
      ProductionAccessEnabled: !s.sandbox,
      SendingEnabled: !s.sendingPaused && !s.suspended,
      SendQuota: {
        Max24HourSend: s.max24HourSend,
        MaxSendRate: s.maxSendRate,
        SentLast24Hours: this.sentInWindow(),
      },
      SuppressionAttributes: { SuppressedReasons: ['BOUNCE', 'COMPLAINT'] },
    };
  }

  /** A refusal of the whole call (paused, suspended, over the rate), or undefined when it may proceed. */
  refuseCall(recipients: number): CallRefusal | undefined {
    if (this.settings.suspended) {
      return { status: 400, type: 'AccountSuspendedException', message: 'The account is suspended.' };
    }
    if (this.settings.sendingPaused) {
      return {
        status: 400,
        type: 'SendingPausedException',
        message: 'Email sending is disabled for this account.',
      };
    }
    if (!this.admitRate(recipients)) {
      return { status: 429, type: 'TooManyRequestsException', message: 'Maximum sending rate exceeded.' };
    }
    return undefined;
  }

  /** Counts recipients SES accepted against the quota. */
  recordSent(count: number): void {
    if (count > 0) this.sends.push({ at: this.clock(), count });
  }

  /** A recipient the sandbox lets through: verified, or a mailbox-simulator address. */
  mayReceive(address: string, isSimulator: boolean): boolean {
    return !this.settings.sandbox || isSimulator || this.isVerified(address);
  }

  /** An address covered by a verified identity (itself or its domain); true when none are configured. */
  isVerified(address: string): boolean {
    const identities = this.settings.verifiedIdentities.map((i) => i.toLowerCase());
    if (identities.length === 0 && !this.settings.sandbox) return true;
    const lower = address.toLowerCase();
    const domain = lower.slice(lower.lastIndexOf('@') + 1);
    return identities.includes(lower) || identities.includes(domain);
  }

  // A token bucket one second deep that a call may overdraw: the average stays at the rate, and a call of
  // 50 still passes at 14/s once the bucket is full, as SES lets short bursts through.
  private admitRate(recipients: number): boolean {
    const rate = this.settings.maxSendRate;
    const now = this.clock();
    this.tokens = Math.min(rate, this.tokens + ((now - this.refilledAt) / 1000) * rate);
    this.refilledAt = now;
    // 1e-6: float dust must not turn an exactly paced send into a throttle.
    if (this.tokens + 1e-6 < Math.min(recipients, rate)) return false;
    this.tokens -= recipients;
    return true;
  }
}
