// The campaign record port in memory, with the conditions of the DynamoDB adapter (dynamo/campaigns.ts).
import { RetryableError } from '#shared/errors.ts';
import { campaignRecordItem } from '../items.ts';
import { CAMPAIGN_LIST, campaignPk, META_SK, TRACKING_OPEN } from '../keys.ts';
import { decodeCursor, encodeCursor, listed, newestFirst } from '../list.ts';
import { type CampaignsPort, LeaseLostError } from '../ports.ts';
import { CANCELLABLE, type CampaignRecord } from '../types.ts';
import { nextUpload, startVerdict, tagsAfter, uploadTagOf } from '../uploads.ts';
import type { MemoryTable } from './table.ts';

type Port = CampaignsPort;

const iso = (nowMs: number) => new Date(nowMs).toISOString();

/** Changes a campaign record when `change` allows it (false: its condition failed). */
const change = (t: MemoryTable, campaignId: string, fn: (r: CampaignRecord) => CampaignRecord | false) =>
  t.update<CampaignRecord>(campaignPk(campaignId), META_SK, (r) => (r ? fn(r) : false));

/** The error DynamoDB raises for a failed condition, so callers see the same failure from both stores. */
export const conditionFailed = (what: string): Error =>
  Object.assign(new Error(`The conditional request failed: ${what}`), {
    name: 'ConditionalCheckFailedException',
  });

/** The record with `pause` set, or removed (false: nothing to change). */
const withPause = (r: CampaignRecord, pause: CampaignRecord['pause']): CampaignRecord | false => {
  if (pause) return { ...r, pause };
  if (!r.pause) return false;
  const { pause: _, ...rest } = r;
  return rest as CampaignRecord;
};

const leaseLost = (campaignId: string) =>
  new LeaseLostError(`ingest lease of campaign ${campaignId} was taken over`);

const startIngest =
  (t: MemoryTable): Port['startIngest'] =>
  async (args) => {
    const record = campaignRecordItem({ ...args, expiresAt: t.expiresAt(args.nowMs) });
    if (t.put(record, { ifAbsent: true })) return { outcome: 'created', record };
    const existing = t.get<CampaignRecord>(record.pk, META_SK);
    if (!existing) throw new RetryableError(`campaign ${args.campaignId} vanished while starting its ingest`);
    const verdict = startVerdict(existing, uploadTagOf(args.source), args.owner, args.nowMs);
    if (verdict === 'done' || verdict === 'busy' || verdict === 'closed') {
      return { outcome: verdict, record: existing };
    }
    const lease = {
      leaseOwner: args.owner,
      leaseUntil: args.nowMs + args.leaseMs,
      updatedAt: iso(args.nowMs),
    };
    if (verdict === 'take-over') {
      const taken = { ...existing, ...lease };
      t.put(taken);
      return { outcome: 'taken-over', record: taken };
    }
    const upload = nextUpload(existing, args.source, args.nowMs);
    const { failureReason: _, uploadFailure: __, ...rest } = existing;
    const reopened: CampaignRecord = {
      ...rest,
      ...lease,
      status: 'ingesting',
      source: args.source,
      upload,
      uploadTags: tagsAfter(existing, upload.tag),
      checkpoint: upload.firstBatch,
      expiresAt: t.expiresAt(args.nowMs),
    };
    t.put(reopened);
    return { outcome: 'reopened', record: reopened };
  };

const finishIngest =
  (t: MemoryTable): Port['finishIngest'] =>
  async ({ campaignId, owner, nowMs, counts, chunks, empty = counts.accepted === 0, columns = '' }) => {
    const add = (a: number | undefined, b: number) => (a ?? 0) + b;
    const done = change(t, campaignId, (r) => {
      if (r.leaseOwner !== owner) return false;
      // A poll that began before this upload must not end the tracking opened here: its end finds no owner.
      const { leaseOwner: _, leaseUntil: __, pollOwner: _p, pollUntil: _u, ...rest } = r;
      return {
        ...rest,
        rows: add(r.rows, counts.rows),
        accepted: add(r.accepted, counts.accepted),
        rejected: add(r.rejected, counts.rejected),
        duplicates: add(r.duplicates, counts.duplicates),
        suppressed: add(r.suppressed, counts.suppressed),
        batches: counts.batches,
        listPk: CAMPAIGN_LIST,
        ...(chunks === undefined ? {} : { chunks }),
        columns,
        status: empty ? 'completed' : 'enqueued',
        checkpoint: counts.batches,
        enqueuedAt: iso(nowMs),
        updatedAt: iso(nowMs),
        ...(empty ? { completedAt: iso(nowMs) } : { trackPk: TRACKING_OPEN, nextPollAt: nowMs }),
      };
    });
    if (!done) throw leaseLost(campaignId);
    return done;
  };

const tallyBatch =
  (t: MemoryTable): Port['tallyBatch'] =>
  async ({ campaignId, batch, tally, nowMs }) => {
    const applied = change(t, campaignId, (r) => {
      if (r.doneBatches?.has(String(batch))) return false;
      return {
        ...r,
        batchesDone: (r.batchesDone ?? 0) + 1,
        emailed: (r.emailed ?? 0) + tally.emailed,
        failed: (r.failed ?? 0) + tally.failed,
        deadLettered: (r.deadLettered ?? 0) + tally.deadLettered,
        roomsCancelled: (r.roomsCancelled ?? 0) + tally.roomsCancelled,
        doneBatches: new Set([...(r.doneBatches ?? []), String(batch)]),
        updatedAt: iso(nowMs),
      };
    });
    return applied
      ? { applied: true, record: applied }
      : { applied: false, record: t.get<CampaignRecord>(campaignPk(campaignId), META_SK) };
  };

const cancelCampaign =
  (t: MemoryTable): Port['cancelCampaign'] =>
  async ({ campaignId, revokeUnstarted, nowMs }) => {
    const record = change(t, campaignId, (r) =>
      CANCELLABLE.includes(r.status)
        ? {
            ...r,
            status: 'cancelled',
            cancelledAt: r.cancelledAt ?? iso(nowMs),
            updatedAt: iso(nowMs),
            ...(revokeUnstarted ? { revokeUnstarted: true } : {}),
          }
        : false,
    );
    return record
      ? { cancelled: true, record }
      : { cancelled: false, record: t.get<CampaignRecord>(campaignPk(campaignId), META_SK) };
  };

const renewIngestLease =
  (t: MemoryTable): Port['renewIngestLease'] =>
  async ({ campaignId, owner, leaseUntil, checkpoint, settings }) => {
    const renewed = change(t, campaignId, (r) =>
      r.leaseOwner === owner
        ? {
            ...r,
            leaseUntil,
            ...(checkpoint !== undefined ? { checkpoint } : {}),
            ...(settings ? { settings } : {}),
          }
        : false,
    );
    if (!renewed) throw leaseLost(campaignId);
  };

const failCampaign =
  (t: MemoryTable): Port['failCampaign'] =>
  async ({ campaignId, owner, reason, nowMs, restore }) => {
    const failed = change(t, campaignId, ({ leaseOwner, leaseUntil: _, ...r }) =>
      leaseOwner === owner
        ? {
            ...r,
            status: restore ?? 'failed',
            ...(restore ? { uploadFailure: reason } : { failureReason: reason }),
            updatedAt: iso(nowMs),
          }
        : false,
    );
    if (!failed) throw conditionFailed('the ingest lease is not ours');
  };

/** One page of the list, newest first; the cursor is where the page ended, as the index's would be. */
const listCampaigns =
  (t: MemoryTable): Port['listCampaigns'] =>
  async ({ limit, next }) => {
    const all = t
      .scan<CampaignRecord>((item) => item.type === 'campaign' && item.listPk === CAMPAIGN_LIST)
      .sort(newestFirst);
    const after = next ? decodeCursor(next) : undefined;
    const start = after ? all.findIndex((r) => newestFirst(r, after as unknown as CampaignRecord) > 0) : 0;
    const page = all.slice(start < 0 ? all.length : start, (start < 0 ? all.length : start) + limit);
    const last = page.at(-1);
    const more = last !== undefined && all.indexOf(last) < all.length - 1;
    return {
      campaigns: page.map(listed),
      ...(more
        ? {
            next: encodeCursor({
              createdAt: last.createdAt,
              listPk: CAMPAIGN_LIST,
              pk: last.pk,
              sk: last.sk,
            }),
          }
        : {}),
    };
  };

/** The campaign record port in memory. */
export const memoryCampaigns = (t: MemoryTable): CampaignsPort => ({
  getCampaign: async (campaignId) => t.get<CampaignRecord>(campaignPk(campaignId), META_SK),
  listCampaigns: listCampaigns(t),
  startIngest: startIngest(t),
  renewIngestLease: renewIngestLease(t),
  failCampaign: failCampaign(t),
  finishIngest: finishIngest(t),
  tallyBatch: tallyBatch(t),
  completeCampaign: async (campaignId, nowMs) =>
    change(t, campaignId, (r) =>
      r.status === 'enqueued' && (r.batchesDone ?? 0) >= (r.batches ?? Number.POSITIVE_INFINITY)
        ? { ...r, status: 'completed', completedAt: iso(nowMs), updatedAt: iso(nowMs) }
        : false,
    ) !== false,
  cancelCampaign: cancelCampaign(t),
  async addCounts(campaignId, counts) {
    const entries = Object.entries(counts).filter(([, value]) => value) as Array<
      [keyof CampaignRecord, number]
    >;
    if (entries.length === 0) return;
    const added = change(t, campaignId, (r) => {
      const next = { ...r } as Record<string, unknown>;
      for (const [name, value] of entries) next[name] = ((next[name] as number | undefined) ?? 0) + value;
      return next as unknown as CampaignRecord;
    });
    if (!added) throw conditionFailed(`no campaign ${campaignId}`);
  },
  async setPause(campaignId, pause) {
    change(t, campaignId, (r) => withPause(r, pause));
  },
  async countCreatedRooms(campaignId, intentId, rooms) {
    change(t, campaignId, (r) =>
      r.createIntents?.has(intentId)
        ? false
        : {
            ...r,
            roomsCreated: (r.roomsCreated ?? 0) + rooms,
            createIntents: new Set([...(r.createIntents ?? []), intentId]),
          },
    );
  },
});
