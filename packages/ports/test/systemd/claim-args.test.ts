// Pure argument parsing: every bad input is a usage error with a message that names it.
import { describe, expect, it } from 'vitest';
import { flagSpellings, flagsInHelp } from '../../../../test-support/index.js';
import {
  CLAIM_FLAGS,
  claimArgsAlike,
  claimLabel,
  claimPortArgument,
  claimUsage,
  mayNameService,
  parseClaimArgs as parseArgs,
  parseClaimTarget,
  parseClaimTimeout as parseTimeout,
} from '../../src/systemd/claim-args.js';

describe('claim-port --help', () => {
  it('lists exactly the flags claim-port parses (read back from the text), and the parser accepts each', () => {
    const shown = flagsInHelp(claimUsage());
    const declared = flagSpellings(CLAIM_FLAGS);
    expect(new Set(shown)).toEqual(new Set(declared));
    expect(shown).toHaveLength(declared.length);
    for (const flag of shown) {
      const declaredFlag = CLAIM_FLAGS[flag.replace(/^--/, '') as keyof typeof CLAIM_FLAGS];
      const parsed = parseArgs(['8000', flag, ...(declaredFlag?.type === 'string' ? ['5'] : [])]);
      expect(parsed.command === 'usage-error' ? parsed.message : '', flag).not.toMatch(/unknown option/);
    }
  });
});

describe('parseArgs', () => {
  it('accepts a port, a service id and every flag in both forms', () => {
    expect(parseArgs(['8000'])).toEqual({ command: 'claim', target: { port: 8000 }, dryRun: false, force: false, json: false, quiet: false });
    expect(parseArgs(['api', '--dry-run', '--force', '--json', '--quiet', '--timeout', '2.5', '--registry', '/x/ports.yaml'])).toEqual({
      command: 'claim',
      target: { id: 'api' },
      dryRun: true,
      force: true,
      json: true,
      quiet: true,
      timeoutSeconds: 2.5,
      registry: '/x/ports.yaml',
    });
    expect(parseArgs(['--timeout=10', '65535'])).toMatchObject({ target: { port: 65535 }, timeoutSeconds: 10 });
    expect(parseArgs(['--test'])).toEqual({ command: 'self-test', json: false });
    expect(parseArgs(['8000', '--help'])).toEqual({ command: 'help' });
    expect(parseArgs(['--version'])).toEqual({ command: 'version' });
  });

  it('--help and --version do not hide a mistake in the options, wherever they stand (as in port-health-check and ports)', () => {
    for (const argv of [
      ['--bogus', '--help'],
      ['--help', '--bogus'],
      ['-h', '8000', '-x'],
      ['--version', '--bogus'],
      ['--help', '--timeout'],
      ['--help', '--registry', 'a', '--registry', 'b'],
    ])
      expect(parseArgs(argv)).toMatchObject({ command: 'usage-error' });
    // What the values and the operands mean is checked only for a claim: help is help.
    expect(parseArgs(['--help', '8000', '8001'])).toEqual({ command: 'help' });
    expect(parseArgs(['--timeout=abc', '--help'])).toEqual({ command: 'help' });
    expect(parseArgs(['-V', '--test', '8000'])).toEqual({ command: 'version' });
  });

  it.each([
    ['0', /outside 1-65535/],
    ['65536', /outside 1-65535/],
    ['-1', /negative/],
    ['abc!', /neither a port nor a service id/],
    ['80x', /not a plain decimal/],
    ['1e3', /not a plain decimal/],
    ['0x50', /not a plain decimal/],
    ['08000', /leading zero/],
    ['', /empty/],
    [' 80', /white space/],
  ])('refuses the port %j', (arg, message) => {
    const parsed = parseArgs([arg]);
    expect(parsed.command).toBe('usage-error');
    expect((parsed as { message: string }).message).toMatch(message);
  });

  it('mayNameService: what is neither a port nor an id in form (a name or title, for the registry to name), never a broken port or id', () => {
    for (const text of ['FastAPI Backend', 'Vite Dev (default)', 'abc!']) expect(mayNameService(text), text).toBe(true);
    for (const text of ['api', 'FastAPI', '8000', '80x', '-1', '', ' api', 'api/udp', 'a b/udp', '8000 ']) expect(mayNameService(text), text).toBe(false);
  });

  it.each([
    [['8000', '--timeout=abc'], /not a number of seconds/],
    // A negative number is a number, out of range: said as for 0 (it was "is not a number of seconds").
    [['8000', '--timeout=-1'], /^--timeout -1 must be more than 0 seconds$/],
    [['8000', '--timeout', '-1'], /^--timeout -1 must be more than 0 seconds$/],
    [['8000', '--timeout', '-0.5'], /^--timeout -0.5 must be more than 0 seconds$/],
    [['8000', '--timeout=-.5'], /^--timeout -.5 must be more than 0 seconds$/],
    [['8000', '--timeout', '-0'], /^--timeout -0 must be more than 0 seconds$/],
    [['8000', '--timeout=--1'], /not a number of seconds/],
    [['8000', '--timeout=-'], /not a number of seconds/],
    [['8000', '--timeout=-1e3'], /not a number of seconds/],
    [['8000', '--timeout=0'], /more than 0/],
    [['8000', '--timeout=301'], /at most 300/],
    [['8000', '--timeout'], /needs a number/],
    [['8000', '--bogus'], /^unknown option --bogus; see claim-port --help$/],
    [['8000', '-x'], /^unknown option -x; see claim-port --help$/],
    // Near one flag: that flag (the cli-kit's rule, as in the health check and ports).
    [['8000', '--timout', '5'], /^unknown option --timout; did you mean --timeout\?$/],
    [['8000', '--dryrun'], /^unknown option --dryrun; did you mean --dry-run\?$/],
    [['8000', '--forced'], /^unknown option --forced; did you mean --force\?$/],
    [['8000', '-Q'], /^unknown option -Q; did you mean -q\?$/],
    [['8000', '--dry-run=yes'], /takes no value/],
    [['8000', '8001'], /^one port at a time; got "8000", "8001"$/],
    // After `--` every word is an operand: an option there is said to be one, and where it belongs.
    [
      ['--', '8000', '--dry-run', '-q'],
      /^one port at a time; got "8000", "--dry-run", "-q": words after "--" are operands, never options \("--dry-run", "-q"\); put the options before "--"$/,
    ],
    [['--', '8000', '-1'], /^one port at a time; got "8000", "-1"$/],
    [[], /missing the port/],
    [['--test', '8000'], /takes no port/],
    // A service id with a transport: said so (it was "port "api" is not valid: ... give e.g. 5353/udp").
    [['api/tcp'], /^"api\/tcp": a service id takes no \/tcp \(its transport is in the registry\); give the id alone, "api"$/],
    [['8000x/tcp'], /^port "8000x" is not valid: .*; give e.g. 5353\/tcp$/],
    // Two transports: said as such (it was "port "8000/udp" is not valid: it is not a plain decimal integer"); -0 has a sign, not a negative value.
    [['8000/udp/tcp'], /^"8000\/udp\/tcp" is not a port: give PORT, PORT\/tcp or PORT\/udp \(one transport\), or a service id$/],
    [['--', '-0'], /^port "-0" is not valid: it has a sign;/],
    // Digits of another script (Arabic-Indic, fullwidth): a port written wrong, named by code point and in ASCII (it was `unknown service "٨٠"`).
    [
      ['٨٠'],
      /^port "٨٠" is not valid: it is written with digits other than ASCII 0-9 \(U\+0668, U\+0660: 80 in ASCII digits\); give a decimal port 1-65535 or a service id$/,
    ],
    [['１2/udp'], /^port "１2" is not valid: it is written with digits other than ASCII 0-9 \(U\+FF11: 12 in ASCII digits\); give e\.g\. 5353\/udp$/],
    // The transport in capitals, and a service id with white space around it: said as what they are (they were
    // "is not a port: give PORT, PORT/tcp or PORT/udp" and "port \"api \" is not valid: it has surrounding white space").
    [['20001/UDP'], /^"20001\/UDP": the transport is written in lower case; give "20001\/udp"$/],
    [['api/Tcp'], /^"api\/tcp": a service id takes no \/tcp/],
    [['api '], /^service id "api " has surrounding white space; give "api"$/],
    [['\tredis'], /^service id "\\tredis" has surrounding white space; give "redis"$/],
    // A port with its transport and white space around it: said as for a bare port (it was "is not a port").
    [['41000/udp '], /^port "41000\/udp " is not valid: it has surrounding white space; give "41000\/udp"$/],
    [[' 8000/tcp'], /^port " 8000\/tcp" is not valid: it has surrounding white space; give "8000\/tcp"$/],
    [['99999/UDP\n'], /^"99999\/UDP\\n" has surrounding white space; without it, port "99999" is not valid: it is outside 1-65535; give e\.g\. 5353\/udp$/],
    // Options the self-test would silently ignore: `--test --dry-run` still signals (its own processes).
    [['--test', '--dry-run'], /--test takes no --dry-run: the self-test runs with its own settings \(only --json applies\)/],
    [['--test', '--force'], /--test takes no --force/],
    [['--timeout', '5', '--test'], /--test takes no --timeout/],
    [['--test', '--registry', 'ports.yaml'], /--test takes no --registry/],
    [['--test', '-q'], /--test takes no --quiet/],
    [['8000', '--registry'], /needs the path/],
  ])('refuses %j', (argv, message) => {
    const parsed = parseArgs(argv);
    expect(parsed).toMatchObject({ command: 'usage-error' });
    expect((parsed as { message: string }).message).toMatch(message);
  });

  it('refuses millions of digits of another script as a port, never a RangeError (/^\\p{Nd}+$/u overflowed the stack)', () => {
    const parsed = parseClaimTarget('８'.repeat(5_000_000));
    expect(parsed).toMatchObject({
      problem: expect.stringMatching(/^port "８+…" is not valid: it is 5000000 characters long, far too long for a port; give a decimal port/),
    });
  });
});

describe('parseTimeout', () => {
  it('takes decimals up to 300 seconds', () => {
    expect(parseTimeout('0.5')).toEqual({ seconds: 0.5 });
    expect(parseTimeout('.25')).toEqual({ seconds: 0.25 });
    expect(parseTimeout('300')).toEqual({ seconds: 300 });
    expect(parseTimeout('1e2')).toHaveProperty('problem');
    expect(parseTimeout('Infinity')).toHaveProperty('problem');
    expect(parseTimeout('300.01')).toHaveProperty('problem');
  });

  it('says a negative timeout is out of range, as it says for 0, not that it is no number', () => {
    for (const text of ['0', '-1', '-0', '-0.0', '-0.5', '-.5', '-1.', '-300', '-301'])
      expect(parseTimeout(text), text).toEqual({ problem: `--timeout ${text} must be more than 0 seconds` });
    expect(parseTimeout('-0.0001')).toEqual({ problem: '--timeout -0.0001 must be more than 0 seconds' });
    // Still not numbers: signs other than one leading minus, exponents, words.
    for (const text of ['+1', '--1', '-', '-.', '-1e3', '- 1', '-Infinity', '-abc'])
      expect(parseTimeout(text), text).toMatchObject({ problem: expect.stringMatching(/ is not a number of seconds; give e\.g\. --timeout=5/) });
  });
});

describe('claimLabel', () => {
  it.each([
    [['6379'], '6379'],
    [['5353/udp', '--dry-run'], '5353/udp'],
    [['--timeout', '400', 'api'], 'api'],
    [['--timeout=400', 'api'], 'api'],
    [['--registry', 'x.yaml', '--json', 'redis'], 'redis'],
    [['--', '80'], '80'],
    [['--dry-run'], '?'],
    [['-1'], '-1'],
    [['--timeout', '5', '-1'], '-1'],
    [['--timeout', '-1', '80'], '80'],
    [['--', '-1'], '-1'],
    [['-5.5', '--dry-run'], '-5.5'],
    [['-x'], '?'],
    // Any other operand quoted and escaped, as a bad port in form (0080) is shown as it is: no '?' for some bad ports.
    [['\u001b[2J80\n[claim-port:22] forged'], '"\\e\\x5b2J80\\n\\x5bclaim-port:22\\x5d forged"'],
    [['a]b'], '"a\\x5db"'],
    [['x'.repeat(65)], `"${'x'.repeat(63)}…"`],
    [[' 80'], '" 80"'],
    [['+80'], '"+80"'],
    [['\u0668\u0660'], '"\\u0668\\u0660"'],
    [['say "hi"'], '"say \\x22hi\\x22"'],
    [['0080'], '0080'],
    [['1e3'], '1e3'],
    // The word after an unknown option may be its value: never the label.
    [['--timout', '5', '8000'], '8000'],
    [['--timout', '5'], '?'],
    [['--frce', 'api'], '?'],
    [['-t', '5', '8000'], '8000'],
    [['--timout', '-1', '8000'], '8000'],
    [['8000', '--timout', '5'], '8000'],
    // Known flags, grouped or not, and an unknown option written with its value, take no word after them.
    [['--timout=5', '8000'], '8000'],
    [['--force', '8000'], '8000'],
    [['-qh', '8000'], '8000'],
    // A word with typographic dashes (copied from a page) is an option-like word, as the one it reads as.
    [['\u2014dry-run', '8000'], '8000'],
    [['\u2013\u2013json', 'api'], 'api'],
    [['\u2212q', '8000'], '8000'],
    [['\u2014timeout', '5', '8000'], '8000'],
    [['\uff0d\uff0dbogus', '5', '8000'], '8000'],
    [['\u2014bogus', '5'], '?'],
    [['\u20141'], '"\\u20141"'],
  ])('%j -> %s', (argv, label) => {
    expect(claimLabel(argv)).toBe(label);
  });
});

describe('claimArgsAlike', () => {
  it('writes each --option=value of an option with a value as --option value, as parseClaimArgs reads both; operands and values as they are', () => {
    expect(claimArgsAlike(['8000', '--registry=/etc/p.yaml', '--timeout=5'])).toEqual(['8000', '--registry', '/etc/p.yaml', '--timeout', '5']);
    expect(claimArgsAlike(['--registry=', '8000'])).toEqual(['--registry', '', '8000']);
    // The value of --registry is a word of its own, whatever it looks like; so is every word after "--".
    expect(claimArgsAlike(['--registry', '--timeout=5', '8000'])).toEqual(['--registry', '--timeout=5', '8000']);
    expect(claimArgsAlike(['--', '--registry=x'])).toEqual(['--', '--registry=x']);
    // An option without a value, or one claim-port does not know, is left as it is.
    expect(claimArgsAlike(['--force=yes', '--regsitry=x', '8000'])).toEqual(['--force=yes', '--regsitry=x', '8000']);
    for (const args of [
      ['8000', '--registry=/etc/p.yaml', '--timeout=5'],
      ['--registry', '/etc/p.yaml', '8000'],
    ])
      expect(parseArgs(claimArgsAlike(args))).toEqual(parseArgs(args));
  });
});

describe('CLAIM_FLAGS', () => {
  it('is frozen, with every entry: no caller can change how parseClaimArgs reads a claim line for the others', () => {
    const table = CLAIM_FLAGS as unknown as Record<string, Record<string, unknown> & { help: string | string[] }>;
    const changes: Array<() => unknown> = [
      () => delete table.force,
      () => (table.force = { type: 'string', help: '' }),
      () => (table.evil = { type: 'boolean', help: '' }),
      () => (table.registry!.type = 'boolean'),
      () => delete table.timeout!.needs,
      () => (table.timeout!.help as string[]).push('x'),
      () => (table.help!.short = 'x'),
    ];
    for (const change of changes) expect(change).toThrow(TypeError);
    expect(Object.isFrozen(CLAIM_FLAGS)).toBe(true);
    for (const flag of Object.values(CLAIM_FLAGS)) expect(Object.isFrozen(flag)).toBe(true);
    expect(parseArgs(['8000', '--force', '--timeout', '2', '--registry', '/x.yaml'])).toMatchObject({ force: true, timeoutSeconds: 2, registry: '/x.yaml' });
    expect(parseArgs(['8000', '--evil'])).toMatchObject({ command: 'usage-error' });
  });
});

describe('claimPortArgument', () => {
  it("is parseClaimTarget's inverse: a bare port for TCP, PORT/udp for UDP", () => {
    for (const [port, transport, text] of [
      [8000, 'tcp', '8000'],
      [5353, 'udp', '5353/udp'],
      [1, 'tcp', '1'],
      [65535, 'udp', '65535/udp'],
    ] as const) {
      expect(claimPortArgument(port, transport)).toBe(text);
      // A bare port is TCP's: no transport said.
      expect(parseClaimTarget(text)).toEqual(transport === 'udp' ? { port, transport } : { port });
    }
    expect(claimPortArgument(8000)).toBe('8000');
  });

  it('refuses what is not a port or a transport, naming itself (a published function)', () => {
    expect(() => claimPortArgument('8000' as unknown as number)).toThrow(/^claimPortArgument: port must be a number 1-65535, not the string "8000"/);
    expect(() => claimPortArgument(0)).toThrow(new RangeError('claimPortArgument: port must be an integer 1-65535, not 0'));
    expect(() => claimPortArgument(8000, 'UDP' as 'udp')).toThrow(/^claimPortArgument: transport must be "tcp" or "udp"/);
  });
});
