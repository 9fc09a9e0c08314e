// Follow-up claims and settles as single conditional updates: the claim's condition is the eligibility of
// shared/invite/follow-up.ts (followUpEligible) and the lease, so a duplicate or late delivery sends nothing.
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { FollowUpKind } from '#shared/campaign/follow-ups.ts';
import type { FollowUpOutcome, FollowUpSend } from '#shared/invite/follow-up.ts';
import { campaignPk } from '../keys.ts';
import type { FollowUpsPort, RespondentRef } from '../ports.ts';
import type { RespondentItem } from '../types.ts';
import { applied, type Table, unlessConditionFails } from './table.ts';

/** The condition under which a respondent may get follow-up `kind` (followUpEligible, as an expression). */
const ELIGIBLE =
  '#state = :emailed AND (attribute_not_exists(roomCancelled) OR roomCancelled = :no) ' +
  'AND (attribute_not_exists(followUpsStopped) OR followUpsStopped = :no) ' +
  'AND (attribute_not_exists(delivery) OR delivery = :delivered)';
const ELIGIBLE_FOR = (kind: FollowUpKind) =>
  kind === 'thanks' ? 'roomStatus = :completed' : 'attribute_not_exists(roomRank)';
/** Never claimed, or left by an attempt whose lease ran out (or this attempt's own, repeated). */
const OPEN =
  '(attribute_not_exists(#k) OR (#k.#state = :sending AND (#k.#until < :nowMs OR #k.#attempt = :attempt)))';

const key = (ref: RespondentRef) => ({ pk: campaignPk(ref.campaignId), sk: ref.sk });

const claimFollowUp =
  (t: Table): FollowUpsPort['claimFollowUp'] =>
  async (ref, { kind, attempt, until }) => {
    const send: FollowUpSend = { state: 'sending', attempt, until };
    const result = await unlessConditionFails(() =>
      t.doc.send(
        new UpdateCommand({
          TableName: t.name,
          Key: key(ref),
          UpdateExpression: 'SET #k = :send, updatedAt = :now',
          ConditionExpression: `${ELIGIBLE} AND ${ELIGIBLE_FOR(kind)} AND ${OPEN}`,
          ExpressionAttributeNames: {
            '#state': 'state',
            '#k': kind,
            '#until': 'until',
            '#attempt': 'attempt',
          },
          ExpressionAttributeValues: {
            ':send': send,
            ':now': new Date(ref.nowMs).toISOString(),
            ':nowMs': ref.nowMs,
            ':attempt': attempt,
            ':sending': 'sending',
            ':emailed': 'emailed',
            ':no': false,
            ':delivered': 'delivered',
            ...(kind === 'thanks' ? { ':completed': 'completed' } : {}),
          },
          ReturnValues: 'ALL_OLD',
        }),
      ),
    );
    if (!result) return undefined;
    const before = result.Attributes as RespondentItem;
    return { respondent: { ...before, [kind]: send }, fresh: before[kind] === undefined };
  };

/** The update an outcome makes to the attribute the attempt holds. */
const settleUpdate = (outcome: FollowUpOutcome) => {
  switch (outcome.kind) {
    case 'sent':
      return {
        expression: 'SET #k.#st = :to, #k.messageId = :messageId, #k.#at = :at',
        values: { ':to': 'sent', ':messageId': outcome.messageId, ':at': outcome.at },
      };
    case 'failed':
      return {
        expression: 'SET #k.#st = :to, #k.reason = :reason, #k.#at = :at',
        values: { ':to': 'failed', ':reason': outcome.reason, ':at': outcome.at },
      };
    case 'release':
      return { expression: 'REMOVE #k', values: {} };
    case 'endLease':
      return { expression: 'SET #k.#until = :zero', values: { ':zero': 0 } };
  }
};

const settleFollowUp =
  (t: Table): FollowUpsPort['settleFollowUp'] =>
  async (ref, { kind, attempt, outcome }) => {
    const update = settleUpdate(outcome);
    const usesAt = outcome.kind === 'sent' || outcome.kind === 'failed';
    return applied(() =>
      t.doc.send(
        new UpdateCommand({
          TableName: t.name,
          Key: key(ref),
          UpdateExpression: update.expression,
          ConditionExpression: '#k.#st = :sending AND #k.#attempt = :attempt',
          ExpressionAttributeNames: {
            '#k': kind,
            '#st': 'state',
            '#attempt': 'attempt',
            ...(usesAt ? { '#at': 'at' } : {}),
            ...(outcome.kind === 'endLease' ? { '#until': 'until' } : {}),
          },
          ExpressionAttributeValues: { ':sending': 'sending', ':attempt': attempt, ...update.values },
        }),
      ),
    );
  };

/** The follow-ups port over the table. */
export const dynamoFollowUps = (t: Table): FollowUpsPort => ({
  claimFollowUp: claimFollowUp(t),
  settleFollowUp: settleFollowUp(t),
});
