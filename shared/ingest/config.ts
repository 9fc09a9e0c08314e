// The ingest's sizes and timings: every default in one place.
import { MAX_ROOMS_PER_CREATE } from '#shared/aseed/schemas.ts';

/** Respondents per batch (= per SQS message = per create call at most, hence the API's limit: 100). */
export const BATCH_SIZE = MAX_ROOMS_PER_CREATE;
/** Rejected and duplicate rows kept per report chunk item. */
export const REJECTED_CHUNK_SIZE = 100;
/** Batches stored and enqueued together: 20 records fill most of one BatchWriteItem (25), two SendMessageBatch. */
export const GROUP_BATCHES = 20;
/** Longest email / reason kept for a rejected row (rows can carry megabytes of garbage). */
export const MAX_KEPT = 500;
/** Largest JSON of one batch-record part: well below DynamoDB's 400 KB item limit, keys included. */
export const MAX_PART_BYTES = 300_000;
/** Least time between two checkpoint writes: a resumed ingest redoes at most this much (idempotently). */
export const CHECKPOINT_EVERY_MS = 2000;
/** Ingest lease length; renewed while the ingest makes progress. */
export const DEFAULT_INGEST_LEASE_MS = 60_000;
