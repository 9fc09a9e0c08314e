/**
 * Meters an SES v2 client for the benchmarks: counts calls, the recipients SES accepted and the throttles it
 * answered, and records when each accepted send was made. The limits themselves (MaxSendRate with HTTP 429,
 * the 24-hour quota per entry, pauses) are the strict local SES layer's (local/ses/): the meter only watches.
 */
import type { SESv2Client } from '@aws-sdk/client-sesv2';

/** One send SES accepted. */
export interface AcceptedSend {
  /** performance.now() when SES's answer came. */
  at: number;
  /** Recipients SES accepted in it (entries with status SUCCESS). */
  recipients: number;
}

/** Counters of a metered client. */
export interface SesMeterStats {
  /** Calls per command name (SendBulkEmailCommand, GetAccountCommand…), refused ones included. */
  calls: Record<string, number>;
  /** Send calls (SendEmail + SendBulkEmail), refused ones included. */
  sendCalls: number;
  /** Recipients SES accepted. */
  recipientsAdmitted: number;
  /** Attempts SES refused with TooManyRequestsException (over MaxSendRate), SDK retries included. */
  throttles: number;
  /** Bulk entries SES held back for the 24-hour quota (ACCOUNT_DAILY_QUOTA_EXCEEDED). */
  quotaHeld: number;
}

/** A metered client plus its counters. */
export interface SesMeter {
  client: SESv2Client;
  stats(): SesMeterStats;
  /** Every accepted send, in order. */
  accepted(): AcceptedSend[];
  /** Fails every later send (a time-boxed run ends without waiting for paced invocations to finish). */
  close(): void;
}

type SendResult = { BulkEmailEntryResults?: Array<{ Status?: string }>; MessageId?: string };

/** Wraps `client` (a Proxy: every other property and method stays the client's own). */
export const meterSes = (client: SESv2Client, clock: () => number = () => performance.now()): SesMeter => {
  const stats: SesMeterStats = { calls: {}, sendCalls: 0, recipientsAdmitted: 0, throttles: 0, quotaHeld: 0 };
  const accepted: AcceptedSend[] = [];
  let closed = false;

  const settle = (at: number, result: SendResult) => {
    const entries = result.BulkEmailEntryResults;
    const recipients = entries ? entries.filter((e) => e.Status === 'SUCCESS').length : 1;
    stats.quotaHeld += entries?.filter((e) => e.Status === 'ACCOUNT_DAILY_QUOTA_EXCEEDED').length ?? 0;
    stats.recipientsAdmitted += recipients;
    if (recipients > 0) accepted.push({ at, recipients });
  };
  // Every attempt's 429, the ones the SDK retried itself included: below its retry step.
  client.middlewareStack.add(
    (next) => async (args) => {
      try {
        return await next(args);
      } catch (error) {
        const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
        if ((error as Error).name === 'TooManyRequestsException' || status === 429) stats.throttles++;
        throw error;
      }
    },
    { step: 'finalizeRequest', priority: 'low', name: 'benchCountThrottles' },
  );
  const metered = new Proxy(client, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver);
      if (property !== 'send' || typeof value !== 'function') return value;
      return async (...args: unknown[]) => {
        const name = (args[0] as { constructor: { name: string } }).constructor.name;
        stats.calls[name] = (stats.calls[name] ?? 0) + 1;
        if (name !== 'SendBulkEmailCommand' && name !== 'SendEmailCommand') return value.apply(target, args);
        if (closed) throw new Error('benchmark window closed');
        stats.sendCalls++;
        const result = (await value.apply(target, args)) as SendResult;
        settle(clock(), result);
        return result;
      };
    },
  });
  return {
    client: metered,
    stats: () => structuredClone(stats),
    accepted: () => [...accepted].sort((a, b) => a.at - b.at),
    close: () => {
      closed = true;
    },
  };
};

/**
 * Send rate achieved by a run of admitted sends: the recipients after the first send divided by the time
 * from the first to the last send. (The first send's recipients went out at the start of the window, so
 * counting them would overstate a perfectly paced sender: 20 calls of 50 at 50/s span 19 s, not 20.)
 */
export const achievedRate = (sends: readonly AcceptedSend[]): number | undefined => {
  if (sends.length < 2) return undefined;
  const first = sends[0] as AcceptedSend;
  const last = sends[sends.length - 1] as AcceptedSend;
  const seconds = (last.at - first.at) / 1000;
  if (seconds <= 0) return undefined;
  const recipients = sends.slice(1).reduce((sum, send) => sum + send.recipients, 0);
  return recipients / seconds;
};
