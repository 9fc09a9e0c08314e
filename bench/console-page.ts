/**
 * `npm run bench:console`: how fast the web console's campaign page is for a 10,000-respondent campaign, on
 * the local stack (`invites up`) in Debian's Chromium, against a 100-respondent campaign measured in the same
 * run as the baseline. Prints the figures and writes out/console-bench.json.
 *
 * Page load = navigation start → the respondent table's first page and the funnel drawn (a fresh browser
 * context each time: no cache). Also: the view API's answer time, a search answered, and the app's size.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { Browser } from 'playwright-core';
import { LOCAL_DEPLOYMENT_FILE, type LocalDeploymentInfo } from '#local/deployment-info.ts';
import { launchChromium } from '#test/support/browser.ts';
import { ROOT, spawnInvites, startInvites } from '#test/support/cli.ts';
import { generateCsvFile } from './generate-csv.ts';

const RUNS = 5;
/**
 * The goal, checked against the baseline of the same run (machine-independent): a 10,000-respondent page
 * loads within 4× the 100-respondent page. The absolute times are reported, not judged.
 */
const GOAL = { ratio: 4 };

const median = (xs: number[]): number => {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
};

/** Sends a generated CSV of `rows` through `invites send --local` and waits for the invitations. */
const campaignOf = async (dir: string, rows: number): Promise<string> => {
  const csv = await generateCsvFile({
    rows,
    badEvery: 97,
    duplicateEvery: 89,
    domain: `page${rows}.example.org`,
  });
  const sent = await spawnInvites(['send', csv.path, '--local', '--campaign', `page-${rows}`, '--json'], {
    cwd: dir,
    timeoutMs: 900_000,
  });
  if (sent.code !== 0) throw new Error(`invites send failed: ${sent.stderr}`);
  return (JSON.parse(sent.stdout) as { campaignId: string }).campaignId;
};

/** Page loads, API answers and a search on one campaign's page. */
const measure = async (browser: Browser, base: string, campaignId: string) => {
  const loads: number[] = [];
  const apis: number[] = [];
  const searches: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    await page.goto(`${base}campaigns/${campaignId}`);
    await page.locator('table.respondents tbody tr').first().waitFor({ timeout: 60_000 });
    await page.locator('figure.funnel').waitFor();
    loads.push(await page.evaluate(() => performance.now()));
    apis.push(
      await page.evaluate(async (id) => {
        const started = performance.now();
        await (await fetch(`/api/campaigns/${id}?pageSize=50`)).json();
        return performance.now() - started;
      }, campaignId),
    );
    const started = Date.now();
    await page.getByRole('searchbox').fill('respondent7@');
    await page.waitForURL(/search=/);
    await page
      .locator('.pager')
      .getByText(/matching/)
      .waitFor();
    await page
      .locator('.pager')
      .getByText(/^Page 1 of 1 /)
      .waitFor();
    searches.push(Date.now() - started - 300);
    await context.close();
  }
  return { loadMs: median(loads), apiMs: median(apis), searchMs: median(searches), loads };
};

/** Bytes of the built app (raw and gzipped), as CloudFront would serve it. */
const appSize = async (dir: string) => {
  let raw = 0;
  let gzip = 0;
  for (const name of await readdir(join(dir, 'assets'))) {
    const body = await readFile(join(dir, 'assets', name));
    raw += (await stat(join(dir, 'assets', name))).size;
    gzip += gzipSync(body).length;
  }
  return { raw, gzip };
};

/** The console address of the `invites up` started in `dir`, once it is up. */
const consoleOf = async (dir: string, up: ReturnType<typeof startInvites>): Promise<string> => {
  const file = join(dir, LOCAL_DEPLOYMENT_FILE);
  for (let waited = 0; !existsSync(file); waited += 200) {
    if (waited > 90_000) throw new Error(`invites up did not start: ${up.output().stderr}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  const info = JSON.parse(await readFile(file, 'utf8')) as LocalDeploymentInfo;
  return info.console ?? '';
};

/** The figures, for a human. */
const print = (result: {
  baseline: Awaited<ReturnType<typeof measure>>;
  target: Awaited<ReturnType<typeof measure>>;
  ratio: number;
  size: { raw: number; gzip: number };
  sendSeconds: number;
  ok: boolean;
}) => {
  const { baseline, target, ratio, size, sendSeconds } = result;
  console.log(`campaign page, median of ${RUNS} cold loads in Chromium on the local stack:`);
  console.log(
    `  100 respondents     load ${baseline.loadMs.toFixed(0)} ms · view API ${baseline.apiMs.toFixed(0)} ms · search ${baseline.searchMs.toFixed(0)} ms`,
  );
  console.log(
    `  10,000 respondents  load ${target.loadMs.toFixed(0)} ms · view API ${target.apiMs.toFixed(0)} ms · search ${target.searchMs.toFixed(0)} ms`,
  );
  console.log(`  ratio ${ratio.toFixed(2)} (goal ≤ ${GOAL.ratio}): ${result.ok ? 'met' : 'NOT met'}`);
  console.log(
    `  app: ${(size.raw / 1024).toFixed(1)} KiB (${(size.gzip / 1024).toFixed(1)} KiB gzipped); 10,000 invited in ${sendSeconds.toFixed(0)} s`,
  );
};

const main = async () => {
  const dir = await mkdtemp(join(tmpdir(), 'invites-console-bench-'));
  const up = startInvites(['up'], dir);
  let browser: Browser | undefined;
  try {
    const base = await consoleOf(dir, up);
    const small = await campaignOf(dir, 100);
    const sendStarted = Date.now();
    const large = await campaignOf(dir, 10_000);
    const sendSeconds = (Date.now() - sendStarted) / 1000;
    browser = await launchChromium();
    const baseline = await measure(browser, base, small);
    const target = await measure(browser, base, large);
    const build = spawn(
      process.execPath,
      [
        join(ROOT, 'node_modules/vite/bin/vite.js'),
        'build',
        'web',
        '--outDir',
        join(dir, 'app'),
        '--logLevel',
        'silent',
      ],
      { cwd: ROOT, stdio: 'inherit' },
    );
    await new Promise((resolve) => build.once('close', resolve));
    const size = await appSize(join(dir, 'app'));
    const ratio = target.loadMs / baseline.loadMs;
    const result = {
      baseline,
      target,
      ratio,
      size,
      sendSeconds,
      goal: GOAL,
      ok: ratio <= GOAL.ratio,
    };
    print(result);
    await mkdir(join(ROOT, 'out'), { recursive: true });
    await writeFile(join(ROOT, 'out', 'console-bench.json'), `${JSON.stringify(result, null, 2)}\n`);
    process.exitCode = result.ok ? 0 : 1;
  } finally {
    await browser?.close();
    await up.stop();
    await rm(dir, { recursive: true, force: true });
  }
};

await main();
