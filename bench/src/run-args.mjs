// run.mjs's command line, in one place: each option once, with its help line
// and its default (--help prints them), and every value checked here, so that
// a bad flag or value is one line and exit 2 before anything is started or
// measured. Pure: argv in; the settings, the help, or one error out
// (bench/test/run-args.test.ts).
import { parseArgs } from 'node:util';

/** The scenarios --only chooses from, in the order they run. */
export const SCENARIOS = ['startup', 'lookup', 'scale', 'free', 'library'];

/** What a run uses when no option says otherwise: the full run, and --quick's. */
export const DEFAULTS = {
  full: {
    rounds: { startup: 50, library: 50, lookup: 20, scale: 20, free: 20, growth: 12, bigHealth: 12 },
    levels: [0, 500, 1000, 1300, 2000],
    scale: 1300,
    services: 500,
    hcLevel: 1000,
  },
  quick: {
    rounds: { startup: 3, library: 3, lookup: 3, scale: 3, free: 3, growth: 3, bigHealth: 3 },
    levels: [0, 100],
    scale: 100,
    services: 50,
    hcLevel: 100,
  },
  fds: 24,
};

const { full, quick } = DEFAULTS;

/** Every option, in the order --help lists them: node:util parseArgs' type, the value's name, the help line. */
export const OPTIONS = {
  quick: { type: 'boolean', help: `a few rounds of each scenario (${quick.rounds.startup}), ${quick.scale} filler processes (CI)` },
  rounds: {
    type: 'string',
    value: 'N',
    help: `rounds per scenario (default: ${full.rounds.startup} start-up/library, ${full.rounds.lookup} lookup/scale/free, ${full.rounds.growth} growth)`,
  },
  only: { type: 'string', value: 'a,b', help: `scenarios: ${SCENARIOS.join(', ')} (default: all)` },
  levels: { type: 'string', value: 'a,b,c', help: `filler counts for the growth table (default ${full.levels.join(',')}; quick: ${quick.levels.join(',')})` },
  scale: { type: 'string', value: 'N', help: `filler count for the full comparison at scale (default ${full.scale}; quick: ${quick.scale})` },
  fds: { type: 'string', value: 'N', help: `extra descriptors per filler (default ${DEFAULTS.fds})` },
  services: { type: 'string', value: 'N', help: `services in the health check's large registry (default ${full.services}; quick: ${quick.services})` },
  'hc-level': { type: 'string', value: 'N', help: `filler count for that case (default ${full.hcLevel}; quick: ${quick.hcLevel})` },
  json: { type: 'string', value: 'FILE', help: 'where to write the results (default bench/results/bench-<date>.json)' },
  help: { type: 'boolean', short: 'h', help: 'show this help' },
};

/** The exit code of a bad option or value (the benchmark's own are 0, and 1 when a command broke). */
export const EXIT_USAGE = 2;

const HINT = 'see pnpm bench --help';

export function usage() {
  const syntax = Object.entries(OPTIONS).map(([name, option]) => [
    `${option.short ? `-${option.short}, ` : ''}--${name}${option.value ? ` ${option.value}` : ''}`,
    option.help,
  ]);
  const width = Math.max(...syntax.map(([left]) => left.length)) + 2;
  return `Usage: pnpm bench [options]   (or: node bench/src/bench.mjs [options])

Runs claim-port and port-health-check side by side with the tools operators
use today; prints a Markdown report on stdout, progress on stderr, and writes
the results as JSON. A full run (no options) also updates bench/last-run.json
and bench/README.md's last full run section.

Options:
${syntax.map(([left, help]) => `  ${left.padEnd(width)}${help}`).join('\n')}

Exit status: 0; 1 when a command broke (bad exit code, wrong answer, port not
freed) or cleanup failed, never on a ratio; ${EXIT_USAGE} for a bad option or value.
`;
}

/**
 * argv -> { kind: 'help' } | { kind: 'error', message } | { kind: 'run', ... }:
 * the settings of a run, defaults applied. `fullRun` is true when no option
 * was given: only such a run is the one bench/README.md reports.
 */
export function parseRunArgs(argv) {
  let values;
  try {
    ({ values } = parseArgs({ args: [...argv], options: OPTIONS, strict: true, allowPositionals: false }));
  } catch (error) {
    return { kind: 'error', message: describeParseError(error) };
  }
  if (values.help) return { kind: 'help' };
  try {
    const base = values.quick ? quick : full;
    const rounds = values.rounds === undefined ? undefined : wholeNumber('rounds', values.rounds, 1);
    const only = values.only === undefined ? SCENARIOS : list('only', values.only, (item) => scenario(item));
    if (values.json === '') throw new Error('--json needs a file name');
    return {
      kind: 'run',
      quick: values.quick === true,
      rounds: rounds === undefined ? { ...base.rounds } : Object.fromEntries(Object.keys(base.rounds).map((key) => [key, rounds])),
      only: new Set(only),
      levels: values.levels === undefined ? base.levels : list('levels', values.levels, (item) => wholeNumber('levels', item, 0)),
      scale: values.scale === undefined ? base.scale : wholeNumber('scale', values.scale, 0),
      fds: values.fds === undefined ? DEFAULTS.fds : wholeNumber('fds', values.fds, 0),
      services: values.services === undefined ? base.services : wholeNumber('services', values.services, 1),
      hcLevel: values['hc-level'] === undefined ? base.hcLevel : wholeNumber('hc-level', values['hc-level'], 0),
      ...(values.json !== undefined && { json: values.json }),
      fullRun: argv.length === 0,
    };
  } catch (error) {
    return { kind: 'error', message: error.message };
  }
}

/** A whole number >= min, written in decimal digits only (no 1e3, no 0x10, no -1, no 2.5). */
function wholeNumber(name, text, min) {
  const number = /^[0-9]+$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(number) || number < min) {
    throw new Error(`--${name} needs a whole number${min > 0 ? ` >= ${min}` : ''}, not ${JSON.stringify(text)}; ${HINT}`);
  }
  return number;
}

/** A comma-separated list, each item read by `read`; no empty items. */
function list(name, text, read) {
  const items = text.split(',');
  if (items.some((item) => item.trim() === ''))
    throw new Error(`--${name} needs a comma-separated list with no empty items, not ${JSON.stringify(text)}; ${HINT}`);
  return items.map((item) => read(item.trim()));
}

function scenario(name) {
  if (!SCENARIOS.includes(name)) throw new Error(`--only: unknown scenario ${JSON.stringify(name)}; scenarios: ${SCENARIOS.join(', ')}`);
  return name;
}

/** node:util parseArgs' errors as one line: the option as typed, and what to do. */
function describeParseError(error) {
  const quoted = /'([^']+)'/.exec(error.message)?.[1] ?? '';
  const flag = quoted
    .replace(/ <value>$/, '')
    .split(', ')
    .pop();
  switch (error.code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
      return `unknown option ${JSON.stringify(flag)}; ${HINT}`;
    case 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL':
      return `unexpected argument ${JSON.stringify(quoted)}; the benchmark takes options only; ${HINT}`;
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE':
      if (/argument missing/.test(error.message)) return `${flag} needs a value; ${HINT}`;
      if (/ambiguous/.test(error.message)) return `${flag} needs a value; to give one that starts with "-", write ${flag}=VALUE`;
      if (/does not take an argument/.test(error.message)) return `${flag} takes no value; ${HINT}`;
      return `${error.message.split('\n')[0]}; ${HINT}`;
    default:
      return `${String(error.message).split('\n')[0]}; ${HINT}`;
  }
}
