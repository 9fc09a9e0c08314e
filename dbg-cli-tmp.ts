import { runLocalCampaign } from '#local/campaign.ts';
const seeds = process.argv.slice(2).map(Number);
for (const seed of seeds) {
  const r = await runLocalCampaign({ csv: 'examples/respondents.csv', faults: '429=0.1,500=0.05,503=0.05,drop=0.05,latency=5', crash: Number(process.env.CRASH ?? 0.1), sesFaults: { throttle: 0.1 }, seed, ...(process.env.CHAOS ? { chaos: { duplicateS3Events: 1, concurrentS3Events: true, reupload: true, duplicateSqsProbability: 0.3 } } : {}) });
  const per = new Map<string, number>();
  for (const e of r.emails) per.set(e.to, (per.get(e.to) ?? 0) + 1);
  const received = new Set(r.report.filter((l) => l.status === 'emailed').map((l) => l.room_url));
  const orphans = r.rooms.filter((room) => !received.has(room.url) && room.status !== 'cancelled').length;
  const dupEmails = [...per.values()].filter((n) => n > 1).length;
  console.log(r.report.filter((l) => l.status === "failed").map((l) => l.line + " " + l.reason).join("\n")); console.log(JSON.stringify({ seed, ok: r.ok, problems: r.problems, s: r.summary, emails: r.emails.length, dupEmails, orphans, cancelled: r.rooms.filter((x) => x.status === 'cancelled').length, api: r.faults.api, thr: r.faults.sesThrottled, dupSqs: r.faults.duplicateSqsDeliveries, s3: r.faults.s3Deliveries, crashes: r.faults.crashes.map((c) => `${c.functionName}:${c.point}`), inv: r.invocations.map((i) => i.outcome + ":" + i.durationMs + ":" + i.messages + "/" + i.failed), p: { inv: r.poller.invocations, err: r.poller.errors, cr: r.poller.crashes, to: r.poller.timeouts } }));
}
