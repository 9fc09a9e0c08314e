import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { readSesStore } from '#local/aws.ts';
import { runLocalCampaign } from '#local/campaign.ts';
import { createDynamoStore } from '#shared/store/dynamo/index.ts';
import { emulatorEndpoints } from '#test/support/aws.ts';

// Locally as deployed: every invitation carries its own signed List-Unsubscribe link (and the same link in the
// footer); the endpoint behind it only asks on a GET, and a one-click POST unsubscribes that respondent,
// suppresses the address and gives its room's tokens back.
const endpoints = emulatorEndpoints();

describe('one-click opt-out on the local stack', () => {
  it('sends signed per-recipient List-Unsubscribe headers, and a POST to the link opts that respondent out', async () => {
    // Prepare: a campaign of three, kept up after it ends.
    const csv =
      'email,name,language\nann@optout.example.org,Ann,en\nbob@optout.example.org,Bob,ru\ncy@optout.example.org,Cy,en\n';
    const since = Math.floor(Date.now() / 1000) - 1;
    const result = await runLocalCampaign({
      csv: { name: 'optout.csv', body: csv },
      emulators: endpoints,
      deadlineMs: 60_000,
      keepAlive: true,
    });
    const doc = DynamoDBDocumentClient.from(
      new DynamoDBClient({
        endpoint: result.deployment.aws.dynamo,
        region: result.deployment.aws.region,
        credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
        requestHandler: { requestTimeout: 5000 },
      }),
    );
    const store = createDynamoStore({ doc, tableName: result.deployment.tableName });
    try {
      const messages = (await readSesStore(endpoints.ses, since)).filter((m) =>
        m.to[0]?.endsWith('@optout.example.org'),
      );
      const header = (to: string, name: string) =>
        messages.find((m) => m.to[0] === to)?.headers.find((h) => h.name.toLowerCase() === name.toLowerCase())
          ?.value;
      const link = (header('bob@optout.example.org', 'List-Unsubscribe') ?? '').replace(/^<|>$/g, '');

      // Act: a mail scanner's GET, then the mail client's one-click POST (RFC 8058).
      const scanned = await fetch(link);
      const scannedPage = await scanned.text();
      const before = await store.listRespondents(result.campaignId ?? '');
      const posted = await fetch(link, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'List-Unsubscribe=One-Click',
      });
      const forged = await fetch(link.replace(/r=\d+-\d+/, 'r=0-0'), { method: 'POST' });

      // Assert: three different links, each in its message's header and footer.
      expect(messages).toHaveLength(3);
      const links = messages.map((m) => header(m.to[0] ?? '', 'List-Unsubscribe'));
      expect(new Set(links).size).toBe(3);
      for (const m of messages) {
        const own = (header(m.to[0] ?? '', 'List-Unsubscribe') ?? '').slice(1, -1);
        expect(header(m.to[0] ?? '', 'List-Unsubscribe-Post')).toBe('List-Unsubscribe=One-Click');
        expect(m.text).toContain(own);
        expect(m.html).toContain(own.replaceAll('&', '&amp;'));
      }
      expect(link).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?c=[\w-]+&r=\d+-\d+&t=[\w-]{43}$/);
      expect(scanned.status).toBe(200);
      expect(scanned.headers.get('content-security-policy')).toContain("default-src 'none'");
      expect(scannedPage).toContain('Отписаться');
      expect(before.map((r) => r.delivery ?? 'none')).not.toContain('unsubscribed');
      expect(posted.status).toBe(200);
      expect(forged.status).toBe(403);
      const after = await store.listRespondents(result.campaignId ?? '');
      const bob = after.find((r) => r.email === 'bob@optout.example.org');
      expect(bob).toMatchObject({ delivery: 'unsubscribed', roomCancelled: true });
      expect(after.filter((r) => r.delivery === 'unsubscribed')).toHaveLength(1);
      expect(result.rooms.length).toBe(3);
      const suppressed = await store.listSuppressed(Number.MAX_SAFE_INTEGER);
      expect(suppressed.filter((e) => e.emailKey === 'bob@optout.example.org').map((e) => e.reason)).toEqual([
        'unsubscribed',
      ]);
    } finally {
      doc.destroy();
      await result.close();
    }
  }, 90_000);
});
