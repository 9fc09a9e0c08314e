// Room tracking in memory, with the DynamoDB adapter's conditions (dynamo/tracking.ts).
import { ROOM_RANK } from '#shared/tracker/progress.ts';
import { campaignPk, META_SK, RESPONDENT_PREFIX, TRACKING_OPEN } from '../keys.ts';
import type { TrackingPort } from '../ports.ts';
import type { CampaignRecord, RespondentItem } from '../types.ts';
import type { MemoryTable } from './table.ts';

const changeCampaign = (t: MemoryTable, id: string, fn: (r: CampaignRecord) => CampaignRecord | false) =>
  t.update<CampaignRecord>(campaignPk(id), META_SK, (r) => (r ? fn(r) : false));

/** The tracking port over the memory table. */
export const memoryTracking = (t: MemoryTable): TrackingPort => ({
  async dueCampaigns(nowMs, limit) {
    return t
      .scan<CampaignRecord>(
        (i) => i.sk === META_SK && i.trackPk === TRACKING_OPEN && Number(i.nextPollAt) <= nowMs,
      )
      .sort((a, b) => (a.nextPollAt ?? 0) - (b.nextPollAt ?? 0))
      .slice(0, limit)
      .map((r) => r.campaignId);
  },
  async claimPoll({ campaignId, owner, nowMs, leaseMs }) {
    const claimed = changeCampaign(t, campaignId, (r) => {
      const due = r.trackPk === TRACKING_OPEN && (r.nextPollAt ?? Infinity) <= nowMs;
      if (!due || (r.pollUntil !== undefined && r.pollUntil >= nowMs)) return false;
      return { ...r, pollOwner: owner, pollUntil: nowMs + leaseMs };
    });
    return claimed || undefined;
  },
  async endPoll({ campaignId, owner, nowMs, nextPollAt, funnel }) {
    changeCampaign(t, campaignId, (r) => {
      if (r.pollOwner !== owner) return false;
      const { pollOwner: _o, pollUntil: _u, trackPk: _t, nextPollAt: _n, ...rest } = r;
      const base = { ...rest, lastPollAt: nowMs, polls: (r.polls ?? 0) + 1, funnel: { ...funnel } };
      return nextPollAt === undefined
        ? { ...base, trackingEndedAt: new Date(nowMs).toISOString() }
        : { ...base, trackPk: TRACKING_OPEN, nextPollAt };
    });
  },
  async listRoomHolders(campaignId) {
    return t
      .query<RespondentItem>(campaignPk(campaignId), RESPONDENT_PREFIX)
      .filter((r) => r.type === 'respondent' && r.roomId !== undefined);
  },
  async recordRoomProgress({ campaignId, sk, observation, nowMs }) {
    const rank = ROOM_RANK[observation.status];
    const changed = t.update<RespondentItem>(campaignPk(campaignId), sk, (r) => {
      if (!r || (r.roomRank ?? 0) >= rank) return false;
      return {
        ...r,
        roomStatus: observation.status,
        roomRank: rank,
        updatedAt: new Date(nowMs).toISOString(),
        startedAt: r.startedAt ?? observation.startedAt,
        completedAt: r.completedAt ?? observation.completedAt,
        expiredAt: r.expiredAt ?? observation.expiredAt,
      };
    });
    return changed !== false;
  },
  async recordRoomExpiry({ campaignId, sk, expiresAt, nowMs }) {
    const changed = t.update<RespondentItem>(campaignPk(campaignId), sk, (r) =>
      r?.roomId ? { ...r, roomExpiresAt: expiresAt, updatedAt: new Date(nowMs).toISOString() } : false,
    );
    return changed !== false;
  },
});
