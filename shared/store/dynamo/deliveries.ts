// SES's reports on respondents (`CAMPAIGN#<id>` / `R#<batch>#<seq>`): one conditional update each, ranked so
// that a duplicate or an older event changes nothing but a missing first time.
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { OUTCOME_RANK, OUTCOME_TIME_FIELD } from '#shared/events/outcome.ts';
import { campaignPk, respondentSk } from '../keys.ts';
import type { DeliveriesPort } from '../ports.ts';
import { applied, type Table } from './table.ts';

type Args = Parameters<DeliveriesPort['recordDelivery']>[0];

const keyOf = (args: Args) => ({ pk: campaignPk(args.campaignId), sk: respondentSk(args.batch, args.seq) });

/** An outcome over a lower rank; else only its first time, if the item exists. */
const recordOutcome = async (t: Table, args: Args & { report: { kind: 'outcome' } }) => {
  const { report } = args;
  const at = { '#at': OUTCOME_TIME_FIELD[report.outcome] };
  const ranked = await applied(() =>
    t.doc.send(
      new UpdateCommand({
        TableName: t.name,
        Key: keyOf(args),
        UpdateExpression:
          'SET delivery = :outcome, deliveryRank = :rank, deliveryReason = :reason, #at = if_not_exists(#at, :at), updatedAt = :now',
        ConditionExpression:
          'attribute_exists(pk) AND (attribute_not_exists(deliveryRank) OR deliveryRank < :rank)',
        ExpressionAttributeNames: at,
        ExpressionAttributeValues: {
          ':outcome': report.outcome,
          ':rank': OUTCOME_RANK[report.outcome],
          ':reason': report.reason ?? report.outcome,
          ':at': report.at,
          ':now': new Date(args.nowMs).toISOString(),
        },
      }),
    ),
  );
  if (ranked) return 'applied' as const;
  // A Delivery after a Complaint still tells when the message was delivered.
  const filled = await applied(() =>
    t.doc.send(
      new UpdateCommand({
        TableName: t.name,
        Key: keyOf(args),
        UpdateExpression: 'SET #at = :at',
        ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(#at)',
        ExpressionAttributeNames: at,
        ExpressionAttributeValues: { ':at': report.at },
      }),
    ),
  );
  return filled || (await exists(t, args)) ? ('stale' as const) : ('missing' as const);
};

/** A delay over an older one. */
const recordDelay = async (t: Table, args: Args & { report: { kind: 'delay' } }) => {
  const ok = await applied(() =>
    t.doc.send(
      new UpdateCommand({
        TableName: t.name,
        Key: keyOf(args),
        UpdateExpression: 'SET delayedAt = :at, delayReason = :reason, updatedAt = :now',
        ConditionExpression: 'attribute_exists(pk) AND (attribute_not_exists(delayedAt) OR delayedAt < :at)',
        ExpressionAttributeValues: {
          ':at': args.report.at,
          ':reason': args.report.reason,
          ':now': new Date(args.nowMs).toISOString(),
        },
      }),
    ),
  );
  if (ok) return 'applied' as const;
  return (await exists(t, args)) ? ('stale' as const) : ('missing' as const);
};

const exists = async (t: Table, args: Args): Promise<boolean> => {
  const result = await t.doc.send(
    new GetCommand({ TableName: t.name, Key: keyOf(args), ProjectionExpression: 'pk', ConsistentRead: true }),
  );
  return result.Item !== undefined;
};

/** The deliveries port over the table. */
export const dynamoDeliveries = (t: Table): DeliveriesPort => ({
  recordDelivery: (args) =>
    args.report.kind === 'outcome'
      ? recordOutcome(t, { ...args, report: args.report })
      : recordDelay(t, { ...args, report: args.report }),
});
