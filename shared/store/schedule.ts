// The arithmetic of the account-wide send schedule, shared by the DynamoDB and the in-memory store.

/**
 * One booking on the send schedule, metered as SES meters sends: a bucket `burstMs` deep that a call may
 * overdraw. `previous` is when the bucket is full again (the schedule's end). A call of `count` sends may go
 * once the bucket holds min(its sends, the bucket's size) — `burstMs − that` before `previous` — and moves the
 * end on by its own sends. An idle schedule (`previous` past) restarts at now: idle time is not banked.
 */
export const bookSends = (
  previous: number | undefined,
  now: number,
  count: number,
  msPerSend: number,
  burstMs: number,
): { start: number; nextFree: number } => {
  const span = count * msPerSend;
  const end = previous ?? 0;
  const start = Math.ceil(Math.max(now, end - burstMs + Math.min(span, burstMs)));
  return { start, nextFree: Math.ceil(Math.max(end, start) + span) };
};
