// `npm run chaos -- --runs N --respondents M [--seed s] [--parallel p] [--visibility s] [--json file]`:
// seeded chaos runs of the real pipeline on the local stack; prints the table, exits 1 on any violation.
import { appendFileSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import type { AppLogger } from '#shared/log.ts';
import {
  type ChaosReport,
  formatFailures,
  formatTable,
  type RunOutcome,
  runChaos,
  violationCount,
} from './harness.ts';
import { describeProfile } from './profile.ts';

const USAGE = `usage: npm run chaos -- --runs N --respondents M [--seed s] [--parallel p] [--visibility seconds] [--json out.json]
  --seed s        base seed; run i uses s + i. Replay one run: --runs 1 --seed <its seed>
  --parallel p    runs at the same time (default 2)
  --visibility s  invite queue visibility timeout = function timeout (local default of runLocalCampaign)
  --json file     also write every run's outcome (profile, faults, violations) as JSON
  --jsonl file    append each run's outcome to file as it finishes (survives an interrupted run)
  --summarize f   print the table of a --jsonl file (e.g. while a long run is still going)
  --verbose       the handlers' logs as JSON lines on stderr`;

/** The handlers' logs as JSON lines on stderr (`--verbose`), tagged with the level. */
const stderrLogger = (): AppLogger => {
  const keys: Record<string, unknown> = {};
  const write =
    (level: string) =>
    (message: string, ...extra: unknown[]) =>
      process.stderr.write(
        `${JSON.stringify({ t: new Date().toISOString().slice(14, 23), level, message, ...keys, ...Object.assign({}, ...extra.filter((e) => typeof e === 'object')) })}\n`,
      );
  return {
    debug: () => {},
    info: write('INFO'),
    warn: write('WARN'),
    error: write('ERROR'),
    appendKeys: (k: Record<string, unknown>) => Object.assign(keys, k),
    removeKeys: (names: string[]) => {
      for (const name of names) delete keys[name];
    },
  } as unknown as AppLogger;
};

const positive = (value: string | undefined, name: string, fallback?: number): number => {
  if (value === undefined && fallback !== undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) {
    console.error(`--${name} must be a non-negative integer\n${USAGE}`);
    process.exit(2);
  }
  return n;
};

const main = async () => {
  const { values } = parseArgs({
    options: {
      runs: { type: 'string' },
      respondents: { type: 'string' },
      seed: { type: 'string' },
      parallel: { type: 'string' },
      visibility: { type: 'string' },
      json: { type: 'string' },
      jsonl: { type: 'string' },
      summarize: { type: 'string' },
      verbose: { type: 'boolean', short: 'v' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  if (values.summarize) {
    // Table of a (possibly still running or interrupted) run from its --jsonl file.
    const outcomes = (await readFile(values.summarize, 'utf8'))
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => JSON.parse(line) as RunOutcome);
    const first = Math.min(...outcomes.map((o) => o.startedAt));
    const last = Math.max(...outcomes.map((o) => o.startedAt + o.durationMs));
    const report: ChaosReport = {
      options: { runs: outcomes.length, respondents: outcomes[0]?.rows ?? 0, seed: outcomes[0]?.seed ?? 0 },
      outcomes,
      durationMs: outcomes.length > 0 ? last - first : 0,
    };
    console.log(formatTable(report));
    const failures = formatFailures(report);
    if (failures) console.log(`\n${failures}`);
    process.exitCode = violationCount(report) > 0 ? 1 : 0;
    return;
  }
  const runs = positive(values.runs, 'runs', 10);
  const respondents = positive(values.respondents, 'respondents', 200);
  const seed = positive(values.seed, 'seed', Math.floor(Math.random() * 1_000_000));
  const parallel = positive(values.parallel, 'parallel', 2);
  const visibility = values.visibility === undefined ? undefined : positive(values.visibility, 'visibility');
  console.log(`chaos: ${runs} runs × ${respondents} respondents, base seed ${seed}, ${parallel} in parallel`);
  const report = await runChaos({
    runs,
    respondents,
    seed,
    parallel,
    ...(values.verbose ? { logger: stderrLogger() } : {}),
    ...(visibility ? { timings: { visibilityTimeoutSeconds: visibility } } : {}),
    onRun: (o) => {
      if (values.jsonl) appendFileSync(values.jsonl, `${JSON.stringify(o)}\n`);
      const verdict = o.violations.length > 0 ? `${o.violations.length} VIOLATION(S)` : 'ok';
      const extra = o.documented.length > 0 ? `, ${o.documented.length} documented` : '';
      console.log(
        `run ${o.index + 1}/${runs} seed ${o.seed} ${(o.durationMs / 1000).toFixed(1)} s ` +
          `[${describeProfile(o.profile)}]: ${verdict}${extra}`,
      );
    },
  });
  console.log(`\n${formatTable(report)}`);
  const failures = formatFailures(report);
  if (failures) console.log(`\n${failures}`);
  if (values.json) await writeFile(values.json, JSON.stringify(report, null, 2));
  process.exitCode = violationCount(report) > 0 ? 1 : 0;
};

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
