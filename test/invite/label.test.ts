import { describe, expect, it } from 'vitest';
import { AseedServerError } from '#shared/aseed/errors.ts';
import { displayNameOf, MAX_DISPLAY_NAME } from '#shared/campaign/label.ts';
import { processInviteMessage } from '#shared/invite/index.ts';
import { recordingLogger } from '#test/support/logger.ts';
import { fakeAseed, fakeMailer, inviteDeps, seededCampaign } from './fakes.ts';

// Every room handed out is labelled with whose interview it is, before its email goes; a label that fails
// never holds the email back.
describe('room labels (display_name)', () => {
  it('uses the name, else the address, fills columns, and cuts to 42 characters (code points)', () => {
    // Prepare
    const ann = { email: 'ann@example.org', name: 'Ann Lee', fields: { team: 'Sales' } };
    const nameless = { email: 'bob@example.org', fields: {} };
    const long = { email: 'c@example.org', name: `${'Ж'.repeat(40)}😀😀😀`, fields: {} };

    // Act
    const labels = [
      displayNameOf('{{name}}', ann),
      displayNameOf('{{name}} ({{team}})', ann),
      displayNameOf('{{name}}', nameless),
      displayNameOf('{{name}}', long),
    ];

    // Assert
    expect(labels.slice(0, 3)).toEqual(['Ann Lee', 'Ann Lee (Sales)', 'bob@example.org']);
    expect(Array.from(labels[3] ?? '')).toHaveLength(MAX_DISPLAY_NAME);
    expect(labels[3]).toBe(`${'Ж'.repeat(40)}😀😀`);
  });

  it('labels each room of the batch before the email, and sends even when a label fails', async () => {
    // Prepare
    const { store, campaignId } = await seededCampaign([3]);
    const aseed = fakeAseed();
    const mail = fakeMailer();
    const { logger, lines } = recordingLogger();
    let patches = 0;
    const api = {
      ...aseed.api,
      updateRoom: async (id: string, patch: { display_name?: string | null }) => {
        if (++patches === 2) throw new AseedServerError('503', { operation: 'updateRoom', status: 503 });
        return aseed.api.updateRoom(id, patch);
      },
    };

    // Act
    const result = await processInviteMessage(
      { ...inviteDeps(store, api, mail.mailer), logger },
      {
        campaignId,
        batch: 0,
      },
    );

    // Assert
    expect(result).toMatchObject({ emailed: 3, failed: 0 });
    const labels = aseed.rooms.map((r) => r.display_name ?? null);
    expect(labels.filter((l) => l !== null).sort()).toEqual(['Person 0-0', 'Person 0-2']);
    expect(lines).toContainEqual(
      expect.objectContaining({ level: 'warn', message: 'room not labelled; the email goes anyway' }),
    );
  });

  it('labels nothing when the campaign turns labels off', async () => {
    // Prepare
    const { store, campaignId } = await seededCampaign([2], undefined, { displayName: false });
    const aseed = fakeAseed();

    // Act
    await processInviteMessage(inviteDeps(store, aseed.api, fakeMailer().mailer), { campaignId, batch: 0 });

    // Assert
    expect(aseed.calls.update).toBe(0);
  });
});
