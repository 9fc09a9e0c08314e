// The console's checks of a new campaign's file, before any upload: validation as the ingest would take the
// file (the suppression list, people already in the campaign, the price), one row's preview, a test send.
import { describe, expect, it } from 'vitest';
import { createConsoleHandler } from '#functions/console/app.ts';
import { DEFAULT_TEMPLATES } from '#shared/campaign/templates/default.ts';
import { ingestUpload } from '#shared/ingest/ingest.ts';
import type { BulkEmail, SendOutcome } from '#shared/mail/mailer.ts';
import { campaignIdFor } from '#shared/store/keys.ts';
import { DEFAULTS, fakeIngest, fakeQueue } from '#test/ingest/fakes.ts';
import { request } from './request.ts';

/** A campaign file: who is already in the campaign, who is suppressed, and every kind of refused row. */
const MIXED = [
  'email,name',
  'p1@example.com,Already There', // line 2: in the campaign's first upload
  'Gone@Example.com,Bounced Before', // line 3: on the suppression list
  'not-an-email,Nobody', // line 4: rejected
  'new1@example.com,Ann New', // line 5: invitable
  'NEW1@example.com,Ann Again', // line 6: duplicate of line 5
  'new2@example.com,Bo New', // line 7: invitable
].join('\n');

/** A mailer that keeps what it was asked to send and answers with `outcome`. */
const fakeMailer = (outcome: SendOutcome = { status: 'sent', messageId: 'msg-1' }) => {
  const sent: BulkEmail[] = [];
  const sendBulk = async (email: BulkEmail) => {
    sent.push(email);
    return [outcome];
  };
  return { sent, mailer: { sendBulk } };
};

/**
 * The console over a store where campaigns `panel` and `capped` (maxTokens 60) took p0 … p4 in their first
 * upload and gone@example.com is on the suppression list; the price is 10 tokens per 30 minutes; test sends
 * go to `mail`.
 */
const consoleOf = async (options: { price?: boolean; mail?: ReturnType<typeof fakeMailer> } = {}) => {
  const { deps, store, upload, clock } = fakeIngest();
  deps.price = { tokensPer30Min: async () => 10 };
  const five = `email\n${[0, 1, 2, 3, 4].map((i) => `p${i}@example.com`).join('\n')}\n`;
  upload.settings.set('campaigns/capped.settings.json', { maxTokens: 60 });
  for (const name of ['panel', 'capped']) {
    upload.objects.set(`campaigns/${name}.csv`, five);
    await ingestUpload(deps, { bucket: 'uploads', key: `campaigns/${name}.csv`, etag: '"e1"' });
  }
  await store.suppress({
    emailKey: 'gone@example.com',
    reason: 'bounced',
    detail: 'Permanent: General',
    at: '2026-11-30T10:00:00.000Z',
    campaignId: 'earlier',
    suppressedAt: clock.now - 1,
  });
  const handler = createConsoleHandler({
    store,
    queue: fakeQueue().queue,
    uploads: { bucket: 'uploads', prefix: 'campaigns/', sign: async () => 'https://unused.example' },
    campaignDefaults: DEFAULTS,
    ...(options.price === false
      ? {}
      : { price: { source: 'the test price', tokensPer30Min: async () => 10 } }),
    ...(options.mail ? { testSend: { mailer: options.mail.mailer, configurationSetName: 'mail-set' } } : {}),
    clock: () => clock.now + 60_000,
  });
  return async (path: string, body: unknown) => {
    const result = await handler(request('POST', path, body));
    return { status: result.statusCode, json: JSON.parse(result.body ?? '{}') };
  };
};

describe('POST /api/validate', () => {
  it('counts a later upload as the ingest would: rejected, duplicate, suppressed, already in it, invitable', async () => {
    // Prepare
    const call = await consoleOf();

    // Act
    const answer = await call('/api/validate', { name: 'panel', csv: MIXED });

    // Assert
    expect(answer.status).toBe(200);
    expect(answer.json).toMatchObject({
      name: 'panel',
      campaignId: campaignIdFor({ bucket: 'uploads', key: 'campaigns/panel.csv' }),
      existing: { status: 'enqueued', uploads: 1 },
      columns: expect.stringContaining('email ← email'),
      rows: 6,
      accepted: 4,
      rejected: 1,
      duplicates: 1,
      suppressed: 1,
      already: 1,
      refusedTotal: 4,
      invitable: 2,
      // 10 tokens × 1 half hour (30 minutes) × 2 invitable respondents.
      cost: { tokensPer30Min: 10, halfHours: 1, tokens: 20, source: 'the test price' },
      wouldFail: false,
      settings: { projectId: DEFAULTS.projectId, maxDurationMinutes: 30, sender: DEFAULTS.sender },
      firstLine: 2,
    });
    expect(answer.json.refused).toEqual([
      {
        line: 2,
        email: 'p1@example.com',
        status: 'already',
        reason: 'already in this campaign (upload 1, line 3), not emailed',
      },
      {
        line: 3,
        email: 'Gone@example.com',
        status: 'suppressed',
        reason: 'suppressed: bounced on 2026-11-30 in campaign earlier (Permanent: General)',
      },
      { line: 4, email: 'not-an-email', status: 'rejected', reason: 'email has no "@"' },
      { line: 6, email: 'NEW1@example.com', status: 'duplicate', reason: 'duplicate of line 5' },
    ]);
    expect(answer.json).not.toHaveProperty('refusal');
  });

  it('refuses what the upload would refuse, and says why settings or templates cannot be used', async () => {
    // Prepare
    const call = await consoleOf();
    const typo = { templates: { en: { ...DEFAULT_TEMPLATES.en, subject: 'Hi {{team}}' } } };

    // Act
    const fixed = await call('/api/validate', { name: 'panel', csv: MIXED, settings: { expiresInDays: 3 } });
    const bad = await call('/api/validate', {
      name: 'autumn',
      csv: MIXED,
      settings: { maxDurationMinutes: 'x' },
    });
    const merge = await call('/api/validate', { name: 'autumn', csv: MIXED, settings: typo });

    // Assert
    expect(fixed.json.refusal).toBe('campaign panel exists: its settings were fixed by its first upload');
    expect(bad.json).toMatchObject({
      wouldFail: true,
      settingsError: expect.stringContaining('settings.maxDurationMinutes'),
    });
    expect(bad.json).not.toHaveProperty('settings');
    expect(bad.json.cost).toEqual({
      source: '',
      problem: 'not priced: the file or the settings are unusable',
    });
    expect(merge.json).toMatchObject({
      wouldFail: true,
      mergeFieldError: expect.stringContaining('settings.templates.en.subject: uses {{team}}'),
      // A new campaign: nobody is in it yet, only the suppression list screens.
      already: 0,
      suppressed: 1,
      invitable: 3,
    });
  });

  it('fails a campaign over its budget, and says when it has no price', async () => {
    // Prepare
    const call = await consoleOf();
    const unpriced = await consoleOf({ price: false });

    // Act
    const over = await call('/api/validate', { name: 'autumn', csv: MIXED, settings: { maxTokens: 25 } });
    const none = await unpriced('/api/validate', { name: 'autumn', csv: MIXED });

    // Assert
    expect(over.json).toMatchObject({ wouldFail: true, cost: { tokens: 30 } });
    expect(over.json.budgetProblem).toMatch(
      /^over budget: the rooms would reserve 30 tokens .*more than maxTokens 25$/,
    );
    expect(none.json).toMatchObject({
      wouldFail: false,
      cost: { source: '', problem: 'this console cannot read the token price' },
    });
  });

  it('checks the budget of a later upload over the whole campaign, as the ingest does', async () => {
    // Prepare: capped holds 5 respondents (50 tokens) of its 60.
    const call = await consoleOf();

    // Act
    const answer = await call('/api/validate', { name: 'capped', csv: MIXED });

    // Assert: the file's 2 invitable respondents cost 20 tokens, the campaign would reserve 70.
    expect(answer.json).toMatchObject({
      invitable: 2,
      cost: { tokens: 20 },
      settings: { maxTokens: 60 },
      wouldFail: true,
    });
    expect(answer.json.budgetProblem).toMatch(
      /^over budget: the rooms would reserve 70 tokens .*more than maxTokens 60$/,
    );
  });

  it('answers a CSV over 5 MB with 413 and the CLI command, and a bad body with 400', async () => {
    // Prepare
    const call = await consoleOf();

    // Act
    const large = await call('/api/validate', { name: 'big', csv: `email\n${'x'.repeat(5_000_000)}` });
    const noName = await call('/api/validate', { csv: MIXED });
    const noCsv = await call('/api/validate', { name: 'autumn' });

    // Assert
    expect(large.status).toBe(413);
    expect(large.json.error).toMatch(
      /more than the 5 MB the console checks: check it with invites send <csv> --dry-run$/,
    );
    expect([noName.status, noName.json.error]).toEqual([
      400,
      expect.stringMatching(/^name: a campaign name/),
    ]);
    expect([noCsv.status, noCsv.json.error]).toEqual([400, "csv: the CSV file's text"]);
  });
});

describe('POST /api/preview', () => {
  it("renders the given line's invitation, or the first accepted line's, with the placeholder link", async () => {
    // Prepare
    const call = await consoleOf();

    // Act
    const line7 = await call('/api/preview', { csv: MIXED, line: 7 });
    const first = await call('/api/preview', { csv: MIXED });

    // Assert
    expect(line7.status).toBe(200);
    expect(line7.json).toMatchObject({
      line: 7,
      email: 'new2@example.com',
      locale: 'en',
      subject: 'You are invited to a 30-minute voice interview',
    });
    expect(line7.json.text).toContain('Hello Bo New,');
    expect(line7.json.text).toContain('https://aseed.invalid/interview/PREVIEW-no-room-was-created');
    expect(line7.json.html).toContain('Bo New');
    expect(first.json).toMatchObject({ line: 2, email: 'p1@example.com' });
  });

  it('says why a line has no invitation of its own', async () => {
    // Prepare
    const call = await consoleOf();

    // Act
    const rejected = await call('/api/preview', { csv: MIXED, line: 4 });
    const duplicate = await call('/api/preview', { csv: MIXED, line: 6 });
    const missing = await call('/api/preview', { csv: MIXED, line: 40 });
    const header = await call('/api/preview', { csv: MIXED, line: 1 });

    // Assert
    expect([rejected.status, rejected.json.error]).toEqual([400, 'line 4 is rejected: email has no "@"']);
    expect(duplicate.json.error).toBe('line 6 is a duplicate of line 5');
    expect(missing.json.error).toBe('the file has no data row at line 40');
    expect(header.json.error).toMatch(/^line: the line number of a data row/);
  });
});

describe('POST /api/test-send', () => {
  it('sends the line as invites test-send does: [TEST] subject, placeholder link, tagged, no room', async () => {
    // Prepare
    const mail = fakeMailer();
    const call = await consoleOf({ mail });

    // Act
    const answer = await call('/api/test-send', { csv: MIXED, line: 5, to: 'me@example.org' });

    // Assert
    expect([answer.status, answer.json]).toEqual([
      200,
      { line: 5, to: 'me@example.org', messageId: 'msg-1' },
    ]);
    const [email] = mail.sent;
    expect(email).toMatchObject({
      from: DEFAULTS.sender,
      configurationSetName: 'mail-set',
      tags: { kind: 'test-send' },
      // The template SES renders, its merge fields still in it.
      template: { subject: '[TEST] You are invited to a {{durationMinutes}}-minute voice interview' },
    });
    expect(email?.destinations).toHaveLength(1);
    expect(email?.destinations[0]?.to).toBe('me@example.org');
    const data = email?.destinations[0]?.data as Map<string, string>;
    expect([...data.values()]).toContain('https://aseed.invalid/interview/PREVIEW-no-room-was-created');
  });

  it('answers 409 without a mailer, 400 for a bad address, 502 when SES does not send it', async () => {
    // Prepare
    const without = await consoleOf();
    const refusing = await consoleOf({
      mail: fakeMailer({ status: 'failed', reason: 'MESSAGE_REJECTED: not verified' }),
    });

    // Act
    const unavailable = await without('/api/test-send', { csv: MIXED, to: 'me@example.org' });
    const badTo = await refusing('/api/test-send', { csv: MIXED, to: 'me-at-example.org' });
    const refused = await refusing('/api/test-send', { csv: MIXED, to: 'me@example.org' });

    // Assert
    expect([unavailable.status, unavailable.json.error]).toEqual([409, 'test send is not available here']);
    expect([badTo.status, badTo.json.error]).toEqual([400, 'to: the address has no "@"']);
    expect([refused.status, refused.json.error]).toEqual([
      502,
      'SES did not send it: MESSAGE_REJECTED: not verified',
    ]);
  });
});
