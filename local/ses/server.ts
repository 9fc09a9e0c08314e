/**
 * A local SES as strict as SES: an HTTP layer in front of aws-ses-v2-local (run with strict template
 * rendering) that adds what the emulator lacks — the variable-name rule and 50 destinations per call, the
 * account's quota and send rate as GetAccount reports them, sandbox refusals, paused or suspended sending —
 * and publishes the events SES would (mailbox simulator included) on a local event channel. Every other
 * request (templates, the inbox, `/store`) passes through to the emulator.
 *
 * Control, for other processes: `GET|POST /_local/account` reads or patches the account settings,
 * `GET /_local/events?after=N` pages through the events (`total`: how many there are).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SesAccount, type SesAccountSettings } from './account.ts';
import {
  type EventOrigin,
  eventTypesFor,
  type SentMessage,
  SesEventChannel,
  sesEvent,
  simulatorMailbox,
} from './events.ts';
import { type BulkEntry, type BulkRequest, bareAddress, recipientsOf, refuseBulkRequest } from './rules.ts';

/** Options of {@link startStrictSes}. */
export interface StrictSesOptions {
  /** Base URL of aws-ses-v2-local. */
  upstream: string;
  account?: Partial<SesAccountSettings>;
  origin?: EventOrigin;
  clock?: () => number;
}

/** A running strict layer: its URL, the account it plays, its events. */
export interface StrictSes {
  url: string;
  account: SesAccount;
  events: SesEventChannel;
  stop(): Promise<void>;
}

type BulkResult = { Status: string; MessageId?: string; Error?: string };

const HOST = '127.0.0.1';

/** Starts the layer on a free port of 127.0.0.1. */
export const startStrictSes = async (options: StrictSesOptions): Promise<StrictSes> => {
  const account = new SesAccount(options.account, options.clock);
  const events = new SesEventChannel();
  const layer = new Layer(
    options.upstream,
    account,
    events,
    options.origin ?? { account: '000000000000', region: 'us-east-1' },
  );
  const server: Server = createServer((req, res) => {
    layer.handle(req, res).catch((error: unknown) => {
      if (!res.headersSent)
        reply(res, 500, { message: `strict SES layer: ${String(error)}` }, 'InternalFailure');
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, HOST, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${HOST}:${port}`,
    account,
    events,
    stop: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
};

const readBody = async (req: IncomingMessage): Promise<Buffer> => {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
};

/** Answers JSON; an error carries its SES type in `x-amzn-ErrorType`, where the SDK reads it. */
const reply = (res: ServerResponse, status: number, body: unknown, errorType?: string): void => {
  res.writeHead(status, {
    'content-type': 'application/json',
    ...(errorType ? { 'x-amzn-errortype': errorType } : {}),
  });
  res.end(JSON.stringify(body));
};

// The emulator wants the caller's Authorization header; the body's length is fetch's to set.
const HOP_HEADERS = new Set(['host', 'connection', 'content-length', 'transfer-encoding', 'keep-alive']);

const forwardedHeaders = (req: IncomingMessage): Record<string, string> => {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined && !HOP_HEADERS.has(name)) headers[name] = [value].flat().join(', ');
  }
  return headers;
};

const refuse = (res: ServerResponse, status: number, type: string, message: string): void =>
  reply(res, status, { message }, type);

/** Fills `{{var}}` from data, for the subject an event reports. */
const substitute = (source: string, data: Record<string, unknown>): string =>
  source.replace(/\{\{\s*([A-Za-z0-9]+)\s*\}\}/g, (_, name: string) => String(data[name] ?? ''));

const tagsOf = (...lists: Array<Array<{ Name: string; Value: string }> | undefined>) =>
  Object.fromEntries(lists.flatMap((list) => list ?? []).map((t) => [t.Name, t.Value]));

const dataOf = (json: string | undefined): Record<string, unknown> => {
  try {
    const parsed: unknown = JSON.parse(json ?? '{}');
    return typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>) : {};
  } catch {
    return {};
  }
};

class Layer {
  constructor(
    private readonly upstream: string,
    private readonly account: SesAccount,
    private readonly events: SesEventChannel,
    private readonly origin: EventOrigin,
  ) {}

  /** Routes one request. */
  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req);
    const url = new URL(req.url ?? '/', 'http://local');
    const route = `${req.method} ${url.pathname}`;
    if (route === 'GET /v2/email/account') return reply(res, 200, this.account.describe());
    if (route === 'GET /_local/account') return reply(res, 200, this.account.settings);
    if (route === 'POST /_local/account') {
      this.account.update(JSON.parse(body.toString('utf8') || '{}') as Partial<SesAccountSettings>);
      return reply(res, 200, this.account.settings);
    }
    if (route === 'GET /_local/events') {
      const events = this.events.since(Number(url.searchParams.get('after') ?? 0));
      return reply(res, 200, { events, total: this.events.size });
    }
    if (route === 'POST /v2/email/outbound-bulk-emails') {
      return this.sendBulk(req, JSON.parse(body.toString('utf8')) as BulkRequest, res);
    }
    if (route === 'POST /v2/email/outbound-emails') return this.sendOne(req, body, res);
    const answer = await this.forward(req, body);
    res.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'text/plain' });
    res.end(Buffer.from(await answer.arrayBuffer()));
  }

  private forward(req: IncomingMessage, body: Buffer): Promise<Response> {
    return fetch(new URL(req.url ?? '/', this.upstream), {
      method: req.method ?? 'GET',
      headers: forwardedHeaders(req),
      ...(req.method === 'GET' || req.method === 'HEAD' ? {} : { body }),
    });
  }

  /** The checks of the whole call: request shape, sender identity, paused or suspended, send rate. */
  private refuseCall(res: ServerResponse, from: string, recipients: number): boolean {
    if (!this.account.isVerified(from)) {
      refuse(
        res,
        400,
        'MessageRejected',
        `Email address is not verified. The following identities failed the check in region ${this.origin.region.toUpperCase()}: ${from}`,
      );
      return true;
    }
    const refusal = this.account.refuseCall(recipients);
    if (refusal) refuse(res, refusal.status, refusal.type, refusal.message);
    return refusal !== undefined;
  }

  /** SendBulkEmail: checked, admitted entries sent by the emulator, quota and sandbox per entry, events. */
  private async sendBulk(req: IncomingMessage, body: BulkRequest, res: ServerResponse): Promise<void> {
    const problem = refuseBulkRequest(body);
    if (problem) return refuse(res, 400, 'BadRequestException', problem);
    const entries = body.BulkEmailEntries ?? [];
    const from = bareAddress(body.FromEmailAddress ?? '');
    if (this.refuseCall(res, from, entries.length)) return;
    const results: Array<BulkResult | undefined> = entries.map(() => undefined);
    const admitted: number[] = [];
    let quota = this.account.remainingQuota();
    entries.forEach((entry, i) => {
      const recipients = recipientsOf(entry);
      if (!recipients.every((to) => this.account.mayReceive(to, simulatorMailbox(to) !== undefined))) {
        results[i] = { Status: 'MESSAGE_REJECTED', Error: 'Email address is not verified.' };
      } else if (quota < recipients.length) {
        results[i] = { Status: 'ACCOUNT_DAILY_QUOTA_EXCEEDED', Error: 'Daily message quota exceeded.' };
      } else {
        quota -= recipients.length;
        admitted.push(i);
      }
    });
    if (admitted.length > 0) {
      const forwarded = await this.emulatorBulk(req, {
        ...body,
        BulkEmailEntries: admitted.map((i) => entries[i] as BulkEntry),
      });
      if (!forwarded.ok) return reply(res, forwarded.status, forwarded.body);
      admitted.forEach((i, k) => {
        results[i] = forwarded.results[k] ?? { Status: 'FAILED', Error: 'no result' };
      });
    }
    entries.forEach((entry, i) => {
      this.afterSend(body, entry, results[i] as BulkResult);
    });
    reply(res, 200, { BulkEmailEntryResults: results });
  }

  private async emulatorBulk(req: IncomingMessage, body: BulkRequest) {
    const answer = await fetch(new URL('/v2/email/outbound-bulk-emails', this.upstream), {
      method: 'POST',
      headers: forwardedHeaders(req),
      body: JSON.stringify(body),
    });
    const parsed = (await answer.json()) as { BulkEmailEntryResults?: BulkResult[] };
    return {
      ok: answer.ok,
      status: answer.status,
      body: parsed,
      results: parsed.BulkEmailEntryResults ?? [],
    };
  }

  /** Counts an accepted entry against the quota and publishes its events. */
  private afterSend(body: BulkRequest, entry: BulkEntry, result: BulkResult): void {
    const template = body.DefaultContent?.Template;
    const data = {
      ...dataOf(template?.TemplateData),
      ...dataOf(entry.ReplacementEmailContent?.ReplacementTemplate?.ReplacementTemplateData),
    };
    const message = (to: string): SentMessage => ({
      messageId: result.MessageId ?? '',
      from: body.FromEmailAddress ?? '',
      to,
      subject: substitute(template?.TemplateContent?.Subject ?? '', data),
      ...(body.ConfigurationSetName ? { configurationSet: body.ConfigurationSetName } : {}),
      tags: tagsOf(body.DefaultEmailTags, entry.ReplacementTags),
    });
    const recipients = recipientsOf(entry);
    if (result.Status === 'SUCCESS') {
      this.account.recordSent(recipients.length);
      for (const to of recipients) this.publish(message(to), eventTypesFor(to));
    } else if (result.Status === 'FAILED' && /template rendering failed/i.test(result.Error ?? '')) {
      for (const to of recipients) this.publish(message(to), ['Rendering Failure']);
    }
  }

  private publish(message: SentMessage, types: ReturnType<typeof eventTypesFor>): void {
    this.events.publish(...types.map((type) => sesEvent(type, message, this.origin)));
  }

  /** SendEmail (used by the benchmark's naive baseline): the call-level checks, then the emulator. */
  private async sendOne(req: IncomingMessage, raw: Buffer, res: ServerResponse): Promise<void> {
    const body = JSON.parse(raw.toString('utf8')) as BulkEntry & { FromEmailAddress?: string };
    const recipients = recipientsOf(body);
    if (this.refuseCall(res, bareAddress(body.FromEmailAddress ?? ''), recipients.length)) return;
    if (this.account.remainingQuota() < recipients.length) {
      return refuse(res, 429, 'TooManyRequestsException', 'Daily message quota exceeded.');
    }
    const answer = await this.forward(req, raw);
    const text = await answer.text();
    if (answer.ok) this.account.recordSent(recipients.length);
    res.writeHead(answer.status, { 'content-type': 'application/json' });
    res.end(text);
  }
}
