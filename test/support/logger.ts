// A logger for use-case and handler tests: keeps every line with its level and its structured fields.
import type { AppLogger } from '#shared/log.ts';

/** One line a {@link recordingLogger} kept. */
export interface LoggedLine {
  level: string;
  message: string;
  fields: Record<string, unknown>;
}

/** A logger that keeps its lines (never prints them). */
export const recordingLogger = (): { logger: AppLogger; lines: LoggedLine[] } => {
  const lines: LoggedLine[] = [];
  const at =
    (level: string) =>
    (message: unknown, ...rest: unknown[]) => {
      const fields = Object.assign({}, ...rest.filter((r) => typeof r === 'object'));
      lines.push({ level, message: String(message), fields });
    };
  const logger: AppLogger = {
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    appendKeys: () => {},
    removeKeys: () => {},
  };
  return { logger, lines };
};
