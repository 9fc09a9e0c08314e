// One respondent's invitation as SES will render it, without a room: for previews and test sends.
import type { CsvInput } from '#shared/csv/encoding.ts';
import { CsvFileError, type ParsedRow, parseRespondents, type Respondent } from '#shared/csv/parse.ts';
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
import {
  type CampaignSettings,
  checkMergeFields,
  languageFor,
  SettingsError,
  templateFor,
} from './settings.ts';

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

/** Why row `row` gets no invitation of its own: it is rejected, or a duplicate of an earlier line. */
const whyNot = (row: Exclude<ParsedRow, { kind: 'accepted' }>) =>
  row.kind === 'rejected'
    ? `line ${row.line} is rejected: ${row.reason}`
    : `line ${row.line} is a duplicate of line ${row.firstLine}`;

/**
 * The respondent of data row `line` (default: the first accepted one) of a CSV (a stream, or its whole text),
 * read with `settings` as ingest reads it, or why there is none.
 */
export const findRespondent = async (
  csv: CsvInput | string,
  settings: CampaignSettings,
  line: number | undefined,
): Promise<{ line: number; respondent: Respondent } | { problem: string }> => {
  try {
    for await (const row of parseRespondents(typeof csv === 'string' ? [csv] : csv, {
      columns: settings.columns,
      onFileInfo: (info) => checkMergeFields(settings, info.fieldKeys),
    })) {
      if (line !== undefined && row.line < line) continue;
      if (line !== undefined && row.line > line) break;
      if (row.kind === 'accepted') return { line: row.line, respondent: row.respondent };
      if (line !== undefined) return { problem: whyNot(row) };
    }
  } catch (error) {
    if (error instanceof CsvFileError) return { problem: `the CSV is unusable: ${error.message}` };
    if (error instanceof SettingsError)
      return { problem: `the templates do not fit this file: ${error.message}` };
    throw error;
  }
  return {
    problem: line === undefined ? 'the file has no accepted row' : `the file has no data row at line ${line}`,
  };
};
