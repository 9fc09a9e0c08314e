import { GetAccountCommand, type SESv2Client, SendBulkEmailCommand } from '@aws-sdk/client-sesv2';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeSesClient } from '#local/aws.ts';
import type { SesEventBridgeEvent } from '#local/ses/events.ts';
import { type StrictSes, startStrictSes } from '#local/ses/server.ts';
import { Mailer } from '#shared/mail/mailer.ts';
import { emulatorEndpoints, uniqueName } from '#test/support/aws.ts';

// Each test plays its own account: a strict layer of its own in front of the shared emulator.
const endpoints = emulatorEndpoints();
let ses: StrictSes;
let client: SESv2Client;
let now = 1_000_000;

beforeEach(async () => {
  now = 1_000_000;
  ses = await startStrictSes({ upstream: endpoints.ses, clock: () => now });
  client = makeSesClient(ses.url, endpoints.region, { requestTimeout: 5000, connectionTimeout: 2000 });
});
afterEach(async () => {
  client.destroy();
  await ses.stop();
});

const FROM = 'research@example.com';
const template = { Subject: 'Hi {{s0}}', Text: 'Open {{t0}}', Html: '<a href="{{h0}}">open</a>' };
const data = { s0: 'Anna', t0: 'https://x.example/1', h0: 'https://x.example/1' };

const bulk = (to: string[], content = template, entryData: Record<string, string> = data) =>
  new SendBulkEmailCommand({
    FromEmailAddress: FROM,
    ConfigurationSetName: 'invites',
    DefaultEmailTags: [{ Name: 'campaign', Value: 'c1' }],
    DefaultContent: { Template: { TemplateContent: content, TemplateData: '{}' } },
    BulkEmailEntries: to.map((address) => ({
      Destination: { ToAddresses: [address] },
      ReplacementEmailContent: {
        ReplacementTemplate: { ReplacementTemplateData: JSON.stringify(entryData) },
      },
    })),
  });

const statuses = async (to: string[], content = template, entryData: Record<string, string> = data) =>
  ((await client.send(bulk(to, content, entryData))).BulkEmailEntryResults ?? []).map((r) => r.Status);

const addresses = (n: number) => {
  const domain = `${uniqueName('strict')}.example.com`;
  return Array.from({ length: n }, (_, i) => `r${i}@${domain}`);
};

const errorOf = async (promise: Promise<unknown>) => {
  try {
    await promise;
  } catch (error) {
    return error as { name: string; message: string; $metadata?: { httpStatusCode?: number } };
  }
  throw new Error('expected the call to fail');
};

describe('strict local SES: what SES refuses', () => {
  it('refuses an inline template with an underscored variable, as SES does', async () => {
    // Act
    const error = await errorOf(statuses(addresses(1), { ...template, Subject: 'Hi {{s_name}}' }));
    // Assert
    expect(error.name).toBe('BadRequestException');
    expect(error.message).toMatch(/Template contains unsupported operations: \{\{s_name\}\}/);
  });

  it('fails a destination whose data lacks a variable, and publishes a Rendering Failure', async () => {
    // Act
    const result = await statuses(addresses(1), template, { s0: 'Anna', t0: 'x' });
    // Assert
    expect(result).toEqual(['FAILED']);
    expect(ses.events.since().map((e) => e['detail-type'])).toEqual(['Email Rendering Failed']);
  });

  it('refuses more than 50 destinations in one call', async () => {
    // Act
    const error = await errorOf(statuses(addresses(51)));
    // Assert
    expect(error.name).toBe('BadRequestException');
    expect(error.message).toMatch(/51 destinations; the maximum is 50/);
  });

  it('throttles above MaxSendRate with TooManyRequestsException, and admits once the second has passed', async () => {
    // Prepare
    ses.account.update({ maxSendRate: 10 });
    await statuses(addresses(10));
    // Act
    const error = await errorOf(statuses(addresses(10)));
    now += 1000;
    const later = await statuses(addresses(10));
    // Assert
    expect(error.name).toBe('TooManyRequestsException');
    expect(error.$metadata?.httpStatusCode).toBe(429);
    expect(later).toEqual(Array(10).fill('SUCCESS'));
  });

  it('reports the quota through GetAccount and refuses recipients past it until the window moves on', async () => {
    // Prepare: 30 a window, 25 already sent when it started.
    ses.account.update({ max24HourSend: 30, sentLast24Hours: 25, quotaWindowMs: 60_000 });
    // Act
    const first = await statuses(addresses(8));
    const account = await client.send(new GetAccountCommand({}));
    now += 60_001;
    const after = await statuses(addresses(8));
    // Assert
    expect(first).toEqual([...Array(5).fill('SUCCESS'), ...Array(3).fill('ACCOUNT_DAILY_QUOTA_EXCEEDED')]);
    expect(account.SendQuota).toEqual({ Max24HourSend: 30, MaxSendRate: 1000, SentLast24Hours: 30 });
    expect(after).toEqual(Array(8).fill('SUCCESS'));
  });

  it('refuses every call while sending is paused, and GetAccount says so', async () => {
    // Prepare
    ses.account.update({ sendingPaused: true });
    // Act
    const error = await errorOf(statuses(addresses(2)));
    const account = await client.send(new GetAccountCommand({}));
    // Assert
    expect(error.name).toBe('SendingPausedException');
    expect(account.SendingEnabled).toBe(false);
  });

  it('in the sandbox, rejects unverified recipients and lets verified and simulator ones through', async () => {
    // Prepare
    const [stranger, colleague] = addresses(2) as [string, string];
    ses.account.update({ sandbox: true, verifiedIdentities: ['example.com', colleague] });
    // Act
    const result = await statuses([stranger, colleague, 'success+1@simulator.amazonses.com']);
    const account = await client.send(new GetAccountCommand({}));
    // Assert
    expect(result).toEqual(['MESSAGE_REJECTED', 'SUCCESS', 'SUCCESS']);
    expect(account.ProductionAccessEnabled).toBe(false);
  });

  it('refuses a sender no verified identity covers', async () => {
    // Prepare
    ses.account.update({ verifiedIdentities: ['invites.example.org'] });
    // Act
    const error = await errorOf(statuses(addresses(1)));
    // Assert
    expect(error.name).toBe('MessageRejected');
    expect(error.message).toMatch(/not verified.*research@example\.com/);
  });
});

describe('strict local SES: the mailbox simulator', () => {
  const cases: Array<[string, string[]]> = [
    ['success+a@simulator.amazonses.com', ['Email Sent', 'Email Delivered']],
    ['bounce+b@simulator.amazonses.com', ['Email Sent', 'Email Bounced']],
    ['complaint@simulator.amazonses.com', ['Email Sent', 'Email Delivered', 'Email Complaint Received']],
    ['ooto@simulator.amazonses.com', ['Email Sent', 'Email Delivered']],
    ['suppressionlist@simulator.amazonses.com', ['Email Sent', 'Email Bounced']],
  ];

  it.each(cases)('%s is accepted and gets the events SES publishes', async (address, detailTypes) => {
    // Act
    const result = await statuses([address]);
    // Assert
    expect(result).toEqual(['SUCCESS']);
    const events = ses.events.since();
    expect(events.map((e) => e['detail-type'])).toEqual(detailTypes);
    expect(events[0]).toMatchObject({
      version: '0',
      source: 'aws.ses',
      region: endpoints.region,
      resources: [expect.stringMatching(/^arn:aws:ses:.+:configuration-set\/invites$/)],
      detail: {
        eventType: 'Send',
        mail: { destination: [address], source: FROM, tags: { campaign: ['c1'] } },
      },
    });
  });

  it('marks the bounce of suppressionlist@ as Suppressed, of bounce@ as General, and pages events over HTTP', async () => {
    // Act
    await statuses(['bounce@simulator.amazonses.com', 'suppressionlist@simulator.amazonses.com']);
    const page = (await (await fetch(`${ses.url}/_local/events?after=1`)).json()) as {
      events: SesEventBridgeEvent[];
    };
    // Assert
    const bounces = ses.events.since().filter((e) => e.detail.eventType === 'Bounce');
    expect(bounces.map((e) => (e.detail.bounce as { bounceSubType: string }).bounceSubType)).toEqual([
      'General',
      'Suppressed',
    ]);
    expect(page.events).toHaveLength(3);
  });
});

describe('the mailer against the strict local SES', () => {
  it('sends a template with non-ASCII and underscored column names that SES accepts', async () => {
    // Prepare
    const mailer = new Mailer({ client });
    const [to] = addresses(1) as [string];
    // Act
    const outcomes = await mailer.sendBulk({
      from: FROM,
      template: {
        subject: '{{Название компании}}: {{first_name}}',
        text: '{{roomUrl}} {{first_name}} {{missing}}',
        html: '<a href="{{roomUrl}}">{{Название компании}}</a>',
      },
      destinations: [
        { to, data: { 'Название компании': 'Ромашка', first_name: 'Anna', roomUrl: 'https://x.example/1' } },
      ],
    });
    // Assert
    expect(outcomes).toEqual([{ status: 'sent', messageId: expect.any(String) }]);
  });
});
