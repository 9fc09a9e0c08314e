// `invites test-send`: one respondent's invitation sent for real through SES (the stack's, or the local
// stack's emulator) to an address of yours, marked as a test, with a placeholder link: no room, no tokens.

import { createReadStream } from 'node:fs';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { SESv2Client } from '@aws-sdk/client-sesv2';
import { STACK_OUTPUTS } from '#infra/definitions.ts';
import { findRespondent, PLACEHOLDER_ROOM_URL } from '#shared/campaign/preview.ts';
import { sendTestInvitation } from '#shared/campaign/test-send.ts';
import { checkEmail } from '#shared/mail/address.ts';
import { Mailer } from '#shared/mail/mailer.ts';
import { EXIT, integer, onePositional, parse, UsageError } from './args.ts';
import type { Io } from './local.ts';
import { localDeployment } from './target.ts';
import { checkSettings } from './validate.ts';

const requestHandler = { requestTimeout: 15_000, connectionTimeout: 5_000 };

/** Where the email goes out: an SES client, the sender the campaigns use, the configuration set. */
interface SendTarget {
  ses: SESv2Client;
  sender: string;
  configurationSetName?: string;
  where: string;
}

/** The local stack `invites up` runs: its SES emulator and the local sender. */
const localSes = async (command: string): Promise<SendTarget> => {
  const info = await localDeployment(command);
  const ses = new SESv2Client({
    region: info.aws.region,
    endpoint: info.ses.endpoint,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    requestHandler,
  });
  return {
    ses,
    sender: 'Aseed Research <research@invites.example.org>',
    where: `the local SES (${info.ses.inbox})`,
  };
};

/** The deployed stack's SES, sender and configuration set, from its outputs. */
const stackSes = async (stackName: string): Promise<SendTarget> => {
  const cfn = new CloudFormationClient({ requestHandler });
  try {
    const response = await cfn.send(new DescribeStacksCommand({ StackName: stackName }));
    const outputs = new Map((response.Stacks?.[0]?.Outputs ?? []).map((o) => [o.OutputKey, o.OutputValue]));
    const sender = outputs.get(STACK_OUTPUTS.defaultSender);
    if (!sender)
      throw new Error(`stack ${stackName} has no ${STACK_OUTPUTS.defaultSender} output: redeploy it`);
    const configurationSetName = outputs.get(STACK_OUTPUTS.sesConfigurationSetName);
    return {
      ses: new SESv2Client({ requestHandler }),
      sender,
      ...(configurationSetName ? { configurationSetName } : {}),
      where: `SES of stack ${stackName}`,
    };
  } finally {
    cfn.destroy();
  }
};

/** `invites test-send <csv> --to ADDR --stack S | --local [--settings f] [--line N]`. */
export const testSendCommand = async (args: string[], io: Io): Promise<number> => {
  const { values, positionals } = parse('test-send', args, {
    to: { type: 'string' },
    stack: { type: 'string' },
    local: { type: 'boolean' },
    settings: { type: 'string' },
    line: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) return -1;
  const csvPath = onePositional('test-send', positionals, 'CSV file');
  const to = checkEmail(values.to ?? '');
  if (!to.ok)
    throw new UsageError(
      `--to ${values.to === undefined ? 'is required' : `address ${to.problem}`}`,
      'test-send',
    );
  if (values.local === Boolean(values.stack))
    throw new UsageError('give one of --stack <name> and --local', 'test-send');
  const line = integer('test-send', 'line', values.line);
  const target = values.stack ? await stackSes(values.stack) : await localSes('test-send');
  try {
    const checked = await checkSettings(values.settings, {
      projectId: '00000000-0000-4000-8000-000000000000',
      sender: target.sender,
    });
    if ('settingsError' in checked) {
      io.stderr.write(`invites test-send: the settings are unusable: ${checked.settingsError}\n`);
      return EXIT.failed;
    }
    const { settings } = checked;
    const found = await findRespondent(createReadStream(csvPath), settings, line);
    if ('problem' in found) {
      io.stderr.write(`invites test-send: ${found.problem}\n`);
      return EXIT.failed;
    }
    const port = {
      mailer: new Mailer({ client: target.ses }),
      ...(target.configurationSetName ? { configurationSetName: target.configurationSetName } : {}),
    };
    const { locale, outcome } = await sendTestInvitation(port, settings, found.respondent, to.email);
    if (outcome?.status !== 'sent') {
      io.stderr.write(`invites test-send: SES did not send it: ${outcome ? outcome.reason : 'no answer'}\n`);
      return EXIT.failed;
    }
    io.stdout(
      `Sent line ${found.line}'s invitation (${locale} template) to ${to.email} through ${target.where}: ` +
        `message ${outcome.messageId}. Its link is a placeholder (${PLACEHOLDER_ROOM_URL}): no room, no tokens.\n`,
    );
    return EXIT.ok;
  } finally {
    target.ses.destroy();
  }
};
