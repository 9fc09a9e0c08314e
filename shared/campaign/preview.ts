// One respondent's invitation as SES will render it, without a room: for previews and test sends.
import type { Respondent } from '#shared/csv/parse.ts';
import type { Locale } from '#shared/mail/locale.ts';
import {
  applySesTemplate,
  type EmailTemplate,
  inviteData,
  type MergeData,
  mergeData,
  type RenderedEmail,
  sesTemplateData,
  toSesTemplate,
} from '#shared/mail/template.ts';
import { OPT_OUT_FIELD, withOptOutFooter } from '#shared/optout/footer.ts';
import { type CampaignSettings, languageFor, templateFor } from './settings.ts';

/** The link a preview or a test send carries instead of a room: clearly not one, and going nowhere. */
export const PLACEHOLDER_ROOM_URL = 'https://aseed.invalid/interview/PREVIEW-no-room-was-created';

/** The opt-out link a preview or test send carries in its footer: no respondent's, so it signs nothing. */
export const PLACEHOLDER_OPT_OUT_URL = 'https://aseed.invalid/opt-out/PREVIEW-no-link-was-signed';

/** A rendered invitation and the locale its template was chosen for. */
export interface InvitationPreview extends RenderedEmail {
  locale: Locale;
}

/** The template and merge data of `respondent`'s invitation, with `roomUrl` for the link. */
export const invitationOf = (
  settings: CampaignSettings,
  respondent: Pick<Respondent, 'name' | 'language' | 'fields'>,
  options: { roomUrl?: string; now?: Date } = {},
): { locale: Locale; template: EmailTemplate; data: MergeData } => {
  const { locale } = languageFor(settings, respondent.language);
  const now = options.now ?? new Date();
  const data = inviteData({
    locale,
    ...(respondent.name ? { name: respondent.name } : {}),
    roomUrl: options.roomUrl ?? PLACEHOLDER_ROOM_URL,
    durationMinutes: settings.maxDurationMinutes,
    expiresAt: new Date(now.getTime() + settings.expiresInDays * 86_400_000),
    fields: respondent.fields,
  });
  // Every email the stack sends ends with the opt-out footer: the preview shows it too.
  const withLink: MergeData = new Map([...data, ...mergeData({ [OPT_OUT_FIELD]: PLACEHOLDER_OPT_OUT_URL })]);
  return { locale, template: withOptOutFooter(templateFor(settings, locale), locale), data: withLink };
};

/**
 * The invitation `respondent` would get, rendered through the very template and data SES receives
 * (`toSesTemplate` + `sesTemplateData`), with `roomUrl` for the link and an expiry `expiresInDays` from `now`.
 */
export const previewInvitation = (
  settings: CampaignSettings,
  respondent: Pick<Respondent, 'name' | 'language' | 'fields'>,
  options: { roomUrl?: string; now?: Date } = {},
): InvitationPreview => {
  const { locale, template, data } = invitationOf(settings, respondent, options);
  return { locale, ...applySesTemplate(toSesTemplate(template), sesTemplateData(template, data)) };
};
