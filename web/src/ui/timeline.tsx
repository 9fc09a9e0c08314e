// One respondent's timeline: what happened to them, in order, from their report line.
import type { ReportLine } from '#shared/store/report.ts';
import { when } from './common.tsx';

/** The dated events of a report line, oldest first. */
export const eventsOf = (r: ReportLine): Array<{ at: string; what: string }> =>
  [
    { at: r.emailed_at, what: 'invitation accepted by SES' },
    { at: r.delivered_at, what: 'delivered to the inbox' },
    { at: r.started_at, what: 'joined the interview room' },
    { at: r.completed_at, what: 'completed the interview' },
    { at: r.thanked_at, what: 'thank-you sent' },
  ]
    .filter((e) => e.at !== '')
    .sort((a, b) => a.at.localeCompare(b.at));

/** The timeline panel of an opened row. */
export const Timeline = ({ row, onClose }: { row: ReportLine; onClose: () => void }) => (
  <aside class="timeline" aria-labelledby="timeline-title">
    <div class="page-head">
      <h2 id="timeline-title">
        {row.email || '(no address)'}{' '}
        <span class="muted">
          line {row.line}
          {row.upload > 1 ? `, upload ${row.upload}` : ''}
        </span>
      </h2>
      <button type="button" onClick={onClose}>
        Close
      </button>
    </div>
    <dl class="facts">
      <dt>Status</dt>
      <dd>
        {row.status}
        {row.reason ? ` — ${row.reason}` : ''}
      </dd>
      {row.name ? (
        <>
          <dt>Name</dt>
          <dd>{row.name}</dd>
        </>
      ) : null}
      <dt>Room</dt>
      <dd>
        {row.room_url ? `${row.room_status || 'pending'} · ${row.room_url}` : row.room_status || 'none'}
      </dd>
      <dt>Reminders sent</dt>
      <dd>{row.reminders_sent}</dd>
    </dl>
    <ol class="events">
      {eventsOf(row).map((e) => (
        <li key={e.what}>
          <time dateTime={e.at}>{when(e.at)}</time> {e.what}
        </li>
      ))}
      {eventsOf(row).length === 0 ? <li>Nothing has happened yet.</li> : null}
    </ol>
  </aside>
);
