// `invites console-user add EMAIL --stack NAME`: invites a colleague to the web console. Cognito creates the
// user (nobody can sign up alone) and emails a temporary password; MFA is set up at the first sign-in.
import {
  AdminCreateUserCommand,
  type AdminCreateUserCommandInput,
  AdminGetUserCommand,
  CognitoIdentityProviderClient,
  UsernameExistsException,
} from '@aws-sdk/client-cognito-identity-provider';
import { STACK_OUTPUTS } from '#infra/definitions.ts';
import { EXIT, parse, UsageError } from './args.ts';
import type { Io } from './local.ts';
import { describeStack } from './target.ts';

/** An address Cognito will take as an email attribute (SES-style checks happen when it mails it). */
const ADDRESS = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** `invites console-user add`. */
export const consoleUserCommand = async (args: string[], io: Io): Promise<number> => {
  const { values, positionals } = parse('console-user', args, {
    stack: { type: 'string' },
    local: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) return -1;
  const [action, email, ...extra] = positionals;
  if (action !== 'add' || email === undefined || extra.length > 0) {
    throw new UsageError('expected: console-user add <email> --stack <name>', 'console-user');
  }
  if (!ADDRESS.test(email)) throw new UsageError(`'${email}' is not an email address`, 'console-user');
  if (values.local) {
    throw new UsageError('the local console has sign-in off (loopback only): nobody to add', 'console-user');
  }
  if (!values.stack) throw new UsageError('--stack <name> is required', 'console-user');
  const { consoleUserPoolId } = await describeStack(values.stack);
  if (!consoleUserPoolId) {
    io.stderr.write(
      `invites: stack ${values.stack} has no ${STACK_OUTPUTS.consoleUserPoolId} output: deploy the stack again (it adds the console)\n`,
    );
    return EXIT.failed;
  }
  return addUser(consoleUserPoolId, email, io);
};

/**
 * Creates the user with a verified address; Cognito mails the temporary password. Adding someone again is
 * fine: one who never signed in gets the invitation anew (the first password may have run out).
 */
const addUser = async (userPoolId: string, email: string, io: Io): Promise<number> => {
  const cognito = new CognitoIdentityProviderClient({
    requestHandler: { requestTimeout: 15_000, connectionTimeout: 5_000 },
  });
  const invite: AdminCreateUserCommandInput = {
    UserPoolId: userPoolId,
    Username: email,
    UserAttributes: [
      { Name: 'email', Value: email },
      { Name: 'email_verified', Value: 'true' },
    ],
    DesiredDeliveryMediums: ['EMAIL'],
  };
  const invited = `Cognito emailed ${email} a temporary password (valid 3 days); an authenticator app is set up at the first sign-in.\n`;
  try {
    await cognito.send(new AdminCreateUserCommand(invite));
    io.stdout(`Invited ${email} to the console. ${invited}`);
    return EXIT.ok;
  } catch (error) {
    if (!(error instanceof UsernameExistsException)) throw error;
    const user = await cognito.send(new AdminGetUserCommand({ UserPoolId: userPoolId, Username: email }));
    if (user.UserStatus !== 'FORCE_CHANGE_PASSWORD') {
      io.stdout(`${email} is a console user already: nothing to do.\n`);
      return EXIT.ok;
    }
    await cognito.send(new AdminCreateUserCommand({ ...invite, MessageAction: 'RESEND' }));
    io.stdout(`${email} had not signed in yet: invited again. ${invited}`);
    return EXIT.ok;
  } finally {
    cognito.destroy();
  }
};
