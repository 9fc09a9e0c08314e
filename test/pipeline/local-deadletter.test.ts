import { describe, expect, it } from 'vitest';
import { runLocalCampaign } from '#local/campaign.ts';
import { emulatorEndpoints, uniqueName } from '#test/support/aws.ts';

describe('local runner: dead-letter function (finding 2)', () => {
  it('a batch whose only allowed receive crashed still ends with every respondent terminal', async () => {
    // Prepare: one batch of 20, one receive allowed; seed 4 crashes that invite invocation mid-flight
    // (before it can record the dead-lettering), so only the DLQ poller can close the batch.
    const domain = `${uniqueName('dlq')}.example.com`;
    const csv = ['email,name,language', ...Array.from({ length: 20 }, (_, i) => `p${i}@${domain},P ${i},en`)];

    // Act
    const result = await runLocalCampaign({
      csv: { name: 'dlq.csv', body: csv.join('\n') },
      emulators: emulatorEndpoints(),
      crash: 0.3,
      seed: 4,
      timings: { maxReceiveCount: 1, visibilityTimeoutSeconds: 5 },
      deadlineMs: 60_000,
    });

    // Assert
    expect(result.faults.crashes.some((c) => c.functionName === 'invite')).toBe(true);
    expect(result.problems).toEqual([]);
    expect(result.ok).toBe(true);
    expect(result.status).toBe('completed');
    expect(result.summary).toMatchObject({ accepted: 20, emailed: 0, failed: 20 });
    expect(result.report.every((r) => r.status === 'failed' && r.reason.startsWith('dead-lettered'))).toBe(
      true,
    );
    expect(result.rooms.filter((room) => room.status !== 'cancelled')).toEqual([]);
  }, 90_000);
});
