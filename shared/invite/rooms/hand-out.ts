// Handing out created rooms: a marker per room first (the store knows the room before anyone gets it), then
// the respondent it was meant for gets it, and a room nobody can take goes to the campaign's spare pool.
import type { InterviewRoom } from '#shared/aseed/schemas.ts';
import { mapLimit } from '#shared/store/concurrency.ts';
import type {
  CreatedRoom,
  CreatedRoomsItem,
  CreateIntent,
  NewRoomMarker,
  RespondentItem,
} from '#shared/store/types.ts';
import type { Ctx } from '../context.ts';
import { cancelSparesIfOver } from './spares.ts';

/** A batch's respondents by sort key, as read now (unwritten ones included). */
export type BatchBySk = ReadonlyMap<string, RespondentItem>;

/** The part of a returned room that handing it out needs. */
export const createdRoom = (room: InterviewRoom): CreatedRoom => ({
  id: room.id,
  url: room.url,
  ...(room.expires_at ? { expiresAt: room.expires_at } : {}),
});

/** The respondents of an intent's batch by sort key, as read now. */
export const batchOf = async (ctx: Ctx, intent: CreateIntent): Promise<BatchBySk> =>
  new Map((await ctx.store.queryBatch(intent.campaignId, intent.batch)).map((r) => [r.sk, r]));

/**
 * Hands out the rooms of one created-rooms record (counted once per intent), then drops the record. A
 * `leftover` (another invocation's) may belong to a campaign that completed meanwhile: its spares are
 * cancelled at once, since nobody will draw them. `batch`: the intent's respondents as just read, if known.
 */
export const handOutCreatedRooms = async (
  ctx: Ctx,
  record: CreatedRoomsItem,
  leftover: boolean,
  batch?: BatchBySk,
): Promise<void> => {
  const { intent } = record;
  await ctx.store.countCreatedRooms(intent.campaignId, intent.intentId, record.rooms.length);
  const respondents = batch ?? (await batchOf(ctx, intent));
  await adoptRooms(ctx, intent, record.rooms, intent.respondents, respondents, true);
  await ctx.store.deleteCreatedRooms(intent.params.projectId, intent.intentId);
  if (leftover) await cancelSparesIfOver(ctx, intent.campaignId);
};

/** The marker of room `index` of an intent: intended for the respondent at that index, else a spare. */
const markerOf = (
  intent: CreateIntent,
  room: CreatedRoom,
  respondentSk: string | undefined,
): NewRoomMarker => ({
  roomId: room.id,
  campaignId: intent.campaignId,
  intentId: intent.intentId,
  roomKey: intent.roomKey,
  url: room.url,
  ...(room.expiresAt ? { roomExpiresAt: room.expiresAt } : {}),
  state: respondentSk ? 'intended' : 'spare',
  ...(respondentSk ? { respondentSk } : {}),
});

/**
 * Takes charge of rooms of one create intent, room `i` meant for `respondentSks[i]`. Rooms of the create's
 * response (`fromResponse`) are nobody else's: their markers go in bulk. Rooms found by listing are marked
 * one by one, conditionally, and left alone when another create already took charge of them.
 */
export const adoptRooms = async (
  ctx: Ctx,
  intent: CreateIntent,
  rooms: readonly CreatedRoom[],
  respondentSks: readonly string[],
  batch: BatchBySk,
  fromResponse: boolean,
): Promise<void> => {
  const nowMs = ctx.clock();
  const markers = rooms.map((room, index) => markerOf(intent, room, respondentSks[index]));
  const parallel = ctx.config.writesInParallel;
  if (fromResponse) {
    await ctx.store.putRoomMarkers(markers, nowMs);
    await mapLimit(markers, parallel, (marker) => settleMarker(ctx, marker, batch));
    return;
  }
  await mapLimit(markers, parallel, async (marker) => {
    const existing = await ctx.store.putRoomMarker(marker, nowMs);
    // A marker from another intent means someone else already owns the room: leave it alone.
    if (existing && existing.intentId !== intent.intentId) return;
    await settleMarker(ctx, existing ?? marker, batch);
  });
};

/**
 * Hands a marked room to its intended respondent (found in `batch`; one without an item yet gets it with the
 * room), or to the spare pool when that is no longer possible.
 */
export const settleMarker = async (ctx: Ctx, marker: NewRoomMarker, batch: BatchBySk): Promise<void> => {
  if (marker.state === 'intended' && marker.respondentSk) {
    const respondent = batch.get(marker.respondentSk);
    const assigned = await ctx.store.transition(
      {
        campaignId: marker.campaignId,
        sk: marker.respondentSk,
        nowMs: ctx.clock(),
        ...(respondent?.unwritten ? { orCreate: respondent } : {}),
      },
      { kind: 'assignRoom', room: { id: marker.roomId, url: marker.url, expiresAt: marker.roomExpiresAt } },
    );
    if (assigned) return;
    const current = await ctx.store.getRespondent(marker.campaignId, marker.respondentSk);
    if (current?.roomId === marker.roomId) return;
  }
  await ctx.store.putSpare(
    {
      campaignId: marker.campaignId,
      roomId: marker.roomId,
      roomKey: marker.roomKey,
      url: marker.url,
      ...(marker.roomExpiresAt ? { roomExpiresAt: marker.roomExpiresAt } : {}),
    },
    ctx.clock(),
  );
};
