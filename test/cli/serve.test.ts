import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readSesStore } from '#local/aws.ts';
import { LOCAL_DEPLOYMENT_FILE, type LocalDeploymentInfo } from '#local/deployment-info.ts';
import { ROOT, spawnInvites, startInvites } from '#test/support/cli.ts';

// `invites local … --serve` ends where `invites up` starts: the demo run's own stack stays live, its
// campaign in the console, and a CSV sent to it later is ingested, invited and tracked.
let dir: string | undefined;
let served: ReturnType<typeof startInvites> | undefined;
afterAll(async () => {
  await served?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** Waits for the running command's `.invites/local.json` to name its console. */
const deploymentOf = async (cwd: string, running: ReturnType<typeof startInvites>) => {
  const file = join(cwd, LOCAL_DEPLOYMENT_FILE);
  for (let waited = 0; ; waited += 200) {
    if (existsSync(file)) {
      const info = JSON.parse(await readFile(file, 'utf8')) as LocalDeploymentInfo;
      if (info.console) return info;
    }
    if (waited > 50_000) throw new Error(`invites local --serve did not come up: ${running.output().stderr}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
};

describe('invites local --serve', () => {
  it('keeps the demo run live with its console, ingests a later send, and stops on SIGTERM', {
    timeout: 80_000,
  }, async () => {
    // Prepare
    dir = await mkdtemp(join(tmpdir(), 'invites-serve-'));
    const csv = join(dir, 'later.csv');
    await writeFile(csv, 'email,name\nann@later.example.org,Ann\nbo@later.example.org,Bo\n');
    // A simulated day first (as `npm start` runs three): the stack goes live on the moved clock.
    served = startInvites(
      ['local', join(ROOT, 'examples', 'respondents.csv'), '--days', '1', '--serve'],
      dir,
    );
    const info = await deploymentOf(dir, served);
    const invites = (args: string[]) => spawnInvites(args, { cwd: dir, timeoutMs: 40_000 });
    const since = Math.floor(Date.now() / 1000) - 1;

    // Act
    const listed = (await (await fetch(`${info.console}api/campaigns`)).json()) as {
      campaigns: Array<{ campaignId: string; uploads: number; accepted: number }>;
    };
    const page = await fetch(info.console ?? '');
    const sent = await invites(['send', csv, '--local', '--json']);
    const summary = JSON.parse(sent.stdout || '{}') as { campaignId: string };
    const status = await invites(['status', summary.campaignId, '--local']);
    const emails = (await readSesStore(info.ses.endpoint, since)).filter((m) =>
      m.to[0]?.endsWith('@later.example.org'),
    );
    const stopped = await served.stop();

    // Assert: the demo campaign (20 accepted) is listed once, its upload not ingested again.
    expect(listed.campaigns).toContainEqual(expect.objectContaining({ uploads: 1, accepted: 20 }));
    expect(page.status).toBe(200);
    expect(sent.code, sent.stderr).toBe(0);
    expect(summary).toMatchObject({ status: 'completed', accepted: 2, emailed: 2 });
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toMatch(/emailed|delivered/);
    expect(emails.map((m) => m.to[0]).sort()).toEqual(['ann@later.example.org', 'bo@later.example.org']);
    expect(stopped.stdout).toMatch(/^Inbox: http:\/\/\S+ /m);
    expect(stopped.stdout).toContain(`Console: ${info.console} (local, loopback only, no sign-in)`);
    expect(stopped.code, stopped.stderr).toBe(0);
    expect(existsSync(join(dir, LOCAL_DEPLOYMENT_FILE))).toBe(false);
  });
});
