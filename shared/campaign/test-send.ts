// A test send: one respondent's invitation sent for real through SES to an address of the researcher's,
// marked as a test, with the placeholder link: no room, no tokens. The CLI and the console send it alike.
import type { Respondent } from '#shared/csv/parse.ts';
import type { Locale } from '#shared/mail/locale.ts';
import type { Mailer, SendOutcome } from '#shared/mail/mailer.ts';
import { invitationOf } from './preview.ts';
import type { CampaignSettings } from './settings.ts';

/** What marks a test email in the inbox. */
export const TEST_SUBJECT_PREFIX = '[TEST] ';

/** Where a test send goes out: a mailer, and the configuration set the campaigns' emails use (if any). */
export interface TestSendPort {
  mailer: Pick<Mailer, 'sendBulk'>;
  configurationSetName?: string;
}

/** How a test send went: the template's locale, and SES's answer (`sent` with its message id, or why not). */
export interface TestSendResult {
  locale: Locale;
  outcome: SendOutcome | undefined;
}

/**
 * Sends `respondent`'s invitation to `to` as the campaign would (its sender, reply-to and template), the
 * subject prefixed with {@link TEST_SUBJECT_PREFIX}, tagged `kind=test-send` and with no campaign or respondent
 * tag, so the events function ignores what SES reports about it.
 */
export const sendTestInvitation = async (
  port: TestSendPort,
  settings: CampaignSettings,
  respondent: Pick<Respondent, 'name' | 'language' | 'fields'>,
  to: string,
): Promise<TestSendResult> => {
  const { template, data, locale } = invitationOf(settings, respondent);
  const [outcome] = await port.mailer.sendBulk({
    from: settings.sender,
    ...(settings.replyTo ? { replyTo: settings.replyTo } : {}),
    ...(port.configurationSetName ? { configurationSetName: port.configurationSetName } : {}),
    template: { ...template, subject: `${TEST_SUBJECT_PREFIX}${template.subject}` },
    tags: { kind: 'test-send' },
    destinations: [{ to, data }],
  });
  return { locale, outcome };
};
