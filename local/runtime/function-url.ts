// A Lambda function URL on loopback: each HTTP request becomes the event a function URL delivers (payload
// 2.0), and the handler's structured result becomes the response, so the real handler serves locally.
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';

/** A function URL's handler. */
export type UrlHandler = (event: APIGatewayProxyEventV2) => Promise<APIGatewayProxyStructuredResultV2>;

/** The running endpoint: its base URL (with a trailing slash) and how to stop it. */
export interface FunctionUrl {
  url: string;
  close(): Promise<void>;
}

const bodyOf = async (request: IncomingMessage): Promise<Buffer> => {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
};

/** The payload-2.0 event of one request (headers lower-cased, the body base64 as Lambda sends it). */
const eventOf = (request: IncomingMessage, body: Buffer, host: string): APIGatewayProxyEventV2 => {
  const url = new URL(request.url ?? '/', `http://${host}`);
  const headers = Object.fromEntries(
    Object.entries(request.headers).map(([name, value]) => [
      name,
      Array.isArray(value) ? value.join(',') : (value ?? ''),
    ]),
  );
  const method = request.method ?? 'GET';
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    headers,
    ...(url.search ? { queryStringParameters: Object.fromEntries(url.searchParams) } : {}),
    requestContext: {
      accountId: 'anonymous',
      apiId: 'local',
      domainName: host,
      domainPrefix: 'local',
      http: {
        method,
        path: url.pathname,
        protocol: 'HTTP/1.1',
        sourceIp: '127.0.0.1',
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: randomUUID(),
      routeKey: '$default',
      stage: '$default',
      time: new Date().toISOString(),
      timeEpoch: Date.now(),
    },
    ...(body.length > 0
      ? { body: body.toString('base64'), isBase64Encoded: true }
      : { isBase64Encoded: false }),
  };
};

/** Answers one HTTP request with `handler`, as a function URL does (502 when the function throws). */
export const answerWith = async (
  handler: UrlHandler,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> => {
  try {
    const result = await handler(
      eventOf(request, await bodyOf(request), request.headers.host ?? '127.0.0.1'),
    );
    response.writeHead(result.statusCode ?? 200, result.headers as Record<string, string>);
    response.end(result.body ?? '');
  } catch (error) {
    response.writeHead(502, { 'content-type': 'text/plain' });
    response.end(`the function failed: ${error instanceof Error ? error.message : String(error)}`);
  }
};

/** Serves `handler` on 127.0.0.1 (an ephemeral port unless `port` is given). */
export const startFunctionUrl = async (handler: UrlHandler, port = 0): Promise<FunctionUrl> => {
  const server = createServer((request, response) => void answerWith(handler, request, response));
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const { port: bound } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${bound}/`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
};
