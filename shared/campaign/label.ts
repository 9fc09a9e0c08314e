// The label a room gets in the Aseed UI so a researcher sees whose interview it is: the campaign's
// `displayName` template filled with the respondent's columns, its address when that is empty, cut to the
// API's 42 characters (counted as Pydantic counts them: code points).
import { mergeData, renderTemplate } from '#shared/mail/template.ts';
import type { RespondentItem } from '#shared/store/types.ts';

/** The API's limit on `display_name` (api.md §2.2). */
export const MAX_DISPLAY_NAME = 42;

/** The label of a respondent's room under `template`. */
export const displayNameOf = (
  template: string,
  r: Pick<RespondentItem, 'email' | 'name' | 'fields'>,
): string => {
  const data = mergeData(r.fields, { email: r.email, name: r.name ?? '' });
  const rendered = renderTemplate({ subject: template, text: '', html: '' }, data).subject.trim();
  const label = rendered === '' ? r.email : rendered;
  return Array.from(label).slice(0, MAX_DISPLAY_NAME).join('').trim();
};
