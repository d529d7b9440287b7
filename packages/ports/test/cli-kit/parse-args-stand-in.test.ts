// The build's stand-in for util.parseArgs (scripts/parse-args-stand-in.mjs,
// put in the bins by lazyBuiltins): where it answers, it answers exactly as
// Node's parseArgs does; everywhere else it leaves the command line to it.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parseOperandsOnly } from '../../../../scripts/parse-args-stand-in.mjs';

const options = {
  json: { type: 'boolean' },
  registry: { type: 'string' },
  service: { type: 'string', multiple: true, short: 's' },
} as const;

describe('parseOperandsOnly', () => {
  const answered: ParseArgsConfig[] = [
    { args: [], options, allowPositionals: true, strict: true, tokens: true },
    { args: [], options, strict: true },
    { args: [], options },
    { args: ['api'], options, allowPositionals: true, strict: true, tokens: true },
    { args: ['8000', 'api/tcp', ''], options, allowPositionals: true, tokens: false },
    { args: ['x', 'a b', 'é'], options, strict: false },
    { args: ['api'], allowPositionals: true },
  ];
  for (const config of answered) {
    it(`answers ${JSON.stringify(config.args)} (${JSON.stringify({ ...config, args: undefined, options: undefined })}) exactly as parseArgs`, () => {
      const mine = parseOperandsOnly(config);
      expect(mine).toBeDefined();
      expect(mine).toStrictEqual(parseArgs(config));
      expect(Object.getPrototypeOf(mine?.values)).toBe(null);
    });
  }

  const leftToParseArgs: [string, ParseArgsConfig][] = [
    ['an option', { args: ['--json'], options, allowPositionals: true }],
    ['a short option', { args: ['-s', 'api'], options, allowPositionals: true }],
    ['an option after an operand', { args: ['api', '--json'], options, allowPositionals: true }],
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
      expect(parseOperandsOnly(config)).toBeUndefined();
    });
  }
});
