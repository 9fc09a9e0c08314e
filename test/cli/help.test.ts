import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { HELP, MAIN_HELP } from '#cli/args.ts';
import { CampaignSettingsSchema } from '#shared/campaign/settings.ts';

describe('the CLI help and the README', () => {
  const keys = Object.keys(CampaignSettingsSchema.shape);

  it('name every campaign setting', async () => {
    // Prepare
    const readme = await readFile(new URL('../../README.md', import.meta.url), 'utf8');

    // Assert: a setting added to the schema without a word in the help or the README fails here.
    expect(keys.length).toBeGreaterThan(15);
    expect(keys.filter((key) => !MAIN_HELP.includes(key))).toEqual([]);
    expect(keys.filter((key) => !readme.includes(`\`${key}\``) && !readme.includes(`"${key}"`))).toEqual([]);
  });

  it('lists every command in the top-level help and the README', async () => {
    // Prepare
    const readme = await readFile(new URL('../../README.md', import.meta.url), 'utf8');

    // Assert
    for (const command of Object.keys(HELP)) {
      expect(MAIN_HELP).toMatch(new RegExp(`^  ${command} `, 'm'));
      expect(readme).toContain(`invites ${command}`);
    }
  });
});
