// SES's reports on respondents in memory, with the DynamoDB adapter's conditions (dynamo/deliveries.ts).
import {
  type DeliveryProgress,
  type DeliveryRecordResult,
  type DeliveryReport,
  OUTCOME_RANK,
  OUTCOME_TIME_FIELD,
} from '#shared/events/outcome.ts';
import { campaignPk, respondentSk } from '../keys.ts';
import type { DeliveriesPort } from '../ports.ts';
import type { RespondentItem } from '../types.ts';
import type { MemoryTable } from './table.ts';

type Stored = RespondentItem & DeliveryProgress;

/** The item after the report, and whether the report itself applied (false: at most a first time filled). */
const withReport = (item: Stored, report: DeliveryReport, updatedAt: string): [Stored, boolean] => {
  if (report.kind === 'delay') {
    if (item.delayedAt !== undefined && item.delayedAt >= report.at) return [item, false];
    return [{ ...item, delayedAt: report.at, delayReason: report.reason, updatedAt }, true];
  }
  const field = OUTCOME_TIME_FIELD[report.outcome];
  const rank = OUTCOME_RANK[report.outcome];
  const first = { [field]: item[field] ?? report.at };
  if ((item.deliveryRank ?? 0) >= rank) return [{ ...item, ...first }, false];
  const reason = report.reason ?? report.outcome;
  return [
    { ...item, ...first, delivery: report.outcome, deliveryRank: rank, deliveryReason: reason, updatedAt },
    true,
  ];
};

/** The deliveries port over the memory table. */
export const memoryDeliveries = (table: MemoryTable): DeliveriesPort => ({
  async recordDelivery({ campaignId, batch, seq, report, nowMs }) {
    let result: DeliveryRecordResult = 'missing';
    table.update<Stored>(campaignPk(campaignId), respondentSk(batch, seq), (item) => {
      if (!item) return false;
      const [next, appliedNow] = withReport(item, report, new Date(nowMs).toISOString());
      result = appliedNow ? 'applied' : 'stale';
      return next;
    });
    return result;
  },
});
