import { SESv2Client, SendBulkEmailCommand, type SendBulkEmailCommandInput } from '@aws-sdk/client-sesv2';
import { mockClient } from 'aws-sdk-client-mock';
import fc from 'fast-check';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { missingVariables, unsupportedExpressions } from '#local/ses/rules.ts';
import { DEFAULT_TEMPLATES } from '#shared/campaign/templates/default.ts';
import { Mailer } from '#shared/mail/mailer.ts';

// Every SendBulkEmail the mailer builds must pass SES's rules: variables of ASCII letters and digits only,
// and each one present in each destination's data (SES drops a message that lacks one, silently).
const ses = mockClient(SESv2Client);
const client = new SESv2Client({
  region: 'us-east-1',
  credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
  requestHandler: { requestTimeout: 5000, connectionTimeout: 2000 },
});
afterAll(() => ses.restore());
beforeEach(() => {
  ses.reset();
  ses.on(SendBulkEmailCommand).callsFake((input: SendBulkEmailCommandInput) => ({
    BulkEmailEntryResults: (input.BulkEmailEntries ?? []).map(() => ({ Status: 'SUCCESS', MessageId: 'm' })),
  }));
});

/** The rule violations of every call the mock received. */
const violations = (): string[] =>
  ses.commandCalls(SendBulkEmailCommand).flatMap(({ args }) => {
    const input = args[0].input;
    const content = input.DefaultContent?.Template?.TemplateContent;
    const parts = [content?.Subject, content?.Text, content?.Html];
    const defaults = JSON.parse(input.DefaultContent?.Template?.TemplateData ?? '{}');
    const bad = unsupportedExpressions(parts).map((e) => `unsupported {{${e}}}`);
    const missing = (input.BulkEmailEntries ?? []).flatMap((entry) =>
      missingVariables(parts, {
        ...defaults,
        ...JSON.parse(entry.ReplacementEmailContent?.ReplacementTemplate?.ReplacementTemplateData ?? '{}'),
      }).map((v) => `missing ${v}`),
    );
    return [...bad, ...missing];
  });

// Column names as spreadsheets have them: any letters, digits, spaces, underscores, dots, dashes.
const fieldName = fc.stringMatching(/^[\p{L}\p{N}_][\p{L}\p{N}_ .-]{0,15}$/u).filter((s) => s.trim() === s);

describe('property: the mailer only sends what SES accepts', () => {
  it('the shipped templates, with and without values', async () => {
    // Act
    for (const template of Object.values(DEFAULT_TEMPLATES)) {
      await new Mailer({ client }).sendBulk({
        from: 'a@example.com',
        template,
        destinations: [
          { to: 'x@example.com', data: {} },
          { to: 'y@example.com', data: { name: 'Anna', roomUrl: 'https://x.example/1' } },
        ],
      });
    }
    // Assert
    expect(ses.commandCalls(SendBulkEmailCommand)).toHaveLength(2);
    expect(violations()).toEqual([]);
  });

  it('any merge-field names, any subset of values per destination', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(fieldName, { minLength: 1, maxLength: 6 }),
        fc.array(fc.array(fc.boolean(), { minLength: 6, maxLength: 6 }), { minLength: 1, maxLength: 4 }),
        async (fields, presence) => {
          // Prepare
          ses.resetHistory();
          const refs = fields.map((f) => `{{${f}}}`);
          const template = {
            subject: refs.join(' '),
            text: refs.slice(1).join('-'),
            html: `<p>${refs.join('')}</p>`,
          };
          const destinations = presence.map((present, d) => ({
            to: `r${d}@example.com`,
            data: Object.fromEntries(fields.filter((_, i) => present[i]).map((f) => [f, `v${d}`])),
          }));
          // Act
          await new Mailer({ client }).sendBulk({ from: 'a@example.com', template, destinations });
          // Assert
          expect(violations()).toEqual([]);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('the check itself catches an underscored variable and a missing one', () => {
    // Act + Assert: the oracle the properties rely on can fail.
    expect(unsupportedExpressions(['Hi {{s_name}}', '{{t0}}', '{{#if x}}'])).toEqual(['s_name', '#if x']);
    expect(missingVariables(['{{s0}} {{t1}}'], { s0: '' })).toEqual(['t1']);
  });
});
