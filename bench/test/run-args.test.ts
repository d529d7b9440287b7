// The benchmark's command line (src/run-args.mjs): --help, and one line and
// exit 2 for a bad option or value, before anything is started or measured.
// Only the argument handling runs here, never the benchmark.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
// @ts-expect-error: a plain .mjs module of the benchmark, without types
import { DEFAULTS, EXIT_USAGE, OPTIONS, parseRunArgs, SCENARIOS, usage } from '../src/run-args.mjs';

const runner = fileURLToPath(new URL('../src/run.mjs', import.meta.url));
const readme = fileURLToPath(new URL('../README.md', import.meta.url));

/** The runner itself, as `pnpm bench` starts it; bad arguments must stop it before it starts anything. */
function runBench(args: string[]) {
  return spawnSync(process.execPath, [runner, ...args], { encoding: 'utf8', timeout: 10_000 });
}

describe('bench --help', () => {
  it('prints every option with its help and exits 0', () => {
    const result = runBench(['--help']);
    expect(result.status).toBe(0);
    expect(result.stderr).toBe('');
    expect(result.stdout).toBe(usage());
    for (const name of Object.keys(OPTIONS)) expect(result.stdout).toContain(`--${name}`);
    expect(runBench(['-h']).stdout).toBe(usage());
  });

  it('is what bench/README.md lists under Options', () => {
    const section = readFileSync(readme, 'utf8').split('\n## Options\n')[1]!.split('\n## ')[0]!;
    const listed = new Set(section.match(/--[a-z][a-z-]*/g));
    expect(listed).toEqual(new Set(Object.keys(OPTIONS).map((name) => `--${name}`)));
  });
});

describe('bench: a bad option or value', () => {
  it.each([
    [['--bogus'], 'unknown option "--bogus"; see pnpm bench --help'],
    [['--rounds', 'abc'], '--rounds needs a whole number >= 1, not "abc"; see pnpm bench --help'],
    [['--rounds', '0'], '--rounds needs a whole number >= 1, not "0"; see pnpm bench --help'],
    [['--rounds'], '--rounds needs a value; see pnpm bench --help'],
    [['--scale=1e3'], '--scale needs a whole number, not "1e3"; see pnpm bench --help'],
    [['--fds', '-1'], '--fds needs a value; to give one that starts with "-", write --fds=VALUE'],
    [['--levels', '0,,500'], '--levels needs a comma-separated list with no empty items, not "0,,500"; see pnpm bench --help'],
    [['--only', 'startup,nope'], `--only: unknown scenario "nope"; scenarios: ${SCENARIOS.join(', ')}`],
    [['--quick=yes'], '--quick takes no value; see pnpm bench --help'],
    [['--json='], '--json needs a file name'],
    [['quick'], 'unexpected argument "quick"; the benchmark takes options only; see pnpm bench --help'],
  ])('%j: one line, exit 2, nothing started', (args, message) => {
    expect(parseRunArgs(args)).toEqual({ kind: 'error', message });
    const result = runBench(args);
    expect(result.status).toBe(EXIT_USAGE);
    expect(EXIT_USAGE).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe(`bench: ${message}\n`);
  });
});

describe('parseRunArgs', () => {
  it('gives the full run its defaults, and only a run without options is the full run', () => {
    expect(parseRunArgs([])).toEqual({
      kind: 'run',
      quick: false,
      rounds: DEFAULTS.full.rounds,
      only: new Set(SCENARIOS),
      levels: DEFAULTS.full.levels,
      scale: DEFAULTS.full.scale,
      fds: DEFAULTS.fds,
      services: DEFAULTS.full.services,
      hcLevel: DEFAULTS.full.hcLevel,
      fullRun: true,
    });
    // --services and --hc-level change what the report shows, so they too keep a run out of bench/README.md.
    for (const args of [['--quick'], ['--services', '50'], ['--hc-level=100'], ['--json', 'x.json'], ['--only', 'startup']]) {
      expect(parseRunArgs(args).fullRun, args.join(' ')).toBe(false);
    }
  });

  it('reads every option, --rounds for every scenario', () => {
    const parsed = parseRunArgs([
      '--quick',
      '--rounds',
      '7',
      '--only',
      'scale, free',
      '--levels=0,10',
      '--scale',
      '10',
      '--fds',
      '0',
      '--services',
      '5',
      '--hc-level',
      '0',
      '--json',
      'r.json',
    ]);
    expect(parsed).toMatchObject({
      quick: true,
      only: new Set(['scale', 'free']),
      levels: [0, 10],
      scale: 10,
      fds: 0,
      services: 5,
      hcLevel: 0,
      json: 'r.json',
    });
    expect(new Set(Object.values(parsed.rounds))).toEqual(new Set([7]));
    expect(Object.keys(parsed.rounds)).toEqual(Object.keys(DEFAULTS.full.rounds));
    expect(parseRunArgs(['--quick'])).toMatchObject({ rounds: DEFAULTS.quick.rounds, levels: DEFAULTS.quick.levels, scale: DEFAULTS.quick.scale });
  });
});
