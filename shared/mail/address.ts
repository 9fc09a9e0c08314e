import { domainToASCII } from 'node:url';

/** Longest address SES (and RFC 5321) accepts. */
export const MAX_EMAIL_LENGTH = 254;

/** C0 and C1 control characters, DEL, and the Unicode line/paragraph separators. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point.
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point.
const CONTROL_RUNS = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g;
/** RFC 5322 dot-atom characters: no quotes, commas, brackets, spaces or semicolons can reach a header. */
const LOCAL_PART = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+$/;
const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;
/** The common case in one pass: a plain ASCII address that every detailed check below would accept. */
const PLAIN =
  /^(?=.{1,64}@)[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*@((?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)$/;

// Invisible characters spreadsheets and web forms leave around a pasted value, besides what trim() removes
// (NBSP and BOM included): zero-width space and joiners, left-to-right and right-to-left marks (U+200B–
// U+200F), word joiner (U+2060).
const isInvisible = (code: number): boolean => (code >= 0x200b && code <= 0x200f) || code === 0x2060;

/** The value without spaces or invisible characters around it (a loop: an anchored regex could backtrack). */
const trimAddress = (raw: string): string => {
  let value = raw.trim();
  while (value.length > 0) {
    if (isInvisible(value.charCodeAt(0))) value = value.slice(1).trim();
    else if (isInvisible(value.charCodeAt(value.length - 1))) value = value.slice(0, -1).trim();
    else break;
  }
  return value;
};

/** A domain label before punycode: letters, combining marks, digits and hyphens (no punctuation or symbols). */
const UNICODE_LABEL = /^[\p{L}\p{M}\p{Nd}-]+$/u;
const NOT_LABEL_CHAR = /[^\p{L}\p{M}\p{Nd}.-]/u;

/** True when `value` holds a character that could break a header or a line (CR, LF, NUL, …). */
export const hasControlChar = (value: string): boolean => CONTROL.test(value);

/** Replaces each run of control characters (CR/LF included) with one space: header-safe text. */
export const stripControlChars = (value: string): string => value.replace(CONTROL_RUNS, ' ');

/** Result of checking an address: the normalised form (IDN domain in punycode) or why it is refused. */
export type EmailCheck = { ok: true; email: string } | { ok: false; problem: string };

/** How strict {@link checkEmail} is. */
export interface EmailCheckOptions {
  /**
   * Refuses a top-level domain it answers false for (one letter, starting with a digit, a look-alike
   * letter…): mail to it can only bounce. For recipients, with `isKnownTld` from `tld.ts` (kept out of
   * this module so that senders' and mailers' bundles do not carry the public suffix list).
   */
  knownTld?: (tld: string) => boolean;
}

/** Why a top-level domain is refused, naming it as written. */
const unknownTld = (written: string): string => {
  const mixed = /\p{Script=Latin}/u.test(written) && /[^\P{L}\p{Script=Latin}]/u.test(written);
  return `has an unknown top-level domain ".${written}" (not in the public suffix list${mixed ? '; it mixes Latin with look-alike letters of another script' : ''})`;
};

/**
 * Checks an email address the way a careful sender would: one `@`, no spaces or control characters, a
 * dot-atom local part, a domain with a dot and no trailing dot, at most 254 characters. Non-ASCII domains
 * are converted to punycode (SES needs ASCII); non-ASCII local parts are refused (SES cannot send to them).
 * Problems never quote the address (at most the top-level domain or the one character refused), so they
 * are safe to log.
 */
export const checkEmail = (raw: string, options: EmailCheckOptions = {}): EmailCheck => {
  const value = trimAddress(raw);
  if (value.length <= MAX_EMAIL_LENGTH) {
    const plain = PLAIN.exec(value);
    if (plain) {
      const domain = (plain[1] as string).toLowerCase();
      const tld = domain.slice(domain.lastIndexOf('.') + 1);
      if (options.knownTld && !options.knownTld(tld)) return { ok: false, problem: unknownTld(tld) };
      return { ok: true, email: `${value.slice(0, value.length - domain.length)}${domain}` };
    }
  }
  // Not a plain address: find the first thing wrong with it, in the order a person would fix them.
  const parts = splitAddress(value);
  if ('problem' in parts) return { ok: false, problem: parts.problem };
  const localProblem = checkLocalPart(parts.local);
  if (localProblem) return { ok: false, problem: localProblem };
  // The ideographic, fullwidth and halfwidth full stops separate labels too (UTS 46): 例え。jp is 例え.jp.
  const written = parts.domain.replace(/[\u3002\uff0e\uff61]/g, '.');
  const domain = checkDomain(written);
  if ('problem' in domain) return { ok: false, problem: domain.problem };
  if (options.knownTld && !options.knownTld(domain.ascii.slice(domain.ascii.lastIndexOf('.') + 1))) {
    return { ok: false, problem: unknownTld(written.slice(written.lastIndexOf('.') + 1)) };
  }
  const email = `${parts.local}@${domain.ascii}`;
  if (email.length > MAX_EMAIL_LENGTH) {
    return { ok: false, problem: `is longer than ${MAX_EMAIL_LENGTH} characters` };
  }
  return { ok: true, email };
};

/** The address's two sides around its one `@`, or what keeps it from having them. */
const splitAddress = (value: string): { local: string; domain: string } | { problem: string } => {
  if (value.length === 0) return { problem: 'is empty' };
  if (value.length > MAX_EMAIL_LENGTH) return { problem: `is longer than ${MAX_EMAIL_LENGTH} characters` };
  if (CONTROL.test(value)) return { problem: 'contains a control character (e.g. a line break)' };
  if (/\s/.test(value)) return { problem: 'contains a space' };
  const at = value.indexOf('@');
  if (at === -1) return { problem: 'has no "@"' };
  if (value.indexOf('@', at + 1) !== -1) {
    return { problem: `has ${value.split('@').length - 1} "@" (exactly one expected)` };
  }
  return { local: value.slice(0, at), domain: value.slice(at + 1) };
};

/** What is wrong with the part before `@`, if anything. */
const checkLocalPart = (local: string): string | undefined => {
  if (local.length === 0) return 'has nothing before "@"';
  if (local.length > 64) return 'has more than 64 characters before "@"';
  if (!LOCAL_PART.test(local)) {
    // biome-ignore lint/suspicious/noControlCharactersInRegex: ASCII range check.
    return /[^\u0000-\u007f]/.test(local)
      ? 'has non-ASCII characters before "@" (SES cannot deliver to them)'
      : 'has a character not allowed before "@" (quotes, commas, brackets, …)';
  }
  if (local.startsWith('.') || local.endsWith('.') || local.includes('..'))
    return 'has a misplaced dot before "@"';
  return undefined;
};

/** The domain as SES needs it (ASCII, lower case, punycode for international ones), or its problem. */
const checkDomain = (domain: string): { ascii: string } | { problem: string } => {
  if (domain.length === 0) return { problem: 'has nothing after "@"' };
  if (domain.endsWith('.')) return { problem: 'ends with a dot' };
  if (!domain.includes('.')) return { problem: 'has no dot in the domain (e.g. example.com)' };
  if (domain.startsWith('.') || domain.includes('..'))
    return { problem: 'has a misplaced dot in the domain' };
  // biome-ignore lint/suspicious/noControlCharactersInRegex: ASCII range check.
  const international = /[^\u0000-\u007f]/.test(domain);
  if (international) {
    // Checked before punycode: the conversion would turn “ ™ or an emoji into a label that looks valid.
    // The Catalan middle dot is allowed between two l's (paral·lel.cat; IDNA2008 CONTEXTO).
    const letters = domain.replace(/(?<=l)\u00b7(?=l)/giu, '');
    const odd = NOT_LABEL_CHAR.exec(letters)?.[0];
    if (odd !== undefined || !letters.split('.').every((label) => UNICODE_LABEL.test(label))) {
      const shown = odd === undefined ? '' : `: "${odd}" (U+${codePoint(odd)})`;
      return { problem: `has a character that cannot be in a domain${shown}` };
    }
  }
  const ascii = international ? domainToASCII(domain) : domain.toLowerCase();
  if (ascii === '') return { problem: 'has an invalid international domain' };
  if (ascii.length > 253) return { problem: 'has a domain longer than 253 characters' };
  for (const label of ascii.split('.')) {
    if (!LABEL.test(label))
      return { problem: 'has an invalid domain (letters, digits and inner hyphens only)' };
  }
  if (/^[0-9]+$/.test(ascii.slice(ascii.lastIndexOf('.') + 1)))
    return { problem: 'has a numeric top-level domain' };
  return { ascii };
};

/** A character's code point as 4+ hex digits. */
const codePoint = (c: string): string => (c.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0');

/** A mailbox: an address with an optional display name. */
export interface Mailbox {
  email: string;
  name?: string;
}

/** Result of parsing `Name <email>` or a bare address. */
export type MailboxCheck = { ok: true; mailbox: Mailbox } | { ok: false; problem: string };

/** Parses `Name <email@example.com>`, `"Name" <email@example.com>` or `email@example.com`. */
export const parseMailbox = (raw: string): MailboxCheck => {
  if (CONTROL.test(raw)) return { ok: false, problem: 'contains a control character (e.g. a line break)' };
  const value = raw.trim();
  const match = /^(.*?)\s*<([^<>]*)>$/.exec(value);
  const address = match ? (match[2] as string) : value;
  let name = match ? (match[1] as string).trim() : undefined;
  if (name?.startsWith('"') && name.endsWith('"') && name.length >= 2) name = name.slice(1, -1).trim();
  if (name !== undefined && /[<>"]/.test(name)) {
    return { ok: false, problem: 'display name must not contain <, > or "' };
  }
  if (name !== undefined && name.length > 100) {
    return { ok: false, problem: 'display name is longer than 100 characters' };
  }
  const checked = checkEmail(address);
  if (!checked.ok) return { ok: false, problem: `address ${checked.problem}` };
  return { ok: true, mailbox: name ? { email: checked.email, name } : { email: checked.email } };
};

/**
 * Formats a mailbox for an address header: `"Name" <email>`, with a non-ASCII name as an RFC 2047
 * encoded word (what SES requires). Control characters are stripped, so the result is one header line.
 */
export const formatMailbox = (mailbox: Mailbox): string => {
  const email = stripControlChars(mailbox.email).replace(/\s+/g, '');
  const name = mailbox.name
    ? stripControlChars(mailbox.name)
        .replace(/["\\<>]/g, '')
        .trim()
    : '';
  if (!name) return email;
  if (/^[\u0020-\u007e]*$/.test(name)) return `"${name}" <${email}>`;
  return `=?UTF-8?B?${Buffer.from(name, 'utf8').toString('base64')}?= <${email}>`;
};
