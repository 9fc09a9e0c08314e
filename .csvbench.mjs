import { parse } from 'csv-parse';
const rows = 200000;
const mode = process.argv[2];
function* generate() {
  yield Buffer.from('email,name,language,company\n');
  let lines = [];
  for (let i = 0; i < rows; i++) {
    lines.push(`user${i}@example${i % 97}.com,"Person ${i}",${i % 3 ? 'en' : 'ru'},Company ${i % 1000}\n`);
    if (lines.length === 1000) { yield Buffer.from(lines.join('')); lines = []; }
  }
}
const opts = { delimiter: ',', relax_quotes: true, relax_column_count: true, skip_empty_lines: false, record_delimiter: ['\r\n','\n','\r'], bom: false, max_record_size: 16*1024*1024 };
if (mode.includes('null')) opts.encoding = null; else opts.encoding = 'latin1';
if (mode.includes('raw')) opts.raw = true;
let n = 0;
if (mode.includes('onrec')) opts.on_record = (r) => { n++; return null; };
const parser = parse(opts);
if (!mode.includes('onrec')) parser.on('data', () => n++);
const t = performance.now();
for (const c of generate()) { await new Promise((res, rej) => parser.write(c, (e) => e ? rej(e) : res())); }
await new Promise((res) => { parser.on('finish', res); parser.end(); });
const ms = performance.now() - t;
console.log(mode, n, Math.round(ms), Math.round(n / ms * 1000), 'rows/s');
