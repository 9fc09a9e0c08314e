import { runLocalCampaign } from '#local/campaign.ts';
import { startEmulators } from '#local/emulators.ts';

const em = await startEmulators({ dynamo: 'dynalite', quiet: true } as never);
const lines = ['email,name,language'];
for (let i = 0; i < 200; i++) lines.push(`p${i}@try${Date.now()}.example.com,P ${i},${i % 3 ? 'en' : 'ru'}`);
const mode = process.argv[2] ?? 'none';
const logger = {
  debug: () => {},
  info: (...a: unknown[]) => console.log('INFO', JSON.stringify(a)),
  warn: (...a: unknown[]) => console.log('WARN', JSON.stringify(a)),
  error: (...a: unknown[]) => console.log('ERR', JSON.stringify(a)),
  appendKeys: () => {},
  removeKeys: () => {},
};
const t = Date.now();
const r = await runLocalCampaign({
  csv: { name: 'x.csv', body: lines.join('\n') },
  emulators: em.endpoints,
  logger: logger as never,
  ...(mode === 'all'
    ? {
        faults: { p429: 0.1, p500: 0.05, p503: 0.05, pDrop: 0.05, latencyMs: 20 },
        sesFaults: { throttle: 0.1 },
        crash: 0.1,
        chaos: { duplicateS3Events: 1, reupload: true, duplicateSqsProbability: 0.2 },
      }
    : {}),
  seed: 7,
  timings: { visibilityTimeoutSeconds: Number(process.env.VIS ?? 4) },
});
console.log(Date.now() - t, r.ok, r.problems, r.summary, r.faults, r.poller, r.emails.length, r.rooms.length);
await em.stop();
