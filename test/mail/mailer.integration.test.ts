import { afterAll, describe, expect, it } from 'vitest';
import { makeSesClient, readSesStore } from '#local/aws.ts';
import { invitationOf, previewInvitation } from '#shared/campaign/preview.ts';
import { resolveSettings } from '#shared/campaign/settings.ts';
import { DEFAULT_TEMPLATES } from '#shared/campaign/templates/default.ts';
import { Mailer } from '#shared/mail/mailer.ts';
import { inviteData } from '#shared/mail/template.ts';
import { emulatorEndpoints, uniqueName } from '#test/support/aws.ts';

const endpoints = emulatorEndpoints();
const client = makeSesClient(endpoints.ses, endpoints.region, {
  requestTimeout: 5000,
  connectionTimeout: 2000,
});
afterAll(() => client.destroy());

describe('Mailer against the SES v2 emulator', () => {
  it('delivers personalised, escaped invitations in calls of at most 50', async () => {
    // Prepare: 60 recipients on a domain no other test uses; one hostile name.
    const domain = `${uniqueName('mail')}.example.com`;
    const since = Math.floor(Date.now() / 1000) - 1;
    const hostile = '<script>alert("x")</script> & Co\r\nBcc: evil@example.com';
    const destinations = Array.from({ length: 60 }, (_, i) => ({
      to: `r${i}@${domain}`,
      data: inviteData({
        locale: 'en',
        name: i === 0 ? hostile : `Respondent ${i}`,
        roomUrl: `https://app.example.com/interview/tok-${i}?a=1&b=2`,
        durationMinutes: 25,
        expiresAt: new Date('2026-12-05T00:00:00Z'),
        fields: { company: 'Q&A Ltd' },
      }),
    }));
    const template = { ...DEFAULT_TEMPLATES.en, subject: 'Invitation for {{name}}' };
    const mailer = new Mailer({ client });
    // Act
    const outcomes = await mailer.sendBulk({
      from: 'Research Team <research@example.com>',
      replyTo: 'help@example.com',
      template,
      destinations,
    });
    // Assert
    expect(outcomes.every((o) => o.status === 'sent')).toBe(true);
    const messages = (await readSesStore(endpoints.ses, since)).filter((m) =>
      m.to[0]?.endsWith(`@${domain}`),
    );
    expect(messages).toHaveLength(60);
    const first = messages.find((m) => m.to[0] === `r0@${domain}`);
    expect(first?.subject).toBe('Invitation for <script>alert("x")</script> & Co Bcc: evil@example.com');
    expect(first?.subject).not.toMatch(/[\r\n]/);
    expect(first?.from).toBe('"Research Team" <research@example.com>');
    expect(first?.replyTo).toEqual(['help@example.com']);
    expect(first?.text).toContain(`Hello ${hostile},`);
    expect(first?.text).toContain('https://app.example.com/interview/tok-0?a=1&b=2');
    expect(first?.html).toContain('Hello &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; Co<br>Bcc:');
    expect(first?.html).not.toContain('<script>');
    expect(first?.html).toContain('href="https://app.example.com/interview/tok-0?a=1&amp;b=2"');
    expect(first?.html).toContain('5 December 2026');
    const other = messages.find((m) => m.to[0] === `r59@${domain}`);
    expect(other?.text).toContain('Hello Respondent 59,');
    expect(other?.text).toContain('tok-59');
    expect(other?.text).toContain('25 minutes');
  });

  it('renders exactly what invites preview shows, in the respondent language', async () => {
    // Prepare: one Russian respondent with a hostile name and a merge field used in the subject.
    const domain = `${uniqueName('preview')}.example.com`;
    const since = Math.floor(Date.now() / 1000) - 1;
    const settings = resolveSettings(
      { projectId: '7d1f3c2a-5b6e-4f80-9a1b-2c3d4e5f6a7b', sender: 'Team <team@example.com>' },
      { templates: { ru: { ...DEFAULT_TEMPLATES.ru, subject: '{{company}}: интервью для {{name}}' } } },
    );
    const respondent = { name: 'Анна <b>&</b>', language: 'ru' as const, fields: { company: 'Q&A "Ltd"' } };
    const now = new Date('2026-12-01T10:00:00Z');
    const roomUrl = 'https://app.example.com/interview/tok-p?a=1&b=2';
    const preview = previewInvitation(settings, respondent, { roomUrl, now });

    // Act: what the invite side sends for this respondent (the template with its opt-out footer).
    const { template, data } = invitationOf(settings, respondent, { roomUrl, now });
    const outcomes = await new Mailer({ client }).sendBulk({
      from: settings.sender,
      template,
      destinations: [{ to: `p@${domain}`, data }],
    });

    // Assert
    expect(outcomes.map((o) => o.status)).toEqual(['sent']);
    const [message] = (await readSesStore(endpoints.ses, since)).filter((m) => m.to[0] === `p@${domain}`);
    expect(preview.locale).toBe('ru');
    expect({ subject: message?.subject, text: message?.text, html: message?.html }).toEqual({
      subject: preview.subject,
      text: preview.text,
      html: preview.html,
    });
    expect(preview.html).toContain('Анна &lt;b&gt;&amp;&lt;/b&gt;');
    // The footer every email ends with, with the preview's placeholder opt-out link.
    expect(preview.text).toMatch(/Отписаться: https:\/\/aseed\.invalid\/opt-out\/\S+\n$/);
  });
});
