// Room tracking over the table: tracked campaigns are found through the sparse `tracking` index (only a
// campaign still polled has `trackPk`), each poll holds the campaign by a lease on its record, and a room's
// progress is one rank-guarded update on its respondent, so a repeated or concurrent poll changes nothing.

import { QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { FOLLOW_UP_KINDS } from '#shared/campaign/follow-ups.ts';
import { ROOM_RANK } from '#shared/tracker/progress.ts';
import { campaignPk, META_SK, RESPONDENT_PREFIX, TRACKING_INDEX, TRACKING_OPEN } from '../keys.ts';
import type { TrackingPort } from '../ports.ts';
import type { CampaignRecord, RoomHolder } from '../types.ts';
import { applied, queryPrefix, type Table, unlessConditionFails } from './table.ts';

type Port = TrackingPort;

const HOLDER_FIELDS = [
  'sk',
  'batch',
  'emailedAt',
  ...FOLLOW_UP_KINDS,
  'roomId',
  'roomCancelled',
  'followUpsStopped',
  'roomExpiresAt',
  'state',
  'delivery',
  // For the poll's funnel snapshot: the same item read, so no extra read (a projection costs by item size).
  'deliveredAt',
  'roomStatus',
  'roomRank',
  'startedAt',
  'completedAt',
  'expiredAt',
] as const;

const dueCampaigns =
  (t: Table): Port['dueCampaigns'] =>
  async (nowMs, limit) => {
    const result = await t.doc.send(
      new QueryCommand({
        TableName: t.name,
        IndexName: TRACKING_INDEX,
        KeyConditionExpression: 'trackPk = :open AND nextPollAt <= :now',
        ExpressionAttributeValues: { ':open': TRACKING_OPEN, ':now': nowMs },
        Limit: limit,
      }),
    );
    return (result.Items ?? []).map((item) => String(item.pk).slice(campaignPk('').length));
  };

const claimPoll =
  (t: Table): Port['claimPoll'] =>
  async ({ campaignId, owner, nowMs, leaseMs }) => {
    const result = await unlessConditionFails(() =>
      t.doc.send(
        new UpdateCommand({
          TableName: t.name,
          Key: { pk: campaignPk(campaignId), sk: META_SK },
          UpdateExpression: 'SET pollOwner = :owner, pollUntil = :until',
          ConditionExpression:
            'trackPk = :open AND nextPollAt <= :now AND (attribute_not_exists(pollUntil) OR pollUntil < :now)',
          ExpressionAttributeValues: {
            ':owner': owner,
            ':until': nowMs + leaseMs,
            ':open': TRACKING_OPEN,
            ':now': nowMs,
          },
          ReturnValues: 'ALL_NEW',
        }),
      ),
    );
    return result ? (result.Attributes as CampaignRecord) : undefined;
  };

const endPoll =
  (t: Table): Port['endPoll'] =>
  async ({ campaignId, owner, nowMs, nextPollAt, funnel }) => {
    const goesOn = nextPollAt !== undefined;
    await applied(() =>
      t.doc.send(
        new UpdateCommand({
          TableName: t.name,
          Key: { pk: campaignPk(campaignId), sk: META_SK },
          UpdateExpression: goesOn
            ? 'SET nextPollAt = :next, lastPollAt = :nowMs, polls = if_not_exists(polls, :zero) + :one, funnel = :funnel REMOVE pollOwner, pollUntil'
            : 'SET lastPollAt = :nowMs, polls = if_not_exists(polls, :zero) + :one, funnel = :funnel, trackingEndedAt = :now REMOVE trackPk, nextPollAt, pollOwner, pollUntil',
          ConditionExpression: 'pollOwner = :owner',
          ExpressionAttributeValues: {
            ':owner': owner,
            ':nowMs': nowMs,
            ':zero': 0,
            ':one': 1,
            ':funnel': funnel,
            ...(goesOn ? { ':next': nextPollAt } : { ':now': new Date(nowMs).toISOString() }),
          },
        }),
      ),
    );
  };

// Eventually consistent (half the read cost): a room assigned a moment ago is seen by the next poll.
const listRoomHolders =
  (t: Table): Port['listRoomHolders'] =>
  (campaignId) =>
    queryPrefix<RoomHolder>(t, campaignPk(campaignId), RESPONDENT_PREFIX, {
      filter: { expression: 'attribute_exists(roomId)', values: {} },
      fields: HOLDER_FIELDS,
      eventuallyConsistent: true,
    });

const recordRoomProgress =
  (t: Table): Port['recordRoomProgress'] =>
  async ({ campaignId, sk, observation, nowMs }) => {
    const times = (['startedAt', 'completedAt', 'expiredAt'] as const).filter((f) => observation[f]);
    return applied(() =>
      t.doc.send(
        new UpdateCommand({
          TableName: t.name,
          Key: { pk: campaignPk(campaignId), sk },
          UpdateExpression: [
            'SET roomStatus = :status, roomRank = :rank, updatedAt = :now',
            ...times.map((f) => `${f} = if_not_exists(${f}, :${f})`),
          ].join(', '),
          ConditionExpression:
            'attribute_exists(pk) AND (attribute_not_exists(roomRank) OR roomRank < :rank)',
          ExpressionAttributeValues: {
            ':status': observation.status,
            ':rank': ROOM_RANK[observation.status],
            ':now': new Date(nowMs).toISOString(),
            ...Object.fromEntries(times.map((f) => [`:${f}`, observation[f]])),
          },
        }),
      ),
    );
  };

const recordRoomExpiry =
  (t: Table): Port['recordRoomExpiry'] =>
  async ({ campaignId, sk, expiresAt, nowMs }) =>
    applied(() =>
      t.doc.send(
        new UpdateCommand({
          TableName: t.name,
          Key: { pk: campaignPk(campaignId), sk },
          UpdateExpression: 'SET roomExpiresAt = :expiresAt, updatedAt = :now',
          ConditionExpression: 'attribute_exists(roomId)',
          ExpressionAttributeValues: { ':expiresAt': expiresAt, ':now': new Date(nowMs).toISOString() },
        }),
      ),
    );

/** The tracking port over the table. */
export const dynamoTracking = (t: Table): TrackingPort => ({
  dueCampaigns: dueCampaigns(t),
  claimPoll: claimPoll(t),
  endPoll: endPoll(t),
  listRoomHolders: listRoomHolders(t),
  recordRoomProgress: recordRoomProgress(t),
  recordRoomExpiry: recordRoomExpiry(t),
});
