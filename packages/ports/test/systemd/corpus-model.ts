// The two sides of the differential corpus, reduced to one comparable shape:
// the model's reading of a unit under a root, and systemd-analyze verify's.
// Shared with the e2e container's comparison (e2e/systemd/corpus.test.ts).
import { spawnSync } from 'node:child_process';
import { loadUnit, mergeUnit } from '../../src/systemd/effective.js';
import type { CorpusCommand } from './fixtures/systemd-corpus.js';

export interface CorpusOutcome {
  readonly loads: boolean | 'masked' | 'unreadable';
  readonly commands?: readonly CorpusCommand[];
}

/** ExecStartPreEx's flag names, from the prefixes systemd honoured. */
export function flagsOf(prefixes: string): string[] {
  const flags: string[] = [];
  if (prefixes.includes('-')) flags.push('ignore-failure');
  if (prefixes.includes('+')) flags.push('privileged');
  if (prefixes.includes('!!')) flags.push('ambient');
  else if (prefixes.includes('!')) flags.push('no-setuid');
  if (prefixes.includes(':')) flags.push('no-env-expand');
  return flags;
}

/** The model's answer for `unit` under `root`: loads or not, and the ExecStartPre= commands as systemd stores them. */
export function corpusModel(root: string, unit: string, hostSpecifiers?: Readonly<Record<string, string>>): Required<CorpusOutcome> {
  const facts = mergeUnit(loadUnit(root, unit), hostSpecifiers ? { hostSpecifiers } : {});
  const loads = facts.masked ? 'masked' : facts.problems.length > 0 ? 'unreadable' : (facts.invalid ?? []).length === 0;
  return {
    loads,
    commands: loads === true ? facts.execStartPre.map((line) => ({ argv: [...line.words], path: line.path, flags: flagsOf(line.prefixes) })) : [],
  };
}

/**
 * `systemd-analyze verify --root=ROOT UNIT...`: which of `units` load. A unit
 * fails on "bad unit file setting", "failed to load properly" or "fatal
 * error"; "is masked" is masked. Other complaints (executables missing under
 * the root, targets not found) do not count.
 */
export function verifyOutcome(root: string, units: readonly string[]): Map<string, { loads: boolean | 'masked'; output: string }> {
  const results = new Map<string, { loads: boolean | 'masked'; output: string }>();
  // A few hundred units per run keeps the command line short.
  for (let start = 0; start < units.length; start += 200) {
    const batch = units.slice(start, start + 200);
    const run = spawnSync('systemd-analyze', ['verify', '--man=no', `--root=${root}`, ...batch], {
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', SYSTEMD_LOG_LEVEL: 'notice', SYSTEMD_LOG_COLOR: '0' },
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
    });
    const lines = `${run.stdout}\n${run.stderr}`.split('\n');
    for (const unit of batch) {
      const about = lines.filter((line) => line.includes(unit));
      const said = about.join('\n');
      const masked = about.some((line) => line === `Unit ${unit} is masked.`);
      const failed = about.some(
        (line) =>
          line === `Unit ${unit} has a bad unit file setting.` ||
          line.startsWith(`Unit ${unit} failed to load properly`) ||
          line === `${unit}: Unit configuration has fatal error, unit will not be started.`,
      );
      results.set(unit, { loads: masked ? 'masked' : !failed, output: said.slice(0, 2000) });
    }
  }
  return results;
}
