// `invites preview`: one respondent's invitation exactly as SES will render it (the template and data the
// invite function hands SES), written to preview.html and preview.txt; nothing is created or sent.
import { createReadStream } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  findRespondent,
  type InvitationPreview,
  PLACEHOLDER_ROOM_URL,
  previewInvitation,
} from '#shared/campaign/preview.ts';
import { EXIT, integer, onePositional, parse, UsageError } from './args.ts';
import type { Io } from './local.ts';
import { checkSettings } from './validate.ts';

// The file's settings are judged on their own: placeholders stand in for the deployment's two required ones.
const DEFAULTS = {
  projectId: '00000000-0000-4000-8000-000000000000',
  sender: 'Aseed Research <research@invites.example.org>',
};

/** preview.txt: the subject first, then the text part. */
const textFile = (email: InvitationPreview) => `Subject: ${email.subject}\n\n${email.text}`;

/** `invites preview <csv> [--settings f] [--line N] --out DIR`. */
export const previewCommand = async (args: string[], io: Io): Promise<number> => {
  const { values, positionals } = parse('preview', args, {
    settings: { type: 'string' },
    line: { type: 'string' },
    out: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) return -1;
  const csvPath = onePositional('preview', positionals, 'CSV file');
  if (values.out === undefined) throw new UsageError('missing --out <dir>', 'preview');
  const line = integer('preview', 'line', values.line);
  const checked = await checkSettings(values.settings, DEFAULTS);
  if ('settingsError' in checked) {
    io.stderr.write(`invites preview: the settings are unusable: ${checked.settingsError}\n`);
    return EXIT.failed;
  }
  const found = await findRespondent(createReadStream(csvPath), checked.settings, line);
  if ('problem' in found) {
    io.stderr.write(`invites preview: ${found.problem}\n`);
    return EXIT.failed;
  }
  const email = previewInvitation(checked.settings, found.respondent);
  await mkdir(values.out, { recursive: true });
  const html = join(values.out, 'preview.html');
  const text = join(values.out, 'preview.txt');
  await Promise.all([writeFile(html, email.html), writeFile(text, textFile(email))]);
  io.stdout(
    `Preview of line ${found.line} (${email.locale} template), link ${PLACEHOLDER_ROOM_URL}:\n` +
      `  Subject: ${email.subject}\n  ${html}\n  ${text}\n`,
  );
  return EXIT.ok;
};
