// In-memory stand-ins of the ingest's ports, so the use case is tested in milliseconds without S3 or SQS:
// an uploads bucket that holds CSV text and settings, a queue that keeps every message it was given.
import type { InviteMessage } from '#shared/campaign/messages.ts';
import { CsvFileError } from '#shared/csv/parse.ts';
import type { IngestDeps } from '#shared/ingest/ingest.ts';
import type { InviteQueue, UploadRef, UploadSource } from '#shared/ingest/ports.ts';
import { createMemoryStore } from '#shared/store/memory/index.ts';
import type { Store } from '#shared/store/ports.ts';

/** Deployment defaults every test campaign starts from. */
export const DEFAULTS = {
  projectId: '7d1f3c2a-5b6e-4f80-9a1b-2c3d4e5f6a7b',
  sender: 'Research <research@example.com>',
};

/** An uploads bucket in memory: `objects` by key; `settings` by key (a string is returned as is). */
export const fakeSource = () => {
  const objects = new Map<string, string>();
  const settings = new Map<string, unknown>();
  const opened: UploadRef[] = [];
  /** Errors to throw from the next openCsv / readSettings calls. */
  const failures = { openCsv: [] as Error[], readSettings: [] as Error[] };
  const source: UploadSource = {
    async readSettings(_bucket, key) {
      const failure = failures.readSettings.shift();
      if (failure) throw failure;
      return settings.get(key);
    },
    async openCsv(upload) {
      opened.push(upload);
      const failure = failures.openCsv.shift();
      if (failure) throw failure;
      const text = objects.get(upload.key);
      if (text === undefined) throw new CsvFileError(`no object ${upload.key}`);
      // Small chunks, so the parser sees a stream rather than one string.
      return (async function* () {
        const bytes = new TextEncoder().encode(text);
        for (let i = 0; i < bytes.length; i += 4096) yield bytes.subarray(i, i + 4096);
      })();
    },
  };
  return { source, objects, settings, opened, failures };
};

/** A queue in memory: every send call's messages, in order; `failNext` makes the next sends throw. */
export const fakeQueue = () => {
  const calls: InviteMessage[][] = [];
  const failNext: Error[] = [];
  const queue: InviteQueue = {
    async send(messages) {
      const failure = failNext.shift();
      if (failure) throw failure;
      calls.push([...messages]);
    },
  };
  return { queue, calls, failNext, messages: () => calls.flat() };
};

/** A CSV of `n` valid respondents (`email,name,language`), one per line from line 2. */
export const csvOf = (n: number, language = 'en', domain = 'example.com'): string =>
  `email,name,language\n${Array.from({ length: n }, (_, i) => `p${i}@${domain},Person ${i},${language}`).join('\n')}\n`;

/** Ingest deps over fakes and a memory store, with a clock the test moves. */
export const fakeIngest = (store: Store = createMemoryStore()) => {
  const upload = fakeSource();
  const invites = fakeQueue();
  const clock = { now: 1_000_000 };
  const deps: IngestDeps = {
    source: upload.source,
    queue: invites.queue,
    store,
    campaignDefaults: DEFAULTS,
    clock: () => clock.now,
    sleep: async (ms) => {
      clock.now += ms;
    },
    newId: () => 'owner-1',
  };
  return { deps, store, upload, invites, clock };
};
