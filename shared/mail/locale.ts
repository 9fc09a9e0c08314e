/** The email locales we ship templates for: the languages the Aseed UI offers. */
export const LOCALES = ['en', 'ru'] as const;

/** An email/template locale. */
export type Locale = (typeof LOCALES)[number];

const ALIASES: Record<string, Locale> = {
  en: 'en',
  eng: 'en',
  english: 'en',
  англ: 'en',
  английский: 'en',
  ru: 'ru',
  rus: 'ru',
  russian: 'ru',
  рус: 'ru',
  русский: 'ru',
};

/**
 * Reads a language as people type it in a spreadsheet: `en`, `EN`, `en-US`, `en_GB`, `English`,
 * `ru`, `ru-RU`, `Russian`, `русский`. Returns undefined for anything else (the campaign default applies).
 */
export const parseLocale = (value: string | undefined): Locale | undefined => {
  if (!value) return undefined;
  const lowered = value.trim().toLowerCase();
  const direct = ALIASES[lowered];
  if (direct) return direct;
  const primary = lowered.split(/[-_\s]/)[0] ?? '';
  return ALIASES[primary];
};
