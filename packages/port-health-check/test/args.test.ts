import { describe, expect, it } from 'vitest';
import { wantsJson } from '@dsa110/ports/cli';
import { flagSpellings, flagsInHelp } from '../../../test-support/index.js';
import { FLAGS, parseArgs, usage, useColor } from '../src/args.js';

describe('--help', () => {
  it('lists exactly the flags parseArgs reads (read back from the text), and parseArgs accepts each', () => {
    const shown = flagsInHelp(usage());
    const declared = flagSpellings(FLAGS);
    expect(new Set(shown)).toEqual(new Set(declared));
    expect(shown).toHaveLength(declared.length);
    for (const flag of shown) {
      const declaredFlag = FLAGS[flag.replace(/^--/, '') as keyof typeof FLAGS];
      const request = parseArgs([flag, ...(declaredFlag?.type === 'string' ? ['json'] : [])]);
      expect(request.kind === 'error' ? request.message : '', flag).not.toMatch(/unknown option/);
    }
  });
});

describe('--format', () => {
  it('--help names every format parseArgs accepts, and no other', () => {
    const line = usage()
      .split('\n')
      .find((text) => text.trimStart().startsWith('--format'))!;
    for (const format of ['text', 'json', 'prometheus']) {
      expect(line).toContain(format);
      expect(parseArgs(['--format', format])).toMatchObject({ kind: 'run', format });
    }
  });
});

describe('JSON errors', () => {
  it('are asked for by exactly the spellings that parse to a JSON report (FLAGS declares them, selectsJson)', () => {
    for (const argv of [
      ['--json'],
      ['--format', 'json'],
      ['--format=json'],
      ['--json', '--format', 'json'],
      ['--quiet', '--format', 'json', '--strict', '--output', 'report.json'],
      ['--format', 'text'],
      ['--format=prometheus'],
      ['--service', 'json'],
      ['--output', 'json'],
      [],
    ]) {
      const request = parseArgs(argv);
      expect(request.kind, argv.join(' ')).toBe('run');
      expect(wantsJson(argv, FLAGS), argv.join(' ')).toBe(request.kind === 'run' && request.format === 'json');
    }
  });
});

describe('parseArgs', () => {
  it('defaults to a text report of every service', () => {
    expect(parseArgs([])).toEqual({ kind: 'run', format: 'text', strict: false, quiet: false, claimPortPaths: [], firewall: true });
  });

  it('takes -q for --quiet, as claim-port does, grouped with -h too', () => {
    expect(parseArgs(['-q'])).toMatchObject({ kind: 'run', quiet: true });
    expect(parseArgs(['-qh'])).toEqual({ kind: 'help' });
    expect(parseArgs(['-q', '--json'])).toMatchObject({ kind: 'error', message: expect.stringContaining('--quiet is for the text report') });
  });

  it('reads every option, in both --name value and --name=value forms', () => {
    expect(
      parseArgs([
        '--registry',
        'r.yaml',
        '--root=/tmp/t',
        '--format',
        'prometheus',
        '--output',
        'o.prom',
        '--service',
        'api,redis',
        '--service=grafana',
        '--strict',
        '--quiet',
        '--claim-port',
        '/opt/c',
        '--no-firewall',
      ]),
    ).toEqual({
      kind: 'run',
      registry: 'r.yaml',
      root: '/tmp/t',
      format: 'prometheus',
      output: 'o.prom',
      services: ['api', 'redis', 'grafana'],
      strict: true,
      quiet: true,
      claimPortPaths: ['/opt/c'],
      firewall: false,
    });
  });

  it('takes --root without repeated or trailing slashes, as messages show it (was: `///etc/systemd/system`), and `//` as /', () => {
    const root = (given: string) => {
      const request = parseArgs(['--root', given]);
      return request.kind === 'run' ? request.root : request;
    };
    expect([root('//'), root('/'), root('/srv/img/'), root('/srv//img//'), root('img/'), root('/srv/../img')]).toEqual([
      '/',
      '/',
      '/srv/img',
      '/srv/img',
      'img',
      '/srv/../img', // the kernel resolves `..` (after a link it is not lexical)
    ]);
  });

  it('refuses --quiet with a JSON or Prometheus report on stdout: a whole document is never trimmed, nor --quiet ignored', () => {
    const message = (format: string) =>
      `--quiet is for the text report; with --format ${format} write the report with --output FILE (stdout then shows only the problems) or leave --quiet out`;
    for (const [argv, format] of [
      [['--json', '--quiet'], 'json'],
      [['--quiet', '--format=prometheus'], 'prometheus'],
      [['--format', 'json', '--quiet', '--output', '-'], 'json'],
      // What the output code writes to stdout as it does `-` (writesToStdout): the same refusal.
      [['--json', '--quiet', '--output', '/dev/stdout'], 'json'],
      [['--quiet', '--format', 'prometheus', '--output', '/proc/self/fd/1'], 'prometheus'],
      [['--quiet', '--format', 'prometheus', '--output=/dev/fd/1'], 'prometheus'],
      [['--quiet', '--json', '--output', `/proc/${process.pid}/fd/1`], 'json'],
    ] as const) {
      expect(parseArgs(argv), argv.join(' ')).toEqual({ kind: 'error', message: message(format) });
    }
    expect(parseArgs(['--json', '--quiet', '--output', 'report.json'])).toMatchObject({ kind: 'run', format: 'json', quiet: true, output: 'report.json' });
    // Standard error, or a file, takes the report: stdout shows the problems only.
    expect(parseArgs(['--json', '--quiet', '--output', '/dev/stderr'])).toMatchObject({ kind: 'run', quiet: true, output: '/dev/stderr' });
    expect(parseArgs(['--quiet'])).toMatchObject({ kind: 'run', format: 'text', quiet: true });
  });

  it("keeps a value with spaces whole (a service's name or title, `FastAPI Backend`): the registry says what it is, not the parser", () => {
    expect(parseArgs(['--service', 'FastAPI Backend'])).toMatchObject({ kind: 'run', services: ['FastAPI Backend'] });
    expect(parseArgs(['--service', 'vite, Vite Dev (default) ,api'])).toMatchObject({ kind: 'run', services: ['vite', 'Vite Dev (default)', 'api'] });
    // (`--service "$IDS"` with IDS="api redis": the commas are suggested once the registry knows both ids, cli.test.ts.)
    expect(parseArgs(['--service', 'api redis'])).toMatchObject({ kind: 'run', services: ['api redis'] });
  });

  it('answers help and version', () => {
    expect(parseArgs(['--strict', '-h'])).toEqual({ kind: 'help' });
    expect(parseArgs(['--version'])).toEqual({ kind: 'version' });
    expect(parseArgs(['-V'])).toEqual({ kind: 'version' });
  });

  it('takes --json as --format json', () => {
    expect(parseArgs(['--json'])).toMatchObject({ kind: 'run', format: 'json' });
    expect(parseArgs(['--json', '--format=json'])).toMatchObject({ kind: 'run', format: 'json' });
  });

  it.each([
    [['--format', 'xml'], '--format must be one of text, json, prometheus, not "xml"'],
    [['--format'], '--format needs a value; see port-health-check --help'],
    [['--output', '--strict'], '--output needs a value; to give one that starts with "-", write --output=VALUE'],
    [['--json', '--format', 'prometheus'], '--json and --format prometheus disagree; give one'],
    [['--strict=yes'], '--strict takes no value; see port-health-check --help'],
    [['--root='], '--root needs a non-empty value'],
    [['--registry', 'a', '--registry', 'b'], '--registry given more than once ("a", then "b"); give it once, with the value meant'],
    // An unknown option near one flag names it (the cli-kit's rule, as in claim-port and ports); else the hint.
    [['--stict'], 'unknown option --stict; did you mean --strict?'],
    [['--servic', 'api'], 'unknown option --servic; did you mean --service?'],
    [['--servics=api'], 'unknown option --servics; did you mean --service?'],
    [['--output-file', 'x'], 'unknown option --output-file; did you mean --output?'],
    [['--no-firwall'], 'unknown option --no-firwall; did you mean --no-firewall?'],
    [['-Q'], 'unknown option -Q; did you mean -q?'],
    [['-x'], 'unknown option -x; see port-health-check --help'],
    [['--verbose'], 'unknown option --verbose; see port-health-check --help'],
    [['api'], 'unexpected argument "api" (services are chosen with --service api)'],
    [['help'], 'unexpected argument "help" (for usage, run port-health-check --help)'],
    [['version'], 'unexpected argument "version" (for the version, run port-health-check --version)'],
    [['api,redis'], 'unexpected argument "api,redis" (services are chosen with --service api,redis)'],
    [['--', '--json'], 'unexpected argument "--json"'],
    [['--service='], '--service needs a non-empty value'],
    [['--service', ''], '--service needs a non-empty value'],
    [['--service', 'api', '--service', ''], '--service needs a non-empty value'],
    [['--service', ','], '--service "," names no service; give ids separated by commas'],
    [['--service', ' , '], '--service " , " names no service; give ids separated by commas'],
    [['--claim-port='], '--claim-port needs a non-empty value'],
    // No unit that loads names a relative path with a slash (systemd refuses it), so it could only ever match nothing.
    [
      ['--claim-port', 'bin/cp-x'],
      '--claim-port "bin/cp-x" is a relative path, which systemd refuses in ExecStartPre=; give an absolute path, or a command name without a slash (looked up as systemd looks it up)',
    ],
    [['--x\n\u001b[31mforged'], 'unknown option --x\\n\\e[31mforged; see port-health-check --help'],
    // --help and --version do not hide a mistake in the options, wherever they stand (as in claim-port and ports).
    [['-h', '--bogus'], 'unknown option --bogus; see port-health-check --help'],
    [['--bogus', '--help'], 'unknown option --bogus; see port-health-check --help'],
    [['--version', '--bogus'], 'unknown option --bogus; see port-health-check --help'],
  ])('refuses %j with one clear message', (argv, message) => {
    expect(parseArgs(argv)).toEqual({ kind: 'error', message });
  });

  it('takes a --claim-port command name without a slash, as a unit line may give it', () => {
    expect(parseArgs(['--claim-port', 'cp-x', '--claim-port', '/opt/bin/cp-y'])).toMatchObject({ kind: 'run', claimPortPaths: ['cp-x', '/opt/bin/cp-y'] });
  });
});

describe('useColor', () => {
  it('colours a terminal only, and never with NO_COLOR or TERM=dumb', () => {
    expect(useColor(true, {})).toBe(true);
    expect(useColor(false, {})).toBe(false);
    expect(useColor(undefined, {})).toBe(false);
    expect(useColor(true, { NO_COLOR: '1' })).toBe(false);
    expect(useColor(true, { NO_COLOR: '' })).toBe(true);
    expect(useColor(true, { TERM: 'dumb' })).toBe(false);
  });
});
