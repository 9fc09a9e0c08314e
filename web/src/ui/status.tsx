// A campaign's status in a researcher's words, and its progress bar while the invitations go out.
import type { CampaignSummary } from '#shared/console/read.ts';
import type { CampaignStatus } from '#shared/store/types.ts';
import { figure, when } from './common.tsx';

const LABELS: Record<CampaignStatus, string> = {
  ingesting: 'reading the file',
  enqueued: 'sending',
  completed: 'all sent, tracking',
  failed: 'failed',
  cancelled: 'cancelled',
};

/** The status badge of a campaign (with the pause, when its sending waits). */
export const StatusBadge = ({ summary }: { summary: CampaignSummary }) => (
  <span class={`badge badge-${summary.status}`}>
    {LABELS[summary.status]}
    {summary.pause ? ` · paused until ${when(new Date(summary.pause.resumesAt).toISOString())}` : ''}
  </span>
);

/** True while invitations are still going out. */
export const isSending = (s: CampaignSummary): boolean =>
  (s.status === 'ingesting' || s.status === 'enqueued') && s.progress.done < s.progress.total;

/** The sending progress bar (a native progress element: announced by screen readers). */
export const SendProgress = ({ summary }: { summary: CampaignSummary }) =>
  isSending(summary) ? (
    <span class="progress">
      <progress
        max={Math.max(1, summary.progress.total)}
        value={summary.progress.done}
        aria-label={`invitations sent for ${summary.name}`}
      />
      <span>
        {figure(summary.progress.done)} / {figure(summary.progress.total)}
      </span>
    </span>
  ) : null;
