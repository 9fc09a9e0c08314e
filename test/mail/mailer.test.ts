import { SESv2Client, SendBulkEmailCommand, type SendBulkEmailCommandInput } from '@aws-sdk/client-sesv2';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { PausedError, PermanentError, RetryableError } from '#shared/errors.ts';
import { type BulkDestination, Mailer, outcomeOf } from '#shared/mail/mailer.ts';

const ses = mockClient(SESv2Client);
const client = new SESv2Client({
  region: 'us-east-1',
  credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
  requestHandler: { requestTimeout: 5000, connectionTimeout: 2000 },
});

const template = {
  subject: 'Interview for {{name}}',
  text: 'Hi {{name}}, {{roomUrl}}',
  html: '<p>Hi {{name}}, <a href="{{roomUrl}}">go</a> ({{durationMinutes}} min)</p>',
};

const destinations = (n: number): BulkDestination[] =>
  Array.from({ length: n }, (_, i) => ({
    to: `r${i}@example.com`,
    data: { name: `R${i} <b>`, roomUrl: `https://app.example.com/i/${i}?a=1&b=2` },
  }));

const success = (input: SendBulkEmailCommandInput) => ({
  BulkEmailEntryResults: (input.BulkEmailEntries ?? []).map((_, i) => ({
    Status: 'SUCCESS' as const,
    MessageId: `m-${input.BulkEmailEntries?.[i]?.Destination?.ToAddresses?.[0]}`,
  })),
});

const httpError = (name: string, status: number) =>
  Object.assign(new Error(`${name} for ops@example.com`), { name, $metadata: { httpStatusCode: status } });

afterEach(() => {
  ses.reset();
});

describe('Mailer.sendBulk', () => {
  it('sends 120 destinations in three calls of at most 50, in order', async () => {
    // Prepare
    ses.on(SendBulkEmailCommand).callsFake(success);
    const paced: number[] = [];
    const mailer = new Mailer({ client, beforeSend: async (n) => void paced.push(n) });
    // Act
    const outcomes = await mailer.sendBulk({
      from: 'Team <team@example.com>',
      template,
      destinations: destinations(120),
    });
    // Assert
    const calls = ses.commandCalls(SendBulkEmailCommand);
    expect(calls.map((c) => c.args[0].input.BulkEmailEntries?.length)).toEqual([50, 50, 20]);
    expect(paced).toEqual([50, 50, 20]);
    expect(outcomes).toHaveLength(120);
    expect(outcomes[119]).toEqual({ status: 'sent', messageId: 'm-r119@example.com' });
  });

  it('sends an inline template whose HTML variables carry escaped values', async () => {
    // Prepare
    ses.on(SendBulkEmailCommand).callsFake(success);
    const mailer = new Mailer({ client });
    // Act
    await mailer.sendBulk({
      from: 'Команда <team@example.com>',
      replyTo: 'help@example.com',
      configurationSetName: 'invites',
      template,
      defaultData: { durationMinutes: '30' },
      tags: { campaign: 'c 1/2' },
      destinations: [{ ...destinations(1)[0], tags: { respondent: 'r-0' } } as BulkDestination],
    });
    // Assert
    const input = ses.commandCalls(SendBulkEmailCommand)[0]?.args[0].input;
    expect(input).toMatchObject({
      FromEmailAddress: '=?UTF-8?B?0JrQvtC80LDQvdC00LA=?= <team@example.com>',
      ReplyToAddresses: ['help@example.com'],
      ConfigurationSetName: 'invites',
      DefaultEmailTags: [{ Name: 'campaign', Value: 'c_1_2' }],
      DefaultContent: {
        Template: {
          TemplateContent: {
            Subject: 'Interview for {{s0}}',
            Text: 'Hi {{t0}}, {{t1}}',
            Html: '<p>Hi {{h0}}, <a href="{{h1}}">go</a> ({{h2}} min)</p>',
          },
          TemplateData: JSON.stringify({ s0: '', t0: '', t1: '', h0: '', h1: '', h2: '30' }),
        },
      },
    });
    const entry = input?.BulkEmailEntries?.[0];
    expect(entry?.Destination).toEqual({ ToAddresses: ['r0@example.com'] });
    expect(entry?.ReplacementTags).toEqual([{ Name: 'respondent', Value: 'r-0' }]);
    expect(
      JSON.parse(entry?.ReplacementEmailContent?.ReplacementTemplate?.ReplacementTemplateData ?? ''),
    ).toEqual({
      s0: 'R0 <b>',
      t0: 'R0 <b>',
      t1: 'https://app.example.com/i/0?a=1&b=2',
      h0: 'R0 &lt;b&gt;',
      h1: 'https://app.example.com/i/0?a=1&amp;b=2',
      h2: '30',
    });
  });

  it('maps per-destination statuses to sent, retry and failed', async () => {
    // Prepare
    ses.on(SendBulkEmailCommand).resolves({
      BulkEmailEntryResults: [
        { Status: 'SUCCESS', MessageId: 'm-1' },
        { Status: 'ACCOUNT_THROTTLED', Error: 'Maximum sending rate exceeded.' },
        { Status: 'TRANSIENT_FAILURE' },
        { Status: 'MESSAGE_REJECTED', Error: 'Email address is on the suppression list: r3@example.com' },
        { Status: 'INVALID_PARAMETER' },
      ],
    });
    const mailer = new Mailer({ client });
    // Act
    const outcomes = await mailer.sendBulk({
      from: 'team@example.com',
      template,
      destinations: destinations(6),
    });
    // Assert
    expect(outcomes).toEqual([
      { status: 'sent', messageId: 'm-1' },
      {
        status: 'retry',
        code: 'ACCOUNT_THROTTLED',
        reason: 'ACCOUNT_THROTTLED: Maximum sending rate exceeded.',
      },
      { status: 'retry', code: 'TRANSIENT_FAILURE', reason: 'TRANSIENT_FAILURE' },
      {
        status: 'failed',
        code: 'MESSAGE_REJECTED',
        reason: 'MESSAGE_REJECTED: Email address is on the suppression list: r***@example.com',
      },
      { status: 'failed', code: 'INVALID_PARAMETER', reason: 'INVALID_PARAMETER' },
      { status: 'retry', reason: 'SES returned no status for this destination' },
    ]);
  });

  it.each([
    ['AccountSuspended', 'ACCOUNT_SUSPENDED', 'paused'],
    ['DailyQuota', 'ACCOUNT_DAILY_QUOTA_EXCEEDED', 'paused'],
    ['SendingPaused', 'ACCOUNT_SENDING_PAUSED', 'paused'],
    ['Throttled', 'ACCOUNT_THROTTLED', 'retry'],
    ['Generic failure', 'FAILED', 'failed'],
  ] as const)('classifies %s (%s) as %s', (_, status, expected) => {
    // Act + Assert
    expect(outcomeOf({ Status: status }).status).toBe(expected);
  });

  it('fails an invalid recipient without sending it and sends the rest', async () => {
    // Prepare
    ses.on(SendBulkEmailCommand).callsFake(success);
    const mailer = new Mailer({ client });
    const list = [{ to: 'bad\r\nBcc: x@evil.com', data: {} }, ...destinations(1)];
    // Act
    const outcomes = await mailer.sendBulk({ from: 'team@example.com', template, destinations: list });
    // Assert
    expect(outcomes[0]).toMatchObject({
      status: 'failed',
      reason: expect.stringContaining('invalid recipient'),
    });
    expect(outcomes[1]).toMatchObject({ status: 'sent' });
    expect(ses.commandCalls(SendBulkEmailCommand)[0]?.args[0].input.BulkEmailEntries).toHaveLength(1);
  });

  it.each([
    ['throttling', httpError('TooManyRequestsException', 429), RetryableError],
    ['a 5xx', httpError('InternalFailure', 500), RetryableError],
    ['a timeout', Object.assign(new Error('socket timeout'), { name: 'TimeoutError' }), RetryableError],
    ['a 4xx', httpError('MessageRejected', 400), PermanentError],
  ])('throws on %s when nothing was sent, keeping the cause', async (_, error, type) => {
    // Prepare
    ses.on(SendBulkEmailCommand).rejects(error);
    const mailer = new Mailer({ client });
    // Act
    const thrown = await mailer
      .sendBulk({ from: 'team@example.com', template, destinations: destinations(2) })
      .catch((e) => e);
    // Assert
    expect(thrown).toBeInstanceOf(type);
    expect(thrown.cause).toBe(error);
    expect(thrown.message).not.toContain('ops@example.com');
  });

  it.each([
    ['SendingPausedException', httpError('SendingPausedException', 400), 'account-paused'],
    ['AccountSuspendedException', httpError('AccountSuspendedException', 400), 'account-paused'],
    ['LimitExceededException', httpError('LimitExceededException', 400), 'daily-quota'],
    [
      'a 429 "Daily message quota exceeded"',
      Object.assign(httpError('TooManyRequestsException', 429), { message: 'Daily message quota exceeded.' }),
      'daily-quota',
    ],
  ])('throws a PausedError (waits, not failed) on %s', async (_, error, kind) => {
    // Prepare
    ses.on(SendBulkEmailCommand).rejects(error);
    const mailer = new Mailer({ client });
    // Act
    const thrown = await mailer
      .sendBulk({ from: 'team@example.com', template, destinations: destinations(2) })
      .catch((e) => e);
    // Assert
    expect(thrown).toBeInstanceOf(PausedError);
    expect(thrown.kind).toBe(kind);
    expect(thrown.cause).toBe(error);
  });

  it('returns outcomes instead of throwing once a call has succeeded', async () => {
    // Prepare
    ses
      .on(SendBulkEmailCommand)
      .callsFakeOnce(success)
      .rejectsOnce(httpError('TooManyRequestsException', 429));
    const mailer = new Mailer({ client });
    // Act
    const outcomes = await mailer.sendBulk({
      from: 'team@example.com',
      template,
      destinations: destinations(120),
    });
    // Assert
    expect(outcomes.filter((o) => o.status === 'sent')).toHaveLength(50);
    expect(outcomes.slice(50).every((o) => o.status === 'retry')).toBe(true);
    expect(ses.commandCalls(SendBulkEmailCommand)).toHaveLength(2);
  });

  it('refuses a From address that could add a header', async () => {
    // Prepare
    const mailer = new Mailer({ client });
    // Act
    const thrown = await mailer
      .sendBulk({ from: 'team@example.com\r\nBcc: x@evil.com', template, destinations: destinations(1) })
      .catch((e) => e);
    // Assert
    expect(thrown).toBeInstanceOf(PermanentError);
    expect(ses.commandCalls(SendBulkEmailCommand)).toHaveLength(0);
  });
});
