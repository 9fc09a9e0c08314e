// The web console's read model: the campaign list, and one campaign's page (its funnel and a filtered,
// paged respondent table), over the same store reads and report lines as the CLI's status and report.
import { PermanentError } from '#shared/errors.ts';
import { type Funnel, type FunnelSnapshot, funnelOf } from '#shared/report/funnel.ts';
import type { CampaignsPort, RespondentsPort } from '#shared/store/ports.ts';
import { type ReportLine, readReport, reportLine } from '#shared/store/report.ts';
import type { CampaignPause, CampaignRecord, CampaignStatus } from '#shared/store/types.ts';
import { uploadOf } from '#shared/store/uploads.ts';

/** The store reads the console makes. */
export type ConsoleStore = Pick<CampaignsPort, 'getCampaign' | 'listCampaigns'> &
  Pick<RespondentsPort, 'listRespondents' | 'listRejected'>;

/** Rows of a respondent table page at most (and by default). */
export const MAX_PAGE_SIZE = 200;
const DEFAULT_PAGE_SIZE = 50;

/** A campaign as a row of the list, and as the head of its page. */
export interface CampaignSummary {
  campaignId: string;
  /** The name it was sent under (`campaigns/<name>.csv`). */
  name: string;
  createdAt: string;
  status: CampaignStatus;
  failureReason?: string;
  uploadFailure?: string;
  uploads: number;
  rows: number;
  accepted: number;
  emailed: number;
  failed: number;
  /** Respondents done sending (emailed or failed) of those accepted: the progress bar while sending. */
  progress: { done: number; total: number };
  pause?: CampaignPause;
  cancelledAt?: string;
  /**
   * The funnel as of the tracker's last poll (`at`), so the list needs no respondent reads; absent before
   * the first poll. A campaign's page counts its funnel afresh (CampaignView.funnel).
   */
  funnel?: FunnelSnapshot;
}

/** The name of a campaign from its key: `campaigns/spring-panel.csv` → `spring-panel`. */
export const campaignName = (key: string): string => key.replace(/^.*\//, '').replace(/\.csv$/i, '');

/** The list's row of a campaign record. */
export const summaryOf = (r: CampaignRecord): CampaignSummary => ({
  campaignId: r.campaignId,
  name: campaignName(r.source.key),
  createdAt: r.createdAt,
  status: r.status,
  ...(r.failureReason ? { failureReason: r.failureReason } : {}),
  ...(r.uploadFailure ? { uploadFailure: r.uploadFailure } : {}),
  uploads: uploadOf(r).number,
  rows: r.rows ?? 0,
  accepted: r.accepted ?? 0,
  emailed: r.emailed ?? 0,
  failed: r.failed ?? 0,
  progress: { done: (r.emailed ?? 0) + (r.failed ?? 0), total: r.accepted ?? 0 },
  ...(r.pause ? { pause: r.pause } : {}),
  ...(r.cancelledAt ? { cancelledAt: r.cancelledAt } : {}),
  ...(r.funnel ? { funnel: r.funnel } : {}),
});

/** One page of the campaign list, newest first. */
export const campaignList = async (
  store: ConsoleStore,
  query: { limit?: number; next?: string },
): Promise<{ campaigns: CampaignSummary[]; next?: string }> => {
  const page = await store.listCampaigns({
    limit: Math.min(Math.max(1, query.limit ?? 50), 100),
    ...(query.next ? { next: query.next } : {}),
  });
  return { campaigns: page.campaigns.map(summaryOf), ...(page.next ? { next: page.next } : {}) };
};

/** What the respondent table shows: rows with these statuses, matching a search, one page of them. */
export interface TableQuery {
  /** Report statuses to keep (none: all). */
  statuses?: readonly string[];
  /** Part of an address or a name, any case. */
  search?: string;
  /** 1-based. */
  page?: number;
  pageSize?: number;
}

/** One page of the respondent table, with the figures its filters need. */
export interface TablePage {
  rows: ReportLine[];
  page: number;
  pageSize: number;
  /** Rows that match the query (all pages). */
  matching: number;
  /** Rows per status over the whole campaign, for the filter's labels. */
  byStatus: Record<string, number>;
}

/** Filters, counts and pages the report lines (sorted by upload and line already). */
export const tablePage = (lines: readonly ReportLine[], query: TableQuery): TablePage => {
  const pageSize = query.pageSize ?? DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > MAX_PAGE_SIZE) {
    throw new PermanentError(`pageSize must be a whole number from 1 to ${MAX_PAGE_SIZE}`);
  }
  const page = query.page ?? 1;
  if (!Number.isInteger(page) || page < 1) throw new PermanentError('page must be a whole number from 1');
  const statuses = query.statuses && query.statuses.length > 0 ? new Set(query.statuses) : undefined;
  const needle = query.search?.trim().toLowerCase() ?? '';
  const byStatus: Record<string, number> = {};
  const matching: ReportLine[] = [];
  for (const line of lines) {
    byStatus[line.status] = (byStatus[line.status] ?? 0) + 1;
    if (statuses && !statuses.has(line.status)) continue;
    if (needle && !line.email.toLowerCase().includes(needle) && !line.name.toLowerCase().includes(needle))
      continue;
    matching.push(line);
  }
  const rows = matching.slice((page - 1) * pageSize, page * pageSize);
  return { rows, page, pageSize, matching: matching.length, byStatus };
};

/** One campaign's page: its summary, its funnel, and a page of its respondent table. */
export interface CampaignView {
  summary: CampaignSummary;
  funnel: Funnel;
  table: TablePage;
}

/** A campaign's page as the console shows it; undefined when there is no such campaign. */
export const campaignView = async (
  store: ConsoleStore,
  campaignId: string,
  query: TableQuery,
): Promise<CampaignView | undefined> => {
  const record = await store.getCampaign(campaignId);
  if (!record) return undefined;
  const lines = (await readReport(store, campaignId)).map(reportLine);
  return { summary: summaryOf(record), funnel: funnelOf(lines), table: tablePage(lines, query) };
};
