// The EnvironmentFile= reader both tools use (`ports systemd --check`, the
// health check): real files under a temp root, a real FIFO (never opened) and
// a file over the limit; then the verdicts on what could not be read.
import { describe, expect, it } from 'vitest';
import { loadUnit, mergeUnit } from '../../src/systemd/effective.js';
import { environmentDoubt, environmentFileFindings, mergeUnitWithEnvironmentFiles, readEnvironmentFiles } from '../../src/systemd/environment-files.js';
import { MAX_ENVIRONMENT_FILE_BYTES } from '../../src/systemd/environment-file.js';
import { readDefaultEnvironment } from '../../src/systemd/manager-defaults.js';
import { tempDir, writeTree, type TreeEntry } from '../../../../test-support/tree.js';

const UNIT = 'etc/systemd/system/svc.service';
const unitText = (...lines: string[]) => `[Service]\n${lines.join('\n')}\nExecStart=/usr/bin/node svc.js\n`;

function merged(files: Record<string, TreeEntry>) {
  const root = writeTree(tempDir(), files);
  return mergeUnitWithEnvironmentFiles(root, loadUnit(root, 'svc.service'));
}

describe('readEnvironmentFiles', () => {
  it('reads each file under the root, once, a link in it resolved inside the root; says which are missing', () => {
    const root = writeTree(tempDir(), {
      'etc/default/svc': 'SVC_PORT=8010\n',
      'etc/default/linked': { symlink: '/srv/svc.env' },
      'srv/svc.env': 'SVC_PORT=8020\n',
    });
    const read = readEnvironmentFiles(root, [
      { path: '/etc/default/svc' },
      { path: '/etc/default/linked' },
      { path: '/etc/default/none' },
      { path: '/etc/default/svc' },
    ]);
    expect([...read.keys()]).toEqual(['/etc/default/svc', '/etc/default/linked', '/etc/default/none']);
    expect(Buffer.from((read.get('/etc/default/svc') as { bytes: Uint8Array }).bytes).toString()).toBe('SVC_PORT=8010\n');
    expect(Buffer.from((read.get('/etc/default/linked') as { bytes: Uint8Array }).bytes).toString()).toBe('SVC_PORT=8020\n');
    expect(read.get('/etc/default/none')).toEqual({ missing: true });
  });

  it('never opens a FIFO, and reads no file past MAX_ENVIRONMENT_FILE_BYTES (one of exactly that size is read)', () => {
    const root = writeTree(tempDir(), {
      'etc/default/pipe': { fifo: true },
      'etc/default/large': 'x'.repeat(MAX_ENVIRONMENT_FILE_BYTES + 1),
      'etc/default/full': 'x'.repeat(MAX_ENVIRONMENT_FILE_BYTES),
    });
    const read = readEnvironmentFiles(root, [{ path: '/etc/default/pipe' }, { path: '/etc/default/large' }, { path: '/etc/default/full' }]);
    expect(read.get('/etc/default/pipe')).toEqual({ problem: 'it is a FIFO (named pipe), not a regular file' });
    expect(read.get('/etc/default/large')).toEqual({ problem: 'it is larger than 1 MiB' });
    expect((read.get('/etc/default/full') as { bytes: Uint8Array }).bytes.length).toBe(MAX_ENVIRONMENT_FILE_BYTES);
  });

  it('refuses arguments that are not a root and { path } entries with absolute paths, naming the bad value', () => {
    expect(() => readEnvironmentFiles('', [])).toThrow(
      new TypeError('readEnvironmentFiles: root must be a directory (a non-empty string), not an empty string'),
    );
    expect(() => readEnvironmentFiles('/', 'etc/default/svc' as never)).toThrow(TypeError);
    expect(() => readEnvironmentFiles('/', [{ path: 'etc/default/svc' }])).toThrow(/each of files must be \{ path \} with an absolute path/);
  });
});

describe('mergeUnitWithEnvironmentFiles', () => {
  it("puts systemd's DefaultEnvironment= (system.conf and its drop-ins, under the root) beneath the unit's own environment, each value with the file:line that set it", () => {
    const files = {
      'etc/systemd/system.conf': '[Manager]\nDefaultEnvironment="DSA110_PORTS_FILE=/etc/dsa110/ports.yaml" GONE=1 "SPACED=a b"\n',
      'etc/systemd/system.conf.d/50-more.conf': '[Manager]\nDefaultEnvironment=EXTRA=\\x41 not-an-assignment\n',
      // Not [Manager]: not the manager's.
      'run/systemd/system.conf.d/60-other.conf': '[Other]\nDefaultEnvironment=OTHER=1\n',
    };
    const unit = merged({ ...files, [UNIT]: unitText('ExecStartPre=+/usr/local/bin/claim-port api $SPACED') });
    expect(Object.fromEntries(unit.environment)).toEqual({
      DSA110_PORTS_FILE: { value: '/etc/dsa110/ports.yaml', file: '/etc/systemd/system.conf', line: 2 },
      GONE: { value: '1', file: '/etc/systemd/system.conf', line: 2 },
      SPACED: { value: 'a b', file: '/etc/systemd/system.conf', line: 2 },
      EXTRA: { value: 'A', file: '/etc/systemd/system.conf.d/50-more.conf', line: 2 },
    });
    // $VARIABLE in a command is expanded from it too.
    expect(unit.execStartPre[0]!.argv).toEqual(['/usr/local/bin/claim-port', 'api', 'a', 'b']);
    // Environment= overrides it (an empty Environment= clears only the unit's own), EnvironmentFile= too, UnsetEnvironment= undoes it.
    const own = merged({
      ...files,
      'etc/default/svc': 'SPACED=from-file\n',
      [UNIT]: unitText(
        'Environment=DSA110_PORTS_FILE=/srv/own.yaml',
        'Environment=',
        'Environment=DSA110_PORTS_FILE=/srv/own.yaml',
        'EnvironmentFile=/etc/default/svc',
        'UnsetEnvironment=GONE',
      ),
    });
    expect(own.environment.get('DSA110_PORTS_FILE')).toEqual({ value: '/srv/own.yaml', file: `/${UNIT}`, line: 4 });
    expect(own.environment.get('SPACED')).toEqual({ value: 'from-file', file: '/etc/default/svc', line: 1 });
    expect(own.environment.has('GONE')).toBe(false);
    expect(own.environment.get('EXTRA')?.value).toBe('A');
    // An empty DefaultEnvironment= in a later drop-in drops what came before it.
    const reset = merged({
      ...files,
      'etc/systemd/system.conf.d/70-reset.conf': '[Manager]\nDefaultEnvironment=\nDefaultEnvironment=LAST=1\n',
      [UNIT]: unitText(),
    });
    expect(Object.fromEntries(reset.environment)).toEqual({ LAST: { value: '1', file: '/etc/systemd/system.conf.d/70-reset.conf', line: 3 } });
    // Given once for many units (the tools read it once): the same merge.
    const root = writeTree(tempDir(), { ...files, [UNIT]: unitText() });
    const given = mergeUnitWithEnvironmentFiles(root, loadUnit(root, 'svc.service'), { defaultEnvironment: readDefaultEnvironment(root) });
    expect(given.environment.get('DSA110_PORTS_FILE')?.file).toBe('/etc/systemd/system.conf');
    expect(() => mergeUnit(loadUnit(root, 'svc.service'), { defaultEnvironment: { A: '1' } as never })).toThrow(
      /^mergeUnit: options\.defaultEnvironment must be a Map of variable name to \{ value, file, line \}/,
    );
  });

  it('applies UnsetEnvironment= last (systemd.exec(5)): a name removes the variable from Environment= and EnvironmentFile= alike, NAME=VALUE only that exact assignment, an empty line resets the list', () => {
    const unit = merged({
      [UNIT]: unitText(
        'Environment=DSA110_PORTS_FILE=/etc/dsa110/ports.yaml SVC_PORT=8020 KEEP=1 EXACT=a',
        'UnsetEnvironment=DSA110_PORTS_FILE',
        'UnsetEnvironment="EXACT=b" KEEP=2',
        'EnvironmentFile=/etc/default/svc',
        `ExecStartPre=+/usr/local/bin/claim-port \${SVC_PORT}`,
      ),
      'etc/systemd/system/svc.service.d/unset.conf': '[Service]\nUnsetEnvironment=SVC_PORT\n',
      'etc/default/svc': 'SVC_PORT=8010\nFROM_FILE=x\n',
    });
    expect(unit.environment.has('DSA110_PORTS_FILE')).toBe(false);
    // Set by the file after the Environment= line it overrode: removed all the same (unset comes last).
    expect(unit.environment.has('SVC_PORT')).toBe(false);
    expect(unit.environment.get('EXACT')?.value).toBe('a');
    expect(unit.environment.get('KEEP')?.value).toBe('1');
    expect(unit.environment.get('FROM_FILE')?.value).toBe('x');
    // ${SVC_PORT} is expanded from the environment the process gets: unset, so one empty argument (systemd.service(5)).
    expect(unit.execStartPre[0]!.argv).toEqual(['/usr/local/bin/claim-port', '']);
    const reset = merged({ [UNIT]: unitText('Environment=A=1', 'UnsetEnvironment=A', 'UnsetEnvironment=') });
    expect(reset.environment.get('A')?.value).toBe('1');
    const exact = merged({ [UNIT]: unitText('Environment=A=1', 'UnsetEnvironment=A=1') });
    expect(exact.environment.has('A')).toBe(false);
  });

  it("applies the files' values over Environment=, as a second mergeUnit given their bytes does", () => {
    const unit = merged({
      [UNIT]: unitText('Environment=SVC_PORT=8020', 'EnvironmentFile=/etc/default/svc'),
      'etc/default/svc': '# svc\nSVC_PORT=8010\n',
    });
    expect(unit.environment.get('SVC_PORT')).toEqual({ value: '8010', file: '/etc/default/svc', line: 2 });
    expect(unit.environmentFiles).toEqual([{ path: '/etc/default/svc', optional: false, file: `/${UNIT}`, line: 3 }]);
  });

  it('merges a unit without EnvironmentFile= as mergeUnit does, and refuses an option it does not take', () => {
    const root = writeTree(tempDir(), { [UNIT]: unitText('Environment=SVC_PORT=8020') });
    const loaded = loadUnit(root, 'svc.service');
    expect(mergeUnitWithEnvironmentFiles(root, loaded)).toEqual(mergeUnit(loaded));
    expect(() => mergeUnitWithEnvironmentFiles(root, loaded, { environmentFiles: new Map() } as never)).toThrow(
      new TypeError('mergeUnitWithEnvironmentFiles: unknown option "environmentFiles"; it takes { hostSpecifiers?, defaultEnvironment? }'),
    );
  });
});

describe('environmentDoubt', () => {
  it('names an unread file that may set the variable: after the file that set it, or any when Environment= set it', () => {
    const fromEnvironment = merged({
      [UNIT]: unitText('Environment=SVC_PORT=8010', 'EnvironmentFile=-/etc/default/pipe'),
      'etc/default/pipe': { fifo: true },
    });
    expect(environmentDoubt(fromEnvironment, ['SVC_PORT', 'SVC_PORT'])).toBe(
      `/etc/default/pipe (EnvironmentFile= at /${UNIT}:3) may set SVC_PORT, and cannot be read: it is a FIFO (named pipe), not a regular file`,
    );
    // Read before the file that sets it: whatever it holds, that file wins.
    const before = merged({
      [UNIT]: unitText('EnvironmentFile=-/etc/default/pipe', 'EnvironmentFile=/etc/default/svc'),
      'etc/default/pipe': { fifo: true },
      'etc/default/svc': 'SVC_PORT=8010\n',
    });
    expect(environmentDoubt(before, ['SVC_PORT'])).toBeUndefined();
    expect(environmentDoubt(before, ['OTHER_PORT'])).toMatch(/^\/etc\/default\/pipe .* may set OTHER_PORT/);
    expect(environmentDoubt(merged({ [UNIT]: unitText('Environment=SVC_PORT=8010') }), ['SVC_PORT'])).toBeUndefined();
  });
});

describe('environmentFileFindings', () => {
  it('an error for a file systemd cannot load without -, none with it; a warning for `export VAR=` of the variable only', () => {
    const unit = merged({
      [UNIT]: unitText(
        'EnvironmentFile=/etc/default/none',
        'EnvironmentFile=-/etc/default/maybe',
        'EnvironmentFile=/etc/default/nul',
        'EnvironmentFile=/etc/default/svc',
      ),
      'etc/default/nul': 'A=1\nB=\0\n',
      'etc/default/svc': 'export SVC_PORT=8010\nexport OTHER=1\n',
    });
    expect(environmentFileFindings(unit, 'SVC_PORT')).toEqual([
      {
        severity: 'error',
        where: `/${UNIT}:2`,
        reason: `/etc/default/none (EnvironmentFile= at /${UNIT}:2): no such file, so systemd does not start svc.service; create it, or write EnvironmentFile=-/etc/default/none if it may be absent`,
      },
      {
        severity: 'error',
        where: `/${UNIT}:4`,
        reason: `/etc/default/nul (EnvironmentFile= at /${UNIT}:4): it holds a NUL byte (line 2), and systemd refuses such a file, so systemd does not start svc.service; fix the file`,
      },
      {
        severity: 'warning',
        where: '/etc/default/svc:1',
        reason:
          '/etc/default/svc:1 sets "export SVC_PORT", which systemd ignores (an EnvironmentFile= takes NAME=VALUE lines, no "export"); write SVC_PORT=... there',
      },
    ]);
    expect(environmentFileFindings(unit).map((finding) => finding.severity)).toEqual(['error', 'error']);
    expect(() => environmentFileFindings(unit, 8010 as never)).toThrow(/variable must be a variable name/);
  });
});
