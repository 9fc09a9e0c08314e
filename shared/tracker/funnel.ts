// The funnel snapshot a poll leaves on its campaign record, so the console's list shows each campaign's
// funnel without reading every respondent of every campaign. It is counted from the room holders the poll
// reads anyway (every respondent SES could have accepted an email for holds a room: the room is stored before
// the first send), through the report's own journey and funnelOf, so it matches the campaign page's funnel.
import { journeyOf } from '#shared/events/journey.ts';
import { type FunnelSnapshot, funnelOf } from '#shared/report/funnel.ts';
import type { RoomHolder } from '#shared/store/types.ts';

/** The funnel of a campaign's room holders (this poll's moves applied), as of `atMs`. */
export const funnelSnapshotOf = (holders: readonly RoomHolder[], atMs: number): FunnelSnapshot => ({
  ...funnelOf(
    holders.map((h) => ({
      status: journeyOf(h).status,
      delivered_at: h.deliveredAt ?? '',
      started_at: h.startedAt ?? '',
    })),
  ),
  at: new Date(atMs).toISOString(),
});
