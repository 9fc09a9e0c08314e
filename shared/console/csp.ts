// The web console's response headers: one definition for CloudFront (infra/constructs/console-site.ts) and
// for a local server of the same pages, so the two cannot drift. Data only: no CDK, no AWS SDK imports.

/** Where the console's pages may connect beyond their own origin. */
export interface ConsoleCspOrigins {
  /** The user pool's managed login, e.g. `https://<prefix>.auth.<region>.amazoncognito.com` (sign-in off: none). */
  readonly authOrigin?: string;
  /** Where presigned uploads go straight from the browser, e.g. `https://*.s3.<region>.amazonaws.com`. */
  readonly uploadsOrigin?: string;
}

/**
 * The console's Content-Security-Policy: its own scripts, styles, fonts and images only (no inline code, no
 * `eval`), fetches to itself, the managed login (the token exchange) and the uploads bucket, and no framing.
 * The values may be CDK tokens: they are only joined, never parsed.
 */
export const consoleCsp = (origins: ConsoleCspOrigins = {}): string => {
  const extra = (origin: string | undefined) => (origin ? [origin] : []);
  const directives: Array<[string, string[]]> = [
    ['default-src', ["'none'"]],
    ['script-src', ["'self'"]],
    ['style-src', ["'self'"]],
    ['img-src', ["'self'", 'data:']],
    ['font-src', ["'self'"]],
    ['connect-src', ["'self'", ...extra(origins.authOrigin), ...extra(origins.uploadsOrigin)]],
    ['frame-src', ["'self'"]],
    ['frame-ancestors', ["'none'"]],
    ['base-uri', ["'none'"]],
    // The sign-in and sign-out redirects leave for the managed login.
    ['form-action', ["'self'", ...extra(origins.authOrigin)]],
    ['object-src', ["'none'"]],
  ];
  return directives.map(([name, sources]) => `${name} ${sources.join(' ')}`).join('; ');
};

/** HSTS max-age: two years, the minimum the browsers' preload lists take. */
export const HSTS_MAX_AGE_SECONDS = 2 * 365 * 24 * 3600;

/** The console's security headers besides the CSP, as a local server sends them (lower-case names). */
export const CONSOLE_SECURITY_HEADERS = {
  'strict-transport-security': `max-age=${HSTS_MAX_AGE_SECONDS}; includeSubDomains; preload`,
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  // The sign-in callback's URL carries the authorization code: no page is told where a visitor came from.
  'referrer-policy': 'no-referrer',
  // A researchers' console needs none of these; a script that got in cannot ask for them either.
  'permissions-policy': 'camera=(), microphone=(), geolocation=()',
} as const;
