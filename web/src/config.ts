// Where the console runs: `config.json` beside the app says so (the stack writes the cloud one, the local
// server the local one), so one build serves both.
import type { ConsoleCloudConfig } from '#shared/console/site-config.ts';

/** The deployed console: sign-in through the stack's Cognito managed login (the stack writes it). */
export type CloudConfig = ConsoleCloudConfig;

/** The local stack (`invites up`): loopback only, no sign-in. */
export interface LocalConfig {
  mode: 'local';
}

/** The console's runtime configuration. */
export type ConsoleConfig = CloudConfig | LocalConfig;

/** Reads `/config.json`; an Error saying what is wrong when it is missing or not one of the two shapes. */
export const loadConfig = async (): Promise<ConsoleConfig> => {
  const response = await fetch('/config.json', { cache: 'no-store' });
  if (!response.ok) throw new Error(`config.json could not be read (HTTP ${response.status})`);
  const value = (await response.json()) as Partial<CloudConfig> | Partial<LocalConfig>;
  if (value.mode === 'local') return { mode: 'local' };
  if (
    value.mode === 'cloud' &&
    value.clientId &&
    value.authDomain &&
    value.redirectUri &&
    value.logoutUri &&
    value.region
  ) {
    return value as CloudConfig;
  }
  throw new Error('config.json has neither a local nor a complete cloud configuration');
};
