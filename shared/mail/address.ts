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

/** True when `value` holds a character that could break a header or a line (CR, LF, NUL, …). */
export const hasControlChar = (value: string): boolean => CONTROL.test(value);

/** Replaces each run of control characters (CR/LF included) with one space: header-safe text. */
export const stripControlChars = (value: string): string => value.replace(CONTROL_RUNS, ' ');

/** Result of checking an address: the normalised form (IDN domain in punycode) or why it is refused. */
export type EmailCheck = { ok: true; email: string } | { ok: false; problem: string };

/**
 * Checks an email address the way a careful sender would: one `@`, no spaces or control characters, a
 * dot-atom local part, a domain with a dot and no trailing dot, at most 254 characters. Non-ASCII domains
 * are converted to punycode (SES needs ASCII); non-ASCII local parts are refused (SES cannot send to them).
 * Problems never quote the address, so they are safe to log.
 */
export const checkEmail = (raw: string): EmailCheck => {
  const value = raw.trim();
  if (value.length <= MAX_EMAIL_LENGTH) {
    const plain = PLAIN.exec(value);
    if (plain) {
      const domain = plain[1] as string;
      return { ok: true, email: `${value.slice(0, value.length - domain.length)}${domain.toLowerCase()}` };
    }
  }
  // Not a plain address: find the first thing wrong with it, in the order a person would fix them.
  const parts = splitAddress(value);
  if ('problem' in parts) return { ok: false, problem: parts.problem };
  const localProblem = checkLocalPart(parts.local);
  if (localProblem) return { ok: false, problem: localProblem };
  const domain = checkDomain(parts.domain);
  if ('problem' in domain) return { ok: false, problem: domain.problem };
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
  const ascii = /[^\u0000-\u007f]/.test(domain) ? domainToASCII(domain) : domain.toLowerCase();
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
