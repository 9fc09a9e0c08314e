import { describe, expect, it } from 'vitest';
import { type SesEventType, sesEvent } from '#local/ses/events.ts';
import { PermanentError } from '#shared/errors.ts';
import { meaningOf, parseSesEvent } from '#shared/events/ses-event.ts';

// The events the strict local SES publishes are built like SES's own (EventBridge shape); the consumer must
// read each one into the right report for the respondent its tags name.
const origin = { account: '111122223333', region: 'eu-west-1' };
const message = (to: string, tags: Record<string, string> = { campaign: 'c-1', respondent: '12-7' }) => ({
  messageId: '0100018f-aaaa',
  from: 'research@invites.example.org',
  to,
  subject: 'An interview?',
  configurationSet: 'invites',
  tags,
});
const meaning = (type: SesEventType, to = 'success@simulator.amazonses.com', tags?: Record<string, string>) =>
  meaningOf(parseSesEvent(JSON.parse(JSON.stringify(sesEvent(type, message(to, tags), origin)))));

describe('SES events, read for a respondent', () => {
  it.each([
    ['Delivery', 'success@simulator.amazonses.com', { kind: 'outcome', outcome: 'delivered' }],
    [
      'Bounce',
      'bounce@simulator.amazonses.com',
      {
        kind: 'outcome',
        outcome: 'bounced',
        reason: expect.stringMatching(/^Permanent bounce: General: smtp; 550/),
      },
    ],
    [
      'Bounce',
      'suppressionlist@simulator.amazonses.com',
      {
        kind: 'outcome',
        outcome: 'bounced',
        reason: expect.stringMatching(/^Permanent bounce: Suppressed: /),
      },
    ],
    [
      'Complaint',
      'complaint@simulator.amazonses.com',
      { kind: 'outcome', outcome: 'complained', reason: 'complaint: abuse' },
    ],
    [
      'Reject',
      'x@example.org',
      { kind: 'outcome', outcome: 'rejected', reason: 'rejected by SES: Bad content' },
    ],
    [
      'Rendering Failure',
      'x@example.org',
      { kind: 'outcome', outcome: 'render-failed', reason: expect.stringMatching(/^rendering failed: /) },
    ],
    [
      'DeliveryDelay',
      'x@example.org',
      { kind: 'delay', reason: expect.stringMatching(/^delayed: TransientCommunicationFailure/) },
    ],
  ] as const)('reads %s (to %s) as its report, for the tagged respondent', (type, to, report) => {
    // Act
    const result = meaning(type, to);

    // Assert
    expect(result).toEqual({
      kind: 'report',
      campaignId: 'c-1',
      batch: 12,
      seq: 7,
      messageId: '0100018f-aaaa',
      report: expect.objectContaining({ ...report, at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) }),
    });
  });

  it('takes a transient bounce for news of trouble, not an outcome', () => {
    // Prepare
    const event = JSON.parse(
      JSON.stringify(sesEvent('Bounce', message('bounce@simulator.amazonses.com'), origin)),
    );
    event.detail.bounce.bounceType = 'Transient';
    event.detail.bounce.bounceSubType = 'MailboxFull';

    // Act
    const result = meaningOf(parseSesEvent(event));

    // Assert
    expect(result).toMatchObject({
      kind: 'report',
      report: { kind: 'delay', reason: expect.stringMatching(/^Transient bounce: MailboxFull/) },
    });
  });

  it('ignores a Send event and an event without the respondent tags', () => {
    // Act + Assert
    expect(meaning('Send')).toEqual({ kind: 'ignored', why: 'Send is not recorded' });
    expect(meaning('Delivery', 'a@example.org', { campaign: 'c-1' })).toEqual({
      kind: 'ignored',
      why: 'no campaign and respondent tags',
    });
    expect(meaning('Delivery', 'a@example.org', { campaign: 'c-1', respondent: 'R#1#2' })).toMatchObject({
      kind: 'ignored',
    });
  });

  it('refuses what is not an SES event with a permanent error naming the field', () => {
    // Act + Assert
    expect(() => parseSesEvent({ source: 'aws.s3', detail: {} })).toThrow(PermanentError);
    expect(() => parseSesEvent({ source: 'aws.ses', time: 't', detail: { eventType: 'Delivery' } })).toThrow(
      /detail\.mail/,
    );
  });
});
