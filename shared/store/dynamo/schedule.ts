// The account-wide send schedule (`PACER#<key>` / `PACER`): `nextFree` is when the schedule is free again.
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { PACER_SK, pacerPk } from '../keys.ts';
import type { SendSchedulePort } from '../ports.ts';
import { bookSends } from '../schedule.ts';
import { isConditionFailed, type Table } from './table.ts';

/** Concurrent reservations retried before giving up (each retry re-reads the schedule). */
const RESERVE_ATTEMPTS = 50;

/**
 * The send schedule port over the table: one read and one write conditional on the value read, retried on a
 * concurrent reservation. Returns absolute epoch ms, so the time the call took does not shift the send.
 */
export const dynamoSchedule = (t: Table): SendSchedulePort => ({
  async reserveSends({ key, count, msPerSend, burstMs, nowMs }) {
    const Key = { pk: pacerPk(key), sk: PACER_SK };
    for (let attempt = 0; ; attempt++) {
      const current = await t.doc.send(new GetCommand({ TableName: t.name, Key, ConsistentRead: true }));
      const previous = current.Item?.nextFree as number | undefined;
      const { start, nextFree } = bookSends(previous, nowMs(), count, msPerSend, burstMs);
      try {
        await t.doc.send(
          new PutCommand({
            TableName: t.name,
            Item: { ...Key, nextFree },
            ...(previous === undefined
              ? { ConditionExpression: 'attribute_not_exists(pk)' }
              : {
                  ConditionExpression: 'nextFree = :previous',
                  ExpressionAttributeValues: { ':previous': previous },
                }),
          }),
        );
        return start;
      } catch (error) {
        if (!isConditionFailed(error) || attempt >= RESERVE_ATTEMPTS) throw error;
        await t.sleep(Math.floor(Math.random() * Math.min(100, 5 * 2 ** attempt)));
      }
    }
  },
});
