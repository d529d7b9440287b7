// A claim line behind a wrapper (claimLines, claim-wrapper.ts), held against
// the real wrappers: each line is run with a claim-port that prints the
// arguments it was given, and claimLines must give exactly those; a wrapper
// it cannot read exactly is named by unreadClaimWrappers instead.
import { execFileSync, spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { tempDir, writeTree } from '../../../../test-support/tree.js';
import { claimLines, claimLookupPath, lineAsWritten, unreadClaimWrappers } from '../../src/systemd/claim-line.js';
import { loadUnit, mergeUnit } from '../../src/systemd/effective.js';

/** A root whose api.service runs `ExecStartPre=LINE` (CLAIM in it: a claim-port that prints its arguments, one a line). */
function unitWith(line: (claim: string) => string) {
  const root = tempDir('dsa110-claim-wrapper-');
  const claim = `${root}/bin/claim-port`;
  writeTree(root, {
    'bin/claim-port': { text: '#!/bin/sh\nfor word in "$@"; do printf "%s\\n" "$word"; done\n', mode: 0o755 },
    'etc/systemd/system/api.service': `[Service]\nExecStartPre=${line(claim)}\nExecStart=/usr/bin/api\n`,
  });
  return { root, claim, unit: mergeUnit(loadUnit(root, 'api.service')) };
}

describe('claimLines behind a wrapper, as the real wrapper runs claim-port', () => {
  it.each<[string, (claim: string) => string]>([
    ['env', (claim) => `+/usr/bin/env ${claim} 8000`],
    ['env PATH= and claim-port by its path', (claim) => `+/usr/bin/env PATH=/nonexistent LC_ALL=C ${claim} --registry /etc/dsa110/ports.yaml api`],
    ['env --', (claim) => `+/usr/bin/env -- TZ=UTC ${claim} 8000/udp`],
    ['nice -n N', (claim) => `+/usr/bin/nice -n 5 ${claim} 8000`],
    ['nice -nN, --adjustment=N, -N', (claim) => `+/usr/bin/nice -10 /usr/bin/nice -n3 /usr/bin/nice --adjustment=2 ${claim} --timeout 5 8000`],
    ['ionice', (claim) => `+/usr/bin/ionice -c 3 -t ${claim} 8000`],
    ['ionice with classes by name, any case', (claim) => `+/usr/bin/ionice --class=IDLE /usr/bin/ionice -c Best-Effort -n 7 ${claim} 8000`],
    ['sh -c', (claim) => `+/bin/sh -c '${claim} 8000 --registry "/etc/dsa110/ports.yaml"'`],
    ['bash -c exec, with $0', (claim) => `+/bin/bash -c 'exec /usr/bin/env ${claim} "80"00' x`],
  ])('%s', (_, line) => {
    const { unit } = unitWith(line);
    const [found, ...more] = claimLines(unit.execStartPre, []);
    expect(more).toEqual([]);
    expect(found?.argv[0]).toMatch(/(^|\/)claim-port$/);
    expect(found?.path).toBe(found?.argv[0]);
    expect(lineAsWritten(found!)).toBe(unit.execStartPre[0]);
    expect(unreadClaimWrappers(unit.execStartPre, [])).toEqual([]);
    // The real wrapper, run as systemd runs the command (argv as loaded, PATH as the line sets it).
    const written = unit.execStartPre[0]!.argv;
    const given = execFileSync(written[0]!, written.slice(1), { encoding: 'utf8' }).split('\n').slice(0, -1);
    expect(given).toEqual(found!.argv.slice(1));
  });

  it.each<[string, (claim: string) => string, string]>([
    ['sudo', (claim) => `+/usr/bin/sudo ${claim} 8000`, 'sudo'],
    ['a shell list', (claim) => `+/bin/sh -c '${claim} 8000 || true'`, 'sh -c with "|"'],
    ['a variable in sh -c', (claim) => `+/bin/sh -c '${claim} $$PORT'`, 'sh -c with "$"'],
    ['env -i', (claim) => `+/usr/bin/env -i ${claim} 8000`, 'env with -i'],
    ['env setting the registry', (claim) => `+/usr/bin/env DSA110_PORTS_FILE=/srv/ports.yaml ${claim} 8000`, 'env setting DSA110_PORTS_FILE'],
    ['nice with a value it does not take', (claim) => `+/usr/bin/nice -n x ${claim} 8000`, 'nice with -n'],
  ])('names a wrapper it does not read: %s', (_, line, wrapper) => {
    const { unit } = unitWith(line);
    expect(claimLines(unit.execStartPre, [])).toEqual([]);
    expect(unreadClaimWrappers(unit.execStartPre, []).map((each) => each.wrapper)).toEqual([wrapper]);
  });

  it('env setting PATH, then claim-port by name: a claim, looked up in the last PATH env sets (as its execvp does), not where systemd looks', () => {
    const lines = (line: string) => claimLines(unitWith(() => line).unit.execStartPre, []);
    const [claim] = lines('+/usr/bin/env PATH=/opt/a/bin PATH=/opt/x/bin claim-port 8000');
    expect(claim?.argv).toEqual(['claim-port', '8000']);
    expect(claimLookupPath(claim!)).toBe('/opt/x/bin');
    // Named by path, or without PATH set: systemd's lookup (or none), not env's PATH.
    expect(claimLookupPath(lines('+/usr/bin/env PATH=/opt/x/bin /usr/local/bin/claim-port 8000')[0]!)).toBeUndefined();
    expect(claimLookupPath(lines('+/usr/bin/env claim-port 8000')[0]!)).toBeUndefined();
    expect(claimLookupPath(lines('+claim-port 8000')[0]!)).toBeUndefined();
    // The real env looks it up there: not found in /nonexistent, whatever systemd's search path holds.
    const run = spawnSync('env', ['PATH=/nonexistent', 'claim-port', '8000'], { encoding: 'utf8' });
    expect([run.status, run.stderr]).toEqual([127, 'env: ‘claim-port’: No such file or directory\n']);
  });

  // Each of these, run by the real program, does not run claim-port with `8000` as a loose reading would (`other`: it
  // exits before, or runs claim-port alone), or does (`claims`) but through a form not read: unread, never "no claim
  // line" (an error) nor a claim (a pass).
  it.each<[string, (claim: string) => string, string, 'other' | 'claims']>([
    ['a newline in sh -c, which ends the command', (claim) => `+/bin/sh -c '${claim}\\n8000'`, 'sh -c with "\n"', 'other'],
    ['a newline in bash -c', (claim) => `+/bin/bash -c 'exec ${claim}\\n8000'`, 'bash -c with "\n"', 'other'],
    ['a shell option after -c', (claim) => `+/bin/sh -c -e '${claim} 8000'`, 'sh -c with the option -e', 'claims'],
    ['an ionice class it does not know', (claim) => `+/usr/bin/ionice -c idel ${claim} 8000`, 'ionice with -c idel', 'other'],
    ['an ionice level that is no number', (claim) => `+/usr/bin/ionice -c 2 -n abc ${claim} 8000`, 'ionice with -n abc', 'other'],
    ['a nice adjustment that is no number', (claim) => `+/usr/bin/nice --adjustment=abc ${claim} 8000`, 'nice with --adjustment=abc', 'other'],
    [
      'env setting PATH, then a wrapper by name',
      (claim) => `+/usr/bin/env PATH=/nonexistent nice ${claim} 8000`,
      'env setting PATH, then nice by name',
      'other',
    ],
    ['more than 8 wrappers', (claim) => `+/usr/bin/env${' /usr/bin/env'.repeat(8)} ${claim} 8000`, 'more than 8 wrappers', 'claims'],
  ])('names a wrapper it does not read exactly: %s', (_, line, wrapper, real) => {
    const { unit } = unitWith(line);
    expect(claimLines(unit.execStartPre, [])).toEqual([]);
    expect(unreadClaimWrappers(unit.execStartPre, []).map((each) => each.wrapper)).toEqual([wrapper]);
    const written = unit.execStartPre[0]!.argv;
    const run = spawnSync(written[0]!, written.slice(1), { encoding: 'utf8' });
    if (real === 'claims') expect([run.status, run.stdout]).toEqual([0, '8000\n']);
    else expect([run.status, run.stdout]).not.toEqual([0, '8000\n']);
  });

  it('a command that names no claim-port is neither', () => {
    const { unit } = unitWith(() => `+/usr/bin/env /usr/bin/true 8000`);
    expect(claimLines(unit.execStartPre, [])).toEqual([]);
    expect(unreadClaimWrappers(unit.execStartPre, [])).toEqual([]);
  });
});
