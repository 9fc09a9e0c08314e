// The visible opt-out link every invitation and follow-up ends with (besides the List-Unsubscribe headers):
// appended to whatever template the campaign uses, so a custom template cannot leave it out.
import type { Locale } from '#shared/mail/locale.ts';
import type { EmailTemplate } from '#shared/mail/template.ts';

/** The merge field holding a respondent's opt-out URL (alphanumeric: SES refuses others in inline templates). */
export const OPT_OUT_FIELD = 'optOutUrl';

const LABEL: Record<Locale, { text: string; link: string }> = {
  en: { text: 'Do not want these invitations? Unsubscribe:', link: 'Unsubscribe from these invitations' },
  ru: { text: 'Не хотите получать эти приглашения? Отписаться:', link: 'Отписаться от этих приглашений' },
};

/** The template with the opt-out footer: a line in the text part, a small paragraph before `</body>` in HTML. */
export const withOptOutFooter = (template: EmailTemplate, locale: Locale): EmailTemplate => {
  const label = LABEL[locale];
  const paragraph = `<p style="font-size:12px;color:#666;margin-top:24px"><a href="{{${OPT_OUT_FIELD}}}">${label.link}</a></p>`;
  const html = /<\/body>/i.test(template.html)
    ? template.html.replace(/<\/body>/i, `${paragraph}</body>`)
    : `${template.html}${paragraph}`;
  return {
    ...template,
    text: `${template.text.trimEnd()}\n\n--\n${label.text} {{${OPT_OUT_FIELD}}}\n`,
    html,
  };
};

/** The List-Unsubscribe headers of one recipient (RFC 2369, one-click per RFC 8058). */
export const optOutHeaders = (url: string): Record<string, string> => ({
  'List-Unsubscribe': `<${url}>`,
  'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
});
