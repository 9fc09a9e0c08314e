// The Aseed client of a function: base URL from the environment, the token read lazily from Secrets Manager
// (cached five minutes, so a rotated token is picked up without a cold start); other secrets read the same way.
import { getSecret } from '@aws-lambda-powertools/parameters/secrets';
import { AseedClient } from '#shared/aseed/client.ts';
import { ENV } from '#shared/config.ts';

/** Reads a string secret when called (cached five minutes); fails naming `what` when it is empty. */
export const secretReader = (arn: string, what: string) => async (): Promise<string> => {
  const secret = await getSecret(arn, { maxAge: 300 });
  if (typeof secret !== 'string' || secret.trim() === '') throw new Error(`${what} secret is empty`);
  return secret.trim();
};

/** The Aseed client of a function whose environment names the API and the token's secret. */
export const aseedFromEnv = (env: { [ENV.aseedBaseUrl]: string; [ENV.aseedTokenSecretArn]: string }) =>
  new AseedClient({
    baseUrl: env[ENV.aseedBaseUrl],
    token: secretReader(env[ENV.aseedTokenSecretArn], 'the Aseed token'),
  });
