// Flow: HTTP API request (JWT-authorized by API Gateway in AWS) → route → console use case → JSON (or the
// report as CSV). The console reads what the CLI reads and writes only what the CLI writes (a cancel, signed
// uploads); it checks, previews and test-sends a new campaign's file as `invites send --dry-run`, `preview`
// and `test-send` do.
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { requestCancel } from '#shared/campaign/cancel.ts';
import type { TestSendPort } from '#shared/campaign/test-send.ts';
import {
  CsvTooLargeError,
  campaignFileRequestOf,
  namedCampaignFileRequestOf,
} from '#shared/console/campaign-file.ts';
import {
  previewCampaignFile,
  testRecipientOf,
  testSendCampaign,
  testSendCampaignFile,
} from '#shared/console/preview.ts';
import { type ConsoleStore, campaignList, campaignView, type TableQuery } from '#shared/console/read.ts';
import { grantUpload, type UploadPorts, uploadRequestOf } from '#shared/console/uploads.ts';
import { type PriceSource, validateCampaignFile } from '#shared/console/validation.ts';
import { PermanentError } from '#shared/errors.ts';
import type { InviteQueue } from '#shared/ingest/ports.ts';
import { type AppLogger, errorFields, silentLogger } from '#shared/log.ts';
import type { CampaignsPort, SuppressionPort } from '#shared/store/ports.ts';
import { readReport, reportCsv, reportLine } from '#shared/store/report.ts';

/** The console API's Lambda handler (HTTP API, payload 2.0). */
export type ConsoleHandler = (event: APIGatewayProxyEventV2) => Promise<APIGatewayProxyStructuredResultV2>;

/**
 * What the console API reaches: the store (reads, the suppression list, the cancel), the invite queue (cancel
 * messages), uploads, and for checking a new campaign's file the deployment's defaults, the price and SES.
 */
export interface ConsoleDeps {
  store: ConsoleStore & Pick<CampaignsPort, 'cancelCampaign'> & Pick<SuppressionPort, 'listSuppressed'>;
  queue: InviteQueue;
  /** Where signed uploads go (bucket, prefix, signer); the store is the one above. */
  uploads: Omit<UploadPorts, 'store'>;
  /** The deployment's campaign defaults (CAMPAIGN_DEFAULTS: object or JSON), as the ingest gets them. */
  campaignDefaults: unknown;
  /** The token price, for a file's cost; without it the validation says it has none. */
  price?: PriceSource;
  /** Where a test send goes out; without it the console cannot test-send. */
  testSend?: TestSendPort;
  logger?: AppLogger;
  clock?: () => number;
}

/** Every answer: never cached (it is live progress), never sniffed. */
const HEADERS = { 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' } as const;

const json = (statusCode: number, body: unknown): APIGatewayProxyStructuredResultV2 => ({
  statusCode,
  headers: { ...HEADERS, 'content-type': 'application/json; charset=utf-8' },
  body: JSON.stringify(body),
});

/** A campaign id in a path: what campaign ids are made of (base64url), nothing else. */
const ID = '([A-Za-z0-9_-]{1,64})';
const ROUTES = {
  list: /^\/api\/campaigns$/,
  view: new RegExp(`^/api/campaigns/${ID}$`),
  report: new RegExp(`^/api/campaigns/${ID}/report\\.csv$`),
  cancel: new RegExp(`^/api/campaigns/${ID}/cancel$`),
  uploads: /^\/api\/uploads$/,
  validate: /^\/api\/validate$/,
  preview: /^\/api\/preview$/,
  testSend: /^\/api\/test-send$/,
  campaignTestSend: new RegExp(`^/api/campaigns/${ID}/test-send$`),
};

/** A whole number from a query parameter; a PermanentError naming it when it is not one. */
const wholeNumber = (query: Record<string, string | undefined>, name: string): number | undefined => {
  const value = query[name];
  if (value === undefined || value === '') return undefined;
  if (!/^\d+$/.test(value)) throw new PermanentError(`${name} must be a whole number`);
  return Number(value);
};

/** The respondent table's query from `?status=a,b&search=…&page=…&pageSize=…`. */
export const tableQueryOf = (query: Record<string, string | undefined>): TableQuery => {
  const page = wholeNumber(query, 'page');
  const pageSize = wholeNumber(query, 'pageSize');
  const statuses = query.status?.split(',').filter((s) => s !== '') ?? [];
  return {
    ...(statuses.length > 0 ? { statuses } : {}),
    ...(query.search ? { search: query.search } : {}),
    ...(page !== undefined ? { page } : {}),
    ...(pageSize !== undefined ? { pageSize } : {}),
  };
};

/** The body of a POST as JSON (API Gateway may hand it over base64-encoded). */
const bodyOf = (event: APIGatewayProxyEventV2): Record<string, unknown> => {
  if (!event.body) return {};
  const text = event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
  try {
    const value = JSON.parse(text) as unknown;
    if (typeof value === 'object' && value !== null && !Array.isArray(value))
      return value as Record<string, unknown>;
  } catch {
    // Reported below.
  }
  throw new PermanentError('the request body must be a JSON object');
};

/** The largest report a Lambda response carries (its limit is 6 MB); a larger one is the CLI's. */
const MAX_REPORT_BYTES = 5_500_000;

/** report.csv of a campaign, as `invites report` writes it. */
const reportOf = async (
  deps: ConsoleDeps,
  campaignId: string,
): Promise<APIGatewayProxyStructuredResultV2> => {
  if (!(await deps.store.getCampaign(campaignId))) return json(404, { error: `no campaign ${campaignId}` });
  const csv = reportCsv((await readReport(deps.store, campaignId)).map(reportLine));
  if (Buffer.byteLength(csv) > MAX_REPORT_BYTES) {
    return json(413, {
      error: `the report is over ${MAX_REPORT_BYTES / 1_000_000} MB: write it with invites report ${campaignId} --stack <name> --out report.csv`,
    });
  }
  const headers = {
    ...HEADERS,
    'content-type': 'text/csv; charset=utf-8',
    'content-disposition': `attachment; filename="report-${campaignId}.csv"`,
  };
  return { statusCode: 200, headers, body: csv };
};

/** `invites cancel`, with or without revoking unstarted rooms; 409 with the reason when it cannot be. */
const cancelOf = async (
  deps: ConsoleDeps,
  campaignId: string,
  revokeUnstarted: boolean,
  by: string | undefined,
): Promise<APIGatewayProxyStructuredResultV2> => {
  if (!(await deps.store.getCampaign(campaignId))) return json(404, { error: `no campaign ${campaignId}` });
  // Who stopped a campaign is worth knowing afterwards: the researcher's user id, never their address.
  (deps.logger ?? silentLogger).info('campaign cancel requested', { campaignId, revokeUnstarted, by });
  const cancelDeps = { store: deps.store, queue: deps.queue, ...(deps.clock ? { clock: deps.clock } : {}) };
  const result = await requestCancel(cancelDeps, campaignId, { revokeUnstarted });
  if (result.outcome !== 'cancelled') return json(409, { error: result.reason });
  return json(200, {
    cancelledAt: result.record.cancelledAt,
    revokeUnstarted: result.record.revokeUnstarted === true,
    batches: result.messages,
  });
};

/** The file-checking routes of a new campaign: validate, preview, test send; undefined for any other. */
const checkRoute = async (
  deps: ConsoleDeps,
  path: string,
  body: () => Record<string, unknown>,
): Promise<APIGatewayProxyStructuredResultV2 | undefined> => {
  const ports = {
    store: deps.store,
    bucket: deps.uploads.bucket,
    prefix: deps.uploads.prefix,
    defaults: deps.campaignDefaults,
  };
  if (ROUTES.validate.test(path)) {
    const request = namedCampaignFileRequestOf(body());
    const nowMs = (deps.clock ?? Date.now)();
    return json(200, await validateCampaignFile({ ...ports, nowMs, ...priceOf(deps) }, request));
  }
  if (ROUTES.preview.test(path)) {
    return json(200, await previewCampaignFile(ports, campaignFileRequestOf(body())));
  }
  if (!ROUTES.testSend.test(path)) return undefined;
  if (!deps.testSend) return json(409, { error: 'test send is not available here' });
  const parsed = body();
  const request = campaignFileRequestOf(parsed);
  const sent = await testSendCampaignFile(
    { ...ports, testSend: deps.testSend },
    request,
    testRecipientOf(parsed),
  );
  return 'sent' in sent ? json(200, sent.sent) : json(502, { error: sent.refused });
};

/** A test send of an existing campaign's invitation (its settings, one of its respondents) to `to`. */
const campaignTestSendOf = async (
  deps: ConsoleDeps,
  campaignId: string,
  body: Record<string, unknown>,
): Promise<APIGatewayProxyStructuredResultV2> => {
  if (!deps.testSend) return json(409, { error: 'test send is not available here' });
  const to = testRecipientOf(body);
  if (body.line !== undefined && (typeof body.line !== 'number' || !Number.isInteger(body.line)))
    throw new PermanentError('line: a whole number, the CSV line of one of the campaign’s respondents');
  const line = typeof body.line === 'number' ? body.line : undefined;
  const sent = await testSendCampaign({ store: deps.store, testSend: deps.testSend }, campaignId, to, line);
  if (!sent) return json(404, { error: `no campaign ${campaignId}` });
  return 'sent' in sent ? json(200, sent.sent) : json(502, { error: sent.refused });
};

/** The price port, when this console has one (an optional field is left out, not undefined). */
const priceOf = (deps: ConsoleDeps) => (deps.price ? { price: deps.price } : {});

/** The signed-in researcher's user id (the JWT's `sub`), when API Gateway passed the claims on. */
const userOf = (event: APIGatewayProxyEventV2): string | undefined => {
  const context = event.requestContext as { authorizer?: { jwt?: { claims?: Record<string, unknown> } } };
  const sub = context.authorizer?.jwt?.claims?.sub;
  return typeof sub === 'string' ? sub : undefined;
};

/** Routes one request to its use case. */
const route = async (
  deps: ConsoleDeps,
  event: APIGatewayProxyEventV2,
): Promise<APIGatewayProxyStructuredResultV2> => {
  const method = event.requestContext.http.method;
  const path = event.rawPath;
  const query = event.queryStringParameters ?? {};
  if (method === 'GET' && ROUTES.list.test(path)) {
    const limit = wholeNumber(query, 'limit');
    return json(
      200,
      await campaignList(deps.store, {
        ...(limit ? { limit } : {}),
        ...(query.next ? { next: query.next } : {}),
      }),
    );
  }
  const view = ROUTES.view.exec(path)?.[1];
  if (method === 'GET' && view) {
    const found = await campaignView(deps.store, view, tableQueryOf(query));
    return found ? json(200, found) : json(404, { error: `no campaign ${view}` });
  }
  const report = ROUTES.report.exec(path)?.[1];
  if (method === 'GET' && report) return reportOf(deps, report);
  const cancel = ROUTES.cancel.exec(path)?.[1];
  if (method === 'POST' && cancel) {
    return cancelOf(deps, cancel, bodyOf(event).revokeUnstarted === true, userOf(event));
  }
  if (method === 'POST' && ROUTES.uploads.test(path)) {
    const request = uploadRequestOf(bodyOf(event));
    const grant = await grantUpload(
      { ...deps.uploads, store: deps.store },
      request,
      (deps.clock ?? Date.now)(),
    );
    return 'granted' in grant ? json(200, grant.granted) : json(409, { error: grant.refused });
  }
  const testSend = ROUTES.campaignTestSend.exec(path)?.[1];
  if (method === 'POST' && testSend) return campaignTestSendOf(deps, testSend, bodyOf(event));
  const checked = method === 'POST' ? await checkRoute(deps, path, () => bodyOf(event)) : undefined;
  if (checked) return checked;
  return json(404, { error: `no route ${method} ${path}` });
};

/** Builds the console API handler over injected deps: handler.ts passes the real ones, tests and local their own. */
export const createConsoleHandler =
  (deps: ConsoleDeps): ConsoleHandler =>
  async (event) => {
    const logger = deps.logger ?? silentLogger;
    try {
      return await route(deps, event);
    } catch (error) {
      // Bad input says what is wrong, where the page can show it; anything else is ours, and logged.
      if (error instanceof CsvTooLargeError) return json(413, { error: error.message });
      if (error instanceof PermanentError) return json(400, { error: error.message });
      logger.error('console request failed', { path: event.rawPath, ...errorFields(error) });
      return json(500, { error: 'the console could not answer: try again in a moment' });
    }
  };
