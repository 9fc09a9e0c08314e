// Sign-in for the deployed console without an auth library: OAuth 2.0 authorization code with PKCE against
// the user pool's managed login (which also asks for the TOTP code). Tokens live in this tab only.
import { CONSOLE_PATHS } from '#shared/console/site-config.ts';
import type { CloudConfig } from './config.ts';
import { clearDraft } from './draft.ts';

const TOKENS = 'invites.tokens';
const PENDING = 'invites.signin';

interface Tokens {
  accessToken: string;
  refreshToken?: string;
  /** Epoch ms after which the access token is not used any more (a minute before it expires). */
  expiresAt: number;
  email?: string;
}

const base64url = (bytes: Uint8Array): string =>
  btoa(String.fromCharCode(...bytes))
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '');

const randomText = (): string => base64url(crypto.getRandomValues(new Uint8Array(32)));

const challengeOf = async (verifier: string): Promise<string> =>
  base64url(new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier))));

/** The email claim of an ID token (shown in the header; the token itself is verified by API Gateway). */
const emailOf = (idToken: string | undefined): string | undefined => {
  const payload = idToken?.split('.')[1];
  if (!payload) return undefined;
  try {
    const claims = JSON.parse(atob(payload.replace(/-/g, '+').replace(/_/g, '/'))) as { email?: string };
    return claims.email;
  } catch {
    return undefined;
  }
};

const tokenRequest = async (config: CloudConfig, body: Record<string, string>): Promise<Tokens> => {
  const response = await fetch(`${config.authDomain}/oauth2/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ client_id: config.clientId, ...body }),
  });
  if (!response.ok) throw new Error(`sign-in failed: the token endpoint answered HTTP ${response.status}`);
  const answer = (await response.json()) as {
    access_token: string;
    id_token?: string;
    refresh_token?: string;
    expires_in: number;
  };
  const tokens: Tokens = {
    accessToken: answer.access_token,
    expiresAt: Date.now() + (answer.expires_in - 60) * 1000,
    ...((answer.refresh_token ?? body.refresh_token)
      ? { refreshToken: answer.refresh_token ?? body.refresh_token }
      : {}),
    ...(emailOf(answer.id_token) ? { email: emailOf(answer.id_token) } : {}),
  };
  sessionStorage.setItem(TOKENS, JSON.stringify(tokens));
  return tokens;
};

/** Sends the browser to the managed login; it comes back to `redirectUri` with a code. */
export const signIn = async (config: CloudConfig): Promise<never> => {
  const verifier = randomText();
  const state = randomText();
  const returnTo = `${location.pathname}${location.search}`;
  sessionStorage.setItem(PENDING, JSON.stringify({ verifier, state, returnTo }));
  const query = new URLSearchParams({
    response_type: 'code',
    client_id: config.clientId,
    redirect_uri: config.redirectUri,
    scope: 'openid email profile',
    state,
    code_challenge_method: 'S256',
    code_challenge: await challengeOf(verifier),
  });
  location.assign(`${config.authDomain}/oauth2/authorize?${query}`);
  return new Promise<never>(() => {});
};

/** Finishes a sign-in when the URL carries Cognito's code; the path to go back to, if it did. */
export const completeSignIn = async (config: CloudConfig): Promise<string | undefined> => {
  if (location.pathname !== CONSOLE_PATHS.signInCallback) return undefined;
  const params = new URLSearchParams(location.search);
  const code = params.get('code');
  const pending = sessionStorage.getItem(PENDING);
  sessionStorage.removeItem(PENDING);
  // Never stay on the callback: a reload there would replay a code that is spent.
  history.replaceState(null, '', '/');
  const refused = params.get('error');
  if (refused) throw new Error(`sign-in refused: ${params.get('error_description') ?? refused}`);
  if (!code || !pending) return undefined;
  const { verifier, state, returnTo } = JSON.parse(pending) as Record<string, string>;
  if (params.get('state') !== state) throw new Error('sign-in failed: the answer does not match the request');
  await tokenRequest(config, {
    grant_type: 'authorization_code',
    code,
    redirect_uri: config.redirectUri,
    code_verifier: verifier ?? '',
  });
  return returnTo ?? '/';
};

const stored = (): Tokens | undefined => {
  const text = sessionStorage.getItem(TOKENS);
  return text ? (JSON.parse(text) as Tokens) : undefined;
};

/** A valid access token (refreshed when it ran out); undefined when the researcher must sign in again. */
export const accessToken = async (config: CloudConfig): Promise<string | undefined> => {
  const tokens = stored();
  if (!tokens) return undefined;
  if (tokens.expiresAt > Date.now()) return tokens.accessToken;
  if (!tokens.refreshToken) return undefined;
  try {
    return (await tokenRequest(config, { grant_type: 'refresh_token', refresh_token: tokens.refreshToken }))
      .accessToken;
  } catch {
    sessionStorage.removeItem(TOKENS);
    return undefined;
  }
};

/** Who is signed in, for the header. */
export const signedInEmail = (): string | undefined => stored()?.email;

/** Forgets the tokens and ends the managed-login session too. */
export const signOut = async (config: CloudConfig): Promise<void> => {
  sessionStorage.removeItem(TOKENS);
  // A draft holds a respondent file: the next person at this browser must not find it.
  await clearDraft();
  const query = new URLSearchParams({ client_id: config.clientId, logout_uri: config.logoutUri });
  location.assign(`${config.authDomain}/logout?${query}`);
};
