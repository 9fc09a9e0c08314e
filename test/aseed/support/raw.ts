/** Raw HTTP calls to the stand-in for inputs the typed client would refuse to send. */

/** What a raw call returns: status, headers and the parsed JSON body (or the text when not JSON). */
export interface RawResult {
  status: number;
  headers: Headers;
  body: unknown;
}

/** Options of rawRequest. */
export interface RawOptions {
  /** Bearer token; omitted → no Authorization header. */
  token?: string;
  /** Sent verbatim when a string, JSON-encoded otherwise. */
  body?: unknown;
  headers?: Record<string, string>;
  fetch?: typeof fetch;
}

/** Sends one request to `baseUrl + path` with a 5 s timeout. */
export const rawRequest = async (
  baseUrl: string,
  method: string,
  path: string,
  options: RawOptions = {},
): Promise<RawResult> => {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
  let body: string | undefined;
  if (options.body !== undefined) {
    body = typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
    headers['content-type'] ??= 'application/json';
  }
  const response = await (options.fetch ?? fetch)(`${baseUrl}${path}`, {
    method,
    headers,
    body,
    signal: AbortSignal.timeout(5_000),
  });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // keep the text
  }
  return { status: response.status, headers: response.headers, body: parsed };
};
