// The settings schema of an email template: each part a valid `{{field}}` template of bounded size, and the
// link the email is for where it needs one.
import * as z from 'zod';
import { hasControlChar } from '#shared/mail/address.ts';
import { parseTemplate, TemplateError } from '#shared/mail/template.ts';

/** One template part: a string of at most `max` characters that parses as a template (one line if asked). */
export const templatePart = (max: number, oneLine: boolean) =>
  z
    .string({ error: 'must be a string' })
    .min(1, { error: 'must not be empty' })
    .max(max, { error: `must be at most ${max} characters` })
    .superRefine((v, ctx) => {
      if (oneLine && hasControlChar(v)) {
        ctx.addIssue({ code: 'custom', message: 'must be one line without control characters' });
        return;
      }
      try {
        parseTemplate(v);
      } catch (error) {
        if (!(error instanceof TemplateError)) throw error;
        ctx.addIssue({ code: 'custom', message: error.message });
      }
    });

const parts = {
  subject: templatePart(200, true),
  text: templatePart(20_000, false),
  html: templatePart(100_000, false),
};

/** Subject, text and HTML of an email with no required link (a thank-you). */
export const PlainTemplateSchema = z.strictObject(parts);

/** Subject, text and HTML of one locale's invitation or reminder; text and HTML must carry `{{roomUrl}}`. */
export const EmailTemplateSchema = z.strictObject(parts).superRefine((t, ctx) => {
  for (const part of ['text', 'html'] as const) {
    try {
      if (!parseTemplate(t[part]).some((p) => typeof p !== 'string' && p.key === 'roomurl')) {
        ctx.addIssue({ code: 'custom', path: [part], message: 'must contain the {{roomUrl}} link' });
      }
    } catch {
      // already reported by the part's own check
    }
  }
});
