import { parse as parseHost } from 'tldts';

// The answer per top-level domain, kept for the common ones: a million rows use a handful of TLDs.
const TLD_ANSWERS = new Map<string, boolean>();

/** True when the (ASCII, lower-case) top-level domain is an ICANN one in the public suffix list. */
export const isKnownTld = (tld: string): boolean => {
  const cached = TLD_ANSWERS.get(tld);
  if (cached !== undefined) return cached;
  const known = parseHost(`x.${tld}`, { allowPrivateDomains: false }).isIcann === true;
  if (TLD_ANSWERS.size < 10_000) TLD_ANSWERS.set(tld, known);
  return known;
};
