/**
 * A reverse proxy in front of the Aseed stand-in that adds a fixed latency per route: the stand-in's own
 * `latencyMs` applies one value to every request, while the benchmark models a slow create call (100 ms)
 * and fast other calls (20 ms). The delay is added server-side, after the request body arrived, as the
 * stand-in does it, so client timeouts and connection reuse behave as against a slow server.
 */
import { Agent, createServer, type IncomingMessage, request, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Latency per route, ms. */
export interface RouteLatency {
  /** POST /api/interviews/rooms. */
  createMs: number;
  /** Every other request. */
  otherMs: number;
}

/** A running proxy. */
export interface LatencyProxy {
  /** Use as the Aseed client's baseUrl. */
  readonly baseUrl: string;
  /** Requests forwarded, by kind. */
  counts(): { create: number; other: number };
  close(): Promise<void>;
}

const isCreate = (req: IncomingMessage) =>
  req.method === 'POST' && /^\/api\/interviews\/rooms\/?(\?.*)?$/.test(req.url ?? '');

/** Starts the proxy on a free port of 127.0.0.1, forwarding to `target` (the stand-in's baseUrl). */
export const startLatencyProxy = async (target: string, latency: RouteLatency): Promise<LatencyProxy> => {
  const upstream = new URL(target);
  const agent = new Agent({ keepAlive: true, maxSockets: 256 });
  const counts = { create: 0, other: 0 };

  const forward = (req: IncomingMessage, res: ServerResponse, body: Buffer) => {
    const headers = { ...req.headers, host: upstream.host };
    const outgoing = request(
      {
        protocol: upstream.protocol,
        hostname: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path: req.url,
        headers,
        agent,
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    // The stand-in's "drop" fault cuts the connection: pass that on as a cut connection.
    outgoing.on('error', () => res.socket?.destroy());
    outgoing.end(body);
  };

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const create = isCreate(req);
      if (create) counts.create++;
      else counts.other++;
      const delay = create ? latency.createMs : latency.otherMs;
      const body = Buffer.concat(chunks);
      if (delay > 0) setTimeout(() => forward(req, res, body), delay);
      else forward(req, res, body);
    });
    res.on('error', () => undefined);
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    counts: () => ({ ...counts }),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
        agent.destroy();
      }),
  };
};
