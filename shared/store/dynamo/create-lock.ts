// The per-project create lock (`PROJECT#<id>` / `CREATE_LOCK`) with its intent, and the records of rooms a
// create returned that are not all handed out yet (`PROJECT#<id>` / `CREATED#<intentId>`).
import { DeleteCommand, PutCommand, UpdateCommand, type UpdateCommandInput } from '@aws-sdk/lib-dynamodb';
import { createdRoomsItem } from '../items.ts';
import { CREATE_LOCK_SK, CREATED_PREFIX, createdSk, projectPk } from '../keys.ts';
import { type CreateLockPort, LeaseLostError } from '../ports.ts';
import type { CreatedRoomsItem, CreateLockItem } from '../types.ts';
import { applied, isConditionFailed, queryPrefix, type Table, unlessConditionFails } from './table.ts';

type Port = CreateLockPort;

/** One UpdateItem on a project's lock; `owner` is a reserved word, always spelled `#owner`. */
const updateLock = (t: Table, projectId: string, input: Omit<UpdateCommandInput, 'Key' | 'TableName'>) =>
  t.doc.send(
    new UpdateCommand({
      TableName: t.name,
      Key: { pk: projectPk(projectId), sk: CREATE_LOCK_SK },
      ...input,
      ExpressionAttributeNames: { '#owner': 'owner', ...input.ExpressionAttributeNames },
    }),
  );

const acquireCreateLock =
  (t: Table): Port['acquireCreateLock'] =>
  async ({ projectId, owner, nowMs, leaseMs }) => {
    const result = await unlessConditionFails(() =>
      updateLock(t, projectId, {
        UpdateExpression: 'SET #type = :type, #owner = :owner, leaseUntil = :until',
        ConditionExpression: 'attribute_not_exists(#owner) OR leaseUntil < :now OR #owner = :owner',
        ExpressionAttributeNames: { '#type': 'type' },
        ExpressionAttributeValues: {
          ':type': 'create-lock',
          ':owner': owner,
          ':until': nowMs + leaseMs,
          ':now': nowMs,
        },
        ReturnValues: 'ALL_NEW',
      }),
    );
    return result ? { acquired: true, lock: result.Attributes as CreateLockItem } : { acquired: false };
  };

const writeCreateIntent =
  (t: Table): Port['writeCreateIntent'] =>
  async ({ projectId, owner, intent, leaseUntil }) => {
    await updateLock(t, projectId, {
      UpdateExpression: 'SET intent = :intent, leaseUntil = :until',
      ConditionExpression: '#owner = :owner AND attribute_not_exists(intent)',
      ExpressionAttributeValues: { ':intent': intent, ':until': leaseUntil, ':owner': owner },
    }).catch((error: unknown) => {
      if (!isConditionFailed(error)) throw error;
      throw new LeaseLostError(`create lock of project ${projectId} is no longer ours`, { cause: error });
    });
  };

const clearCreateIntent =
  (t: Table): Port['clearCreateIntent'] =>
  async ({ projectId, owner, intentId }) =>
    applied(() =>
      updateLock(t, projectId, {
        UpdateExpression: 'REMOVE intent',
        ConditionExpression: '#owner = :owner AND intent.intentId = :intentId',
        ExpressionAttributeValues: { ':owner': owner, ':intentId': intentId },
      }),
    );

// With `intentId`, the intent of the create that just succeeded goes with the lock (its rooms are in a
// created-rooms record by then); any other intent stays for the next holder to reconcile.
const releaseCreateLock =
  (t: Table): Port['releaseCreateLock'] =>
  async ({ projectId, owner, intentId }) => {
    await unlessConditionFails(() =>
      updateLock(t, projectId, {
        UpdateExpression: intentId ? 'REMOVE #owner, leaseUntil, intent' : 'REMOVE #owner, leaseUntil',
        ConditionExpression: intentId ? '#owner = :owner AND intent.intentId = :intentId' : '#owner = :owner',
        ExpressionAttributeValues: { ':owner': owner, ...(intentId ? { ':intentId': intentId } : {}) },
      }),
    );
  };

const putCreatedRooms =
  (t: Table): Port['putCreatedRooms'] =>
  async ({ nowMs, ...args }) => {
    const item = createdRoomsItem({ ...args, expiresAt: t.expiresAt(nowMs) });
    await t.doc.send(new PutCommand({ TableName: t.name, Item: item }));
    return item;
  };

/** The create lock port over the table. */
export const dynamoCreateLock = (t: Table): CreateLockPort => ({
  acquireCreateLock: acquireCreateLock(t),
  writeCreateIntent: writeCreateIntent(t),
  clearCreateIntent: clearCreateIntent(t),
  releaseCreateLock: releaseCreateLock(t),
  putCreatedRooms: putCreatedRooms(t),
  listCreatedRooms: (projectId) => queryPrefix<CreatedRoomsItem>(t, projectPk(projectId), CREATED_PREFIX),
  async deleteCreatedRooms(projectId, intentId) {
    await t.doc.send(
      new DeleteCommand({ TableName: t.name, Key: { pk: projectPk(projectId), sk: createdSk(intentId) } }),
    );
  },
});
