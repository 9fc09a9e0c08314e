import { describe, expect, it } from 'vitest';
import { followUpsOf, followUpTemplate } from '#shared/campaign/follow-ups.ts';
import {
  type CampaignSettings,
  checkMergeFields,
  languageFor,
  resolveSettings,
  SettingsError,
  unknownMergeFields,
} from '#shared/campaign/settings.ts';
import { DEFAULT_TEMPLATES } from '#shared/campaign/templates/default.ts';
import { DEFAULT_REMINDER, DEFAULT_THANKS } from '#shared/campaign/templates/follow-up.ts';
import { renderTemplate } from '#shared/mail/template.ts';

const PROJECT = '6f1c1f4e-8a3b-4c1e-9d2a-1b2c3d4e5f60';
const defaults = { projectId: PROJECT, sender: 'Research Team <research@example.com>' };

const errorOf = (fn: () => unknown): SettingsError => {
  try {
    fn();
  } catch (error) {
    if (error instanceof SettingsError) return error;
    throw error;
  }
  throw new Error('expected a SettingsError');
};

describe('resolveSettings', () => {
  it('fills in defaults and the shipped templates', () => {
    // Act
    const settings = resolveSettings(defaults);
    // Assert
    expect(settings).toMatchObject({
      projectId: PROJECT,
      maxDurationMinutes: 30,
      expiresInDays: 7,
      language: 'auto',
      fallbackLocale: 'en',
      sender: 'Research Team <research@example.com>',
    });
    expect(settings.templates).toEqual(DEFAULT_TEMPLATES);
  });

  it('lets overrides win, deep-merging templates so one part can change', () => {
    // Prepare
    const overrides = { maxDurationMinutes: 15, templates: { ru: { subject: 'Интервью для {{name}}' } } };
    // Act
    const settings = resolveSettings(JSON.stringify({ ...defaults, voice: 'alloy' }), overrides);
    // Assert
    expect(settings.maxDurationMinutes).toBe(15);
    expect(settings.voice).toBe('alloy');
    expect(settings.templates.ru.subject).toBe('Интервью для {{name}}');
    expect(settings.templates.ru.text).toBe(DEFAULT_TEMPLATES.ru.text);
    expect(settings.templates.en).toEqual(DEFAULT_TEMPLATES.en);
  });

  it('lets an override clear a default with null and accepts numeric strings (object metadata)', () => {
    // Act
    const settings = resolveSettings({ ...defaults, voice: 'alloy' }, { voice: null, expiresInDays: '14' });
    // Assert
    expect(settings.voice).toBeUndefined();
    expect(settings.expiresInDays).toBe(14);
  });

  it.each([
    [{ maxDurationMinutes: 0 }, 'settings.maxDurationMinutes: must be an integer ≥ 1'],
    [{ maxDurationMinutes: 2.5 }, 'settings.maxDurationMinutes: must be an integer between 1 and 180'],
    [{ expiresInDays: 'soon' }, 'settings.expiresInDays: must be an integer between 1 and 90'],
    [{ projectId: 'nope' }, 'settings.projectId: must be a UUID'],
    [{ language: 'de' }, 'settings.language: must be one of auto, en, ru'],
    [{ sender: 'Team <team@@example.com>' }, 'settings.sender: address has 2 "@" (exactly one expected)'],
    [{ replyTo: 'help@example.com\r\nBcc: x@evil.com' }, 'settings.replyTo: contains a control character'],
    [{ colour: 'blue' }, 'settings.colour: is not a known setting'],
    [{ templates: { fr: DEFAULT_TEMPLATES.en } }, 'settings.templates.fr: is not a known setting'],
    [
      { templates: { en: { subject: 'Hi\r\nBcc: x@evil.com' } } },
      'settings.templates.en.subject: must be one line',
    ],
    [
      { templates: { en: { html: '{{#if name}}x{{/if}} {{roomUrl}}' } } },
      'settings.templates.en.html: "{{#if name}}"',
    ],
    [
      { templates: { en: { text: 'Hello {{name}}' } } },
      'settings.templates.en.text: must contain the {{roomUrl}} link',
    ],
    [{ templates: { ru: { html: '{{{roomUrl}}}' } } }, 'settings.templates.ru.html: triple braces'],
    [{ sendAt: '2026-12-24 09:00' }, 'settings.sendAt: must be an ISO date-time with a zone'],
    [{ sendAt: '2026-12-24T09:00:00' }, 'settings.sendAt: must be an ISO date-time with a zone'],
    [{ maxTokens: 0 }, 'settings.maxTokens: must be a whole number of tokens ≥ 1'],
  ])('names the field and the reason (%#)', (override, message) => {
    // Act
    const error = errorOf(() => resolveSettings(defaults, override));
    // Assert
    expect(error.message).toContain(message);
    expect(error.retryable).toBe(false);
  });

  it('reports every missing required field at once', () => {
    // Act
    const error = errorOf(() => resolveSettings({}));
    // Assert
    expect(error.issues).toEqual([
      { path: 'settings.projectId', message: 'is required' },
      { path: 'settings.sender', message: 'is required' },
    ]);
  });

  it('refuses overrides that are not a JSON object', () => {
    // Act
    const error = errorOf(() => resolveSettings(defaults, '{not json'));
    // Assert
    expect(error.message).toBe('settings: settings overrides are not valid JSON');
  });
});

describe('languageFor', () => {
  const base = { language: 'auto', fallbackLocale: 'ru' } as Pick<
    CampaignSettings,
    'language' | 'fallbackLocale'
  >;

  it('uses the respondent language for both the room and the email when given', () => {
    // Act + Assert
    expect(languageFor({ ...base, language: 'en' }, 'ru')).toEqual({ roomLanguage: 'ru', locale: 'ru' });
  });

  it('falls back to the campaign language, or to auto and the fallback email locale', () => {
    // Act + Assert
    expect(languageFor({ ...base, language: 'en' })).toEqual({ roomLanguage: 'en', locale: 'en' });
    expect(languageFor(base)).toEqual({ roomLanguage: undefined, locale: 'ru' });
  });
});

describe('unknownMergeFields / checkMergeFields', () => {
  it('lists merge fields that neither the built-ins nor the CSV columns provide, with the parts using them', () => {
    // Prepare
    const settings = resolveSettings(defaults, {
      templates: {
        en: { subject: '{{Company Name}} and {{team}} invite you, {{name}}' },
        ru: { text: '{{Team}}: {{roomUrl}}' },
      },
    });
    // Act
    const unknown = unknownMergeFields(settings, ['company_name']);
    // Assert
    expect(unknown).toEqual([
      { field: 'team', paths: ['settings.templates.en.subject', 'settings.templates.ru.text'] },
    ]);
  });

  it('throws a SettingsError naming the typo and the template part', () => {
    // Prepare
    const settings = resolveSettings(defaults, {
      templates: { en: { text: 'From {{compnay}}: {{roomUrl}}' } },
    });
    // Act
    const check = () => checkMergeFields(settings, ['company']);
    // Assert
    expect(check).toThrow(SettingsError);
    expect(check).toThrow(
      /settings\.templates\.en\.text: uses \{\{compnay\}\}, which is neither a built-in field/,
    );
    expect(() => checkMergeFields(settings, ['compnay'])).not.toThrow();
  });
});

describe('shipped templates', () => {
  it.each(['en', 'ru'] as const)('render a complete %s invitation', (locale) => {
    // Prepare
    const data = {
      greeting: locale === 'en' ? 'Hello Anna,' : 'Здравствуйте, Анна!',
      roomUrl: 'https://app.example.com/interview/tok',
      durationMinutes: '30',
      expiresOn: '5 December 2026',
    };
    // Act
    const email = renderTemplate(DEFAULT_TEMPLATES[locale], data);
    // Assert
    for (const part of [email.text, email.html]) {
      expect(part).toContain('https://app.example.com/interview/tok');
      expect(part).toContain('30');
      expect(part).toContain('5 December 2026');
      expect(part).not.toContain('{{');
    }
    expect(email.subject).toContain('30');
  });
});

describe('follow-up settings: reminders, thankYou, extendExpiryDays', () => {
  it('has no follow-ups by default, and ships texts for those it is given without their own', () => {
    // Act
    const none = resolveSettings(defaults);
    const some = resolveSettings(defaults, {
      reminders: [{ afterDays: 2 }, { afterDays: 5, templates: { en: { subject: 'Still time, {{name}}' } } }],
      thankYou: true,
      extendExpiryDays: 3,
    });

    // Assert
    expect(followUpsOf(none)).toEqual([]);
    expect(followUpsOf(some)).toEqual(['reminder1', 'reminder2', 'thanks']);
    expect(some.extendExpiryDays).toBe(3);
    expect(followUpTemplate(some, 'reminder1', 'ru')).toEqual(DEFAULT_REMINDER.ru);
    expect(followUpTemplate(some, 'reminder2', 'en').subject).toBe('Still time, {{name}}');
    expect(followUpTemplate(some, 'reminder2', 'en').text).toBe(DEFAULT_REMINDER.en.text);
    expect(followUpTemplate(some, 'thanks', 'en')).toEqual(DEFAULT_THANKS.en);
  });

  it('refuses reminders out of order, too many, or not after a positive number of days, naming each', () => {
    // Act
    const error = errorOf(() =>
      resolveSettings(defaults, {
        reminders: [{ afterDays: 3 }, { afterDays: 2 }, { afterDays: 0 }, { afterDays: 9 }],
        extendExpiryDays: 0.5,
      }),
    );

    // Assert
    expect(error.issues).toEqual(
      expect.arrayContaining([
        { path: 'settings.reminders', message: 'must have at most 3 reminders' },
        { path: 'settings.extendExpiryDays', message: 'must be a whole number of days between 1 and 90' },
      ]),
    );
    const ordered = errorOf(() =>
      resolveSettings(defaults, { reminders: [{ afterDays: 3 }, { afterDays: 2 }] }),
    );
    expect(ordered.issues).toEqual([
      {
        path: 'settings.reminders.1.afterDays',
        message: 'must be later than the reminder before it (3 days)',
      },
    ]);
    const zero = errorOf(() => resolveSettings(defaults, { reminders: [{ afterDays: 0 }] }));
    expect(zero.issues[0]?.path).toBe('settings.reminders.0.afterDays');
  });

  it('checks the merge fields of its own reminder and thank-you texts, and a reminder needs the room link', () => {
    // Prepare
    const settings = resolveSettings(defaults, {
      reminders: [{ afterDays: 2, templates: { en: { text: '{{roomUrl}} from {{teem}}' } } }],
      thankYou: {
        templates: { ru: { subject: 'Спасибо, {{nmae}}', text: 'Спасибо!', html: '<p>Спасибо!</p>' } },
      },
    });
    const noLink = () =>
      resolveSettings(defaults, {
        reminders: [{ afterDays: 2, templates: { en: { text: 'No link here' } } }],
      });

    // Act
    const unknown = unknownMergeFields(settings, []);

    // Assert
    expect(unknown).toEqual([
      { field: 'teem', paths: ['settings.reminders.0.templates.en.text'] },
      { field: 'nmae', paths: ['settings.thankYou.templates.ru.subject'] },
    ]);
    expect(errorOf(noLink).issues).toEqual([
      { path: 'settings.reminders.0.templates.en.text', message: 'must contain the {{roomUrl}} link' },
    ]);
  });
});
