// The build's stand-in for util.parseArgs (scripts/parse-args-stand-in.mjs,
// put in the bins by lazyBuiltins): where it answers, it answers exactly as
// Node's parseArgs does; everywhere else it leaves the command line to it.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parseArgsStandIn } from '../../../../scripts/parse-args-stand-in.mjs';

const options = {
  json: { type: 'boolean' },
  registry: { type: 'string' },
  service: { type: 'string', multiple: true, short: 's' },
} as const;

describe('parseArgsStandIn', () => {
  const answered: ParseArgsConfig[] = [
    { args: [], options, allowPositionals: true, strict: true, tokens: true },
    { args: [], options, strict: true },
    { args: [], options },
    { args: ['api'], options, allowPositionals: true, strict: true, tokens: true },
    { args: ['8000', 'api/tcp', ''], options, allowPositionals: true, tokens: false },
    { args: ['x', 'a b', 'é'], options, strict: false },
    { args: ['api'], allowPositionals: true },
    { args: ['--json'], options, allowPositionals: true, tokens: true },
    { args: ['api', '--json', '--registry', 'ports.yaml'], options, allowPositionals: true, tokens: true },
    { args: ['--registry=a', '--registry', 'b'], options, tokens: true },
    { args: ['--registry=', '--registry=-x', '--registry', '-'], options, tokens: true },
    { args: ['--registry', 'a=b', '--json', '--json'], options, strict: true },
    {
      args: ['--format', 'prometheus', '--output', '/var/lib/prometheus/node-exporter/dsa110-ports.prom'],
      options: { format: { type: 'string' }, output: { type: 'string' } },
    },
  ];
  for (const config of answered) {
    it(`answers ${JSON.stringify(config.args)} (${JSON.stringify({ ...config, args: undefined, options: undefined })}) exactly as parseArgs`, () => {
      const mine = parseArgsStandIn(config);
      expect(mine).toBeDefined();
      expect(mine).toStrictEqual(parseArgs(config));
      expect(Object.getPrototypeOf(mine?.values)).toBe(null);
    });
  }

  const leftToParseArgs: [string, ParseArgsConfig][] = [
    ['a short option', { args: ['-s', 'api'], options, allowPositionals: true }],
    ['an unknown option', { args: ['--bogus'], options, allowPositionals: true }],
    ['an inherited name', { args: ['--constructor'], options, allowPositionals: true }],
    ['a boolean given a value', { args: ['--json=yes'], options }],
    ['a value missing', { args: ['--registry'], options }],
    ['a value that looks like an option', { args: ['--registry', '--json'], options }],
    ['a multiple option', { args: ['--service', 'api'], options }],
    ['options when not strict', { args: ['--json'], options, strict: false }],
    ['a negation allowed', { args: ['--no-json'], options, allowNegative: true }],
    ['flags that are not booleans', { args: [], options, tokens: 1 as unknown as boolean }],
    ['a declaration parseArgs refuses', { args: ['--json'], options: { json: { type: 'number' } } as unknown as ParseArgsConfig['options'] }],
    ['the end of options', { args: ['--', 'api'], options, allowPositionals: true }],
    ['a lone dash', { args: ['-'], options, allowPositionals: true }],
    ['a negative number', { args: ['-1'], options, allowPositionals: true }],
    ['operands where none are allowed', { args: ['api'], options, strict: true }],
    ['operands, positionals left at their default under strict', { args: ['api'], options }],
    ['a default to apply', { args: [], options: { json: { type: 'boolean', default: false } } }],
    ['no args array (process.argv)', { options }],
  ];
  for (const [what, config] of leftToParseArgs) {
    it(`leaves ${what} to parseArgs`, () => {
      expect(parseArgsStandIn(config)).toBeUndefined();
    });
  }
});

// Every command line of up to five words from a vocabulary of hard cases, under
// several configs: where the stand-in answers, parseArgs gives the same; where
// parseArgs throws, the stand-in does not answer.
describe('parseArgsStandIn against parseArgs, exhaustively over short command lines', () => {
  const words = [
    'api',
    '',
    'a=b',
    '-',
    '--',
    '-1',
    '-s',
    '-sx',
    '--json',
    '--json=',
    '--registry',
    '--registry=x',
    '--registry=',
    '--=x',
    '--service',
    '--bogus',
    '--__proto__',
    '--no-json',
    '-x',
    'é',
  ];
  const declarations = {
    json: { type: 'boolean' },
    registry: { type: 'string', short: 'r' },
    service: { type: 'string', multiple: true, short: 's' },
    __proto__: null,
  } as unknown as NonNullable<ParseArgsConfig['options']>;
  const configs: Omit<ParseArgsConfig, 'args'>[] = [
    { options: declarations, allowPositionals: true, strict: true, tokens: true },
    { options: declarations, strict: true },
    { options: declarations, allowPositionals: true, tokens: false },
    { options: declarations, strict: false, tokens: true },
  ];
  // A fixed pseudo-random walk (no flakiness): 4,000 lines per config.
  let seed = 110;
  const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  it('agrees wherever it answers, and answers the usual lines', () => {
    let answered = 0;
    for (const config of configs) {
      for (let round = 0; round < 4000; round++) {
        const args = Array.from({ length: Math.floor(next() * 6) }, () => words[Math.floor(next() * words.length)]!);
        const full = { ...config, args };
        let expected: unknown;
        try {
          expected = parseArgs(full);
        } catch {
          expected = undefined;
        }
        const mine = parseArgsStandIn(full);
        if (mine === undefined) continue;
        answered++;
        expect(expected, JSON.stringify(args)).toBeDefined();
        expect(mine, JSON.stringify(args)).toStrictEqual(expected);
      }
    }
    expect(answered).toBeGreaterThan(1000);
  });
});
