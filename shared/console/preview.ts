// One row's invitation from the console, before anything is uploaded: previewed as SES renders it, or
// test-sent to the researcher, as `invites preview` and `invites test-send` do (placeholder link, no room).
import { findRespondent, previewInvitation } from '#shared/campaign/preview.ts';
import type { CampaignSettings } from '#shared/campaign/settings.ts';
import { sendTestInvitation, type TestSendPort } from '#shared/campaign/test-send.ts';
import type { Respondent } from '#shared/csv/parse.ts';
import { PermanentError } from '#shared/errors.ts';
import { checkEmail } from '#shared/mail/address.ts';
import { type Locale, parseLocale } from '#shared/mail/locale.ts';
import type { CampaignsPort, RespondentsPort } from '#shared/store/ports.ts';
import { type CampaignFileRequest, type CampaignKeys, campaignOf } from './campaign-file.ts';

/** What a preview reaches: the campaign a request names (its settings), and the deployment's defaults. */
export interface PreviewPorts extends CampaignKeys {
  store: Pick<CampaignsPort, 'getCampaign'>;
  defaults: unknown;
}

/** The answer of `POST /api/preview`: the invitation of data row `line`. */
export interface PreviewAnswer {
  line: number;
  email: string;
  locale: Locale;
  subject: string;
  html: string;
  text: string;
}

/** The answer of `POST /api/test-send`: the row sent, where to, and SES's message id. */
export interface TestSendAnswer {
  line: number;
  to: string;
  messageId: string;
}

/** The settings and the respondent of the request's row; a PermanentError saying why there is none. */
const rowOf = async (
  ports: PreviewPorts,
  request: CampaignFileRequest,
): Promise<{ settings: CampaignSettings; line: number; respondent: Respondent }> => {
  const { settings } = await campaignOf(ports, request);
  if ('settingsError' in settings)
    throw new PermanentError(`the settings are unusable: ${settings.settingsError}`);
  const found = await findRespondent(request.csv, settings.settings, request.line);
  if ('problem' in found) throw new PermanentError(found.problem);
  return { settings: settings.settings, ...found };
};

/** The invitation of the request's line (default: the first accepted one), rendered as SES renders it. */
export const previewCampaignFile = async (
  ports: PreviewPorts,
  request: CampaignFileRequest,
): Promise<PreviewAnswer> => {
  const { settings, line, respondent } = await rowOf(ports, request);
  const { locale, subject, html, text } = previewInvitation(settings, respondent);
  return { line, email: respondent.email, locale, subject, html, text };
};

/** The recipient of a test send from a body's `to`; a PermanentError saying what is wrong with it. */
export const testRecipientOf = (body: Record<string, unknown>): string => {
  const checked = checkEmail(typeof body.to === 'string' ? body.to : '');
  if (!checked.ok)
    throw new PermanentError(
      `to: ${body.to === undefined ? 'the address to send the test to' : `the address ${checked.problem}`}`,
    );
  return checked.email;
};

/**
 * Sends the invitation of the request's line to `to` as `invites test-send` does; `refused` with SES's
 * reason when SES did not take it.
 */
export const testSendCampaignFile = async (
  ports: PreviewPorts & { testSend: TestSendPort },
  request: CampaignFileRequest,
  to: string,
): Promise<{ sent: TestSendAnswer } | { refused: string }> => {
  const { settings, line, respondent } = await rowOf(ports, request);
  const { outcome } = await sendTestInvitation(ports.testSend, settings, respondent, to);
  if (outcome?.status !== 'sent')
    return { refused: `SES did not send it: ${outcome ? outcome.reason : 'no answer'}` };
  return { sent: { line, to, messageId: outcome.messageId } };
};

/**
 * Sends an existing campaign's invitation, with its own settings and the merge fields of its respondent at
 * `line` (default: its first), to `to`; undefined when there is no such campaign.
 */
export const testSendCampaign = async (
  ports: {
    store: Pick<CampaignsPort, 'getCampaign'> & Pick<RespondentsPort, 'listRespondents'>;
    testSend: TestSendPort;
  },
  campaignId: string,
  to: string,
  line?: number,
): Promise<{ sent: TestSendAnswer } | { refused: string } | undefined> => {
  const record = await ports.store.getCampaign(campaignId);
  if (!record) return undefined;
  // The resolved settings the invitations went out with (absent when the campaign failed before them).
  const settings = record.settings as unknown as CampaignSettings | undefined;
  if (!settings)
    throw new PermanentError('this campaign has no settings to send with: it failed before reading them');
  const respondents = await ports.store.listRespondents(campaignId);
  const respondent = line === undefined ? respondents[0] : respondents.find((r) => r.line === line);
  if (!respondent)
    throw new PermanentError(
      line === undefined ? 'this campaign has no respondents' : `no respondent on line ${line}`,
    );
  // The stored language is the locale the ingest read; read again, so anything else falls to the default.
  const language = parseLocale(respondent.language);
  const { outcome } = await sendTestInvitation(
    ports.testSend,
    settings,
    { ...respondent, ...(language ? { language } : { language: undefined }) },
    to,
  );
  if (outcome?.status !== 'sent')
    return { refused: `SES did not send it: ${outcome ? outcome.reason : 'no answer'}` };
  return { sent: { line: respondent.line, to, messageId: outcome.messageId } };
};
