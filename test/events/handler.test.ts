import { describe, expect, it } from 'vitest';
import { createEventsHandler } from '#functions/events/app.ts';
import { sesEvent } from '#local/ses/events.ts';
import { PermanentError } from '#shared/errors.ts';
import { respondentTag } from '#shared/events/outcome.ts';
import { createMemoryStore } from '#shared/store/memory/index.ts';
import { fakeAseed } from '#test/invite/fakes.ts';
import { recordingLogger } from '#test/support/logger.ts';
import { respondent } from '#test/support/store.ts';

const origin = { account: '111122223333', region: 'eu-west-1' };

describe('events handler', () => {
  it('records an EventBridge SES event on the respondent its tags name', async () => {
    // Prepare
    const store = createMemoryStore();
    const item = respondent('c-1', 3, 4);
    await store.transition(
      { campaignId: 'c-1', sk: item.sk, nowMs: 1, orCreate: item },
      {
        kind: 'assignRoom',
        room: { id: 'r', url: 'https://x/r' },
      },
    );
    const { logger, lines } = recordingLogger();
    const handler = createEventsHandler({ store, logger, aseed: fakeAseed().api });
    const event = sesEvent(
      'Bounce',
      {
        messageId: 'm',
        from: 'a@invites.example.org',
        to: 'bounce@simulator.amazonses.com',
        subject: 's',
        tags: { campaign: 'c-1', respondent: respondentTag(3, 4) },
      },
      origin,
    );

    // Act
    const result = await handler(JSON.parse(JSON.stringify(event)));

    // Assert
    expect(result).toEqual({
      kind: 'applied',
      campaignId: 'c-1',
      respondent: '3-4',
      what: 'bounced',
      // The room (unknown to this API) counts as given back; the address joins the suppression list.
      settled: { suppressed: true, room: 'cancelled' },
    });
    expect(await store.getRespondent('c-1', item.sk)).toMatchObject({ delivery: 'bounced' });
    expect(lines).toContainEqual(expect.objectContaining({ level: 'info', message: 'SES event recorded' }));
    // The keys are logged, the address never.
    expect(JSON.stringify(lines.map((l) => l.fields))).toContain('"campaignId":"c-1"');
    expect(JSON.stringify(lines)).not.toContain('bounce@simulator');
  });

  it('throws on what is not an SES event, after logging it, so Lambda retries and then dead-letters it', async () => {
    // Prepare
    const { logger, lines } = recordingLogger();
    const handler = createEventsHandler({ store: createMemoryStore(), logger, aseed: fakeAseed().api });

    // Act
    const failing = handler({ id: 'e-1', source: 'aws.s3', detail: {} } as never);

    // Assert
    await expect(failing).rejects.toBeInstanceOf(PermanentError);
    expect(lines).toContainEqual(
      expect.objectContaining({ level: 'error', message: 'SES event not recorded' }),
    );
  });
});
