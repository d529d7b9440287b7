// Summarise a V8 CPU profile: `node --cpu-prof --cpu-prof-dir=/tmp/p <script>`,
// then `node bench/src/profile.mjs /tmp/p/*.cpuprofile [top]`. Prints self
// time by script and by function: where a slow start-up goes.
import { readFileSync } from 'node:fs';

const [file, topArg] = process.argv.slice(2);
const top = Number(topArg ?? 15);
const profile = JSON.parse(readFileSync(file, 'utf8'));
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const self = new Map();
for (let i = 0; i < profile.samples.length; i++) {
  const dt = (profile.timeDeltas[i] ?? 0) / 1000;
  self.set(profile.samples[i], (self.get(profile.samples[i]) ?? 0) + dt);
}
const total = (profile.endTime - profile.startTime) / 1000;
const byScript = new Map();
const byFunction = new Map();
for (const [id, ms] of self) {
  const { callFrame: f } = byId.get(id);
  const url = f.url ? f.url.replace(/^file:\/\//, '') : `(${f.functionName || 'native'})`;
  byScript.set(url, (byScript.get(url) ?? 0) + ms);
  const key = `${f.functionName || '(anonymous)'}  ${url}:${f.lineNumber + 1}`;
  byFunction.set(key, (byFunction.get(key) ?? 0) + ms);
}
const print = (title, map) => {
  console.log(`\n${title}`);
  for (const [k, v] of [...map].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`${v.toFixed(1).padStart(8)} ms  ${k}`);
};
console.log(`profile: ${total.toFixed(1)} ms from profiler start to end`);
print('self time by script', byScript);
print('self time by function', byFunction);
