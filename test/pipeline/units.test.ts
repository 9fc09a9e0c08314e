import { describe, expect, it } from 'vitest';
import type { InterviewRoom } from '#shared/aseed/schemas.ts';
import { parseInviteMessage, serializeInviteMessage } from '#shared/campaign/messages.ts';
import { createRequestOf, roomKeyOf, roomMatchesParams } from '#shared/campaign/rooms.ts';
import { maskEmail } from '#shared/log.ts';
import type { RoomParams } from '#shared/store/types.ts';

describe('maskEmail', () => {
  it('keeps the first character and the domain only', () => {
    // Act / Assert
    expect(maskEmail('anna@example.com')).toBe('a***@example.com');
    expect(maskEmail('not an address')).toBe('***');
    expect(maskEmail(undefined)).toBe('***');
  });
});

describe('room parameters', () => {
  const params: RoomParams = { projectId: 'p', maxDurationMinutes: 30, expiresInDays: 7, language: 'ru' };
  const room = (over: Partial<InterviewRoom>): InterviewRoom => ({
    id: 'r',
    project_id: 'p',
    access_token: 't',
    url: 'https://x/r',
    room_name: 'n',
    max_duration_minutes: 30,
    status: 'pending',
    created_at: new Date(0).toISOString(),
    created_by: 'u',
    language: 'ru',
    ...over,
  });

  it('matches listed rooms only on the fields the create call sent, and never touched rooms', () => {
    // Act / Assert
    expect(roomMatchesParams(room({ voice: 'server-default' }), params)).toBe(true);
    expect(roomMatchesParams(room({ language: 'en' }), params)).toBe(false);
    expect(roomMatchesParams(room({ max_duration_minutes: 45 }), params)).toBe(false);
    expect(roomMatchesParams(room({ respondent_email: 'a@b.c' }), params)).toBe(false);
    expect(roomMatchesParams(room({ status: 'active' }), params)).toBe(false);
  });

  it('builds the create request and a key that separates languages', () => {
    // Act / Assert
    expect(createRequestOf(params, 3)).toEqual({
      project_id: 'p',
      count: 3,
      max_duration_minutes: 30,
      expires_in_days: 7,
      language: 'ru',
    });
    expect(roomKeyOf(params)).not.toBe(roomKeyOf({ ...params, language: 'en' }));
    expect(roomKeyOf(params)).toBe(roomKeyOf({ ...params }));
  });
});

describe('invite messages', () => {
  it('round-trip and refuse anything else', () => {
    // Act / Assert
    expect(parseInviteMessage(serializeInviteMessage({ campaignId: 'c', batch: 2 }))).toEqual({
      campaignId: 'c',
      batch: 2,
    });
    expect(() => parseInviteMessage('garbage')).toThrow();
    expect(() => parseInviteMessage('{"campaignId":"c","batch":-1}')).toThrow();
  });
});
