import { describe, expect, it } from 'vitest';
import { processInviteMessage } from '#shared/invite/index.ts';
import { silentLogger } from '#shared/log.ts';
import { optOutUrl, verifyOptOut } from '#shared/optout/link.ts';
import { handleOptOut, type OptOutDeps } from '#shared/optout/optout.ts';
import { fakeAseed, fakeMailer, inviteDeps, seededCampaign } from '../invite/fakes.ts';

// The one-click opt-out: only a link this deployment signed works; a GET only asks, a POST records it, and
// the respondent is then unsubscribed, suppressed, its pending room cancelled and its reminders stopped.
const KEY = 'k'.repeat(32);
const signer = { baseUrl: 'https://optout.example.org/', key: KEY };

const queryOf = (url: string) => Object.fromEntries(new URL(url).searchParams);

/** One invited respondent, and the opt-out deps over the same store and API. */
const invited = async () => {
  const { store, campaignId } = await seededCampaign([2], undefined, { reminders: [{ afterDays: 2 }] });
  const aseed = fakeAseed();
  const mail = fakeMailer();
  await processInviteMessage(inviteDeps(store, aseed.api, mail.mailer), { campaignId, batch: 0 });
  const deps: OptOutDeps = {
    store,
    aseed: aseed.api,
    logger: silentLogger,
    clock: Date.now,
    key: async () => KEY,
  };
  return { store, campaignId, aseed, deps };
};

describe('opt-out links', () => {
  it('verifies its own link and refuses any edit of it', () => {
    // Prepare
    const url = optOutUrl(signer, { campaignId: 'c1', batch: 3, seq: 7 });
    const query = queryOf(url);

    // Act / Assert
    expect(url).toMatch(/^https:\/\/optout\.example\.org\/\?c=c1&r=3-7&t=[\w-]{43}$/);
    expect(verifyOptOut(KEY, query)).toEqual({ campaignId: 'c1', batch: 3, seq: 7 });
    expect(verifyOptOut(KEY, { ...query, r: '3-8' })).toBeUndefined();
    expect(verifyOptOut(KEY, { ...query, c: 'c2' })).toBeUndefined();
    expect(verifyOptOut('another key', query)).toBeUndefined();
    expect(verifyOptOut(KEY, { ...query, t: undefined })).toBeUndefined();
  });
});

describe('emails with opt-out links', () => {
  it('gives every invitation its own signed List-Unsubscribe headers and the link in a footer', async () => {
    // Prepare
    const { store, campaignId } = await seededCampaign([2]);
    const aseed = fakeAseed();
    const mail = fakeMailer();
    const deps = {
      ...inviteDeps(store, aseed.api, mail.mailer),
      optOut: { baseUrl: signer.baseUrl, key: async () => KEY },
    };

    // Act
    await processInviteMessage(deps, { campaignId, batch: 0 });

    // Assert
    expect(mail.sent).toHaveLength(2);
    const calls = mail.sent.map((m) => m.email);
    const destinations = calls[0]?.destinations ?? [];
    expect(destinations.map((d) => d.headers?.['List-Unsubscribe-Post'])).toEqual(
      Array(2).fill('List-Unsubscribe=One-Click'),
    );
    destinations.forEach((d, seq) => {
      const url = optOutUrl(signer, { campaignId, batch: 0, seq });
      expect(d.headers?.['List-Unsubscribe']).toBe(`<${url}>`);
      expect((d.data as Map<string, string>).get('optouturl')).toBe(url);
    });
    expect(calls[0]?.template.text).toMatch(/Unsubscribe: \{\{optOutUrl\}\}\n$/);
    expect(calls[0]?.template.html).toMatch(
      /<a href="\{\{optOutUrl\}\}">Unsubscribe from these invitations<\/a><\/p><\/body>/,
    );
  });
});

describe('the opt-out endpoint', () => {
  it('asks on a GET and changes nothing (mail scanners follow links)', async () => {
    // Prepare
    const run = await invited();
    const query = queryOf(optOutUrl(signer, { campaignId: run.campaignId, batch: 0, seq: 0 }));

    // Act
    const response = await handleOptOut(run.deps, { method: 'GET', query });

    // Assert
    expect(response.status).toBe(200);
    expect(response.html).toContain('<form method="post" action="?c=');
    const [r] = await run.store.listRespondents(run.campaignId);
    expect(r?.delivery).toBeUndefined();
    expect(run.aseed.calls.delete).toBe(0);
  });

  it('records a POST once: unsubscribed, suppressed, room cancelled, no reminder claim after', async () => {
    // Prepare
    const run = await invited();
    const query = queryOf(optOutUrl(signer, { campaignId: run.campaignId, batch: 0, seq: 0 }));

    // Act: the one-click POST, repeated.
    const first = await handleOptOut(run.deps, { method: 'POST', query });
    const again = await handleOptOut(run.deps, { method: 'POST', query });

    // Assert
    expect([first.status, again.status]).toEqual([200, 200]);
    expect(first.html).toContain('You are unsubscribed');
    const [optedOut, other] = await run.store.listRespondents(run.campaignId);
    expect(optedOut).toMatchObject({ delivery: 'unsubscribed', roomCancelled: true });
    expect(other?.delivery).toBeUndefined();
    expect(run.aseed.calls.delete).toBe(1);
    const suppressed = await run.store.listSuppressed(Number.MAX_SAFE_INTEGER);
    expect(suppressed.map((e) => [e.emailKey, e.reason])).toEqual([[optedOut?.emailKey, 'unsubscribed']]);
    const claim = await run.store.claimFollowUp(
      { campaignId: run.campaignId, sk: optedOut?.sk ?? '', nowMs: Date.now() },
      { kind: 'reminder1', attempt: 'a', until: Date.now() + 30_000 },
    );
    expect(claim).toBeUndefined();
  });

  it('refuses a forged link with 403 and opts nobody out (one cannot opt out someone else)', async () => {
    // Prepare: a real link of respondent 0, edited to name respondent 1.
    const run = await invited();
    const query = {
      ...queryOf(optOutUrl(signer, { campaignId: run.campaignId, batch: 0, seq: 0 })),
      r: '0-1',
    };

    // Act
    const response = await handleOptOut(run.deps, { method: 'POST', query });

    // Assert
    expect(response.status).toBe(403);
    expect((await run.store.listRespondents(run.campaignId)).map((r) => r.delivery)).toEqual([
      undefined,
      undefined,
    ]);
    expect(await run.store.listSuppressed(Number.MAX_SAFE_INTEGER)).toEqual([]);
  });
});
