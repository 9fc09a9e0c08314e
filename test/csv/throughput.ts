// Throughput check of the respondent parser: `npx tsx test/csv/throughput.ts [rows]` parses a generated CSV
// (4 columns, streamed in 1,000-row chunks, never held whole) and prints rows/s and peak RSS as JSON.
import { parseRespondents } from '#shared/csv/parse.ts';

const rows = Number(process.argv[2] ?? 1_000_000);

function* generate(): Generator<Buffer> {
  yield Buffer.from('email,name,language,company\n');
  let lines: string[] = [];
  for (let i = 0; i < rows; i++) {
    lines.push(`user${i}@example${i % 97}.com,"Person ${i}",${i % 3 ? 'en' : 'ru'},Company ${i % 1000}\n`);
    if (lines.length === 1000) {
      yield Buffer.from(lines.join(''));
      lines = [];
    }
  }
  if (lines.length > 0) yield Buffer.from(lines.join(''));
}

let peak = 0;
const sampler = setInterval(() => {
  peak = Math.max(peak, process.memoryUsage().rss);
}, 50);
const started = performance.now();
const cpuStart = process.cpuUsage();
let count = 0;
let accepted = 0;
for await (const row of parseRespondents(generate())) {
  count++;
  if (row.kind === 'accepted') accepted++;
}
const ms = performance.now() - started;
const cpu = process.cpuUsage(cpuStart);
clearInterval(sampler);
peak = Math.max(peak, process.memoryUsage().rss);
const cpuMs = (cpu.user + cpu.system) / 1000;
console.log(
  JSON.stringify({
    rows: count,
    accepted,
    ms: Math.round(ms),
    rowsPerSec: Math.round((count / ms) * 1000),
    rowsPerCpuSec: Math.round((count / cpuMs) * 1000),
    peakRssMb: Math.round(peak / 1048576),
  }),
);
