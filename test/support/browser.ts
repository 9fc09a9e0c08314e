// Chromium for the browser tests: Debian's package (what .ci/run installs), driven by playwright-core, with
// an accessibility pass (axe-core) and screenshots written to out/browser for review.
import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { ROOT } from './cli.ts';

/** Where the screenshots go (out/ is git-ignored). */
export const SCREENSHOTS = join(ROOT, 'out', 'browser');

const CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'];

/** The Chromium to drive: $CHROMIUM_PATH, or the first one installed. */
export const chromiumPath = (): string | undefined =>
  [process.env.CHROMIUM_PATH, ...CANDIDATES].find((path): path is string => !!path && existsSync(path));

/**
 * Whether the browser tests run: always where Chromium is; where it is not, only when they are not
 * required (.ci/run requires them, so CI cannot pass without them).
 */
export const browserAvailable = (): boolean => {
  if (chromiumPath()) return true;
  if (process.env.INVITES_BROWSER_TESTS === 'required') {
    throw new Error('INVITES_BROWSER_TESTS=required but no Chromium: apt-get install -y chromium');
  }
  console.warn('browser tests skipped: no Chromium (apt-get install -y chromium, or set CHROMIUM_PATH)');
  return false;
};

/** Launches headless Chromium. */
export const launchChromium = async (): Promise<Browser> => {
  const executablePath = chromiumPath();
  if (!executablePath) throw new Error('no Chromium');
  // No sandbox: CI runs as root in a container, where Chromium's sandbox cannot start.
  return chromium.launch({ executablePath, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
};

/** A screenshot of the whole page, as out/browser/<name>.png. */
export const screenshot = async (page: Page, name: string): Promise<string> => {
  await mkdir(SCREENSHOTS, { recursive: true });
  const path = join(SCREENSHOTS, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
};

/** One accessibility finding of axe-core. */
export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: Array<{ target: string[] }>;
}

/** Runs axe-core (WCAG 2.1 A and AA rules) on the page; the serious and critical findings. */
export const seriousViolations = async (page: Page): Promise<AxeViolation[]> => {
  const source = await readFile(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
  // Evaluated through the DevTools protocol, which the page's CSP (script-src 'self') does not govern.
  await page.evaluate(source);
  const violations = await page.evaluate(async () => {
    const axe = (
      globalThis as unknown as {
        axe: { run: (ctx: unknown, o: unknown) => Promise<{ violations: AxeViolation[] }> };
      }
    ).axe;
    const result = await axe.run((globalThis as { document?: unknown }).document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21aa'] },
    });
    return result.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.map((n) => ({ target: n.target })),
    }));
  });
  return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
};
