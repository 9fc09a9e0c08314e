// The campaigns list: every campaign, newest first, with its status, funnel figures and, while it sends,
// a progress bar; refreshed every few seconds.
import { useState } from 'preact/hooks';
import type { CampaignSummary } from '#shared/console/read.ts';
import { api } from '../api.ts';
import { ErrorNote, figure, usePolled, when } from '../ui/common.tsx';
import { SendProgress, StatusBadge } from '../ui/status.tsx';

/**
 * The figures of a list row: the tracker's funnel snapshot (as of its last poll) where there is one, else
 * what sending counted so far (the other figures are not counted before the first poll).
 */
const figuresOf = (s: CampaignSummary) => {
  const funnel = s.funnel;
  return {
    invited: funnel?.emailed ?? s.emailed,
    delivered: funnel?.delivered,
    started: funnel?.started,
    completed: funnel?.completed,
    bounced: funnel?.bounced,
  };
};

const Figure = ({ n }: { n: number | undefined }) => <td class="num">{n === undefined ? '–' : figure(n)}</td>;

const Row = ({ s }: { s: CampaignSummary }) => {
  const f = figuresOf(s);
  return (
    <tr>
      <th scope="row">
        <a href={`/campaigns/${s.campaignId}`}>{s.name}</a>
        {s.uploads > 1 ? <span class="muted"> · {s.uploads} uploads</span> : null}
      </th>
      <td>{when(s.createdAt)}</td>
      <td>
        <StatusBadge summary={s} />
        <SendProgress summary={s} />
        {s.failureReason ? <div class="error-text">{s.failureReason}</div> : null}
      </td>
      <Figure n={f.invited} />
      <Figure n={f.delivered} />
      <Figure n={f.started} />
      <Figure n={f.completed} />
      <Figure n={f.bounced} />
    </tr>
  );
};

/** The funnel columns of the list, in the order of figuresOf's fields. */
const FIGURES = ['Invited', 'Delivered', 'Started', 'Completed', 'Bounced'] as const;

/** The list's table. */
const CampaignTable = ({ campaigns }: { campaigns: CampaignSummary[] }) => (
  <table class="data">
    <thead>
      <tr>
        <th scope="col">Campaign</th>
        <th scope="col">Created</th>
        <th scope="col">Status</th>
        {FIGURES.map((label) => (
          <th key={label} scope="col" class="num">
            {label}
          </th>
        ))}
      </tr>
    </thead>
    <tbody>
      {campaigns.map((s) => (
        <Row key={s.campaignId} s={s} />
      ))}
    </tbody>
  </table>
);

/** The list page. */
export const ListPage = () => {
  const [pages, setPages] = useState<string[]>([]);
  const first = usePolled(() => api.campaigns(), 'list', 5000);
  const [more, setMore] = useState<{ campaigns: CampaignSummary[]; next?: string; error?: unknown }>({
    campaigns: [],
  });
  const next = pages.length > 0 ? more.next : first.data?.next;
  const loadMore = async () => {
    if (!next) return;
    try {
      const page = await api.campaigns(next);
      setPages([...pages, next]);
      setMore({
        campaigns: [...more.campaigns, ...page.campaigns],
        ...(page.next ? { next: page.next } : {}),
      });
    } catch (error) {
      setMore({ ...more, error });
    }
  };
  const campaigns = [...(first.data?.campaigns ?? []), ...more.campaigns];
  return (
    <section aria-labelledby="list-title">
      <div class="page-head">
        <h1 id="list-title">Campaigns</h1>
        <a class="button primary" href="/new">
          New campaign
        </a>
      </div>
      <ErrorNote error={first.error}>The list could not be loaded: </ErrorNote>
      {first.data && campaigns.length === 0 ? (
        <p>No campaigns yet. Start one with “New campaign”, or `invites send` from a terminal.</p>
      ) : null}
      {campaigns.length > 0 ? <CampaignTable campaigns={campaigns} /> : null}
      {first.loading && !first.data ? <p aria-live="polite">Loading…</p> : null}
      <ErrorNote error={more.error}>More campaigns could not be loaded: </ErrorNote>
      {next ? (
        <button type="button" onClick={loadMore}>
          Show older campaigns
        </button>
      ) : null}
    </section>
  );
};
