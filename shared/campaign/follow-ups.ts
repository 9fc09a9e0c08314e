// The emails after the invitation, as settings: reminders (to those who have not started, with the same room
// link) and a thank-you (to those who completed). Each is a kind of send with its own template per locale.
import * as z from 'zod';
import type { Locale } from '#shared/mail/locale.ts';
import type { EmailTemplate } from '#shared/mail/template.ts';
import { EmailTemplateSchema, PlainTemplateSchema } from './template-schema.ts';
import { DEFAULT_REMINDER, DEFAULT_THANKS } from './templates/follow-up.ts';

/** The reminders a campaign may have, in order: reminder k is the k-th entry of `reminders`. */
export const REMINDER_KINDS = ['reminder1', 'reminder2', 'reminder3'] as const;
/** One reminder. */
export type ReminderKind = (typeof REMINDER_KINDS)[number];
/** Every email after the invitation; each goes at most once to a respondent. */
export const FOLLOW_UP_KINDS = [...REMINDER_KINDS, 'thanks'] as const;
/** One kind of follow-up email. */
export type FollowUpKind = (typeof FOLLOW_UP_KINDS)[number];

const DAY_MS = 86_400_000;

/**
 * Templates by locale over the shipped ones: a locale left out uses the shipped text, and a part left out of
 * a locale's template (say, only a new subject) keeps the shipped part, as the invitation's templates do.
 */
const byLocale = <T extends z.ZodType>(schema: T, shipped: Record<Locale, EmailTemplate>) =>
  z.preprocess(
    (v) =>
      isRecord(v)
        ? Object.fromEntries(Object.entries(v).map(([k, t]) => [k, overShipped(shipped, k, t)]))
        : v,
    z.strictObject({ en: schema.optional(), ru: schema.optional() }),
  );

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** A locale's template parts over the shipped ones (an unknown locale is left for the schema to name). */
const overShipped = (shipped: Record<Locale, EmailTemplate>, locale: string, template: unknown): unknown => {
  const base = (shipped as Record<string, EmailTemplate | undefined>)[locale];
  return base && isRecord(template) ? { ...base, ...template } : template;
};

const afterDays = z
  .number({ error: 'must be a number of days > 0 (e.g. 2, or 0.5 for 12 hours)' })
  .positive({ error: 'must be a number of days > 0 (e.g. 2, or 0.5 for 12 hours)' })
  .max(90, { error: 'must be at most 90 days' });

/** `reminders`: up to three, each some days after the invitation was sent, in increasing order. */
export const RemindersSchema = z
  .array(
    z.strictObject({ afterDays, templates: byLocale(EmailTemplateSchema, DEFAULT_REMINDER).optional() }),
    {
      error: 'must be a list like [{ "afterDays": 2 }, { "afterDays": 5 }]',
    },
  )
  .max(REMINDER_KINDS.length, { error: `must have at most ${REMINDER_KINDS.length} reminders` })
  .superRefine((list, ctx) => {
    list.forEach((r, i) => {
      const before = list[i - 1];
      if (before && r.afterDays <= before.afterDays) {
        ctx.addIssue({
          code: 'custom',
          path: [i, 'afterDays'],
          message: `must be later than the reminder before it (${before.afterDays} days)`,
        });
      }
    });
  })
  .default([]);

/** `thankYou`: `true` (the shipped text) or `{ "templates": { "en": … } }`; absent or false: none. */
export const ThankYouSchema = z.preprocess(
  (v) => (v === true ? {} : v === false ? undefined : v),
  z
    .strictObject(
      { templates: byLocale(PlainTemplateSchema, DEFAULT_THANKS).optional() },
      { error: 'must be true or an object like { "templates": { "en": { … } } }' },
    )
    .optional(),
);

/** `extendExpiryDays`: keep a pending room open this many days after the last reminder due to it. */
export const ExtendExpirySchema = z
  .number({ error: 'must be a whole number of days between 1 and 90' })
  .int({ error: 'must be a whole number of days between 1 and 90' })
  .min(1, { error: 'must be a whole number of days between 1 and 90' })
  .max(90, { error: 'must be a whole number of days between 1 and 90' })
  .optional();

/** The follow-up part of the campaign settings. */
export interface FollowUpSettings {
  reminders: z.output<typeof RemindersSchema>;
  thankYou?: z.output<typeof ThankYouSchema>;
  extendExpiryDays?: number;
}

/** The 0-based position of a reminder in `reminders`, or undefined for another kind. */
export const reminderIndex = (kind: FollowUpKind): number | undefined => {
  const index = (REMINDER_KINDS as readonly string[]).indexOf(kind);
  return index < 0 ? undefined : index;
};

/** The follow-ups a campaign sends: its reminders, and the thank-you if set. */
export const followUpsOf = (settings: FollowUpSettings): FollowUpKind[] => [
  ...REMINDER_KINDS.slice(0, settings.reminders?.length ?? 0),
  ...(settings.thankYou ? (['thanks'] as const) : []),
];

/** When reminder `kind` is due for a respondent emailed at `emailedAt` (ISO); undefined if it has none. */
export const reminderDueAt = (
  settings: FollowUpSettings,
  kind: FollowUpKind,
  emailedAt: string | undefined,
): number | undefined => {
  const index = reminderIndex(kind);
  const reminder = index === undefined ? undefined : settings.reminders?.[index];
  if (!reminder || !emailedAt) return undefined;
  return Date.parse(emailedAt) + reminder.afterDays * DAY_MS;
};

/** The template of a follow-up in one locale: the settings' own, else the shipped text. */
export const followUpTemplate = (
  settings: FollowUpSettings,
  kind: FollowUpKind,
  locale: Locale,
): EmailTemplate => {
  const index = reminderIndex(kind);
  if (index === undefined) return settings.thankYou?.templates?.[locale] ?? DEFAULT_THANKS[locale];
  return settings.reminders?.[index]?.templates?.[locale] ?? DEFAULT_REMINDER[locale];
};

/** The follow-up templates the settings give themselves, with their paths (merge fields are checked on them). */
export const ownFollowUpTemplates = (
  settings: FollowUpSettings,
): Array<{ path: string; template: EmailTemplate }> => {
  const own: Array<{ path: string; template: EmailTemplate }> = [];
  const add = (path: string, templates: Partial<Record<Locale, EmailTemplate>> | undefined) => {
    for (const [locale, template] of Object.entries(templates ?? {})) {
      if (template) own.push({ path: `${path}.${locale}`, template });
    }
  };
  for (const [i, r] of (settings.reminders ?? []).entries())
    add(`settings.reminders.${i}.templates`, r.templates);
  add('settings.thankYou.templates', settings.thankYou?.templates);
  return own;
};
