// Rows into batches: accepted rows grouped by room settings into batches of ≤ 100, rejected rows into report
// chunks; each group of batches recorded, then enqueued, then checkpointed, while parsing goes on.
import type { InviteMessage } from '#shared/campaign/messages.ts';
import { roomKeyOf, roomParamsFor } from '#shared/campaign/rooms.ts';
import { type CampaignSettings, languageFor } from '#shared/campaign/settings.ts';
import type { ParsedRow } from '#shared/csv/parse.ts';
import type { NewBatch } from '#shared/store/items.ts';
import type { IngestedRespondent, RejectedRow, SuppressionEntry, UploadRound } from '#shared/store/types.ts';
import {
  BATCH_SIZE,
  CHECKPOINT_EVERY_MS,
  GROUP_BATCHES,
  MAX_KEPT,
  MAX_PART_BYTES,
  REJECTED_CHUNK_SIZE,
} from './config.ts';
import type { IngestStore, InviteQueue } from './ports.ts';
import { suppressedReason } from './screen.ts';
import { alreadyReason, type PriorRespondent } from './uploads.ts';

type AcceptedRow = Extract<ParsedRow, { kind: 'accepted' }>;

/** Where the writer writes, and the ingest it writes for. */
export interface WriterContext {
  store: IngestStore;
  queue: InviteQueue;
  campaignId: string;
  owner: string;
  /** Batches below this were written and enqueued before a crash: skipped. */
  checkpoint: number;
  /** The upload being ingested: its number marks its rows, its batches and chunks number on from the last. */
  upload: Pick<UploadRound, 'number' | 'firstBatch' | 'firstChunk'>;
  leaseMs: number;
  clock: () => number;
}

/**
 * A batch's respondents as UTF-8 JSON, in as few parts as fit {@link MAX_PART_BYTES} each: one JSON.stringify
 * of the whole batch, halved only when rows with many long columns make it too large (rare).
 */
export const encodeParts = (respondents: IngestedRespondent[]): Buffer[] => {
  const json = Buffer.from(JSON.stringify(respondents));
  if (json.length <= MAX_PART_BYTES || respondents.length === 1) return [json];
  const half = Math.ceil(respondents.length / 2);
  return [...encodeParts(respondents.slice(0, half)), ...encodeParts(respondents.slice(half))];
};

const truncate = (value: string | undefined) =>
  value === undefined ? undefined : value.length > MAX_KEPT ? `${value.slice(0, MAX_KEPT)}…` : value;

/** A rejected or duplicate row as the report keeps it. */
export const rejectedRowOf = (row: Exclude<ParsedRow, AcceptedRow>): RejectedRow =>
  row.kind === 'rejected'
    ? {
        line: row.line,
        kind: 'rejected',
        reason: truncate(row.reason) ?? '',
        ...(row.email ? { email: truncate(row.email) } : {}),
      }
    : {
        line: row.line,
        kind: 'duplicate',
        email: truncate(row.email),
        reason: `duplicate of line ${row.firstLine}`,
      };

/** A row whose address is on the suppression list, as the report keeps it: why, since when, from where. */
export const suppressedRowOf = (row: AcceptedRow, entry: SuppressionEntry): RejectedRow => ({
  line: row.line,
  kind: 'suppressed',
  email: truncate(row.respondent.email),
  reason: suppressedReason(
    entry.detail === undefined ? entry : { ...entry, detail: truncate(entry.detail) ?? '' },
  ),
});

/** A row whose address is in the campaign from an earlier upload: reported, invited no second time. */
export const alreadyRowOf = (row: AcceptedRow, prior: PriorRespondent): RejectedRow => ({
  line: row.line,
  kind: 'duplicate',
  email: truncate(row.respondent.email),
  reason: alreadyReason(prior),
});

/**
 * Accepted rows as the batch record keeps them; empty name/language are left out, as the item leaves them,
 * and so is the upload number of a first upload.
 */
const ingestedOf = (rows: AcceptedRow[], upload: number): IngestedRespondent[] =>
  rows.map((row, seq) => {
    const { email, name, language, fields } = row.respondent;
    const respondent: IngestedRespondent = { seq, line: row.line, email, fields };
    if (upload > 1) respondent.upload = upload;
    if (name) respondent.name = name;
    if (language) respondent.language = language;
    return respondent;
  });

/**
 * Groups accepted rows per room-settings key (flushing a group at 100), numbers batches in flush order
 * (deterministic for a given file, so a resumed ingest recomputes the same keys), and per 20 batches records
 * them (one item per batch, not one per respondent), enqueues them and records the checkpoint.
 */
export class BatchWriter {
  private readonly groups = new Map<string, AcceptedRow[]>();
  private pending: NewBatch[] = [];
  /** Room-settings key per language value: hashing the settings on every row costs more than parsing it. */
  private readonly roomKeys = new Map<string | undefined, string>();
  /** The previous group's record → enqueue → checkpoint, running while the next group is parsed. */
  private inFlight: Promise<void> = Promise.resolve();
  private checkpointedAt: number;
  private rejected: RejectedRow[] = [];
  private nextBatch: number;
  private nextChunk: number;
  private leaseRenewedAt: number;

  constructor(
    private readonly ctx: WriterContext,
    private readonly settings: CampaignSettings,
  ) {
    this.leaseRenewedAt = ctx.clock();
    this.checkpointedAt = ctx.clock();
    this.nextBatch = ctx.upload.firstBatch;
    this.nextChunk = ctx.upload.firstChunk;
  }

  /** A rejected row as this upload reports it (rows of a later upload say which upload). */
  private report(row: RejectedRow): void {
    this.rejected.push(this.ctx.upload.number > 1 ? { ...row, upload: this.ctx.upload.number } : row);
  }

  /** Adds one row; returns a promise only when it filled a batch or a chunk, or the lease is due. */
  add(row: ParsedRow): Promise<void> | undefined {
    let flushing: Promise<void> | undefined;
    if (row.kind === 'accepted') flushing = this.addAccepted(row);
    else {
      this.report(rejectedRowOf(row));
      if (this.rejected.length >= REJECTED_CHUNK_SIZE) flushing = this.flushRejected();
    }
    // A long run of rejected rows writes nothing to the lease: keep it alive anyway.
    if (this.ctx.clock() - this.leaseRenewedAt > this.ctx.leaseMs / 3) flushing = this.renewAfter(flushing);
    return flushing;
  }

  /** Adds an accepted row whose address is suppressed: reported, given no room. */
  addSuppressed(row: AcceptedRow, entry: SuppressionEntry): Promise<void> | undefined {
    this.report(suppressedRowOf(row, entry));
    return this.rejected.length >= REJECTED_CHUNK_SIZE ? this.flushRejected() : undefined;
  }

  /** Adds an accepted row whose address came in with an earlier upload: reported, given no room. */
  addAlready(row: AcceptedRow, prior: PriorRespondent): Promise<void> | undefined {
    this.report(alreadyRowOf(row, prior));
    return this.rejected.length >= REJECTED_CHUNK_SIZE ? this.flushRejected() : undefined;
  }

  private addAccepted(row: AcceptedRow): Promise<void> | undefined {
    const language = row.respondent.language;
    let key = this.roomKeys.get(language);
    if (key === undefined) {
      key = roomKeyOf(roomParamsFor(this.settings, languageFor(this.settings, language).roomLanguage));
      this.roomKeys.set(language, key);
    }
    let group = this.groups.get(key);
    if (group === undefined) {
      group = [];
      this.groups.set(key, group);
    }
    group.push(row);
    if (group.length < BATCH_SIZE) return undefined;
    this.groups.delete(key);
    return this.flushBatch(key, group);
  }

  private async renewAfter(flushing: Promise<void> | undefined): Promise<void> {
    await flushing;
    await this.inFlight;
    await this.renew();
  }

  /** Flushes the remainders; returns the campaign's batches and rejected-row chunks so far. */
  async finish(): Promise<{ batches: number; chunks: number }> {
    for (const [key, group] of this.groups) await this.flushBatch(key, group);
    this.groups.clear();
    await this.flushRejected();
    await this.sendPending();
    await this.inFlight;
    return { batches: this.nextBatch, chunks: this.nextChunk };
  }

  private async flushBatch(roomKey: string, rows: AcceptedRow[]): Promise<void> {
    const batch = this.nextBatch++;
    if (batch < this.ctx.checkpoint) return; // recorded and enqueued before the crash
    this.pending.push({
      campaignId: this.ctx.campaignId,
      batch,
      roomKey,
      parts: encodeParts(ingestedOf(rows, this.ctx.upload.number)),
    });
    if (this.pending.length >= GROUP_BATCHES) await this.sendPending();
  }

  private async flushRejected(): Promise<void> {
    if (this.rejected.length === 0) return;
    const rows = this.rejected;
    this.rejected = [];
    // Same file → same chunk content: an overwrite by a resumed ingest is harmless.
    await this.ctx.store.writeRejected(
      { campaignId: this.ctx.campaignId, chunk: this.nextChunk++, rows },
      this.ctx.clock(),
    );
  }

  /**
   * Starts recording and enqueueing the pending group once the previous group is done, and returns while it
   * runs, so parsing goes on meanwhile (one group in flight; its failure surfaces at the next call).
   */
  private async sendPending(): Promise<void> {
    await this.inFlight;
    if (this.pending.length === 0) return;
    const batches = this.pending;
    this.pending = [];
    this.inFlight = (async () => {
      // A batch's record is stored before its message exists, so the invite side always finds it.
      await this.ctx.store.writeBatches(batches, this.ctx.clock());
      const messages: InviteMessage[] = batches.map(({ campaignId, batch }) => ({ campaignId, batch }));
      await this.ctx.queue.send(messages);
      if (this.ctx.clock() - this.checkpointedAt >= CHECKPOINT_EVERY_MS) {
        this.checkpointedAt = this.ctx.clock();
        await this.renew(Math.max(...batches.map((b) => b.batch)) + 1);
      }
    })();
    // Marked handled here; the error is rethrown by the next `await this.inFlight`.
    this.inFlight.catch(() => {});
  }

  /** Waits for the group in flight, ignoring its outcome (before failing the campaign). */
  async settle(): Promise<void> {
    await this.inFlight.catch(() => {});
  }

  private async renew(checkpoint?: number): Promise<void> {
    this.leaseRenewedAt = this.ctx.clock();
    await this.ctx.store.renewIngestLease({
      campaignId: this.ctx.campaignId,
      owner: this.ctx.owner,
      leaseUntil: this.leaseRenewedAt + this.ctx.leaseMs,
      ...(checkpoint !== undefined ? { checkpoint } : {}),
    });
  }
}
