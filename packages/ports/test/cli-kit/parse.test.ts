// The shared argument parser and conventions: parseArgs' errors as one line a
// person can act on, negative numbers as operands, --json detection, colour.
import { describe, expect, it } from 'vitest';
import { EXIT_USAGE, errorJson, useColor, wantsJson } from '../../src/cli-kit/conventions.js';
import { parseCommandLine, STANDARD_OPTIONS, UsageError } from '../../src/cli-kit/parse.js';

const OPTIONS = { ...STANDARD_OPTIONS, timeout: { type: 'string', needs: 'seconds', help: '' }, json: { type: 'boolean', help: '' } } as const;
const parse = (argv: string[], max = 1) => parseCommandLine(argv, OPTIONS, { maxPositionals: max, negativeNumbers: true, hint: 'see tool --help' });
const problem = (argv: string[], max = 1) => {
  try {
    parse(argv, max);
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError);
    return (error as Error).message;
  }
  throw new Error(`${JSON.stringify(argv)} parsed`);
};

describe('parseCommandLine', () => {
  it('reads both option forms, short flags, and operands', () => {
    expect(parse(['8000', '--timeout', '5', '-V'])).toEqual({ values: { timeout: '5', version: true }, positionals: ['8000'] });
    expect(parse(['--timeout=0.5', '--json', '-h', '--', '--x'])).toEqual({ values: { timeout: '0.5', json: true, help: true }, positionals: ['--x'] });
  });

  it('takes a negative number as an operand, or as the value of the option before it', () => {
    expect(parse(['-1'])).toEqual({ values: {}, positionals: ['-1'] });
    expect(parse(['8000', '--timeout', '-1'])).toEqual({ values: { timeout: '-1' }, positionals: ['8000'] });
  });

  it.each([
    [['--bogus'], 'unknown option --bogus; see tool --help'],
    [['-x'], 'unknown option -x; see tool --help'],
    [['--timeout'], '--timeout needs seconds'],
    [['--timeout', '--json'], '--timeout needs seconds; to give one that starts with "-", write --timeout=VALUE'],
    [['--json=yes'], '--json takes no value; see tool --help'],
    [['a', 'b'], 'too many arguments ("b"); see tool --help'],
    [['--timeout', '5', '--timeout', '60'], '--timeout given more than once ("5", then "60"); give it once, with the value meant'],
    [['--timeout=5', '8000', '--timeout=5'], '--timeout given more than once ("5", then "5"); give it once, with the value meant'],
    [['--timeout', '5', '--timeout=\u001b[31m'], '--timeout given more than once ("5", then "\\e[31m"); give it once, with the value meant'],
    [['--x\n\u001b[31mforged'], 'unknown option --x\\n\\e[31mforged; see tool --help'],
  ])('%j: %s', (argv, message) => {
    expect(problem(argv)).toBe(message);
  });

  it.each([
    // A typo of one declared name (suggest.ts's rule), with its value or without.
    [['--jsn'], 'unknown option --jsn; did you mean --json?'],
    [['8000', '--timout', '5'], 'unknown option --timout; did you mean --timeout?'],
    [['--timout=5'], 'unknown option --timout; did you mean --timeout?'],
    [['--JSON'], 'unknown option --JSON; did you mean --json?'],
    // The start of exactly one name; a name with a word added.
    [['--time'], 'unknown option --time; did you mean --timeout?'],
    [['--json-output'], 'unknown option --json-output; did you mean --json?'],
    // A short option: only the same letter in the other case (any other letter is one edit from every short option).
    [['-v'], 'unknown option -v; did you mean -V?'],
    [['-hx'], 'unknown option -x; see tool --help'],
    // A long option written with one dash: said as typed, with the long one meant (it said "unknown option -j").
    [['-json'], 'unknown option -json; did you mean --json?'],
    [['8000', '-timeout=5'], 'unknown option -timeout=5; did you mean --timeout?'],
    [['-jsn'], 'unknown option -jsn; did you mean --json?'],
    [['-xyz'], 'unknown option -xyz; see tool --help'],
    // As typed, escaped, whatever is suggested: the control character never reaches the terminal.
    [['--json\u001b'], 'unknown option --json\\e; did you mean --json?'],
    // Nothing near (no declared name is): the hint.
    [['--registry'], 'unknown option --registry; see tool --help'],
  ])('%j names the option meant when one is near: %s', (argv, message) => {
    expect(problem(argv, 2)).toBe(message);
  });

  it('suggests no flag declared `unsuggested` (parsed only to be refused)', () => {
    const settings = { hint: 'see tool --help', unsuggested: ['json'] };
    expect(() => parseCommandLine(['--jsn'], OPTIONS, settings)).toThrow(new UsageError('unknown option --jsn; see tool --help'));
    // Written with one dash: said as typed all the same (it said "-j").
    expect(() => parseCommandLine(['-json'], OPTIONS, settings)).toThrow(new UsageError('unknown option -json; see tool --help'));
    expect(parseCommandLine(['--json'], OPTIONS, settings).values).toEqual({ json: true });
  });

  it('takes a boolean flag twice, a `multiple` flag many times, and a value after -- as an operand', () => {
    expect(parse(['--json', '--json', '1'])).toEqual({ values: { json: true }, positionals: ['1'] });
    const many = parseCommandLine(['--id', 'a', '--id', 'b'], { id: { type: 'string', multiple: true, help: '' } } as const, { hint: '' });
    expect(many.values).toEqual({ id: ['a', 'b'] });
    expect(parse(['--timeout', '5', '--', '--timeout'])).toEqual({ values: { timeout: '5' }, positionals: ['--timeout'] });
  });

  it('names an unexpected operand when none is taken', () => {
    expect(problem(['api'], 0)).toBe('unexpected argument "api"; see tool --help');
  });

  it('names an option written with typographic dashes (a command copied from a page), the dash, and the option meant; other words with them are left alone', () => {
    const why = (word: string, dash: string, ascii = '--') =>
      `"${word}" starts with ${dash}, not "${ascii}" (a command copied from a web page or a document); did you mean`;
    expect(problem(['8000', '\u2014json'])).toBe(`${why('\u2014json', 'an em dash (U+2014)')} --json?`);
    expect(problem(['\u2013-timeout=5\u001b[2J', '8000'])).toBe(`${why('\u2013-timeout=5\\e[2J', 'an en dash (U+2013)')} --timeout=5\\e[2J?`);
    expect(problem(['\u2212V'])).toBe(`${why('\u2212V', 'a minus sign (U+2212)', '-')} -V?`);
    expect(problem(['\uff0d\uff0dhelp'])).toBe(`${why('\uff0d\uff0dhelp', 'a full-width hyphen-minus (U+FF0D)')} --help?`);
    // A name near a declared one, as an unknown option's: the option meant, without the typed value.
    expect(problem(['\u2014jsn', '8000'])).toBe(`${why('\u2014jsn', 'an em dash (U+2014)')} --json?`);
    expect(problem(['\u2010timout=5', '8000'])).toBe(`${why('\u2010timout=5', 'a hyphen (U+2010)')} --timeout?`);
    // A value or an operand that starts with one is the command's to judge; so is anything after --.
    expect(parse(['--timeout', '\u2014json'])).toEqual({ values: { timeout: '\u2014json' }, positionals: [] });
    expect(parse(['\u2014notes'])).toEqual({ values: {}, positionals: ['\u2014notes'] });
    expect(parse(['--', '\u2014json'])).toEqual({ values: {}, positionals: ['\u2014json'] });
  });
});

describe('conventions', () => {
  it('usage errors exit 64 (EX_USAGE)', () => expect(EXIT_USAGE).toBe(64));

  it('sees a flag declared selectsJson before --, in both forms, and nothing else', () => {
    const flags = {
      json: { type: 'boolean', selectsJson: true, help: '' },
      emit: { type: 'string', short: 'e', selectsJson: 'json', help: '' },
      machine: { type: 'boolean', short: 'm', selectsJson: true, help: '' },
      registry: { type: 'string', help: '' },
    } as const;
    expect(wantsJson(['x', '--json'], flags)).toBe(true);
    expect(wantsJson(['--', '--json'], flags)).toBe(false);
    expect(wantsJson(['--json=yes'], flags)).toBe(true);
    // A value that asks for no JSON: the usage error is text (it printed a JSON error to one who asked for none).
    for (const no of ['false', 'FALSE', '0', 'no', 'off', '']) expect(wantsJson([`--json=${no}`], flags), no).toBe(false);
    expect(wantsJson(['--jsonx'], flags)).toBe(false);
    expect(wantsJson(['--emit', 'json'], flags)).toBe(true);
    expect(wantsJson(['--emit=json'], flags)).toBe(true);
    expect(wantsJson(['--emit', 'text'], flags)).toBe(false);
    expect(wantsJson(['--machine'], flags)).toBe(true);
    expect(wantsJson(['-m'], flags)).toBe(true);
    expect(wantsJson(['--registry', 'json'], flags)).toBe(false);
    // Only what the declarations say: the same spellings mean nothing to a tool that does not declare them.
    expect(wantsJson(['--json'], { registry: flags.registry })).toBe(false);
  });

  it('prints one JSON line for an error', () => {
    expect(errorJson('ports', 'usage', 'bad "x"\nnext', 64)).toBe('{"tool":"ports","error":{"kind":"usage","message":"bad \\"x\\"\\nnext"},"exitCode":64}\n');
  });

  it('colours a terminal only, and never with NO_COLOR or TERM=dumb', () => {
    expect(useColor(true, {})).toBe(true);
    expect(useColor(false, {})).toBe(false);
    expect(useColor(true, { NO_COLOR: '1' })).toBe(false);
    expect(useColor(true, { TERM: 'dumb' })).toBe(false);
  });
});
