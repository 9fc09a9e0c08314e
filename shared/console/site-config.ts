// What the deployed console's pages read at start (`/config.json`, written by the stack at deploy) and the
// paths the sign-in flow returns to. Data only: the stack writes it, the pages and a local server read it.

/** Paths of the console's site that the stack and the pages agree on. */
export const CONSOLE_PATHS = {
  /** The deploy-time configuration (below), beside index.html. */
  config: '/config.json',
  /** Where the managed login sends the authorization code (the client's one callback URL). */
  signInCallback: '/callback',
  /** Where the managed login returns after signing out (the client's one sign-out URL). */
  signedOut: '/',
} as const;

/** `/config.json` of a deployed console: sign-in through the user pool's managed login (code grant + PKCE). */
export interface ConsoleCloudConfig {
  readonly mode: 'cloud';
  readonly region: string;
  readonly userPoolId: string;
  /** The public app client (no secret): the pages send PKCE's verifier instead. */
  readonly clientId: string;
  /** Base URL of the managed login: `https://<prefix>.auth.<region>.amazoncognito.com`. */
  readonly authDomain: string;
  /** `https://<console domain>/callback`: the `redirect_uri` of the authorize and token requests. */
  readonly redirectUri: string;
  /** `https://<console domain>/`: the `logout_uri` of the logout request. */
  readonly logoutUri: string;
}
