// The campaign report, mapped in one place: the store's respondents and rejected rows → report rows →
// lines of report.csv. The store, the local runner and the CLI all read the report through these.
import { REMINDER_KINDS } from '#shared/campaign/follow-ups.ts';
import { journeyOf } from '#shared/events/journey.ts';
import { toCsvRow } from '#shared/report/csv-cell.ts';
import type { RespondentsPort } from '#shared/store/ports.ts';
import type { RejectedRow, ReportRow, RespondentItem } from '#shared/store/types.ts';

/** Status of a report line of a run that ended: the outcomes a finished campaign can show. */
export type ReportStatus =
  | 'emailed'
  | 'delivered'
  | 'bounced'
  | 'complained'
  | 'unsubscribed'
  | 'started'
  | 'completed'
  | 'expired'
  | 'rejected'
  | 'duplicate'
  | 'suppressed'
  | 'failed'
  | 'cancelled';

/**
 * One line of report.csv (`line,email,status,room_url,reason,name,room_status,emailed_at,delivered_at,
 * started_at,completed_at,reminders_sent,thanked_at,upload`); a running campaign shows in-progress states.
 */
export interface ReportLine {
  line: number;
  email: string;
  status: ReportRow['status'];
  room_url: string;
  reason: string;
  name: string;
  room_status: string;
  emailed_at: string;
  delivered_at: string;
  started_at: string;
  completed_at: string;
  reminders_sent: number;
  thanked_at: string;
  /** Which upload of the campaign the line is in: `line` is a line of that upload's file. */
  upload: number;
}

/** The API's name for where a respondent's room is, from what the store knows. */
const roomStatusOf = (r: RespondentItem): string => {
  if (!r.roomId) return '';
  if (r.roomCancelled) return 'cancelled';
  if (r.roomStatus === 'started') return 'active';
  return r.roomStatus ?? 'pending';
};

/** A report line of a run that ended: only the final statuses. */
export interface FinalReportLine extends ReportLine {
  status: ReportStatus;
}

/**
 * The report rows of a campaign, sorted by upload and CSV line: one per respondent (its journey status; no room URL once
 * its room was cancelled, since that link no longer works) and one per rejected, duplicate or suppressed row.
 */
export const reportRows = (
  respondents: readonly RespondentItem[],
  rejected: readonly RejectedRow[],
): ReportRow[] => {
  const rows: ReportRow[] = [
    ...respondents.map((r) => {
      const journey = journeyOf(r);
      return {
        line: r.line,
        email: r.email,
        status: journey.status,
        roomUrl: r.roomCancelled ? '' : (r.roomUrl ?? ''),
        reason: journey.reason ?? '',
        name: r.name ?? '',
        roomStatus: roomStatusOf(r),
        emailedAt: r.emailedAt ?? '',
        deliveredAt: r.deliveredAt ?? '',
        startedAt: r.startedAt ?? '',
        completedAt: r.completedAt ?? '',
        remindersSent: REMINDER_KINDS.filter((k) => r[k]?.state === 'sent').length,
        thankedAt: r.thanks?.state === 'sent' ? (r.thanks.at ?? '') : '',
        upload: r.upload ?? 1,
      };
    }),
    ...rejected.map((r) => ({
      line: r.line,
      email: r.email ?? '',
      status: r.kind,
      roomUrl: '',
      reason: r.reason,
      name: '',
      roomStatus: '',
      emailedAt: '',
      deliveredAt: '',
      startedAt: '',
      completedAt: '',
      remindersSent: 0,
      thankedAt: '',
      upload: r.upload ?? 1,
    })),
  ];
  return rows.sort((a, b) => a.upload - b.upload || a.line - b.line);
};

/** A report row as a line of report.csv, its status as stored (in-progress states included). */
export const reportLine = (row: ReportRow): ReportLine => ({
  line: row.line,
  email: row.email,
  status: row.status,
  room_url: row.roomUrl,
  reason: row.reason,
  name: row.name,
  room_status: row.roomStatus,
  emailed_at: row.emailedAt,
  delivered_at: row.deliveredAt,
  started_at: row.startedAt,
  completed_at: row.completedAt,
  reminders_sent: row.remindersSent,
  thanked_at: row.thankedAt,
  upload: row.upload,
});

const FINAL_STATUSES: readonly string[] = [
  'emailed',
  'delivered',
  'bounced',
  'complained',
  'unsubscribed',
  'started',
  'completed',
  'expired',
  'failed',
  'rejected',
  'duplicate',
  'suppressed',
  'cancelled',
] satisfies ReportStatus[];
const isFinal = (status: ReportRow['status']): status is ReportStatus => FINAL_STATUSES.includes(status);

/** A report row as a line of a run that ended: a respondent left mid-way shows as failed, saying where. */
export const finalReportLine = (row: ReportRow): FinalReportLine =>
  isFinal(row.status)
    ? { ...reportLine(row), status: row.status }
    : { ...reportLine(row), status: 'failed', reason: `unfinished: still ${row.status} when the run ended` };

/** The report rows of a campaign as stored now: its respondents and its rejected rows, mapped once. */
export const readReport = async (
  store: Pick<RespondentsPort, 'listRespondents' | 'listRejected'>,
  campaignId: string,
): Promise<ReportRow[]> => {
  const [respondents, rejected] = await Promise.all([
    store.listRespondents(campaignId),
    store.listRejected(campaignId),
  ]);
  return reportRows(respondents, rejected);
};

/** Header of report.csv. */
export const REPORT_HEADER = [
  'line',
  'email',
  'status',
  'room_url',
  'reason',
  'name',
  'room_status',
  'emailed_at',
  'delivered_at',
  'started_at',
  'completed_at',
  'reminders_sent',
  'thanked_at',
  'upload',
] as const;

/** report.csv: header + one formula-safe, CRLF-terminated row per data row of the input. */
export const reportCsv = (rows: readonly ReportLine[]): string =>
  toCsvRow(REPORT_HEADER) + rows.map((r) => toCsvRow(REPORT_HEADER.map((column) => r[column]))).join('');
