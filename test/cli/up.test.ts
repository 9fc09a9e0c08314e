import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readSesStore } from '#local/aws.ts';
import { LOCAL_DEPLOYMENT_FILE, type LocalDeploymentInfo } from '#local/deployment-info.ts';
import { ROOT, spawnInvites, startInvites } from '#test/support/cli.ts';

// `invites up` keeps the local stack running as a deployment; send, status, report and cancel --local then
// work against it as they do against a deployed stack: this is the real test of those commands.
let dir: string;
let up: ReturnType<typeof startInvites>;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'invites-up-'));
  up = startInvites(['up'], dir);
  const file = join(dir, LOCAL_DEPLOYMENT_FILE);
  for (let waited = 0; !existsSync(file); waited += 200) {
    if (waited > 60_000) throw new Error(`invites up did not start: ${up.output().stderr}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}, 70_000);
afterAll(async () => {
  await up?.stop();
  await rm(dir, { recursive: true, force: true });
});

const invites = (args: string[]) => spawnInvites(args, { cwd: dir, timeoutMs: 90_000 });

describe('invites up, then send, status and report --local', () => {
  it('adds the new people of a changed file sent under the same --campaign name, and nobody twice', {
    timeout: 150_000,
  }, async () => {
    // Prepare: the second file repeats Ben (in capitals) and Cy and adds Dee and Eve.
    const info = JSON.parse(await readFile(join(dir, LOCAL_DEPLOYMENT_FILE), 'utf8')) as LocalDeploymentInfo;
    const first = join(dir, 'panel-1.csv');
    const second = join(dir, 'panel-2.csv');
    await writeFile(
      first,
      'email,name\nann@panel.example.org,Ann\nben@panel.example.org,Ben\ncy@panel.example.org,Cy\n',
    );
    await writeFile(
      second,
      'email,name\nBEN@panel.example.org,Ben\ndee@panel.example.org,Dee\ncy@panel.example.org,Cy\neve@panel.example.org,Eve\n',
    );
    const since = Math.floor(Date.now() / 1000) - 1;

    // Act
    const one = await invites(['send', first, '--local', '--campaign', 'panel', '--json']);
    const two = await invites(['send', second, '--local', '--campaign', 'panel', '--json']);
    const same = await invites(['send', second, '--local', '--campaign', 'panel']);
    const withSettings = await invites([
      'send',
      second,
      '--local',
      '--campaign',
      'panel',
      '--settings',
      first,
    ]);
    const report = await invites(['report', 'panel', '--local']);
    const listed = (await (await fetch(`${info.console}api/campaigns`)).json()) as {
      campaigns: Array<{ name: string; uploads: number; accepted: number }>;
    };
    const emails = (await readSesStore(info.ses.endpoint, since)).filter((m) =>
      m.to[0]?.endsWith('@panel.example.org'),
    );

    // Assert
    expect(one.code, one.stderr).toBe(0);
    expect(JSON.parse(one.stdout), one.stdout + one.stderr).toMatchObject({
      uploads: 1,
      accepted: 3,
      emailed: 3,
    });
    expect(two.code, two.stderr).toBe(0);
    expect(JSON.parse(two.stdout)).toMatchObject({
      campaignId: JSON.parse(one.stdout).campaignId,
      status: 'completed',
      uploads: 2,
      rows: 7,
      accepted: 5,
      duplicates: 2,
      emailed: 5,
    });
    expect(two.stderr).toContain(
      'upload 2: 4 rows, 2 new invitees, 2 already in the campaign (given nothing)',
    );
    expect(listed.campaigns).toContainEqual(
      expect.objectContaining({ name: 'panel', uploads: 2, accepted: 5 }),
    );
    expect(same.code).toBe(0);
    expect(same.stdout).toContain('identical to an upload this campaign already has');
    expect(withSettings.code).toBe(1);
    expect(withSettings.stderr).toMatch(/settings were fixed by its first upload/);
    // SES's delivery events may still be on their way: emailed or delivered both say invited.
    const rows = report.stdout
      .trim()
      .split(/\r?\n/)
      .slice(1)
      .map((r) => r.split(','))
      .map((c) => [c[0], c[1], c[2]?.replace(/^(emailed|delivered)$/, 'invited'), c.at(-1)].join(','));
    expect(rows).toEqual([
      '2,ann@panel.example.org,invited,1',
      '3,ben@panel.example.org,invited,1',
      '4,cy@panel.example.org,invited,1',
      '2,BEN@panel.example.org,duplicate,2',
      '3,dee@panel.example.org,invited,2',
      '4,cy@panel.example.org,duplicate,2',
      '5,eve@panel.example.org,invited,2',
    ]);
    expect(report.stdout).toMatch(/already invited on \d{4}-\d\d-\d\d \(upload 1, line 3\)/);
    expect(emails.map((m) => m.to[0]).sort()).toEqual(
      ['ann', 'ben', 'cy', 'dee', 'eve'].map((n) => `${n}@panel.example.org`),
    );
  });

  it("checks a new campaign's file through the local console (the stand-in's price, a test send into its SES), then uploads it", {
    timeout: 60_000,
  }, async () => {
    // Prepare
    const info = JSON.parse(await readFile(join(dir, LOCAL_DEPLOYMENT_FILE), 'utf8')) as LocalDeploymentInfo;
    const csv = 'email,name\nzed@check.example.org,Zed\nnope\n';
    const post = async (path: string, body: unknown) => {
      const response = await fetch(`${info.console}api/${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      return { status: response.status, json: (await response.json()) as Record<string, unknown> };
    };
    const since = Math.floor(Date.now() / 1000) - 1;

    // Act
    const validated = await post('validate', { name: 'check', csv });
    const sent = await post('test-send', { csv, to: 'researcher@check.example.org' });
    const inbox = (await readSesStore(info.ses.endpoint, since)).filter((m) =>
      m.to.includes('researcher@check.example.org'),
    );
    const grant = await post('uploads', { name: 'check', kind: 'csv', bytes: Buffer.byteLength(csv) });
    const granted = grant.json as { url: string; headers: Record<string, string> };
    const uploaded = await fetch(granted.url, { method: 'PUT', headers: granted.headers, body: csv });

    // Assert
    expect(validated.status, JSON.stringify(validated.json)).toBe(200);
    expect(validated.json).toMatchObject({ accepted: 1, rejected: 1, invitable: 1, wouldFail: false });
    expect(validated.json.cost).toMatchObject({
      tokens: expect.any(Number),
      source: expect.stringContaining('stand-in'),
    });
    expect(sent.status, JSON.stringify(sent.json)).toBe(200);
    expect(inbox.map((m) => m.subject)).toEqual([expect.stringMatching(/^\[TEST\] /)]);
    expect(inbox[0]?.text).toContain('https://aseed.invalid/interview/PREVIEW-no-room-was-created');
    // The signed upload takes the file (the ingest then starts the campaign, as send --campaign would).
    expect(uploaded.status, await uploaded.text()).toBe(200);
  });

  it('runs an uploaded campaign to the end and shows its funnel and report, then stops on SIGTERM', {
    timeout: 150_000,
  }, async () => {
    // Prepare
    const info = JSON.parse(await readFile(join(dir, LOCAL_DEPLOYMENT_FILE), 'utf8')) as LocalDeploymentInfo;
    const csv = join(ROOT, 'examples', 'respondents.csv');

    // Act
    const sent = await invites(['send', csv, '--local', '--json']);
    const summary = JSON.parse(sent.stdout) as { campaignId: string; funnel: Record<string, number> };
    // SES's events arrive a moment after the campaign completes: status shows them once recorded.
    let status = await invites(['status', summary.campaignId, '--local']);
    for (let i = 0; i < 20 && !/delivered\s+20\s/.test(status.stdout); i++) {
      await new Promise((resolve) => setTimeout(resolve, 500));
      status = await invites(['status', summary.campaignId, '--local']);
    }
    const report = await invites(['report', summary.campaignId, '--local', '--out', join(dir, 'report.csv')]);
    const cancelled = await invites([
      'cancel',
      summary.campaignId,
      '--local',
      '--revoke-unstarted',
      '--json',
    ]);
    const afterCancel = await invites(['report', summary.campaignId, '--local']);
    const queued = await invites(['send', csv, '--local', '--no-wait', '--json']);
    const since = Math.floor(Date.now() / 1000) - 1;
    const tested = await invites(['test-send', csv, '--to', 'tester@example.org', '--local', '--line', '3']);
    const testEmails = (await readSesStore(info.ses.endpoint, since)).filter(
      (m) => m.to[0] === 'tester@example.org',
    );
    const stopped = await up.stop();

    // Assert
    expect(info.api.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(info.ses.inbox).toMatch(/^http:\/\//);
    expect(sent.code).toBe(0);
    expect(summary).toMatchObject({
      status: 'completed',
      accepted: 20,
      emailed: 20,
      rejected: 3,
      duplicates: 1,
    });
    expect(summary.funnel).toMatchObject({ emailed: 20, started: 0 });
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(/delivered\s+20\s+100\.0 % of invited/);
    expect(report.code).toBe(0);
    const lines = (await readFile(join(dir, 'report.csv'), 'utf8')).trim().split(/\r?\n/);
    expect(lines[0]).toBe(
      'line,email,status,room_url,reason,name,room_status,emailed_at,delivered_at,started_at,completed_at,reminders_sent,thanked_at,upload',
    );
    expect(lines).toHaveLength(25);
    expect(cancelled.code, cancelled.stderr).toBe(0);
    expect(JSON.parse(cancelled.stdout)).toMatchObject({
      revokeUnstarted: true,
      left: 0,
      cancelled: 20,
      roomsCancelled: 20,
      kept: 0,
    });
    expect(afterCancel.stdout.match(/^\d+,[^,]*,cancelled,/gm)).toHaveLength(20);
    expect(queued.code).toBe(0);
    expect(JSON.parse(queued.stdout)).toHaveProperty('campaignId');
    expect(tested.code, tested.stderr).toBe(0);
    expect(tested.stdout).toContain("Sent line 3's invitation (en template) to tester@example.org");
    expect(testEmails).toHaveLength(1);
    expect(testEmails[0]?.subject).toMatch(/^\[TEST\] /);
    expect(testEmails[0]?.text).toContain('Ben Okafor');
    expect(testEmails[0]?.text).toContain('https://aseed.invalid/interview/PREVIEW-no-room-was-created');
    expect(stopped.code).toBe(0);
    expect(existsSync(join(dir, LOCAL_DEPLOYMENT_FILE))).toBe(false);
  });

  it('says how to start a local stack when none runs', async () => {
    // Act
    const run = await spawnInvites(['status', 'abc', '--local'], { cwd: tmpdir() });

    // Assert
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/no local stack here .*invites up/);
  });
});
