// A bad value from the command line or the environment is quoted, never
// echoed whole: each error is one line, escaped (no terminal escape or line
// break gets through), and quotes at most about 200 characters of the value.
import { describe, expect, it } from 'vitest';
import { ports } from './helpers.js';

const HOSTILE = `\u001b[2J\u001b[31m${'x\n[forged] '.repeat(300)}`;

// biome-ignore lint/suspicious/noControlCharactersInRegex: looking for them is the point
const CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/;

function expectQuoted(stderr: string): void {
  expect(stderr.endsWith('\n')).toBe(true);
  // The error, then for a usage error the hint line.
  const lines = stderr.split('\n').slice(0, -1);
  expect(lines.slice(1)).toEqual(lines.length === 2 ? ['Run "ports --help" for usage.'] : []);
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
  ])('%s: one escaped line, the value cut', async (_name, args, env) => {
    const run = await ports(args, { env });
    expect(run.code).not.toBe(0);
    expectQuoted(run.stderr);
  });
});
