// The console API's handler with payload-2.0 events over a memory store filled by the real ingest: routes,
// bad input answered 400 with the reason, unknown things 404, a cancel that cannot be 409.
import { describe, expect, it } from 'vitest';
import { createConsoleHandler } from '#functions/console/app.ts';
import { ingestUpload } from '#shared/ingest/ingest.ts';
import type { BulkEmail } from '#shared/mail/mailer.ts';
import { csvOf, DEFAULTS, fakeIngest, fakeQueue } from '#test/ingest/fakes.ts';
import { request } from './request.ts';

/** The handler over a store holding one ingested campaign of 120 people (two batches). */
const consoleOf = async () => {
  const { deps, store, upload } = fakeIngest();
  const source = { bucket: 'uploads', key: 'campaigns/spring.csv', etag: '"s"' };
  upload.objects.set(source.key, csvOf(120));
  const { campaignId } = await ingestUpload(deps, source);
  const cancels = fakeQueue();
  const uploads = {
    bucket: 'uploads',
    prefix: 'campaigns/',
    sign: async (
      key: string,
      put: { contentType: string; contentLength: number; expiresInSeconds: number },
    ) =>
      `https://uploads.example/${key}?type=${put.contentType}&length=${put.contentLength}&expires=${put.expiresInSeconds}`,
  };
  const mailed: BulkEmail[] = [];
  const handler = createConsoleHandler({
    store,
    queue: cancels.queue,
    uploads,
    campaignDefaults: DEFAULTS,
    clock: () => 1_000_000,
    testSend: {
      mailer: {
        sendBulk: async (email: BulkEmail) => {
          mailed.push(email);
          return [SENT];
        },
      },
    },
  });
  const call = async (method: string, target: string, body?: unknown) => {
    const result = await handler(request(method, target, body));
    const type = String(result.headers?.['content-type'] ?? '');
    return {
      ...result,
      json: type.startsWith('application/json') ? JSON.parse(result.body ?? '') : undefined,
    };
  };
  return { call, campaignId, cancels, store, uploads, mailed };
};

const SENT = { status: 'sent', messageId: 'msg-1' } as const;

describe('console API', () => {
  it("test-sends a campaign's invitation with its own settings and a respondent's fields", async () => {
    // Prepare
    const { call, campaignId, mailed } = await consoleOf();

    // Act
    const sent = await call('POST', `/api/campaigns/${campaignId}/test-send`, {
      to: 'me@example.org',
      line: 4,
    });
    const missing = await call('POST', `/api/campaigns/${campaignId}/test-send`, {
      to: 'me@example.org',
      line: 999,
    });
    const unknown = await call('POST', '/api/campaigns/nope/test-send', { to: 'me@example.org' });

    // Assert
    expect([sent.statusCode, sent.json]).toEqual([
      200,
      { line: 4, to: 'me@example.org', messageId: 'msg-1' },
    ]);
    expect(mailed).toHaveLength(1);
    expect(mailed[0]?.template.subject).toMatch(/^\[TEST\] /);
    expect(mailed[0]?.destinations.map((d) => d.to)).toEqual(['me@example.org']);
    expect([...((mailed[0]?.destinations[0]?.data as Map<string, string>)?.values() ?? [])]).toContain(
      'Person 2',
    );
    expect([missing.statusCode, missing.json.error]).toEqual([400, 'no respondent on line 999']);
    expect(unknown.statusCode).toBe(404);
  });

  it('lists campaigns and shows one, its table filtered and paged as the query says', async () => {
    // Prepare
    const { call, campaignId } = await consoleOf();

    // Act
    const list = await call('GET', '/api/campaigns?limit=10');
    const view = await call(
      'GET',
      `/api/campaigns/${campaignId}?status=accepted&search=person%2011&pageSize=5`,
    );

    // Assert
    expect(list.statusCode).toBe(200);
    expect(list.json.campaigns).toEqual([
      expect.objectContaining({ campaignId, name: 'spring', accepted: 120 }),
    ]);
    expect(view.statusCode).toBe(200);
    expect(view.headers).toMatchObject({ 'cache-control': 'no-store' });
    expect(view.json.table).toMatchObject({ matching: 11, pageSize: 5, page: 1 });
    expect(view.json.table.rows).toHaveLength(5);
    expect(view.json.funnel).toMatchObject({ emailed: 0 });
  });

  it('serves report.csv as the CLI writes it', async () => {
    // Prepare
    const { call, campaignId } = await consoleOf();

    // Act
    const report = await call('GET', `/api/campaigns/${campaignId}/report.csv`);

    // Assert
    expect(report.statusCode).toBe(200);
    expect(report.headers?.['content-type']).toBe('text/csv; charset=utf-8');
    const lines = (report.body ?? '').trim().split('\r\n');
    expect(lines[0]).toBe(
      'line,email,status,room_url,reason,name,room_status,emailed_at,delivered_at,started_at,completed_at,reminders_sent,thanked_at,upload',
    );
    expect(lines).toHaveLength(121);
  });

  it('cancels a campaign as invites cancel does, and says why it cannot cancel twice without a change', async () => {
    // Prepare
    const { call, campaignId, cancels } = await consoleOf();

    // Act
    const cancelled = await call('POST', `/api/campaigns/${campaignId}/cancel`, { revokeUnstarted: true });
    const unknown = await call('POST', '/api/campaigns/nope/cancel', {});

    // Assert
    expect(cancelled.statusCode).toBe(200);
    expect(cancelled.json).toMatchObject({ revokeUnstarted: true, batches: 2 });
    expect(cancels.messages()).toEqual([0, 1].map((batch) => ({ campaignId, batch, cancel: true })));
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json.error).toBe('no campaign nope');
  });

  it('signs uploads to the keys and under the rules of send --campaign, each for one size and type', async () => {
    // Prepare: spring exists (enqueued); autumn does not yet.
    const { call, campaignId } = await consoleOf();

    // Act
    const more = await call('POST', '/api/uploads', { name: 'spring', kind: 'csv', bytes: 1234 });
    const fixedSettings = await call('POST', '/api/uploads', { name: 'spring', kind: 'settings', bytes: 90 });
    const fresh = await call('POST', '/api/uploads', { name: 'autumn', kind: 'settings', bytes: 90 });
    const tooBig = await call('POST', '/api/uploads', { name: 'autumn', kind: 'settings', bytes: 300_000 });
    const badName = await call('POST', '/api/uploads', { name: '../x', kind: 'csv', bytes: 10 });
    await call('POST', `/api/campaigns/${campaignId}/cancel`, {});
    const cancelled = await call('POST', '/api/uploads', { name: 'spring', kind: 'csv', bytes: 1234 });

    // Assert
    expect([more.statusCode, more.json]).toEqual([
      200,
      {
        campaignId,
        key: 'campaigns/spring.csv',
        url: 'https://uploads.example/campaigns/spring.csv?type=text/csv&length=1234&expires=300',
        headers: { 'content-type': 'text/csv', 'content-length': '1234' },
        expiresAt: new Date(1_000_000 + 300_000).toISOString(),
      },
    ]);
    expect([fixedSettings.statusCode, fixedSettings.json.error]).toEqual([
      409,
      'campaign spring exists: its settings were fixed by its first upload',
    ]);
    expect(fresh.json).toMatchObject({ key: 'campaigns/autumn.settings.json' });
    expect([tooBig.statusCode, tooBig.json.error]).toEqual([
      400,
      "bytes: the file's size, from 1 to 262144 bytes for settings",
    ]);
    expect([badName.statusCode, badName.json.error]).toEqual([
      400,
      expect.stringMatching(/^name: a campaign name/),
    ]);
    expect([cancelled.statusCode, cancelled.json.error]).toEqual([
      409,
      expect.stringMatching(/was cancelled/),
    ]);
  });

  it('answers bad input with 400 and the reason, and what does not exist with 404', async () => {
    // Prepare
    const { call, campaignId } = await consoleOf();

    // Act
    const badPage = await call('GET', `/api/campaigns/${campaignId}?page=two`);
    const bigPage = await call('GET', `/api/campaigns/${campaignId}?pageSize=5000`);
    const badCursor = await call('GET', '/api/campaigns?next=garbage');
    const emptyCursor = await call('GET', '/api/campaigns?next=e30');
    const badBody = await handlerCall(await consoleOf(), campaignId);
    const missing = await call('GET', '/api/campaigns/no-such-campaign');
    const noRoute = await call('DELETE', `/api/campaigns/${campaignId}`);

    // Assert
    expect([badPage.statusCode, badPage.json.error]).toEqual([400, 'page must be a whole number']);
    expect(bigPage.json.error).toBe('pageSize must be a whole number from 1 to 200');
    expect(badCursor.statusCode).toBe(400);
    expect([emptyCursor.statusCode, emptyCursor.json.error]).toEqual([
      400,
      expect.stringMatching(/not a page cursor/),
    ]);
    expect(badBody).toEqual({ statusCode: 400, error: 'the request body must be a JSON object' });
    expect([missing.statusCode, missing.json.error]).toEqual([404, 'no campaign no-such-campaign']);
    expect(noRoute.statusCode).toBe(404);
  });
});

/** A cancel whose body is not JSON. */
const handlerCall = async (c: Awaited<ReturnType<typeof consoleOf>>, campaignId: string) => {
  const event = { ...request('POST', `/api/campaigns/${campaignId}/cancel`), body: 'revoke=yes' };
  const result = await createConsoleHandler({
    store: c.store,
    queue: c.cancels.queue,
    uploads: c.uploads,
    campaignDefaults: DEFAULTS,
  })(event);
  return { statusCode: result.statusCode, error: JSON.parse(result.body ?? '{}').error };
};
