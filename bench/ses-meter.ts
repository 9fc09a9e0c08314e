/**
 * Meters an SES v2 client for the benchmarks: counts calls and recipients, records when each send was
 * accepted, and (optionally) emulates the account's maximum send rate, which the SES emulator lacks: a
 * token bucket of `ratePerSecond` recipients per second holding at most `burstSeconds` worth; a send that
 * finds too few tokens fails with SES's TooManyRequestsException (HTTP 429) before reaching the emulator.
 * Every such failure is a throttle the pipeline saw.
 */
import { type SESv2Client, TooManyRequestsException } from '@aws-sdk/client-sesv2';

/** Options of {@link meterSes}. */
export interface SesMeterOptions {
  /** Emulated maximum send rate (recipients/s); unset = unlimited, nothing is throttled. */
  ratePerSecond?: number;
  /** Bucket size in seconds of the rate (default 1: SES tolerates short bursts, not sustained excess). */
  burstSeconds?: number;
  clock?: () => number;
}

/** One send SES accepted. */
export interface AcceptedSend {
  /** performance.now() when the call was admitted. */
  at: number;
  recipients: number;
}

/** Counters of a metered client. */
export interface SesMeterStats {
  /** Calls per command name (SendBulkEmailCommand, SendEmailCommand…), throttled ones included. */
  calls: Record<string, number>;
  /** Send calls (SendEmail + SendBulkEmail), throttled ones included. */
  sendCalls: number;
  /** Recipients in send calls that were admitted. */
  recipientsAdmitted: number;
  /** Send calls refused by the emulated rate limit. */
  throttles: number;
}

/** A metered client plus its counters. */
export interface SesMeter {
  client: SESv2Client;
  stats(): SesMeterStats;
  /** Every admitted send, in order. */
  accepted(): AcceptedSend[];
  /** Fails every later send (a time-boxed run ends without waiting for paced invocations to finish). */
  close(): void;
}

const recipientsOf = (name: string, input: Record<string, unknown>): number => {
  if (name === 'SendBulkEmailCommand') return (input.BulkEmailEntries as unknown[] | undefined)?.length ?? 0;
  const destination = input.Destination as
    | { ToAddresses?: string[]; CcAddresses?: string[]; BccAddresses?: string[] }
    | undefined;
  return (
    (destination?.ToAddresses?.length ?? 0) +
    (destination?.CcAddresses?.length ?? 0) +
    (destination?.BccAddresses?.length ?? 0)
  );
};

/** Wraps `client` (a Proxy: every other property and method stays the client's own). */
export const meterSes = (client: SESv2Client, options: SesMeterOptions = {}): SesMeter => {
  const clock = options.clock ?? (() => performance.now());
  const rate = options.ratePerSecond;
  const capacity = rate === undefined ? Number.POSITIVE_INFINITY : rate * (options.burstSeconds ?? 1);
  let tokens = capacity;
  let refilledAt = clock();
  const stats: SesMeterStats = { calls: {}, sendCalls: 0, recipientsAdmitted: 0, throttles: 0 };
  const accepted: AcceptedSend[] = [];
  let closed = false;

  const admit = (recipients: number): boolean => {
    if (rate === undefined) return true;
    const now = clock();
    tokens = Math.min(capacity, tokens + ((now - refilledAt) / 1000) * rate);
    refilledAt = now;
    // 1e-6: float dust must not turn an exactly paced send into a throttle.
    if (tokens + 1e-6 < recipients) return false;
    tokens -= recipients;
    return true;
  };

  const metered = new Proxy(client, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver);
      if (property !== 'send' || typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        const command = args[0] as { constructor: { name: string }; input: Record<string, unknown> };
        const name = command.constructor.name;
        stats.calls[name] = (stats.calls[name] ?? 0) + 1;
        if (name === 'SendBulkEmailCommand' || name === 'SendEmailCommand') {
          if (closed) return Promise.reject(new Error('benchmark window closed'));
          stats.sendCalls++;
          const recipients = recipientsOf(name, command.input);
          if (!admit(recipients)) {
            stats.throttles++;
            return Promise.reject(
              new TooManyRequestsException({
                message: 'Maximum sending rate exceeded.',
                $metadata: { httpStatusCode: 429 },
              }),
            );
          }
          stats.recipientsAdmitted += recipients;
          accepted.push({ at: clock(), recipients });
        }
        return value.apply(target, args);
      };
    },
  });
  return {
    client: metered,
    stats: () => structuredClone(stats),
    accepted: () => [...accepted],
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
