// The Aseed client of a function: base URL from the environment, the token read lazily from Secrets Manager
// (cached five minutes, so a rotated token is picked up without a cold start).
import { getSecret } from '@aws-lambda-powertools/parameters/secrets';
import { AseedClient } from '#shared/aseed/client.ts';
import { ENV } from '#shared/config.ts';

/** The Aseed client of a function whose environment names the API and the token's secret. */
export const aseedFromEnv = (env: { [ENV.aseedBaseUrl]: string; [ENV.aseedTokenSecretArn]: string }) => {
  const token = async (): Promise<string> => {
    const secret = await getSecret(env[ENV.aseedTokenSecretArn], { maxAge: 300 });
    if (typeof secret !== 'string' || secret.trim() === '')
      throw new Error('the Aseed token secret is empty');
    return secret.trim();
  };
  return new AseedClient({ baseUrl: env[ENV.aseedBaseUrl], token });
};
