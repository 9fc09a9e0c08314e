// `invites local --ses aws`: the invite side sends through "real" SES — the SDK's default credential chain
// and endpoint resolution — while everything else stays local. Here the real SES is played by a strict layer
// of its own (a sandboxed account in eu-west-1), reached the way a user reaches AWS: environment variables.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readSesStore } from '#local/aws.ts';
import { type StrictSes, startStrictSes } from '#local/ses/server.ts';
import { emulatorEndpoints } from '#test/support/aws.ts';
import { ROOT, spawnInvites } from '#test/support/cli.ts';

const SIMULATOR_CSV = join(ROOT, 'examples', 'simulator.csv');
const SENDER = 'Lab <lab@verified.example.org>';

let aws: StrictSes;

/** A new sandboxed 1/s account in eu-west-1: each run gets a full rate bucket, as after a quiet minute. */
const sandboxedAccount = () =>
  startStrictSes({
    upstream: emulatorEndpoints().ses,
    account: {
      sandbox: true,
      verifiedIdentities: ['verified.example.org'],
      maxSendRate: 1,
      max24HourSend: 200,
    },
    origin: { account: '111122223333', region: 'eu-west-1' },
  });
let dir: string;
let settings: string;

/** The environment of a user with credentials in variables and no profile; SES at `sesUrl` when given. */
const userEnv = (sesUrl?: string): NodeJS.ProcessEnv => {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: dir, NO_COLOR: '1' };
  env.AWS_EC2_METADATA_DISABLED = 'true';
  if (sesUrl) {
    env.AWS_ACCESS_KEY_ID = 'AKIAEXAMPLEEXAMPLE00';
    env.AWS_SECRET_ACCESS_KEY = 'example-secret';
    env.AWS_ENDPOINT_URL_SESV2 = sesUrl;
  }
  return env;
};

const invites = (args: string[], env: NodeJS.ProcessEnv) => spawnInvites(args, { env, timeoutMs: 90_000 });

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'real-ses-'));
  settings = join(dir, 'settings.json');
  await writeFile(settings, JSON.stringify({ sender: SENDER }));
  aws = await sandboxedAccount();
});
afterAll(async () => {
  await aws?.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('invites local --ses aws', () => {
  it('sends through the SES account the environment names, and says what account it is', {
    timeout: 120_000,
  }, async () => {
    // Prepare
    const since = Math.floor(Date.now() / 1000) - 1;
    const out = join(dir, 'out');

    // Act
    const run = await invites(
      ['local', SIMULATOR_CSV, '--ses', 'aws', '--region', 'eu-west-1', '--settings', settings, '--out', out],
      userEnv(aws.url),
    );

    // Assert: the account was read, all six simulator addresses were sent to through it.
    expect(run.stderr).not.toMatch(/invites: /);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/SES in eu-west-1: SANDBOX .*, 1\/s, 0 of 200 sent in the last 24 hours\./);
    expect(run.stdout).toMatch(/emails\s+6 sent/);
    expect(run.stdout).toMatch(/Emails: handed to SES in eu-west-1/);
    const sent = (await readSesStore(emulatorEndpoints().ses, since)).filter((m) =>
      m.to.some((to) => to.endsWith('@simulator.amazonses.com')),
    );
    expect(sent.filter((m) => m.from.includes('lab@verified.example.org'))).toHaveLength(6);
    const types = aws.events.since().map((e) => `${e.detail.eventType} ${e.detail.mail.destination[0]}`);
    expect(types).toEqual(
      expect.arrayContaining([
        'Delivery success@simulator.amazonses.com',
        'Bounce bounce@simulator.amazonses.com',
        'Complaint complaint@simulator.amazonses.com',
        'Bounce suppressionlist@simulator.amazonses.com',
      ]),
    );
    // The local SES (its own inbox) received none of them.
    expect(await readFile(join(out, 'emails.jsonl'), 'utf8')).toBe('');
  });

  it('exits 1 when SES accepted none of the emails (a sandbox refusing unverified recipients)', {
    timeout: 120_000,
  }, async () => {
    // Prepare: an account of its own (the previous test drew this one's one-second bucket dry).
    const account = await sandboxedAccount();

    // Act: ordinary addresses, which the sandboxed account may not send to.
    const run = await invites(
      [
        'local',
        join(ROOT, 'examples', 'respondents.csv'),
        '--ses',
        'aws',
        '--region',
        'eu-west-1',
        '--settings',
        settings,
        '--out',
        join(dir, 'refused'),
      ],
      userEnv(account.url),
    ).finally(() => account.stop());

    // Assert
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/MESSAGE_REJECTED: Email address is not verified/);
    expect(run.stderr).toMatch(/SES accepted none of the emails/);
  });

  it('stops before anything starts when there are no AWS credentials, saying so', {
    timeout: 60_000,
  }, async () => {
    // Act
    const run = await invites(
      ['local', SIMULATOR_CSV, '--ses', 'aws', '--region', 'eu-west-1', '--settings', settings],
      userEnv(),
    );

    // Assert
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/cannot read the SES account \(ses:GetAccount\): no AWS credentials found/);
    expect(run.stdout).not.toMatch(/Campaign /);
  });

  it.each([
    [['--ses', 'aws', '--region', 'eu-west-1'], /set "sender" in --settings/],
    [['--region', 'eu-west-1'], /--region goes with --ses aws/],
    [['--ses', 'gmail'], /--ses must be local or aws/],
    [['--ses', 'aws', '--crash', '0.1', '--settings', 'SETTINGS'], /--crash kills handlers mid-send/],
    [['--ses', 'aws', '--serve', '--settings', 'SETTINGS'], /--serve shows the local SES inbox/],
  ])('refuses %j as a usage error', { timeout: 60_000 }, async (args, message) => {
    // Act
    const run = await invites(
      ['local', SIMULATOR_CSV, ...args.map((a) => (a === 'SETTINGS' ? settings : a))],
      userEnv(aws.url),
    );

    // Assert
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(message);
  });
});
