// The web console in a real browser (Debian's Chromium via playwright-core) against `invites up`: a campaign
// started from the page, watched to the end, its table filtered and a respondent opened, its report
// downloaded and compared with the CLI's; a second campaign cancelled; axe-core on every page; screenshots.
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_DEPLOYMENT_FILE, type LocalDeploymentInfo } from '#local/deployment-info.ts';
import { browserAvailable, launchChromium, screenshot, seriousViolations } from '#test/support/browser.ts';
import { ROOT, spawnInvites, startInvites } from '#test/support/cli.ts';

const run = browserAvailable();
let dir: string;
let up: ReturnType<typeof startInvites>;
let browser: Browser;
let page: Page;
let base: string;
/** Every CSP violation or page error the app caused: the test fails on any. */
const problems: string[] = [];
/** True while axe-core runs: its probes set inline styles, which the CSP refuses (axe's, not the app's). */
let auditing = false;

beforeAll(async () => {
  if (!run) return;
  dir = await mkdtemp(join(tmpdir(), 'invites-browser-'));
  up = startInvites(['up'], dir);
  const file = join(dir, LOCAL_DEPLOYMENT_FILE);
  for (let waited = 0; !existsSync(file); waited += 200) {
    if (waited > 60_000) throw new Error(`invites up did not start: ${up.output().stderr}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  const info = JSON.parse(await readFile(file, 'utf8')) as LocalDeploymentInfo;
  base = info.console ?? '';
  browser = await launchChromium();
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
  page = await context.newPage();
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() !== 'error' || message.text().includes('Failed to load resource')) return;
    if (auditing && message.text().includes('Content Security Policy')) return;
    problems.push(`console: ${message.text()}`);
  });
}, 90_000);

afterAll(async () => {
  await browser?.close();
  await up?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** axe-core's serious and critical findings on the page as it is now, by rule and element. */
const accessibility = async (): Promise<string[]> => {
  auditing = true;
  try {
    const violations = await seriousViolations(page);
    return violations.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`);
  } finally {
    // Console messages arrive asynchronously: let axe's own reach the listener before the app goes on.
    await page.waitForTimeout(300);
    auditing = false;
  }
};

describe.runIf(run)('the web console in Chromium, against invites up', () => {
  let campaignUrl = '';

  it('starts the example campaign from the page: check, preview, start, watch it finish', {
    timeout: 120_000,
  }, async () => {
    // Prepare
    await page.goto(base);
    await page.getByRole('heading', { name: 'Campaigns' }).waitFor();
    expect(await page.getByText('LOCAL STACK').count()).toBe(1);
    expect(await accessibility()).toEqual([]);
    await screenshot(page, '1-campaigns-empty');

    // Act: drop the example CSV, check it, preview line 3, start.
    await page.getByRole('link', { name: 'New campaign' }).click();
    await page.getByLabel('Campaign name').fill('browser-demo');
    await page.getByLabel('Respondent CSV').setInputFiles(join(ROOT, 'examples', 'respondents.csv'));
    await page.getByRole('button', { name: 'Check the file' }).click();
    await page.getByRole('heading', { name: 'The check passed' }).waitFor();
    // biome-ignore lint/performance/useDomNodeTextContent: Playwright's innerText keeps the gaps between terms.
    const counts = await page.locator('dl.counts').innerText();
    await page.getByLabel('Line of the CSV').fill('3');
    await page.getByRole('button', { name: 'Show preview' }).click();
    await page.getByText('To ben.okafor@example.org').waitFor();
    const email = await page.frameLocator('iframe.email-html').locator('body').textContent();
    expect(await accessibility()).toEqual([]);
    await screenshot(page, '2-new-campaign-checked');
    // A reload keeps the file, the name and the check.
    await page.reload();
    await page.getByRole('heading', { name: 'The check passed' }).waitFor();
    expect(await page.getByLabel('Campaign name').inputValue()).toBe('browser-demo');
    await page.getByRole('button', { name: 'Start the campaign' }).click();
    await page.waitForURL(/\/campaigns\/[A-Za-z0-9_-]+$/);
    campaignUrl = page.url();
    await page.getByText('all sent, tracking').waitFor({ timeout: 60_000 });

    // Assert
    expect(email).toContain('Ben');
    expect(counts).toMatch(/Data rows\s+24/);
    expect(counts).toMatch(/Accepted\s+20/);
    expect(counts).toMatch(/Rejected\s+3/);
    expect(counts).toMatch(/Duplicates\s+1/);
    expect(counts).toMatch(/To invite\s+20/);
    expect(await page.getByRole('heading', { name: 'browser-demo' }).count()).toBe(1);
    expect(await page.locator('figure.funnel title').textContent()).toContain('invited 20');
  });

  it('filters the table, searches it and opens a respondent’s timeline; the URL keeps it all', {
    timeout: 60_000,
  }, async () => {
    // Act
    await page.goto(campaignUrl);
    await page.getByRole('checkbox', { name: /rejected/ }).check();
    await page.waitForURL(/status=rejected/);
    await page.getByText('3 matching').waitFor();
    const rejected = await page.locator('table.respondents tbody tr').count();
    await page.getByRole('checkbox', { name: /rejected/ }).uncheck();
    await page.getByRole('searchbox', { name: /Search/ }).fill('petrova');
    await page.getByText('1 matching').waitFor();
    await page.getByRole('button', { name: 'elena.petrova@example.ru' }).click();
    await page.getByText('invitation accepted by SES').waitFor();
    expect(await accessibility()).toEqual([]);
    await screenshot(page, '3-campaign-respondent-open');
    await page.reload();
    await page.getByText('invitation accepted by SES').waitFor();

    // Assert
    expect(rejected).toBe(3);
    expect(page.url()).toMatch(/search=petrova/);
    expect(page.url()).toMatch(/row=1%3A6|row=1:6/);
  });

  it('downloads report.csv, the same file invites report writes', { timeout: 60_000 }, async () => {
    // Act
    await page.goto(campaignUrl);
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Download report.csv' }).click(),
    ]);
    const fromPage = await readFile((await download.path()) ?? '', 'utf8');
    const campaignId = campaignUrl.replace(/^.*\/campaigns\//, '');
    const out = join(dir, 'cli-report.csv');
    const cli = await spawnInvites(['report', campaignId, '--local', '--out', out], {
      cwd: dir,
      timeoutMs: 60_000,
    });

    // Assert
    expect(cli.code, cli.stderr).toBe(0);
    expect(fromPage).toBe(await readFile(out, 'utf8'));
    expect(fromPage.split('\n').filter((l) => l !== '')).toHaveLength(25);
  });

  it('cancels a second, scheduled campaign with its unstarted rooms revoked', {
    timeout: 90_000,
  }, async () => {
    // Prepare: a campaign that waits for its send time, started from the page.
    const csv = join(dir, 'later.csv');
    await writeFile(csv, 'email,name\nann@later.example.org,Ann\nbo@later.example.org,Bo\n');
    await page.goto(`${base}new`);
    await page.getByLabel('Campaign name').fill('');
    await page.getByLabel('Campaign name').fill('browser-later');
    await page.getByLabel('Respondent CSV').setInputFiles(csv);
    await page.getByLabel('Send at').fill(new Date(Date.now() + 7 * 86_400_000).toISOString());
    await page.getByRole('button', { name: 'Check the file' }).click();
    await page.getByRole('heading', { name: 'The check passed' }).waitFor();
    await page.getByRole('button', { name: 'Start the campaign' }).click();
    await page.waitForURL(/\/campaigns\/[A-Za-z0-9_-]+$/);
    await page
      .getByText(/sending/)
      .first()
      .waitFor({ timeout: 60_000 });

    // Act
    await page.getByRole('button', { name: 'Cancel campaign…' }).click();
    await page.getByRole('checkbox', { name: /revoke the rooms/ }).check();
    expect(await accessibility()).toEqual([]);
    await screenshot(page, '4-cancel-confirm');
    await page.getByRole('button', { name: 'Cancel the campaign' }).click();
    await page.getByText(/^Cancelled/).waitFor();
    await page.locator('.badge-cancelled').waitFor({ timeout: 30_000 });
    await page.goto(base);
    await page.getByRole('link', { name: 'browser-later' }).waitFor();
    await screenshot(page, '5-campaigns');

    // Assert
    const rows = await page.locator('table.data tbody tr').allInnerTexts();
    expect(rows.find((r) => r.includes('browser-later'))).toMatch(/cancelled/);
    expect(rows.find((r) => r.includes('browser-demo'))).toMatch(/all sent, tracking\s+20/);
    expect(await accessibility()).toEqual([]);
    expect(problems).toEqual([]);
  });
});
