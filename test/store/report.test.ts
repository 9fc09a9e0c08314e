import { describe, expect, it } from 'vitest';
import { finalReportLine, reportLine, reportRows } from '#shared/store/report.ts';
import type { RejectedRow, ReportRow, RespondentItem } from '#shared/store/types.ts';

/** A stored respondent at `line`, emailed unless overridden. */
const respondent = (line: number, overrides: Partial<RespondentItem> = {}): RespondentItem => ({
  pk: 'CAMPAIGN#c1',
  sk: `R#0#${line}`,
  type: 'respondent',
  campaignId: 'c1',
  batch: 0,
  seq: line,
  line,
  email: `p${line}@example.org`,
  emailKey: `p${line}@example.org`,
  fields: {},
  roomKey: 'k',
  state: 'emailed',
  roomId: `room-${line}`,
  roomUrl: `https://rooms.example.org/${line}`,
  updatedAt: '2025-01-01T00:00:00.000Z',
  ...overrides,
});

/** The columns of a row nothing has filled yet. */
const EMPTY = {
  name: '',
  roomStatus: '',
  emailedAt: '',
  deliveredAt: '',
  startedAt: '',
  completedAt: '',
  remindersSent: 0,
  thankedAt: '',
  upload: 1,
};

describe('reportRows', () => {
  it('sorts respondents, rejected and duplicate rows together by CSV line', () => {
    // Prepare: respondents and rejected rows, each out of order.
    const respondents = [respondent(7), respondent(2)];
    const rejected: RejectedRow[] = [
      { line: 9, kind: 'duplicate', email: 'p2@example.org', reason: 'duplicate of line 2' },
      { line: 3, kind: 'rejected', email: 'nope', reason: 'email has no "@"' },
    ];

    // Act
    const rows = reportRows(respondents, rejected);

    // Assert
    expect(rows.map((r) => [r.line, r.status])).toEqual([
      [2, 'emailed'],
      [3, 'rejected'],
      [7, 'emailed'],
      [9, 'duplicate'],
    ]);
    expect(rows[0]).toEqual({
      line: 2,
      email: 'p2@example.org',
      status: 'emailed',
      roomUrl: 'https://rooms.example.org/2',
      reason: '',
      ...EMPTY,
      roomStatus: 'pending',
    });
  });

  it("shows each respondent's journey: what SES reported after it accepted the email, with its words", () => {
    // Prepare
    const emailedAt = '2026-12-03T10:00:00.000Z';
    const deliveredAt = '2026-12-03T10:00:02.000Z';
    const respondents = [
      respondent(2, { name: 'Ann', emailedAt, delivery: 'delivered', deliveredAt }),
      respondent(3, { delivery: 'bounced', deliveryReason: 'Permanent bounce: General: 550 5.1.1' }),
      respondent(4, { delivery: 'complained', deliveryReason: 'complaint: abuse', deliveredAt }),
      respondent(5, { delivery: 'render-failed', deliveryReason: 'rendering failed: no variable' }),
      respondent(6, { state: 'sending', delivery: 'bounced', deliveryReason: 'Permanent bounce' }),
    ];

    // Act
    const rows = reportRows(respondents, []);

    // Assert
    expect(rows.map((r) => [r.line, r.status, r.reason])).toEqual([
      [2, 'delivered', ''],
      [3, 'bounced', 'Permanent bounce: General: 550 5.1.1'],
      [4, 'complained', 'complaint: abuse'],
      [5, 'failed', 'rendering failed: no variable'],
      // The bounce came before the send was recorded: it is still the truth.
      [6, 'bounced', 'Permanent bounce'],
    ]);
    expect(rows[0]).toMatchObject({ name: 'Ann', emailedAt, deliveredAt });
    expect(rows[2]?.deliveredAt).toBe(deliveredAt);
  });

  it('shows no room URL for a failed respondent whose room was cancelled, and keeps it otherwise', () => {
    // Prepare: two failed respondents with rooms; only the first room was cancelled.
    const respondents = [
      respondent(2, { state: 'failed', reason: 'SES rejected the address', roomCancelled: true }),
      respondent(3, { state: 'failed', reason: 'dead-lettered' }),
    ];

    // Act
    const rows = reportRows(respondents, []);

    // Assert
    expect(rows.map((r) => r.roomUrl)).toEqual(['', 'https://rooms.example.org/3']);
    expect(rows[0]?.reason).toBe('SES rejected the address');
  });

  it('reports rejected and duplicate rows with their reason, no room, and an empty email when missing', () => {
    // Prepare: a rejected row without an email cell and a duplicate.
    const rejected: RejectedRow[] = [
      { line: 14, kind: 'rejected', reason: 'email is empty' },
      { line: 12, kind: 'duplicate', email: 'Ann@Example.org', reason: 'duplicate of line 2' },
    ];

    // Act
    const rows = reportRows([], rejected);

    // Assert
    expect(rows).toEqual([
      {
        line: 12,
        email: 'Ann@Example.org',
        status: 'duplicate',
        roomUrl: '',
        reason: 'duplicate of line 2',
        ...EMPTY,
      },
      { line: 14, email: '', status: 'rejected', roomUrl: '', reason: 'email is empty', ...EMPTY },
    ]);
  });

  it('gives a respondent without a room yet an empty room URL and reason', () => {
    // Prepare
    const waiting = respondent(5, { state: 'accepted', roomId: undefined, roomUrl: undefined });

    // Act
    const [row] = reportRows([waiting], []);

    // Assert
    expect(row).toEqual({
      line: 5,
      email: 'p5@example.org',
      status: 'accepted',
      roomUrl: '',
      reason: '',
      ...EMPTY,
    });
  });
});

describe('report lines', () => {
  const sending: ReportRow = {
    line: 4,
    email: 'a@example.org',
    status: 'sending',
    roomUrl: 'u',
    reason: '',
    name: 'Ann',
    roomStatus: 'pending',
    emailedAt: '',
    deliveredAt: '',
    startedAt: '',
    completedAt: '',
    remindersSent: 0,
    thankedAt: '',
    upload: 1,
  };
  const columns = {
    name: 'Ann',
    room_status: 'pending',
    emailed_at: '',
    delivered_at: '',
    started_at: '',
    completed_at: '',
    reminders_sent: 0,
    thanked_at: '',
    upload: 1,
  };

  it('keeps an in-progress state in a line of a running campaign', () => {
    // Act
    const line = reportLine(sending);

    // Assert
    expect(line).toEqual({
      line: 4,
      email: 'a@example.org',
      status: 'sending',
      room_url: 'u',
      reason: '',
      ...columns,
    });
  });

  it('shows an unfinished respondent as failed in a line of a run that ended', () => {
    // Act
    const line = finalReportLine(sending);

    // Assert
    expect(line).toEqual({
      line: 4,
      email: 'a@example.org',
      status: 'failed',
      room_url: 'u',
      reason: 'unfinished: still sending when the run ended',
      ...columns,
    });
  });

  it('passes the final statuses through unchanged', () => {
    // Prepare
    const statuses = [
      'emailed',
      'failed',
      'rejected',
      'duplicate',
      'delivered',
      'bounced',
      'complained',
    ] as const;
    const rows: ReportRow[] = statuses.map((status, i) => ({
      line: i + 2,
      email: '',
      status,
      roomUrl: '',
      reason: `r${i}`,
      ...EMPTY,
    }));

    // Act
    const lines = rows.map(finalReportLine);

    // Assert
    expect(lines.map((l) => [l.status, l.reason])).toEqual([
      ['emailed', 'r0'],
      ['failed', 'r1'],
      ['rejected', 'r2'],
      ['duplicate', 'r3'],
      ['delivered', 'r4'],
      ['bounced', 'r5'],
      ['complained', 'r6'],
    ]);
  });
});
