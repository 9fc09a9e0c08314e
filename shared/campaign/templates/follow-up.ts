// The shipped reminder and thank-you emails. A reminder carries the same room link as the invitation: the
// respondent's one room, still waiting for them.
import type { Locale } from '#shared/mail/locale.ts';
import type { EmailTemplate } from '#shared/mail/template.ts';
import { button, page } from './default.ts';

const muted = 'margin:0 0 16px;font-size:14px;color:#57606a;';
const para = 'margin:0 0 16px;';
const linkStyle = 'color:#2f6feb;word-break:break-all;';

const reminderEn: EmailTemplate = {
  subject: 'Reminder: your {{durationMinutes}}-minute voice interview is waiting',
  text: `{{greeting}}

A quick reminder: your voice interview is still waiting for you. It takes up to {{durationMinutes}} minutes, and all you need is a browser and a microphone.

Start whenever it suits you:
{{roomUrl}}

The link is valid until {{expiresOn}}. If you have already taken part, thank you, and please ignore this message.
`,
  html: page(
    'en',
    `<p style="${para}">{{greeting}}</p>
<p style="${para}">A quick reminder: your voice interview is still waiting for you. It takes up to <strong>{{durationMinutes}} minutes</strong>, and all you need is a browser and a microphone.</p>
${button('Start the interview')}
<p style="${muted}">Or open this link: <a href="{{roomUrl}}" style="${linkStyle}">{{roomUrl}}</a></p>
<p style="margin:0;">The link is valid until <strong>{{expiresOn}}</strong>. If you have already taken part, thank you, and please ignore this message.</p>`,
  ),
};

const reminderRu: EmailTemplate = {
  subject: 'Напоминание: вас ждёт голосовое интервью ({{durationMinutes}} мин.)',
  text: `{{greeting}}

Напоминаем: ваше голосовое интервью всё ещё ждёт вас. Оно займёт не больше {{durationMinutes}} мин., понадобятся только браузер и микрофон.

Начните, когда вам удобно:
{{roomUrl}}

Ссылка действует до {{expiresOn}}. Если вы уже приняли участие, спасибо, и просто не обращайте внимания на это письмо.
`,
  html: page(
    'ru',
    `<p style="${para}">{{greeting}}</p>
<p style="${para}">Напоминаем: ваше голосовое интервью всё ещё ждёт вас. Оно займёт не больше <strong>{{durationMinutes}} мин.</strong>, понадобятся только браузер и микрофон.</p>
${button('Начать интервью')}
<p style="${muted}">Или откройте ссылку: <a href="{{roomUrl}}" style="${linkStyle}">{{roomUrl}}</a></p>
<p style="margin:0;">Ссылка действует до <strong>{{expiresOn}}</strong>. Если вы уже приняли участие, спасибо, и просто не обращайте внимания на это письмо.</p>`,
  ),
};

const thanksEn: EmailTemplate = {
  subject: 'Thank you for your interview',
  text: `{{greeting}}

Thank you for taking part in our voice interview. Your answers help us a lot.

If you would like to add anything, just reply to this email.
`,
  html: page(
    'en',
    `<p style="${para}">{{greeting}}</p>
<p style="${para}">Thank you for taking part in our voice interview. Your answers help us a lot.</p>
<p style="margin:0;">If you would like to add anything, just reply to this email.</p>`,
  ),
};

const thanksRu: EmailTemplate = {
  subject: 'Спасибо за интервью',
  text: `{{greeting}}

Спасибо, что приняли участие в нашем голосовом интервью. Ваши ответы очень нам помогут.

Если захотите что-то добавить, просто ответьте на это письмо.
`,
  html: page(
    'ru',
    `<p style="${para}">{{greeting}}</p>
<p style="${para}">Спасибо, что приняли участие в нашем голосовом интервью. Ваши ответы очень нам помогут.</p>
<p style="margin:0;">Если захотите что-то добавить, просто ответьте на это письмо.</p>`,
  ),
};

/** The shipped reminder, per locale: used for every reminder whose settings give no template of its own. */
export const DEFAULT_REMINDER: Record<Locale, EmailTemplate> = { en: reminderEn, ru: reminderRu };
/** The shipped thank-you, per locale. */
export const DEFAULT_THANKS: Record<Locale, EmailTemplate> = { en: thanksEn, ru: thanksRu };
