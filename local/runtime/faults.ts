import { TooManyRequestsException } from '@aws-sdk/client-sesv2';

type SendingClient = { send: (...args: never[]) => Promise<unknown> };

/** Call counts and injected faults of an {@link instrumentClient} wrapper. */
export interface ClientInstrument<C> {
  /** The wrapped client: use it wherever the original would go. */
  client: C;
  /** `send` calls per command name (e.g. `SendBulkEmailCommand`), faulted ones included. */
  calls(): Record<string, number>;
  /** Total `send` calls. */
  totalCalls(): number;
  /** Calls failed by injection. */
  injectedFaults(): number;
}

/** Options of {@link instrumentClient}. */
export interface InstrumentOptions {
  /** Probability per call of failing with `fault()` instead of sending. */
  faultProbability?: number;
  /** The error an injected fault throws. */
  fault?: (commandName: string) => Error;
  /** Only these commands are faulted (default: all). */
  faultCommands?: readonly string[];
  /** Default Math.random; use a seeded source for reproducible runs. */
  random?: () => number;
}

/**
 * Wraps an AWS SDK v3 client to count its calls and, optionally, fail a share of them before they are sent
 * (as if the SDK's own retries had been exhausted).
 */
export const instrumentClient = <C extends SendingClient>(
  client: C,
  options: InstrumentOptions = {},
): ClientInstrument<C> => {
  const counts: Record<string, number> = {};
  let injected = 0;
  const random = options.random ?? Math.random;
  const wrapped = new Proxy(client, {
    get(target, property) {
      const value = Reflect.get(target, property, target);
      if (typeof value !== 'function') return value;
      if (property !== 'send') return value.bind(target);
      return async (...args: unknown[]) => {
        const name =
          (args[0] as { constructor?: { name?: string } } | undefined)?.constructor?.name ?? 'unknown';
        counts[name] = (counts[name] ?? 0) + 1;
        const eligible = !options.faultCommands || options.faultCommands.includes(name);
        if (
          eligible &&
          options.fault &&
          (options.faultProbability ?? 0) > 0 &&
          random() < (options.faultProbability ?? 0)
        ) {
          injected += 1;
          throw options.fault(name);
        }
        return value.apply(target, args);
      };
    },
  });
  return {
    client: wrapped,
    calls: () => ({ ...counts }),
    totalCalls: () => Object.values(counts).reduce((sum, n) => sum + n, 0),
    injectedFaults: () => injected,
  };
};

/** The error SES v2 returns when the sending rate is exceeded (HTTP 429), as the SDK surfaces it. */
export const sesThrottlingError = (): TooManyRequestsException =>
  new TooManyRequestsException({
    message: 'Maximum sending rate exceeded (simulated by the local runtime).',
    $metadata: { httpStatusCode: 429, attempts: 3 },
  });

/** An SES v2 client whose send calls (SendEmail/SendBulkEmail) are throttled with `probability`. */
export const throttledSes = <C extends SendingClient>(
  ses: C,
  probability: number,
  random?: () => number,
): ClientInstrument<C> =>
  instrumentClient(ses, {
    faultProbability: probability,
    fault: sesThrottlingError,
    faultCommands: ['SendEmailCommand', 'SendBulkEmailCommand'],
    ...(random ? { random } : {}),
  });
