// Argument parsing helpers and help texts of the `invites` CLI (node:util parseArgs, no dependencies).
import { type ParseArgsConfig, parseArgs } from 'node:util';

/** A mistake in the command line: printed with a hint to `--help`, exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
  constructor(
    message: string,
    readonly command?: string,
  ) {
    super(message);
  }
}

/** Exit codes of the CLI. */
export const EXIT = {
  /** Every accepted respondent reached a terminal state (or the dry run found the input usable). */
  ok: 0,
  /** The campaign did not finish, failed, or the input is unusable. */
  failed: 1,
  /** Bad command line. */
  usage: 2,
  /** Interrupted (Ctrl-C). */
  interrupted: 130,
} as const;

type Options = NonNullable<ParseArgsConfig['options']>;

/** A campaign id (22 base64url characters) that begins with '-' (one in 64 do): an id, not an option. */
const DASHED_ID = /^-[A-Za-z0-9_-]{21}$/;

/** True when `token` is an option of `options` that takes a value (so the next token is that value). */
const takesValue = (options: Options, token: string | undefined): boolean => {
  if (!token?.startsWith('-') || token.includes('=')) return false;
  const name = token.replace(/^--?/, '');
  const option = token.startsWith('--')
    ? options[name]
    : Object.values(options).find((o) => o.short === name);
  return option?.type === 'string';
};

/** The arguments with dash-led campaign ids moved behind `--`, where parseArgs takes them as positionals. */
export const dashedIdsAsPositionals = (args: readonly string[], options: Options): string[] => {
  const end = args.indexOf('--');
  const head = end === -1 ? [...args] : args.slice(0, end);
  const ids = head.filter((a, i) => DASHED_ID.test(a) && !takesValue(options, head[i - 1]));
  if (ids.length === 0) return [...args];
  const rest = end === -1 ? [] : args.slice(end + 1);
  return [...head.filter((a) => !ids.includes(a)), '--', ...ids, ...rest];
};

/** parseArgs with strict checking, turning its errors into {@link UsageError}s. */
export const parse = <O extends Options>(command: string, args: string[], options: O) => {
  try {
    return parseArgs({
      args: dashedIdsAsPositionals(args, options),
      options,
      allowPositionals: true,
      strict: true,
    });
  } catch (error) {
    const message = (error as Error).message
      .replace(/^Unknown option '(.+?)'.*$/s, 'unknown option $1')
      .replace(/\. To specify a positional argument.*$/s, '');
    throw new UsageError(message, command);
  }
};

/** A probability in [0, 1] from an option value. */
export const probability = (command: string, name: string, value: string | undefined): number | undefined => {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0 || n > 1) {
    throw new UsageError(`--${name} must be a probability between 0 and 1, got "${value}"`, command);
  }
  return n;
};

/** A non-negative integer from an option value. */
export const integer = (command: string, name: string, value: string | undefined): number | undefined => {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value.trim())) {
    throw new UsageError(`--${name} must be a whole number ≥ 0, got "${value}"`, command);
  }
  return Number(value);
};

/** Parses an SES fault spec: `throttle=0.1`. */
export const parseSesFaultSpec = (command: string, spec: string): { throttle: number } => {
  let throttle = 0;
  for (const part of spec.split(',')) {
    const entry = part.trim();
    if (entry === '') continue;
    const [key, value, ...rest] = entry.split('=');
    if (key?.trim().toLowerCase() !== 'throttle' || rest.length > 0 || value === undefined) {
      throw new UsageError(`bad --ses-faults entry "${entry}": expected throttle=<probability>`, command);
    }
    throttle = probability(command, 'ses-faults throttle', value) ?? 0;
  }
  return { throttle };
};

/** Exactly one positional argument (the CSV or the campaign id). */
export const onePositional = (command: string, positionals: string[], what: string): string => {
  if (positionals.length === 0) throw new UsageError(`missing ${what}`, command);
  if (positionals.length > 1) {
    throw new UsageError(
      `expected one ${what}, got ${positionals.length}: ${positionals.join(' ')}`,
      command,
    );
  }
  return positionals[0] as string;
};

/** Top-level help. */
export const MAIN_HELP = `invites — Aseed interview invitation campaigns: CSV → rooms → emails.

Usage: invites <command> [options]

Commands:
  local <csv>                 run a whole campaign on the local stack (emulators + Aseed stand-in)
  up                          keep the local stack running as a deployment (for --local below)
  send <csv> --stack <name>   upload a campaign to the deployed stack (or --local) and watch it;
                              --campaign NAME: a later changed file adds the new people to it
  status <campaign> --stack   show a campaign's progress and funnel (or --local)
  report <campaign> --stack   write a campaign's report CSV (or --local)
  cancel <campaign> --stack   stop a campaign, cancel its unsent rooms (or --local; --revoke-unstarted)
  preview <csv> --out <dir>   write one respondent's invitation as SES will render it (nothing is sent)
  test-send <csv> --to <addr> send that invitation to yourself through SES (--stack or --local), no room
  console-user add <email>    invite a colleague to the deployed stack's web console (--stack)

Settings (a JSON file, --settings; every key optional over the deployment's defaults, unknown keys refused):
  projectId, maxDurationMinutes, expiresInDays, voice, realtimeProvider, language (auto|en|ru),
  fallbackLocale, topicsForRespondent, sender, replyTo, templates.{en,ru}.{subject,text,html}, displayName,
  columns.{email,name,language}
  sendAt            ISO date-time with a zone: hold the validated campaign until then
  maxTokens         fail a campaign whose rooms would reserve more tokens, before any room is created
  reminders         up to 3, e.g. [{"afterDays":2},{"afterDays":5,"templates":{...}}]: same link, only to
                    respondents not started, not bounced/complained/opted out, room still open
  extendExpiryDays  move a pending room's expiry to this many days after its last reminder (PATCH)
  thankYou          true or {"templates":{...}}: once, when the interview is completed
The README's Settings section has the details; examples/settings.example.json a start.

Run 'invites <command> --help' for the options of a command.
Exit codes: 0 every accepted respondent reached a terminal state; 1 it did not (or the input is unusable);
2 bad command line.
`;

/** Help of each command. */
export const HELP: Record<string, string> = {
  local: `Usage: invites local <csv> [options]

Runs the campaign on a local stack started in this process: S3 and SQS (fauxqs), SES (aws-ses-v2-local),
DynamoDB (dynalite) and the Aseed stand-in, with the resources the CDK stack defines and the real handlers.
Prints a summary, writes the results, and exits 0 when every accepted respondent reached a terminal state.

Options:
  --settings <file.json>   campaign settings, uploaded beside the CSV (see examples/settings.example.json)
  --out <dir>              write report.csv, summary.json, emails.jsonl, rooms.json there
                           (default: out/<csv name>)
  --json                   print summary.json on stdout (human output goes to stderr)
  --faults <spec>          stand-in faults per create call, e.g. 429=0.1,500=0.05,503=0.05,drop=0.02,latency=50
  --ses-faults <spec>      SES faults, e.g. throttle=0.1 (that share of SES calls is throttled)
  --crash <p>              kill a handler invocation at a random point with probability p (like a timeout)
  --seed <n>               seed of every random choice (faults, throttling, crashes), for replays
  --serve                  then keep the whole stack live until Ctrl-C, as invites up does: prints the SES
                           web inbox and the web console (loopback, no sign-in); send, status and report
                           take --local meanwhile (.invites/local.json)
  --dry-run                validate the CSV and settings, show rejected rows and the token cost; create nothing
  --api-url <url>          use a real Aseed API instead of the stand-in (with --api-token)
  --api-token <token>      bearer token of that API
  --deadline <seconds>     give up waiting after this long (default 120)
  --ses aws                send through a real SES account (AWS credentials from the environment or
                           profile) while everything else stays local, to try templates, identity and
                           permissions (ses:GetAccount, ses:SendBulkEmail); needs --settings with a
                           verified sender; exits 1 when SES accepts no email. Mailbox simulator
                           addresses recommended (see docs/DEPLOY.md)
  --region <region>        region of that SES account (default: AWS_REGION or the profile's)
  --days <n>               after the sends, let n simulated days pass (stand-in only): respondents join
                           and leave their rooms, rooms expire on the stand-in's clock, the tracker polls
                           every 5 simulated minutes as deployed; the report shows who started and completed
  --respondents <spec>     with --days: start=P,complete=Q[,optout=R], the chance a respondent starts, that
                           one who started completes, and that one opts out through the email's link
                           (default start=0.5,complete=0.8; --seed replays it)
  -h, --help               this help
`,
  up: `Usage: invites up [--json]

Starts the local stack (emulators, the Aseed stand-in, the stack's resources, the real handlers, the tracker
on its schedule) and keeps it until Ctrl-C or SIGTERM. Prints its endpoints and writes them to
.invites/local.json; send, status and report then take --local instead of --stack and work against it.

Options:
  --json                   print the endpoints as JSON
  -h, --help               this help
`,
  send: `Usage: invites send <csv> --stack <name> [options]

Uploads the settings (if any) and then the CSV to the deployed stack's bucket (under campaigns/), then
watches the campaign's progress in the store until it is done. Ctrl-C stops watching; the campaign keeps
running in AWS. Uses the default AWS credentials and region (AWS_PROFILE, AWS_REGION, ...).

Without --campaign every send is a new campaign. With --campaign NAME the CSV goes to campaigns/NAME.csv,
and a later send of a changed file under the same NAME adds to that campaign: people already in it are
reported 'duplicate' (already invited on <date>, with the upload and line they came in) and get nothing;
new ones are invited with the campaign's settings (fixed by its first upload: a later send takes no
--settings). Sending an identical file again changes nothing; a cancelled campaign takes nobody new.
status, report and cancel accept the NAME in place of the campaign id.

Options:
  --stack <name>           CloudFormation stack name (this or --local)
  --local                  the local stack 'invites up' runs (.invites/local.json)
  --settings <file.json>   campaign settings overriding the deployment defaults
  --campaign <name>        the campaign to send into, created by its first send (letters, digits, . _ -)
  --no-wait                upload and print the campaign id; do not watch
  --dry-run                validate the CSV and settings, show rejected rows; upload nothing
  --api-url <url>          with --dry-run: ask this Aseed API for the token price (with --api-token)
  --api-token <token>      bearer token of that API
  --json                   print the final summary (with campaignId and the funnel) as JSON on stdout
  -h, --help               this help
`,
  status: `Usage: invites status <campaign> --stack <name> | --local [--json]

Shows a campaign's status, counts and funnel (invited → delivered → started → completed, with rates).

Options:
  --stack <name>           CloudFormation stack name (this or --local)
  --local                  the local stack 'invites up' runs
  --json                   print the campaign record's status and counts as JSON
  -h, --help               this help
`,
  preview: `Usage: invites preview <csv> [--settings file] [--line N] --out <dir>

Writes the invitation of one respondent exactly as SES will render it: preview.html (the HTML part) and
preview.txt (Subject: line, then the text part), from the very template and data the invite function gives
SES, in the respondent's language. The link is a placeholder (https://aseed.invalid/…): no room, no tokens.
The settings file is merged over the project defaults (deployment-level overrides are not read).
Fails, naming it, on a merge field that is neither built in nor a column of the file.

Options:
  --settings <file>        campaign settings JSON (templates, language, columns…)
  --line <N>               the data row to preview (the row number a spreadsheet shows; default: the
                           first accepted row); a rejected or duplicate row says why
  --out <dir>              where to write preview.html and preview.txt
  -h, --help               this help
`,
  'test-send': `Usage: invites test-send <csv> --to <address> --stack <name> | --local [--settings file] [--line N]

Sends one respondent's invitation for real, through the stack's SES (your AWS credentials, the stack's
default sender and configuration set) or the local stack's SES emulator, to <address> instead of the
respondent. The subject starts with "[TEST] " and the link is a placeholder: no room is created, no tokens
are reserved. SES's mailbox simulator (success@simulator.amazonses.com…) works as <address>.

Options:
  --to <address>           where the test email goes (required)
  --stack <name>           CloudFormation stack name (this or --local)
  --local                  the local stack 'invites up' runs
  --settings <file>        campaign settings JSON (templates, language, sender, columns…)
  --line <N>               the data row whose invitation to send (default: the first accepted row)
  -h, --help               this help
`,
  'console-user': `Usage: invites console-user add <email> --stack <name>

Invites a colleague to the deployed stack's web console: Cognito creates the user in the stack's user pool
(nobody can sign up by themselves) and emails a temporary password, valid 3 days; an authenticator app
(TOTP) is set up at the first sign-in, as the pool requires MFA. Adding an existing user changes nothing.
The local console (invites up) has sign-in off and listens on loopback only.

Options:
  --stack <name>           CloudFormation stack name
  -h, --help               this help
`,
  cancel: `Usage: invites cancel <campaign> --stack <name> | --local [--revoke-unstarted] [--json]

Stops a campaign: from now on no invitation, reminder or thank-you of it goes out. Respondents not invited
yet end 'cancelled' and their rooms are cancelled (DELETE: the tokens come back). Invited respondents keep
their link; with --revoke-unstarted, the rooms of those who have not started are cancelled too (their links
stop working) and they end 'cancelled'. Repeating the command is safe; adding --revoke-unstarted later
revokes then. The one window: an SES call whose recipients were claimed before the cancel reached them
(per invite invocation at most one call of <= 50 recipients, claims held <= 30 s) still goes out; those
respondents count as invited (and are revoked after it with --revoke-unstarted). Waits up to 2 minutes
for the cancel to be carried out, then prints what it did; exit 0 when nothing is left to cancel.

Options:
  --stack <name>           CloudFormation stack name (this or --local)
  --local                  the local stack 'invites up' runs
  --revoke-unstarted       also cancel the rooms of invited respondents who have not started
  --json                   print the outcome as JSON on stdout
  -h, --help               this help
`,
  report: `Usage: invites report <campaign> --stack <name> | --local [--out file]

Writes the campaign's report (line,email,status,room_url,reason,name,room_status,emailed_at,delivered_at,
started_at,completed_at,reminders_sent,thanked_at,upload; formula-safe cells) to a file or stdout. A
campaign uploaded more than once (send --campaign) numbers its uploads: line is a line of that upload's file.

Options:
  --stack <name>           CloudFormation stack name (this or --local)
  --local                  the local stack 'invites up' runs
  --out <file>             write the CSV there instead of stdout
  -h, --help               this help
`,
};
