import { describe, expect, it } from 'vitest';
import { FUNCTIONS, INVITE_QUEUE, TABLE, UPLOADS } from '#infra/definitions.ts';
import { settingsKeyFor } from '#shared/ingest/ingest.ts';

describe('shared resource definitions', () => {
  it('name the settings object the way ingest looks for it', () => {
    // Act
    const key = settingsKeyFor(`${UPLOADS.prefix}spring${UPLOADS.csvSuffix}`);

    // Assert
    expect(key).toBe(`${UPLOADS.prefix}spring${UPLOADS.settingsSuffix}`);
  });

  it('keep the invite queue visibility timeout at least 6 × the invite function timeout', () => {
    // Act + Assert
    expect(INVITE_QUEUE.visibilityTimeoutSeconds).toBeGreaterThanOrEqual(6 * FUNCTIONS.invite.timeoutSeconds);
    expect(INVITE_QUEUE.respondentsPerMessage).toBeLessThanOrEqual(100);
  });

  it('describe the single pk/sk table with the expiresAt TTL the store writes', () => {
    // Act + Assert
    expect(TABLE).toMatchObject({
      partitionKey: { name: 'pk', type: 'S' },
      sortKey: { name: 'sk', type: 'S' },
      timeToLiveAttribute: 'expiresAt',
    });
  });
});
