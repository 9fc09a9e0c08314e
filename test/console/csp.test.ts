import { describe, expect, it } from 'vitest';
import { CONSOLE_SECURITY_HEADERS, consoleCsp } from '#shared/console/csp.ts';

describe('the console CSP', () => {
  it('allows only its own scripts, styles and fonts, and no framing, with sign-in and uploads origins', () => {
    // Act
    const csp = consoleCsp({
      authOrigin: 'https://x-1a2b3c4d.auth.eu-west-1.amazoncognito.com',
      uploadsOrigin: 'https://*.s3.eu-west-1.amazonaws.com',
    });

    // Assert
    expect(csp).toBe(
      "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; " +
        "connect-src 'self' https://x-1a2b3c4d.auth.eu-west-1.amazoncognito.com https://*.s3.eu-west-1.amazonaws.com; " +
        "frame-src 'self'; frame-ancestors 'none'; base-uri 'none'; " +
        "form-action 'self' https://x-1a2b3c4d.auth.eu-west-1.amazoncognito.com; object-src 'none'",
    );
  });

  it('connects only to its own origin when there is no sign-in and no upload origin (a local server)', () => {
    // Act
    const csp = consoleCsp();

    // Assert
    expect(csp).toContain("connect-src 'self';");
    expect(csp).toContain("form-action 'self';");
    expect(csp).not.toContain('undefined');
  });

  it('comes with HSTS of two years and a Permissions-Policy denying camera, microphone and location', () => {
    // Act + Assert
    expect(CONSOLE_SECURITY_HEADERS['strict-transport-security']).toBe(
      'max-age=63072000; includeSubDomains; preload',
    );
    expect(CONSOLE_SECURITY_HEADERS['permissions-policy']).toBe('camera=(), microphone=(), geolocation=()');
  });
});
