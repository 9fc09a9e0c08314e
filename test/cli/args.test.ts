// The CLI's argument parsing: a campaign id may begin with '-' (base64url), and is still an id.
import { describe, expect, it } from 'vitest';
import { parse, UsageError } from '#cli/args.ts';

const OPTIONS = { local: { type: 'boolean' }, out: { type: 'string', short: 'o' } } as const;
const DASHED = '-4bcdefghijklmnopqrstu';

describe('parse', () => {
  it('takes a campaign id that begins with a dash as the id, wherever it stands', () => {
    // Act
    const first = parse('status', [DASHED, '--local'], OPTIONS);
    const last = parse('report', ['--local', DASHED, '--out', 'r.csv'], OPTIONS);

    // Assert
    expect([first.positionals, first.values.local]).toEqual([[DASHED], true]);
    expect([last.positionals, last.values.out]).toEqual([[DASHED], 'r.csv']);
  });

  it('leaves the value of an option alone, and still refuses an unknown option', () => {
    // Act
    const value = parse('report', ['id', `--out=${DASHED}`], OPTIONS);

    // Assert
    expect([value.positionals, value.values.out]).toEqual([['id'], DASHED]);
    // After an option that takes a value it stays that option's value (parseArgs asks for --out=…).
    expect(() => parse('report', ['id', '-o', DASHED], OPTIONS)).toThrow(/ambiguous/);
    expect(() => parse('status', ['id', '-x'], OPTIONS)).toThrow(UsageError);
    expect(() => parse('status', ['id', '--nope'], OPTIONS)).toThrow(/unknown option --nope/);
  });
});
