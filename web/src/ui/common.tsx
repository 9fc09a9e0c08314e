// Small pieces every page uses: an error shown where it happened, a polled resource, dates and figures.
import type { ComponentChildren } from 'preact';
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';

/** The API's reason, in place, announced to screen readers. */
export const ErrorNote = ({ error, children }: { error: unknown; children?: ComponentChildren }) =>
  error ? (
    <p class="error" role="alert">
      {children}
      {error instanceof Error ? error.message : String(error)}
    </p>
  ) : null;

/** A resource loaded now and again every `everyMs` (0: once) while the page shows it. */
export const usePolled = <T,>(load: () => Promise<T>, key: string, everyMs: number) => {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<unknown>(undefined);
  const [loading, setLoading] = useState(true);
  const latest = useRef(load);
  latest.current = load;
  // Answers can arrive out of order (a slow poll, then a new page): only the last request's answer counts.
  const sequence = useRef(0);
  const refresh = useCallback(async () => {
    const asked = ++sequence.current;
    try {
      const value = await latest.current();
      if (asked !== sequence.current) return;
      setData(value);
      setError(undefined);
    } catch (e) {
      if (asked === sequence.current) setError(e);
    } finally {
      if (asked === sequence.current) setLoading(false);
    }
  }, []);
  // A new key (another campaign, page or filter) reloads at once; the old answer stays until the new one.
  useEffect(() => {
    setLoading(true);
    void refresh();
    if (everyMs <= 0) return;
    const timer = setInterval(() => {
      if (document.visibilityState === 'visible') void refresh();
    }, everyMs);
    return () => clearInterval(timer);
  }, [key, everyMs, refresh]);
  return { data, error, loading, refresh };
};

/** `2026-12-06 14:03` in the viewer's time zone, or a dash. */
export const when = (iso: string | undefined): string => {
  if (!iso) return '–';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
};

/** A count with thousands separators. */
export const figure = (n: number | undefined): string => (n ?? 0).toLocaleString('en-US');

/** `x %` of a total, or a dash when there is none. */
export const percent = (n: number, total: number): string =>
  total > 0 ? `${((100 * n) / total).toFixed(1)} %` : '–';
