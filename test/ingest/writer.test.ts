import { describe, expect, it } from 'vitest';
import { MAX_KEPT, MAX_PART_BYTES } from '#shared/ingest/config.ts';
import { encodeParts, rejectedRowOf } from '#shared/ingest/writer.ts';
import type { IngestedRespondent } from '#shared/store/types.ts';

const respondent = (seq: number, filler: number): IngestedRespondent => ({
  seq,
  line: seq + 2,
  email: `p${seq}@example.com`,
  fields: { notes: 'n'.repeat(filler) },
});

describe('batch records', () => {
  it('keeps a batch that fits in one part as one JSON of every respondent', () => {
    // Prepare
    const respondents = Array.from({ length: 100 }, (_, seq) => respondent(seq, 20));

    // Act
    const parts = encodeParts(respondents);

    // Assert
    expect(parts).toHaveLength(1);
    expect(JSON.parse(parts[0]?.toString() ?? '')).toEqual(respondents);
  });

  it('splits a batch too large for one item into parts below the limit, losing nobody', () => {
    // Prepare: 100 respondents of ~10 KB each, ~1 MB together.
    const respondents = Array.from({ length: 100 }, (_, seq) => respondent(seq, 10_000));

    // Act
    const parts = encodeParts(respondents);

    // Assert
    expect(parts.length).toBeGreaterThan(3);
    for (const part of parts) expect(part.length).toBeLessThanOrEqual(MAX_PART_BYTES);
    expect(parts.flatMap((part) => JSON.parse(part.toString()) as IngestedRespondent[])).toEqual(respondents);
  });
});

describe('rejected rows', () => {
  it('truncates a very long value to what the report keeps', () => {
    // Act
    const row = rejectedRowOf({
      kind: 'rejected',
      line: 7,
      reason: 'r'.repeat(2_000),
      email: 'e'.repeat(2_000),
    });

    // Assert
    expect(row).toMatchObject({ line: 7, kind: 'rejected' });
    expect(row.reason).toBe(`${'r'.repeat(MAX_KEPT)}…`);
    expect(row.email).toBe(`${'e'.repeat(MAX_KEPT)}…`);
  });

  it('names the first line of a duplicate', () => {
    // Act
    const row = rejectedRowOf({ kind: 'duplicate', line: 9, email: 'a@example.com', firstLine: 3 });

    // Assert
    expect(row).toEqual({
      line: 9,
      kind: 'duplicate',
      email: 'a@example.com',
      reason: 'duplicate of line 3',
    });
  });
});
