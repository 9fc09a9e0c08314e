// Spare rooms of a campaign a later upload reopened: the cancel at completion and a new batch's draw may meet.
import { describe, expect, it } from 'vitest';
import type { InterviewRoom } from '#shared/aseed/schemas.ts';
import { contextOf } from '#shared/invite/context.ts';
import { cancelSpares, drawSpares } from '#shared/invite/rooms/spares.ts';
import type { SpareRoomItem } from '#shared/store/types.ts';
import { fakeAseed, fakeMailer, inviteDeps, seededCampaign } from './fakes.ts';

/** A campaign of two respondents and two pending spare rooms, s1 and s2. */
const withSpares = async () => {
  const { store, campaignId } = await seededCampaign([2]);
  const aseed = fakeAseed();
  for (const id of ['s1', 's2']) {
    await store.putSpare({ campaignId, roomId: id, roomKey: 'k', url: `https://aseed.test/i/${id}` }, 0);
    aseed.rooms.push({ id, status: 'pending', url: `https://aseed.test/i/${id}` } as InterviewRoom);
  }
  const respondents = await store.queryBatch(campaignId, 0);
  const spares = await store.listSpares(campaignId);
  return { store, campaignId, aseed, respondents, spares };
};

describe('spare rooms between a completion and a later upload', () => {
  it('does not cancel a spare a draw took after the cancel listed it', async () => {
    // Prepare: the draw of the reopened campaign wins s1 between the cancel's list and its claim.
    const { store, campaignId, aseed, respondents, spares } = await withSpares();
    const racing = {
      ...store,
      listSpares: async (id: string, key?: string) => {
        const listed = await store.listSpares(id, key);
        const s1 = spares.find((s) => s.roomId === 's1') as SpareRoomItem;
        await store.takeSpare({ spare: s1, respondentSk: respondents[0]?.sk ?? '', nowMs: 1 });
        return listed;
      },
    };

    // Act
    await cancelSpares(contextOf(inviteDeps(racing, aseed.api, fakeMailer().mailer)), campaignId, false);

    // Assert
    const status = (id: string) => aseed.rooms.find((r) => r.id === id)?.status;
    expect([status('s1'), status('s2')]).toEqual(['pending', 'cancelled']);
    expect((await store.listSpares(campaignId)).map((s) => s.roomId)).toEqual(['s1']);
  });

  it('hands out no spare a cancel has claimed', async () => {
    // Prepare: a cancel claimed both spares and died before cancelling them.
    const { store, campaignId, aseed, respondents, spares } = await withSpares();
    for (const spare of spares) await store.takeSpare({ spare, respondentSk: 'CANCELLING', nowMs: 1 });
    const claimed = await store.listSpares(campaignId);

    // Act
    const ctx = contextOf(inviteDeps(store, aseed.api, fakeMailer().mailer));
    const waiting = await drawSpares(ctx, claimed, respondents);

    // Assert
    expect(waiting).toEqual(respondents);
    expect((await store.listSpares(campaignId)).map((s) => s.takenBy)).toEqual(['CANCELLING', 'CANCELLING']);
  });
});
