import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, linkSync, mkdirSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { dirname, join } from 'node:path';
import { type EnvironmentFileRead, listUnitDirs, loadUnit, mergeUnit } from '../../src/systemd/effective.js';
import { type FileReadError, readFileBytes } from '../../src/files/read.js';
import type { UnitFacts } from '../../src/systemd/types.js';
import { tempDir, type TreeEntry, writeTree } from '../../../../test-support/tree.js';
import { runModuleAsNobody, worldReadableBundle } from '../../../../test-support/index.js';
import { verifyOutcome } from './corpus-model.js';
import { skippedDropInProblem, unreadMaySetExecStart, unreadReadAfter } from '../../src/systemd/claim-verdict.js';

const CLAIM = '/usr/local/bin/claim-port';
const analyze = ['/usr/bin/systemd-analyze', '/bin/systemd-analyze'].find((path) => existsSync(path));

async function effective(files: Parameters<typeof writeTree>[1], unit = 'redis-server.service') {
  const root = writeTree(tempDir(), files);
  return mergeUnit(await loadUnit(root, unit));
}

describe('the effective unit', () => {
  it('takes the unit file from the highest-priority directory', async () => {
    const unit = await effective({
      'lib/systemd/system/redis-server.service': '[Service]\nExecStartPre=/packaged\n',
      'etc/systemd/system/redis-server.service': '[Service]\nExecStartPre=/admin\n',
    });
    expect(unit.file).toBe('/etc/systemd/system/redis-server.service');
    expect(unit.execStartPre.map((line) => line.argv[0])).toEqual(['/admin']);
  });

  it('adds drop-ins in file-name order, across directories, with the file and line of each', async () => {
    const unit = await effective({
      'usr/lib/systemd/system/redis-server.service': '[Service]\nExecStartPre=/bin/first\nExecStart=/usr/bin/redis-server\n',
      'etc/systemd/system/redis-server.service.d/claim-port.conf': `[Service]\nExecStartPre=+${CLAIM} 6379\n`,
      'run/systemd/system/redis-server.service.d/00-early.conf': '[Service]\nExecStartPre=/bin/early\n',
    });
    expect(unit.dropIns).toEqual(['/run/systemd/system/redis-server.service.d/00-early.conf', '/etc/systemd/system/redis-server.service.d/claim-port.conf']);
    expect(unit.execStartPre.map((line) => [line.argv[0], `${line.file}:${line.line}`])).toEqual([
      ['/bin/first', '/usr/lib/systemd/system/redis-server.service:2'],
      ['/bin/early', '/run/systemd/system/redis-server.service.d/00-early.conf:2'],
      [CLAIM, '/etc/systemd/system/redis-server.service.d/claim-port.conf:2'],
    ]);
    expect(unit.execStartPre[2]!.prefixes).toBe('+');
  });

  it('clears earlier ExecStartPre= lines at an empty assignment (override)', async () => {
    const unit = await effective({
      'lib/systemd/system/redis-server.service': `[Service]\nExecStartPre=+${CLAIM} 6379\n`,
      'etc/systemd/system/redis-server.service.d/override.conf': `[Service]\nExecStartPre=\nExecStartPre=+${CLAIM} 6380\n`,
    });
    expect(unit.execStartPre.map((line) => line.argv)).toEqual([[CLAIM, '6380']]);
  });

  it('keeps ExecStart= as systemd does: the command line with file:line, $VAR expanded, an empty line dropping the earlier one', async () => {
    const unit = await effective({
      'lib/systemd/system/redis-server.service':
        '[Service]\nEnvironment=CONF=/etc/redis/redis.conf\nExecStart=/usr/bin/redis-server $CONF --supervised systemd --daemonize no\n',
    });
    expect(unit.execStart?.map((line) => [line.argv, `${line.file}:${line.line}`])).toEqual([
      [['/usr/bin/redis-server', '/etc/redis/redis.conf', '--supervised', 'systemd', '--daemonize', 'no'], '/lib/systemd/system/redis-server.service:3'],
    ]);
    const replaced = await effective({
      'lib/systemd/system/redis-server.service': '[Service]\nExecStart=/usr/bin/redis-server /etc/redis/redis.conf\n',
      'etc/systemd/system/redis-server.service.d/override.conf': '[Service]\nExecStart=\nExecStart=/usr/bin/redis-server /etc/redis/other.conf --port 7001\n',
    });
    expect(replaced.execStart?.map((line) => line.argv)).toEqual([['/usr/bin/redis-server', '/etc/redis/other.conf', '--port', '7001']]);
    expect(replaced.invalid).toBeUndefined();
    // A second ExecStart= without the empty line: both kept, and the unit refused (only Type=oneshot may have two).
    const twice = await effective({
      'lib/systemd/system/redis-server.service': '[Service]\nExecStart=/usr/bin/redis-server /etc/redis/redis.conf\n',
      'etc/systemd/system/redis-server.service.d/override.conf': '[Service]\nExecStart=/usr/bin/redis-server /etc/redis/other.conf\n',
    });
    expect(twice.execStart).toHaveLength(2);
    expect(twice.invalid).toEqual([
      '/lib/systemd/system/redis-server.service: Service has more than one ExecStart=, which only Type=oneshot allows (systemd refuses it)',
    ]);
    const none = await effective({ 'lib/systemd/system/redis-server.service': '[Service]\nExecStop=/bin/true\n' });
    expect(none.execStart).toBeUndefined();
  });

  it('ends with no ExecStartPre= when a drop-in clears them last', async () => {
    const unit = await effective({
      'etc/systemd/system/redis-server.service': `[Service]\nExecStartPre=+${CLAIM} 6379\n`,
      'etc/systemd/system/redis-server.service.d/zz-clear.conf': '[Service]\nExecStartPre=\n',
    });
    expect(unit.execStartPre).toEqual([]);
  });

  it('ignores ExecStartPre= outside [Service]', async () => {
    const unit = await effective({ 'etc/systemd/system/redis-server.service': `[Unit]\nExecStartPre=+${CLAIM} 6379\n` });
    expect(unit.execStartPre).toEqual([]);
  });

  it('merges Environment= (later wins, empty clears) and expands it in ExecStartPre', async () => {
    const unit = await effective(
      {
        'etc/systemd/system/dsa110-api.service': `[Service]\nEnvironment=CONTIMG_API_PORT=8000 OTHER=1\nExecStartPre=+${CLAIM} \${CONTIMG_API_PORT}\n`,
        'etc/systemd/system/dsa110-api.service.d/port.conf': '[Service]\nEnvironment="CONTIMG_API_PORT=8010"\n',
      },
      'dsa110-api.service',
    );
    expect(unit.environment.get('CONTIMG_API_PORT')).toEqual({ value: '8010', file: '/etc/systemd/system/dsa110-api.service.d/port.conf', line: 2 });
    expect(unit.environment.get('OTHER')?.value).toBe('1');
    expect(unit.execStartPre[0]!.argv).toEqual([CLAIM, '8010']);
  });

  it('lets a same-named drop-in in /etc hide the packaged one, and an empty one mask it', async () => {
    const unit = await effective({
      'etc/systemd/system/redis-server.service': '[Service]\n',
      'usr/lib/systemd/system/redis-server.service.d/claim-port.conf': `[Service]\nExecStartPre=+${CLAIM} 6379\n`,
      'etc/systemd/system/redis-server.service.d/claim-port.conf': '',
    });
    expect(unit.dropIns).toEqual([]);
    expect(unit.execStartPre).toEqual([]);
  });

  it('applies template, dash-prefix and type-wide drop-ins', async () => {
    const unit = await effective(
      {
        'etc/systemd/system/api@.service': '[Service]\n',
        'etc/systemd/system/service.d/10-all.conf': '[Service]\nExecStartPre=/all\n',
        'etc/systemd/system/api-.service.d/20-prefix.conf': '[Service]\nExecStartPre=/prefix\n',
        'etc/systemd/system/api@.service.d/30-template.conf': '[Service]\nExecStartPre=/template\n',
      },
      'api@blue.service',
    );
    expect(unit.file).toBe('/etc/systemd/system/api@.service');
    expect(unit.execStartPre.map((line) => line.argv[0])).toEqual(['/all', '/template']);
  });

  it('loads an instance whose name holds another @ from its template, as systemd does (systemd-analyze confirms)', async () => {
    const files = {
      'etc/systemd/system/api@.service': '[Service]\nExecStart=/bin/true %i\n',
      'etc/systemd/system/api@.service.d/30-template.conf': '[Service]\nExecStartPre=/template\n',
    };
    const root = writeTree(tempDir(), files);
    const unit = mergeUnit(loadUnit(root, 'api@a@b.service'));
    expect([unit.file, unit.dropIns]).toEqual(['/etc/systemd/system/api@.service', ['/etc/systemd/system/api@.service.d/30-template.conf']]);
    if (analyze) {
      const shown = spawnSync(analyze, ['verify', '--man=no', `--root=${root}`, 'api@a@b.service'], {
        env: { PATH: process.env.PATH ?? '/usr/bin:/bin', SYSTEMD_LOG_LEVEL: 'debug' },
        encoding: 'utf8',
        timeout: 10_000,
      }).stderr;
      // systemd reads the template's file and its drop-in for the instance (it then finds /template missing from the tree).
      expect(shown).toContain('Unit api@a@b.service has alias api@.service.');
      expect(shown).toContain('api@a@b.service: Command /template is not executable');
    }
  });

  it('reports a unit linked to /dev/null as masked, and follows other links inside the root', async () => {
    const masked = await effective({ 'etc/systemd/system/redis-server.service': { symlink: '/dev/null' } });
    expect(masked.masked).toBe(true);
    const linked = await effective({
      'opt/units/redis.service': `[Service]\nExecStartPre=+${CLAIM} 6379\n`,
      'etc/systemd/system/redis-server.service': { symlink: '/opt/units/redis.service' },
    });
    expect(linked.masked).toBe(false);
    expect(linked.execStartPre[0]!.argv).toEqual([CLAIM, '6379']);
  });

  it("reads the drop-ins of units with no file of their own: their own, a dash prefix's, the type-wide (one listing for all, as the health check passes it)", () => {
    const root = writeTree(tempDir(), {
      'etc/systemd/system/dsa110-.service.d/50-claim.conf': `[Service]\nExecStartPre=+${CLAIM} api\n`,
      'etc/systemd/system/own.service.d/10.conf': '[Service]\nExecStartPre=/own\n',
      'usr/lib/systemd/system/socket.d/10-all.conf': '[Socket]\nBacklog=8\n',
      'lib/systemd/system/other.service': '[Service]\nExecStart=/bin/true\n',
    });
    const listing = listUnitDirs(root);
    const dropIns = (unit: string) => loadUnit(root, unit, listing).dropIns.map((file) => file.path);
    expect(dropIns('dsa110-api.service')).toEqual(['/etc/systemd/system/dsa110-.service.d/50-claim.conf']);
    expect(dropIns('own.service')).toEqual(['/etc/systemd/system/own.service.d/10.conf']);
    expect(dropIns('any.socket')).toEqual(['/usr/lib/systemd/system/socket.d/10-all.conf']);
    expect(loadUnit(root, 'absent.service', listing)).toEqual({ unit: 'absent.service', dropIns: [], problems: [] });
    expect(loadUnit(root, 'other.service', listing).file?.path).toBe('/lib/systemd/system/other.service');
  });

  it('lists a directory once when two search-path names lead to it (merged /usr: /lib -> usr/lib), under the first name, as systemd does', () => {
    for (const link of ['usr/lib', '/usr/lib']) {
      const root = writeTree(tempDir(), {
        'usr/lib/systemd/system/nginx.service': '[Service]\nExecStart=/usr/sbin/nginx\n',
        'usr/lib/systemd/system/nginx.service.d/10.conf': `[Service]\nExecStartPre=+${CLAIM} nginx\n`,
        'etc/systemd/system/multi-user.target.wants/nginx.service': { symlink: '/lib/systemd/system/nginx.service' },
        lib: { symlink: link },
      });
      const listing = listUnitDirs(root);
      expect([...listing.keys()]).toEqual(['etc/systemd/system', 'lib/systemd/system']);
      const unit = mergeUnit(loadUnit(root, 'nginx.service', listing));
      expect(unit.file).toBe('/lib/systemd/system/nginx.service');
      expect(unit.dropIns).toEqual(['/lib/systemd/system/nginx.service.d/10.conf']);
      expect(unit.execStartPre.map((line) => line.argv)).toEqual([[CLAIM, 'nginx']]);
    }
    // A file where a unit directory would be is skipped, as an absent one.
    const withFile = writeTree(tempDir(), { 'run/systemd/system': 'not a directory', 'etc/systemd/system/a.service': '[Service]\n' });
    const problems: string[] = [];
    expect([...listUnitDirs(withFile, problems).keys()]).toEqual(['etc/systemd/system']);
    expect(problems).toEqual([]);
  });

  it('finds nothing (and no problem) when the unit is absent', async () => {
    const unit = await effective({});
    expect(unit.file).toBeUndefined();
    expect(unit).toMatchObject({ dropIns: [], execStartPre: [], problems: [] });
  });
});

describe('the unit file: the one systemd takes, never a copy below it', () => {
  const UNIT = 'redis-server.service';
  const ETC_FILE = `etc/systemd/system/${UNIT}`;
  const BELOW = `/usr/lib/systemd/system/${UNIT}`;
  // A claiming copy below, and drop-ins in two directories: what a fallback would read, and what is read all the same.
  const around: Record<string, TreeEntry> = {
    [BELOW.slice(1)]: `[Service]\nExecStartPre=+${CLAIM} 6379\nExecStart=/usr/bin/redis-server\n`,
    [`usr/lib/systemd/system/${UNIT}.d/10-lib.conf`]: '[Service]\nExecStartPre=/bin/lib\n',
    [`etc/systemd/system/${UNIT}.d/20-etc.conf`]: '[Service]\nExecStartPre=/bin/etc\n',
  };
  const note = ` (systemd loads the unit from this file, never from ${BELOW})`;
  const verify = (root: string, unit: string) =>
    spawnSync(analyze!, ['verify', '--man=no', `--root=${root}`, unit], {
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', SYSTEMD_LOG_LEVEL: 'notice' },
      encoding: 'utf8',
      timeout: 10_000,
    }).stderr;
  /** systemd-analyze verify at debug level, which dumps the unit as loaded: all it printed. */
  const loadedDump = (root: string, unit: string) => {
    const run = spawnSync(analyze!, ['verify', '--man=no', `--root=${root}`, unit], {
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', SYSTEMD_LOG_LEVEL: 'debug' },
      encoding: 'utf8',
      timeout: 10_000,
    });
    return `${run.stdout}${run.stderr}`;
  };

  it('leaves the unit file unread when the file systemd takes cannot be read, and still reads the drop-ins of every directory', () => {
    const cases: [string, Record<string, TreeEntry>, string][] = [
      ['a link to nothing', { [ETC_FILE]: { symlink: '../../../opt/gone.service' } }, 'it leads to /opt/gone.service, which does not exist'],
      [
        'an absolute link to nothing (inside the root)',
        { [ETC_FILE]: { symlink: '/opt/gone.service' } },
        'it leads to /opt/gone.service, which does not exist',
      ],
      ['a link to a directory', { 'opt/dir': { dir: true }, [ETC_FILE]: { symlink: '/opt/dir' } }, 'it is a directory, not a regular file'],
      [
        'a link to a FIFO (never opened)',
        { 'opt/fifo': { fifo: true }, [ETC_FILE]: { symlink: '/opt/fifo' } },
        'it is a FIFO (named pipe), not a regular file',
      ],
      [
        'a file over 1 MiB (systemd reads it; this check does not)',
        { [ETC_FILE]: `[Service]\n${'# pad\n'.repeat(200_000)}` },
        'it is larger than 1 MiB, the most read here of a unit file or drop-in, though systemd reads one of any size; make it smaller (what it sets is not known until then)',
      ],
    ];
    for (const [name, files, given] of cases) {
      const root = writeTree(tempDir(), { ...around, ...files });
      const loaded = loadUnit(root, UNIT);
      // A link to nothing: said under the root (the host's /opt/gone.service is not the one), and marked broken, as
      // systemd fails the unit for it (below); the others systemd may read, as root.
      const broken = given.startsWith('it leads to');
      const reason = broken ? `${given} under ${root}` : given;
      expect(loaded.file, name).toBeUndefined();
      expect(loaded.problems, name).toEqual([`/${ETC_FILE}: cannot read: ${reason}${note}`]);
      expect(loaded.unread, name).toEqual([{ kind: 'file', path: `/${ETC_FILE}`, reason, ...(broken && { broken: true }) }]);
      expect(loaded.dropIns.map((file) => file.path)).toEqual([`/usr/lib/systemd/system/${UNIT}.d/10-lib.conf`, `/etc/systemd/system/${UNIT}.d/20-etc.conf`]);
      expect(mergeUnit(loaded).execStartPre.map((line) => line.argv[0])).toEqual(['/bin/lib', '/bin/etc']);
    }
  });

  it('so does systemd: a link to nothing fails the unit, which is then not found, and the copy below is never loaded (systemd-analyze shows it)', () => {
    const root = writeTree(tempDir(), { ...around, [ETC_FILE]: { symlink: '../../../opt/gone.service' } });
    if (!analyze) return;
    const said = verify(root, UNIT);
    expect(said).toContain(`${UNIT}: Failed to open ${root}/${ETC_FILE}: No such file or directory`);
    expect(said).toContain(`Unit ${UNIT} not found.`);
  });

  it('marks a unit file that is a loop of links broken, as systemd fails the unit for it (ELOOP) and loads no copy below', () => {
    // Relative links, which systemd-analyze --root follows as the root's (it follows an absolute one on the host).
    const root = writeTree(tempDir(), { ...around, 'opt/a': { symlink: 'b' }, 'opt/b': { symlink: 'a' }, [ETC_FILE]: { symlink: '../../../opt/a' } });
    const loaded = loadUnit(root, UNIT);
    expect(loaded.file).toBeUndefined();
    expect(loaded.unread).toEqual([{ kind: 'file', path: `/${ETC_FILE}`, reason: expect.stringMatching(/^a loop of symbolic links/), broken: true }]);
    // One root cannot read is not broken: systemd, as root, may read it.
    const fifo = loadUnit(writeTree(tempDir(), { ...around, 'opt/fifo': { fifo: true }, [ETC_FILE]: { symlink: '/opt/fifo' } }), UNIT);
    expect(fifo.unread?.[0]?.broken).toBeUndefined();
    if (analyze) expect(verify(root, UNIT)).toContain(`${UNIT}: Failed to open ${root}/${ETC_FILE}: Too many levels of symbolic links`);
  });

  it('skips a drop-in that is a link to nothing or a loop of links, as systemd does (the unit loads, no lower drop-in of its name is read): never unread', () => {
    const DROP_INS = `etc/systemd/system/${UNIT}.d`;
    const root = writeTree(tempDir(), {
      ...around,
      [ETC_FILE]: '[Service]\nExecStart=/usr/bin/redis-server\n',
      // Hides /usr/lib's 10-lib.conf (the first of a file name is the one systemd picks, before opening it).
      [`${DROP_INS}/10-lib.conf`]: { symlink: '../../../../opt/gone.conf' },
      'opt/a': { symlink: 'b' },
      'opt/b': { symlink: 'a' },
      [`${DROP_INS}/30-loop.conf`]: { symlink: '../../../../opt/a' },
      [`${DROP_INS}/40-env.conf`]: '[Service]\nEnvironment=KEPT=1\n',
    });
    const loaded = loadUnit(root, UNIT);
    expect(loaded.problems).toEqual([]);
    expect(loaded.unread).toBeUndefined();
    expect(loaded.skippedDropIns).toEqual([
      {
        path: `/${DROP_INS}/10-lib.conf`,
        reason: `it leads to /opt/gone.conf, which does not exist under ${root}`,
        hides: `/usr/lib/systemd/system/${UNIT}.d/10-lib.conf`,
      },
      { path: `/${DROP_INS}/30-loop.conf`, reason: expect.stringMatching(/^a loop of symbolic links/) },
    ]);
    expect(loaded.dropIns.map((file) => file.path)).toEqual([`/${DROP_INS}/20-etc.conf`, `/${DROP_INS}/40-env.conf`]);
    const merged = mergeUnit(loaded);
    expect(merged.skippedDropIns).toEqual(loaded.skippedDropIns);
    expect(merged.execStartPre.map((line) => line.argv[0])).toEqual(['/bin/etc']);
    if (!analyze) return;
    // systemd: the unit loads, the drop-ins after them apply, the hidden one does not (its /bin/lib is never run).
    const said = loadedDump(root, UNIT);
    expect(said).toContain('Unit Load State: loaded');
    expect(said).toContain('Environment: KEPT=1');
    expect(said).toContain('/bin/etc');
    expect(said).not.toContain('/bin/lib');
  });

  it('skips a drop-in that is a socket, which systemd cannot open either (the unit loads, with the drop-ins after it): never unread', () => {
    const DROP_INS = `etc/systemd/system/${UNIT}.d`;
    const root = writeTree(tempDir(), {
      ...around,
      [ETC_FILE]: '[Service]\nExecStart=/usr/bin/redis-server\n',
      [`${DROP_INS}/40-env.conf`]: '[Service]\nEnvironment=KEPT=1\n',
    });
    const socket = join(root, DROP_INS, '30-sock.conf');
    const made = spawnSync('python3', ['-c', 'import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])', socket]);
    expect(made.status, String(made.stderr)).toBe(0);
    const loaded = loadUnit(root, UNIT);
    expect(loaded.problems).toEqual([]);
    expect(loaded.unread).toBeUndefined();
    expect(loaded.skippedDropIns).toEqual([{ path: `/${DROP_INS}/30-sock.conf`, reason: 'it is a socket, which nobody can open as a file' }]);
    expect(skippedDropInProblem(loaded.skippedDropIns![0]!, UNIT, '/')).toBe(
      `its drop-in /${DROP_INS}/30-sock.conf cannot be opened: it is a socket, which nobody can open as a file; systemd skips it without a word and loads ${UNIT} without its settings; remove it`,
    );
    expect(loaded.dropIns.map((file) => file.path)).toEqual([
      `/usr/lib/systemd/system/${UNIT}.d/10-lib.conf`,
      `/${DROP_INS}/20-etc.conf`,
      `/${DROP_INS}/40-env.conf`,
    ]);
    if (!analyze) return;
    const said = loadedDump(root, UNIT);
    expect(said).toContain('Unit Load State: loaded');
    expect(said).toContain('Environment: KEPT=1');
    expect(said).toContain('/bin/etc');
    expect(said).toContain('/bin/lib');
  });

  it('skips a drop-in that is a directory (x.conf/), which systemd reads nothing from, and which hides the drop-in of its name lower down', () => {
    const DROP_INS = `etc/systemd/system/${UNIT}.d`;
    const root = writeTree(tempDir(), {
      ...around,
      [ETC_FILE]: '[Service]\nExecStart=/usr/bin/redis-server\n',
      // The files in the directory are never read, nor is the drop-in of its name in /usr/lib, which would clear the claim.
      [`${DROP_INS}/30-dir.conf/inner.conf`]: '[Service]\nExecStartPre=/bin/inner\n',
      [`usr/lib/systemd/system/${UNIT}.d/30-dir.conf`]: '[Service]\nExecStartPre=\nExecStartPre=/bin/hidden\n',
      [`${DROP_INS}/40-env.conf`]: '[Service]\nEnvironment=KEPT=1\n',
    });
    const loaded = loadUnit(root, UNIT);
    expect(loaded.problems).toEqual([]);
    expect(loaded.unread).toBeUndefined();
    const part = { path: `/${DROP_INS}/30-dir.conf`, reason: 'it is a directory, which systemd reads no drop-in from (not even the files in it)' };
    expect(loaded.skippedDropIns).toEqual([{ ...part, hides: `/usr/lib/systemd/system/${UNIT}.d/30-dir.conf` }]);
    expect(skippedDropInProblem(part, UNIT, '/')).toBe(
      `its drop-in /${DROP_INS}/30-dir.conf is not a file: it is a directory, which systemd reads no drop-in from (not even the files in it); systemd skips it without a word and loads ${UNIT} without its settings; if it was meant as a drop-in, make it a file, else rename it without .conf or remove it`,
    );
    // Not counted as a drop-in: only the files systemd applies.
    expect(loaded.dropIns.map((file) => file.path)).toEqual([
      `/usr/lib/systemd/system/${UNIT}.d/10-lib.conf`,
      `/${DROP_INS}/20-etc.conf`,
      `/${DROP_INS}/40-env.conf`,
    ]);
    expect(mergeUnit(loaded).execStartPre.map((line) => line.argv[0])).toEqual(['/bin/lib', '/bin/etc']);
    if (!analyze) return;
    // systemd 252: "Skipping overridden file" of the one below, and neither the directory's files nor that one applied.
    const said = loadedDump(root, UNIT);
    expect(said).toContain(`Skipping overridden file '${root}/usr/lib/systemd/system/${UNIT}.d/30-dir.conf'`);
    expect(said).toContain('Environment: KEPT=1');
    expect(said).toContain('/bin/etc');
    expect(said).not.toContain('/bin/inner');
    expect(said).not.toContain('/bin/hidden');
  });

  it('skips a drop-in directory that is a loop of links, which holds nothing (systemd loads the unit with its other drop-ins, without a word)', () => {
    const root = writeTree(tempDir(), {
      ...around,
      [ETC_FILE]: '[Service]\nExecStart=/usr/bin/redis-server\n',
      [`run/systemd/system/${UNIT}.d`]: { symlink: `${UNIT}.d` },
    });
    const loaded = loadUnit(root, UNIT);
    expect(loaded.problems).toEqual([]);
    expect(loaded.unread).toBeUndefined();
    expect(loaded.skippedDropIns).toEqual([{ path: `/run/systemd/system/${UNIT}.d`, reason: expect.stringMatching(/^a loop of symbolic links/) }]);
    expect(skippedDropInProblem(loaded.skippedDropIns![0]!, UNIT, root)).toMatch(
      new RegExp(
        `^its drop-in directory ${root}/run/systemd/system/${UNIT.replace('.', '\\.')}\\.d cannot be opened: a loop of symbolic links.*; systemd reads no drop-in from it, without a word, and loads ${UNIT.replace('.', '\\.')} all the same; fix the link or remove it$`,
      ),
    );
    expect(loaded.dropIns.map((file) => file.path)).toEqual([`/usr/lib/systemd/system/${UNIT}.d/10-lib.conf`, `/etc/systemd/system/${UNIT}.d/20-etc.conf`]);
    if (!analyze) return;
    const said = loadedDump(root, UNIT);
    expect(said).toContain('Unit Load State: loaded');
    expect(said).toContain('/bin/etc');
    expect(said).not.toMatch(/symbolic links|canonicalize/i);
  });

  it('takes no template for an instance whose own unit file cannot be read, as systemd takes none', () => {
    const root = writeTree(tempDir(), {
      'etc/systemd/system/api@blue.service': { symlink: '../../../opt/gone.service' },
      'etc/systemd/system/api@.service': `[Service]\nExecStartPre=+${CLAIM} 8000\nExecStart=/bin/true\n`,
    });
    const loaded = loadUnit(root, 'api@blue.service');
    expect(loaded.file).toBeUndefined();
    expect(loaded.problems).toEqual([
      `/etc/systemd/system/api@blue.service: cannot read: it leads to /opt/gone.service, which does not exist under ${root} (systemd loads the unit from this file, never from /etc/systemd/system/api@.service)`,
    ]);
    if (analyze) expect(verify(root, 'api@blue.service')).toContain('api@blue.service: Failed to open ');
  });

  it('passes over a FIFO or directory of the name, as systemd does (the copy below is its unit file), and still reports each', () => {
    const root = writeTree(tempDir(), { ...around, [ETC_FILE]: { fifo: true }, [`run/systemd/system/${UNIT}`]: { dir: true } });
    const loaded = loadUnit(root, UNIT);
    expect(loaded.file?.path).toBe(BELOW);
    expect(loaded.problems).toEqual([
      `/${ETC_FILE}: cannot read: it is a FIFO (named pipe), not a regular file`,
      `/run/systemd/system/${UNIT}: cannot read: it is a directory, not a regular file`,
    ]);
    expect(mergeUnit(loaded).execStartPre.map((line) => line.argv[0])).toEqual([CLAIM, '/bin/lib', '/bin/etc']);
  });

  it('leaves the unit file unread when it is denied to a run that is not root (in a child as nobody when the tests run as root)', async () => {
    const root = writeTree(tempDir(), { ...around, [ETC_FILE]: { text: `[Service]\nExecStart=/usr/bin/redis-server\n`, mode: 0o600 } });
    chmodSync(root, 0o755);
    const asRoot = process.getuid?.() === 0;
    // nobody may not be able to read the checkout (a clone in a 0700 dir): a world-readable bundle of the model.
    const bundle = asRoot ? await worldReadableBundle(new URL('../../src/systemd/effective.ts', import.meta.url).pathname) : '';
    const script = `import { loadUnit } from ${JSON.stringify(bundle)};\nconsole.log(JSON.stringify(loadUnit(${JSON.stringify(root)}, ${JSON.stringify(UNIT)})));`;
    const loaded = asRoot ? JSON.parse(runModuleAsNobody(script).stdout) : loadUnit(root, UNIT);
    expect(loaded.file).toBeUndefined();
    expect(loaded.problems).toEqual([`/${ETC_FILE}: cannot read: permission denied${note}`]);
  });
});

describe('an alias: a unit file that links to another unit name in the search path', () => {
  const LIB = 'usr/lib/systemd/system';
  const verify = (root: string, unit: string) =>
    spawnSync(analyze!, ['verify', '--man=no', `--root=${root}`, unit], {
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', SYSTEMD_LOG_LEVEL: 'notice' },
      encoding: 'utf8',
      timeout: 10_000,
    }).stderr;

  it('keeps the last empty ExecStart=, and an unread drop-in before it cannot set the command (unreadMaySetExecStart)', () => {
    const dir = 'etc/systemd/system/a.service.d';
    const root = writeTree(tempDir(), {
      'etc/systemd/system/a.service': '[Service]\nExecStart=/bin/true\n',
      [`${dir}/50-cmd.conf`]: '[Service]\nExecStart=\nExecStart=/bin/false\n',
    });
    for (const name of ['10-early.conf', '90-late.conf']) spawnSync('mkfifo', [join(root, dir, name)]);
    const unit = mergeUnit(loadUnit(root, 'a.service'));
    expect(unit.execStartCleared).toEqual({ file: `/${dir}/50-cmd.conf`, line: 2 });
    expect(unit.unread?.map((part) => part.path)).toEqual([`/${dir}/10-early.conf`, `/${dir}/90-late.conf`]);
    expect(unreadMaySetExecStart(unit).map((part) => part.path)).toEqual([`/${dir}/90-late.conf`]);
    // With no empty ExecStart=, any unread part may set it.
    expect(unreadMaySetExecStart({ ...unit, execStartCleared: undefined }).map((part) => part.path)).toHaveLength(2);
  });

  it("an unread drop-in may clear a line only when systemd reads it after that line's file (unreadReadAfter, the same order)", () => {
    const dir = 'etc/systemd/system/a.service.d';
    const root = writeTree(tempDir(), {
      'etc/systemd/system/a.service': '[Service]\nExecStart=/bin/true\n',
      [`${dir}/50-claim.conf`]: '[Service]\nExecStartPre=+/usr/local/bin/claim-port 8000\n',
    });
    for (const name of ['10-early.conf', '90-late.conf']) spawnSync('mkfifo', [join(root, dir, name)]);
    const unit = mergeUnit(loadUnit(root, 'a.service'));
    expect(unreadReadAfter(unit, `/${dir}/50-claim.conf`).map((part) => part.path)).toEqual([`/${dir}/90-late.conf`]);
    // A line in the unit file: every drop-in comes after it.
    expect(unreadReadAfter(unit, '/etc/systemd/system/a.service').map((part) => part.path)).toHaveLength(2);
    expect(() => unreadReadAfter(unit, 5 as unknown as string)).toThrow(new TypeError('unreadReadAfter: after must be a path (a string), not number 5'));
  });

  it('loads the target by its name, with the drop-ins of both names, as systemd does (systemd-analyze shows them)', () => {
    for (const [where, link] of [
      ['etc/systemd/system/a.service', `/${LIB}/b.service`],
      [`${LIB}/a.service`, 'b.service'],
    ] as const) {
      const root = writeTree(tempDir(), {
        [`${LIB}/b.service`]: '[Service]\nExecStart=/bin/true\nBFile=1\n',
        // A copy of b higher in the path: systemd loads the target by name, so this one, not the link's file.
        'run/systemd/system/b.service': `[Service]\nExecStartPre=+${CLAIM} 8000\nExecStart=/bin/true\nBRun=1\n`,
        [`${LIB}/b.service.d/20-b.conf`]: '[Service]\nBDropIn=1\n',
        'etc/systemd/system/a.service.d/30-a.conf': '[Service]\nExecStartPre=\nADropIn=1\n',
        [where]: { symlink: link },
      });
      const unit = mergeUnit(loadUnit(root, 'a.service'));
      expect(unit.file).toBe('/run/systemd/system/b.service');
      expect(unit.dropIns).toEqual([`/${LIB}/b.service.d/20-b.conf`, '/etc/systemd/system/a.service.d/30-a.conf']);
      expect(unit.execStartPreCleared).toEqual({ file: '/etc/systemd/system/a.service.d/30-a.conf', line: 2 });
      if (analyze) {
        const shown = verify(root, 'a.service');
        for (const file of ['/run/systemd/system/b.service:4', `/${LIB}/b.service.d/20-b.conf:2`, '/etc/systemd/system/a.service.d/30-a.conf:3'])
          expect(shown).toContain(`${root}${file}: Unknown key`);
        expect(shown).not.toContain(`${LIB}/b.service:3`);
      }
    }
  });

  it('reads a link out of the search path through it, its own drop-ins only; one into it that systemd refuses as an alias (a template to a plain unit) is no unit file', () => {
    const root = writeTree(tempDir(), {
      [`${LIB}/b.service`]: '[Service]\nExecStart=/bin/true\n',
      [`${LIB}/b.service.d/20-b.conf`]: '[Service]\nExecStartPre=/bin/b\n',
      'etc/systemd/system/a@.service': { symlink: `/${LIB}/b.service` },
      'opt/units/c.service': '[Service]\nExecStart=/bin/true\n',
      'etc/systemd/system/d.service': { symlink: '/opt/units/c.service' },
    });
    for (const name of ['a@x.service', 'd.service']) expect(mergeUnit(loadUnit(root, name)).dropIns).toEqual([]);
    expect(mergeUnit(loadUnit(root, 'd.service')).file).toBe('/etc/systemd/system/d.service');
    // systemd 252: "a@.service: symlink target name type "b.service" does not match source, rejecting." and "Unit a@x.service not found."
    expect(loadUnit(root, 'a@x.service').file).toBeUndefined();
    if (analyze) expect(verify(root, 'a@x.service')).toContain('Unit a@x.service not found.');
  });

  it('skips a link into the search path that systemd takes for no alias (no unit name, another type, its own name), and loads the file of the name below it', () => {
    const ETC = 'etc/systemd/system';
    const below = { 'lib/systemd/system/api.service': '[Service]\nExecStart=/nonexistent-lib\n' };
    const x = '[Service]\nExecStartPre=+/usr/local/bin/claim-port 8000\nExecStart=/nonexistent-x\n';
    for (const [entries, reason] of [
      [{ [`${ETC}/x`]: x, [`${ETC}/api.service`]: { symlink: `/${ETC}/x` } }, 'it points to "x", which is not a valid unit name'],
      // Its target missing: still skipped, never a link to nothing that fails the unit.
      [{ [`${ETC}/api.service`]: { symlink: `/${ETC}/x` } }, 'it points to "x", which is not a valid unit name'],
      [{ [`${ETC}/sub/x`]: x, [`${ETC}/api.service`]: { symlink: 'sub/x' } }, 'it points to "x", which is not a valid unit name'],
      [{ [`${ETC}/x.socket`]: x, [`${ETC}/api.service`]: { symlink: 'x.socket' } }, 'it points to "x.socket", a unit of another type'],
      [{ [`${ETC}/x@.service`]: x, [`${ETC}/api.service`]: { symlink: 'x@.service' } }, 'it points to "x@.service", a template, not a plain unit as it is'],
      [{ [`${ETC}/api.service`]: { symlink: '/run/systemd/system/api.service' } }, 'it points to a file of its own name (a self-alias)'],
    ] as const) {
      const root = writeTree(tempDir(), { ...below, ...entries });
      const loaded = loadUnit(root, 'api.service');
      expect(loaded.file?.path, reason).toBe('/lib/systemd/system/api.service');
      expect(loaded.problems).toEqual([]);
      const link = (entries as Record<string, unknown>)[`${ETC}/api.service`] as { symlink: string };
      expect(mergeUnit(loaded).ignoredLinks).toEqual([{ path: `/${ETC}/api.service`, link: link.symlink, reason }]);
      // systemd-analyze verify reads the copy below (it complains of its command), never the link's target.
      if (analyze) {
        const shown = verify(root, 'api.service');
        expect(shown, reason).toContain('Command /nonexistent-lib is not executable');
        expect(shown).not.toContain('nonexistent-x');
      }
    }
  });

  it('says nothing of a link systemd ignores that leads to the very file it loads (a link to the packaged unit of its name)', () => {
    const ETC = 'etc/systemd/system';
    const lower = `[Service]\nExecStart=/nonexistent-lib\n`;
    /** systemd-analyze verify at debug level, which says which links it ignores and dumps the unit as loaded. */
    const dumpOf = (root: string) => {
      const run = spawnSync(analyze!, ['verify', '--man=no', `--root=${root}`, 'api.service'], {
        env: { PATH: process.env.PATH ?? '/usr/bin:/bin', SYSTEMD_LOG_LEVEL: 'debug' },
        encoding: 'utf8',
        timeout: 10_000,
      });
      return `${run.stdout}${run.stderr}`;
    };
    // Relative links where systemd-analyze --root is run: it follows an absolute one on the host, not in the root.
    for (const entries of [
      { [`${LIB}/api.service`]: lower, [`${ETC}/api.service`]: { symlink: `/${LIB}/api.service` } },
      { [`${LIB}/api.service`]: lower, [`${ETC}/api.service`]: { symlink: `../../../${LIB}/api.service` } },
      // The packaged unit a link itself: the same file at the end of both.
      {
        'opt/units/api.service': lower,
        [`${LIB}/api.service`]: { symlink: '../../../../opt/units/api.service' },
        [`${ETC}/api.service`]: { symlink: `../../../${LIB}/api.service` },
      },
    ] as const) {
      const root = writeTree(tempDir(), entries as never);
      const loaded = mergeUnit(loadUnit(root, 'api.service'));
      expect(loaded.file).toBe(`/${LIB}/api.service`);
      expect(loaded.ignoredLinks).toBeUndefined();
      if (analyze) expect(dumpOf(root)).toContain(`Fragment Path: ${root}/${LIB}/api.service\n`);
    }
    // A hard link of it in a subdirectory: the same file by another path (compared by identity, not by path).
    const root = writeTree(tempDir(), { [`${LIB}/api.service`]: lower, [`${ETC}/api.service`]: { symlink: `/${LIB}/sub/api.service` } });
    mkdirSync(join(root, LIB, 'sub'));
    linkSync(join(root, LIB, 'api.service'), join(root, LIB, 'sub/api.service'));
    expect(mergeUnit(loadUnit(root, 'api.service')).ignoredLinks).toBeUndefined();
    // One lower file between the link and its target (systemd loads /usr/local/lib's), or a target in a subdirectory
    // of a unit directory (a self-alias all the same, the file below loaded): the target never read, and said.
    for (const [entries, loads] of [
      [
        {
          [`${LIB}/api.service`]: lower,
          'usr/local/lib/systemd/system/api.service': lower,
          [`${ETC}/api.service`]: { symlink: `../../../${LIB}/api.service` },
        },
        'usr/local/lib/systemd/system/api.service',
      ],
      [
        { [`${LIB}/api.service`]: lower, [`${LIB}/sub/api.service`]: lower, [`${ETC}/api.service`]: { symlink: `../../../${LIB}/sub/api.service` } },
        `${LIB}/api.service`,
      ],
    ] as const) {
      const root = writeTree(tempDir(), entries as never);
      const loaded = mergeUnit(loadUnit(root, 'api.service'));
      expect(loaded.file).toBe(`/${loads}`);
      expect(loaded.ignoredLinks?.map((link) => link.reason)).toEqual(['it points to a file of its own name (a self-alias)']);
      if (analyze) {
        const dump = dumpOf(root);
        expect(dump).toContain('unit self-alias');
        expect(dump).toContain(`Fragment Path: ${root}/${loads}\n`);
      }
    }
  });

  it('an alias of a unit with no unit file: no unit file, not even the one of its name below, and the link said (danglingAlias)', () => {
    const ETC = 'etc/systemd/system';
    const root = writeTree(tempDir(), {
      'lib/systemd/system/api.service': '[Service]\nExecStart=/nonexistent-lib\n',
      [`${ETC}/api.service`]: { symlink: `/${ETC}/other.service` },
    });
    const unit = mergeUnit(loadUnit(root, 'api.service'));
    expect(unit.file).toBeUndefined();
    expect(unit.unread).toBeUndefined();
    expect(unit.danglingAlias).toEqual({
      path: `/${ETC}/api.service`,
      link: `/${ETC}/other.service`,
      target: 'other.service',
      hides: '/lib/systemd/system/api.service',
    });
    if (analyze) expect(verify(root, 'api.service')).toContain('Unit api.service not found.');
    // With a file of the target, no dangling alias.
    writeFileSync(join(root, ETC, 'other.service'), '[Service]\nExecStart=/bin/true\n');
    expect(mergeUnit(loadUnit(root, 'api.service')).danglingAlias).toBeUndefined();
  });
});

describe('the drop-ins of an alias that leads to the unit: systemd loads a unit with every name it has', () => {
  const LIB = 'usr/lib/systemd/system';
  const ETC = 'etc/systemd/system';
  /** What `systemd-analyze verify` reports of `unit` under root (each file's unknown keys: which files it read), root taken off. */
  const verify = (root: string, unit: string) =>
    spawnSync(analyze!, ['verify', '--man=no', `--root=${root}`, unit], {
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', SYSTEMD_LOG_LEVEL: 'notice' },
      encoding: 'utf8',
      timeout: 10_000,
    }).stderr.replaceAll(root, '');
  /** The drop-ins loadUnit applies to `unit`, and (where systemd-analyze is installed) the drop-ins systemd reads: each sets an unknown key. */
  const dropInsOf = (root: string, unit: string) => {
    const { dropIns } = mergeUnit(loadUnit(root, unit));
    if (analyze) {
      const read = [...verify(root, unit).matchAll(/^(\/\S+\.conf):\d+: Unknown key/gm)].map((match) => match[1]);
      expect(read, `systemd-analyze verify ${unit} reads these drop-ins`).toEqual(dropIns);
    }
    return dropIns;
  };

  it('applies the drop-ins of an alias link that names the unit (the link `systemctl enable` makes for Alias=): a port moved there is the port', () => {
    const root = writeTree(tempDir(), {
      [`${LIB}/dsa110-api.service`]: `[Service]\nEnvironment=CONTIMG_API_PORT=8000\nExecStartPre=+${CLAIM} \${CONTIMG_API_PORT}\nExecStart=/bin/true\n`,
      [`${ETC}/api.service`]: { symlink: `/${LIB}/dsa110-api.service` },
      [`${ETC}/api.service.d/port.conf`]: '[Service]\nEnvironment=CONTIMG_API_PORT=9999\nAliasDropIn=1\n',
    });
    expect(dropInsOf(root, 'dsa110-api.service')).toEqual([`/${ETC}/api.service.d/port.conf`]);
    const unit = mergeUnit(loadUnit(root, 'dsa110-api.service'));
    expect(unit.aliases).toEqual(['api.service']);
    expect(unit.environment.get('CONTIMG_API_PORT')).toEqual({ value: '9999', file: `/${ETC}/api.service.d/port.conf`, line: 2 });
    expect(unit.execStartPre[0]!.argv).toEqual([CLAIM, '9999']);
    // With a listing passed in, as the health check loads many units: the same.
    expect(loadUnit(root, 'dsa110-api.service', listUnitDirs(root)).dropIns.map((file) => file.path)).toEqual([`/${ETC}/api.service.d/port.conf`]);
  });

  it('takes a link into a unit directory of the search path that the root lacks for an alias, as systemd does', () => {
    // No lib/systemd/system in the root: a link to /lib/systemd/system/a.service still names a.service (found in usr/lib).
    const root = writeTree(tempDir(), {
      [`${LIB}/a.service`]: '[Service]\nExecStart=/bin/true\n',
      [`${ETC}/b.service`]: { symlink: '/lib/systemd/system/a.service' },
      [`${ETC}/b.service.d/10-b.conf`]: '[Service]\nBDropIn=1\n',
    });
    expect(dropInsOf(root, 'a.service')).toEqual([`/${ETC}/b.service.d/10-b.conf`]);
    expect(loadUnit(root, 'a.service').aliases).toEqual(['b.service']);
  });

  it('finds an alias in any unit directory, a lower one too, and along a chain of aliases', () => {
    const root = writeTree(tempDir(), {
      [`${ETC}/a.service`]: '[Service]\nExecStart=/bin/true\nAFile=1\n',
      // Relative to its own directory: /usr/lib/systemd/system/a.service, which does not exist. systemd still takes the name.
      [`${LIB}/b.service`]: { symlink: 'a.service' },
      [`${LIB}/b.service.d/10-b.conf`]: '[Service]\nBLib=1\n',
      'run/systemd/system/b.service.d/20-b.conf': '[Service]\nBRun=1\n',
      [`${ETC}/c.service`]: { symlink: 'b.service' },
      [`${ETC}/c.service.d/30-c.conf`]: '[Service]\nCEtc=1\n',
    });
    const all = [`/${LIB}/b.service.d/10-b.conf`, '/run/systemd/system/b.service.d/20-b.conf', `/${ETC}/c.service.d/30-c.conf`];
    expect(dropInsOf(root, 'a.service')).toEqual(all);
    expect(loadUnit(root, 'a.service').aliases).toEqual(['b.service', 'c.service']);
    // Named by an alias, the unit is the same one, with the same drop-ins.
    expect(dropInsOf(root, 'c.service')).toEqual(all);
  });

  it('follows a chain of aliases as far as systemd does (7 links), and no further: a longer one names no unit', () => {
    // a1 -> s, a2 -> a1, ..., a11 -> a10: each with a drop-in that sets an unknown key.
    const tree: Record<string, string | { symlink: string }> = { [`${LIB}/s.service`]: '[Service]\nExecStart=/bin/true\n' };
    for (let n = 1; n <= 11; n++) {
      tree[`${LIB}/a${n}.service`] = { symlink: n === 1 ? 's.service' : `a${n - 1}.service` };
      tree[`${LIB}/a${n}.service.d/a${n}.conf`] = `[Service]\nA${n}DropIn=1\n`;
    }
    const root = writeTree(tempDir(), tree);
    expect(dropInsOf(root, 's.service')).toEqual([1, 2, 3, 4, 5, 6, 7].map((n) => `/${LIB}/a${n}.service.d/a${n}.conf`));
    expect(loadUnit(root, 'a7.service').file?.path).toBe(`/${LIB}/s.service`);
    for (const name of ['a8.service', 'a9.service', 'a11.service']) {
      expect(loadUnit(root, name).file, name).toBeUndefined();
      if (analyze) expect(verify(root, name), name).toContain(`Unit ${name} not found`);
    }
  });

  it('takes no link in a `.wants/` directory, nor one shadowed by a file of its name higher up, for an alias', () => {
    const root = writeTree(tempDir(), {
      [`${LIB}/a.service`]: '[Service]\nExecStart=/bin/true\n',
      [`${ETC}/multi-user.target.wants/b.service`]: { symlink: `/${LIB}/a.service` },
      [`${ETC}/b.service.d/10-b.conf`]: `[Service]\nExecStartPre=+${CLAIM} 9999\nBDropIn=1\n`,
      // c.service in /etc is a unit of its own: the alias link below it is never seen.
      [`${ETC}/c.service`]: '[Service]\nExecStart=/bin/true\n',
      [`${LIB}/c.service`]: { symlink: 'a.service' },
      [`${ETC}/c.service.d/10-c.conf`]: '[Service]\nCDropIn=1\n',
      // The one alias there is.
      [`${ETC}/f.service`]: { symlink: `/${LIB}/a.service` },
      [`${ETC}/f.service.d/20-f.conf`]: '[Service]\nFDropIn=1\n',
    });
    expect(dropInsOf(root, 'a.service')).toEqual([`/${ETC}/f.service.d/20-f.conf`]);
    expect(loadUnit(root, 'a.service').aliases).toEqual(['f.service']);
  });

  it('takes no link to a unit of another type, or of another name, for an alias of this unit', () => {
    const root = writeTree(tempDir(), {
      [`${LIB}/a.service`]: '[Service]\nExecStart=/bin/true\n',
      [`${LIB}/d.service`]: '[Service]\nExecStart=/bin/true\n',
      [`${ETC}/b.socket`]: { symlink: `/${LIB}/a.service` },
      [`${ETC}/b.socket.d/10-b.conf`]: '[Socket]\nBSocket=1\n',
      [`${ETC}/b.service.d/10-b.conf`]: '[Service]\nBService=1\n',
      [`${ETC}/c.service`]: { symlink: `/${LIB}/d.service` },
      [`${ETC}/c.service.d/10-c.conf`]: '[Service]\nCDropIn=1\n',
      // Out of the unit directories: a linked unit file, not an alias.
      'opt/units/a.service': '[Service]\nExecStart=/bin/true\n',
      [`${ETC}/e.service`]: { symlink: '/opt/units/a.service' },
      [`${ETC}/e.service.d/10-e.conf`]: '[Service]\nEDropIn=1\n',
    });
    expect(dropInsOf(root, 'a.service')).toEqual([]);
    expect(dropInsOf(root, 'd.service')).toEqual([`/${ETC}/c.service.d/10-c.conf`]);
  });

  it("orders the names' drop-ins by file name; of one file name, the unit's own name wins over an alias's, whatever their directories", () => {
    const root = writeTree(tempDir(), {
      [`${LIB}/a.service`]: '[Service]\nExecStart=/bin/true\n',
      [`${LIB}/b.service`]: { symlink: 'a.service' },
      [`${LIB}/a.service.d/20-port.conf`]: '[Service]\nAOwn=1\n',
      // In a higher directory, yet systemd reads a.service.d/ first (the unit's id is its file's name), so this one is hidden.
      [`${ETC}/b.service.d/20-port.conf`]: '[Service]\nBHidden=1\n',
      [`${ETC}/b.service.d/10-first.conf`]: '[Service]\nBFirst=1\n',
      [`${ETC}/service.d/20-port.conf`]: '[Service]\nTypeWide=1\n',
    });
    const expected = [`/${ETC}/b.service.d/10-first.conf`, `/${LIB}/a.service.d/20-port.conf`];
    expect(dropInsOf(root, 'a.service')).toEqual(expected);
    expect(dropInsOf(root, 'b.service')).toEqual(expected);
  });

  it("applies an alias template's drop-ins to an instance, unless that instance of the alias is a unit of its own", () => {
    const files = {
      [`${LIB}/a@.service`]: '[Service]\nExecStart=/bin/true %i\n',
      [`${ETC}/b@.service`]: { symlink: `/${LIB}/a@.service` },
      [`${ETC}/b@.service.d/10-template.conf`]: '[Service]\nBTemplate=1\n',
      [`${ETC}/b@x.service.d/20-instance.conf`]: '[Service]\nBInstance=1\n',
      [`${ETC}/b@y.service.d/20-other.conf`]: '[Service]\nBOther=1\n',
    };
    const root = writeTree(tempDir(), files);
    expect(dropInsOf(root, 'a@x.service')).toEqual([`/${ETC}/b@.service.d/10-template.conf`, `/${ETC}/b@x.service.d/20-instance.conf`]);
    expect(loadUnit(root, 'a@x.service').aliases).toEqual(['b@x.service']);
    const own = writeTree(tempDir(), { ...files, [`${LIB}/b@x.service`]: '[Service]\nExecStart=/bin/true\n' });
    expect(dropInsOf(own, 'a@x.service')).toEqual([]);
  });

  it('takes a link into a unit directory under another name (/usr/lib on a merged /usr, a subdirectory) for an alias, as systemd does', () => {
    const root = writeTree(tempDir(), {
      // A merged /usr: lib/systemd/system is listed, and usr/lib/systemd/system is the same directory.
      lib: { symlink: 'usr/lib' },
      [`${LIB}/a.service`]: '[Service]\nExecStart=/bin/true\n',
      [`${ETC}/b.service`]: { symlink: `/${LIB}/a.service` },
      [`${ETC}/b.service.d/10-b.conf`]: '[Service]\nBDropIn=1\n',
      // systemd 252 warns of a link into a unit directory's subdirectory ("Suspicious symlink") and takes it as an alias.
      [`${ETC}/sub/a.service`]: '[Service]\nExecStart=/bin/true\nNotRead=1\n',
      [`${ETC}/c.service`]: { symlink: 'sub/a.service' },
      [`${ETC}/c.service.d/10-c.conf`]: '[Service]\nCDropIn=1\n',
    });
    expect(dropInsOf(root, 'a.service')).toEqual([`/${ETC}/b.service.d/10-b.conf`, `/${ETC}/c.service.d/10-c.conf`]);
    expect(mergeUnit(loadUnit(root, 'c.service')).file).toBe('/lib/systemd/system/a.service');
  });
});

describe('what loadUnit could not read, as data (unread) beside the lines it prints (problems)', () => {
  it('gives each unread part its kind, its whole path and, of a drop-in, the bytes of its name: never only escaped, cut text', () => {
    const DIR = 'etc/systemd/system/svc.service.d';
    const root = writeTree(tempDir(), {
      // A unit directory and a drop-in directory that are loops of links: neither can be listed. The drop-in directory
      // holds nothing systemd could read (systemd-analyze verify 252 loads the unit without a word): skipped, not unread.
      'run/systemd/generator': { symlink: 'generator' },
      'run/systemd/system/svc.service.d': { symlink: 'svc.service.d' },
      'etc/systemd/system/svc.service': { fifo: true },
      // The text the problem line puts after a path, in a name.
      [`${DIR}/a: cannot read: b.conf`]: { fifo: true },
      [`${DIR}/zz.conf`]: '[Service]\nExecStartPre=\n',
    });
    // Not UTF-8, and printed longer than a problem line's cut (each 0xff is `\xff`).
    const long = Buffer.concat([Buffer.from('00-'), Buffer.alloc(240, 0xff), Buffer.from('.conf')]);
    writeFileSync(Buffer.concat([Buffer.from(`${root}/${DIR}/`), long]), '[Service]\n');
    const loaded = loadUnit(root, 'svc.service');
    const fifo = 'it is a FIFO (named pipe), not a regular file';
    // A FIFO drop-in, with what to do (systemd 252 blocks opening one: systemd-analyze verify hangs on it).
    const fifoDropIn = `${fifo}, which systemd would block reading; make it a regular file, or remove it`;
    expect(loaded.unread).toEqual([
      { kind: 'listing', path: '/run/systemd/generator', reason: expect.stringMatching(/^a loop of symbolic links/) },
      { kind: 'file', path: '/etc/systemd/system/svc.service', reason: fifo },
      { kind: 'drop-in', path: `/${DIR}/00-${'\udcff'.repeat(240)}.conf`, name: long, reason: expect.stringMatching(/^its name is not UTF-8/) },
      { kind: 'drop-in', path: `/${DIR}/a: cannot read: b.conf`, name: Buffer.from('a: cannot read: b.conf'), reason: fifoDropIn },
    ]);
    expect(loaded.skippedDropIns).toEqual([{ path: '/run/systemd/system/svc.service.d', reason: expect.stringMatching(/^a loop of symbolic links/) }]);
    // The same parts in words, in the same order; the long name is cut there, and whole in unread.
    expect(loaded.problems).toHaveLength(4);
    expect(loaded.problems[0]).toMatch(/^\/run\/systemd\/generator: cannot list: a loop of symbolic links/);
    expect(loaded.problems[2]).toMatch(/^\/etc\/systemd\/system\/svc\.service\.d\/00-(\\xff)+\\?x?…: cannot read: its name is not UTF-8 /);
    expect(loaded.problems[3]).toBe(`/${DIR}/a: cannot read: b.conf: cannot read: ${fifoDropIn}`);
    const unit = mergeUnit(loaded);
    expect(unit.unread).toEqual(loaded.unread);
    expect(unit.execStartPreCleared).toEqual({ file: `/${DIR}/zz.conf`, line: 2 });

    // Given a listing, a unit directory it could not list is still unread; its line went to listUnitDirs' caller.
    const problems: string[] = [];
    const listing = listUnitDirs(root, problems);
    expect(problems).toEqual([loaded.problems[0]]);
    const given = loadUnit(root, 'svc.service', listing);
    expect(given.unread).toEqual(loaded.unread);
    expect(given.problems).toEqual(loaded.problems.slice(1));
    expect(loadUnit(root, 'absent.service', listing)).toEqual({ unit: 'absent.service', dropIns: [], problems: [], unread: [loaded.unread![0]] });
  });

  it('leaves unread out when everything could be read', () => {
    const root = writeTree(tempDir(), { 'etc/systemd/system/svc.service': '[Service]\nExecStart=/bin/true\n' });
    expect(loadUnit(root, 'svc.service')).not.toHaveProperty('unread');
    expect(mergeUnit(loadUnit(root, 'svc.service'))).not.toHaveProperty('unread');
  });
});

describe('mergeUnit given a unit that is not a LoadedUnit (from JavaScript)', () => {
  const untyped = mergeUnit as (...args: unknown[]) => unknown;
  const file = { path: '/etc/systemd/system/a.service', text: '[Service]\nExecStart=/bin/true %H\nExecStartPre=/bin/echo %H\n' };
  it('names itself and the field, never "loaded.dropIns is not iterable"', () => {
    expect(() => untyped({})).toThrow(new TypeError('mergeUnit: loaded.unit must be a unit name (a string), not undefined'));
    expect(() => untyped({ unit: 'a.service', problems: [] })).toThrow(
      new TypeError('mergeUnit: loaded.dropIns must be an array of { path, text }, not undefined'),
    );
    expect(() => untyped({ unit: 'a.service', file: null, dropIns: [], problems: [] })).toThrow(
      new TypeError('mergeUnit: loaded.file must be an object ({ path, text }), not null'),
    );
    expect(() => untyped({ unit: 'a.service', dropIns: [{ path: '/x.conf', text: 5 }], problems: [] })).toThrow(
      /^mergeUnit: loaded.dropIns\[0\].text must be a string .*not number 5$/,
    );
    expect(() => untyped({ unit: 'a.service', dropIns: [] })).toThrow(new TypeError('mergeUnit: loaded.problems must be an array of strings, not undefined'));
    expect(() => untyped({ unit: 'a.service', dropIns: [], problems: [], unread: {} })).toThrow(
      /^mergeUnit: loaded\.unread must be an array of \{ kind, path, name\?, reason \}, or left out, not an object$/,
    );
    // An entry at fault is named: "must be an array of ..., not an array" contradicted itself.
    for (const entry of [
      { kind: 'dir', path: '/x', reason: 'why' },
      { kind: 'drop-in', path: '/x.conf', name: 'x.conf', reason: 'why' },
    ]) {
      expect(() => untyped({ unit: 'a.service', dropIns: [], problems: [], unread: [entry] })).toThrow(
        /^mergeUnit: loaded\.unread\[0\] must be \{ kind: "file", "drop-in" or "listing", path, name\?: bytes, reason \}, not an object$/,
      );
    }
    expect(() => untyped({ unit: 'a.service', dropIns: [], problems: ['a', 5] })).toThrow(
      new TypeError('mergeUnit: loaded.problems[1] must be a string, not number 5'),
    );
    expect(() => untyped({ unit: 'a.service', dropIns: [], problems: [], aliases: ['a.service', null] })).toThrow(
      new TypeError('mergeUnit: loaded.aliases[1] must be a unit name (a string), not null'),
    );
    expect(() => untyped({ unit: 'a.service', file, dropIns: [], problems: [] }, { hostSpecifiers: { H: 1 } })).toThrow(
      /^mergeUnit: options.hostSpecifiers.H must be a string/,
    );
    expect(() => untyped({ unit: 'a.service', file, dropIns: [], problems: [] }, { hostSpecifier: {} })).toThrow(
      new TypeError(
        'mergeUnit: unknown option "hostSpecifier" (did you mean "hostSpecifiers"?); it takes { hostSpecifiers?, environmentFiles?, defaultEnvironment? }',
      ),
    );
  });

  it('reads options by their own properties only (never through a polluted Object.prototype)', () => {
    const loaded = { unit: 'a.service', file, dropIns: [], problems: [] };
    const polluted = Object.prototype as Record<string, unknown>;
    try {
      polluted.hostSpecifiers = { H: 'evil' };
      expect(mergeUnit(loaded, {}).execStartPre[0]!.argv).toEqual(['/bin/echo', '%H']);
      expect(mergeUnit(loaded).execStartPre[0]!.argv).toEqual(['/bin/echo', '%H']);
    } finally {
      delete polluted.hostSpecifiers;
    }
    expect(mergeUnit(loaded, { hostSpecifiers: { H: 'host' } }).execStartPre[0]!.argv).toEqual(['/bin/echo', 'host']);
  });
});

describe('EnvironmentFile= in the merge', () => {
  const UNIT = 'etc/systemd/system/svc.service';

  /** Merge a unit under a real tree, twice as the health check does: once to learn its files, then with their bytes (read from the tree). */
  function merged(files: Parameters<typeof writeTree>[1], options: { hostSpecifiers?: Record<string, string> } = {}) {
    const root = writeTree(tempDir(), files);
    const loaded = loadUnit(root, 'svc.service');
    const first = mergeUnit(loaded, options);
    const environmentFiles = new Map<string, EnvironmentFileRead>();
    for (const { path } of first.environmentFiles ?? []) {
      try {
        environmentFiles.set(path, { bytes: readFileBytes(join(root, path), { maxBytes: 1024 * 1024 }) });
      } catch (error) {
        environmentFiles.set(path, (error as FileReadError).kind === 'missing' ? { missing: true } : { problem: (error as FileReadError).reason });
      }
    }
    return { first, unit: mergeUnit(loaded, { ...options, environmentFiles }) };
  }
  const env = (unit: UnitFacts) =>
    Object.fromEntries([...unit.environment].map(([name, setting]) => [name, `${setting.value} @ ${setting.file}:${setting.line}`]));

  it("applies the files after every Environment= (a file's value wins, even from the unit file before a drop-in), with file:line, and expands ExecStartPre with them", () => {
    const { unit } = merged({
      [UNIT]: `[Service]\nEnvironmentFile=/etc/default/svc\nExecStartPre=+${CLAIM} \${SVC_PORT}\nExecStart=/usr/bin/svc\n`,
      [`${UNIT}.d/port.conf`]: '[Service]\nEnvironment=SVC_PORT=8000 KEPT=1\n',
      'etc/default/svc': '# svc settings\n\nSVC_PORT=9000\n',
    });
    expect(env(unit)).toEqual({ SVC_PORT: '9000 @ /etc/default/svc:3', KEPT: `1 @ /${UNIT}.d/port.conf:2` });
    expect(unit.execStartPre[0]!.argv).toEqual([CLAIM, '9000']);
    expect(unit.environmentFiles).toEqual([{ path: '/etc/default/svc', optional: false, file: `/${UNIT}`, line: 2 }]);
  });

  it('reads several files in order (a later one wins); an empty EnvironmentFile= drops those before it', () => {
    const files = {
      'etc/default/a': 'SVC_PORT=9001\nA=1\n',
      'etc/default/b': 'SVC_PORT=9002\n',
      'etc/default/c': 'C=3\n',
    };
    const both = merged({ ...files, [UNIT]: '[Service]\nEnvironmentFile=/etc/default/a\nEnvironmentFile=/etc/default/b\nExecStart=/usr/bin/svc\n' });
    expect(env(both.unit)).toEqual({ SVC_PORT: '9002 @ /etc/default/b:1', A: '1 @ /etc/default/a:2' });
    const reset = merged({
      ...files,
      [UNIT]: '[Service]\nEnvironmentFile=/etc/default/a\nExecStart=/usr/bin/svc\n',
      [`${UNIT}.d/reset.conf`]: '[Service]\nEnvironmentFile=\nEnvironmentFile=/etc/default/c\n',
    });
    expect(env(reset.unit)).toEqual({ C: '3 @ /etc/default/c:1' });
    expect(reset.unit.environmentFiles!.map((file) => file.path)).toEqual(['/etc/default/c']);
  });

  it('a missing file: ignored with -, a failure without it; unreadable: unread, its variables not set', () => {
    const { unit } = merged({
      [UNIT]:
        '[Service]\nEnvironment=SVC_PORT=8000\nEnvironmentFile=-/etc/default/absent\nEnvironmentFile=/etc/default/required\nEnvironmentFile=/etc/default/pipe\nExecStart=/usr/bin/svc\n',
      'etc/default/pipe': { fifo: true },
    });
    expect(unit.environmentFiles).toEqual([
      { path: '/etc/default/absent', optional: true, file: `/${UNIT}`, line: 3, failed: 'no such file' },
      { path: '/etc/default/required', optional: false, file: `/${UNIT}`, line: 4, failed: 'no such file' },
      { path: '/etc/default/pipe', optional: false, file: `/${UNIT}`, line: 5, unread: 'it is a FIFO (named pipe), not a regular file' },
    ]);
    expect(env(unit)).toEqual({ SVC_PORT: `8000 @ /${UNIT}:2` });
  });

  it('a file systemd refuses (NUL byte) sets nothing; keys it ignores (export) are listed', () => {
    const { unit } = merged({
      [UNIT]: '[Service]\nEnvironmentFile=/etc/default/nul\nEnvironmentFile=/etc/default/export\nExecStart=/usr/bin/svc\n',
      'etc/default/nul': 'SVC_PORT=9000\nX=\0\n',
      'etc/default/export': 'export SVC_PORT=9001\n',
    });
    expect(env(unit)).toEqual({});
    expect(unit.environmentFiles![0]!.failed).toBe('it holds a NUL byte (line 2), and systemd refuses such a file');
    expect(unit.environmentFiles![1]!.ignored).toEqual([{ key: 'export SVC_PORT', line: 1 }]);
  });

  it('resolves specifiers in the path (and drops the line for an unknown one, or a relative path, as systemd does); a host specifier not given, or a glob, is unread', () => {
    const files = {
      'etc/default/svc': 'NAME_FILE=1\n',
      'etc/default/svc-on-box': 'HOST_FILE=1\n',
      [UNIT]:
        '[Service]\nEnvironmentFile=-/etc/default/%N\nEnvironmentFile=/etc/default/%Z\nEnvironmentFile=default/svc\nEnvironmentFile=/etc/default/%p-on-%H\nEnvironmentFile=/etc/default/svc*\nExecStart=/usr/bin/svc\n',
    };
    const { unit } = merged(files);
    expect(unit.environmentFiles!.map(({ path, optional, unread }) => ({ path, optional, unread }))).toEqual([
      { path: '/etc/default/svc', optional: true, unread: undefined },
      { path: '/etc/default/svc-on-%H', optional: false, unread: 'its path has %H, which this check does not resolve' },
      { path: '/etc/default/svc*', optional: false, unread: 'it is a glob (systemd reads every file it matches), which this check does not expand' },
    ]);
    expect(env(unit)).toEqual({ NAME_FILE: '1 @ /etc/default/svc:1' });
    const withHost = merged(files, { hostSpecifiers: { H: 'box' } }).unit;
    expect(withHost.environmentFiles![1]).toEqual({ path: '/etc/default/svc-on-box', optional: false, file: `/${UNIT}`, line: 5 });
    expect(env(withHost)).toEqual({ NAME_FILE: '1 @ /etc/default/svc:1', HOST_FILE: '1 @ /etc/default/svc-on-box:1' });
  });

  it('without the bytes, a file is listed as unread (never taken as empty)', () => {
    const { first } = merged({ [UNIT]: '[Service]\nEnvironmentFile=/etc/default/svc\nExecStart=/usr/bin/svc\n', 'etc/default/svc': 'SVC_PORT=9000\n' });
    expect(first.environmentFiles).toEqual([{ path: '/etc/default/svc', optional: false, file: `/${UNIT}`, line: 2, unread: 'not read' }]);
    expect(first.environment.size).toBe(0);
  });

  it('refuses environmentFiles that are not a Map of reads', () => {
    const loaded = { unit: 'svc.service', dropIns: [], problems: [] };
    expect(() => mergeUnit(loaded, { environmentFiles: { '/etc/default/svc': { missing: true } } as never })).toThrow(
      /^mergeUnit: options\.environmentFiles must be a Map of path to/,
    );
    expect(() => mergeUnit(loaded, { environmentFiles: new Map([['/etc/default/svc', { text: 'A=1' } as never]]) })).toThrow(TypeError);
  });

  it('reads each file through a function when given one: one merge, each path asked for once, in the order systemd reads them', () => {
    const unit = {
      unit: 'svc.service',
      file: {
        path: `/${UNIT}`,
        text: '[Service]\nEnvironment=SVC_PORT=8000\nEnvironmentFile=/etc/default/a\nEnvironmentFile=-/etc/default/b\nExecStart=/usr/bin/svc\n',
      },
      dropIns: [],
      problems: [],
    };
    const asked: string[] = [];
    const merged = mergeUnit(unit, {
      environmentFiles: (path) => {
        asked.push(path);
        return path === '/etc/default/a' ? { bytes: Buffer.from('SVC_PORT=9000\n') } : { missing: true };
      },
    });
    expect(asked).toEqual(['/etc/default/a', '/etc/default/b']);
    expect(merged.environment.get('SVC_PORT')).toEqual({ value: '9000', file: '/etc/default/a', line: 1 });
    expect(merged.environmentFiles!.map(({ path, failed }) => ({ path, failed }))).toEqual([
      { path: '/etc/default/a', failed: undefined },
      { path: '/etc/default/b', failed: 'no such file' },
    ]);
    // What it returns is checked as it comes, naming the path.
    expect(() => mergeUnit(unit, { environmentFiles: () => ({ text: 'A=1' }) as never })).toThrow(
      'mergeUnit: options.environmentFiles returned an object for the string "/etc/default/a"; it must return { bytes } | { missing: true } | { problem }',
    );
  });
});

describe('WorkingDirectory= in the merge', () => {
  const unit = (...lines: string[]) => ({ 'etc/systemd/system/api.service': `[Service]\n${lines.join('\n')}\nExecStart=/usr/bin/api\n` });

  it('keeps the last one, as written, with where it was set and the directory systemd makes of it (simplified, `-` dropped, %h as PID 1 has it); `~` is the home, a host specifier not given unresolved; empty resets', async () => {
    expect((await effective(unit('WorkingDirectory=/srv//app/.'), 'api.service')).workingDirectory).toEqual({
      value: '/srv//app/.',
      path: '/srv/app',
      file: '/etc/systemd/system/api.service',
      line: 2,
    });
    expect((await effective(unit('WorkingDirectory=/srv', 'WorkingDirectory=-%h/x'), 'api.service')).workingDirectory).toMatchObject({
      value: '-%h/x',
      path: '/root/x',
      line: 3,
    });
    expect((await effective(unit('WorkingDirectory=-~'), 'api.service')).workingDirectory).toMatchObject({ value: '-~', home: true });
    expect((await effective(unit('WorkingDirectory=/srv/%H'), 'api.service')).workingDirectory).toMatchObject({ value: '/srv/%H', unresolved: '%H' });
    expect((await effective(unit('WorkingDirectory=/srv', 'WorkingDirectory='), 'api.service')).workingDirectory).toBeUndefined();
  });

  it('refuses what systemd refuses (relative, `..`, an unknown specifier): the unit file does not load, a drop-in ends there; with `-` the line is ignored (systemd-analyze verify says so)', async () => {
    for (const [value, says] of [
      ['srv', 'path is not absolute'],
      ['/srv/../x', 'path is not normalized'],
      ['/srv/%Z', 'unknown specifier %Z'],
    ] as const) {
      const refused = await effective(unit(`WorkingDirectory=${value}`), 'api.service');
      expect(refused.invalid, value).toEqual([`/etc/systemd/system/api.service:2: WorkingDirectory=${value}: ${says} (systemd refuses it)`]);
      const ignored = await effective(unit('WorkingDirectory=/srv', `WorkingDirectory=-${value}`), 'api.service');
      expect(ignored.invalid, value).toBeUndefined();
      expect(ignored.workingDirectory, value).toMatchObject({ path: '/srv', line: 2 });
    }
    const dropIn = await effective(
      {
        ...unit('WorkingDirectory=/srv'),
        'etc/systemd/system/api.service.d/50-wd.conf': `[Service]\nWorkingDirectory=srv\nExecStartPre=+${CLAIM} 8000\n`,
      },
      'api.service',
    );
    expect(dropIn.invalid).toBeUndefined();
    expect(dropIn.ignored).toEqual(['/etc/systemd/system/api.service.d/50-wd.conf:2: WorkingDirectory=srv: path is not absolute (systemd refuses it)']);
    expect(dropIn.workingDirectory).toMatchObject({ path: '/srv' });
    expect(dropIn.execStartPre).toEqual([]);
  });
});

describe('RootDirectory=, RootImage=, RootDirectoryStartOnly=, MountAPIVFS= in the merge', () => {
  const unit = (...lines: string[]) => ({ 'etc/systemd/system/api.service': `[Service]\n${lines.join('\n')}\nExecStart=/usr/bin/api\n` });

  it('keeps the last of each, with where it was set (paths simplified, specifiers as PID 1 has them); empty resets; a boolean systemd cannot parse is ignored', async () => {
    const facts = await effective(
      unit('RootDirectory=/srv/old', 'RootDirectory=/srv//%N/.', 'RootImage=/img.raw', 'RootImage=', 'RootDirectoryStartOnly=maybe', 'MountAPIVFS=no'),
      'api.service',
    );
    expect(facts.rootDirectory).toEqual({ value: '/srv//%N/.', path: '/srv/api', file: '/etc/systemd/system/api.service', line: 3 });
    expect(facts.rootImage).toBeUndefined();
    expect(facts.rootDirectoryStartOnly).toBeUndefined();
    expect(facts.mountAPIVFS).toEqual({ value: false, file: '/etc/systemd/system/api.service', line: 7 });
    const reset = await effective(unit('RootDirectory=/srv', 'RootDirectory=', 'RootDirectoryStartOnly=yes', 'MountAPIVFS=no', 'MountAPIVFS='), 'api.service');
    expect(reset.rootDirectory).toBeUndefined();
    expect(reset.rootDirectoryStartOnly).toMatchObject({ value: true, line: 4 });
    expect(reset.mountAPIVFS).toBeUndefined();
    expect((await effective(unit('RootDirectory=/srv/%H'), 'api.service')).rootDirectory).toMatchObject({ unresolved: '%H' });
  });

  it('refuses a RootDirectory= systemd refuses (relative, `..`): the unit file does not load (systemd-analyze verify says so)', async () => {
    for (const [value, says] of [
      ['srv', 'path is not absolute'],
      ['/srv/../x', 'path is not normalized'],
    ] as const) {
      const files = unit(`RootDirectory=${value}`);
      const refused = await effective(files, 'api.service');
      expect(refused.invalid, value).toEqual([`/etc/systemd/system/api.service:2: RootDirectory=${value}: ${says} (systemd refuses it)`]);
      if (analyze) expect(verifyOutcome(writeTree(tempDir(), files), ['api.service']).get('api.service')!.loads, value).toBe(false);
    }
    if (analyze) {
      const files = unit('RootDirectory=/srv/root', 'RootDirectoryStartOnly=yes', 'MountAPIVFS=no', `ExecStartPre=+${CLAIM} 8000`);
      expect(verifyOutcome(writeTree(tempDir(), files), ['api.service']).get('api.service')!.loads).toBe(true);
    }
  });
});

describe('an assignment holding bytes that are not UTF-8', () => {
  // systemd 252 logs "String is not UTF-8 clean, ignoring assignment" for any such assignment, in any section;
  // a unit file holding one then fails to load, a drop-in's is only ignored.
  const bad = (text: string) => Buffer.from(text.replace('BAD', '\u0001'), 'latin1').map((byte) => (byte === 1 ? 0xff : byte));
  function tree(files: Record<string, Uint8Array | string>): string {
    const root = tempDir();
    for (const [path, bytes] of Object.entries(files)) {
      mkdirSync(dirname(join(root, path)), { recursive: true });
      writeFileSync(join(root, path), bytes);
    }
    return root;
  }

  it('in the unit file: the unit fails to load, and the line is shown with its byte (\\xff), never U+FFFD', async () => {
    const root = tree({ 'etc/systemd/system/t49.service': bad('[Service]\nExecStart=/bin/true\nEnvironment=CONTIMG_API_PORT=80BAD00\n') });
    const unit = mergeUnit(await loadUnit(root, 't49.service'));
    expect(unit.invalid).toEqual([
      '/etc/systemd/system/t49.service:3: Environment=CONTIMG_API_PORT=80\\xff00 holds bytes that are not UTF-8 (systemd: "String is not UTF-8 clean, ignoring assignment")',
    ]);
    expect(unit.environment.has('CONTIMG_API_PORT')).toBe(false);
    if (analyze) expect(verifyOutcome(root, ['t49.service']).get('t49.service')!.loads).toBe(false);
  });

  it('in a drop-in: that assignment alone is ignored (the next one applies) and the unit loads', async () => {
    const root = tree({
      'etc/systemd/system/t49.service': '[Service]\nExecStart=/bin/true\n',
      'etc/systemd/system/t49.service.d/x.conf': bad(`[Service]\nExecStartPre=+${CLAIM} 80BAD00\nEnvironment=A=1\n`),
    });
    const unit = mergeUnit(await loadUnit(root, 't49.service'));
    expect(unit.invalid ?? []).toEqual([]);
    expect(unit.ignored).toEqual([
      `/etc/systemd/system/t49.service.d/x.conf:2: ExecStartPre=+${CLAIM} 80\\xff00 holds bytes that are not UTF-8 (systemd: "String is not UTF-8 clean, ignoring assignment")`,
    ]);
    expect(unit.execStartPre).toEqual([]);
    expect(unit.environment.get('A')?.value).toBe('1');
    if (analyze) expect(verifyOutcome(root, ['t49.service']).get('t49.service')!.loads).toBe(true);
  });
});
