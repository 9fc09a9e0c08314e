import { SESv2Client, SendBulkEmailCommand, type SendBulkEmailCommandInput } from '@aws-sdk/client-sesv2';
import { mockClient } from 'aws-sdk-client-mock';
import fc from 'fast-check';
import Handlebars from 'handlebars';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_TEMPLATES } from '#shared/campaign/templates/default.ts';
import { checkEmail, formatMailbox, parseMailbox } from '#shared/mail/address.ts';
import { Mailer } from '#shared/mail/mailer.ts';
import {
  escapeHtml,
  inviteData,
  renderTemplate,
  sesTemplateData,
  toSesTemplate,
} from '#shared/mail/template.ts';
import { hostileString, validEmail } from './arbitraries.ts';

// A header line break, or anything a mail library might turn into one.
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is being ruled out.
const BREAKS = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;
const ses = mockClient(SESv2Client);
const client = new SESv2Client({
  region: 'us-east-1',
  credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
  requestHandler: { requestTimeout: 5000, connectionTimeout: 2000 },
});
afterAll(() => ses.restore());
const sesRender = (source: string, data: Record<string, string>) =>
  Handlebars.create().compile(source, { noEscape: true })(data);

describe('property: no respondent-controlled value can add an email header', () => {
  it('a rendered subject is always one line, whatever the merge values', () => {
    fc.assert(
      fc.property(hostileString(), hostileString(), (name, company) => {
        // Prepare
        const template = {
          subject: '{{name}} at {{company}}: {{greeting}}',
          text: '{{roomUrl}}',
          html: '{{roomUrl}}',
        };
        const data = inviteData({
          locale: 'en',
          name,
          roomUrl: 'https://app.example.com/i/t',
          durationMinutes: 30,
          expiresAt: new Date(0),
          fields: { company },
        });
        // Act
        const local = renderTemplate(template, data).subject;
        const remote = sesRender(toSesTemplate(template).subject, sesTemplateData(template, data));
        // Assert
        expect(local).not.toMatch(BREAKS);
        expect(remote).toBe(local);
      }),
    );
  });

  it('an address is either refused or one line with no header syntax', () => {
    fc.assert(
      fc.property(hostileString(), (raw) => {
        // Act
        const email = checkEmail(raw);
        const mailbox = parseMailbox(raw);
        // Assert
        if (email.ok) expect(email.email).toMatch(/^[^\s,;<>()"\\:[\]]+@[a-z0-9.-]+$/);
        if (mailbox.ok) expect(formatMailbox(mailbox.mailbox)).not.toMatch(BREAKS);
      }),
    );
  });

  it('a display name of any content formats as one header line', () => {
    fc.assert(
      fc.property(hostileString(), (name) => {
        // Act
        const formatted = formatMailbox({ email: 'team@example.com', name });
        // Assert
        expect(formatted).not.toMatch(BREAKS);
        expect(formatted.endsWith('<team@example.com>') || formatted === 'team@example.com').toBe(true);
      }),
    );
  });

  it('what the Mailer hands to SES has no line break in from, reply-to, to or subject values', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.oneof(validEmail(), hostileString()), hostileString()), {
          minLength: 1,
          maxLength: 5,
        }),
        hostileString(),
        async (people, senderName) => {
          // Prepare
          ses.reset();
          let input: SendBulkEmailCommandInput | undefined;
          ses.on(SendBulkEmailCommand).callsFake((i: SendBulkEmailCommandInput) => {
            input = i;
            return {
              BulkEmailEntryResults: (i.BulkEmailEntries ?? []).map(() => ({
                Status: 'SUCCESS',
                MessageId: 'm',
              })),
            };
          });
          const template = { ...DEFAULT_TEMPLATES.en, subject: 'Hi {{name}} {{city}}' };
          // Act
          const outcomes = await new Mailer({ client })
            .sendBulk({
              from: formatMailbox({ email: 'team@example.com', name: senderName }),
              replyTo: 'help@example.com',
              template,
              destinations: people.map(([to, name]) => ({
                to,
                data: { name, city: name, roomUrl: 'https://x.example/r' },
              })),
            })
            .catch(() => undefined);
          // Assert
          if (!input) return; // every recipient refused, or the sender was: nothing reached SES
          expect(outcomes).toBeDefined();
          expect(input.FromEmailAddress).not.toMatch(BREAKS);
          for (const r of input.ReplyToAddresses ?? []) expect(r).not.toMatch(BREAKS);
          expect(input.DefaultContent?.Template?.TemplateContent?.Subject).not.toMatch(BREAKS);
          for (const entry of input.BulkEmailEntries ?? []) {
            for (const to of entry.Destination?.ToAddresses ?? []) expect(to).not.toMatch(/[\s,;<>]/);
            const vars = JSON.parse(
              entry.ReplacementEmailContent?.ReplacementTemplate?.ReplacementTemplateData ?? '{}',
            );
            for (const [key, value] of Object.entries(vars))
              if (key.startsWith('s_')) expect(value).not.toMatch(BREAKS);
          }
        },
      ),
      { numRuns: 100 },
    );
  });
});

describe('property: CSV values appear HTML-escaped in the HTML part', () => {
  it('each value appears escaped, and no raw markup from it survives', () => {
    fc.assert(
      fc.property(hostileString(), hostileString(), (name, note) => {
        // Prepare
        const template = {
          subject: 's',
          text: '{{name}}|{{note}}',
          html: '<p>{{name}}</p><a href="{{note}}">x</a>',
        };
        const data = { name, note };
        // Act
        const local = renderTemplate(template, data);
        const remote = sesRender(toSesTemplate(template).html, sesTemplateData(template, data));
        // Assert
        const inner = (v: string) => escapeHtml(v).replace(/\r\n?|\n/g, '<br>');
        expect(local.html).toBe(`<p>${inner(name)}</p><a href="${inner(note)}">x</a>`);
        expect(remote).toBe(local.html);
        expect(local.text).toBe(`${name}|${note}`);
        const body = local.html.slice(3, local.html.indexOf('</p><a'));
        expect(body.replaceAll('<br>', '')).not.toMatch(/[<>"']/);
        expect(body).not.toMatch(/&(?!(amp|lt|gt|quot|#39);)/);
      }),
    );
  });
});
