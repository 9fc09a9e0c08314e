// `invites up`: the local stack as a deployment, kept running until Ctrl-C or SIGTERM. Its endpoints are
// printed and written to .invites/local.json, where `send|status|report --local` find them.
import { DEMO_PROJECT_ID } from '#local/standin/server.ts';
import { EXIT, parse } from './args.ts';
import type { Io } from './local.ts';

/** Sender of the local stack's defaults (LOCAL_SENDER of local/run-types.ts). */
const LOCAL_SENDER = 'Aseed Research <research@invites.example.org>';

/** Runs `invites up`; returns the exit code once stopped. */
export const upCommand = async (args: string[], io: Io): Promise<number> => {
  const { values } = parse('up', args, { json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } });
  if (values.help) return -1;
  const { startLocalDeployment } = await import('#local/deployment.ts');
  const { LOCAL_DEPLOYMENT_FILE } = await import('#local/deployment-info.ts');
  const deployment = await startLocalDeployment({
    defaults: { projectId: DEMO_PROJECT_ID, sender: LOCAL_SENDER },
  });
  const { info } = deployment;
  if (values.json) io.stdout(`${JSON.stringify(info, null, 2)}\n`);
  else
    io.stdout(
      [
        'The local stack is up:',
        `  Aseed API (stand-in)  ${info.api.url}  (token ${info.api.token})`,
        `  SES inbox             ${info.ses.inbox}`,
        `  uploads               s3://${info.bucketName}/campaigns/ at ${info.aws.s3}`,
        `  table                 ${info.tableName} at ${info.aws.dynamo}`,
        ...(info.console
          ? [`  console API (local)   ${info.console}api/campaigns  (loopback only, no sign-in)`]
          : []),
        `Endpoints written to ${LOCAL_DEPLOYMENT_FILE}. Try: invites send examples/respondents.csv --local`,
        'Running until Ctrl-C…',
        '',
      ].join('\n'),
    );
  await io.interrupted();
  io.stderr.write('Stopping the local stack…\n');
  await deployment.close();
  return EXIT.ok;
};
