// A campaign's page: live progress, the funnel chart, the respondent table with each row's timeline, and
// the actions (report, test send, cancel). Table filter, search, page and the open row live in the URL.
import { useEffect, useState } from 'preact/hooks';
import { api, type TableParams } from '../api.ts';
import { navigate } from '../router.ts';
import { CancelForm, ReportButton, TestSendForm } from '../ui/actions.tsx';
import { ErrorNote, figure, usePolled, when } from '../ui/common.tsx';
import { FunnelChart } from '../ui/funnel.tsx';
import { SendProgress, StatusBadge } from '../ui/status.tsx';
import { RespondentTable } from '../ui/table.tsx';

const PAGE_SIZE = 50;

/** The table's parameters from the page's query. */
export const paramsOf = (query: URLSearchParams): TableParams => ({
  statuses: (query.get('status') ?? '').split(',').filter((s) => s !== ''),
  search: query.get('search') ?? '',
  page: Math.max(1, Number(query.get('page')) || 1),
  pageSize: PAGE_SIZE,
});

const hrefOf = (campaignId: string, p: TableParams, row: string | undefined): string => {
  const q = new URLSearchParams();
  if (p.statuses.length > 0) q.set('status', p.statuses.join(','));
  if (p.search) q.set('search', p.search);
  if (p.page > 1) q.set('page', String(p.page));
  if (row) q.set('row', row);
  const search = q.toString();
  return `/campaigns/${campaignId}${search ? `?${search}` : ''}`;
};

/** The campaign page. */
export const CampaignPage = ({ campaignId, query }: { campaignId: string; query: URLSearchParams }) => {
  const params = paramsOf(query);
  const openRow = query.get('row') ?? undefined;
  const key = `${campaignId}?${query.toString().replace(/(^|&)row=[^&]*/, '')}`;
  // Each refresh reads the whole campaign (its table is filtered on the server): a large one less often,
  // 5 s up to 1,000 respondents, 15 s at 10,000 (its reads cost DynamoDB capacity, not only time).
  const [everyMs, setEveryMs] = useState(5000);
  const view = usePolled(() => api.campaign(campaignId, params), key, everyMs);
  const size = view.data?.summary.rows ?? 0;
  useEffect(() => setEveryMs(Math.max(5000, Math.round(size * 1.5))), [size]);
  const setParams = (next: Partial<TableParams>) =>
    navigate(hrefOf(campaignId, { ...params, ...next }, undefined), true);
  const setRow = (row: string | undefined) => navigate(hrefOf(campaignId, params, row), true);
  if (!view.data) {
    return (
      <section>
        <p>
          <a href="/">← Campaigns</a>
        </p>
        {view.loading ? <p aria-live="polite">Loading the campaign…</p> : null}
        <ErrorNote error={view.error}>The campaign could not be loaded: </ErrorNote>
      </section>
    );
  }
  const { summary, funnel, table } = view.data;
  return (
    <section aria-labelledby="campaign-title">
      <p>
        <a href="/">← Campaigns</a>
      </p>
      <div class="page-head">
        <h1 id="campaign-title">{summary.name}</h1>
        <StatusBadge summary={summary} />
      </div>
      <p class="muted">
        Created {when(summary.createdAt)} · {figure(summary.rows)} rows, {figure(summary.accepted)} accepted ·{' '}
        {summary.uploads} upload{summary.uploads > 1 ? 's' : ''}
        {summary.cancelledAt ? ` · cancelled ${when(summary.cancelledAt)}` : ''}
      </p>
      <SendProgress summary={summary} />
      {summary.failureReason ? <p class="error">Failed: {summary.failureReason}</p> : null}
      {summary.uploadFailure ? <p class="error">The last upload failed: {summary.uploadFailure}</p> : null}
      {summary.pause ? <p class="warning">Sending waits: {summary.pause.reason}</p> : null}
      {/* A refresh that failed keeps the last answer on screen, and says so. */}
      <ErrorNote error={view.error}>Not refreshed: </ErrorNote>
      <div class="columns">
        <FunnelChart funnel={funnel} />
        <div class="actions">
          <ReportButton summary={summary} />
          <CancelForm summary={summary} onDone={() => void view.refresh()} />
          <TestSendForm send={(to, line) => api.testSendCampaign(campaignId, to, line)} />
        </div>
      </div>
      <RespondentTable table={table} params={params} openRow={openRow} onParams={setParams} onOpen={setRow} />
    </section>
  );
};
