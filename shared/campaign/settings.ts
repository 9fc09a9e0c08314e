import * as z from 'zod';
import { compactFieldName } from '#shared/csv/columns.ts';
import { PermanentError } from '#shared/errors.ts';
import { parseMailbox } from '#shared/mail/address.ts';
import { LOCALES, type Locale } from '#shared/mail/locale.ts';
import { BUILTIN_FIELDS, type EmailTemplate, fieldUses } from '#shared/mail/template.ts';
import { ExtendExpirySchema, ownFollowUpTemplates, RemindersSchema, ThankYouSchema } from './follow-ups.ts';
import { EmailTemplateSchema, templatePart } from './template-schema.ts';
import { DEFAULT_TEMPLATES } from './templates/default.ts';

export { EmailTemplateSchema } from './template-schema.ts';

/** One bad setting: dotted path and reason. */
export interface SettingsIssue {
  path: string;
  message: string;
}

/** Settings that cannot be used. The message names every bad field: `settings.maxDurationMinutes: …`. */
export class SettingsError extends PermanentError {
  readonly issues: SettingsIssue[];

  constructor(issues: SettingsIssue[], options?: ErrorOptions) {
    super(issues.map((i) => `${i.path}: ${i.message}`).join('; '), options);
    this.issues = issues;
  }
}

// Values may arrive as strings (S3 object metadata, env): accept "30" for 30, nothing looser.
const int = (min: number, max: number, fallback: number) =>
  z.preprocess(
    (v) => (typeof v === 'string' && /^\s*\d+\s*$/.test(v) ? Number(v) : v),
    z
      .number({ error: `must be an integer between ${min} and ${max}` })
      .int({ error: `must be an integer between ${min} and ${max}` })
      .min(min, { error: `must be an integer ≥ ${min}` })
      .max(max, { error: `must be an integer ≤ ${max}` })
      .default(fallback),
  );

const text = (max: number) =>
  z
    .string({ error: 'must be a string' })
    .trim()
    .min(1, { error: 'must not be empty' })
    .max(max, { error: `must be at most ${max} characters` });

const mailbox = z
  .string({ error: 'must be an address like "Name <team@example.com>"' })
  .superRefine((v, ctx) => {
    const checked = parseMailbox(v);
    if (!checked.ok) ctx.addIssue({ code: 'custom', message: checked.problem });
  });

/** Room language of a campaign: `auto` lets Aseed decide. */
export const CAMPAIGN_LANGUAGES = ['auto', ...LOCALES] as const;

/** The default room label: the respondent's name (its address when the file has no name for it). */
export const DEFAULT_DISPLAY_NAME = '{{name}}';

/** Campaign settings: room settings for Aseed and the invitation email. Unknown keys are refused. */
export const CampaignSettingsSchema = z.strictObject({
  projectId: z.uuid({ error: 'must be a UUID' }),
  maxDurationMinutes: int(1, 180, 30),
  expiresInDays: int(1, 90, 7),
  voice: text(100).optional(),
  realtimeProvider: text(100).optional(),
  language: z.enum(CAMPAIGN_LANGUAGES, { error: 'must be one of auto, en, ru' }).default('auto'),
  /** Email locale for respondents without a language when `language` is `auto`. */
  fallbackLocale: z.enum(LOCALES, { error: 'must be one of en, ru' }).default('en'),
  topicsForRespondent: text(2_000).optional(),
  sender: mailbox,
  replyTo: mailbox.optional(),
  templates: z.strictObject({ en: EmailTemplateSchema, ru: EmailTemplateSchema }),
  /**
   * Label of each room in the Aseed UI (PATCH display_name), from the respondent's columns, e.g.
   * `{{name}} ({{team}})`; the address when it renders empty; cut to 42 characters. `false`: no labels.
   */
  displayName: z.union([z.literal(false), templatePart(200, true)]).default(DEFAULT_DISPLAY_NAME),
  /**
   * When sending starts (ISO date-time with a zone, e.g. `2026-12-24T09:00:00+01:00`): the validated
   * campaign waits until then, with no room created before. A time past starts it at once.
   */
  sendAt: z.iso
    .datetime({ offset: true, error: 'must be an ISO date-time with a zone, e.g. 2026-12-24T09:00:00+01:00' })
    .optional(),
  /**
   * Most tokens the campaign may reserve: the ingest fails a campaign whose rooms would reserve more
   * (accepted respondents × ceil(duration / 30) × the price) before any room is created.
   */
  maxTokens: z
    .number({ error: 'must be a whole number of tokens ≥ 1' })
    .int({ error: 'must be a whole number of tokens ≥ 1' })
    .min(1, { error: 'must be a whole number of tokens ≥ 1' })
    .optional(),
  /** Reminders to respondents who have not started, `afterDays` after their invitation (see follow-ups.ts). */
  reminders: RemindersSchema,
  /** A pending room stays open at least this many days after the last reminder due to it (PATCH expires_at). */
  extendExpiryDays: ExtendExpirySchema,
  /** A thank-you once the interview is completed: `true` for the shipped text, or `{ "templates": … }`. */
  thankYou: ThankYouSchema,
  /** Which CSV columns hold the address, the name (one column, or several joined) and the language. */
  columns: z
    .strictObject({
      email: text(200).optional(),
      name: z
        .union([text(200), z.array(text(200)).min(1, { error: 'must name at least one column' }).max(5)], {
          error: 'must be a column name or a list of column names',
        })
        .optional(),
      language: text(200).optional(),
    })
    .optional(),
});

/** Validated campaign settings. */
export type CampaignSettings = z.output<typeof CampaignSettingsSchema>;

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && Object.getPrototypeOf(v) === Object.prototype;

/**
 * Merges `override` into `base`: plain objects merge key by key, anything else replaces; an `undefined`
 * value is ignored and `null` removes the key (so an upload can clear a default voice).
 */
export const deepMerge = (base: unknown, override: unknown): unknown => {
  if (override === undefined) return base;
  if (!isPlainObject(base) || !isPlainObject(override)) return override;
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(override)) {
    if (key === '__proto__' || key === 'constructor' || key === 'prototype') continue;
    if (value === null) delete out[key];
    else if (value !== undefined) out[key] = deepMerge(out[key], value);
  }
  return out;
};

const asObject = (value: unknown, label: string): Record<string, unknown> | undefined => {
  if (value === undefined || value === null || value === '') return undefined;
  let parsed = value;
  if (typeof value === 'string') {
    try {
      parsed = JSON.parse(value);
    } catch {
      throw new SettingsError([{ path: 'settings', message: `${label} are not valid JSON` }]);
    }
  }
  if (!isPlainObject(parsed)) {
    throw new SettingsError([{ path: 'settings', message: `${label} must be a JSON object` }]);
  }
  return parsed;
};

const valueAt = (root: unknown, path: readonly PropertyKey[]): unknown =>
  path.reduce<unknown>((v, key) => (isPlainObject(v) ? v[String(key)] : undefined), root);

const describe = (issue: z.core.$ZodIssue, input: unknown): SettingsIssue[] => {
  const base = ['settings', ...issue.path.map(String)].join('.');
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => ({ path: `${base}.${key}`, message: 'is not a known setting' }));
  }
  if (issue.code === 'invalid_type' && valueAt(input, issue.path) === undefined) {
    return [{ path: base, message: 'is required' }];
  }
  return [{ path: base, message: issue.message }];
};

/**
 * Resolves the settings of a campaign: the shipped email templates, then `defaults` (deployment config),
 * then `overrides` (the upload's), merged deeply so an override may change one template part only.
 * Each may be an object or a JSON string. Throws `SettingsError` naming every bad field.
 */
export const resolveSettings = (defaults: unknown, overrides?: unknown): CampaignSettings => {
  const merged = deepMerge(
    deepMerge({ templates: DEFAULT_TEMPLATES }, asObject(defaults, 'default settings')),
    asObject(overrides, 'settings overrides'),
  );
  const result = CampaignSettingsSchema.safeParse(merged);
  if (!result.success) {
    const issues = result.error.issues.flatMap((issue) => describe(issue, merged));
    throw new SettingsError(issues, { cause: result.error });
  }
  return result.data;
};

/** The language string Aseed's create call takes. The API's exact strings are not documented: one place. */
export const ASEED_LANGUAGE: Record<Locale, string> = { en: 'en', ru: 'ru' };

/**
 * Language decisions for one respondent: their own language (from the CSV) wins over the campaign's.
 * `roomLanguage` is what goes to Aseed (undefined = auto); `locale` picks the email template.
 */
export const languageFor = (
  settings: Pick<CampaignSettings, 'language' | 'fallbackLocale'>,
  respondentLanguage?: Locale,
): { roomLanguage: string | undefined; locale: Locale } => {
  const locale =
    respondentLanguage ?? (settings.language === 'auto' ? settings.fallbackLocale : settings.language);
  const roomLanguage = respondentLanguage ?? (settings.language === 'auto' ? undefined : settings.language);
  return { roomLanguage: roomLanguage === undefined ? undefined : ASEED_LANGUAGE[roomLanguage], locale };
};

/** The invitation template for a locale. */
export const templateFor = (settings: CampaignSettings, locale: Locale): EmailTemplate =>
  settings.templates[locale];

/** A merge field the templates use that neither the built-ins nor the file's columns provide. */
export interface UnknownMergeField {
  /** As written in the template, e.g. `compnay`. */
  field: string;
  /** Where it is used, e.g. `settings.templates.en.text`. */
  paths: string[];
}

/**
 * Merge fields the templates use that neither the built-ins nor the file's columns provide. SES would not
 * render them empty, and a typo must not cost every room its tokens: ingest fails the campaign on them.
 */
export const unknownMergeFields = (
  settings: CampaignSettings,
  columnKeys: readonly string[],
): UnknownMergeField[] => {
  const known = new Set([...BUILTIN_FIELDS, ...columnKeys].map(compactFieldName));
  const unknown = new Map<string, UnknownMergeField>();
  const templates = [
    ...LOCALES.map((locale) => ({
      path: `settings.templates.${locale}`,
      template: settings.templates[locale],
    })),
    ...ownFollowUpTemplates(settings),
  ];
  for (const { path, template } of templates) {
    for (const [key, use] of fieldUses(template)) {
      if (known.has(key)) continue;
      const entry = unknown.get(key) ?? { field: use.ref, paths: [] };
      entry.paths.push(...use.parts.map((part) => `${path}.${part}`));
      unknown.set(key, entry);
    }
  }
  return [...unknown.values()];
};

/** Throws a SettingsError naming each merge field nothing provides and the template parts that use it. */
export const checkMergeFields = (settings: CampaignSettings, columnKeys: readonly string[]): void => {
  const unknown = unknownMergeFields(settings, columnKeys);
  if (unknown.length === 0) return;
  const builtins = BUILTIN_FIELDS.join(', ');
  throw new SettingsError(
    unknown.flatMap(({ field, paths }) =>
      paths.map((path) => ({
        path,
        message: `uses {{${field}}}, which is neither a built-in field (${builtins}) nor a column of the file`,
      })),
    ),
  );
};
