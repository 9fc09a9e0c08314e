// The respondent table of a campaign page: filtered by status, searched, paged by the API (a 10,000-row
// campaign sends one page of rows), each row opening its timeline.
import { useEffect, useRef, useState } from 'preact/hooks';
import type { TablePage } from '#shared/console/read.ts';
import type { ReportLine } from '#shared/store/report.ts';
import type { TableParams } from '../api.ts';
import { figure, when } from './common.tsx';
import { Timeline } from './timeline.tsx';

/** The statuses the filter offers, in the order of a respondent's journey. */
const STATUS_ORDER = [
  'pending',
  'emailed',
  'delivered',
  'started',
  'completed',
  'expired',
  'bounced',
  'complained',
  'unsubscribed',
  'failed',
  'cancelled',
  'rejected',
  'duplicate',
  'suppressed',
];

/** A row's key in the URL: `<upload>:<line>`. */
export const rowKey = (r: Pick<ReportLine, 'upload' | 'line'>): string => `${r.upload}:${r.line}`;

interface TableProps {
  table: TablePage;
  params: TableParams;
  openRow: string | undefined;
  onParams: (next: Partial<TableParams>) => void;
  onOpen: (key: string | undefined) => void;
}

const StatusFilter = ({ table, params, onParams }: Omit<TableProps, 'openRow' | 'onOpen'>) => {
  const present = STATUS_ORDER.filter((s) => (table.byStatus[s] ?? 0) > 0 || params.statuses.includes(s));
  const others = Object.keys(table.byStatus).filter((s) => !STATUS_ORDER.includes(s));
  const toggle = (status: string, on: boolean) =>
    onParams({
      statuses: on ? [...params.statuses, status] : params.statuses.filter((s) => s !== status),
      page: 1,
    });
  return (
    <fieldset class="filters">
      <legend>Status</legend>
      {[...present, ...others].map((status) => (
        <label key={status} class="chip">
          <input
            type="checkbox"
            checked={params.statuses.includes(status)}
            onChange={(e) => toggle(status, (e.target as HTMLInputElement).checked)}
          />
          {status} <span class="muted">{figure(table.byStatus[status])}</span>
        </label>
      ))}
    </fieldset>
  );
};

/** The search box: the URL follows a moment after typing stops. */
const Search = ({ value, onSearch }: { value: string; onSearch: (s: string) => void }) => {
  const [text, setText] = useState(value);
  // The latest callback: a filter ticked while typing must not be undone by the search that follows.
  const latest = useRef(onSearch);
  latest.current = onSearch;
  useEffect(() => setText(value), [value]);
  useEffect(() => {
    if (text === value) return;
    const timer = setTimeout(() => latest.current(text), 300);
    return () => clearTimeout(timer);
  }, [text, value]);
  return (
    <label class="search">
      Search address or name{' '}
      <input type="search" value={text} onInput={(e) => setText((e.target as HTMLInputElement).value)} />
    </label>
  );
};

const Pager = ({ table, onParams }: Pick<TableProps, 'table' | 'onParams'>) => {
  const pages = Math.max(1, Math.ceil(table.matching / table.pageSize));
  return (
    <nav class="pager" aria-label="Respondent pages">
      <button type="button" disabled={table.page <= 1} onClick={() => onParams({ page: table.page - 1 })}>
        Previous
      </button>
      <span aria-live="polite">
        Page {table.page} of {pages} · {figure(table.matching)} matching
      </span>
      <button type="button" disabled={table.page >= pages} onClick={() => onParams({ page: table.page + 1 })}>
        Next
      </button>
    </nav>
  );
};

/** The table with its filter, search and pager. */
export const RespondentTable = ({ table, params, openRow, onParams, onOpen }: TableProps) => (
  <section aria-labelledby="table-title">
    <h2 id="table-title">Respondents</h2>
    <div class="table-tools">
      <StatusFilter table={table} params={params} onParams={onParams} />
      <Search value={params.search} onSearch={(search) => onParams({ search, page: 1 })} />
    </div>
    <table class="data respondents">
      <thead>
        <tr>
          <th scope="col" class="num">
            Line
          </th>
          <th scope="col">Address</th>
          <th scope="col">Name</th>
          <th scope="col">Status</th>
          <th scope="col">Emailed</th>
          <th scope="col">Started</th>
          <th scope="col">Completed</th>
        </tr>
      </thead>
      <tbody>
        {table.rows.map((r) => [
          <tr key={rowKey(r)} class={openRow === rowKey(r) ? 'open' : undefined}>
            <td class="num">{r.upload > 1 ? `${r.upload}:${r.line}` : r.line}</td>
            <td>
              <button
                type="button"
                class="link"
                aria-expanded={openRow === rowKey(r)}
                onClick={() => onOpen(openRow === rowKey(r) ? undefined : rowKey(r))}
              >
                {r.email || '(no address)'}
              </button>
            </td>
            <td>{r.name}</td>
            <td>
              <span class={`status status-${r.status}`}>{r.status}</span>
            </td>
            <td>{when(r.emailed_at)}</td>
            <td>{when(r.started_at)}</td>
            <td>{when(r.completed_at)}</td>
          </tr>,
          openRow === rowKey(r) ? (
            <tr key={`${rowKey(r)}-timeline`} class="timeline-row">
              <td colSpan={7}>
                <Timeline row={r} onClose={() => onOpen(undefined)} />
              </td>
            </tr>
          ) : null,
        ])}
      </tbody>
    </table>
    {table.rows.length === 0 ? <p>No respondent matches.</p> : null}
    <Pager table={table} onParams={onParams} />
  </section>
);
