// A unit's effective Restart= from its files (where systemd is not PID 1),
// read with the core systemd model's search (loadUnit): the same drop-ins, in
// the same order, that `ports systemd --check` and the health check see. Each
// case is run twice: under a staged root (the default search path), and from
// $SYSTEMD_UNIT_PATH, which claim-port honours as systemd does.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir, type TreeEntry, writeTree } from '../../../../test-support/tree.js';
import {
  readRestartFromFiles,
  readUserRestartFromFiles,
  type RestartPolicy,
  restartSetting,
  restartsAfterKill,
  unitSearchPath,
  userUnitSearchPath,
} from '../../src/system/unit-restart.js';
import { repoRoot } from '../helpers.js';

const UNIT = 'claim-api.service';
const DIR = 'etc/systemd/system';

/** The unit's files in DIR; the policy read from them both ways, with `source` as each way shows the path. */
function read(files: Record<string, TreeEntry>, unit = UNIT): { root?: RestartPolicy; unitPath?: RestartPolicy; dir: string } {
  const dir = stage(files);
  return { root: readRestartFromFiles(unit, {}, join(dir, '../../..')), unitPath: readRestartFromFiles(unit, { SYSTEMD_UNIT_PATH: dir }), dir };
}

/** A root with `files` in its DIR; returns that DIR. */
function stage(files: Record<string, TreeEntry>): string {
  const root = writeTree(tempDir('unit-restart-'), Object.fromEntries(Object.entries(files).map(([path, entry]) => [`${DIR}/${path}`, entry])));
  return join(root, DIR);
}

function expectBoth(files: Record<string, TreeEntry>, restart: string, source: string | undefined): void {
  const { root, unitPath, dir } = read(files);
  expect(root).toEqual({ restart, source: source === undefined ? 'the default (no Restart= set)' : `/${DIR}/${source}` });
  expect(unitPath).toEqual({ restart, source: source === undefined ? 'the default (no Restart= set)' : `${dir}/${source}` });
}

const SERVICE = '[Service]\nExecStart=/bin/true\n';

describe('Restart= from unit files, through the core drop-in search', () => {
  it('applies the type-wide service.d/ drop-ins to every service', () => {
    expectBoth({ [UNIT]: SERVICE, 'service.d/50-all.conf': '[Service]\nRestart=always\n' }, 'always', 'service.d/50-all.conf');
  });

  it('applies the dash-prefix drop-ins (claim-.service.d/ for claim-api.service)', () => {
    expectBoth({ [UNIT]: SERVICE, 'claim-.service.d/restart.conf': '[Service]\nRestart=on-failure\n' }, 'on-failure', 'claim-.service.d/restart.conf');
  });

  it('lets the unit-specific drop-in of the same name hide the type-wide one, and applies all in file-name order', () => {
    expectBoth(
      {
        [UNIT]: '[Service]\nExecStart=/bin/true\nRestart=always\n',
        'service.d/10-x.conf': '[Service]\nRestart=always\n',
        [`${UNIT}.d/10-x.conf`]: '[Service]\nExecStartPre=/bin/true\n',
        [`${UNIT}.d/20-no.conf`]: '[Service]\nRestart=no\n',
        'service.d/30-z.conf': '[Service]\nRestart=on-abort\n',
      },
      'on-abort',
      'service.d/30-z.conf',
    );
  });

  it('skips hidden drop-ins and directories named *.conf, as systemd does', () => {
    expectBoth({ [UNIT]: SERVICE, [`${UNIT}.d/.restart.conf`]: '[Service]\nRestart=always\n', [`${UNIT}.d/dir.conf`]: { dir: true } }, 'no', undefined);
  });

  it('a masked unit restarts nothing; no unit file and no drop-in: unknown', () => {
    const masked = read({ [UNIT]: { symlink: '/dev/null' }, [`${UNIT}.d/r.conf`]: '[Service]\nRestart=always\n' });
    expect(masked.root).toEqual({ restart: 'no', source: `/${DIR}/${UNIT} (masked)` });
    expect(masked.unitPath).toEqual({ restart: 'no', source: `${masked.dir}/${UNIT} (masked)` });
    const absent = read({ 'other.service': SERVICE });
    expect([absent.root, absent.unitPath]).toEqual([undefined, undefined]);
  });

  it('never blocks on a FIFO among the drop-ins (run in a child, which would hang)', () => {
    const dir = stage({ [UNIT]: SERVICE, [`${UNIT}.d/fifo.conf`]: { fifo: true }, [`${UNIT}.d/r.conf`]: '[Service]\nRestart=always\n' });
    const root = join(dir, '../../..');
    const script = `
      import { readRestartFromFiles } from './packages/ports/src/system/unit-restart.ts';
      console.log(JSON.stringify([readRestartFromFiles(${JSON.stringify(UNIT)}, {}, ${JSON.stringify(root)}), readRestartFromFiles(${JSON.stringify(UNIT)}, { SYSTEMD_UNIT_PATH: ${JSON.stringify(dir)} })]));
    `;
    const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: repoRoot, encoding: 'utf8', timeout: 20_000 });
    expect(child.signal, 'the read hung on the FIFO').toBeNull();
    expect(child.stderr).toBe('');
    const fifo = 'cannot read: it is a FIFO (named pipe), not a regular file, which systemd would block reading; make it a regular file, or remove it';
    expect(JSON.parse(child.stdout)).toEqual([
      { restart: 'always', source: `/${DIR}/${UNIT}.d/r.conf`, problems: [`/${DIR}/${UNIT}.d/fifo.conf: ${fifo}`] },
      { restart: 'always', source: `${dir}/${UNIT}.d/r.conf`, problems: [`${dir}/${UNIT}.d/fifo.conf: ${fifo}`] },
    ]);
  });

  it('a unit file that cannot be read is a problem the policy carries, not an unknown unit; the default no is then a guess', () => {
    // A link to /dev/zero under a staged root points at the image's own /dev/zero (absent there): only read under /.
    const cases: [TreeEntry, string, boolean][] = [
      [{ fifo: true }, 'it is a FIFO (named pipe), not a regular file', true],
      [{ symlink: '/dev/zero' }, 'it is a character device, not a regular file', false],
      [{ dir: true }, 'it is a directory, not a regular file', true],
      [
        `[Service]\nRestart=always\n${'#'.repeat(1024 * 1024)}\n`,
        'it is larger than 1 MiB, the most read here of a unit file or drop-in, though systemd reads one of any size; make it smaller (what it sets is not known until then)',
        true,
      ],
    ];
    const source = "systemd's default, as no file of the unit could be read";
    for (const [entry, reason, staged] of cases) {
      const { root, unitPath, dir } = read({ [UNIT]: entry });
      if (staged) expect(root).toEqual({ restart: 'no', source, problems: [`/${DIR}/${UNIT}: cannot read: ${reason}`] });
      expect(unitPath).toEqual({ restart: 'no', source, problems: [`${dir}/${UNIT}: cannot read: ${reason}`] });
    }
    const { root } = read({ [UNIT]: { fifo: true }, [`${UNIT}.d/r.conf`]: '[Service]\nRestart=on-failure\n' });
    expect(root).toEqual({
      restart: 'on-failure',
      source: `/${DIR}/${UNIT}.d/r.conf`,
      problems: [`/${DIR}/${UNIT}: cannot read: it is a FIFO (named pipe), not a regular file`],
    });
  });
});

describe('Restart= from unit files', () => {
  it('takes the last [Service] Restart=, continuation lines and comments included', () => {
    expect(restartSetting('[Unit]\nRestart=always\n[Service]\nExecStart=/bin/true\n# Restart=always\nRestart=on-failure\n')).toBe('on-failure');
    expect(restartSetting('[Service]\nRestart=\\\n  always\n')).toBe('always');
    // Read by the core systemd model, as systemd reads it: CR line ends, a header with more on its line.
    expect(restartSetting('[Service]\rRestart=always\r')).toBe('always');
    expect(restartSetting('[Service] # x\nRestart=always\n')).toBeUndefined();
    expect(restartSetting('[Service]\nExecStart=/bin/true\n')).toBeUndefined();
    // A value systemd cannot parse, an empty one too, is ignored ("Failed to parse service restart specifier, ignoring"): the one before stands.
    for (const ignored of ['', 'On-Failure', 'alwayz', 'yes', 'always no']) {
      expect(restartSetting(`[Service]\nRestart=always\nRestart=${ignored}\n`), ignored).toBe('always');
      expect(restartSetting(`[Service]\nRestart=${ignored}\n`), ignored).toBeUndefined();
    }
    expect(restartsAfterKill('no')).toBe(false);
    for (const value of ['always', 'on-failure', 'on-abnormal', 'on-abort', 'on-success', 'on-watchdog']) expect(restartsAfterKill(value)).toBe(true);
  });

  it('merges the unit file, its template and drop-ins in systemd’s order, from $SYSTEMD_UNIT_PATH', () => {
    const high = mkdtempSync(join(tmpdir(), 'units-high-'));
    const low = mkdtempSync(join(tmpdir(), 'units-low-'));
    try {
      writeFileSync(join(low, 'worker@.service'), '[Service]\nRestart=always\n');
      mkdirSync(join(high, 'worker@.service.d'));
      writeFileSync(join(high, 'worker@.service.d', '20-no.conf'), '[Service]\nRestart=no\n');
      mkdirSync(join(low, 'worker@.service.d'));
      writeFileSync(join(low, 'worker@.service.d', '10-fail.conf'), '[Service]\nRestart=on-failure\n');
      const env = { SYSTEMD_UNIT_PATH: `${high}:${low}` };
      expect(unitSearchPath(env)).toEqual([high, low]);
      expect(readRestartFromFiles('worker@1.service', env)).toEqual({ restart: 'no', source: join(high, 'worker@.service.d', '20-no.conf') });
      writeFileSync(join(high, 'worker@.service.d', '20-no.conf'), '[Service]\nExecStartPre=/bin/true\n');
      expect(readRestartFromFiles('worker@1.service', env)).toEqual({ restart: 'on-failure', source: join(low, 'worker@.service.d', '10-fail.conf') });
      // An empty Restart= in a later drop-in is ignored by systemd, not a reset to no: the holder would still be restarted.
      writeFileSync(join(high, 'worker@.service.d', '20-no.conf'), '[Service]\nRestart=\n');
      expect(readRestartFromFiles('worker@1.service', env)).toEqual({ restart: 'on-failure', source: join(low, 'worker@.service.d', '10-fail.conf') });
      expect(readRestartFromFiles('absent.service', env)).toBeUndefined();
      expect(unitSearchPath({ SYSTEMD_UNIT_PATH: `${high}:` })).toContain('/etc/systemd/system');
    } finally {
      rmSync(high, { recursive: true, force: true });
      rmSync(low, { recursive: true, force: true });
    }
  });
});

describe("a user manager's search path (systemd.unit(5), User Unit Search Path)", () => {
  it('is user_dirs() with the XDG defaults under the home, highest priority first', () => {
    expect(userUnitSearchPath(1000, '/home/alice/')).toEqual([
      '/home/alice/.config/systemd/user.control',
      '/run/user/1000/systemd/user.control',
      '/run/user/1000/systemd/transient',
      '/run/user/1000/systemd/generator.early',
      '/home/alice/.config/systemd/user',
      '/etc/xdg/systemd/user',
      '/etc/systemd/user',
      '/run/user/1000/systemd/user',
      '/run/systemd/user',
      '/run/user/1000/systemd/generator',
      '/home/alice/.local/share/systemd/user',
      '/usr/local/share/systemd/user',
      '/usr/share/systemd/user',
      '/usr/local/lib/systemd/user',
      '/usr/lib/systemd/user',
      '/run/user/1000/systemd/generator.late',
    ]);
  });

  it('leaves out the home’s directories when the home is not known', () => {
    expect(userUnitSearchPath(1000).some((dir) => dir.includes('.config') || dir.includes('.local'))).toBe(false);
  });

  it('reads the home from passwd: a uid with no entry is a guess that says so, never undefined', () => {
    const dir = mkdtempSync(join(tmpdir(), 'user-restart-'));
    try {
      writeFileSync(join(dir, 'passwd'), 'root:x:0:0:root:/root:/bin/sh\n');
      const policy = readUserRestartFromFiles('claim-nowhere-unit.service', 3999999, join(dir, 'passwd'));
      expect(policy.restart).toBe('no');
      expect(policy.problems).toEqual([
        `uid 3999999 has no home directory in ${join(dir, 'passwd')}, so its ~/.config/systemd/user and ~/.local/share/systemd/user were not read`,
        'no file of claim-nowhere-unit.service is in the default search path of user@3999999.service (its manager may have been started with an $XDG_CONFIG_HOME or $XDG_DATA_HOME of its own)',
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
