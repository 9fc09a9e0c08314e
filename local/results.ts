// What a local run leaves, read back: the report from the store, the ground truth from the fake world (the
// SES emulator's messages, the stand-in's rooms), the summary, and the problems that make a run not ok.
import { readSesStore, type SesMessage } from '#local/aws.ts';
import type { Standin } from '#local/standin/server.ts';
import type { InterviewRoom } from '#shared/aseed/schemas.ts';
import type { InviteAseed } from '#shared/invite/index.ts';
import { funnelOf } from '#shared/report/funnel.ts';
import type { Store } from '#shared/store/ports.ts';
import { type FinalReportLine, finalReportLine, readReport } from '#shared/store/report.ts';
import type { CampaignRecord } from '#shared/store/types.ts';
import type { CampaignSummary, GroundTruthEmail } from './run-types.ts';

/** What the SES store and the API held before the run: the run's own are what came after. */
export interface Baseline {
  startedMs: number;
  sesSince: number;
  seenMessages: Set<string>;
  createCallsBefore: number;
}

/** The baseline of a run that started at `startedMs`: a shared SES store or a real API already hold other things. */
export const baselineOf = async (
  startedMs: number,
  sesEndpoint: string,
  standin: Standin | undefined,
): Promise<Baseline> => {
  const sesSince = Math.floor(startedMs / 1000) - 1;
  const seen = new Set((await readSesStore(sesEndpoint, sesSince)).map((m) => m.messageId));
  return { startedMs, sesSince, seenMessages: seen, createCallsBefore: standin?.stats().createCalls ?? 0 };
};

/** Emails of the SES store that belong to this run. */
const runEmails = (messages: SesMessage[], seen: Set<string>, recipients: Set<string> | undefined) =>
  messages
    .filter((m) => !seen.has(m.messageId))
    .filter((m) => !recipients || m.to.some((to) => recipients.has(to.toLowerCase())))
    .map(
      (m): GroundTruthEmail => ({
        to: m.to.join(', '),
        subject: m.subject,
        text: m.text ?? '',
        html: m.html ?? '',
      }),
    );

/** Where the run's results are read from. */
export interface ResultSources {
  store: Store;
  campaignId: string;
  sesEndpoint: string;
  /** The SES store is shared with other runs: keep only messages to this run's recipients. */
  sharedSes: boolean;
  standin: Standin | undefined;
  aseed: InviteAseed;
  defaults: Record<string, unknown>;
  baseline: Baseline;
  sesCalls: number;
}

/** The run's record, report, emails, rooms and summary. */
export const collectResults = async (from: ResultSources) => {
  const record = await from.store.getCampaign(from.campaignId);
  const rows = (await readReport(from.store, from.campaignId)).map(finalReportLine);
  const recipients = new Set(rows.map((r) => r.email.toLowerCase()).filter((e) => e !== ''));
  const emails = runEmails(
    await readSesStore(from.sesEndpoint, from.baseline.sesSince),
    from.baseline.seenMessages,
    from.sharedSes ? recipients : undefined,
  );
  const rooms = await roomsOf(from, record);
  return { record, rows, emails, rooms, summary: summaryOf(from, record, rows, rooms) };
};

/** Every room the stand-in created, or those a real API shows created during the run. */
const roomsOf = async (from: ResultSources, record: CampaignRecord | undefined): Promise<InterviewRoom[]> => {
  if (from.standin) return from.standin.rooms();
  const projectId = String(record?.settings?.projectId ?? from.defaults.projectId ?? '');
  const listed = projectId ? await from.aseed.listRooms({ projectId }) : [];
  return listed.filter((room) => Date.parse(room.created_at) >= from.baseline.startedMs - 60_000);
};

/** summary.json of the run. */
const summaryOf = (
  from: ResultSources,
  record: CampaignRecord | undefined,
  rows: FinalReportLine[],
  rooms: InterviewRoom[],
): CampaignSummary => {
  const count = (status: FinalReportLine['status']) => rows.filter((r) => r.status === status).length;
  // The funnel as `invites status` and the console show it (delivered: reached the inbox, even if a
  // complaint came after; started: everyone who joined, including those who completed since).
  const funnel = funnelOf(rows);
  const respondents = funnel.emailed + count('failed') + count('cancelled');
  return {
    campaignId: from.campaignId,
    ...(record?.columns ? { columns: record.columns } : {}),
    rows: rows.length,
    accepted: record?.accepted ?? respondents,
    rejected: count('rejected'),
    duplicates: count('duplicate'),
    suppressed: count('suppressed'),
    ...funnel,
    failed: count('failed'),
    cancelled: count('cancelled'),
    reminders: rows.reduce((sum, r) => sum + r.reminders_sent, 0),
    reminded: rows.filter((r) => r.reminders_sent > 0).length,
    thanked: rows.filter((r) => r.thanked_at !== '').length,
    roomsCreated: rooms.length,
    apiCreateCalls: from.standin
      ? from.standin.stats().createCalls - from.baseline.createCallsBefore
      : (record?.createCalls ?? 0),
    sesCalls: from.sesCalls,
    durationMs: Date.now() - from.baseline.startedMs,
  };
};

/** Why a run is not ok, one sentence each (none: every accepted respondent reached a terminal state). */
export const problemsOf = (run: {
  record: CampaignRecord | undefined;
  rows: FinalReportLine[];
  summary: CampaignSummary;
  ingestFailed: boolean;
  drained: { invite: boolean; dlq: boolean };
  deadlineMs: number;
}): string[] => {
  const { record, rows, summary } = run;
  const problems: string[] = [];
  if (!record) {
    problems.push(
      run.ingestFailed
        ? 'the ingest function failed on every attempt'
        : 'the campaign record was never written',
    );
  } else if (record.status === 'failed') {
    problems.push(`the campaign failed: ${record.failureReason ?? 'no reason recorded'}`);
  } else if (record.status === 'ingesting') {
    problems.push('the ingest never finished');
  }
  const unfinished = rows.filter((r) => r.reason.startsWith('unfinished:')).length;
  if (unfinished > 0) problems.push(`${unfinished} accepted respondents did not reach a terminal state`);
  if (!run.drained.invite) problems.push(`the invite queue was not drained within ${run.deadlineMs} ms`);
  if (!run.drained.dlq) problems.push(`the dead-letter queue was not drained within ${run.deadlineMs} ms`);
  const respondents = summary.emailed + summary.failed + summary.cancelled;
  if (record && summary.accepted !== respondents) {
    problems.push(`the store holds ${respondents} respondents, the campaign counted ${summary.accepted}`);
  }
  return problems;
};
