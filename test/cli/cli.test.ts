// The `invites` CLI as a user runs it: a child process through the bin launcher, on its own local stack.
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '#cli/main.ts';
import { REPORT_HEADER } from '#cli/output.ts';
import type { CampaignSummary, GroundTruthEmail, ReportLine } from '#local/campaign.ts';
import type { InterviewRoom } from '#shared/aseed/schemas.ts';
import { EMAILED_STATUSES } from '#shared/events/journey.ts';
import { readCell } from '#shared/report/csv-cell.ts';
import { type CliRun, capturingIo, ROOT, spawnInvites } from '#test/support/cli.ts';

const EXAMPLE = join(ROOT, 'examples', 'respondents.csv');

/** Runs `invites <args>` like a user would, from the repository root. */
const invites = (args: string[], timeoutMs = 60_000): Promise<CliRun> => spawnInvites(args, { timeoutMs });

/** Minimal RFC 4180 reader for the report (quoted cells, doubled quotes, CRLF). */
const parseCsv = (text: string): string[][] => {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(cell);
      cell = '';
    } else if (c === '\n') {
      row.push(cell.replace(/\r$/, ''));
      rows.push(row);
      row = [];
      cell = '';
    } else cell += c;
  }
  if (cell !== '' || row.length > 0) rows.push([...row, cell]);
  return rows;
};

interface OutFiles {
  names: string[];
  report: ReportLine[];
  summary: CampaignSummary;
  emails: GroundTruthEmail[];
  rooms: InterviewRoom[];
}

const readOut = async (dir: string): Promise<OutFiles> => {
  const [header, ...rows] = parseCsv(await readFile(join(dir, 'report.csv'), 'utf8'));
  expect(header).toEqual([...REPORT_HEADER]);
  return {
    names: (await readdir(dir)).sort(),
    report: rows.map((cells) => {
      const [
        line,
        email,
        status,
        roomUrl,
        reason,
        name,
        roomStatus,
        emailedAt,
        deliveredAt,
        startedAt,
        completedAt,
        remindersSent,
        thankedAt,
        upload,
      ] = cells.map(readCell);
      return {
        line: Number(line),
        email: email ?? '',
        status: status as ReportLine['status'],
        room_url: roomUrl ?? '',
        reason: reason ?? '',
        name: name ?? '',
        room_status: roomStatus ?? '',
        emailed_at: emailedAt ?? '',
        delivered_at: deliveredAt ?? '',
        started_at: startedAt ?? '',
        completed_at: completedAt ?? '',
        reminders_sent: Number(remindersSent),
        thanked_at: thankedAt ?? '',
        upload: Number(upload),
      };
    }),
    summary: JSON.parse(await readFile(join(dir, 'summary.json'), 'utf8')),
    emails: (await readFile(join(dir, 'emails.jsonl'), 'utf8'))
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => JSON.parse(line)),
    rooms: JSON.parse(await readFile(join(dir, 'rooms.json'), 'utf8')),
  };
};

/** Checks the four files against each other and against the exactly-once guarantees. */
const expectConsistent = (out: OutFiles) => {
  const { report, summary, emails, rooms } = out;
  expect(out.names).toEqual(['emails.jsonl', 'report.csv', 'rooms.json', 'summary.json']);
  // Counts in the summary match the report rows.
  const count = (status: string) => report.filter((r) => r.status === status).length;
  // An emailed respondent's row shows what SES said since: delivered, bounced, complained, or still emailed.
  const wasEmailed = (r: ReportLine) =>
    EMAILED_STATUSES.includes(r.status as (typeof EMAILED_STATUSES)[number]);
  expect(summary.rows).toBe(report.length);
  expect(summary.emailed).toBe(report.filter(wasEmailed).length);
  expect(summary.delivered).toBe(report.filter((r) => r.delivered_at !== '').length);
  expect(summary.delivered).toBeGreaterThanOrEqual(count('delivered'));
  expect(summary.bounced).toBe(count('bounced'));
  expect(summary.complained).toBe(count('complained'));
  expect(summary.failed).toBe(count('failed'));
  expect(summary.rejected).toBe(count('rejected'));
  expect(summary.duplicates).toBe(count('duplicate'));
  expect(summary.accepted).toBe(summary.emailed + count('failed'));
  expect(summary.roomsCreated).toBe(rooms.length);
  // Every emailed row: one email to that address, carrying its room URL, and the room exists.
  const roomUrls = new Set(rooms.map((room) => room.url));
  const emailed = report.filter(wasEmailed);
  for (const row of emailed) expect(row.emailed_at, `line ${row.line}`).toMatch(/^\d{4}-\d\d-\d\dT/);
  for (const row of emailed) {
    const carrying = emails.filter((e) => e.text.includes(row.room_url) || e.html.includes(row.room_url));
    expect(
      carrying.map((e) => e.to.toLowerCase()),
      `line ${row.line}`,
    ).toEqual([row.email.toLowerCase()]);
    expect(roomUrls.has(row.room_url), `room of line ${row.line}`).toBe(true);
  }
  // Exactly one email per emailed respondent, and none to anyone else.
  expect(emails).toHaveLength(emailed.length);
  expect(new Set(emails.map((e) => e.to.toLowerCase())).size).toBe(emails.length);
  // No room that nobody received, unless it was cancelled.
  const received = new Set(emailed.map((r) => r.room_url));
  const orphans = rooms.filter((room) => !received.has(room.url) && room.status !== 'cancelled');
  expect(orphans).toEqual([]);
  // Every refused row says why.
  for (const row of report.filter(
    (r) => !wasEmailed(r) || r.status === 'bounced' || r.status === 'complained',
  ))
    expect(row.reason, `line ${row.line}`).not.toBe('');
};

let work: string;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'invites-cli-'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

// Spawned like a user runs it. Each run starts its own emulators on free ports; the faulted run mostly waits
// for visibility timeouts, so the two campaign runs share the time.
describe.concurrent('invites local', () => {
  it('runs the example campaign and writes four files that agree with each other', async () => {
    // Prepare
    const out = join(work, 'clean');

    // Act
    const run = await invites(['local', EXAMPLE, '--out', out, '--json', '--seed', '3']);

    // Assert
    expect(run.code, run.stderr).toBe(0);
    const files = await readOut(out);
    expect(JSON.parse(run.stdout)).toEqual(files.summary);
    expectConsistent(files);
    expect(files.summary).toMatchObject({ rows: 24, accepted: 20, rejected: 3, duplicates: 1, emailed: 20 });
    expect(files.summary.apiCreateCalls).toBeGreaterThan(0);
    expect(files.summary.sesCalls).toBeLessThanOrEqual(files.summary.apiCreateCalls + 2);
    expect(files.report.find((r) => r.line === 12)).toMatchObject({ status: 'duplicate' });
    const russian = files.emails.find((e) => e.to === 'elena.petrova@example.ru');
    expect(russian?.subject).toMatch(/[А-Яа-я]/);
    expect(run.stderr).toMatch(/rooms\s+20 created/);
    expect(run.stderr).toContain('emails.jsonl');
  }, 120_000);

  it('still emails every accepted respondent exactly once under API, SES and crash faults', async () => {
    // Prepare
    const out = join(work, 'faulted');

    // Act
    const run = await invites([
      'local',
      EXAMPLE,
      '--out',
      out,
      '--faults',
      '429=0.1,500=0.05,503=0.05,drop=0.05,latency=5',
      '--ses-faults',
      'throttle=0.1',
      '--crash',
      '0.1',
      '--seed',
      '16',
    ]);

    // Assert
    expect(run.code, run.stderr).toBe(0);
    const files = await readOut(out);
    expectConsistent(files);
    expect(files.summary.emailed).toBe(files.summary.accepted);
    expect(files.summary.failed).toBe(0);
    expect(run.stdout).toContain('faults injected');
  }, 120_000);

  it('dry-run validates, shows rejected rows and the token cost, and creates nothing', async () => {
    // Prepare
    const out = join(work, 'dry');

    // Act
    const run = await invites(['local', EXAMPLE, '--dry-run', '--out', out]);

    // Assert
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('20 accepted, 3 rejected, 1 duplicates');
    expect(run.stdout).toMatch(/line 8: rejected not-an-email: email has no "@"/);
    expect(run.stdout).toMatch(/line 12: duplicate .*duplicate of line 2/);
    // Stand-in price: 10 tokens per 30 min × ceil(30 / 30) × 20 respondents.
    expect(run.stdout).toMatch(/= 200 tokens/);
    expect(run.stdout).toContain('nothing was created');
    expect(existsSync(out)).toBe(false);
  }, 60_000);
});

/** Runs the CLI's `main` in this process (same parsing and messages; no process start-up per case). */
const inProcess = async (args: string[]): Promise<CliRun> => {
  const { io, output } = capturingIo();
  const code = await main(args, io);
  return { code, ...output() };
};

describe.concurrent('invites command line', () => {
  it('refuses a bad option through the real launcher with exit code 2', async () => {
    // Act
    const run = await invites(['local', EXAMPLE, '--crash', '2']);

    // Assert
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/--crash must be a probability between 0 and 1, got "2"/);
    expect(run.stdout).toBe('');
  }, 30_000);

  it.each([
    [['local'], /missing CSV file/],
    [['local', 'no/such/file.csv'], /does not exist/],
    [['local', EXAMPLE, '--faults', '429=2'], /bad --faults/],
    [['local', EXAMPLE, '--faults', 'flood=0.1'], /Unknown fault "flood"/],
    [['local', EXAMPLE, '--ses-faults', 'slow=0.1'], /expected throttle=/],
    [['local', EXAMPLE, '--seed', '1.5'], /--seed must be a whole number/],
    [['local', EXAMPLE, '--api-url', 'http://127.0.0.1:9'], /--api-url and --api-token go together/],
    [['local', EXAMPLE, '--colour'], /unknown option --colour/],
    [['local', EXAMPLE, EXAMPLE], /expected one CSV file/],
    [['launch'], /unknown command "launch"/],
    [['status', 'abc'], /--stack <name> \(or --local\) is required/],
    [['send', EXAMPLE], /--stack <name> \(or --local\) is required/],
    [['status', 'abc', '--stack', 'S', '--local'], /--stack and --local exclude each other/],
    [['local', EXAMPLE, '--days', '0'], /--days must be between 1 and 60/],
    [['local', EXAMPLE, '--respondents', 'start=0.5'], /--respondents goes with --days/],
    [['local', EXAMPLE, '--days', '2', '--respondents', 'start=2'], /"start=2" is not start=P/],
    [
      ['local', EXAMPLE, '--days', '2', '--api-url', 'https://x.example', '--api-token', 't'],
      /not with --api-url/,
    ],
  ])('refuses %j with a clear message and exit code 2', async (args, message) => {
    // Act
    const run = await inProcess(args as string[]);

    // Assert
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(message);
    expect(run.stdout).toBe('');
  });

  it('prints help for each command', async () => {
    // Act
    const spawned = await invites(['local', '--help']);
    const runs = await Promise.all(['send', 'status', 'report'].map((c) => inProcess([c, '--help'])));

    // Assert
    for (const run of [spawned, ...runs]) {
      expect(run.code).toBe(0);
      expect(run.stdout).toMatch(/^Usage: invites (local|send|status|report)/);
    }
  }, 30_000);

  it('dry-run says why a file is unusable and fails', async () => {
    // Prepare
    const csv = join(work, 'no-email-column.csv');
    await writeFile(csv, 'name,company\nAnna,Northwind\n');

    // Act
    const run = await inProcess(['local', csv, '--dry-run']);

    // Assert
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/CSV unusable: .*email/i);
  }, 30_000);

  it('dry-run reads the columns the settings name and shows what each column was read as', async () => {
    // Prepare
    const csv = join(work, 'german.csv');
    await writeFile(
      csv,
      'Privat;Arbeit;Vorname;Nachname;Firma\na@home.example.com;a@work.example.com;Anna;Schmidt;ACME\n',
    );
    const settings = join(work, 'columns.json');
    await writeFile(
      settings,
      JSON.stringify({ columns: { email: 'Arbeit', name: ['Vorname', 'Nachname'] } }),
    );

    // Act
    const run = await inProcess(['local', csv, '--dry-run', '--settings', settings]);

    // Assert
    expect(run.code, run.stdout).toBe(0);
    expect(run.stdout).toContain('1 accepted, 0 rejected');
    expect(run.stdout).toContain(
      'Columns: email ← Arbeit; name ← Vorname + Nachname; merge fields: privat, firma',
    );
  }, 30_000);

  it('dry-run checks the budget: over maxTokens it names both figures and fails, within it passes', async () => {
    // Prepare: the example's 20 respondents × 1 × 10 tokens = 200 tokens.
    const tight = join(work, 'tight-budget.json');
    await writeFile(tight, JSON.stringify({ maxTokens: 150 }));
    const enough = join(work, 'enough-budget.json');
    await writeFile(enough, JSON.stringify({ maxTokens: 200 }));

    // Act
    const over = await inProcess(['local', EXAMPLE, '--dry-run', '--settings', tight]);
    const within = await inProcess(['local', EXAMPLE, '--dry-run', '--settings', enough]);

    // Assert
    expect(over.code).toBe(1);
    expect(over.stdout).toContain(
      'Budget: over budget: the rooms would reserve 200 tokens (20 respondents × 1 × 10 tokens per 30 min = 200 tokens), more than maxTokens 150',
    );
    expect(within.code, within.stdout).toBe(0);
    expect(within.stdout).toContain('Budget: within maxTokens 200');
  }, 30_000);

  it('fails an over-budget campaign at ingest with both figures, before any room is created', async () => {
    // Prepare
    const settings = join(work, 'budget.json');
    await writeFile(settings, JSON.stringify({ maxTokens: 100 }));
    const out = join(work, 'over-budget');

    // Act
    const run = await inProcess(['local', EXAMPLE, '--settings', settings, '--out', out, '--json']);

    // Assert
    expect(run.code).toBe(1);
    expect(run.stderr + run.stdout).toContain('over budget: the rooms would reserve 200 tokens');
    expect(JSON.parse(run.stdout)).toMatchObject({ roomsCreated: 0, apiCreateCalls: 0, emailed: 0 });
  }, 60_000);

  it('dry-run names the bad setting and fails', async () => {
    // Prepare
    const settings = join(work, 'bad-settings.json');
    await writeFile(settings, JSON.stringify({ maxDurationMinutes: 0, colour: 'blue' }));

    // Act
    const run = await inProcess(['local', EXAMPLE, '--dry-run', '--settings', settings]);

    // Assert
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('settings.maxDurationMinutes');
    expect(run.stdout).toContain('settings.colour: is not a known setting');
  }, 30_000);

  it('dry-run names a merge field no column provides and fails', async () => {
    // Prepare
    const settings = join(work, 'typo-settings.json');
    await writeFile(settings, JSON.stringify({ templates: { ru: { subject: 'От {{compnay}}' } } }));

    // Act
    const run = await inProcess(['local', EXAMPLE, '--dry-run', '--settings', settings]);

    // Assert
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(
      /Templates unusable with this file: settings\.templates\.ru\.subject: uses \{\{compnay\}\}/,
    );
  }, 30_000);
});
