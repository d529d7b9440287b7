// Timing commands: each run spawns the command (an owned process) and takes
// the wall time from just before spawn() to its exit. Commands of a scenario
// are interleaved round by round (A B C A B C ...) so that drift on a shared
// machine hits every command alike; the first round is a warm-up and is dropped.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnOwned } from './owned.mjs';

// Commands run in the environment a systemd unit gives them, as far as Node's
// start-up is concerned: no NODE_OPTIONS, and no NODE_EXTRA_CA_CERTS (when set,
// every Node process parses that CA bundle at start-up: tens of milliseconds
// added to `node -e 0` and to every Node tool alike). BENCH_KEEP_ENV=1 keeps both.
const inheritedEnv = { ...process.env };
delete inheritedEnv.NODE_OPTIONS;
// The bins' caches (their V8 code cache, parsed registries) start empty in a
// directory of this run's, so each command starts from the entries its own
// warm-up round made, as a timer's repeated command does: not from whatever
// an earlier test or benchmark left in /var/cache/dsa110-ports (an entry made
// by another command's run made the health check about 8% slower).
const cacheDir = mkdtempSync(join(tmpdir(), 'bench-cache-'));
process.on('exit', () => rmSync(cacheDir, { recursive: true, force: true }));
inheritedEnv.DSA110_PORTS_CACHE = cacheDir;
const childEnv = { ...inheritedEnv };
if (!process.env.BENCH_KEEP_ENV) delete childEnv.NODE_EXTRA_CA_CERTS;

/**
 * Run one command once. `cmd` is { label, argv, cwd?, okCodes?, check?, keepEnv? }
 * (keepEnv: run with NODE_EXTRA_CA_CERTS as inherited).
 * Resolves { ms, code, signal, stdout, stderr, problem }.
 */
export async function runOnce(cmd, { timeoutMs = 60_000 } = {}) {
  const [file, ...args] = cmd.argv;
  const t0 = performance.now();
  const child = spawnOwned(file, args, { cwd: cmd.cwd, env: cmd.keepEnv ? inheritedEnv : childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d) => (stdout += d));
  child.stderr?.on('data', (d) => (stderr += d));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const { code, signal, error } = await child.exited;
  const t1 = performance.now();
  clearTimeout(timer);
  // Let the pipes drain (after the clock has stopped).
  await new Promise((resolve) => setImmediate(resolve));
  const result = { ms: t1 - t0, t0, t1, code, signal, stdout, stderr, problem: undefined };
  const okCodes = cmd.okCodes ?? [0];
  if (error) result.problem = `could not start: ${error.message}`;
  else if (signal) result.problem = `killed by ${signal}`;
  else if (!okCodes.includes(code)) result.problem = `exit code ${code} (expected ${okCodes.join(' or ')})`;
  else if (cmd.check) result.problem = cmd.check(result);
  return result;
}

export function stats(samples) {
  const s = [...samples].sort((a, b) => a - b);
  const n = s.length;
  if (n === 0) return { n: 0, median: NaN, min: NaN, max: NaN };
  const median = n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
  return { n, median, min: s[0], max: s[n - 1] };
}

/**
 * Interleave `commands` for `rounds` rounds (plus one warm-up round).
 * `perRun(cmd)` may replace runOnce (e.g. to start a fresh holder first).
 * Returns one entry per command: { label, argv, note, samples, problems, stats }.
 */
export async function interleave(commands, rounds, { perRun = (cmd) => runOnce(cmd), warmup = 1, onProgress } = {}) {
  const results = commands.map((cmd) => ({ cmd, samples: [], problems: [] }));
  for (let round = -warmup; round < rounds; round++) {
    // Rotate the starting command each round so that no command always runs first.
    const offset = ((round % commands.length) + commands.length) % commands.length;
    for (let k = 0; k < commands.length; k++) {
      const i = (k + offset) % commands.length;
      const r = await perRun(commands[i]);
      if (r.problem) results[i].problems.push(r.problem);
      else if (round >= 0) results[i].samples.push(r.ms);
    }
    onProgress?.(round + 1, rounds);
  }
  return results.map(({ cmd, samples, problems }) => ({
    label: cmd.label,
    argv: cmd.display ?? cmd.argv.join(' '),
    note: cmd.note,
    samples: samples.map((x) => Math.round(x * 100) / 100),
    problems: [...new Set(problems)],
    problemCount: problems.length,
    stats: stats(samples),
  }));
}
