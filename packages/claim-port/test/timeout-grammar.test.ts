// --timeout's seconds have one grammar (parseClaimTimeout, @dsa110/ports/systemd),
// held here three ways: what the command accepts, what the health check reads
// in a unit's claim line (claimTarget), and what the README and --help say.
import { claimTarget, claimUsage, parseClaimTimeout } from '@dsa110/ports/systemd';
import { describe, expect, it } from 'vitest';
import { leasePort, section } from '../../../test-support/index.js';
import { claimInProcess } from './helpers.js';

/** Seconds as an operator writes them. */
const ACCEPTED: [string, number][] = [
  ['5', 5],
  ['0.5', 0.5],
  ['.5', 0.5],
  ['5.', 5],
  ['5.0', 5],
  ['05', 5],
  ['300.', 300],
  ['0.001', 0.001],
];

/** Numbers to Number(), not to an operator; each is refused, never guessed at. The second is how the error shows it. */
const REFUSED: [string, string][] = [
  ['+5', '"+5"'],
  ['5e0', '"5e0"'],
  ['0x5', '"0x5"'],
  ['Infinity', '"Infinity"'],
  ['5s', '"5s"'],
  ['500ms', '"500ms"'],
  [' 5', '" 5"'],
  ['5 ', '"5 "'],
  ['.', '"."'],
  ['5..', '"5.."'],
  ['1.2.3', '"1.2.3"'],
  ['5,5', '"5,5"'],
  ['\u0665', '"\u0665"'], // an Arabic-Indic five: a digit to Unicode, not in a unit file
  ['\u001b[31m5', '"\\e[31m5"'],
];

const NOT_SECONDS =
  'is not a number of seconds; give e.g. --timeout=5 or --timeout=0.5 (plain decimal seconds: 5, 0.5, .5 or 5.; no unit, sign, exponent or hex)';

describe('--timeout SECONDS', () => {
  it.each(ACCEPTED)('accepts %j (%d s): the command claims, and the health check reads the claim line as a claim', async (text, seconds) => {
    expect(parseClaimTimeout(text)).toEqual({ seconds });
    const port = leasePort();
    for (const argv of [
      [String(port), '--dry-run', '--timeout', text],
      [String(port), '--dry-run', `--timeout=${text}`],
    ]) {
      expect(await claimInProcess(argv, { port })).toEqual({ code: 0, stdout: '', stderr: `[claim-port:${port}] port ${port} is free; nothing to do\n` });
    }
    expect(claimTarget(['/usr/local/bin/claim-port', '8000', `--timeout=${text}`])).toEqual({ port: 8000 });
  });

  it.each(REFUSED)('refuses %j with one line that names it, escaped, and says what is accepted; so does the health check', async (text, shown) => {
    const port = leasePort();
    const run = await claimInProcess([String(port), '--dry-run', `--timeout=${text}`], { port });
    expect(run).toEqual({ code: 64, stdout: '', stderr: `[claim-port:${port}] error: --timeout ${shown} ${NOT_SECONDS}\n` });
    expect(claimTarget(['/usr/local/bin/claim-port', '8000', `--timeout=${text}`])).toEqual({
      problem: `claim-port would refuse these arguments (a usage error, exit 64): --timeout ${shown} ${NOT_SECONDS}`,
    });
  });

  it('says a number too long for a double is too long, not "more than 0" (it was read as Infinity)', async () => {
    const huge = `1${'0'.repeat(400)}`;
    expect(parseClaimTimeout(huge)).toEqual({ problem: expect.stringMatching(/^--timeout 1000+… must be at most 300 seconds$/) });
    expect(parseClaimTimeout(`-${huge}`)).toEqual({ problem: expect.stringMatching(/^--timeout -1000+… must be more than 0 seconds$/) });
  });

  it('judges the digits as written: a value Number() rounds onto a limit (or to 0) is refused as past it, the command and the health check alike', async () => {
    const tiny = `0.${'0'.repeat(330)}1`;
    for (const [text, problem] of [
      ['300.00000000000000001', 'must be at most 300 seconds'],
      ['0.00099999999999999999999', 'must be at least 0.001 seconds'],
      [tiny, 'must be at least 0.001 seconds'],
    ] as const) {
      expect(parseClaimTimeout(text), text).toEqual({ problem: expect.stringMatching(new RegExp(`^--timeout [0-9.]+…? ${problem.replaceAll('.', '\\.')}$`)) });
      expect(claimTarget(['/usr/local/bin/claim-port', '8000', `--timeout=${text}`]), text).toEqual({ problem: expect.stringContaining(problem) });
    }
    const port = leasePort();
    expect(await claimInProcess([String(port), '--dry-run', '--timeout', '300.00000000000000001'], { port })).toEqual({
      code: 64,
      stdout: '',
      stderr: `[claim-port:${port}] error: --timeout 300.00000000000000001 must be at most 300 seconds\n`,
    });
    // At a limit, however it is written.
    for (const text of ['300.000', '0.0010', '000300', '299.99999999999999999']) expect(parseClaimTimeout(text), text).toEqual({ seconds: Number(text) });
  });

  it('is what the README and --help say: the forms they show are accepted, the ones they name as refused are refused', () => {
    const row = section('packages/claim-port/README.md', '## Flags')
      .split('\n')
      .find((line) => line.startsWith('| `--timeout SECONDS`'))!;
    const [accepted, refused] = row.split('; not ') as [string, string];
    const spans = (text: string) => [...text.matchAll(/`([^`]+)`/g)].map((match) => match[1]!);
    const shown = spans(accepted.slice(accepted.indexOf('in plain decimal')));
    expect(shown).toEqual(['5', '0.5', '.5', '5.', '05']);
    for (const text of shown) expect(parseClaimTimeout(text), text).toHaveProperty('seconds');
    const named = spans(refused.slice(0, refused.indexOf(', each a usage error')));
    expect(named).toEqual(['+5', '5e0', '0x5', '5s', 'Infinity']);
    for (const text of named) expect(parseClaimTimeout(text), text).toEqual({ problem: `--timeout "${text}" ${NOT_SECONDS}` });
    // --help: "plain decimal: 5, 0.5, .5 or 5."
    const help = /plain decimal: ([^;]+);/.exec(claimUsage())![1]!.split(/, | or /);
    expect(help).toEqual(['5', '0.5', '.5', '5.']);
    for (const text of help) expect(parseClaimTimeout(text), text).toHaveProperty('seconds');
  });
});
