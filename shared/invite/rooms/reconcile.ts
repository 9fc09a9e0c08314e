// Reconciling an interrupted create (a crash mid-create, or an unknown outcome): the rooms it made are found
// by listing the project's pending rooms, matched to the intent by time window and parameters.

import type { InterviewRoom } from '#shared/aseed/schemas.ts';
import { roomMatchesParams } from '#shared/campaign/rooms.ts';
import { mapLimit } from '#shared/store/concurrency.ts';
import type { CreateIntent, RoomMarkerItem } from '#shared/store/types.ts';
import type { Ctx } from '../context.ts';
import { adoptRooms, batchOf, createdRoom, settleMarker } from './hand-out.ts';
import { cancelSparesIfOver } from './spares.ts';

/** What the created-rooms records of a project held when the lock was taken. */
export interface Recorded {
  roomIds: ReadonlySet<string>;
  intentIds: ReadonlySet<string>;
}

/**
 * The listed rooms that may be the intent's, closest in time first: pending rooms of the intent's
 * parameters created within `skewMs` of the intent window (`startedAt` to `endedAt`), none a created-rooms
 * record holds (those belong to that record's create).
 */
export const candidateRooms = (
  listed: readonly InterviewRoom[],
  intent: Pick<CreateIntent, 'startedAt' | 'params'>,
  window: { endedAt: number; skewMs: number; recordedRoomIds: ReadonlySet<string> },
): InterviewRoom[] => {
  const from = intent.startedAt - window.skewMs;
  const to = window.endedAt + window.skewMs;
  const distance = (room: InterviewRoom) => Math.abs(Date.parse(room.created_at) - intent.startedAt);
  return listed
    .filter((room) => {
      const created = Date.parse(room.created_at);
      return (
        created >= from &&
        created <= to &&
        !window.recordedRoomIds.has(room.id) &&
        roomMatchesParams(room, intent.params)
      );
    })
    .sort((a, b) => distance(a) - distance(b));
};

/** How the candidates split: the intent's own (already marked), unknown ones, and what to adopt. */
export interface CandidateSplit {
  /** Markers of this intent: settled again (idempotent). */
  ours: RoomMarkerItem[];
  /** Unmarked rooms to adopt: at most as many as the call could have made beyond the ones marked. */
  adopt: InterviewRoom[];
  /** The intent's respondents still waiting for a room after `ours`. */
  waiting: string[];
}

/** Splits `candidates` (with their markers, index by index) between the intent's own and what to adopt. */
export const splitCandidates = (
  intent: Pick<CreateIntent, 'intentId' | 'count' | 'respondents'>,
  candidates: readonly InterviewRoom[],
  markers: ReadonlyArray<RoomMarkerItem | undefined>,
): CandidateSplit => {
  const ours: RoomMarkerItem[] = [];
  const unknown: InterviewRoom[] = [];
  for (const [index, room] of candidates.entries()) {
    const marker = markers[index];
    if (!marker) unknown.push(room);
    else if (marker.intentId === intent.intentId) ours.push(marker);
  }
  const covered = new Set(ours.flatMap((marker) => (marker.respondentSk ? [marker.respondentSk] : [])));
  return {
    ours,
    adopt: unknown.slice(0, Math.max(0, intent.count - ours.length)),
    waiting: intent.respondents.filter((sk) => !covered.has(sk)),
  };
};

/**
 * Under the create lock (`owner`): finds the rooms of an interrupted create, settles those already marked by
 * it again, adopts the unmarked ones (to the intent's respondents still waiting, the rest to the spare
 * pool), then clears the intent. An intent with a created-rooms record of its own needs no listing at all.
 */
export const reconcileIntent = async (
  ctx: Ctx,
  intent: CreateIntent,
  owner: string,
  endedAtMs: number | undefined,
  recorded: Recorded,
): Promise<void> => {
  const projectId = intent.params.projectId;
  if (recorded.intentIds.has(intent.intentId)) {
    // It crashed after recording the rooms, before releasing the lock: the record hands them out.
    await ctx.store.clearCreateIntent({ projectId, owner, intentId: intent.intentId });
    return;
  }
  const listed = await ctx.deps.aseed.listRooms({ projectId, status: 'pending' });
  const candidates = candidateRooms(listed, intent, {
    endedAt: endedAtMs ?? ctx.clock(),
    skewMs: ctx.config.reconcileSkewMs,
    recordedRoomIds: recorded.roomIds,
  });
  const batch = await batchOf(ctx, intent);
  const markers = await mapLimit(candidates, ctx.config.writesInParallel, (room) =>
    ctx.store.getRoomMarker(room.id),
  );
  const split = splitCandidates(intent, candidates, markers);
  for (const marker of split.ours) await settleMarker(ctx, marker, batch);
  if (split.adopt.length > 0) {
    await adoptRooms(ctx, intent, split.adopt.map(createdRoom), split.waiting, batch, false);
  }
  ctx.logger.info('create intent reconciled', {
    intentId: intent.intentId,
    alreadyMarked: split.ours.length,
    adopted: split.adopt.length,
    candidates: candidates.length,
  });
  await ctx.store.countCreatedRooms(
    intent.campaignId,
    intent.intentId,
    split.ours.length + split.adopt.length,
  );
  await ctx.store.clearCreateIntent({ projectId, owner, intentId: intent.intentId });
  await cancelSparesIfOver(ctx, intent.campaignId);
};
