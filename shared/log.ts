import { Logger } from '@aws-lambda-powertools/logger';

/** The logger type the use cases accept: Powertools' Logger, or anything with the same methods. */
export type AppLogger = Pick<Logger, 'debug' | 'info' | 'warn' | 'error' | 'appendKeys' | 'removeKeys'>;

/**
 * Structured JSON logger for one function. Powertools reads POWERTOOLS_LOG_LEVEL / POWERTOOLS_SERVICE_NAME
 * itself; `serviceName` is the fallback.
 */
export const createLogger = (serviceName: string): Logger => new Logger({ serviceName });

/**
 * Masks an email address for logs: the first character of the local part stays, the domain stays
 * (`anna@example.com` → `a***@example.com`). Anything that is not an address is masked whole.
 */
export const maskEmail = (email: string | undefined | null): string => {
  if (!email) return '***';
  const at = email.lastIndexOf('@');
  if (at <= 0) return '***';
  return `${email.slice(0, 1)}***${email.slice(at)}`;
};

/** A logger that drops everything: the default for tests and tools that pass none. */
export const silentLogger: AppLogger = {
  debug: () => {},
  info: () => {},
  warn: () => {},
  error: () => {},
  appendKeys: () => {},
  removeKeys: () => {},
};

/**
 * Error fields safe to log: name, message, retryable; never request bodies or headers (they may hold tokens).
 * The message goes under `errorMessage`: `message` is reserved by Powertools and would be dropped.
 */
export const errorFields = (error: unknown): Record<string, unknown> => {
  if (error instanceof Error) {
    const retryable = (error as { retryable?: unknown }).retryable;
    return {
      name: error.name,
      errorMessage: error.message,
      ...(typeof retryable === 'boolean' ? { retryable } : {}),
    };
  }
  return { errorMessage: String(error) };
};
