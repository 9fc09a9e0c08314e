// `invites local`: one campaign on the local stack (or --dry-run: validation and cost only).
import { existsSync, statSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { LocalCampaignOptions, LocalCampaignResult } from '#local/campaign.ts';
import { parseFaultSpec } from '#local/standin/faults.ts';
import { DEMO_PROJECT_ID, startStandin } from '#local/standin/server.ts';
import { parseBehaviour } from '#local/time.ts';
import { AseedClient } from '#shared/aseed/client.ts';
import { PAUSE_LABEL } from '#shared/errors.ts';
import { EXIT, integer, onePositional, parse, parseSesFaultSpec, probability, UsageError } from './args.ts';
import { createProgress, formatFaults, formatSummary, formatTime, writeRunFiles } from './output.ts';
import {
  budgetProblem,
  checkSettings,
  formatValidation,
  reservationFor,
  validateCampaign,
  wouldFail,
} from './validate.ts';

/** Streams and signals the CLI uses (injectable for in-process tests). */
export interface Io {
  stdout: (text: string) => void;
  stderr: NodeJS.WriteStream;
  /** Resolves on Ctrl-C (SIGINT) or SIGTERM. */
  interrupted: () => Promise<void>;
}

const OPTIONS = {
  settings: { type: 'string' },
  out: { type: 'string' },
  json: { type: 'boolean' },
  faults: { type: 'string' },
  'ses-faults': { type: 'string' },
  crash: { type: 'string' },
  seed: { type: 'string' },
  serve: { type: 'boolean' },
  'dry-run': { type: 'boolean' },
  'api-url': { type: 'string' },
  'api-token': { type: 'string' },
  deadline: { type: 'string' },
  ses: { type: 'string' },
  region: { type: 'string' },
  days: { type: 'string' },
  respondents: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

/**
 * Sender of the local stack's defaults: the value of LOCAL_SENDER in local/campaign.ts, repeated here so a
 * dry run does not load that module (it pulls in the AWS SDK and the emulators).
 */
const LOCAL_SENDER = 'Aseed Research <research@invites.example.org>';

/** Checks that a path names a readable file. */
export const requireFile = (command: string, path: string, what: string): void => {
  if (!existsSync(path)) throw new UsageError(`${what} ${path} does not exist`, command);
  if (!statSync(path).isFile()) throw new UsageError(`${what} ${path} is not a file`, command);
};

/** Checks --api-url/--api-token come together and the URL is http(s). */
export const apiOption = (
  command: string,
  url: string | undefined,
  token: string | undefined,
): { url: string; token: string } | undefined => {
  if (url === undefined && token === undefined) return undefined;
  if (url === undefined || token === undefined) {
    throw new UsageError('--api-url and --api-token go together', command);
  }
  if (!/^https?:\/\/[^/\s]+/i.test(url))
    throw new UsageError(`--api-url must be an http(s) URL, got "${url}"`, command);
  if (token.trim() === '') throw new UsageError('--api-token is empty', command);
  return { url, token };
};

/** The Aseed price per 30 minutes from GET /config (a throwaway stand-in when no API is given). */
export const fetchPrice = async (
  api: { url: string; token: string } | undefined,
): Promise<{ tokensPer30Min?: number; source: string; problem?: string }> => {
  if (api) {
    try {
      const config = await new AseedClient({
        baseUrl: api.url,
        token: api.token,
        timeoutMs: 10_000,
      }).getConfig();
      return { tokensPer30Min: config.tokens_per_30_min, source: `GET ${api.url}/api/interviews/config` };
    } catch (error) {
      return { source: api.url, problem: `GET /config failed: ${(error as Error).message}` };
    }
  }
  // The stand-in is in-memory and this process's only: asking it creates nothing anywhere.
  const standin = await startStandin({ token: 'dry-run', port: 0 });
  try {
    const config = await new AseedClient({ baseUrl: standin.baseUrl, token: standin.token }).getConfig();
    return { tokensPer30Min: config.tokens_per_30_min, source: 'the local Aseed stand-in (GET /config)' };
  } finally {
    await standin.close();
  }
};

/** Runs `invites local`; returns the exit code. */
export const localCommand = async (args: string[], io: Io): Promise<number> => {
  const { values, positionals } = parse('local', args, OPTIONS);
  if (values.help) return -1;
  const csvPath = onePositional('local', positionals, 'CSV file');
  requireFile('local', csvPath, 'CSV file');
  if (values.settings !== undefined) requireFile('local', values.settings, 'settings file');
  const api = apiOption('local', values['api-url'], values['api-token']);
  let faults: ReturnType<typeof parseFaultSpec> | undefined;
  if (values.faults !== undefined) {
    if (api) throw new UsageError('--faults applies to the stand-in, not to a real API (--api-url)', 'local');
    try {
      faults = parseFaultSpec(values.faults);
    } catch (error) {
      throw new UsageError(`bad --faults: ${(error as Error).message}`, 'local');
    }
  }
  const sesFaults =
    values['ses-faults'] !== undefined ? parseSesFaultSpec('local', values['ses-faults']) : undefined;
  const realSes = realSesOption(values);
  const crash = probability('local', 'crash', values.crash);
  const seed = integer('local', 'seed', values.seed);
  const deadline = integer('local', 'deadline', values.deadline);
  const time = timeOption(values, api !== undefined);
  const human = values.json ? (text: string) => io.stderr.write(text) : io.stdout;
  // The deployment defaults of the local stack: the stand-in's demo project (a real API needs --settings).
  const defaults: Record<string, unknown> = api
    ? { sender: LOCAL_SENDER }
    : { projectId: DEMO_PROJECT_ID, sender: LOCAL_SENDER };

  if (values['dry-run']) {
    const validation = await validateCampaign({
      csvPath,
      ...(values.settings ? { settingsPath: values.settings } : {}),
      defaults,
    });
    const price = validation.settings && !validation.fileError ? await fetchPrice(api) : { source: '' };
    human(formatValidation(validation, price));
    if (values.json) {
      io.stdout(
        `${JSON.stringify(
          {
            rows: validation.rows,
            accepted: validation.accepted,
            rejected: validation.rejected,
            duplicates: validation.duplicates,
            ...(validation.fileError ? { fileError: validation.fileError } : {}),
            ...(validation.settingsError ? { settingsError: validation.settingsError } : {}),
            ...(validation.mergeFieldError ? { mergeFieldError: validation.mergeFieldError } : {}),
            ...(reservationFor(validation, price)
              ? { tokenCost: reservationFor(validation, price)?.tokens }
              : {}),
            ...(budgetProblem(validation, price) ? { budgetError: budgetProblem(validation, price) } : {}),
          },
          null,
          2,
        )}\n`,
      );
    }
    return wouldFail(validation, price) ? EXIT.failed : EXIT.ok;
  }

  // Settings problems are found before anything starts (ingest would fail the campaign with the same words).
  if (values.settings !== undefined || realSes) {
    const check = await checkSettings(values.settings, defaults);
    if ('settingsError' in check) {
      io.stderr.write(`invites: the settings cannot be used: ${check.settingsError}\n`);
      return EXIT.failed;
    }
    if (realSes && check.settings.sender === LOCAL_SENDER) {
      throw new UsageError(
        '--ses aws sends from the campaign\'s sender: set "sender" in --settings to an address SES has verified (or one of a verified domain)',
        'local',
      );
    }
  }
  const ses = realSes ? await connectSes(realSes, io, human) : undefined;
  if (realSes && !ses) return EXIT.failed;
  try {
    return await run(
      values,
      { csvPath, defaults, api, faults, sesFaults, crash, seed, deadline, ses, time },
      io,
      human,
    );
  } finally {
    ses?.client.destroy();
  }
};

/** What {@link run} is given besides the raw options. */
interface RunInputs {
  csvPath: string;
  defaults: Record<string, unknown>;
  api: { url: string; token: string } | undefined;
  faults: ReturnType<typeof parseFaultSpec> | undefined;
  sesFaults: ReturnType<typeof parseSesFaultSpec> | undefined;
  crash: number | undefined;
  seed: number | undefined;
  deadline: number | undefined;
  ses: Awaited<ReturnType<typeof connectSes>>;
  time: { days: number; behaviour: { start: number; complete: number } } | undefined;
}

/** Runs the campaign on the local stack, writes the results and says how it went; returns the exit code. */
const run = async (
  values: {
    settings?: string | undefined;
    out?: string | undefined;
    serve?: boolean | undefined;
    json?: boolean | undefined;
  },
  { csvPath, defaults, api, faults, sesFaults, crash, seed, deadline, ses, time }: RunInputs,
  io: Io,
  human: (text: string) => void,
): Promise<number> => {
  const { runLocalCampaign } = await import('#local/campaign.ts');
  const outDir = values.out ?? join('out', basename(csvPath).replace(/\.[^.]*$/, '') || 'campaign');
  const progress = createProgress(io.stderr);
  const runOptions: LocalCampaignOptions = {
    csv: csvPath,
    ...(values.settings !== undefined ? { settings: { path: values.settings } } : {}),
    defaults,
    ...(api ? { api } : {}),
    ...(faults ? { faults } : {}),
    ...(sesFaults ? { sesFaults } : {}),
    ...(crash !== undefined ? { crash } : {}),
    ...(seed !== undefined ? { seed } : {}),
    ...(deadline !== undefined ? { deadlineMs: deadline * 1000 } : {}),
    ...(ses ? { sesClient: ses.client, timings: { visibilityTimeoutSeconds: ses.visibilitySeconds } } : {}),
    ...(time ? { days: time.days, behaviour: time.behaviour } : {}),
    keepAlive: Boolean(values.serve),
    onProgress: (p) => {
      progress.update({
        label: p.phase,
        done: p.simulated ? p.simulated.hours : p.terminal,
        total: p.simulated ? p.simulated.of : p.accepted,
        detail: p.simulated
          ? `simulated hours, ${p.simulated.joins} respondents joined`
          : p.pause
            ? `paused: ${PAUSE_LABEL[p.pause.kind]}, resumes at ${new Date(p.pause.resumesAt).toISOString()}`
            : p.phase === 'inviting' || p.phase === 'done'
              ? `emailed ${p.emailed}, failed ${p.failed}`
              : '',
        elapsedMs: p.elapsedMs,
      });
    },
  };
  // The live stack (console, Vite) is loaded only for --serve: a run that ends needs none of it.
  const goLive = values.serve ? (await import('#local/deployment.ts')).goLive : undefined;
  const result = await runLocalCampaign(runOptions, goLive);
  progress.done();

  await writeRunFiles(outDir, result);
  human(
    formatSummary(result.summary, result.report, {
      ...(result.status ? { status: result.status } : {}),
      ...(result.failureReason ? { failureReason: result.failureReason } : {}),
    }),
  );
  if (result.time) human(formatTime(result.time));
  if (faults || sesFaults || crash) human(formatFaults(result.faults));
  human(`Results: ${join(outDir, 'report.csv')} (+ summary.json, emails.jsonl, rooms.json)\n`);
  if (values.json) io.stdout(`${JSON.stringify(result.summary, null, 2)}\n`);
  for (const problem of result.problems) io.stderr.write(`invites: ${problem}\n`);

  if (ses) {
    human(
      `Emails: handed to SES in ${ses.region} (not kept locally); report.csv says who was emailed, the recipients' inboxes and the SES console the rest\n`,
    );
    if (result.summary.accepted > 0 && result.summary.emailed === 0) {
      io.stderr.write('invites: SES accepted none of the emails (report.csv has its reasons)\n');
      return EXIT.failed;
    }
  } else if (values.serve) {
    await serve(result, io, human);
  } else {
    human(
      `Emails: ${join(outDir, 'emails.jsonl')} (the local stack is gone; add --serve to browse them in the SES emulator's web inbox)\n`,
    );
  }
  return result.ok ? EXIT.ok : EXIT.failed;
};

/**
 * `--serve`: the run's stack stays live as `invites up` keeps one (its campaign in the console, uploads
 * ingested, the tracker on), with its endpoints in .invites/local.json, until Ctrl-C or SIGTERM.
 */
const serve = async (result: LocalCampaignResult, io: Io, human: (text: string) => void): Promise<void> => {
  human(`Inbox: ${result.inboxUrl} (the SES emulator's web inbox; ${result.emails.length} emails)\n`);
  if (result.deployment.console)
    human(`Console: ${result.deployment.console} (local, loopback only, no sign-in)\n`);
  // While it stays up, send, status and report --local use this run's stack.
  const { LOCAL_DEPLOYMENT_FILE } = await import('#local/deployment-info.ts');
  await mkdir(dirname(LOCAL_DEPLOYMENT_FILE), { recursive: true });
  await writeFile(LOCAL_DEPLOYMENT_FILE, `${JSON.stringify(result.deployment, null, 2)}\n`);
  human(
    `Serving until Ctrl-C… (invites status ${result.campaignId ?? '<id>'} --local, report --local and send --local work meanwhile)\n`,
  );
  await io.interrupted();
  io.stderr.write('Stopping the local stack…\n');
  await rm(LOCAL_DEPLOYMENT_FILE, { force: true });
  await result.close();
};

/** `--days N [--respondents start=P,complete=Q]`: simulated days after the sends (stand-in only). */
const timeOption = (
  values: { days?: string | undefined; respondents?: string | undefined },
  realApi: boolean,
): RunInputs['time'] => {
  const days = integer('local', 'days', values.days);
  if (days === undefined) {
    if (values.respondents !== undefined) throw new UsageError('--respondents goes with --days', 'local');
    return undefined;
  }
  if (days < 1 || days > 60) throw new UsageError('--days must be between 1 and 60', 'local');
  if (realApi)
    throw new UsageError(
      "--days moves the stand-in's clock and joins its rooms: not with --api-url",
      'local',
    );
  try {
    return { days, behaviour: parseBehaviour(values.respondents ?? 'start=0.5,complete=0.8') };
  } catch (error) {
    throw new UsageError((error as Error).message, 'local');
  }
};

/** `--ses aws [--region R]`: the real SES account to send through, or undefined for the local SES. */
const realSesOption = (values: {
  ses?: string | undefined;
  region?: string | undefined;
  serve?: boolean | undefined;
  'ses-faults'?: string | undefined;
  crash?: string | undefined;
}): { region?: string } | undefined => {
  const kind = values.ses ?? 'local';
  if (kind !== 'local' && kind !== 'aws')
    throw new UsageError(`--ses must be local or aws, got "${kind}"`, 'local');
  if (kind === 'local') {
    if (values.region !== undefined) throw new UsageError('--region goes with --ses aws', 'local');
    return undefined;
  }
  if (values.serve)
    throw new UsageError('--serve shows the local SES inbox, which --ses aws leaves empty', 'local');
  if (values['ses-faults'] !== undefined)
    throw new UsageError('--ses-faults applies to the local SES only', 'local');
  if (values.crash !== undefined)
    throw new UsageError(
      '--crash kills handlers mid-send: with --ses aws, real people could get an email twice',
      'local',
    );
  return values.region !== undefined ? { region: values.region } : {};
};

/** Connects to the real SES account and says what it is; undefined (after saying why) when it cannot. */
const connectSes = async (options: { region?: string }, io: Io, human: (text: string) => void) => {
  const { connectRealSes, describeRealSes, RealSesError, realSesVisibilitySeconds } = await import(
    '#local/ses/aws.ts'
  );
  try {
    const ses = await connectRealSes(options);
    human(describeRealSes(ses));
    return { ...ses, visibilitySeconds: realSesVisibilitySeconds(ses) };
  } catch (error) {
    if (!(error instanceof RealSesError)) throw error;
    io.stderr.write(`invites: ${error.message}\n`);
    return undefined;
  }
};

/** `local` help marker: the dispatcher prints the command's help when a command returns -1. */
export const HELP_REQUESTED = -1;
