import { runLocalCampaign } from '#local/campaign.ts';
const n = Number(process.env.N ?? 300);
for (const seed of process.argv.slice(2).map(Number)) {
  const lines = ['email,name,language'];
  for (let i = 0; i < n; i++) lines.push(`p${i}@s${seed}.example.com,Person ${i},${i % 4 === 0 ? 'ru' : 'en'}`);
  lines.push('bad-address,Bad,en', `P0@s${seed}.example.com,Dup,en`);
  const r = await runLocalCampaign({ csv: { name: `gen-${seed}.csv`, body: lines.join('\n') }, faults: '429=0.1,500=0.05,503=0.05,drop=0.05,latency=5', crash: 0.1, sesFaults: { throttle: 0.1 }, seed, deadlineMs: 240_000, ...(process.env.CHAOS ? { chaos: { duplicateS3Events: 1, concurrentS3Events: true, reupload: true, duplicateSqsProbability: 0.3 } } : {}) });
  const per = new Map<string, number>();
  for (const e of r.emails) per.set(e.to.toLowerCase(), (per.get(e.to.toLowerCase()) ?? 0) + 1);
  const emailedRows = r.report.filter((l) => l.status === 'emailed');
  const received = new Set(emailedRows.map((l) => l.room_url));
  const orphans = r.rooms.filter((room) => !received.has(room.url) && room.status !== 'cancelled').length;
  const hist: Record<string, number> = {};
  for (const row of r.report.filter((l) => l.status === 'emailed' || l.status === 'failed')) { const k = String(per.get(row.email.toLowerCase()) ?? 0); hist[k] = (hist[k] ?? 0) + 1; }
  const reasons = [...new Set(r.report.filter((l) => l.status === 'failed').map((l) => l.reason.slice(0, 90)))];
  console.log(JSON.stringify({ seed, ok: r.ok, problems: r.problems, accepted: r.summary.accepted, emailed: r.summary.emailed, failed: r.summary.failed, emailsPerAccepted: hist, orphans, cancelled: r.rooms.filter((x) => x.status === 'cancelled').length, rooms: r.summary.roomsCreated, createCalls: r.summary.apiCreateCalls, sesCalls: r.summary.sesCalls, ms: r.summary.durationMs, api: r.faults.api, thr: r.faults.sesThrottled, crashes: r.faults.crashes.length, dupSqs: r.faults.duplicateSqsDeliveries, s3: r.faults.s3Deliveries, timeouts: r.poller.timeouts, reasons }));
}
