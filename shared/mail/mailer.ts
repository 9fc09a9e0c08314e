import {
  type BulkEmailEntry,
  type BulkEmailEntryResult,
  type MessageTag,
  type SESv2Client,
  SendBulkEmailCommand,
} from '@aws-sdk/client-sesv2';
import {
  type AppError,
  PausedError,
  type PauseKind,
  PermanentError,
  RetryableError,
} from '#shared/errors.ts';
import { checkEmail, formatMailbox, parseMailbox } from './address.ts';
import {
  type EmailTemplate,
  type MergeData,
  mergeData,
  parseTemplate,
  sesDataPlan,
  sesTemplateData,
  toSesTemplate,
} from './template.ts';

/** Most destinations SES v2 accepts in one SendBulkEmail call. */
export const MAX_BULK_DESTINATIONS = 50;

/** One recipient of a bulk send: address, merge data, optional message tags and headers of its own. */
export interface BulkDestination {
  to: string;
  data: MergeData | Record<string, string>;
  tags?: Record<string, string>;
  /** Headers of this recipient's message only (SendBulkEmail ReplacementHeaders), e.g. List-Unsubscribe. */
  headers?: Record<string, string>;
}

/** A bulk send: one template, many recipients. `from`/`replyTo` may be `Name <email>`. */
export interface BulkEmail {
  from: string;
  replyTo?: string | string[];
  configurationSetName?: string;
  template: EmailTemplate;
  /** Data shared by every destination (sent once per call as DefaultTemplateData). */
  defaultData?: MergeData | Record<string, string>;
  /** Tags on every message. */
  tags?: Record<string, string>;
  destinations: BulkDestination[];
}

/**
 * What happened to one destination: `sent` (SES accepted it), `retry` (try again later: throttling,
 * transient or account-level trouble) or `failed` (this recipient can never succeed as sent).
 */
export type SendOutcome =
  | { status: 'sent'; messageId: string }
  | { status: 'retry'; reason: string; code?: string }
  | { status: 'paused'; kind: PauseKind; reason: string; code?: string }
  | { status: 'failed'; reason: string; code?: string };

/** Mailer dependencies. `beforeSend` is an optional pacing hook (rate limiter) awaited before each call. */
export interface MailerOptions {
  client: SESv2Client;
  beforeSend?: (destinations: number) => Promise<void>;
}

// Respondent-specific rejections; every other non-success status is about the account, the
// configuration or a transient condition, so the respondent should be retried rather than given up on.
const PERMANENT_STATUSES = new Set(['MESSAGE_REJECTED', 'INVALID_PARAMETER', 'FAILED']);

// The account may not send now: nobody's fault and nothing a quick retry fixes; the campaign waits.
const PAUSE_STATUSES: Record<string, PauseKind> = {
  ACCOUNT_DAILY_QUOTA_EXCEEDED: 'daily-quota',
  ACCOUNT_SENDING_PAUSED: 'account-paused',
  ACCOUNT_SUSPENDED: 'account-paused',
  CONFIGURATION_SET_SENDING_PAUSED: 'account-paused',
};

const PAUSE_ERROR_NAMES: Record<string, PauseKind> = {
  SendingPausedException: 'account-paused',
  AccountSuspendedException: 'account-paused',
  LimitExceededException: 'daily-quota',
};

const THROTTLING_ERROR_NAMES = new Set(['ThrottlingException', 'TooManyRequestsException', 'Throttling']);

const RETRYABLE_ERROR_NAMES = new Set([
  'RequestTimeout',
  'RequestTimeoutException',
  'TimeoutError',
  'AbortError',
  'InternalFailure',
  'InternalServerError',
  'ServiceUnavailable',
  'ServiceUnavailableException',
]);

const EMAILS = /([A-Za-z0-9._%+-])[A-Za-z0-9._%+-]*@([A-Za-z0-9.-]+\.[A-Za-z]{2,})/g;

/** Masks addresses in SES messages (`a***@example.com`) so reasons and errors are safe to log. */
export const maskEmails = (text: string): string => text.replace(EMAILS, '$1***@$2');

const TAG_CHARS = /[^A-Za-z0-9_-]/g;

const toTags = (tags: Record<string, string> | undefined): MessageTag[] | undefined => {
  if (!tags) return undefined;
  const list = Object.entries(tags).map(([Name, Value]) => ({
    Name: Name.replace(TAG_CHARS, '_').slice(0, 256),
    Value: (Value.replace(TAG_CHARS, '_') || '_').slice(0, 256),
  }));
  return list.length > 0 ? list : undefined;
};

/**
 * SES refused the call for the account's send rate (HTTP 429 / Throttling): it sent nothing, so the same
 * call may be repeated at once after a pause (unlike a timeout, whose outcome is unknown).
 */
export class SesThrottledError extends RetryableError {}

/** The kind of pause a failed call means, if it means one ("Daily message quota exceeded" is a 429 too). */
const pauseOf = (name: string, message: string): PauseKind | undefined =>
  PAUSE_ERROR_NAMES[name] ?? (/daily message quota exceeded/i.test(message) ? 'daily-quota' : undefined);

/** Classifies a failed SendBulkEmail call: throttling, 5xx, timeouts and network errors are retryable. */
export const classifySesError = (error: unknown): AppError => {
  const e = (error ?? {}) as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
  const status = e.$metadata?.httpStatusCode;
  const name = e.name ?? 'Error';
  const detail = maskEmails(`${name}${status ? ` (HTTP ${status})` : ''}: ${e.message ?? ''}`.slice(0, 300));
  const pause = pauseOf(name, e.message ?? '');
  if (pause) {
    return new PausedError(pause, `SES refused to send for now: ${detail}`, { cause: error });
  }
  if (status === 429 || THROTTLING_ERROR_NAMES.has(name)) {
    return new SesThrottledError(`SES SendBulkEmail failed, transient: ${detail}`, { cause: error });
  }
  if ((status !== undefined && status >= 500) || RETRYABLE_ERROR_NAMES.has(name)) {
    return new RetryableError(`SES SendBulkEmail failed, transient: ${detail}`, { cause: error });
  }
  if (status !== undefined && status >= 400) {
    return new PermanentError(`SES SendBulkEmail refused the request: ${detail}`, { cause: error });
  }
  // No HTTP status: the request never got an answer (connection reset, DNS…): worth retrying.
  return new RetryableError(`SES SendBulkEmail failed, no response: ${detail}`, { cause: error });
};

/** Maps one BulkEmailEntryResult to an outcome. */
export const outcomeOf = (result: BulkEmailEntryResult | undefined): SendOutcome => {
  if (!result) return { status: 'retry', reason: 'SES returned no status for this destination' };
  const code = result.Status ?? 'FAILED';
  if (code === 'SUCCESS') return { status: 'sent', messageId: result.MessageId ?? '' };
  const reason = maskEmails(`${code}${result.Error ? `: ${result.Error}` : ''}`.slice(0, 500));
  const pause = PAUSE_STATUSES[code];
  if (pause) return { status: 'paused', kind: pause, reason, code };
  return PERMANENT_STATUSES.has(code)
    ? { status: 'failed', reason, code }
    : { status: 'retry', reason, code };
};

const checkedMailbox = (value: string, field: string): string => {
  const parsed = parseMailbox(value);
  if (!parsed.ok) throw new PermanentError(`${field} ${parsed.problem}`);
  return formatMailbox(parsed.mailbox);
};

/**
 * Sends templated email through SES v2 SendBulkEmail with inline template content: ≤ 50 destinations per
 * call, values prepared per part (HTML-escaped, subject on one line) so SES's verbatim substitution is safe.
 */
export class Mailer {
  private readonly client: SESv2Client;
  private readonly beforeSend: ((destinations: number) => Promise<void>) | undefined;

  constructor(options: MailerOptions) {
    this.client = options.client;
    this.beforeSend = options.beforeSend;
  }

  /**
   * Sends to every destination; returns one outcome per destination, in order. Larger lists are split
   * into calls of 50. A failed call throws (RetryableError or PermanentError, with `cause`) only while
   * nothing has been sent; after a successful call, a failed one turns its destinations and the rest
   * into `retry`/`failed` outcomes instead, so the caller can still record what went out.
   */
  async sendBulk(email: BulkEmail): Promise<SendOutcome[]> {
    const call = callOf(email);
    const { outcomes, pending } = entriesOf(email);
    let sentSomething = false;
    for (let start = 0; start < pending.length; start += MAX_BULK_DESTINATIONS) {
      const chunk = pending.slice(start, start + MAX_BULK_DESTINATIONS);
      let results: BulkEmailEntryResult[];
      try {
        await this.beforeSend?.(chunk.length);
        const command = new SendBulkEmailCommand({ ...call, BulkEmailEntries: chunk.map((c) => c.entry) });
        results = (await this.client.send(command)).BulkEmailEntryResults ?? [];
      } catch (error) {
        const classified = classifySesError(error);
        if (!sentSomething) throw classified;
        const unsent: SendOutcome =
          classified instanceof PausedError
            ? { status: 'paused', kind: classified.kind, reason: classified.message }
            : classified.retryable
              ? { status: 'retry', reason: classified.message }
              : { status: 'failed', reason: classified.message };
        for (const rest of pending.slice(start)) outcomes[rest.index] = unsent;
        break;
      }
      sentSomething = true;
      chunk.forEach((c, i) => {
        outcomes[c.index] = outcomeOf(results[i]);
      });
    }
    return outcomes.map((o) => o ?? { status: 'retry', reason: 'not sent' });
  }
}

/** The parts of a SendBulkEmail call every chunk shares: sender, reply-to, tags, the inline template. */
const callOf = (email: BulkEmail) => {
  const from = checkedMailbox(email.from, 'from');
  const replyTo = (email.replyTo === undefined ? [] : [email.replyTo].flat()).map((r) =>
    checkedMailbox(r, 'replyTo'),
  );
  for (const part of ['subject', 'text', 'html'] as const) parseTemplate(email.template[part]);
  const sesTemplate = toSesTemplate(email.template);
  const defaults = defaultsOf(email);
  return {
    FromEmailAddress: from,
    ReplyToAddresses: replyTo.length > 0 ? replyTo : undefined,
    ConfigurationSetName: email.configurationSetName,
    DefaultEmailTags: toTags(email.tags),
    DefaultContent: {
      Template: {
        TemplateContent: { Subject: sesTemplate.subject, Text: sesTemplate.text, Html: sesTemplate.html },
        TemplateData: JSON.stringify(sesTemplateData(email.template, defaults)),
      },
    },
  };
};

const defaultsOf = (email: BulkEmail): MergeData =>
  email.defaultData instanceof Map ? email.defaultData : mergeData(email.defaultData);

/**
 * One entry per valid destination (with its index); an invalid address fails at once, unsent. Each entry
 * carries every variable (the defaults folded in), so no message depends on SES merging data.
 */
const entriesOf = (email: BulkEmail) => {
  const defaults = defaultsOf(email);
  const plan = sesDataPlan(email.template);
  const outcomes: (SendOutcome | undefined)[] = new Array(email.destinations.length);
  const pending: { index: number; entry: BulkEmailEntry }[] = [];
  email.destinations.forEach((destination, index) => {
    const to = checkEmail(destination.to);
    if (!to.ok) {
      outcomes[index] = { status: 'failed', reason: `invalid recipient address: ${to.problem}` };
      return;
    }
    const own = destination.data instanceof Map ? destination.data : mergeData(destination.data);
    const data = JSON.stringify(sesTemplateData(plan, new Map([...defaults, ...own])));
    pending.push({
      index,
      entry: {
        Destination: { ToAddresses: [to.email] },
        ReplacementEmailContent: { ReplacementTemplate: { ReplacementTemplateData: data } },
        ReplacementTags: toTags(destination.tags),
        ...(destination.headers
          ? {
              ReplacementHeaders: Object.entries(destination.headers).map(([Name, Value]) => ({
                Name,
                Value,
              })),
            }
          : {}),
      },
    });
  });
  return { outcomes, pending };
};
