// The tracker use case: each due campaign's rooms polled from the Aseed API (a few list calls per project,
// never one per room), mapped to respondents by room id, and only what moved written. The poll holds its
// campaign by a lease, and every write is rank-guarded, so a crashed or concurrent poll loses or doubles
// nothing: the next poll reads the same lists and writes only what is still missing.
import { randomUUID } from 'node:crypto';
import type { AseedClient } from '#shared/aseed/client.ts';
import type { FollowUpSettings } from '#shared/campaign/follow-ups.ts';
import type { InviteQueue } from '#shared/ingest/ports.ts';
import { type AppLogger, errorFields, silentLogger } from '#shared/log.ts';
import { mapLimit } from '#shared/store/concurrency.ts';
import type { TrackingPort } from '#shared/store/ports.ts';
import type { CampaignRecord, RoomHolder } from '#shared/store/types.ts';
import { DEFAULT_TRACKER_CONFIG, pollIntervalMs, type TrackerConfig } from './config.ts';
import { followUpMessages, roomsToExtend, withMoves } from './follow-ups.ts';
import { funnelSnapshotOf } from './funnel.ts';
import { isNews, observationOf, ROOM_RANK, type RoomObservation, TRACKED_API_STATUSES } from './progress.ts';

/** What the tracker needs. */
export interface TrackerDeps {
  store: TrackingPort;
  aseed: Pick<AseedClient, 'listRooms' | 'updateRoom'>;
  /** The invite queue: due reminders and thank-yous go to the invite side as messages. */
  queue: InviteQueue;
  logger?: AppLogger;
  /** Epoch ms (the local runtime passes its simulated clock). */
  clock?: () => number;
  newId?: () => string;
  config?: Partial<TrackerConfig>;
}

/** What one campaign's poll did. */
export type PollResult =
  | {
      campaignId: string;
      outcome: 'polled' | 'finished';
      listCalls: number;
      changed: number;
      open: number;
      /** Follow-up messages handed to the invite side, and rooms whose expiry was moved. */
      enqueued: number;
      extended: number;
    }
  | { campaignId: string; outcome: 'busy' }
  | { campaignId: string; outcome: 'failed'; error: string };

/** Rooms of one project by id, as the tracked lists show them, and the calls that read them. */
interface ProjectRooms {
  rooms: Map<string, RoomObservation>;
  listCalls: number;
}

interface Run {
  deps: TrackerDeps;
  config: TrackerConfig;
  logger: AppLogger;
  clock: () => number;
  owner: string;
  /** One read per project per invocation, shared by its campaigns. */
  projects: Map<string, Promise<ProjectRooms>>;
}

/** Polls every due campaign (a few at a time); one campaign's failure is logged and never stops the others. */
export const pollDueCampaigns = async (deps: TrackerDeps): Promise<PollResult[]> => {
  const run: Run = {
    deps,
    config: { ...DEFAULT_TRACKER_CONFIG, ...deps.config },
    logger: deps.logger ?? silentLogger,
    clock: deps.clock ?? Date.now,
    owner: (deps.newId ?? randomUUID)(),
    projects: new Map(),
  };
  const due = await deps.store.dueCampaigns(run.clock(), run.config.campaignsPerRun);
  return mapLimit(due, run.config.campaignsInParallel, async (campaignId) => {
    try {
      return await pollCampaign(run, campaignId);
    } catch (error) {
      // Its lease runs out and it stays due: the next invocation polls it again.
      run.logger.error('room poll failed', { campaignId, ...errorFields(error) });
      return { campaignId, outcome: 'failed', error: error instanceof Error ? error.message : String(error) };
    }
  });
};

/** One campaign's poll under its lease: lists, changes written, the next poll booked (or tracking ended). */
const pollCampaign = async (run: Run, campaignId: string): Promise<PollResult> => {
  const { store } = run.deps;
  const record = await store.claimPoll({
    campaignId,
    owner: run.owner,
    nowMs: run.clock(),
    leaseMs: run.config.leaseMs,
  });
  if (!record) return { campaignId, outcome: 'busy' };
  const projectId = String(record.settings?.projectId ?? '');
  const readAt = run.clock();
  const [project, holders] = await Promise.all([
    roomsOfProject(run, projectId),
    store.listRoomHolders(campaignId),
  ]);
  const moves = holders.flatMap((holder) => {
    const observation = holder.roomId ? project.rooms.get(holder.roomId) : undefined;
    return observation && !holder.roomCancelled && isNews(holder, observation)
      ? [{ holder, observation }]
      : [];
  });
  const written = await mapLimit(moves, run.config.writesInParallel, ({ holder, observation }) =>
    store.recordRoomProgress({ campaignId, sk: holder.sk, observation, nowMs: run.clock() }),
  );
  const open = holders.filter((h) => isOpen(h, project.rooms)).length;
  const current = withMoves(holders, moves);
  // Before the poll ends: a failed enqueue fails the poll, and the next one, same lastPollAt, sends it again.
  const followUps = await followUpsOf(run, record, current, moves, open === 0);
  const nextPollAt = nextPollOf(run, record, holders, open);
  // Every poll, changed or not: endPoll is a write each poll makes anyway, so the snapshot costs no request,
  // and `at` stays true (SES outcomes between polls show up although no room moved). Under the poll lease like
  // the rest of endPoll, a poll that lost its campaign cannot put an older snapshot over a newer one; the last
  // poll (tracking ends) leaves the final one.
  const funnel = funnelSnapshotOf(current, readAt);
  await store.endPoll({ campaignId, owner: run.owner, nowMs: run.clock(), nextPollAt, funnel });
  const changed = written.filter(Boolean).length;
  const outcome = nextPollAt === undefined ? 'finished' : 'polled';
  run.logger.info(outcome === 'finished' ? 'room tracking finished' : 'rooms polled', {
    campaignId,
    listCalls: project.listCalls,
    holders: holders.length,
    changed,
    open,
    ...followUps,
  });
  return { campaignId, outcome, listCalls: project.listCalls, changed, open, ...followUps };
};

/** The poll's follow-up work: pending rooms kept open for their reminders, then due follow-ups enqueued. */
const followUpsOf = async (
  run: Run,
  record: CampaignRecord,
  holders: RoomHolder[],
  moves: ReadonlyArray<{ holder: RoomHolder; observation: RoomObservation }>,
  last: boolean,
): Promise<{ enqueued: number; extended: number }> => {
  // A cancelled campaign sends nothing more and keeps no room open longer.
  if (record.status === 'cancelled') return { enqueued: 0, extended: 0 };
  const settings = { reminders: [], ...record.settings } as FollowUpSettings;
  const nowMs = run.clock();
  const extended = await extendRooms(
    run,
    record.campaignId,
    roomsToExtend(settings, holders, nowMs, run.config.extensionsPerPoll),
  );
  const current = holders.map((h) => {
    const expiresAt = extended.get(h.sk);
    return expiresAt ? { ...h, roomExpiresAt: expiresAt } : h;
  });
  const completedNow = new Set(
    moves.filter((m) => m.observation.status === 'completed').map((m) => m.holder.sk),
  );
  const messages = followUpMessages({
    campaignId: record.campaignId,
    settings,
    holders: current,
    completedNow,
    nowMs,
    lastPollAt: record.lastPollAt,
    paused: record.pause !== undefined,
    last,
  });
  if (messages.length > 0) await run.deps.queue.send(messages);
  return { enqueued: messages.length, extended: extended.size };
};

/** Moves each room's `expires_at` (PATCH) and records it; one the API refuses (no longer pending) is left. */
const extendRooms = async (
  run: Run,
  campaignId: string,
  extensions: ReturnType<typeof roomsToExtend>,
): Promise<Map<string, string>> => {
  const done = new Map<string, string>();
  await mapLimit(extensions, run.config.writesInParallel, async ({ holder, expiresAt }) => {
    try {
      await run.deps.aseed.updateRoom(holder.roomId as string, { expires_at: expiresAt });
      await run.deps.store.recordRoomExpiry({ campaignId, sk: holder.sk, expiresAt, nowMs: run.clock() });
      done.set(holder.sk, expiresAt);
    } catch (error) {
      // The next poll tries again while the room is pending; one that started needs no reminder.
      run.logger.warn("could not move a room's expiry", {
        campaignId,
        respondent: holder.sk,
        ...errorFields(error),
      });
    }
  });
  return done;
};

/** The project's rooms in each tracked status: one list call per status, once per invocation. */
const roomsOfProject = (run: Run, projectId: string): Promise<ProjectRooms> => {
  let found = run.projects.get(projectId);
  if (!found) {
    found = (async () => {
      const statuses = Object.keys(TRACKED_API_STATUSES);
      const lists = await Promise.all(
        statuses.map((status) => run.deps.aseed.listRooms({ projectId, status })),
      );
      const rooms = new Map<string, RoomObservation>();
      for (const room of lists.flat()) {
        const observation = observationOf(room);
        if (observation) rooms.set(room.id, observation);
      }
      return { rooms, listCalls: statuses.length };
    })();
    // A failed read is not cached: another campaign of the project may try again.
    found.catch(() => run.projects.delete(projectId));
    run.projects.set(projectId, found);
  }
  return found;
};

/** True while the holder's room may still move: not cancelled and not completed or expired. */
const isOpen = (holder: RoomHolder, rooms: ReadonlyMap<string, RoomObservation>): boolean => {
  if (holder.roomCancelled) return false;
  const seen = holder.roomId ? rooms.get(holder.roomId) : undefined;
  const rank = Math.max(holder.roomRank ?? 0, seen ? ROOM_RANK[seen.status] : 0);
  return rank < ROOM_RANK.completed;
};

/**
 * The next poll: sooner while the campaign is fresh; none once sending is over and every room is done, or
 * a grace period after the last room's expiry (an interview that never reported its end stops no campaign).
 */
const nextPollOf = (
  run: Run,
  record: CampaignRecord,
  holders: readonly RoomHolder[],
  open: number,
): number | undefined => {
  const nowMs = run.clock();
  const sendingOver = record.status !== 'ingesting' && record.status !== 'enqueued';
  if (sendingOver && open === 0) return undefined;
  const lastExpiry = Math.max(...holders.map((h) => (h.roomExpiresAt ? Date.parse(h.roomExpiresAt) : 0)));
  if (sendingOver && lastExpiry > 0 && nowMs > lastExpiry + run.config.graceAfterExpiryMs) return undefined;
  const since = Date.parse(record.enqueuedAt ?? record.createdAt);
  return nowMs + pollIntervalMs(run.config, nowMs - since);
};
