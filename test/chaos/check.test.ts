import { describe, expect, it } from 'vitest';
import type { SesMessage } from '#local/aws.ts';
import { checkRun, type RunObservation } from '#local/chaos/check.ts';
import { generateCsv, generateLaterCsv } from '#local/chaos/csv.ts';
import { drawProfile } from '#local/chaos/profile.ts';
import type { InterviewRoom } from '#shared/aseed/schemas.ts';
import type { CampaignRecord, RejectedRow, RespondentItem } from '#shared/store/types.ts';

const API = 'http://127.0.0.1:9999';

const room = (id: string, status = 'pending'): InterviewRoom => ({
  id,
  project_id: 'p',
  access_token: `tok-${id}`,
  url: `${API}/interview/tok-${id}`,
  room_name: id,
  max_duration_minutes: 30,
  status,
  created_at: new Date(0).toISOString(),
  created_by: 'u',
});

const email = (to: string, url: string, n: number): SesMessage => ({
  messageId: `m${n}`,
  from: 'research@invites.example.org',
  to: [to],
  cc: [],
  bcc: [],
  replyTo: [],
  subject: 'You are invited',
  text: `Hello\n${url}\n`,
  html: `<a href="${url}">${url}</a>`,
  headers: [],
  at: 0,
});

/** A run where everything went right: one room and one email per accepted respondent. */
const perfectRun = (csv = generateCsv({ seed: 7, rows: 40, tag: 'unit' })): RunObservation => {
  const respondents: RespondentItem[] = [];
  const rooms: InterviewRoom[] = [];
  const emails: SesMessage[] = [];
  let n = 0;
  for (const [key, row] of csv.accepted) {
    n += 1;
    const r = room(`r${n}`);
    rooms.push(r);
    emails.push(email(row.raw.trim(), r.url, n));
    respondents.push({
      pk: 'c',
      sk: `R#${n}`,
      type: 'respondent',
      campaignId: 'c',
      batch: 0,
      seq: n,
      line: row.line,
      ...(row.upload ? { upload: row.upload } : {}),
      email: row.raw.trim(),
      emailKey: key,
      fields: {},
      roomKey: 'k',
      state: 'emailed',
      roomId: r.id,
      roomUrl: r.url,
      updatedAt: '',
    });
  }
  const rejected: RejectedRow[] = csv.rows
    .filter((r) => r.kind !== 'accepted')
    .map((r) => ({
      line: r.line,
      ...(r.upload ? { upload: r.upload } : {}),
      kind: r.kind as 'rejected' | 'duplicate',
      reason: r.upload ? `already invited on 2026-12-06 (upload 1, line 2)` : `bad row ${r.line}`,
    }));
  const record = {
    pk: 'c',
    sk: 'META',
    type: 'campaign',
    campaignId: 'c',
    source: { bucket: 'b', key: 'k' },
    status: 'completed',
    createdAt: '',
    updatedAt: '',
    rows: csv.rows.length,
    accepted: csv.accepted.size,
    rejected: csv.rows.filter((r) => r.kind === 'rejected').length,
    duplicates: csv.rows.filter((r) => r.kind === 'duplicate').length,
    emailed: csv.accepted.size,
    failed: 0,
  } satisfies CampaignRecord;
  return { csv, emails, rooms, respondents, rejected, record, crashes: [], inviteTimeouts: 0, problems: [] };
};

const kinds = (obs: RunObservation) => checkRun(obs).violations.map((v) => v.kind);

describe('chaos checks against the ground truth', () => {
  it('finds nothing wrong in a run where every accepted respondent got one email with its own room', () => {
    // Prepare
    const obs = perfectRun();

    // Act
    const result = checkRun(obs);

    // Assert
    expect(obs.csv.accepted.size).toBeGreaterThan(20);
    expect(obs.csv.rows.some((r) => r.kind === 'rejected')).toBe(true);
    expect(result).toEqual({ violations: [], documented: [] });
  });

  it('accepts a later upload whose people already in the campaign got nothing, and flags one invited again', () => {
    // Prepare: upload 2 repeats some people of upload 1; in the broken run one of them is invited again.
    const later = generateLaterCsv(generateCsv({ seed: 7, rows: 40, tag: 'unit' }), 7);
    const good = perfectRun(later);
    const broken = perfectRun(later);
    const again = later.rows.find((r) => r.upload === 2 && r.kind === 'duplicate');
    const before = broken.respondents.find((r) => r.emailKey === again?.emailKey) as RespondentItem;
    broken.rejected = broken.rejected.filter((r) => !(r.upload === 2 && r.line === again?.line));
    broken.respondents.push({ ...before, sk: 'R#again', upload: 2, line: again?.line ?? 0, roomId: 'x' });
    broken.emails.push({ ...(broken.emails[0] as SesMessage), to: [before.email], messageId: 'again' });

    // Act
    const result = checkRun(good);
    const found = kinds(broken);

    // Assert
    expect(later.rows.filter((r) => r.upload === 2 && r.kind === 'duplicate').length).toBeGreaterThan(3);
    expect(result).toEqual({ violations: [], documented: [] });
    expect(found).toContain('classification');
    expect(found).toContain('duplicate-email');
  });

  it('accepts respondents a cancel during the sends took before their email, and flags one emailed anyway', () => {
    // Prepare: the cancel took the last two respondents before their invitations (their rooms cancelled).
    const obs = perfectRun();
    obs.cancelledDuringSends = { revoke: false };
    obs.record = {
      ...(obs.record as CampaignRecord),
      status: 'cancelled',
      emailed: obs.respondents.length - 2,
    };
    const taken = obs.respondents.slice(-2);
    for (const r of taken) {
      Object.assign(r, { state: 'cancelled', roomCancelled: true });
      const room = obs.rooms.find((x) => x.id === r.roomId) as InterviewRoom;
      room.status = 'cancelled';
    }
    const late = obs.emails.filter((e) => taken.some((r) => r.email === e.to[0]));
    obs.emails = obs.emails.filter((e) => !late.includes(e));
    const broken: RunObservation = { ...obs, emails: [...obs.emails, late[0] as SesMessage] };

    // Act
    const clean = checkRun(obs);
    const found = kinds(broken);

    // Assert
    expect(clean).toEqual({ violations: [], documented: [] });
    expect(found).toContain('store-mismatch');
  });

  it('flags a second email with the same link when no crash can explain it', () => {
    // Prepare
    const obs = perfectRun();
    const first = obs.emails[0] as SesMessage;
    obs.emails.push({ ...first, messageId: 'again' });

    // Act
    const result = checkRun(obs);

    // Assert
    expect(result.violations.map((v) => v.kind)).toContain('duplicate-email');
    expect(result.documented).toEqual([]);
  });

  it('classifies a second email with the same link after a crash in the SES window as documented', () => {
    // Prepare
    const obs = perfectRun();
    const first = obs.emails[0] as SesMessage;
    obs.emails.push({ ...first, messageId: 'again' });
    obs.crashes.push({ invocationId: 'i', functionName: 'invite', point: 'after SendBulkEmailCommand' });

    // Act
    const result = checkRun(obs);

    // Assert
    expect(result.violations).toEqual([]);
    expect(result.documented.map((d) => d.kind)).toEqual(['window-duplicate']);
  });

  it('flags one room URL reaching two people, even after a crash', () => {
    // Prepare
    const obs = perfectRun();
    const [a, b] = obs.emails as [SesMessage, SesMessage];
    obs.emails.push({ ...a, messageId: 'x', to: b.to });
    obs.crashes.push({ invocationId: 'i', functionName: 'invite', point: 'after SendBulkEmailCommand' });

    // Act / Assert
    expect(kinds(obs)).toEqual(expect.arrayContaining(['url-shared', 'duplicate-email']));
  });

  it('flags a live room nobody received, and an emailed room that was cancelled', () => {
    // Prepare
    const obs = perfectRun();
    obs.rooms.push(room('spare-left-live'));
    (obs.rooms[0] as InterviewRoom).status = 'cancelled';

    // Act / Assert
    expect(kinds(obs).sort()).toEqual(['cancelled-room-emailed', 'orphan-room']);
  });

  it('accepts a spare room that was cancelled', () => {
    // Prepare
    const obs = perfectRun();
    obs.rooms.push(room('spare', 'cancelled'));

    // Act / Assert
    expect(kinds(obs)).toEqual([]);
  });

  it('flags a respondent without email, a rejected row without reason and an email with two links', () => {
    // Prepare
    const obs = perfectRun();
    const lost = obs.emails.shift() as SesMessage;
    (obs.rejected[0] as RejectedRow).reason = '';
    const other = obs.emails[0] as SesMessage;
    other.text = `${other.text} ${API}/interview/another`;

    // Act
    const found = kinds(obs);

    // Assert
    expect(found).toEqual(
      expect.arrayContaining(['missing-email', 'rejected-no-reason', 'email-room-urls', 'store-mismatch']),
    );
    expect(lost.to).toHaveLength(1);
  });

  it('flags a store that disagrees with what SES received', () => {
    // Prepare: the store says failed, but the email went out; and another respondent's URL differs.
    const obs = perfectRun();
    const [first, second] = obs.respondents as [RespondentItem, RespondentItem];
    first.state = 'failed';
    first.reason = 'SES rejected';
    second.roomUrl = `${API}/interview/wrong`;

    // Act / Assert
    expect(kinds(obs)).toEqual(expect.arrayContaining(['store-mismatch', 'store-counts']));
  });

  it('flags an email to an address that was a rejected or duplicate row', () => {
    // Prepare
    const obs = perfectRun();
    const dup = obs.csv.rows.find((r) => r.kind === 'rejected' && r.raw.includes('@')) ?? obs.csv.rows[0];
    obs.emails.push(email(dup?.raw ?? 'x@y.example.com', `${API}/interview/tok-r1`, 999));

    // Act / Assert
    expect(kinds(obs)).toContain('unexpected-recipient');
  });

  it('reports a respondent dead-lettered without an email as documented, not as a violation', () => {
    // Prepare
    const obs = perfectRun();
    const victim = obs.respondents[0] as RespondentItem;
    obs.emails = obs.emails.filter((e) => e.to[0]?.toLowerCase() !== victim.emailKey);
    Object.assign(victim, {
      state: 'failed',
      reason: 'dead-lettered: boom',
      failureKind: 'dead-lettered',
      failedFrom: 'room_assigned',
    });
    (obs.rooms[0] as InterviewRoom).status = 'cancelled';
    Object.assign(obs.record as CampaignRecord, {
      emailed: obs.csv.accepted.size - 1,
      failed: 1,
    });

    // Act
    const result = checkRun(obs);

    // Assert
    expect(result.violations).toEqual([]);
    expect(result.documented.map((d) => d.kind)).toEqual(['dead-lettered']);
  });

  it('flags a room whose progress the tracker lost or got wrong, and accepts one it recorded', () => {
    // Prepare: three respondents' rooms moved on the API; the store saw one right, missed one, misdated one.
    const obs: RunObservation = { ...perfectRun(), progressExpected: true };
    const [a, b, c] = obs.rooms;
    const [ra, rb, rc] = obs.respondents;
    if (!a || !b || !c || !ra || !rb || !rc) throw new Error('fixture too small');
    Object.assign(a, {
      status: 'completed',
      started_at: '2026-12-03T10:00:00Z',
      finished_at: '2026-12-03T10:20:00Z',
    });
    Object.assign(ra, { roomStatus: 'completed', startedAt: a.started_at, completedAt: a.finished_at });
    Object.assign(b, { status: 'active', started_at: '2026-12-03T11:00:00Z' });
    Object.assign(c, {
      status: 'completed',
      started_at: '2026-12-03T12:00:00Z',
      finished_at: '2026-12-03T12:30:00Z',
    });
    Object.assign(rc, {
      roomStatus: 'completed',
      startedAt: c.started_at,
      completedAt: '2026-12-03T12:31:00Z',
    });

    // Act
    const found = checkRun(obs).violations;

    // Assert
    expect(found.map((v) => [v.kind, v.detail])).toEqual([
      ['progress-mismatch', 'room is active; the store records no progress'],
      ['progress-mismatch', 'room finished at 2026-12-03T12:30:00Z; the store says 2026-12-03T12:31:00Z'],
    ]);
  });

  it('replays a run: the same seed draws the same fault profile and the same file', () => {
    // Act
    const a = { profile: drawProfile(123), csv: generateCsv({ seed: 123, rows: 300, tag: 'c123' }) };
    const b = { profile: drawProfile(123), csv: generateCsv({ seed: 123, rows: 300, tag: 'c123' }) };
    const other = generateCsv({ seed: 124, rows: 300, tag: 'c123' });

    // Assert
    expect(a.profile).toEqual(b.profile);
    expect(a.csv.body).toBe(b.csv.body);
    expect(other.body).not.toBe(a.csv.body);
    const kinds = new Set(a.csv.rows.map((r) => r.kind));
    expect([...kinds].sort()).toEqual(['accepted', 'duplicate', 'rejected']);
  });

  it('reports a file whose every ingest attempt crashed as documented, and still flags any email sent', () => {
    // Prepare: the campaign never left `ingesting`; nothing should have gone out.
    const obs = perfectRun();
    obs.ingestExhausted = true;
    Object.assign(obs.record as CampaignRecord, { status: 'ingesting' });
    const stray = obs.emails[0] as SesMessage;
    obs.emails = [];
    obs.respondents = [];
    obs.rejected = [];
    obs.rooms = [];

    // Act
    const clean = checkRun(obs);
    obs.emails = [stray];
    const withEmail = checkRun(obs);

    // Assert
    expect(clean.violations).toEqual([]);
    expect(clean.documented.map((d) => d.kind)).toEqual(['ingest-exhausted']);
    expect(withEmail.violations.map((v) => v.kind)).toContain('unknown-url');
  });
});
