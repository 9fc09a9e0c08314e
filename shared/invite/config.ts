// The invite side's tunables: every default in one place, resolved once into an InviteConfig.

/** Most destinations per SendBulkEmail call (SES's limit). */
export const SES_CHUNK = 50;

/** Timings and limits of the invite use case a caller may set; every field has a default (DEFAULT_INVITE). */
export interface InviteOptions {
  /** Lease of the per-project create lock; must exceed one create call's timeout by a margin. */
  lockLeaseMs?: number;
  /**
   * How long to wait for a busy create lock before failing the message for a later retry (never past the
   * deadline minus one lease). Long on purpose: the lock is not fair, so under contention an unlucky batch
   * can lose many rounds, and a failed message waits out the whole visibility timeout before it is tried again.
   */
  lockWaitMs?: number;
  /** Clock skew allowed between us and Aseed when matching rooms to a create intent. */
  reconcileSkewMs?: number;
  /** Pause before listing rooms after an unknown create outcome (a create still running may land). */
  reconcileDelayMs?: number;
  /**
   * Margin before the deadline in which no new SES call starts, so a timeout cannot fall between SES
   * accepting and us recording (the email window). It widens to twice the recent slowest send + record, up
   * to 3 × this value.
   */
  sendSafetyMs?: number;
  /**
   * Lease of a send attempt on its `sending` respondents: longer than one SES call plus the writes after it,
   * so a concurrent duplicate delivery leaves them alone while a crashed attempt's expire.
   */
  sendLeaseMs?: number;
  /**
   * How long a batch waits when sending must pause (the 24-hour quota is used up, or SES paused the account)
   * before it looks again: the delay of the message that carries it on (SQS allows up to 15 minutes).
   */
  pauseRecheckMs?: number;
}

/** Every tunable of the invite use case, resolved. */
export interface InviteConfig extends Required<InviteOptions> {
  /** Create attempts per invocation (after a 429 or an unknown outcome) before leaving it to SQS. */
  createRounds: number;
  /** Longest pause after a throttled create before the next round. */
  createThrottleMaxMs: number;
  /** Parallel single-item writes per batch. */
  writesInParallel: number;
  /** Repeats of a SendBulkEmail call SES throttled (it sent nothing), within one invocation and send lease. */
  sesThrottleRetries: number;
  /** Longest lead of a chunk's claims on its slot (also at most ¼ of the send lease). */
  claimLeadMaxMs: number;
  /** Claim time assumed for a chunk before this container has measured one. */
  claimEstimateMs: number;
  /**
   * How late after its slot a call may still go out on it. Below the schedule's headroom per call
   * (SEND_RATE_HEADROOM: ~50 ms per second of sending), so the next slot's call cannot outrun the rate.
   */
  lateToleranceMs: number;
}

/** The defaults. */
export const DEFAULT_INVITE: InviteConfig = {
  lockLeaseMs: 60_000,
  lockWaitMs: 120_000,
  reconcileSkewMs: 60_000,
  reconcileDelayMs: 1000,
  sendSafetyMs: 20_000,
  sendLeaseMs: 30_000,
  pauseRecheckMs: 900_000,
  createRounds: 3,
  createThrottleMaxMs: 5_000,
  writesInParallel: 16,
  sesThrottleRetries: 3,
  claimLeadMaxMs: 1000,
  claimEstimateMs: 250,
  lateToleranceMs: 20,
};

/** Fills the defaults in. */
export const resolveInviteConfig = (options: InviteOptions = {}): InviteConfig => ({
  ...DEFAULT_INVITE,
  lockLeaseMs: options.lockLeaseMs ?? DEFAULT_INVITE.lockLeaseMs,
  lockWaitMs: options.lockWaitMs ?? DEFAULT_INVITE.lockWaitMs,
  reconcileSkewMs: options.reconcileSkewMs ?? DEFAULT_INVITE.reconcileSkewMs,
  reconcileDelayMs: options.reconcileDelayMs ?? DEFAULT_INVITE.reconcileDelayMs,
  sendSafetyMs: options.sendSafetyMs ?? DEFAULT_INVITE.sendSafetyMs,
  sendLeaseMs: options.sendLeaseMs ?? DEFAULT_INVITE.sendLeaseMs,
  pauseRecheckMs: options.pauseRecheckMs ?? DEFAULT_INVITE.pauseRecheckMs,
});
