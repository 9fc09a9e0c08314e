import type { Locale } from '#shared/mail/locale.ts';
import type { EmailTemplate } from '#shared/mail/template.ts';

// Inline styles only: many mail clients drop <style> blocks. Kept short on purpose: one message, one link.
/** The HTML frame of every shipped email: one white card, inline styles. */
export const page = (lang: Locale, body: string): string =>
  `<!DOCTYPE html>
<html lang="${lang}">
<body style="margin:0;padding:0;background:#f4f5f7;">
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" style="background:#f4f5f7;padding:24px 0;">
<tr><td align="center">
<table role="presentation" width="560" cellpadding="0" cellspacing="0" style="max-width:560px;width:100%;background:#ffffff;border-radius:8px;font-family:Arial,Helvetica,sans-serif;font-size:16px;line-height:1.5;color:#1f2328;">
<tr><td style="padding:32px;">
${body}
</td></tr>
</table>
</td></tr>
</table>
</body>
</html>`;

/** The email's call to action: a button to the respondent's room. */
export const button = (label: string): string =>
  `<p style="margin:24px 0;"><a href="{{roomUrl}}" style="display:inline-block;background:#2f6feb;color:#ffffff;text-decoration:none;font-weight:bold;padding:12px 24px;border-radius:6px;">${label}</a></p>`;

const en: EmailTemplate = {
  subject: 'You are invited to a {{durationMinutes}}-minute voice interview',
  text: `{{greeting}}

We would love to hear your thoughts in a short voice interview. It is a relaxed conversation with an AI interviewer: you talk, it listens and asks a few follow-up questions. It takes up to {{durationMinutes}} minutes, and all you need is a browser and a microphone.

Start whenever it suits you:
{{roomUrl}}

The link is personal, so please do not share it. It is valid until {{expiresOn}}.

If you have any questions, just reply to this email.

Thank you for your time!
`,
  html: page(
    'en',
    `<p style="margin:0 0 16px;">{{greeting}}</p>
<p style="margin:0 0 16px;">We would love to hear your thoughts in a short voice interview. It is a relaxed conversation with an AI interviewer: you talk, it listens and asks a few follow-up questions. It takes up to <strong>{{durationMinutes}} minutes</strong>, and all you need is a browser and a microphone.</p>
${button('Start the interview')}
<p style="margin:0 0 16px;font-size:14px;color:#57606a;">Or open this link: <a href="{{roomUrl}}" style="color:#2f6feb;word-break:break-all;">{{roomUrl}}</a></p>
<p style="margin:0 0 16px;">The link is personal, so please do not share it. It is valid until <strong>{{expiresOn}}</strong>.</p>
<p style="margin:0 0 16px;">If you have any questions, just reply to this email.</p>
<p style="margin:0;">Thank you for your time!</p>`,
  ),
};

const ru: EmailTemplate = {
  subject: 'Приглашение на голосовое интервью ({{durationMinutes}} мин.)',
  text: `{{greeting}}

Приглашаем вас поделиться мнением в коротком голосовом интервью. Это непринуждённый разговор с ИИ-интервьюером: вы рассказываете, он слушает и задаёт несколько уточняющих вопросов. Интервью займёт не больше {{durationMinutes}} мин., понадобятся только браузер и микрофон.

Начните, когда вам удобно:
{{roomUrl}}

Ссылка персональная, пожалуйста, не пересылайте её. Она действует до {{expiresOn}}.

Если у вас есть вопросы, просто ответьте на это письмо.

Спасибо, что уделяете нам время!
`,
  html: page(
    'ru',
    `<p style="margin:0 0 16px;">{{greeting}}</p>
<p style="margin:0 0 16px;">Приглашаем вас поделиться мнением в коротком голосовом интервью. Это непринуждённый разговор с ИИ-интервьюером: вы рассказываете, он слушает и задаёт несколько уточняющих вопросов. Интервью займёт не больше <strong>{{durationMinutes}} мин.</strong>, понадобятся только браузер и микрофон.</p>
${button('Начать интервью')}
<p style="margin:0 0 16px;font-size:14px;color:#57606a;">Или откройте ссылку: <a href="{{roomUrl}}" style="color:#2f6feb;word-break:break-all;">{{roomUrl}}</a></p>
<p style="margin:0 0 16px;">Ссылка персональная, пожалуйста, не пересылайте её. Она действует до <strong>{{expiresOn}}</strong>.</p>
<p style="margin:0 0 16px;">Если у вас есть вопросы, просто ответьте на это письмо.</p>
<p style="margin:0;">Спасибо, что уделяете нам время!</p>`,
  ),
};

/** The shipped invitation emails, per locale: used unless deployment config or an upload overrides them. */
export const DEFAULT_TEMPLATES: Record<Locale, EmailTemplate> = { en, ru };
