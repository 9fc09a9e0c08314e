// Flow: Lambda function URL request (GET: the confirmation page; POST: one-click, RFC 8058) → opt-out use
// case → an HTML page with strict security headers. Nothing but a signed link ever changes anything.
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { errorFields, silentLogger } from '#shared/log.ts';
import { handleOptOut, type OptOutDeps } from '#shared/optout/optout.ts';
import { page } from '#shared/optout/pages.ts';

/** The opt-out Lambda handler. */
export type OptOutHandler = (event: APIGatewayProxyEventV2) => Promise<APIGatewayProxyStructuredResultV2>;

/** Headers of every page: no script, no framing, no caching, no referrer leaking the link. */
export const PAGE_HEADERS = {
  'content-type': 'text/html; charset=utf-8',
  'cache-control': 'no-store',
  'content-security-policy':
    "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'strict-transport-security': 'max-age=31536000',
} as const;

/** Builds the opt-out handler over injected deps: handler.ts passes the real ones, tests and local their own. */
export const createOptOutHandler =
  (deps: OptOutDeps): OptOutHandler =>
  async (event) => {
    const logger = deps.logger ?? silentLogger;
    try {
      const response = await handleOptOut(deps, {
        method: event.requestContext.http.method,
        query: event.queryStringParameters ?? {},
      });
      return { statusCode: response.status, headers: { ...PAGE_HEADERS }, body: response.html };
    } catch (error) {
      // The respondent sees a page to try again; the error goes to the logs (and the function's alarm).
      logger.error('opt-out failed', errorFields(error));
      return { statusCode: 500, headers: { ...PAGE_HEADERS }, body: page('en', 'retry') };
    }
  };
