/**
 * Contract checking against the published OpenAPI file (a verbatim copy in test/fixtures/aseed/) with ajv's
 * JSON Schema 2020-12 validator: OpenAPI 3.1 schemas are 2020-12 schemas, so the spec's own schemas (and their
 * `$ref`s) are used as they are, addressed by JSON pointer into the document. No field is checked by hand.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import ajvFormats from 'ajv-formats';

/** The published interviews schema, copied byte for byte from the contract folder. */
export const SPEC_PATH = join(
  import.meta.dirname,
  '..',
  '..',
  'fixtures',
  'aseed',
  'openapi-interviews.json',
);

type Json = Record<string, unknown>;
interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header';
  required?: boolean;
}
interface Operation {
  parameters?: Parameter[];
  requestBody?: { required?: boolean };
  responses: Record<string, unknown>;
  security?: unknown[];
}

/** The parsed OpenAPI document. */
export const spec = JSON.parse(readFileSync(SPEC_PATH, 'utf8')) as {
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, Json> };
};

/**
 * Our documented choice for the status codes the spec leaves out (api.md §4: everything but 422 is
 * `{"detail": "<string>"}` in FastAPI). Used only for statuses the operation does not declare.
 */
export const STRING_DETAIL_SCHEMA = {
  type: 'object',
  properties: { detail: { type: 'string' } },
  required: ['detail'],
} as const;

/** Copy of the spec where every object schema forbids properties it does not declare. */
const closeObjects = (node: unknown): unknown => {
  if (Array.isArray(node)) return node.map(closeObjects);
  if (typeof node !== 'object' || node === null) return node;
  const copy: Json = {};
  for (const [key, value] of Object.entries(node)) copy[key] = closeObjects(value);
  if ('properties' in copy && !('additionalProperties' in copy)) copy.additionalProperties = false;
  return copy;
};

const LENIENT_ID = 'https://contract.test/openapi-interviews.json';
const STRICT_ID = 'https://contract.test/openapi-interviews.strict.json';

// strict: false because the document is an OpenAPI file, not a bare schema: its non-schema keywords
// (openapi, info, paths, responses...) must be ignored. Formats stay validated (see FORMATS test).
const ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: true });
// ajv-formats is CommonJS: under NodeNext its callable export is `.default` (also set at runtime).
ajvFormats.default(ajv);
ajv.addSchema({ ...spec, $id: LENIENT_ID });
const strictSpec = closeObjects(spec) as typeof spec;
// api.md §4: newer Pydantic adds `input` and sometimes `ctx` to each 422 item; the strict copy allows exactly those.
const validationError = strictSpec.components.schemas.ValidationError as { properties: Json };
validationError.properties = { ...validationError.properties, input: {}, ctx: { type: 'object' } };
ajv.addSchema({ ...strictSpec, $id: STRICT_ID });
ajv.addSchema({ ...STRING_DETAIL_SCHEMA, $id: 'https://contract.test/string-detail.json' });

/** Formats the validator knows, to prove no `format` in the spec is silently skipped. */
export const knownFormats = (): string[] => Object.keys(ajv.formats);

const pointer = (...parts: string[]) =>
  parts.map((part) => part.replaceAll('~', '~0').replaceAll('/', '~1')).join('/');

const validatorAt = (strict: boolean, jsonPointer: string) => {
  const validate = ajv.getSchema(`${strict ? STRICT_ID : LENIENT_ID}#/${jsonPointer}`);
  if (!validate) throw new Error(`No schema at ${jsonPointer}`);
  return validate;
};

/** A matched spec operation. */
export interface MatchedOperation {
  template: string;
  method: string;
  operation: Operation;
  pathParams: Record<string, string>;
}

/** Finds the spec operation for a concrete method and path, or undefined. */
export const matchOperation = (
  method: string,
  fullPath: string,
  basePath = '',
): MatchedOperation | undefined => {
  if (!fullPath.startsWith(basePath)) return undefined;
  const pathname = fullPath.slice(basePath.length);
  for (const [template, item] of Object.entries(spec.paths)) {
    const names: string[] = [];
    const pattern = template.replace(/\{([^}]+)\}/g, (_match, name: string) => {
      names.push(name);
      return '([^/]+)';
    });
    const match = new RegExp(`^${pattern}$`).exec(pathname);
    const operation = item[method.toLowerCase()];
    if (!match || !operation) continue;
    const pathParams: Record<string, string> = {};
    names.forEach((name, index) => {
      const value = match[index + 1] ?? '';
      try {
        pathParams[name] = decodeURIComponent(value);
      } catch {
        pathParams[name] = value;
      }
    });
    return { template, method: method.toLowerCase(), operation, pathParams };
  }
  return undefined;
};

/** One recorded HTTP exchange. */
export interface Exchange {
  method: string;
  url: URL;
  requestHeaders: Headers;
  /** Raw request body as sent, if any. */
  requestBody: string | undefined;
  /** Undefined when no response arrived (timeout, dropped connection). */
  status: number | undefined;
  responseHeaders: Headers | undefined;
  responseText: string | undefined;
}

const describeErrors = (validate: { errors?: unknown[] | null }) =>
  (validate.errors ?? []).map((error) => JSON.stringify(error));

/**
 * Problems of a response body against the schema the spec declares for its operation and status, or against
 * STRING_DETAIL_SCHEMA for undeclared error statuses. `strict` also forbids undeclared properties.
 */
export const responseProblems = (exchange: Exchange, options: { strict?: boolean } = {}): string[] => {
  if (exchange.status === undefined || exchange.responseText === undefined) return ['no response'];
  let body: unknown;
  try {
    body = JSON.parse(exchange.responseText);
  } catch {
    return [`body is not JSON: ${exchange.responseText.slice(0, 80)}`];
  }
  if (!exchange.responseHeaders?.get('content-type')?.startsWith('application/json')) {
    return ['content-type is not application/json'];
  }
  const matched = matchOperation(exchange.method, exchange.url.pathname);
  const declared = matched?.operation.responses[String(exchange.status)] as
    | { content?: Record<string, unknown> }
    | undefined;
  let validate: ReturnType<typeof validatorAt>;
  if (matched && declared) {
    if (!declared.content?.['application/json']) return [`status ${exchange.status} declares no JSON body`];
    validate = validatorAt(
      options.strict ?? false,
      pointer('paths', matched.template, matched.method, 'responses', String(exchange.status)).concat(
        '/content/application~1json/schema',
      ),
    );
  } else if (exchange.status >= 400) {
    const stringDetail = ajv.getSchema('https://contract.test/string-detail.json');
    if (!stringDetail) throw new Error('string-detail schema missing');
    validate = stringDetail;
  } else {
    return [`status ${exchange.status} is not declared for ${exchange.method} ${exchange.url.pathname}`];
  }
  return validate(body) ? [] : describeErrors(validate);
};

/**
 * Problems of a request against the spec: its operation exists, path and query parameters match their
 * schemas, the body matches the request body schema (strictly: no undeclared fields), bearer auth is sent
 * exactly where the spec requires it. `basePath` is the path part of the client's baseUrl (e.g. `/custdev`).
 */
export const requestProblems = (exchange: Exchange, basePath = ''): string[] => {
  const matched = matchOperation(exchange.method, exchange.url.pathname, basePath);
  if (!matched) return [`no operation ${exchange.method} ${exchange.url.pathname}`];
  const problems: string[] = [];
  const { operation, template, method } = matched;
  const base = pointer('paths', template, method);
  (operation.parameters ?? []).forEach((parameter, index) => {
    const value =
      parameter.in === 'path'
        ? matched.pathParams[parameter.name]
        : parameter.in === 'query'
          ? (exchange.url.searchParams.get(parameter.name) ?? undefined)
          : undefined;
    if (parameter.in === 'header') return;
    if (value === undefined) {
      if (parameter.required) problems.push(`missing ${parameter.in} parameter ${parameter.name}`);
      return;
    }
    const validate = validatorAt(true, `${base}/parameters/${index}/schema`);
    if (!validate(value)) problems.push(`${parameter.name}: ${describeErrors(validate).join(', ')}`);
  });
  for (const name of exchange.url.searchParams.keys()) {
    if (
      !(operation.parameters ?? []).some((parameter) => parameter.in === 'query' && parameter.name === name)
    ) {
      problems.push(`undeclared query parameter ${name}`);
    }
  }
  if (operation.requestBody) {
    if (exchange.requestBody === undefined) {
      if (operation.requestBody.required) problems.push('missing request body');
    } else {
      if (!exchange.requestHeaders.get('content-type')?.startsWith('application/json')) {
        problems.push('request content-type is not application/json');
      }
      const validate = validatorAt(true, `${base}/requestBody/content/application~1json/schema`);
      if (!validate(JSON.parse(exchange.requestBody))) problems.push(...describeErrors(validate));
    }
  } else if (exchange.requestBody !== undefined) {
    problems.push('body sent to an operation without a request body');
  }
  const hasBearer = /^Bearer \S+$/.test(exchange.requestHeaders.get('authorization') ?? '');
  const needsBearer = (operation.security ?? []).length > 0;
  if (needsBearer !== hasBearer)
    problems.push(needsBearer ? 'missing bearer token' : 'bearer token sent to a public endpoint');
  return problems;
};

/** Validates a value against a named component schema (for negative controls). */
export const componentProblems = (
  name: string,
  value: unknown,
  options: { strict?: boolean } = {},
): string[] => {
  const validate = validatorAt(options.strict ?? false, pointer('components', 'schemas', name));
  return validate(value) ? [] : describeErrors(validate);
};

/**
 * A fetch that records every exchange (request as sent, response body) and then hands the response on.
 * `inner` is the real transport, by default the global fetch.
 */
export const recordingFetch = (inner: typeof fetch = fetch) => {
  const exchanges: Exchange[] = [];
  const recorded: typeof fetch = async (input, init) => {
    const request = new Request(input, init);
    const exchange: Exchange = {
      method: request.method,
      url: new URL(request.url),
      requestHeaders: request.headers,
      requestBody: typeof init?.body === 'string' ? init.body : undefined,
      status: undefined,
      responseHeaders: undefined,
      responseText: undefined,
    };
    exchanges.push(exchange);
    const response = await inner(input, init);
    exchange.status = response.status;
    exchange.responseHeaders = response.headers;
    exchange.responseText = await response.clone().text();
    return response;
  };
  return { fetch: recorded, exchanges };
};
