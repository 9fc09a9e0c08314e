import Handlebars from 'handlebars';
import { describe, expect, it } from 'vitest';
import { formatMailbox, parseMailbox } from '#shared/mail/address.ts';
import {
  escapeHtml,
  formatExpiry,
  inviteData,
  parseTemplate,
  renderTemplate,
  sesTemplateData,
  TemplateError,
  templateFields,
  toSesTemplate,
} from '#shared/mail/template.ts';

// SES (and the local emulator) render with Handlebars and no escaping.
const sesRender = (source: string, data: Record<string, string>) =>
  Handlebars.create().compile(source, { noEscape: true })(data);

const template = {
  subject: 'Hi {{name}} from {{ Company Name }}',
  text: 'Hello {{name}}, open {{roomUrl}} ({{company_name}}) {{unknown}}.',
  html: '<p>Hello {{name}}, <a href="{{roomUrl}}">open</a> {{companyName}}</p>',
};

describe('renderTemplate', () => {
  it('keeps text raw, escapes HTML and puts the subject on one line', () => {
    // Prepare
    const data = {
      name: 'Anna <b>"&\'\r\nBcc: evil@example.com',
      roomUrl: 'https://app.example.com/i/a?b=1&c="2"',
      'company name': 'A&B',
    };
    // Act
    const email = renderTemplate(template, data);
    // Assert
    expect(email.subject).toBe('Hi Anna <b>"&\' Bcc: evil@example.com from A&B');
    expect(email.text).toBe(
      'Hello Anna <b>"&\'\r\nBcc: evil@example.com, open https://app.example.com/i/a?b=1&c="2" (A&B) .',
    );
    expect(email.html).toBe(
      '<p>Hello Anna &lt;b&gt;&quot;&amp;&#39;<br>Bcc: evil@example.com, <a href="https://app.example.com/i/a?b=1&amp;c=&quot;2&quot;">open</a> A&amp;B</p>',
    );
  });

  it('renders exactly what SES renders from toSesTemplate + sesTemplateData', () => {
    // Prepare
    const data = { name: '<i>{{roomUrl}}</i>\n', roomUrl: 'https://x.example/1', company_name: 'Q&A' };
    // Act
    const local = renderTemplate(template, data);
    const ses = toSesTemplate(template);
    const vars = sesTemplateData(template, data);
    // Assert
    expect(sesRender(ses.subject, vars)).toBe(local.subject);
    expect(sesRender(ses.text, vars)).toBe(local.text);
    expect(sesRender(ses.html, vars)).toBe(local.html);
    expect(ses.html).toBe('<p>Hello {{h0}}, <a href="{{h2}}">open</a> {{h1}}</p>');
  });

  it('lists the merge fields a template uses, by compact name', () => {
    // Act + Assert
    expect(templateFields(template).sort()).toEqual(['companyname', 'name', 'roomurl', 'unknown']);
  });

  it.each([
    ['{{#if name}}x{{/if}}', 'only plain {{field}} merge fields'],
    ['{{> partial}}', 'only plain {{field}} merge fields'],
    ['{{{name}}}', 'triple braces'],
    ['Hello {{name', '"{{" without a matching "}}"'],
    ['C:\\{{name}}', 'backslash'],
    ['{{na%me}}', 'not a valid merge field name'],
  ])('refuses %j', (source, message) => {
    // Act + Assert
    expect(() => parseTemplate(source)).toThrow(TemplateError);
    expect(() => parseTemplate(source)).toThrow(message);
  });

  it('escapes the five HTML-significant characters', () => {
    // Act + Assert
    expect(escapeHtml(`<a href="x" onclick='y'>&</a>`)).toBe(
      '&lt;a href=&quot;x&quot; onclick=&#39;y&#39;&gt;&amp;&lt;/a&gt;',
    );
  });
});

describe('inviteData', () => {
  const base = {
    roomUrl: 'https://app.example.com/interview/tok',
    durationMinutes: 20,
    expiresAt: new Date('2026-12-05T10:00:00Z'),
  };

  it('provides the built-ins, with a greeting and a localised date', () => {
    // Act
    const en = inviteData({ ...base, locale: 'en', name: 'Anna' });
    const ru = inviteData({ ...base, locale: 'ru' });
    // Assert
    expect(Object.fromEntries(en)).toEqual({
      name: 'Anna',
      greeting: 'Hello Anna,',
      roomurl: 'https://app.example.com/interview/tok',
      durationminutes: '20',
      expireson: '5 December 2026',
    });
    expect(ru.get('greeting')).toBe('Здравствуйте!');
    expect(ru.get('expireson')).toBe('5 декабря 2026 г.');
  });

  it('never lets a CSV column replace the room link', () => {
    // Act
    const data = inviteData({
      ...base,
      locale: 'en',
      fields: { room_url: 'https://evil.example', city: 'Oslo' },
    });
    // Assert
    expect(data.get('roomurl')).toBe(base.roomUrl);
    expect(data.get('city')).toBe('Oslo');
  });

  it('refuses a room URL that is not http(s)', () => {
    // Act + Assert
    expect(() => inviteData({ ...base, locale: 'en', roomUrl: 'javascript:alert(1)' })).toThrow(
      TemplateError,
    );
  });

  it('formats expiry dates per locale in a given time zone', () => {
    // Act + Assert
    expect(formatExpiry(new Date('2026-12-31T23:30:00Z'), 'en', 'Europe/Moscow')).toBe('1 January 2027');
  });
});

describe('mailboxes', () => {
  it.each([
    ['team@example.com', { email: 'team@example.com' }, 'team@example.com'],
    [
      'Research Team <team@example.com>',
      { email: 'team@example.com', name: 'Research Team' },
      '"Research Team" <team@example.com>',
    ],
    [
      '"Команда" <team@Example.com>',
      { email: 'team@example.com', name: 'Команда' },
      '=?UTF-8?B?0JrQvtC80LDQvdC00LA=?= <team@example.com>',
    ],
  ])('parses and formats %j', (raw, mailbox, formatted) => {
    // Act
    const parsed = parseMailbox(raw);
    // Assert
    expect(parsed).toEqual({ ok: true, mailbox });
    expect(formatMailbox(mailbox)).toBe(formatted);
  });

  it.each([
    'Team <a@example.com>\r\nBcc: x@evil.com',
    'Te<am <a@example.com>',
    'a@example.com, b@example.com',
  ])('refuses %j', (raw) => {
    // Act + Assert
    expect(parseMailbox(raw).ok).toBe(false);
  });

  it('formats a hostile display name as one header line', () => {
    // Act
    const formatted = formatMailbox({ email: 'a@example.com', name: 'x"\r\nBcc: evil@example.com <' });
    // Assert
    expect(formatted).not.toMatch(/[\r\n]/);
    expect(formatted).toBe('"x Bcc: evil@example.com" <a@example.com>');
  });
});
