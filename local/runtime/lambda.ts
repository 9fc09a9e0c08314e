import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import type { Context } from 'aws-lambda';
import { mulberry32 } from '#local/standin/faults.ts';

/** A Lambda handler as the local runtime calls it (async style, no callback). */
export type LambdaHandler<E, R = unknown> = (event: E, context: Context) => Promise<R>;

/** Thrown into a handler when the local runtime kills its invocation (simulated crash or timeout). */
export class SimulatedCrash extends Error {
  override name = 'SimulatedCrash';
}

/** Deterministic PRNG (the stand-in's mulberry32) so faulted runs replay with the same seed. Returns [0, 1). */
export const seededRandom: (seed: number) => () => number = mulberry32;

/**
 * When invocations crash. `per-invocation`: each invocation crashes with `probability`, at a random wrapped
 * call (before or after it) or, if it makes no more calls, just before it returns. `per-call`: every
 * wrapped call crashes the invocation with `probability`, before or after the call really happens.
 */
export interface CrashPolicy {
  probability: number;
  mode?: 'per-invocation' | 'per-call';
  /** Source of randomness; default Math.random. Use {@link seededRandom} for reproducible runs. */
  random?: () => number;
  /** Per-call chance of a doomed per-invocation crash firing at a given call (default 0.35). */
  hazard?: number;
  /** Observer, e.g. for a run summary. */
  onCrash?: (crash: CrashRecord) => void;
}

/** Where a simulated crash hit. */
export interface CrashRecord {
  invocationId: string;
  functionName: string;
  /** e.g. `before SendBulkEmailCommand`, `after createRooms`, `before return`. */
  point: string;
}

/** State of one running invocation, reachable from wrapped clients through AsyncLocalStorage. */
export interface Invocation {
  readonly id: string;
  readonly functionName: string;
  readonly deadline: number;
  /** Set once the invocation is dead; every later wrapped call throws {@link SimulatedCrash}. */
  dead?: { reason: 'crash' | 'timeout'; point: string };
  readonly crash?: CrashPolicy;
  /** per-invocation mode: this invocation is doomed to crash. */
  readonly doomed: boolean;
}

const storage = new AsyncLocalStorage<Invocation>();

/** The invocation the current async context belongs to, if any. */
export const currentInvocation = (): Invocation | undefined => storage.getStore();

const kill = (invocation: Invocation, reason: 'crash' | 'timeout', point: string): SimulatedCrash => {
  if (!invocation.dead) {
    invocation.dead = { reason, point };
    if (reason === 'crash') {
      invocation.crash?.onCrash?.({
        invocationId: invocation.id,
        functionName: invocation.functionName,
        point,
      });
    }
  }
  return new SimulatedCrash(
    `invocation ${invocation.id} ${invocation.dead.reason} (${invocation.dead.point})`,
  );
};

const rollCrash = (invocation: Invocation): boolean => {
  const policy = invocation.crash;
  if (!policy || policy.probability <= 0) return false;
  const random = policy.random ?? Math.random;
  if ((policy.mode ?? 'per-invocation') === 'per-call') return random() < policy.probability;
  return invocation.doomed && random() < (policy.hazard ?? 0.35);
};

/** Throws if the current invocation is dead; may kill it here, at `point`. No-op outside invocations. */
export const crashPoint = (point: string): void => {
  const invocation = currentInvocation();
  if (!invocation) return;
  if (invocation.dead) throw kill(invocation, invocation.dead.reason, invocation.dead.point);
  if (rollCrash(invocation)) throw kill(invocation, 'crash', point);
};

/** Runs `call` as a crashable side effect: the invocation may die just before or just after it. */
export const crashable = async <T>(label: string, call: () => Promise<T>): Promise<T> => {
  crashPoint(`before ${label}`);
  const result = await call();
  // A call that outlived its invocation (timeout) must not hand its result back to dead code.
  crashPoint(`after ${label}`);
  return result;
};

/**
 * Wraps an AWS SDK v3 client so `send()` is crashable inside local invocations (the command name is the
 * crash point label). Outside an invocation the client behaves normally.
 */
export const crashableClient = <C extends { send: (...args: never[]) => Promise<unknown> }>(client: C): C =>
  new Proxy(client, {
    get(target, property) {
      const value = Reflect.get(target, property, target);
      if (typeof value !== 'function') return value;
      if (property !== 'send') return value.bind(target);
      return (...args: unknown[]) => {
        const command = args[0] as { constructor?: { name?: string } } | undefined;
        const label = command?.constructor?.name ?? 'send';
        return crashable(label, () => value.apply(target, args));
      };
    },
  });

/** The part of an SDK v3 client that {@link installCrashPoints} needs (loose: the SDK's `add` is overloaded). */
interface MiddlewareClient {
  middlewareStack: { add: (...args: never[]) => unknown };
}

type InitializeMiddleware = (
  next: (args: unknown) => Promise<unknown>,
  context: { commandName?: string },
) => (args: unknown) => Promise<unknown>;

/**
 * Makes every command of an SDK v3 client crashable in place, through a middleware. Unlike
 * {@link crashableClient} this also covers a `DynamoDBDocumentClient` built from the client (they share one
 * middleware stack). Outside an invocation the middleware does nothing.
 */
export const installCrashPoints = <C extends MiddlewareClient>(client: C): C => {
  const middleware: InitializeMiddleware = (next, context) => (args) =>
    crashable(context.commandName ?? 'send', () => next(args));
  const add = client.middlewareStack.add as unknown as (m: InitializeMiddleware, options: object) => void;
  add.call(client.middlewareStack, middleware, {
    step: 'initialize',
    name: 'localRuntimeCrashPoints',
    override: true,
  });
  return client;
};

/**
 * Wraps an object whose methods are async (e.g. `AseedClient`) so each listed method (default: every
 * function property) is crashable inside local invocations.
 */
export const crashableObject = <T extends object>(target: T, methods?: readonly (keyof T & string)[]): T =>
  new Proxy(target, {
    get(object, property) {
      // Read and call on the target itself: classes with #private fields (AseedClient) reject a proxy `this`.
      const value = Reflect.get(object, property, object);
      if (typeof value !== 'function') return value;
      const wrap =
        typeof property === 'string' &&
        property !== 'constructor' &&
        (!methods || methods.includes(property as keyof T & string));
      if (!wrap) return value.bind(object);
      return (...args: unknown[]) => crashable(property, () => Promise.resolve(value.apply(object, args)));
    },
  });

/** Builds a Lambda `Context` whose remaining time follows `deadline`. */
export const makeLambdaContext = (functionName: string, awsRequestId: string, deadline: number): Context => ({
  callbackWaitsForEmptyEventLoop: true,
  functionName,
  functionVersion: '$LATEST',
  invokedFunctionArn: `arn:aws:lambda:us-east-1:000000000000:function:${functionName}`,
  memoryLimitInMB: '512',
  awsRequestId,
  logGroupName: `/aws/lambda/${functionName}`,
  logStreamName: `local/${awsRequestId}`,
  getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
  done: () => undefined,
  fail: () => undefined,
  succeed: () => undefined,
});

/** How one invocation ended. A crash or timeout means Lambda never got (or ignored) a result. */
export type InvocationOutcome<R> =
  | { kind: 'ok'; id: string; result: R; durationMs: number }
  | { kind: 'error'; id: string; error: unknown; durationMs: number }
  | { kind: 'crash'; id: string; point: string; durationMs: number }
  | { kind: 'timeout'; id: string; durationMs: number };

/** Options of {@link invoke}. */
export interface InvokeOptions {
  functionName: string;
  /** Function timeout (ms): past it the invocation is abandoned and its result ignored. */
  timeoutMs: number;
  crash?: CrashPolicy;
  /** Receives the still-running promise of an abandoned (timed-out) invocation, so callers can await it. */
  onAbandoned?: (pending: Promise<unknown>) => void;
}

/**
 * Invokes `handler` as Lambda would, inside an invocation scope: a handler that outlives `timeoutMs` is
 * abandoned (Lambda would kill it; here its next crashable call throws), and a crash that the handler
 * swallowed (e.g. a batch processor catching per-record errors) still counts as a crash.
 */
export const invoke = async <E, R>(
  handler: LambdaHandler<E, R>,
  event: E,
  options: InvokeOptions,
): Promise<InvocationOutcome<R>> => {
  const id = randomUUID();
  const startedAt = Date.now();
  const deadline = startedAt + options.timeoutMs;
  const policy = options.crash;
  const doomed =
    !!policy &&
    (policy.mode ?? 'per-invocation') === 'per-invocation' &&
    (policy.random ?? Math.random)() < policy.probability;
  const invocation: Invocation = {
    id,
    functionName: options.functionName,
    deadline,
    doomed,
    ...(policy ? { crash: policy } : {}),
  };
  const context = makeLambdaContext(options.functionName, id, deadline);

  const running = storage.run(invocation, async () => {
    const result = await handler(event, context);
    // A doomed invocation that made no crashable call after its draw dies before returning its result.
    if (invocation.doomed && !invocation.dead) throw kill(invocation, 'crash', 'before return');
    return result;
  });
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), options.timeoutMs);
  });
  const settled = running.then(
    (result) => ({ ok: true as const, result }),
    (error: unknown) => ({ ok: false as const, error }),
  );
  const first = await Promise.race([settled, timedOut]);
  clearTimeout(timer);
  const durationMs = Date.now() - startedAt;

  if (first === 'timeout') {
    kill(invocation, 'timeout', 'function timeout');
    options.onAbandoned?.(settled);
    return { kind: 'timeout', id, durationMs };
  }
  if (invocation.dead) {
    return invocation.dead.reason === 'timeout'
      ? { kind: 'timeout', id, durationMs }
      : { kind: 'crash', id, point: invocation.dead.point, durationMs };
  }
  return first.ok
    ? { kind: 'ok', id, result: first.result, durationMs }
    : { kind: 'error', id, error: first.error, durationMs };
};

/**
 * A handler that runs each concurrent invocation on its own instance from `create`, reusing idle ones, as
 * Lambda runs each concurrent invocation in its own container with its own module state (e.g. the invite
 * handler's slowest-send timing): sharing one instance would mix their state.
 */
export const containerPool = <E, R>(create: () => LambdaHandler<E, R>): LambdaHandler<E, R> => {
  const idle: Array<LambdaHandler<E, R>> = [];
  return async (event, context) => {
    const handler = idle.pop() ?? create();
    try {
      return await handler(event, context);
    } finally {
      idle.push(handler);
    }
  };
};
