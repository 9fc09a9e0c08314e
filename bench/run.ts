/**
 * `npm run bench` / `npm run bench -- --quick`: the pipeline against a naive baseline and the API limits,
 * on the local stack (emulators + Aseed stand-in behind a fixed-latency proxy). Prints a table against the
 * goals of issue 7 and writes bench/results.json. See docs/PERFORMANCE.md.
 *
 * Flags: --account-only (only the SES-account phase: 10,000 at MaxSendRate 200/s, a quota smaller than
 * the campaign), --quick (1,000 respondents, phases run side by side, naive baseline on 500 and scaled, < 2 min),
 * --naive-full (time the naive
 * baseline on 10,000 for real instead of extrapolating from 1,000), --e2e-rate N (SES_SEND_RATE of the
 * end-to-end runs, default 1000/s), --rate N (configured rate of the send-rate run, default 50/s),
 * --ingest-rows N (default 1,000,000), --out file.
 */
import { writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { clearSesStore } from '#local/aws.ts';
import { startStandin } from '#local/standin/server.ts';
import { bundleSizes } from './bundles.ts';
import { startEmulatorsInChild } from './emulators-child.ts';
import {
  drainQueueCount,
  generateIngestCsv,
  type IngestChildResult,
  ingestChildArgs,
  prepareUpload,
  runIngestChild,
} from './ingest.ts';
import { startLatencyProxy } from './latency-proxy.ts';
import { type NaiveResult, runNaiveInChild } from './naive.ts';
import { type PipelineRunResult, runPipeline } from './pipeline.ts';
import { accountFigures, accountRows, BENCH_ACCOUNT, benchAccountSettings } from './ses-account.ts';

// The AWS SDK warns once per client that it will drop Node 20 in 2027: true, and noise here.
process.removeAllListeners('warning');
process.on('warning', (warning) => {
  const text = `${warning.name} ${warning.message}`;
  if (!/NodeVersionSupportWarning|MaxListenersExceededWarning/.test(text)) console.warn(warning);
});

const { values: flags } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    'naive-full': { type: 'boolean', default: false },
    'e2e-rate': { type: 'string', default: '1000' },
    rate: { type: 'string', default: '50' },
    'ingest-rows': { type: 'string', default: '1000000' },
    'invite-batch-size': { type: 'string' },
    'account-only': { type: 'boolean', default: false },
    out: { type: 'string', default: join(import.meta.dirname, 'results.json') },
  },
});
const QUICK = flags.quick;
const E2E_RATE = Number(flags['e2e-rate']);
const SEND_RATE = Number(flags.rate);
const INGEST_ROWS = Number(flags['ingest-rows']);
/** Use-case runs of the ingest: three in the full run (its figures are their medians), one in the quick run. */
const INGEST_RUNS = QUICK ? 1 : 3;
const LATENCY = { createMs: 100, otherMs: 20 };
/** Messages per invite invocation; unset = the stack's (infra/definitions.ts). For what-if runs. */
const INVITE_BATCH_SIZE = flags['invite-batch-size'] ? Number(flags['invite-batch-size']) : undefined;
/** Respondents the quick run's naive baseline really handles (its 1,000-respondent time is scaled from it). */
const QUICK_NAIVE_SAMPLE = 500;
/** The quick run must end within 2 minutes: the send-rate run is cut off here (ms after start). */
const QUICK_BUDGET_MS = 95_000;
const GOALS = {
  ratio: 25,
  createCallsPer1k: 10,
  sesCallsPer1k: 20,
  sendRateFraction: [0.9, 1.0],
  rowsPerSec: 50_000,
  peakRssMb: 200,
  bundleBytes: 1_000_000,
};

const t0 = performance.now();
const elapsed = () => `${((performance.now() - t0) / 1000).toFixed(1)}s`;
const log = (message: string) => process.stderr.write(`[bench ${elapsed()}] ${message}\n`);
const round = (value: number, digits = 0) => Number(value.toFixed(digits));

const machine = () => ({
  nproc: availableParallelism(),
  cpuModel: cpus()[0]?.model.trim() ?? 'unknown',
  node: process.version,
  platform: `${process.platform}-${process.arch}`,
  totalMemMb: Math.round(totalmem() / 1024 / 1024),
  loadavg1mAtStart: round(loadavg()[0] ?? 0, 2),
});

const main = async () => {
  const info = machine();
  log(
    `${QUICK ? 'quick' : 'full'} run on ${info.nproc} × ${info.cpuModel}, Node ${info.node}, load ${info.loadavg1mAtStart}`,
  );
  // Their own process, like the naive baseline's: in AWS these services do not share the pipeline's CPU.
  const emulators = await startEmulatorsInChild();
  const projectA = '5eed0000-0000-4000-8000-00000000be0a';
  const projectB = '5eed0000-0000-4000-8000-00000000be0b';
  const standin = await startStandin({
    token: 'bench-token',
    projectIds: [projectA, projectB],
    tokenBalance: 1_000_000_000,
  });
  const proxy = await startLatencyProxy(standin.baseUrl, LATENCY);
  const aseed = (projectId: string) => ({
    baseUrl: proxy.baseUrl,
    token: standin.token,
    projectId,
  });
  let runs = 0;
  const prefix = (label: string) => `bench-${label}-${Date.now().toString(36)}-${runs++}`;

  const pipeline = async (
    respondents: number,
    options: {
      rate: number;
      account?: ReturnType<typeof benchAccountSettings>;
      project?: string;
      timeoutMs?: number;
    },
  ) => {
    const account = options.account
      ? ` (SES account: ${options.account.maxSendRate}/s, quota ${options.account.max24HourSend ?? '∞'} per ${(options.account.quotaWindowMs ?? 86_400_000) / 1000} s)`
      : '';
    log(`pipeline: ${respondents} respondents, SES rate ${options.rate}/s${account}…`);
    const result = await runPipeline({
      endpoints: emulators.endpoints,
      aseed: aseed(options.project ?? projectA),
      respondents,
      sesRate: options.rate,
      ...(options.account ? { account: options.account } : {}),
      prefix: prefix(`p${respondents}`),
      ...(INVITE_BATCH_SIZE ? { batchSize: INVITE_BATCH_SIZE } : {}),
      ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}),
    });
    log(
      `pipeline: ${respondents} → ${result.status} in ${(result.ms / 1000).toFixed(1)} s, ${result.createCalls} create calls, ${result.ses.sendCalls} SES calls`,
    );
    return result;
  };
  const naive = async (respondents: number) => {
    log(`naive: ${respondents} respondents, one at a time (own process, own stand-in and SES emulator)…`);
    const result = await runNaiveInChild({ respondents, latency: LATENCY });
    log(`naive: ${result.respondents} in ${(result.ms / 1000).toFixed(1)} s`);
    return result;
  };
  const ingest = async (): Promise<IngestFigures> => {
    const rows = QUICK ? Math.min(INGEST_ROWS, 1_000_000) : INGEST_ROWS;
    const csv = await generateIngestCsv(rows);
    log(
      `ingest: CSV ready (${csv.generatedMs === undefined ? 'reused' : `generated in ${(csv.generatedMs / 1000).toFixed(1)} s`})`,
    );
    log(`ingest: parse + validate ${rows} rows (${(csv.bytes / 1024 / 1024).toFixed(0)} MB)…`);
    const parse = await runIngestChild({ mode: 'parse', file: csv.path });
    log(`ingest: parse ${parse.rowsPerSec} rows/s, peak ${parse.peakRssMb} MB`);
    // The use case costs ~1.7× the parse (SDK calls, one batch record per 100 rows): the quick run does it on
    // a fifth of the file, beside the end-to-end runs.
    const useCaseRows = QUICK ? Math.min(rows, 200_000) : rows;
    // Peak RSS moves by ±10 MB between runs of the same code (when V8 collects), so the full run takes
    // the median of three and reports the range.
    const runs: Array<IngestChildResult & { queued: number }> = [];
    for (let run = 1; run <= INGEST_RUNS; run++) {
      const upload = await prepareUpload(emulators.endpoints, useCaseRows, prefix(`ingest${run}`));
      log(
        `ingest: use case on ${useCaseRows} rows (S3 + SQS emulated, BatchWriteItem stubbed), run ${run} of ${INGEST_RUNS}…`,
      );
      const result = await runIngestChild(ingestChildArgs(emulators.endpoints, upload, 'stub'));
      const queued = await drainQueueCount(emulators.endpoints, upload.resources.queueUrl);
      log(
        `ingest: use case ${result.rowsPerSec} rows/s, peak ${result.peakRssMb} MB, ${queued} messages queued`,
      );
      runs.push({ ...result, queued });
    }
    const useCase = medianBy(runs, (r) => r.rowsPerSec);
    let dynalite: IngestChildResult | undefined;
    if (!QUICK) {
      const sample = 20_000;
      const small = await prepareUpload(emulators.endpoints, sample, prefix('ingest-dynalite'));
      log(`ingest: use case on ${sample} rows, every item written to dynalite…`);
      dynalite = await runIngestChild(ingestChildArgs(emulators.endpoints, small, 'emulator'));
      await drainQueueCount(emulators.endpoints, small.resources.queueUrl);
      log(`ingest: dynalite ${dynalite.rowsPerSec} rows/s`);
    }
    return { csvRows: rows, parse, useCase, runs, ...(dynalite ? { dynalite } : {}) };
  };

  const accountPhase = async () => {
    await clearSesStore(emulators.endpoints.ses);
    const run = await pipeline(BENCH_ACCOUNT.respondents, {
      rate: BENCH_ACCOUNT.maxSendRate,
      account: benchAccountSettings(),
      project: projectB,
      timeoutMs: 15 * 60_000,
    });
    return accountFigures(run);
  };

  try {
    if (flags['account-only']) {
      const account = await accountPhase();
      console.log(renderRows(accountRows(account, verdict)));
      console.log(JSON.stringify(account, null, 2));
      return;
    }
    let e2e1k: PipelineRunResult;
    let account: ReturnType<typeof accountFigures> | undefined;
    let naive1k: NaiveResult;
    let sendRun: PipelineRunResult;
    let ingestFigures: IngestFigures;
    let bundles: Record<string, number>;
    const e2e: E2eRow[] = [];
    let callsRun: PipelineRunResult;

    if (QUICK) {
      // Side by side so the quick run fits in 2 minutes: the naive loop and the ingest run in their own
      // processes, and the two campaigns use different projects (separate create locks).
      const budgetEnds = performance.now() + QUICK_BUDGET_MS;
      // The naive loop alone takes ~110 s for 1,000: it runs on 500 and is scaled (it is strictly sequential,
      // so its time is linear in respondents; the full run times 1,000 for real).
      const naiveRun = naive(QUICK_NAIVE_SAMPLE);
      const ingestRun = ingest();
      const bundleRun = bundleSizes();
      const sendRunP = pipeline(1000, {
        rate: SEND_RATE,
        account: { maxSendRate: SEND_RATE },
        project: projectB,
        timeoutMs: Math.max(10_000, budgetEnds - performance.now()),
      });
      e2e1k = await pipeline(1000, { rate: E2E_RATE });
      [naive1k, sendRun, ingestFigures, bundles] = await Promise.all([
        naiveRun,
        sendRunP,
        ingestRun,
        bundleRun,
      ]);
      const scaled: NaiveResult = {
        ...naive1k,
        respondents: 1000,
        ms: (naive1k.ms * 1000) / QUICK_NAIVE_SAMPLE,
      };
      e2e.push(row(e2e1k, scaled, true, QUICK_NAIVE_SAMPLE));
      callsRun = e2e1k;
    } else {
      // Ingest first: it runs in its own process and is the longest single phase to get wrong.
      ingestFigures = await ingest();
      bundles = await bundleSizes();
      e2e1k = await pipeline(1000, { rate: E2E_RATE });
      naive1k = await naive(1000);
      e2e.push(row(e2e1k, naive1k, false));
      await clearSesStore(emulators.endpoints.ses);
      const e2e10k = await pipeline(10_000, { rate: E2E_RATE, timeoutMs: 20 * 60_000 });
      if (flags['naive-full']) {
        e2e.push(row(e2e10k, await naive(10_000), false));
      } else {
        // The naive loop is strictly sequential, so its time is linear in respondents: scaled from 1,000.
        const scaled: NaiveResult = { ...naive1k, respondents: 10_000, ms: naive1k.ms * 10 };
        e2e.push(row(e2e10k, scaled, true, naive1k.respondents));
      }
      callsRun = e2e10k;
      await clearSesStore(emulators.endpoints.ses);
      // Enough respondents that every allowed invocation gets a full batch of messages.
      sendRun = await pipeline(5000, {
        rate: SEND_RATE,
        account: { maxSendRate: SEND_RATE },
        project: projectB,
        timeoutMs: 15 * 60_000,
      });
      account = await accountPhase();
    }

    const results = buildResults({ info, e2e, callsRun, sendRun, ingestFigures, bundles, account });
    writeFileSync(flags.out, `${JSON.stringify(results, null, 2)}\n`);
    console.log(renderTable(results));
    log(`wrote ${flags.out}`);
  } finally {
    await proxy.close();
    await standin.close();
    await emulators.stop();
  }
};

/** The element whose `key` is the median (the middle one; the lower middle for an even count). */
const medianBy = <T>(items: readonly T[], key: (item: T) => number): T => {
  const sorted = [...items].sort((a, b) => key(a) - key(b));
  return sorted[Math.floor((sorted.length - 1) / 2)] as T;
};

interface IngestFigures {
  csvRows: number;
  parse: IngestChildResult;
  /** The run with the median rate. */
  useCase: IngestChildResult & { queued: number };
  runs: Array<IngestChildResult & { queued: number }>;
  dynalite?: IngestChildResult;
}

interface E2eRow {
  respondents: number;
  pipelineMs: number;
  naiveMs: number;
  ratio: number;
  naiveExtrapolated: boolean;
  naiveSample?: number;
  pipelineCompleted: boolean;
  emailed: number;
  createCalls: number;
  sesCalls: number;
  inviteInvocations: number;
  inviteConcurrency: number;
  dynamoCalls: Record<string, number>;
  /** DynamoDB requests of both functions per respondent: what the emulated store has to serve. */
  dynamoRequestsPerRespondent: number;
  createLock: PipelineRunResult['createLock'];
}

const row = (
  pipeline: PipelineRunResult,
  naive: NaiveResult,
  extrapolated: boolean,
  sample?: number,
): E2eRow => ({
  respondents: pipeline.respondents,
  pipelineMs: pipeline.ms,
  naiveMs: Math.round(naive.ms),
  ratio: round(naive.ms / pipeline.ms, 1),
  naiveExtrapolated: extrapolated,
  ...(sample ? { naiveSample: sample } : {}),
  pipelineCompleted: pipeline.completed,
  emailed: pipeline.emailed,
  createCalls: pipeline.createCalls,
  sesCalls: pipeline.ses.sendCalls,
  inviteInvocations: pipeline.invocations,
  inviteConcurrency: pipeline.concurrency,
  dynamoCalls: pipeline.dynamoCalls,
  dynamoRequestsPerRespondent: round(
    Object.values(pipeline.dynamoCalls).reduce((sum, n) => sum + n, 0) / pipeline.respondents,
    2,
  ),
  createLock: pipeline.createLock,
});

const buildResults = (input: {
  info: ReturnType<typeof machine>;
  e2e: E2eRow[];
  callsRun: PipelineRunResult;
  sendRun: PipelineRunResult;
  ingestFigures: IngestFigures;
  bundles: Record<string, number>;
  account: ReturnType<typeof accountFigures> | undefined;
}) => {
  const { callsRun, sendRun, ingestFigures } = input;
  const per1k = (count: number) => round((count / callsRun.respondents) * 1000, 1);
  const achieved = sendRun.achievedRate ?? 0;
  const { useCase, parse, runs } = ingestFigures;
  return {
    mode: QUICK ? 'quick' : 'full',
    generatedAt: new Date().toISOString(),
    durationMs: Math.round(performance.now() - t0),
    machine: { ...input.info, loadavg1mAtEnd: round(loadavg()[0] ?? 0, 2) },
    settings: {
      standinLatencyMs: { create: LATENCY.createMs, other: LATENCY.otherMs },
      e2eSesRatePerSecond: E2E_RATE,
      dynamo: 'dynalite',
      emulators: 'own process (fauxqs, dynalite, SES emulator)',
      inviteBatchSize: callsRun.batchSize,
      phases: QUICK ? 'side by side' : 'one after another',
    },
    goals: GOALS,
    e2e: input.e2e,
    createCallsPer1k: per1k(callsRun.createCalls),
    sesCallsPer1k: per1k(callsRun.ses.sendCalls),
    callsMeasuredOn: callsRun.respondents,
    sendRate: {
      configured: SEND_RATE,
      achieved: round(achieved, 1),
      fraction: round(achieved / SEND_RATE, 3),
      throttlesSurfaced: sendRun.ses.throttles,
      respondents: sendRun.respondents,
      emailedInWindow: sendRun.ses.recipientsAdmitted,
      runCompleted: sendRun.completed,
      inviteConcurrency: sendRun.concurrency,
      pacing: 'one schedule shared by every invocation, at 95 % of the configured rate',
      inviteInvocations: sendRun.invocations,
      failedRespondents: sendRun.failed,
      createLock: sendRun.createLock,
    },
    ingest: {
      rows: useCase.rows,
      rowsPerSec: useCase.rowsPerSec,
      peakRssMb: medianBy(runs, (r) => r.peakRssMb).peakRssMb,
      runs: runs.map((r) => ({ rowsPerSec: r.rowsPerSec, peakRssMb: r.peakRssMb, cpuMs: r.cpuMs })),
      path: 'ingest use case: CSV from S3 (fauxqs), batches to SQS (fauxqs), BatchWriteItem answered in-process',
      useCase,
      parseValidate: parse,
      ...(ingestFigures.dynalite ? { useCaseOnDynalite: ingestFigures.dynalite } : {}),
    },
    bundles: input.bundles,
    ...(input.account ? { sesAccount: input.account } : {}),
  };
};

type Results = ReturnType<typeof buildResults>;

const verdict = (ok: boolean) => (ok ? 'met' : 'MISSED');

/** The human table: figure, measured, goal, verdict. */
const renderTable = (r: Results): string => {
  const rows: [string, string, string, string][] = [];
  for (const e of r.e2e) {
    const naive = `${(e.naiveMs / 1000).toFixed(1)} s${e.naiveExtrapolated ? ` (extrapolated from ${e.naiveSample})` : ''}`;
    rows.push([
      `E2E ${e.respondents}: pipeline / naive`,
      `${(e.pipelineMs / 1000).toFixed(1)} s / ${naive}`,
      '',
      '',
    ]);
    const goal = e.respondents === 10_000 ? `≥ ${GOALS.ratio}×` : `(goal at 10,000)`;
    rows.push([
      `E2E ${e.respondents}: ratio`,
      `${e.ratio}×`,
      goal,
      e.respondents === 10_000 ? verdict(e.ratio >= GOALS.ratio) : '',
    ]);
  }
  rows.push([
    `Create calls / 1,000 (on ${r.callsMeasuredOn})`,
    String(r.createCallsPer1k),
    `${GOALS.createCallsPer1k}`,
    verdict(r.createCallsPer1k <= GOALS.createCallsPer1k),
  ]);
  rows.push([
    `SES calls / 1,000 (on ${r.callsMeasuredOn})`,
    String(r.sesCallsPer1k),
    `≤ ${GOALS.sesCallsPer1k}`,
    verdict(r.sesCallsPer1k <= GOALS.sesCallsPer1k),
  ]);
  const s = r.sendRate;
  rows.push([
    `Send rate (${s.respondents} resp., ${s.configured}/s configured)`,
    `${s.achieved}/s = ${s.fraction}${s.runCompleted ? '' : ' (window cut off)'}`,
    '0.9–1.0',
    verdict(s.fraction >= 0.9 && s.fraction <= 1.0),
  ]);
  rows.push([
    'Throttles surfaced (strict local SES, MaxSendRate)',
    String(s.throttlesSurfaced),
    '0',
    verdict(s.throttlesSurfaced === 0),
  ]);
  const i = r.ingest;
  const of = i.runs.length > 1 ? `, median of ${i.runs.length}` : '';
  const range = (values: number[], unit: string) =>
    i.runs.length > 1
      ? ` (${Math.min(...values).toLocaleString('en')}–${Math.max(...values).toLocaleString('en')}${unit})`
      : '';
  rows.push([
    `Ingest use case (${i.rows.toLocaleString('en')} rows${of})`,
    `${i.rowsPerSec.toLocaleString('en')} rows/s${range(
      i.runs.map((x) => x.rowsPerSec),
      '',
    )}`,
    `≥ ${GOALS.rowsPerSec.toLocaleString('en')}`,
    verdict(i.rowsPerSec >= GOALS.rowsPerSec),
  ]);
  rows.push([
    `Ingest use case peak RSS${of}`,
    `${i.peakRssMb} MB${range(
      i.runs.map((x) => x.peakRssMb),
      ' MB',
    )}`,
    `< ${GOALS.peakRssMb} MB`,
    verdict(i.peakRssMb < GOALS.peakRssMb),
  ]);
  const p = i.parseValidate;
  rows.push([
    `  parse + validate only (${p.rows.toLocaleString('en')} rows)`,
    `${p.rowsPerSec.toLocaleString('en')} rows/s, ${p.peakRssMb} MB`,
    `≥ ${GOALS.rowsPerSec.toLocaleString('en')}`,
    verdict(p.rowsPerSec >= GOALS.rowsPerSec && p.peakRssMb < GOALS.peakRssMb),
  ]);
  rows.push([
    '  … per CPU-second (use case / parse)',
    `${i.useCase.rowsPerCpuSec.toLocaleString('en')} / ${p.rowsPerCpuSec.toLocaleString('en')}`,
    '',
    '',
  ]);
  if ('useCaseOnDynalite' in i && i.useCaseOnDynalite) {
    const d = i.useCaseOnDynalite;
    rows.push([
      `  use case, items to dynalite (${d.rows.toLocaleString('en')} rows)`,
      `${d.rowsPerSec.toLocaleString('en')} rows/s, ${d.peakRssMb} MB`,
      '',
      '',
    ]);
  }
  for (const [name, bytes] of Object.entries(r.bundles)) {
    rows.push([
      `Bundle ${name}`,
      `${(bytes / 1024).toFixed(1)} KiB`,
      '< 1 MB',
      verdict(bytes < GOALS.bundleBytes),
    ]);
  }
  if ('sesAccount' in r && r.sesAccount) rows.push(...accountRows(r.sesAccount, verdict));
  const m = r.machine;
  return [
    `Benchmark (${r.mode}) — ${m.nproc} × ${m.cpuModel}, Node ${m.node}, load ${m.loadavg1mAtStart} → ${m.loadavg1mAtEnd}; stand-in latency ${LATENCY.createMs} ms create / ${LATENCY.otherMs} ms other; e2e SES rate ${E2E_RATE}/s`,
    renderRows(rows),
  ].join('\n');
};

/** A Markdown table of figure, measured, goal, verdict rows. */
const renderRows = (rows: Array<[string, string, string, string]>): string => {
  const widths = [0, 1, 2, 3].map((c) =>
    Math.max(...rows.map((x) => x[c]?.length ?? 0), ['Figure', 'Measured', 'Goal', ''][c]?.length ?? 0),
  );
  const line = (cells: string[]) => `| ${cells.map((cell, c) => cell.padEnd(widths[c] ?? 0)).join(' | ')} |`;
  return [
    line(['Figure', 'Measured', 'Goal', 'Verdict']),
    line(widths.map((w) => '-'.repeat(w))),
    ...rows.map(line),
  ].join('\n');
};

await main();
