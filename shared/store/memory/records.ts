// Respondents, ingest items, the create lock, rooms and the send schedule in memory, with the conditions
// of the DynamoDB adapters (dynamo/respondents.ts, create-lock.ts, rooms.ts, schedule.ts).
import { type RespondentProgress, transitionSpec } from '#shared/invite/respondent.ts';
import {
  batchRecordItems,
  createdRoomsItem,
  mergeRespondents,
  rejectedChunkItem,
  respondentCreatedFields,
  roomMarkerItem,
  spareItem,
  writtenRespondent,
} from '../items.ts';
import {
  batchKey,
  CREATE_LOCK_SK,
  CREATED_PREFIX,
  campaignPk,
  createdSk,
  PACER_SK,
  pacerPk,
  projectPk,
  REJECTED_PREFIX,
  RESPONDENT_PREFIX,
  ROOM_SK,
  roomPk,
  SPARE_PREFIX,
  sparePrefix,
} from '../keys.ts';
import {
  type CreateLockPort,
  type IngestItemsPort,
  LeaseLostError,
  type RespondentsPort,
  type RoomsPort,
  type SendSchedulePort,
} from '../ports.ts';
import { bookSends } from '../schedule.ts';
import type {
  BatchRecordItem,
  CreatedRoomsItem,
  CreateLockItem,
  RejectedChunkItem,
  RespondentItem,
  RoomMarkerItem,
  SpareRoomItem,
} from '../types.ts';
import { conditionFailed } from './campaigns.ts';
import type { MemoryTable } from './table.ts';

const respondentsOf = (t: MemoryTable, campaignId: string, prefix: string) =>
  mergeRespondents(t.query<RespondentItem | BatchRecordItem>(campaignPk(campaignId), prefix));

/** The respondents port in memory. */
export const memoryRespondents = (t: MemoryTable): RespondentsPort => ({
  queryBatch: async (campaignId, batch) => respondentsOf(t, campaignId, batchKey(batch)),
  async writeBatchRespondents(campaignId, batch) {
    for (const r of respondentsOf(t, campaignId, batchKey(batch))) {
      if (r.unwritten) t.put(writtenRespondent(r), { ifAbsent: true });
    }
    return respondentsOf(t, campaignId, batchKey(batch));
  },
  listRespondents: async (campaignId) => respondentsOf(t, campaignId, RESPONDENT_PREFIX),
  listRejected: async (campaignId) =>
    t.query<RejectedChunkItem>(campaignPk(campaignId), REJECTED_PREFIX).flatMap((chunk) => chunk.rows),
  getRespondent: async (campaignId, sk) => t.get<RespondentItem>(campaignPk(campaignId), sk),
  async transition(ref, move) {
    const spec = transitionSpec(move);
    const moved = t.update<RespondentItem>(campaignPk(ref.campaignId), ref.sk, (current) => {
      const item =
        current ??
        (ref.orCreate
          ? ({
              pk: campaignPk(ref.campaignId),
              sk: ref.sk,
              ...respondentCreatedFields(ref.orCreate),
            } as RespondentItem)
          : undefined);
      if (!item) return false;
      if (current && !spec.from.includes(current.state)) return false;
      if (spec.heldBy !== undefined && item.sendAttempt !== spec.heldBy) return false;
      if (spec.leaseEndedBefore !== undefined && (item.sendingUntil ?? 0) >= spec.leaseEndedBefore)
        return false;
      if (spec.unstarted && item.roomRank !== undefined) return false;
      const next: RespondentItem = {
        ...item,
        ...definedOnly(spec.set),
        state: spec.to,
        updatedAt: new Date(ref.nowMs).toISOString(),
      };
      for (const name of spec.remove) delete next[name];
      return next;
    });
    return moved !== false;
  },
  async takeOverSend(ref, attempt, until) {
    const taken = t.update<RespondentItem>(campaignPk(ref.campaignId), ref.sk, (r) =>
      r?.state === 'sending' &&
      (r.sendingUntil === undefined || r.sendingUntil < ref.nowMs || r.sendAttempt === attempt)
        ? { ...r, sendAttempt: attempt, sendingUntil: until, updatedAt: new Date(ref.nowMs).toISOString() }
        : false,
    );
    return taken || undefined;
  },
  async markRoomCancelled(campaignId, sk) {
    if (
      !t.update<RespondentItem>(campaignPk(campaignId), sk, (r) =>
        r ? { ...r, roomCancelled: true } : false,
      )
    ) {
      throw conditionFailed(`no respondent ${sk}`);
    }
  },
});

/** Progress fields without the undefined ones (DynamoDB's adapter skips them too). */
const definedOnly = (set: Partial<RespondentProgress>) =>
  Object.fromEntries(Object.entries(set).filter(([, value]) => value !== undefined));

/** The ingest's writes in memory. */
export const memoryIngestItems = (t: MemoryTable): IngestItemsPort => ({
  async writeBatches(batches, nowMs) {
    for (const item of batches.flatMap((batch) => batchRecordItems(batch, nowMs, t.expiresAt(nowMs))))
      t.put(item);
  },
  async writeRejected(chunk, nowMs) {
    t.put(rejectedChunkItem(chunk, t.expiresAt(nowMs)));
  },
});

const lockOf =
  (t: MemoryTable, projectId: string) => (fn: (lock: CreateLockItem) => CreateLockItem | false) =>
    t.update<CreateLockItem>(projectPk(projectId), CREATE_LOCK_SK, (current) =>
      fn(current ?? { pk: projectPk(projectId), sk: CREATE_LOCK_SK, type: 'create-lock' }),
    );

/** The create lock port in memory. */
export const memoryCreateLock = (t: MemoryTable): CreateLockPort => ({
  async acquireCreateLock({ projectId, owner, nowMs, leaseMs }) {
    const lock = lockOf(
      t,
      projectId,
    )((l) =>
      l.owner === undefined || (l.leaseUntil ?? 0) < nowMs || l.owner === owner
        ? { ...l, owner, leaseUntil: nowMs + leaseMs }
        : false,
    );
    return lock ? { acquired: true, lock } : { acquired: false };
  },
  async writeCreateIntent({ projectId, owner, intent, leaseUntil }) {
    if (
      !lockOf(t, projectId)((l) => (l.owner === owner && !l.intent ? { ...l, intent, leaseUntil } : false))
    ) {
      throw new LeaseLostError(`create lock of project ${projectId} is no longer ours`);
    }
  },
  clearCreateIntent: async ({ projectId, owner, intentId }) =>
    lockOf(
      t,
      projectId,
    )(({ intent, ...l }) => (l.owner === owner && intent?.intentId === intentId ? l : false)) !== false,
  async releaseCreateLock({ projectId, owner, intentId }) {
    lockOf(
      t,
      projectId,
    )(({ owner: holder, leaseUntil: _, intent, ...l }) => {
      if (holder !== owner || (intentId && intent?.intentId !== intentId)) return false;
      return intentId || !intent ? l : { ...l, intent };
    });
  },
  async putCreatedRooms({ nowMs, ...args }) {
    const item = createdRoomsItem({ ...args, expiresAt: t.expiresAt(nowMs) });
    t.put(item);
    return item;
  },
  listCreatedRooms: async (projectId) => t.query<CreatedRoomsItem>(projectPk(projectId), CREATED_PREFIX),
  deleteCreatedRooms: async (projectId, intentId) => t.delete(projectPk(projectId), createdSk(intentId)),
});

/** The rooms port in memory. */
export const memoryRooms = (t: MemoryTable): RoomsPort => {
  const getRoomMarker = async (roomId: string) => t.get<RoomMarkerItem>(roomPk(roomId), ROOM_SK);
  return {
    async putRoomMarker(marker, nowMs) {
      if (t.put(roomMarkerItem(marker, nowMs, t.expiresAt(nowMs)), { ifAbsent: true })) return undefined;
      return getRoomMarker(marker.roomId);
    },
    async putRoomMarkers(markers, nowMs) {
      for (const marker of markers) t.put(roomMarkerItem(marker, nowMs, t.expiresAt(nowMs)));
    },
    getRoomMarker,
    async putSpare(spare, nowMs) {
      t.put(spareItem(spare, nowMs, t.expiresAt(nowMs)), { ifAbsent: true });
    },
    listSpares: async (campaignId, roomKey) =>
      t.query<SpareRoomItem>(campaignPk(campaignId), roomKey ? sparePrefix(roomKey) : SPARE_PREFIX),
    takeSpare: async ({ spare, respondentSk, nowMs }) =>
      t.update<SpareRoomItem>(spare.pk, spare.sk, (s) =>
        s && (s.takenBy === undefined || s.takenBy === respondentSk)
          ? { ...s, takenBy: respondentSk, takenAt: nowMs }
          : false,
      ) !== false,
    async releaseSpare({ spare, respondentSk }) {
      t.update<SpareRoomItem>(spare.pk, spare.sk, (s) => {
        if (s?.takenBy !== respondentSk) return false;
        const { takenBy: _, takenAt: __, ...free } = s;
        return free;
      });
    },
    deleteSpare: async (spare) => t.delete(spare.pk, spare.sk),
  };
};

/** The send schedule port in memory. */
export const memorySchedule = (t: MemoryTable): SendSchedulePort => ({
  async reserveSends({ key, count, msPerSend, burstMs, nowMs }) {
    const now = nowMs();
    let start = now;
    t.update<{ pk: string; sk: string; nextFree?: number }>(pacerPk(key), PACER_SK, (current) => {
      const booked = bookSends(current?.nextFree, now, count, msPerSend, burstMs);
      start = booked.start;
      return { pk: pacerPk(key), sk: PACER_SK, nextFree: booked.nextFree };
    });
    return start;
  },
});
