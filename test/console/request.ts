// Payload-2.0 events of the HTTP API, as API Gateway hands them to the console function.
import type { APIGatewayProxyEventV2 } from 'aws-lambda';

/** A payload-2.0 event of `method path?query` (with a JSON body). */
export const request = (method: string, target: string, body?: unknown): APIGatewayProxyEventV2 => {
  const url = new URL(target, 'https://console.example');
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    headers: {},
    ...(url.search ? { queryStringParameters: Object.fromEntries(url.searchParams) } : {}),
    requestContext: { http: { method, path: url.pathname } } as APIGatewayProxyEventV2['requestContext'],
    isBase64Encoded: false,
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  };
};
