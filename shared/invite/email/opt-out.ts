// The opt-out parts of a send: each recipient's signed link (the footer's merge field and the List-Unsubscribe
// headers), and the template with the footer. Without a signer (unit tests) emails carry neither.
import type { Locale } from '#shared/mail/locale.ts';
import type { BulkDestination } from '#shared/mail/mailer.ts';
import { type EmailTemplate, type MergeData, mergeData } from '#shared/mail/template.ts';
import { OPT_OUT_FIELD, optOutHeaders, withOptOutFooter } from '#shared/optout/footer.ts';
import { type OptOutSigner, optOutUrl } from '#shared/optout/link.ts';
import type { RespondentItem } from '#shared/store/types.ts';
import type { Ctx } from '../context.ts';

/** The signer of this send's links (its key read now: cached by the reader), if links are signed. */
export const optOutSigner = async (ctx: Ctx): Promise<OptOutSigner | undefined> => {
  const config = ctx.deps.optOut;
  return config ? { baseUrl: config.baseUrl, key: await config.key() } : undefined;
};

/** The template of a send: the campaign's, with the opt-out footer when links are signed. */
export const withOptOut = (
  signer: OptOutSigner | undefined,
  template: EmailTemplate,
  locale: Locale,
): EmailTemplate => (signer ? withOptOutFooter(template, locale) : template);

/** One recipient's merge data and headers: its opt-out link added when links are signed. */
export const recipientParts = (
  signer: OptOutSigner | undefined,
  r: RespondentItem,
  data: MergeData,
): Pick<BulkDestination, 'data' | 'headers'> => {
  if (!signer) return { data };
  const url = optOutUrl(signer, { campaignId: r.campaignId, batch: r.batch, seq: r.seq });
  return { data: new Map([...data, ...mergeData({ [OPT_OUT_FIELD]: url })]), headers: optOutHeaders(url) };
};
