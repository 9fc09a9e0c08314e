import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '#cli/main.ts';
import { capturingIo } from '#test/support/cli.ts';

let work: string;
let csv: string;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'invites-preview-'));
  csv = join(work, 'people.csv');
  await writeFile(
    csv,
    'email,name,language,company\nnot-an-email,Nobody,en,X\nanna@example.com,Anna <b>&</b>,en,Q&A Ltd\nivan@example.ru,Иван,ru,Ромашка\n',
  );
});
afterAll(() => rm(work, { recursive: true, force: true }));

const preview = async (args: string[]) => {
  const { io, output } = capturingIo();
  const code = await main(['preview', ...args], io);
  return { code, ...output() };
};

describe('invites preview', () => {
  it('writes the first accepted row as SES renders it: subject first, values escaped in the HTML', async () => {
    // Prepare
    const out = join(work, 'first');

    // Act
    const run = await preview([csv, '--out', out]);

    // Assert
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('Preview of line 3 (en template)');
    const text = await readFile(join(out, 'preview.txt'), 'utf8');
    const html = await readFile(join(out, 'preview.html'), 'utf8');
    expect(text.split('\n')[0]).toBe('Subject: You are invited to a 30-minute voice interview');
    expect(text).toContain('Hello Anna <b>&</b>,');
    expect(text).toContain('https://aseed.invalid/interview/PREVIEW-no-room-was-created');
    expect(html).toContain('Hello Anna &lt;b&gt;&amp;&lt;/b&gt;,');
  });

  it('previews the row --line names in its own language', async () => {
    // Act
    const run = await preview([csv, '--line', '4', '--out', join(work, 'ru')]);

    // Assert
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('Preview of line 4 (ru template)');
    expect(await readFile(join(work, 'ru', 'preview.txt'), 'utf8')).toContain('Иван');
  });

  it('says why a row cannot be previewed', async () => {
    // Act
    const rejected = await preview([csv, '--line', '2', '--out', join(work, 'x')]);
    const missing = await preview([csv, '--line', '40', '--out', join(work, 'x')]);

    // Assert
    expect(rejected).toMatchObject({ code: 1 });
    expect(rejected.stderr).toContain('line 2 is rejected: email has no "@"');
    expect(missing.stderr).toContain('the file has no data row at line 40');
  });

  it('fails on a merge field that is neither built in nor a column, naming it', async () => {
    // Prepare
    const settings = join(work, 'team.json');
    const { DEFAULT_TEMPLATES } = await import('#shared/campaign/templates/default.ts');
    await writeFile(
      settings,
      JSON.stringify({ templates: { en: { ...DEFAULT_TEMPLATES.en, subject: 'Hi {{team}}' } } }),
    );

    // Act
    const run = await preview([csv, '--settings', settings, '--out', join(work, 'team')]);

    // Assert
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('settings.templates.en.subject: uses {{team}}');
  });

  it('needs --out', async () => {
    // Act
    const run = await preview([csv]);

    // Assert
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('missing --out <dir>');
  });
});
