// The console API from the page: same origin (`/api/...`), the signed-in researcher's token when deployed,
// and every failure as an ApiError carrying the API's own words, for the page to show where it happened.

import type { PreviewAnswer, TestSendAnswer } from '#shared/console/preview.ts';
import type { CampaignSummary, CampaignView } from '#shared/console/read.ts';
import type { UploadGrant } from '#shared/console/uploads.ts';
import type { ValidationAnswer } from '#shared/console/validation.ts';

/** A request the API (or the network) refused, with the reason to show. */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** Supplies the `Authorization` header's token; undefined locally (sign-in off). */
export type TokenSource = () => Promise<string | undefined>;

let tokenSource: TokenSource = async () => undefined;
let onSignedOut: () => void = () => {};

/** Sets where tokens come from and what to do when the API says the session ended (401). */
export const configureApi = (tokens: TokenSource, signedOut: () => void): void => {
  tokenSource = tokens;
  onSignedOut = signedOut;
};

const request = async (method: string, path: string, body?: unknown): Promise<Response> => {
  const token = await tokenSource();
  let response: Response;
  try {
    response = await fetch(path, {
      method,
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  } catch {
    throw new ApiError('the console API could not be reached: check the connection and try again', 0);
  }
  if (response.status === 401) onSignedOut();
  if (!response.ok) {
    const text = await response.text();
    let message = `HTTP ${response.status}`;
    try {
      message = (JSON.parse(text) as { error?: string; message?: string }).error ?? message;
    } catch {
      if (text) message = `${message}: ${text.slice(0, 200)}`;
    }
    throw new ApiError(message, response.status);
  }
  return response;
};

const getJson = async <T>(path: string): Promise<T> => (await (await request('GET', path)).json()) as T;
const postJson = async <T>(path: string, body: unknown): Promise<T> =>
  (await (await request('POST', path, body)).json()) as T;

/** The respondent table's query, as the page's URL holds it. */
export interface TableParams {
  statuses: string[];
  search: string;
  page: number;
  pageSize: number;
}

/** `?status=…&search=…&page=…&pageSize=…` of a table query (empty parts left out). */
export const tableQueryString = (p: TableParams): string => {
  const q = new URLSearchParams();
  if (p.statuses.length > 0) q.set('status', p.statuses.join(','));
  if (p.search) q.set('search', p.search);
  if (p.page > 1) q.set('page', String(p.page));
  q.set('pageSize', String(p.pageSize));
  return q.toString();
};

/** What `POST /api/validate` found, one row's rendered email, a test send's answer: the API's own types. */
export type { PreviewAnswer, TestSendAnswer, ValidationAnswer };

/** A campaign's input as the new-campaign page holds it. */
export interface Draft {
  csv: string;
  settings?: Record<string, unknown>;
  /** The campaign it is for: a later upload is previewed with that campaign's own settings. */
  name?: string;
}

/** The console API's calls. */
export const api = {
  campaigns: (next?: string) =>
    getJson<{ campaigns: CampaignSummary[]; next?: string }>(
      `/api/campaigns${next ? `?next=${encodeURIComponent(next)}` : ''}`,
    ),
  campaign: (id: string, table: TableParams) =>
    getJson<CampaignView>(`/api/campaigns/${encodeURIComponent(id)}?${tableQueryString(table)}`),
  /** report.csv as the CLI writes it (the page saves it as a file). */
  report: async (id: string): Promise<Blob> =>
    (await request('GET', `/api/campaigns/${encodeURIComponent(id)}/report.csv`)).blob(),
  cancel: (id: string, revokeUnstarted: boolean) =>
    postJson<{ cancelledAt: string; revokeUnstarted: boolean; batches: number }>(
      `/api/campaigns/${encodeURIComponent(id)}/cancel`,
      { revokeUnstarted },
    ),
  validate: (name: string, draft: Draft) => postJson<ValidationAnswer>('/api/validate', { name, ...draft }),
  preview: (draft: Draft, line?: number) =>
    postJson<PreviewAnswer>('/api/preview', { ...draft, ...(line ? { line } : {}) }),
  testSend: (draft: Draft, to: string, line?: number) =>
    postJson<TestSendAnswer>('/api/test-send', {
      ...draft,
      to,
      ...(line ? { line } : {}),
    }),
  /** A test send of an existing campaign's invitation, with its settings and one of its respondents. */
  testSendCampaign: (id: string, to: string, line?: number) =>
    postJson<TestSendAnswer>(`/api/campaigns/${encodeURIComponent(id)}/test-send`, {
      to,
      ...(line ? { line } : {}),
    }),
  /** Signs one upload and PUTs the file there (S3 takes it only with the signed type and length). */
  upload: async (name: string, kind: 'csv' | 'settings', file: Blob): Promise<UploadGrant> => {
    const grant = await postJson<UploadGrant>('/api/uploads', { name, kind, bytes: file.size });
    let response: Response;
    try {
      response = await fetch(grant.url, {
        method: 'PUT',
        headers: { 'content-type': grant.headers['content-type'] },
        body: file,
      });
    } catch {
      throw new ApiError(`the ${kind} upload could not reach the bucket: try again`, 0);
    }
    if (!response.ok)
      throw new ApiError(`the bucket refused the ${kind} upload (HTTP ${response.status})`, response.status);
    return grant;
  },
};
