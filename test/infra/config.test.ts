import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  DEMO_PROJECT_ID,
  DEMO_SENDER,
  DeployConfigError,
  inviteBatchSize,
  inviteMaxConcurrency,
  loadDeployConfig,
  sesIdentityOf,
} from '#infra/config.ts';

const contextOf =
  (values: Record<string, unknown>) =>
  (key: string): unknown =>
    values[key];

const writeConfig = (content: unknown): string => {
  const file = join(mkdtempSync(join(tmpdir(), 'deploy-config-')), 'deploy.json');
  writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content));
  return file;
};

const errorOf = (load: () => unknown): string => {
  try {
    load();
  } catch (error) {
    expect(error).toBeInstanceOf(DeployConfigError);
    return (error as Error).message;
  }
  throw new Error('expected a DeployConfigError');
};

describe('deploy configuration', () => {
  it('works offline with no settings, on demo values, and says so', () => {
    // Act
    const { config, warnings } = loadDeployConfig(contextOf({}));

    // Assert
    expect(config.campaignDefaults).toMatchObject({ projectId: DEMO_PROJECT_ID, sender: DEMO_SENDER });
    expect(config.ses.sendRatePerSecond).toBeUndefined();
    expect(config.stackName).toBe('AseedInvites');
    expect(warnings.join('\n')).toContain('campaignDefaults.projectId');
    expect(warnings.join('\n')).toContain('campaignDefaults.sender');
  });

  it('reads a JSON file and lets single context keys override it', () => {
    // Prepare
    const file = writeConfig({
      campaignDefaults: { projectId: '3f1c2a9e-5b7d-4c8e-9f10-2a3b4c5d6e7f', sender: 'a@lab.example.org' },
      ses: { sendRatePerSecond: 14 },
    });

    // Act
    const { config, warnings } = loadDeployConfig(
      contextOf({ config: file, sender: 'b@lab.example.org', sesSendRate: '50' }),
    );

    // Assert
    expect(warnings).toEqual([]);
    expect(config.campaignDefaults.sender).toBe('b@lab.example.org');
    expect(config.ses.sendRatePerSecond).toBe(50);
    expect(sesIdentityOf(config)).toBe('lab.example.org');
  });

  it('fails naming every bad value', () => {
    // Act
    const message = errorOf(() =>
      loadDeployConfig(
        contextOf({
          sender: 'not-an-email',
          projectId: 'demo',
          sesSendRate: 'fast',
          aseedBaseUrl: 'http://app.aseed.ai/custdev',
        }),
      ),
    );

    // Assert
    expect(message).toContain('campaignDefaults.sender');
    expect(message).toContain('campaignDefaults.projectId');
    expect(message).toContain('ses.sendRatePerSecond');
    expect(message).toContain('aseedBaseUrl');
  });

  it('refuses unknown keys (typos) and unsupported log retention periods in the file', () => {
    // Prepare
    const file = writeConfig({ campaignDefaults: { sendr: 'x@example.org' }, logRetentionDays: 42 });

    // Act
    const message = errorOf(() => loadDeployConfig(contextOf({ config: file })));

    // Assert
    expect(message).toContain('sendr');
    expect(message).toContain('logRetentionDays');
  });

  it('names the file when it cannot be read', () => {
    // Prepare
    const file = writeConfig('{ not json');

    // Act + Assert
    expect(errorOf(() => loadDeployConfig(contextOf({ config: file })))).toContain(file);
  });

  it('derives the invite concurrency from the SES send rate within the SQS bounds', () => {
    // Act + Assert: the sandbox's 1/s and a typical 14/s both get the minimum of 2.
    expect([1, 14, 21, 100, 10_000].map(inviteMaxConcurrency)).toEqual([2, 2, 3, 10, 20]);
  });

  it('shrinks the invite batch when the send rate cannot email a full batch in half the timeout', () => {
    // Act + Assert: 1/s → 0.5/s per invocation → 75 emails in 150 s → one message; 14/s → 7/s → 10.
    expect([1, 5, 14, 100].map(inviteBatchSize)).toEqual([1, 3, 10, 10]);
  });
});
