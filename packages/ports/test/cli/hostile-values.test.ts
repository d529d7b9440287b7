// A bad value from the command line or the environment is quoted, never
// echoed whole: each error is one line, escaped (no terminal escape or line
// break gets through), and quotes at most about 200 characters of the value.
import { describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { minimalRegistry } from '../helpers.js';
import { CONTROL, ports, portsBin, requireBuilt, tempDir } from './helpers.js';

const HOSTILE = `\u001b[2J\u001b[31m${'x\n[forged] '.repeat(300)}`;

function expectQuoted(stderr: string): void {
  expect(stderr.endsWith('\n')).toBe(true);
  // The error, then for a usage error the hint line.
  const lines = stderr.split('\n').slice(0, -1);
  if (lines.length === 2) expect(lines[1]).toMatch(/^Run "ports( [a-z]+)? --help" for usage\.$/);
  else expect(lines).toHaveLength(1);
  expect(stderr).not.toMatch(CONTROL);
  expect(stderr.length).toBeLessThan(500);
  expect(stderr).toContain('…');
}

describe('ports: hostile values in errors', () => {
  it.each([
    ['an unknown service id', ['get', HOSTILE], {}],
    ['a bad env override', ['get', 'api'], { CONTIMG_API_PORT: HOSTILE }],
    ['a bad --format', ['firewall', '--format', HOSTILE], {}],
    ['a bad --claim-port', ['systemd', '--out', '/nonexistent', '--claim-port', HOSTILE], {}],
    ['a bad --textfile', ['systemd', '--out', '/nonexistent', '--textfile', HOSTILE], {}],
    ['a bad --port-health-check', ['systemd', '--out', '/nonexistent', '--port-health-check', HOSTILE], {}],
    ['an unknown command', [HOSTILE], {}],
    ['an extra argument', ['get', 'api', HOSTILE], {}],
    ['an unknown snippet kind', ['snippet', HOSTILE], {}],
    ['an unknown env format', ['env', '--format', HOSTILE], {}],
    ['an unknown reserved id', ['free', HOSTILE], {}],
  ])('%s: one escaped line, the value cut', async (_name, args, env) => {
    const run = await ports(args, { env });
    expect(run.code).not.toBe(0);
    expectQuoted(run.stderr);
  });
});

describe('ports: a hostile file path in errors', () => {
  const path = `/nonexistent/a\n[forged] line\u001b[31m\u2028x`;
  it.each([
    ['--registry (list)', ['list', '--registry', path], {}],
    ['--registry (get)', ['get', 'api', '--registry', path], {}],
    ['validate FILE', ['validate', path], {}],
    ['$DSA110_PORTS_FILE', ['get', 'api'], { DSA110_PORTS_FILE: path }],
    ['docs --file', ['docs', '--check', '--file', path], {}],
  ])('%s: one line, the path escaped', async (_name, args, env) => {
    const run = await ports(args, { env });
    expect(run.code).toBe(1);
    const printed = run.stderr + run.stdout; // validate reports on stdout
    expect(printed.split('\n')).toHaveLength(2);
    expect(printed).not.toMatch(CONTROL);
    expect(printed).not.toContain('\u2028');
    expect(printed).toContain('/nonexistent/a\\n[forged] line\\e[31m\\u2028x');
  });

  it('validate FILE: a valid registry at such a path is one "ok" line, and its warning one line', async () => {
    const dir = tempDir();
    const file = join(dir, 'a\n[forged] \u001b[31mports.yaml');
    writeFileSync(file, `${minimalRegistry}claim:\n  protect:\n    unprotectBuiltin: [sshd]\n`);
    const run = await ports(['validate', file]);
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(`${dir}/a\\n[forged] \\e[31mports.yaml: ok (2 services, 2 reserved entries)\n`);
    expect(run.stderr).toMatch(/^[^\n]*a\\n\[forged\] \\e\[31mports\.yaml:\d+:\d+: warning: [^\n]*\n$/);
  });
});

describe('ports: an empty value where a path is due (built bin)', () => {
  it.each([
    [['validate', ''], 'ports validate: an empty FILE argument; name the registries to validate'],
    [['validate', 'ports.yaml', ''], 'ports validate: an empty FILE argument; name the registries to validate'],
    [['docs', '--file', ''], 'ports docs: --file needs a path'],
    [['docs', '--check', '--file='], 'ports docs: --file needs a path'],
  ])('ports %j is a usage error in one line, never an internal error with a stack', async (args, message) => {
    requireBuilt();
    const run = await portsBin(args);
    expect(run).toEqual({ code: 64, stdout: '', stderr: `${message}\nRun "ports ${args[0]} --help" for usage.\n` });
  });

  it('a relative --textfile is refused for what it is: a file the service writes, not a program it runs', async () => {
    requireBuilt();
    const run = await portsBin(['systemd', '--out', tempDir(), '--textfile', 'dsa110.prom']);
    expect(run.code).toBe(64);
    expect(run.stderr.split('\n')[0]).toBe(
      'ports systemd: --textfile "dsa110.prom": it must be an absolute path (the service would write it relative to /, not to here)',
    );
  });
});
