// Checks one chaos run against the ground truth: the SES emulator's messages and the stand-in's rooms, with
// the generated file's expected outcome as the oracle. Our own store is only compared against them.
import type { SesMessage } from '#local/aws.ts';
import type { CrashRecord } from '#local/runtime/lambda.ts';
import type { InterviewRoom } from '#shared/aseed/schemas.ts';
import type { CampaignRecord, RejectedRow, RespondentItem } from '#shared/store/types.ts';
import type { GeneratedCsv } from './csv.ts';
import {
  checkFollowUps,
  emailKindOf,
  type FollowUpObservation,
  type FollowUpViolation,
  type ReceivedFollowUps,
} from './follow-ups.ts';

/** A broken guarantee. */
export type ViolationKind =
  /** An accepted respondent got no email. */
  | 'missing-email'
  /** A respondent got more than one email, not explained by the documented SES window. */
  | 'duplicate-email'
  /** An email carries no room URL, or several different ones. */
  | 'email-room-urls'
  /** One room URL reached two different people (or the store gave one room to two respondents). */
  | 'url-shared'
  /** An email's room URL is no room the API ever created. */
  | 'unknown-url'
  /** An email went to someone who is not an accepted respondent (a rejected row, a duplicate, a stranger). */
  | 'unexpected-recipient'
  /** A room that somebody received was cancelled (their link is dead). */
  | 'cancelled-room-emailed'
  /** A room nobody received is still live (not cancelled): tokens reserved for nothing. */
  | 'orphan-room'
  /** A rejected or duplicate row has no reason. */
  | 'rejected-no-reason'
  /** A row's outcome in the store differs from the file's expected outcome. */
  | 'classification'
  /** A respondent's state, room or URL in the store contradicts the ground truth. */
  | 'store-mismatch'
  /** The campaign record's counts or status contradict the store's rows or the ground truth. */
  | 'store-counts'
  /** A respondent was left in a non-terminal state. */
  | 'unfinished'
  /** SES delivered a respondent's email, and the events function did not record it (events lost). */
  | 'delivery-lost'
  /** A room's progress in the store (started, completed, their times) differs from the stand-in's room. */
  | 'progress-mismatch'
  /** The run itself did not finish (queue not drained, ingest never finished…). */
  | 'run-problem'
  /** Reminders and the thank-you: see follow-ups.ts. */
  | FollowUpViolation;

/** Outcomes the guarantees in docs/DESIGN.md allow, reported separately from violations. */
export type DocumentedKind =
  /** A second email with the same link after a crash between SES accepting and the `emailed` write (§6.3). */
  | 'window-duplicate'
  /** A respondent failed because its batch exhausted maxReceiveCount under injected faults (§6.5). */
  | 'dead-lettered'
  /** The live, unsent room of a respondent dead-lettered while `sending` (not cancelled: SES may have sent). */
  | 'dead-lettered-room'
  /** SES accepted the email in the window, then the batch was dead-lettered: emailed, but stored as failed. */
  | 'emailed-then-dead-lettered'
  /** SES accepted the email in the window, the send crashed, and a cancel then took the respondent (§6.3). */
  | 'cancelled-in-window'
  /**
   * Every ingest attempt of every S3 event crashed: the event goes to the ingest failure queue (alarm,
   * docs/DEPLOY.md) and nobody is invited until it is re-driven or the file re-uploaded.
   */
  | 'ingest-exhausted';

/** One finding (a violation or a documented outcome). */
export interface Finding<K extends string = string> {
  kind: K;
  /** Respondent address (a run's addresses are synthetic), when the finding is about one. */
  respondent?: string;
  line?: number;
  detail: string;
}

/** Everything observed after one run. */
export interface RunObservation {
  csv: GeneratedCsv;
  /** SES messages of this run (addressed to the run's domain). */
  emails: SesMessage[];
  /** Every room the run's stand-in created. */
  rooms: InterviewRoom[];
  /** The store's respondents, rejected rows and campaign record. */
  respondents: RespondentItem[];
  rejected: RejectedRow[];
  record: CampaignRecord | undefined;
  crashes: CrashRecord[];
  /** Invite invocations killed by their timeout (a timeout can hit the SES window too). */
  inviteTimeouts: number;
  /** Problems runLocalCampaign reported (queue not drained…). */
  problems: string[];
  /** Every delivery of every S3 event of the CSV failed, retries included (Lambda's async retries exhausted). */
  ingestExhausted?: boolean;
  /** The events function ran on SES's events: every email SES received must be recorded delivered. */
  deliveriesExpected?: boolean;
  /** Simulated days passed with the tracker: every room's progress must be recorded as the API shows it. */
  progressExpected?: boolean;
  /** The campaign was cancelled while its invitations were being sent (revoking unstarted rooms or not). */
  cancelledDuringSends?: { revoke: boolean };
  /** The run sent reminders and thank-yous, and some respondents opted out (follow-ups.ts). */
  followUps?: FollowUpObservation;
}

/** What the store must show for a room the API lists in this status (pending and cancelled: nothing). */
const PROGRESS_OF: Record<string, string | undefined> = {
  active: 'started',
  completed: 'completed',
  expired: 'expired',
};

/** The store's record of a room's progress against the room itself; undefined when they agree. */
export const progressMismatch = (stored: RespondentItem, room: InterviewRoom): string | undefined => {
  if (stored.roomCancelled) return undefined;
  const want = PROGRESS_OF[room.status];
  if (stored.roomStatus !== want)
    return `room is ${room.status}; the store records ${stored.roomStatus ?? 'no progress'}`;
  if (want && (stored.startedAt ?? null) !== (room.started_at ?? null) && want !== 'expired')
    return `room started at ${room.started_at}; the store says ${stored.startedAt}`;
  if (want === 'completed' && stored.completedAt !== room.finished_at)
    return `room finished at ${room.finished_at}; the store says ${stored.completedAt}`;
  return undefined;
};

/** Result of {@link checkRun}. */
export interface CheckResult {
  violations: Finding<ViolationKind>[];
  documented: Finding<DocumentedKind>[];
}

const ROOM_URL = /https?:\/\/[^\s"'<>]+?\/interview\/[A-Za-z0-9_~.%-]+/g;

/** The address part of a `To` entry (`Name <a@b>` or `a@b`), lower-cased. */
export const addressOf = (to: string): string => (/<([^>]+)>/.exec(to)?.[1] ?? to).trim().toLowerCase();

/** Distinct room URLs in an email's text and HTML parts. */
export const roomUrlsOf = (email: Pick<SesMessage, 'text' | 'html'>): string[] => {
  const found = new Set<string>();
  for (const part of [email.text ?? '', email.html ?? '']) {
    for (const match of part.matchAll(ROOM_URL)) found.add(match[0]);
  }
  return [...found];
};

/**
 * Crash points at which an invite invocation may have died inside the SES window: after SendBulkEmail
 * returned, around the `emailed` writes, or just before returning. Timeouts count too.
 */
const WINDOW_POINT = /after SendBulkEmail|UpdateCommand|UpdateItemCommand|before return/;

/** True when the harness itself had this recipient's room cancelled: an opt-out, or a revoking cancel. */
const cancelledOnPurpose = (
  obs: RunObservation,
  byKey: ReadonlyMap<string, RespondentItem>,
  address: string,
): boolean => {
  if (obs.followUps?.optOuts.has(address)) return true;
  const stored = byKey.get(address);
  const revoking = obs.followUps?.cancel?.revoke === true || obs.cancelledDuringSends?.revoke === true;
  return revoking && stored?.state === 'cancelled' && stored.revoked === true;
};

/** Whether the run's campaign had a second upload (rows of the oracle say so). */
const laterUpload = (obs: RunObservation) => obs.csv.rows.some((r) => (r.upload ?? 1) > 1);

/** Checks one run; pure, so it is unit-tested with hand-made observations. */
export const checkRun = (obs: RunObservation): CheckResult => {
  const violations: Finding<ViolationKind>[] = [];
  const documented: Finding<DocumentedKind>[] = [];
  const flag = (kind: ViolationKind, detail: string, respondent?: string, line?: number) =>
    violations.push({
      kind,
      detail,
      ...(respondent ? { respondent } : {}),
      ...(line !== undefined ? { line } : {}),
    });

  const windowEvents =
    obs.crashes.filter((c) => c.functionName === 'invite' && WINDOW_POINT.test(c.point)).length +
    obs.inviteTimeouts;
  const roomsByUrl = new Map(obs.rooms.map((room) => [room.url, room]));
  const respondentsByKey = new Map(obs.respondents.map((r) => [r.emailKey, r]));
  const roomsById = new Map(obs.rooms.map((room) => [room.id, room]));

  // Emails: recipients, one URL each, URLs known; gather per recipient and per URL.
  const byRecipient = new Map<string, { urls: string[]; count: number }>();
  const followUpsOf = new Map<string, ReceivedFollowUps>();
  const recipientsByUrl = new Map<string, Set<string>>();
  for (const email of obs.emails) {
    const recipients = email.to.map(addressOf);
    const kind = obs.followUps ? emailKindOf(email.subject) : 'invitation';
    if (kind !== 'invitation') {
      for (const address of recipients) {
        if (!obs.csv.accepted.has(address))
          flag('unexpected-recipient', `a ${kind} went to ${address}`, address);
        const entry = followUpsOf.get(address) ?? { reminders: 0, thanks: 0, urls: [] };
        entry[kind === 'reminder' ? 'reminders' : 'thanks']++;
        entry.urls.push(...roomUrlsOf(email));
        followUpsOf.set(address, entry);
      }
      continue;
    }
    const who = recipients.join(', ');
    if (recipients.length !== 1 || email.cc.length + email.bcc.length > 0) {
      flag(
        'unexpected-recipient',
        `one email (${email.messageId}) went to ${recipients.length} addresses`,
        who,
      );
    }
    const urls = roomUrlsOf(email);
    if (urls.length !== 1) {
      flag('email-room-urls', `email ${email.messageId} carries ${urls.length} room URLs`, who);
    }
    for (const address of recipients) {
      if (!obs.csv.accepted.has(address)) {
        const row = obs.csv.rows.find((r) => r.emailKey === address || r.raw.toLowerCase() === address);
        flag(
          'unexpected-recipient',
          `email sent to an address that is ${row ? `a ${row.kind} row` : 'not in the file'}`,
          address,
          row?.line,
        );
      }
      const entry = byRecipient.get(address) ?? { urls: [], count: 0 };
      entry.count += 1;
      entry.urls.push(...urls);
      byRecipient.set(address, entry);
      for (const url of urls) {
        const set = recipientsByUrl.get(url) ?? new Set<string>();
        set.add(address);
        recipientsByUrl.set(url, set);
      }
    }
  }
  for (const [url, recipients] of recipientsByUrl) {
    if (recipients.size > 1) flag('url-shared', `${url} reached ${[...recipients].join(', ')}`);
    const room = roomsByUrl.get(url);
    if (!room) flag('unknown-url', `${url} is no room the API created`, [...recipients].join(', '));
    else if (
      room.status === 'cancelled' &&
      ![...recipients].every((r) => cancelledOnPurpose(obs, respondentsByKey, r))
    ) {
      flag(
        'cancelled-room-emailed',
        `room ${room.id} was emailed, then cancelled`,
        [...recipients].join(', '),
      );
    }
  }

  // Rooms: every live room reached somebody. The one documented exception (§6.5): a respondent dead-lettered
  // while `sending` keeps its room, because SES may have accepted the email before the crash.
  const holderOf = new Map(obs.respondents.filter((r) => r.roomId).map((r) => [r.roomId as string, r]));
  for (const room of obs.rooms) {
    if (room.status !== 'cancelled' && !recipientsByUrl.has(room.url)) {
      const holder = holderOf.get(room.id);
      const detail = `room ${room.id} (${room.status}) was received by nobody and is not cancelled`;
      if (
        holder?.state === 'failed' &&
        holder.failedFrom === 'sending' &&
        holder.failureKind === 'dead-lettered'
      ) {
        documented.push({
          kind: 'dead-lettered-room',
          respondent: holder.emailKey,
          line: holder.line,
          detail: `${detail}; its respondent was dead-lettered while sending`,
        });
      } else {
        flag(
          'orphan-room',
          holder
            ? `${detail}; the store gives it to ${holder.emailKey} (${holder.state}, ${holder.reason ?? ''})`
            : detail,
          holder?.emailKey,
          holder?.line,
        );
      }
    }
  }

  // Ingest never completed because every attempt crashed: nothing may have been sent (checked above); the
  // per-row checks do not apply, the outcome is the documented one.
  // With a later upload, the first upload's people may be in the store while the later ones wait.
  if (obs.ingestExhausted && (!obs.record || obs.record.status === 'ingesting' || laterUpload(obs))) {
    // Whoever was invited, by the first upload or the part of the later one that got through: once each.
    for (const [address, entry] of byRecipient) {
      if (entry.count > 1 && windowEvents === 0)
        flag('duplicate-email', `${entry.count} invitations, no crash in the SES window`, address);
    }
    documented.push({
      kind: 'ingest-exhausted',
      detail:
        `every ingest attempt crashed (campaign ${obs.record ? 'still ingesting' : 'never written'}); ` +
        `${obs.csv.accepted.size} accepted respondents wait for a re-drive`,
    });
    return { violations, documented };
  }

  // The store's rows against the file's oracle, by upload and line (a later upload's lines start at 2 again).
  const at = (r: { upload?: number | undefined; line: number }) => `${r.upload ?? 1}:${r.line}`;
  const storeByLine = new Map<string, { kind: string; emailKey?: string; reason?: string }>();
  for (const r of obs.respondents) storeByLine.set(at(r), { kind: 'accepted', emailKey: r.emailKey });
  for (const r of obs.rejected) {
    storeByLine.set(at(r), { kind: r.kind, reason: r.reason });
    if (!r.reason || r.reason.trim() === '') {
      flag('rejected-no-reason', `${r.kind} row has no reason`, r.email, r.line);
    }
  }
  for (const expected of obs.csv.rows) {
    const got = storeByLine.get(at(expected));
    if (!got)
      flag('classification', `expected ${expected.kind}, the store has no row`, expected.raw, expected.line);
    else if (got.kind !== expected.kind) {
      flag(
        'classification',
        `expected ${expected.kind}, the store says ${got.kind}`,
        expected.raw,
        expected.line,
      );
    } else if (expected.kind === 'accepted' && got.emailKey !== expected.emailKey) {
      flag('classification', `stored as ${got.emailKey}`, expected.raw, expected.line);
    } else if (
      (expected.upload ?? 1) > 1 &&
      expected.kind === 'duplicate' &&
      !got.reason?.startsWith('already')
    ) {
      flag(
        'classification',
        `someone already in the campaign reported as "${got.reason}"`,
        expected.raw,
        expected.line,
      );
    }
  }
  const expectedLines = new Set(obs.csv.rows.map(at));
  for (const [key, got] of storeByLine) {
    if (!expectedLines.has(key))
      flag('classification', `the store has a row the file does not (upload:line ${key})`, got.emailKey);
  }

  // Accepted respondents: exactly one email each (or a documented outcome), and the store agrees.
  const roomOwners = new Map<string, string>();
  for (const [key, expected] of obs.csv.accepted) {
    const stored = respondentsByKey.get(key);
    const got = byRecipient.get(key);
    const count = got?.count ?? 0;
    const urls = [...new Set(got?.urls ?? [])];
    if (stored?.roomId) {
      const other = roomOwners.get(stored.roomId);
      if (other) flag('url-shared', `the store gave room ${stored.roomId} to ${other} and ${key}`, key);
      roomOwners.set(stored.roomId, key);
    }
    if (stored && stored.state !== 'emailed' && stored.state !== 'failed' && stored.state !== 'cancelled') {
      flag('unfinished', `left in state ${stored.state}`, key, expected.line);
    }
    if (count === 0) {
      if (obs.cancelledDuringSends && stored?.state === 'cancelled' && stored.emailedAt === undefined) {
        // Cancelled before its invitation went: nothing to receive (its room, if any, must be cancelled).
      } else if (stored?.state === 'failed' && stored.failureKind === 'dead-lettered') {
        documented.push({
          kind: 'dead-lettered',
          respondent: key,
          line: expected.line,
          detail: stored.reason ?? '',
        });
      } else {
        flag(
          'missing-email',
          `no email; store state ${stored?.state ?? 'absent'} ${stored?.reason ?? ''}`.trim(),
          key,
          expected.line,
        );
      }
    } else if (stored?.state === 'cancelled' && stored.emailedAt === undefined && obs.cancelledDuringSends) {
      // Cancelled before its invitation was recorded, yet SES has one: only a send that crashed in its window.
      if (windowEvents > 0 && count === 1)
        documented.push({
          kind: 'cancelled-in-window',
          respondent: key,
          line: expected.line,
          detail: `${windowEvents} invite crash(es)/timeout(s) in the SES window before the cancel took it`,
        });
      else
        flag(
          'store-mismatch',
          `cancelled before its invitation, yet ${count} email(s) went out`,
          key,
          expected.line,
        );
    } else if (count > 1) {
      const sameLink = urls.length === 1 && stored?.state === 'emailed' && stored.roomUrl === urls[0];
      if (sameLink && count - 1 <= windowEvents) {
        documented.push({
          kind: 'window-duplicate',
          respondent: key,
          line: expected.line,
          detail: `${count} emails, same link, ${windowEvents} invite crash(es)/timeout(s) in the SES window`,
        });
      } else {
        flag(
          'duplicate-email',
          `${count} emails with ${urls.length} distinct link(s); ${windowEvents} window crash(es)/timeout(s)`,
          key,
          expected.line,
        );
      }
    }
    if (!stored) continue;
    const room = stored.roomId ? roomsById.get(stored.roomId) : undefined;
    const progress = obs.progressExpected && room ? progressMismatch(stored, room) : undefined;
    if (progress) flag('progress-mismatch', progress, key, expected.line);
    // The run's addresses are ordinary ones: SES publishes a Delivery for each message it received.
    const optedOut = obs.followUps?.optOuts.has(key) === true;
    if (obs.deliveriesExpected && count > 0 && stored.delivery !== 'delivered' && !optedOut) {
      const recorded = stored.delivery ?? 'nothing';
      flag(
        'delivery-lost',
        `SES received ${count} email(s); the store records ${recorded}`,
        key,
        expected.line,
      );
    }
    if ((stored.state === 'emailed' || stored.state === 'cancelled') && obs.followUps) {
      checkFollowUps({
        f: obs.followUps,
        email: key,
        line: expected.line,
        stored,
        room,
        invitationUrl: stored.roomUrl,
        got: followUpsOf.get(key),
        windowEvents,
        flag: (kind, detail, respondent, line) => flag(kind, detail, respondent, line),
        onWindowRepeat: (detail) =>
          documented.push({ kind: 'window-duplicate', respondent: key, line: expected.line, detail }),
      });
    }
    if (stored.state === 'emailed') {
      if (count === 0) flag('store-mismatch', 'store says emailed, SES received nothing', key, expected.line);
      else if (!stored.roomUrl || !urls.includes(stored.roomUrl)) {
        flag(
          'store-mismatch',
          `store URL ${stored.roomUrl} is not the emailed ${urls.join(' ')}`,
          key,
          expected.line,
        );
      }
      const room = stored.roomId ? roomsById.get(stored.roomId) : undefined;
      if (!room)
        flag('store-mismatch', `store room id ${stored.roomId} is no created room`, key, expected.line);
      else if (room.url !== stored.roomUrl) {
        flag(
          'store-mismatch',
          `room ${room.id} has URL ${room.url}, the store ${stored.roomUrl}`,
          key,
          expected.line,
        );
      }
    } else if (stored.state === 'failed' && count > 0) {
      // §6.3 + §6.5: SES accepted, the invocation died before recording it, and the redeliveries then
      // dead-lettered the respondent from `sending` (it "may have been emailed": its room stays). Documented
      // only when the email carries the respondent's own stored room and a window crash happened.
      const windowThenDlq =
        stored.failedFrom === 'sending' &&
        stored.failureKind === 'dead-lettered' &&
        urls.length === 1 &&
        urls[0] === stored.roomUrl &&
        count - 1 <= windowEvents &&
        windowEvents > 0;
      if (windowThenDlq) {
        documented.push({
          kind: 'emailed-then-dead-lettered',
          respondent: key,
          line: expected.line,
          detail: `got its link, but the store says ${stored.reason ?? 'failed'}`,
        });
      } else {
        flag(
          'store-mismatch',
          `store says failed (${stored.reason ?? ''}), but ${count} email(s) went out`,
          key,
          expected.line,
        );
      }
    }
  }

  // The campaign record against the rows and the ground truth.
  const record = obs.record;
  if (!record) flag('store-counts', 'no campaign record');
  else {
    const wantStatus = obs.followUps?.cancel || obs.cancelledDuringSends ? 'cancelled' : 'completed';
    if (record.status !== wantStatus)
      flag('store-counts', `campaign status is ${record.status}, not ${wantStatus}`);
    // Respondents a revoking cancel moved on after their invitation count as the emailed they were.
    const emailedRows = obs.respondents.filter(
      (r) => r.state === 'emailed' || (r.state === 'cancelled' && r.emailedAt !== undefined),
    ).length;
    const failedRows = obs.respondents.filter((r) => r.state === 'failed').length;
    const expectedCount = (kind: string) => obs.csv.rows.filter((r) => r.kind === kind).length;
    const checks: Array<[string, number | undefined, number]> = [
      ['accepted', record.accepted, obs.csv.accepted.size],
      ['rejected', record.rejected, expectedCount('rejected')],
      ['duplicates', record.duplicates, expectedCount('duplicate')],
      ['rows', record.rows, obs.csv.rows.length],
      ['emailed', record.emailed, emailedRows],
      ['failed', record.failed, failedRows],
      [
        'emailed (vs SES recipients)',
        (record.emailed ?? 0) + documented.filter((d) => d.kind === 'emailed-then-dead-lettered').length,
        [...byRecipient.keys()].filter((k) => obs.csv.accepted.has(k)).length,
      ],
    ];
    for (const [name, actual, wanted] of checks) {
      if ((actual ?? 0) !== wanted)
        flag('store-counts', `campaign ${name} = ${actual ?? 0}, expected ${wanted}`);
    }
  }
  for (const problem of obs.problems) flag('run-problem', problem);
  return { violations, documented };
};
