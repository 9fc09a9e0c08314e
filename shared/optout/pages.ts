// The opt-out endpoint's pages: small, static, in the respondent's language, no script (the endpoint's
// Content-Security-Policy allows none), and the confirmation's button posts back to the same link.
import { escapeHtml } from '#shared/mail/template.ts';

/** Languages the pages are written in. */
export type PageLocale = 'en' | 'ru';

/** Which page: the confirmation, the opt-out recorded, a link refused, or no such invitation. */
export type PageKind = 'confirm' | 'done' | 'forged' | 'unknown' | 'retry';

const TEXT: Record<PageLocale, Record<PageKind, { title: string; body: string }> & { button: string }> = {
  en: {
    confirm: {
      title: 'Unsubscribe from these interview invitations?',
      body: 'You will get no more invitations or reminders from this research team.',
    },
    done: { title: 'You are unsubscribed', body: 'You will get no more invitations or reminders from us.' },
    forged: { title: 'This link is not valid', body: 'Use the link in the email exactly as it was sent.' },
    unknown: { title: 'Invitation not found', body: 'This invitation is no longer on record.' },
    retry: {
      title: 'Something went wrong',
      body: 'Your request was not recorded. Please try the link again later.',
    },
    button: 'Unsubscribe',
  },
  ru: {
    confirm: {
      title: 'Отписаться от приглашений на интервью?',
      body: 'Вы больше не получите приглашений и напоминаний от этой исследовательской команды.',
    },
    done: { title: 'Вы отписались', body: 'Вы больше не получите от нас приглашений и напоминаний.' },
    forged: {
      title: 'Ссылка недействительна',
      body: 'Откройте ссылку из письма в точности как она была отправлена.',
    },
    unknown: { title: 'Приглашение не найдено', body: 'Этого приглашения больше нет в системе.' },
    retry: { title: 'Что-то пошло не так', body: 'Запрос не записан. Попробуйте открыть ссылку позже.' },
    button: 'Отписаться',
  },
};

/** The HTML of one page; the confirmation's form posts the link's own parameters back. */
export const page = (
  locale: PageLocale,
  kind: PageKind,
  query: Readonly<Record<string, string | undefined>> = {},
): string => {
  const text = TEXT[locale];
  const { title, body } = text[kind];
  const action = `?${new URLSearchParams(
    Object.entries({ c: query.c, r: query.r, t: query.t }).filter(
      (e): e is [string, string] => e[1] !== undefined,
    ),
  ).toString()}`;
  const form =
    kind === 'confirm'
      ? `<form method="post" action="${escapeHtml(action)}"><input type="hidden" name="List-Unsubscribe" value="One-Click"><button type="submit">${escapeHtml(text.button)}</button></form>`
      : '';
  return `<!doctype html><html lang="${locale}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><meta name="robots" content="noindex"><title>${escapeHtml(title)}</title></head><body style="font-family:system-ui,sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem"><h1 style="font-size:1.4rem">${escapeHtml(title)}</h1><p>${escapeHtml(body)}</p>${form}</body></html>`;
};
