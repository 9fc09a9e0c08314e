// The web console on loopback, as the stack's CloudFront serves it: the built app (unknown paths get
// index.html, for the app's own routes), `/api/*` to the real console handler, and `/local-s3/*` to the
// local bucket, so presigned uploads stay same-origin (fauxqs answers no CORS preflight).
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize } from 'node:path';
import { answerWith, type FunctionUrl, type UrlHandler } from './runtime/function-url.ts';

/** Where presigned uploads go on the console's own origin. */
export const LOCAL_S3_PATH = '/local-s3';

/** What the console server serves. */
export interface ConsoleServerOptions {
  /** The built app (index.html, assets/). */
  appDir: string;
  /** The API handler, made once the server's origin is known (uploads are signed for that origin). */
  handlerFor: (origin: string) => UrlHandler;
  /** The local S3 endpoint behind `/local-s3`. */
  s3Endpoint: string;
  /** Headers every page and file carries (the stack's CSP and security headers). */
  headers: Record<string, string>;
  port?: number;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.json': 'application/json; charset=utf-8',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
};

/** The local runtime's config.json: no sign-in, labelled local. */
const LOCAL_CONFIG = JSON.stringify({ mode: 'local' });

const bodyOf = async (request: IncomingMessage): Promise<Buffer> => {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
};

/** Passes an upload to the local bucket with the signed query and the signed headers. */
const proxyS3 = async (o: ConsoleServerOptions, request: IncomingMessage, response: ServerResponse) => {
  const target = `${o.s3Endpoint.replace(/\/$/, '')}${(request.url ?? '').slice(LOCAL_S3_PATH.length)}`;
  const headers: Record<string, string> = {};
  for (const name of ['content-type', 'content-length', 'content-md5']) {
    const value = request.headers[name];
    if (typeof value === 'string') headers[name] = value;
  }
  const method = request.method ?? 'GET';
  const body = method === 'PUT' || method === 'POST' ? await bodyOf(request) : undefined;
  const answer = await fetch(target, { method, headers, ...(body ? { body } : {}) });
  response.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'text/plain' });
  response.end(Buffer.from(await answer.arrayBuffer()));
};

/** A file of the app, or index.html for a path that is none (the app routes it). */
const serveFile = async (o: ConsoleServerOptions, path: string, response: ServerResponse) => {
  let body: Buffer;
  let type = TYPES[extname(path)];
  try {
    // A malformed escape throws here, and is answered as a file that is not there.
    const file = join(o.appDir, normalize(decodeURIComponent(path)).replace(/^(\.\.[/\\])+/, ''));
    if (!file.startsWith(o.appDir) || !type) throw new Error('not a file of the app');
    body = await readFile(file);
  } catch {
    if (extname(path) !== '') {
      response.writeHead(404, { ...o.headers, 'content-type': 'text/plain' });
      response.end('not found');
      return;
    }
    body = await readFile(join(o.appDir, 'index.html'));
    type = TYPES['.html'];
  }
  // Hashed assets never change; the page and config are looked up again each time.
  const cache = path.startsWith('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache';
  response.writeHead(200, { ...o.headers, 'content-type': type ?? 'text/plain', 'cache-control': cache });
  response.end(body);
};

/** Starts the console server on 127.0.0.1; its base URL (with a trailing slash). */
export const startConsoleServer = async (o: ConsoleServerOptions): Promise<FunctionUrl> => {
  let handler: UrlHandler | undefined;
  const server = createServer((request, response) => {
    const path = new URL(request.url ?? '/', 'http://local').pathname;
    const answer = async () => {
      if (path.startsWith('/api/') && handler) return answerWith(handler, request, response);
      if (path.startsWith(`${LOCAL_S3_PATH}/`)) return proxyS3(o, request, response);
      if (path === '/config.json') {
        response.writeHead(200, {
          ...o.headers,
          'content-type': TYPES['.json'] ?? '',
          'cache-control': 'no-store',
        });
        return void response.end(LOCAL_CONFIG);
      }
      return serveFile(o, path, response);
    };
    answer().catch((error: unknown) => {
      if (!response.headersSent) response.writeHead(502, { 'content-type': 'text/plain' });
      response.end(`the console server failed: ${error instanceof Error ? error.message : String(error)}`);
    });
  });
  await new Promise<void>((resolve) => server.listen(o.port ?? 0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}/`;
  handler = o.handlerFor(url.slice(0, -1));
  return {
    url,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
};
