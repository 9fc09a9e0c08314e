// The local stand-in for the EventBridge rule on SES events: reads the strict SES layer's event channel
// (`GET /_local/events?after=N`, the same in process or from another one), keeps the events the stack's rule
// would pass on (source, detail types, this configuration set), and invokes the events handler once per
// event as Lambda's asynchronous invocation does — retried on error, then set aside as dead-lettered.
import { SES_EVENTS } from '#infra/definitions.ts';

/** Options of {@link createSesEventSource}. */
export interface SesEventSourceOptions {
  /** Base URL of the strict SES layer. */
  sesEndpoint: string;
  /** Only events of this configuration set (its `ses:configuration-set` tag), as the deployed rule. */
  configurationSet: string;
  handler: (event: unknown) => Promise<unknown>;
  /** How often the channel is read (ms, default 100). */
  pollMs?: number;
  /** Delivers each event this many extra times (at least once means sometimes twice). */
  duplicates?: number;
  /** Delivers each page of events in reverse order (events arrive in any order). */
  reverse?: boolean;
}

/** The event source; it reads nothing before `start`. */
export interface SesEventSource {
  /** Starts reading from the channel's current end; a running source goes on from where it is. */
  start(): Promise<void>;
  /** Resolves once no new event has come for `idleMs` (false: `timeoutMs` passed first). */
  drain(options: { idleMs: number; timeoutMs: number }): Promise<boolean>;
  stop(): Promise<void>;
  stats(): { delivered: number; failed: number; deadLettered: unknown[] };
}

interface Envelope {
  source?: string;
  'detail-type'?: string;
  detail?: { mail?: { tags?: Record<string, string[]> } };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** An event source on the channel of `options.sesEndpoint`. */
export const createSesEventSource = (options: SesEventSourceOptions): SesEventSource => {
  const fetchPage = async (after: number): Promise<{ events: Envelope[]; total: number }> => {
    const url = new URL('/_local/events', options.sesEndpoint);
    url.searchParams.set('after', String(after));
    const response = await fetch(url, { signal: AbortSignal.timeout(5000) });
    if (!response.ok) throw new Error(`GET /_local/events answered ${response.status}`);
    return (await response.json()) as { events: Envelope[]; total: number };
  };
  const read = async (after: number): Promise<Envelope[]> => (await fetchPage(after)).events;
  const types: readonly string[] = SES_EVENTS.detailTypes;
  const matches = (event: Envelope) =>
    event.source === 'aws.ses' &&
    types.includes(event['detail-type'] ?? '') &&
    event.detail?.mail?.tags?.['ses:configuration-set']?.[0] === options.configurationSet;
  let cursor = 0;
  let lastNewAt = Date.now();
  let running = false;
  // A page is being handled: not quiet, however long ago the last one ended.
  let busy = false;
  let loop: Promise<void> = Promise.resolve();
  const stats = { delivered: 0, failed: 0, deadLettered: [] as unknown[] };
  const invoke = async (event: Envelope) => {
    for (let attempt = 0; attempt <= SES_EVENTS.retryAttempts; attempt++) {
      try {
        await options.handler(event);
        stats.delivered++;
        return;
      } catch {
        stats.failed++;
      }
    }
    stats.deadLettered.push(event);
  };
  const run = async () => {
    while (running) {
      const page = await read(cursor).catch(() => []);
      cursor += page.length;
      const wanted = page.filter(matches);
      busy = wanted.length > 0;
      const deliveries = wanted.flatMap((event) =>
        Array.from({ length: 1 + (options.duplicates ?? 0) }, () => event),
      );
      for (const event of options.reverse ? deliveries.reverse() : deliveries) await invoke(event);
      // Quiet counts from when this run's last event was handled (other runs' events do not count).
      if (wanted.length > 0) lastNewAt = Date.now();
      busy = false;
      await sleep(options.pollMs ?? 100);
    }
  };
  return {
    async start() {
      // A run kept live (`invites local --serve`) starts its running source again: nothing may be missed.
      if (running) return;
      // Only the count: a shared layer may hold every earlier run's events.
      cursor = (await fetchPage(Number.MAX_SAFE_INTEGER)).total;
      lastNewAt = Date.now();
      running = true;
      loop = run();
    },
    async drain({ idleMs, timeoutMs }) {
      const until = Date.now() + timeoutMs;
      while (busy || Date.now() - lastNewAt < idleMs) {
        if (Date.now() > until) return false;
        await sleep(Math.min(50, idleMs));
      }
      return true;
    },
    async stop() {
      running = false;
      await loop;
    },
    stats: () => ({ ...stats, deadLettered: [...stats.deadLettered] }),
  };
};
