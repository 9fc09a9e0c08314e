// Room markers (`ROOM#<id>` / `ROOM`: this system took charge of the room) and each campaign's spare pool
// (`CAMPAIGN#<id>` / `SPARE#<roomKey>#<roomId>`).
import { DeleteCommand, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { RetryableError } from '#shared/errors.ts';
import { roomMarkerItem, spareItem } from '../items.ts';
import { campaignPk, ROOM_SK, roomPk, SPARE_PREFIX, sparePrefix } from '../keys.ts';
import type { RoomsPort } from '../ports.ts';
import type { RoomMarkerItem, SpareRoomItem } from '../types.ts';
import { applied, batchPutAll, putIfAbsent, queryPrefix, type Table, unlessConditionFails } from './table.ts';

type Port = RoomsPort;

const getRoomMarker =
  (t: Table): Port['getRoomMarker'] =>
  async (roomId) =>
    (
      await t.doc.send(
        new GetCommand({ TableName: t.name, Key: { pk: roomPk(roomId), sk: ROOM_SK }, ConsistentRead: true }),
      )
    ).Item as RoomMarkerItem | undefined;

const putRoomMarker =
  (t: Table): Port['putRoomMarker'] =>
  async (marker, nowMs) => {
    if (await putIfAbsent(t, roomMarkerItem(marker, nowMs, t.expiresAt(nowMs)))) return undefined;
    const existing = await getRoomMarker(t)(marker.roomId);
    if (!existing) throw new RetryableError(`room marker ${marker.roomId} vanished`);
    return existing;
  };

const takeSpare =
  (t: Table): Port['takeSpare'] =>
  async ({ spare, respondentSk, nowMs }) =>
    applied(() =>
      t.doc.send(
        new UpdateCommand({
          TableName: t.name,
          Key: { pk: spare.pk, sk: spare.sk },
          UpdateExpression: 'SET takenBy = :r, takenAt = :now',
          ConditionExpression: 'attribute_exists(pk) AND (attribute_not_exists(takenBy) OR takenBy = :r)',
          ExpressionAttributeValues: { ':r': respondentSk, ':now': nowMs },
        }),
      ),
    );

const releaseSpare =
  (t: Table): Port['releaseSpare'] =>
  async ({ spare, respondentSk }) => {
    await unlessConditionFails(() =>
      t.doc.send(
        new UpdateCommand({
          TableName: t.name,
          Key: { pk: spare.pk, sk: spare.sk },
          UpdateExpression: 'REMOVE takenBy, takenAt',
          ConditionExpression: 'takenBy = :r',
          ExpressionAttributeValues: { ':r': respondentSk },
        }),
      ),
    );
  };

/** The rooms port over the table. */
export const dynamoRooms = (t: Table): RoomsPort => ({
  putRoomMarker: putRoomMarker(t),
  // Rooms of a create response are nobody else's: no earlier marker to respect, so bulk and unconditional.
  putRoomMarkers: (markers, nowMs) =>
    batchPutAll(
      t,
      markers.map((marker) => roomMarkerItem(marker, nowMs, t.expiresAt(nowMs))),
    ),
  getRoomMarker: getRoomMarker(t),
  async putSpare(spare, nowMs) {
    await putIfAbsent(t, spareItem(spare, nowMs, t.expiresAt(nowMs)));
  },
  listSpares: (campaignId, roomKey) =>
    queryPrefix<SpareRoomItem>(t, campaignPk(campaignId), roomKey ? sparePrefix(roomKey) : SPARE_PREFIX),
  takeSpare: takeSpare(t),
  releaseSpare: releaseSpare(t),
  async deleteSpare(spare) {
    await t.doc.send(new DeleteCommand({ TableName: t.name, Key: { pk: spare.pk, sk: spare.sk } }));
  },
});
