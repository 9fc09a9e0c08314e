/**
 * Summarises a V8 .cpuprofile (from `node --cpu-prof`): self time per function and per package, so a
 * benchmark can say what limits it without opening DevTools. `npx tsx bench/profile-summary.ts <file> [top]`.
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples?: number[];
  timeDeltas?: number[];
}

/** Where a script URL belongs: an npm package, a repo folder, or Node itself. */
const bucketOf = (url: string, functionName: string): string => {
  if (!url) return functionName.startsWith('(') ? functionName : '(native)';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1] as string;
  if (url.startsWith('node:')) return 'node internals';
  const repo = /\/(shared|bench|local|functions)\/([^/]+)/.exec(url);
  if (repo) return `${repo[1]}/${repo[2]}`;
  return url.split('/').slice(-1)[0] ?? url;
};

/** Self-time tables of a profile: by function and by bucket (package or folder), in ms. */
export const summariseProfile = (file: string, top = 15) => {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const selfMs = new Map<number, number>();
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  samples.forEach((id, i) => {
    selfMs.set(id, (selfMs.get(id) ?? 0) + (deltas[i] ?? 0) / 1000);
  });
  const totalMs = (profile.endTime - profile.startTime) / 1000;
  const byFunction = new Map<string, number>();
  const byBucket = new Map<string, number>();
  for (const node of profile.nodes) {
    const ms = selfMs.get(node.id) ?? 0;
    if (ms === 0) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    const bucket = bucketOf(url, functionName);
    const name = `${functionName || '(anonymous)'} ${bucket}:${lineNumber + 1}`;
    byFunction.set(name, (byFunction.get(name) ?? 0) + ms);
    byBucket.set(bucket, (byBucket.get(bucket) ?? 0) + ms);
  }
  const sorted = (map: Map<string, number>) =>
    [...map.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, ms]) => ({ name, ms: Math.round(ms), share: `${((ms / totalMs) * 100).toFixed(1)}%` }));
  return { totalMs: Math.round(totalMs), byBucket: sorted(byBucket), byFunction: sorted(byFunction) };
};

if (process.argv[1] && import.meta.filename === process.argv[1]) {
  const file = process.argv[2];
  if (!file) throw new Error('usage: tsx bench/profile-summary.ts <file.cpuprofile> [top]');
  const summary = summariseProfile(file, Number(process.argv[3] ?? 15));
  console.log(`total ${summary.totalMs} ms`);
  console.table(summary.byBucket);
  console.table(summary.byFunction);
}
