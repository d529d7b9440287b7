// The systemd and dependencies checks over real fixture trees, read by the
// real gather() (the unit merge, the claim-port stat) with a test registry.
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { claimPortInstall } from '@dsa110/ports/systemd';
import { checkDependencies } from '../../src/checks/dependencies.js';
import { checkSystemd } from '../../src/checks/systemd.js';
import { gather } from '../../src/gather.js';
import { hasCommand } from '../../../../test-support/commands.js';
import { EXECUTABLE, registryText, tempDir, testRegistry, writeTree, type TreeEntry } from '../helpers.js';

const CLAIM = '/usr/local/bin/claim-port';
const registry = testRegistry(
  [
    { id: 'api', port: 8000, env: 'CONTIMG_API_PORT', robust: true, unit: 'dsa110-api.service', claim: 'unit', processes: ['python3'] },
    { id: 'redis', port: 6379, env: 'REDIS_PORT', robust: true, unit: 'redis-server.service', claim: 'drop-in', processes: ['redis-server'] },
    { id: 'web', port: 8080, robust: false, unit: 'web.service' },
  ],
  [{ id: 'api-alt', name: 'Alternative API port', port: 8010, purpose: 'Alternative API port', for: ['api'] }],
);
const API = 'etc/systemd/system/dsa110-api.service';
const REDIS_DROP_IN = 'etc/systemd/system/redis-server.service.d/claim-port.conf';

async function check(files: Record<string, TreeEntry>, id = 'api', claimPortPaths: string[] = []) {
  const root = writeTree(tempDir(), { 'usr/local/bin/claim-port': EXECUTABLE, ...files });
  const facts = await gather({ registry, root, claimPortPaths });
  return { root, systemd: checkSystemd(facts, registry.service(id)), dependencies: checkDependencies(facts).filter((r) => r.service) };
}

const unit = (...lines: string[]) => `[Unit]\nDescription=test\n\n[Service]\n${lines.join('\n')}\nExecStart=/usr/bin/python3 -m api\n`;

describe('systemd check', () => {
  it('passes a unit whose own ExecStartPre=+ claims the port, naming the file and line', async () => {
    const { systemd, dependencies } = await check({ [API]: unit(`ExecStartPre=+${CLAIM} 8000`) });
    expect(systemd).toEqual([expect.objectContaining({ check: 'systemd', severity: 'ok', service: 'api', port: 8000, file: `/${API}:5` })]);
    expect(systemd[0]!.reason).toBe(`api (8000): ExecStartPre=+${CLAIM} 8000 from /${API}:5 claims port 8000`);
    expect(dependencies).toEqual([expect.objectContaining({ severity: 'ok' })]);
  });

  it('passes the drop-in `ports systemd` writes, and says which file supplied the line', async () => {
    const { systemd } = await check(
      {
        'usr/lib/systemd/system/redis-server.service': '[Service]\nExecStart=/usr/bin/redis-server\n',
        [REDIS_DROP_IN]: `[Service]\nExecStartPre=+${CLAIM} 6379\n`,
      },
      'redis',
    );
    expect(systemd).toEqual([expect.objectContaining({ severity: 'ok', file: `/${REDIS_DROP_IN}:2` })]);
  });

  it("passes a `claim: unit` service whose claim line a drop-in of its own supplies (its [Service] lines are the unit's), as `ports systemd --check` does", async () => {
    const dropIn = 'etc/systemd/system/dsa110-api.service.d/claim.conf';
    const { systemd } = await check({ 'usr/lib/systemd/system/dsa110-api.service': unit(), [dropIn]: `[Service]\nExecStartPre=+${CLAIM} 8000\n` });
    expect(systemd).toEqual([expect.objectContaining({ severity: 'ok', file: `/${dropIn}:2` })]);
  });

  it("a unit the registry names for no service, whose claim-port.conf frees a service's port (left for a unit since renamed): an error on that service, whether it is robust or not", async () => {
    const redisUnit = {
      'usr/lib/systemd/system/redis-server.service': '[Service]\nExecStart=/usr/bin/redis-server\n',
      [REDIS_DROP_IN]: `[Service]\nExecStartPre=+${CLAIM} 6379\n`,
    };
    const OLD = 'etc/systemd/system/old-redis.service';
    const OLD_DROP_IN = `${OLD}.d/claim-port.conf`;
    const files = { ...redisUnit, [OLD]: '[Service]\nExecStart=/usr/bin/redis-server\n', [OLD_DROP_IN]: `[Service]\nExecStartPre=+${CLAIM} 6379\n` };
    const { root, systemd } = await check(files, 'redis');
    expect(systemd).toEqual([
      expect.objectContaining({ severity: 'ok', file: `/${REDIS_DROP_IN}:2` }),
      expect.objectContaining({
        severity: 'error',
        service: 'redis',
        port: 6379,
        file: `/${OLD_DROP_IN}:2`,
        reason:
          `redis (6379): old-redis.service, a unit no service of test-ports.yaml names, claims port 6379, redis's: ExecStartPre=+${CLAIM} 6379 in /${OLD_DROP_IN}:2 ` +
          'runs claim-port as root at each start of old-redis.service, which takes Redis down; remove the line (a claim drop-in `ports systemd` wrote for a unit since renamed or dropped from the registry: the file); ' +
          // Under --root, as `ports systemd --root` says: no daemon-reload of this host.
          `systemd reads it when the system under ${root} boots`,
      }),
    ]);
    // By service id too, and for a service that is not robust.
    const byId = await check({ ...files, [OLD_DROP_IN]: `[Service]\nExecStartPre=+${CLAIM} web\n` }, 'web');
    expect(byId.systemd.filter((r) => r.severity === 'error').map((r) => r.reason)).toEqual([
      expect.stringMatching(/^web \(8080\): old-redis\.service, a unit no service of /),
    ]);
    // Not: another port, a unit without a unit file (systemd loads none), a masked one, a template's directory.
    for (const quiet of [
      { ...files, [OLD_DROP_IN]: `[Service]\nExecStartPre=+${CLAIM} 7777\n` },
      { ...redisUnit, [OLD_DROP_IN]: `[Service]\nExecStartPre=+${CLAIM} 6379\n` },
      { ...files, [OLD]: { symlink: '/dev/null' } },
      {
        ...redisUnit,
        'etc/systemd/system/old@.service': '[Service]\nExecStart=/bin/true\n',
        'etc/systemd/system/old@.service.d/claim-port.conf': `[Service]\nExecStartPre=+${CLAIM} 6379\n`,
      },
      // A name systemd refuses is never a unit that starts.
      {
        ...redisUnit,
        'etc/systemd/system/a b.service': '[Service]\nExecStart=/bin/true\n',
        'etc/systemd/system/a b.service.d/claim-port.conf': `[Service]\nExecStartPre=+${CLAIM} 6379\n`,
      },
    ] as Record<string, TreeEntry>[]) {
      expect((await check(quiet, 'redis')).systemd.filter((r) => r.severity !== 'ok')).toEqual([]);
    }
  });

  it("a claim-port.conf in a directory many units read (a dash prefix's, the type-wide service.d/): one error naming the units no service names", async () => {
    const redisUnit = {
      'usr/lib/systemd/system/redis-server.service': '[Service]\nExecStart=/usr/bin/redis-server\n',
      [REDIS_DROP_IN]: `[Service]\nExecStartPre=+${CLAIM} 6379\n`,
    };
    const service = '[Service]\nExecStart=/bin/true\n';
    const DASH = 'etc/systemd/system/dsa110-.service.d/claim-port.conf';
    const dash = await check(
      {
        ...redisUnit,
        'lib/systemd/system/dsa110-old.service': service,
        'etc/systemd/system/other.service': service,
        [DASH]: `[Service]\nExecStartPre=+${CLAIM} 6379\n`,
      },
      'redis',
    );
    expect(dash.systemd.filter((r) => r.severity !== 'ok')).toEqual([
      expect.objectContaining({
        severity: 'error',
        file: `/${DASH}:2`,
        reason:
          `redis (6379): dsa110-old.service, a unit no service of test-ports.yaml names, claims port 6379, redis's: ExecStartPre=+${CLAIM} 6379 in /${DASH}:2 ` +
          'runs claim-port as root at each start of dsa110-old.service, which takes Redis down; remove the line (a claim drop-in where every unit named dsa110-* reads it: the file); ' +
          `systemd reads it when the system under ${dash.root} boots`,
      }),
    ]);
    const TYPE_WIDE = 'etc/systemd/system/service.d/claim-port.conf';
    const units = Object.fromEntries(['a', 'b', 'c', 'd'].map((name) => [`lib/systemd/system/${name}.service`, service]));
    const everyService = await check(
      { ...redisUnit, ...units, 'lib/systemd/system/e@.service': service, [TYPE_WIDE]: `[Service]\nExecStartPre=+${CLAIM} 6379\n` },
      'redis',
    );
    expect(everyService.systemd.filter((r) => r.severity === 'error').map((r) => r.reason)).toEqual([
      `redis (6379): 4 units no service of test-ports.yaml names (a.service, b.service, c.service and 1 more) claim port 6379, redis's: ExecStartPre=+${CLAIM} 6379 in /${TYPE_WIDE}:2 ` +
        'runs claim-port as root at each start of each of them, which takes Redis down; remove the line (a claim drop-in where every service reads it (/etc/systemd/system/service.d/): the file); ' +
        `systemd reads it when the system under ${everyService.root} boots`,
    ]);
    // An alias is the unit under another name: one unit, not two.
    const aliased = await check(
      {
        ...redisUnit,
        'lib/systemd/system/dsa110-old.service': `${service}\n[Install]\nAlias=dsa110-older.service\n`,
        'etc/systemd/system/dsa110-older.service': { symlink: '/lib/systemd/system/dsa110-old.service' },
        [DASH]: `[Service]\nExecStartPre=+${CLAIM} 6379\n`,
      },
      'redis',
    );
    expect(aliased.systemd.filter((r) => r.severity === 'error').map((r) => r.reason)).toEqual([
      expect.stringMatching(/^redis \(6379\): dsa110-old(?:er)?\.service, a unit no service/),
    ]);
    // An enabled instance of a template of the prefix reads it too (it is not listed by name: its *.wants/ link is).
    const instance = await check(
      {
        ...redisUnit,
        'lib/systemd/system/dsa110-corr@.service': service,
        'etc/systemd/system/multi-user.target.wants/dsa110-corr@1.service': { symlink: '/lib/systemd/system/dsa110-corr@.service' },
        [DASH]: `[Service]\nExecStartPre=+${CLAIM} 6379\n`,
      },
      'redis',
    );
    expect(instance.systemd.filter((r) => r.severity === 'error').map((r) => r.reason)).toEqual([
      expect.stringMatching(/^redis \(6379\): dsa110-corr@1\.service, a unit no service/),
    ]);
    // A claim line in such a unit's own unit file is not what it was read for: not said (as for any unit the registry does not name).
    const ownLine = await check(
      {
        ...redisUnit,
        'etc/systemd/system/lab-legacy.service': `[Service]\nExecStart=/bin/true\nExecStartPre=+${CLAIM} 6379\n`,
        'etc/systemd/system/lab-.service.d/claim-port.conf': '[Service]\nEnvironment=A=1\n',
      },
      'redis',
    );
    expect(ownLine.systemd.filter((r) => r.severity === 'error')).toEqual([]);
    // No unit of the prefix, or a claim of another port: nothing.
    expect((await check({ ...redisUnit, [DASH]: `[Service]\nExecStartPre=+${CLAIM} 6379\n` }, 'redis')).systemd.filter((r) => r.severity !== 'ok')).toEqual([]);
    expect(
      (await check({ ...redisUnit, ...units, [TYPE_WIDE]: `[Service]\nExecStartPre=+${CLAIM} 7777\n` }, 'redis')).systemd.filter((r) => r.severity !== 'ok'),
    ).toEqual([]);
  });

  it("a service that is not robust, whose unit claims anyway: a warning, an error where it frees another service's port; as `ports systemd --check`", async () => {
    const WEB = 'etc/systemd/system/web.service';
    const own = await check({ [WEB]: unit(`ExecStartPre=+${CLAIM} 8080`) }, 'web');
    expect(own.systemd).toEqual([
      expect.objectContaining({
        severity: 'warning',
        file: `/${WEB}:5`,
        reason: `web (8080): ExecStartPre=+${CLAIM} 8080 in /${WEB}:5 runs claim-port as root at each start of web.service, but web is not robust in the registry, so nothing asks for a claim; remove the line (or make web robust)`,
      }),
    ]);
    const other = await check({ [WEB]: unit(`ExecStartPre=+${CLAIM} 6379`) }, 'web');
    expect(other.systemd).toEqual([
      expect.objectContaining({
        severity: 'error',
        reason: expect.stringContaining('frees port 6379, which the registry gives to redis, as root; remove the line'),
      }),
    ]);
    expect((await check({ [WEB]: unit() }, 'web')).systemd).toEqual([]);
  });

  it('a service that is not robust, whose claim line claim-port refuses (exit 64): an error, the unit fails at each start; harmless when `-` ignores the failure or the run frees nothing', async () => {
    const WEB = 'etc/systemd/system/web.service';
    for (const [args, why] of [
      ['80x', 'claim-port would refuse these arguments (a usage error, exit 64): '],
      ['8080 --timeout=0', 'claim-port would refuse these arguments (a usage error, exit 64): '],
      ['nosuch', 'claim-port argument "nosuch" is neither a port nor a service id in test-ports.yaml'],
    ] as const) {
      const { systemd } = await check({ [WEB]: unit(`ExecStartPre=+${CLAIM} ${args}`) }, 'web');
      expect(systemd, args).toEqual([expect.objectContaining({ severity: 'error', file: `/${WEB}:5` })]);
      expect(systemd[0]!.reason, args).toContain(`so nothing asks for a claim; worse, ${why}`);
      expect(systemd[0]!.reason, args).toMatch(/, so web\.service fails at each start; remove the line$/);
    }
    for (const line of [`ExecStartPre=-+${CLAIM} 80x`, `ExecStartPre=+${CLAIM} 8080 --dry-run`, `ExecStartPre=+${CLAIM} --version`]) {
      const { systemd } = await check({ [WEB]: unit(line) }, 'web');
      expect(
        systemd.map((result) => result.severity),
        line,
      ).toEqual(['warning']);
      expect(systemd[0]!.reason, line).toMatch(/; remove the line \(or make web robust\)$/);
    }
  });

  it('a `claim: drop-in` unit that claims again outside claim-port.conf (a line left from `claim: unit`): a warning for that line', async () => {
    const { systemd } = await check(
      {
        'etc/systemd/system/redis-server.service': `[Service]\nExecStartPre=+${CLAIM} 6379\nExecStart=/usr/bin/redis-server\n`,
        [REDIS_DROP_IN]: `[Service]\nExecStartPre=+${CLAIM} 6379\n`,
      },
      'redis',
    );
    expect(systemd.map((result) => result.severity)).toEqual(['ok', 'ok', 'warning']);
    expect(systemd[2]!.reason).toBe(
      `redis (6379): ExecStartPre=+${CLAIM} 6379 in /etc/systemd/system/redis-server.service:2 claims port 6379 again: the registry wires the claim of redis-server.service in /${REDIS_DROP_IN}; remove the line`,
    );
  });

  it('no claim in what it could read, but part of the unit unreadable: unknown (the claim may be there), never an error', async () => {
    const { systemd } = await check(
      { 'usr/lib/systemd/system/redis-server.service': '[Service]\nExecStart=/usr/bin/redis-server\n', [REDIS_DROP_IN]: { fifo: true } },
      'redis',
    );
    expect(systemd.map((result) => result.severity)).toEqual(['unknown', 'unknown']);
    expect(systemd[0]!.reason).toBe(
      `redis (6379): cannot read part of redis-server.service: /${REDIS_DROP_IN}: cannot read: it is a FIFO (named pipe), not a regular file, which systemd would block reading; make it a regular file, or remove it`,
    );
    expect(systemd[1]!.reason).toMatch(
      /^redis \(6379\): no ExecStartPre= in redis-server\.service calls claim-port, .*, but part of redis-server\.service could not be read and may hold the claim$/,
    );
    // A claim in what it could read still passes (the unread part stays unknown).
    const claimed = await check(
      {
        'usr/lib/systemd/system/redis-server.service': `[Service]\nExecStartPre=+${CLAIM} 6379\nExecStart=/usr/bin/redis-server\n`,
        'etc/systemd/system/redis-server.service.d/zz.conf': { fifo: true },
      },
      'redis',
    );
    expect(claimed.systemd.map((result) => result.severity)).toEqual(['unknown', 'ok']);
  });

  it('never judges the claim from a copy systemd does not read: when the unit file systemd takes cannot be read, unknown, never ok', async () => {
    const BELOW = 'usr/lib/systemd/system/dsa110-api.service';
    const note = ` (systemd loads the unit from this file, never from /${BELOW})`;
    // systemd takes the first regular file or link of the name and, when it cannot open it, fails the unit: it never
    // loads the claiming copy below. Nor does the check. One systemd (root) may open is unknown.
    const { systemd } = await check({ [BELOW]: unit(`ExecStartPre=+${CLAIM} 8000`), 'opt/units': { dir: true }, [API]: { symlink: '/opt/units' } });
    expect(systemd).toEqual([expect.objectContaining({ severity: 'unknown', service: 'api' })]);
    expect(systemd[0]!.reason).toBe(`api (8000): cannot read dsa110-api.service: /${API}: cannot read: it is a directory, not a regular file${note}`);
  });

  it('a unit file that is a link to nothing or a loop of links is an error: systemd fails the unit, drop-ins or not, and loads no copy below', async () => {
    const BELOW = 'usr/lib/systemd/system/dsa110-api.service';
    for (const [entries, reason] of [
      [{ [API]: { symlink: '../../../opt/gone.service' } }, (root: string) => `it leads to /opt/gone.service, which does not exist under ${root}`],
      [{ 'opt/a': { symlink: 'b' }, 'opt/b': { symlink: 'a' }, [API]: { symlink: '../../../opt/a' } }, () => 'a loop of symbolic links'],
    ] as const) {
      const { root, systemd } = await check({ [BELOW]: unit(`ExecStartPre=+${CLAIM} 8000`), ...entries });
      expect(systemd).toEqual([expect.objectContaining({ severity: 'error', service: 'api', file: `/${API}` })]);
      expect(systemd[0]!.reason).toBe(
        `api (8000): systemd cannot load dsa110-api.service: its unit file ${root}/${API} cannot be opened: ${reason(root)}; ` +
          "systemd takes it as the unit's file all the same, never a copy lower in the search path, so the unit cannot start; fix the link or remove it",
      );
    }
    // A claim in a drop-in does not save it: the unit does not load.
    const REDIS = 'etc/systemd/system/redis-server.service';
    const claimed = await check({ [REDIS]: { symlink: '../../../opt/gone.service' }, [REDIS_DROP_IN]: `[Service]\nExecStartPre=+${CLAIM} 6379\n` }, 'redis');
    expect(claimed.systemd).toEqual([expect.objectContaining({ severity: 'error', file: `/${REDIS}` })]);
    // A FIFO of the name is no unit file to systemd, which loads the copy below: its claim counts (the FIFO is still reported).
    const passedOver = await check({ [BELOW]: unit(`ExecStartPre=+${CLAIM} 8000`), [API]: { fifo: true } });
    expect(passedOver.systemd).toEqual([expect.objectContaining({ severity: 'unknown' }), expect.objectContaining({ severity: 'ok', file: `/${BELOW}:5` })]);
  });

  it("a link of the unit's name to no unit name (`-> x`) is skipped, as systemd skips it: the copy below is judged, and the link is a warning", async () => {
    const BELOW = 'lib/systemd/system/dsa110-api.service';
    const X = 'etc/systemd/system/x';
    const skipped = (root: string) =>
      `api (8000): systemd ignores ${root}/${API} (a link to /${X}): it points to "x", which is not a valid unit name, so it is no alias of another unit, and systemd never reads its target; it `;
    // The claim is in x, which systemd never reads (systemd-analyze verify: "points to "x" which is not a valid unit name"): no claim.
    const { root, systemd } = await check({ [BELOW]: unit(), [X]: unit(`ExecStartPre=+${CLAIM} 8000`), [API]: { symlink: `/${X}` } });
    expect(systemd).toEqual([
      expect.objectContaining({ severity: 'error', file: `/${BELOW}` }),
      expect.objectContaining({ severity: 'warning', file: `/${API}` }),
    ]);
    expect(systemd[0]!.reason).toContain(`no ExecStartPre= in dsa110-api.service calls claim-port`);
    expect(systemd[1]!.reason).toBe(
      `${skipped(root)}loads dsa110-api.service from ${root}/${BELOW} instead; put the unit file itself in its place, or remove the link`,
    );
    // x missing: no link to nothing that fails the unit; the copy below loads, and its claim counts.
    const below = await check({ [BELOW]: unit(`ExecStartPre=+${CLAIM} 8000`), [API]: { symlink: `/${X}` } });
    expect(below.systemd.map((result) => [result.severity, result.file])).toEqual([
      ['ok', `/${BELOW}:5`],
      ['warning', `/${API}`],
    ]);
    if (hasCommand('systemd-analyze', ['--version'])) {
      for (const tree of [root, below.root]) {
        const verify = spawnSync('systemd-analyze', ['verify', '--man=no', `--root=${tree}`, 'dsa110-api.service'], { encoding: 'utf8', timeout: 10_000 });
        expect(verify.stderr).toContain('dsa110-api.service points to "x" which is not a valid unit name');
        expect(verify.stderr).not.toContain('Unit dsa110-api.service not found');
      }
    }
  });

  it("a link of the unit's name to the packaged file of its name (a self-alias systemd ignores, loading that very file) is no warning", async () => {
    const LIB = 'usr/lib/systemd/system/dsa110-api.service';
    // systemd-analyze verify 252: "unit self-alias: dsa110-api.service → dsa110-api.service, ignoring", Fragment Path the link's target.
    for (const link of [`/${LIB}`, `../../../${LIB}`]) {
      const { systemd } = await check({ [LIB]: unit(`ExecStartPre=+${CLAIM} 8000`), [API]: { symlink: link } });
      expect(systemd.map((result) => [result.severity, result.file])).toEqual([['ok', `/${LIB}:5`]]);
    }
    // A file of the name between them, which systemd loads instead: the link's target is never read, and that is said.
    const LOCAL = 'usr/local/lib/systemd/system/dsa110-api.service';
    const { root, systemd } = await check({
      [LIB]: unit(`ExecStartPre=+${CLAIM} 8000`),
      [LOCAL]: unit(`ExecStartPre=+${CLAIM} 8000`),
      [API]: { symlink: `/${LIB}` },
    });
    expect(systemd.map((result) => [result.severity, result.file])).toEqual([
      ['ok', `/${LOCAL}:5`],
      ['warning', `/${API}`],
    ]);
    expect(systemd[1]!.reason).toContain(`it loads dsa110-api.service from ${root}/${LOCAL} instead`);
  });

  it('an alias of a unit with no unit file is not found: the error names the link, what it points to, and the file of its name it hides', async () => {
    const BELOW = 'lib/systemd/system/dsa110-api.service';
    const OTHER = '/etc/systemd/system/other.service';
    const { root, systemd } = await check({ [BELOW]: unit(`ExecStartPre=+${CLAIM} 8000`), [API]: { symlink: OTHER } });
    expect(systemd).toEqual([expect.objectContaining({ severity: 'error', file: `/${API}` })]);
    expect(systemd[0]!.reason).toBe(
      `api (8000): unit dsa110-api.service not found: ${root}/${API} is an alias of other.service (a link to ${OTHER}), and no unit directory has a unit file of other.service, ` +
        `so systemd loads no unit dsa110-api.service, not even ${root}/${BELOW}, which the link hides; remove the link, or install other.service`,
    );
    if (hasCommand('systemd-analyze', ['--version'])) {
      const verify = spawnSync('systemd-analyze', ['verify', '--man=no', `--root=${root}`, 'dsa110-api.service'], { encoding: 'utf8', timeout: 10_000 });
      expect(verify.stderr).toContain('Unit dsa110-api.service not found.');
    }
  });

  it('an unreadable drop-in that an empty ExecStartPre= after it clears cannot hold the claim: the error stands', async () => {
    const DIR = 'etc/systemd/system/redis-server.service.d';
    const vendor = { 'usr/lib/systemd/system/redis-server.service': `[Service]\nExecStartPre=+${CLAIM} 6379\nExecStart=/usr/bin/redis-server\n` };
    const clears = '[Service]\nExecStartPre=\n';
    const severities = (results: { severity: string }[]) => results.map((result) => result.severity);
    // a.conf sorts before zz.conf, which clears whatever a.conf holds: the claim is certainly gone.
    const fifo = await check({ ...vendor, [`${DIR}/a.conf`]: { fifo: true }, [`${DIR}/zz.conf`]: clears }, 'redis');
    expect(severities(fifo.systemd)).toEqual(['unknown', 'error']);
    expect(fifo.systemd[1]!.reason).toMatch(/^redis \(6379\): the empty ExecStartPre= in \/etc\/systemd\/system\/redis-server\.service\.d\/zz\.conf:2 clears/);
    const huge = await check({ ...vendor, [`${DIR}/a.conf`]: `[Service]\n${'#'.repeat(1.1 * 1024 * 1024)}\n`, [`${DIR}/zz.conf`]: clears }, 'redis');
    expect(severities(huge.systemd)).toEqual(['unknown', 'error']);
    // After the clearing line (in systemd's order: by file name, whatever the directory), it may hold a new claim.
    const after = await check(
      { ...vendor, 'etc/systemd/system/redis-server.service.d/zz.conf': { fifo: true }, 'run/systemd/system/redis-server.service.d/a.conf': clears },
      'redis',
    );
    expect(severities(after.systemd)).toEqual(['unknown', 'unknown']);
    // A name that is not UTF-8 sorts by its bytes: 0x61 ("a") before "zz", 0xff after it.
    for (const [name, expected] of [
      [Buffer.from([0x61, 0xff, ...Buffer.from('.conf')]), 'error'],
      [Buffer.from([0xff, ...Buffer.from('.conf')]), 'unknown'],
    ] as const) {
      const root = writeTree(tempDir(), { 'usr/local/bin/claim-port': EXECUTABLE, ...vendor, [`${DIR}/zz.conf`]: clears });
      writeFileSync(Buffer.concat([Buffer.from(join(root, DIR, '/')), name]), '[Service]\n');
      const facts = await gather({ registry, root, claimPortPaths: [] });
      expect(severities(checkSystemd(facts, registry.service('redis')))).toEqual(['unknown', expected]);
    }
  });

  it('places an unread drop-in by the bytes of its name, whatever its printed problem line shows', async () => {
    const DIR = 'etc/systemd/system/redis-server.service.d';
    const vendor = `[Service]\nExecStartPre=+${CLAIM} 6379\nExecStart=/usr/bin/redis-server\n`;
    const bytes = (...parts: (string | number[])[]) => Buffer.concat(parts.map((part) => Buffer.from(part)));
    // Each: the clearing drop-in's name, the unread drop-in's name (a FIFO, or a name that is not UTF-8), and the verdict:
    // an error when the unread one sorts before the clearing one (its claim is cleared), unknown when after (it may hold one).
    const cases: { clearing: string; unread: Buffer; fifo?: true; expected: string }[] = [
      { clearing: 'zz.conf', unread: bytes('a.conf'), fifo: true, expected: 'error' },
      { clearing: 'a.conf', unread: bytes('zz.conf'), fifo: true, expected: 'unknown' },
      // The printed line is `PATH: cannot read: REASON`: a name that holds that text is still one name.
      { clearing: 'zz.conf', unread: bytes('a: cannot read: b.conf'), fifo: true, expected: 'error' },
      { clearing: 'a.conf', unread: bytes('b: cannot read: c.conf'), fifo: true, expected: 'unknown' },
      // Not UTF-8: 0xff sorts after every other byte, so only a byte before it decides "before".
      { clearing: 'zz.conf', unread: bytes('a', [0xff], '.conf'), expected: 'error' },
      { clearing: 'zz.conf', unread: bytes([0xff], '.conf'), expected: 'unknown' },
      // A name printed longer than the problem line's cut (500 characters, each 0xff four of them, `\xff`).
      { clearing: 'zz.conf', unread: bytes('00-', Array(240).fill(0xff), '.conf'), expected: 'error' },
      { clearing: '00.conf', unread: bytes('zz-', Array(240).fill(0xff), '.conf'), expected: 'unknown' },
      // A bad byte after the bytes of a character the clearing name holds (é is c3 a9): 0x28 sorts before 0xa9, 0xff after.
      { clearing: '50-é.conf', unread: bytes('50-', [0xc3, 0x28], '.conf'), expected: 'error' },
      { clearing: '50-é.conf', unread: bytes('50-', [0xc3, 0xff], '.conf'), expected: 'unknown' },
    ];
    const verdicts: string[] = [];
    for (const { clearing, unread, fifo } of cases) {
      const root = writeTree(tempDir(), {
        'usr/local/bin/claim-port': EXECUTABLE,
        'usr/lib/systemd/system/redis-server.service': vendor,
        [`${DIR}/${clearing}`]: '[Service]\nExecStartPre=\n',
      });
      const path = Buffer.concat([Buffer.from(`${root}/${DIR}/`), unread]);
      // Each FIFO's name is UTF-8; the other names are read as a file would be, were they UTF-8.
      if (fifo) execFileSync('mkfifo', [path.toString()]);
      else writeFileSync(path, `[Service]\nExecStartPre=+${CLAIM} 6379\n`);
      const facts = await gather({ registry, root, claimPortPaths: [] });
      const results = checkSystemd(facts, registry.service('redis'));
      expect(results[0]).toMatchObject({ severity: 'unknown', reason: expect.stringMatching(/^redis \(6379\): cannot read part of redis-server\.service: /) });
      const [, ...verdict] = results.map((result) => result.severity);
      verdicts.push(verdict.join(','));
    }
    expect(verdicts).toEqual(cases.map((entry) => entry.expected));
  });

  const root = process.getuid?.() === 0;
  it.skipIf(!root || !hasCommand('setpriv', ['--version']))(
    `a drop-in directory it may not list is "permission denied" in words, and the verdict unknown ${root ? '' : '[skipped: needs root and setpriv]'}`,
    async () => {
      const tree = writeTree(tempDir(), {
        'usr/local/bin/claim-port': EXECUTABLE,
        'usr/lib/systemd/system/redis-server.service': '[Service]\nExecStart=/usr/bin/redis-server\n',
        [REDIS_DROP_IN]: `[Service]\nExecStartPre=+${CLAIM} 6379\n`,
        'ports.yaml': registryText([{ id: 'redis', port: 6379, robust: true, unit: 'redis-server.service', claim: 'drop-in', processes: ['redis-server'] }]),
      });
      chmodSync(join(tree, dirname(REDIS_DROP_IN)), 0);
      const bin = join(import.meta.dirname, '../../bin/port-health-check.js');
      // Root without the capabilities that read past a file's mode, as a service account is.
      const drop = ['--inh-caps=-dac_override,-dac_read_search', '--bounding-set=-dac_override,-dac_read_search'];
      const args = [bin, '--registry', join(tree, 'ports.yaml'), '--root', tree, '--no-firewall', '--json'];
      const run = spawnSync('setpriv', [...drop, process.execPath, ...args], { encoding: 'utf8', env: { ...process.env, DSA110_PORTS_CACHE: 'off' } });
      expect(run.stderr).toBe('');
      const report = JSON.parse(run.stdout) as { checks: { check: string; severity: string; reason: string }[] };
      expect(report.checks.filter((result) => result.check === 'systemd').map((result) => [result.severity, result.reason])).toEqual([
        [
          'unknown',
          `redis (6379): cannot read part of redis-server.service: /${dirname(REDIS_DROP_IN)}: cannot list drop-ins: permission denied, even to root`,
        ],
        ['unknown', expect.stringMatching(/could not be read and may hold the claim$/)],
      ]);
    },
  );

  it('is an error when no ExecStartPre= calls claim-port (or a drop-in cleared it)', async () => {
    const { systemd } = await check(
      {
        'usr/lib/systemd/system/redis-server.service': `[Service]\nExecStartPre=+${CLAIM} 6379\nExecStart=/usr/bin/redis-server\n`,
        'etc/systemd/system/redis-server.service.d/zz-local.conf': '[Service]\nExecStartPre=\nExecStartPre=/bin/true\n',
      },
      'redis',
    );
    expect(systemd).toHaveLength(1);
    expect(systemd[0]!.severity).toBe('error');
    expect(systemd[0]!.reason).toMatch(/^redis \(6379\): the empty ExecStartPre= in \S+zz-local.conf:2 clears every earlier ExecStartPre=/);
    expect(systemd[0]!.file).toBe('/etc/systemd/system/redis-server.service.d/zz-local.conf:2');
  });

  it('is an error when no ExecStartPre= calls claim-port at all', async () => {
    const { systemd } = await check(
      { 'usr/lib/systemd/system/redis-server.service': '[Service]\nExecStartPre=/bin/true\nExecStart=/usr/bin/redis-server\n' },
      'redis',
    );
    expect(systemd).toHaveLength(1);
    expect(systemd[0]!.reason).toMatch(/^redis \(6379\): no ExecStartPre= in redis-server.service calls claim-port/);
  });

  it('uses the override a drop-in makes after clearing', async () => {
    const { systemd } = await check(
      {
        'usr/lib/systemd/system/redis-server.service': `[Service]\nExecStartPre=+${CLAIM} 6380\nExecStart=/usr/bin/redis-server\n`,
        [REDIS_DROP_IN]: `[Service]\nExecStartPre=\nExecStartPre=+${CLAIM} 6379\n`,
      },
      'redis',
    );
    expect(systemd.map((r) => r.severity)).toEqual(['ok']);
  });

  it('warns when the claim lacks the + prefix', async () => {
    const { systemd } = await check({ [API]: unit(`ExecStartPre=-${CLAIM} 8000`) });
    expect(systemd).toEqual([expect.objectContaining({ severity: 'warning' })]);
    expect(systemd[0]!.reason).toContain('lacks the + prefix');
    // The + goes beside the prefix written (`-`), which it keeps.
    expect(systemd[0]!.reason).toContain(`write ExecStartPre=+-${CLAIM} 8000`);
  });

  it('puts the + of its advice on the claim-port command of a `;` chain, so that following it clears the finding (as `ports systemd --check`: one verdict)', async () => {
    const chained = await check({ [API]: unit('User=nobody', `ExecStartPre=/bin/true ; ${CLAIM} 8000`) });
    expect(chained.systemd).toEqual([expect.objectContaining({ severity: 'error', file: `/${API}:6` })]);
    expect(chained.systemd[0]!.reason).toMatch(/lacks the \+ prefix, so claim-port runs as User=nobody .*; write ExecStartPre=(.*)$/);
    const written = chained.systemd[0]!.reason.match(/; write ExecStartPre=(.*)$/)![1]!;
    expect(written).toBe(`/bin/true ; +${CLAIM} 8000`);
    const followed = await check({ [API]: unit('User=nobody', `ExecStartPre=${written}`) });
    expect(followed.systemd).toEqual([expect.objectContaining({ severity: 'ok', file: `/${API}:6` })]);
  });

  it('is an error when the claimed port differs from the registry', async () => {
    const { root, systemd } = await check({ [API]: unit(`ExecStartPre=+${CLAIM} 8001`) });
    expect(systemd).toEqual([expect.objectContaining({ severity: 'error', file: `/${API}:5` })]);
    expect(systemd[0]!.reason).toContain('claims port 8001, but api uses port 8000');
    // The operator's line: theirs to change, to the line `ports systemd` prints.
    // Under --root, the end `ports systemd --root` says (no daemon-reload of this host: `systemctl --root=` has none).
    expect(systemd[0]!.reason).toMatch(
      /; it would free the wrong port; make the line claim port 8000 \(`ports [^`]*systemd --root [^`]*` prints it\); systemd reads it when /,
    );
    expect(systemd[0]!.reason.endsWith(`; systemd reads it when the system under ${root} boots`)).toBe(true);
    // A claim drop-in left from `claim: drop-in`, the registry now wiring the claim in the unit file: `ports systemd`
    // leaves it alone (its --check says to remove it), so running it is no fix.
    const left = await check({ [API]: unit(), 'etc/systemd/system/dsa110-api.service.d/claim-port.conf': `[Service]\nExecStartPre=+${CLAIM} 8001\n` });
    expect(left.systemd[0]!.reason).toMatch(
      /; it would free the wrong port; remove this drop-in: the registry wires dsa110-api.service's claim in the unit file \(systemd.claim: unit\), so with this drop-in it would claim twice; `ports [^`]*systemd[^`]*` prints the unit file's line$/,
    );
    // The claim drop-in `ports systemd` wrote for a `claim: drop-in` unit, left from before the registry moved the port: written again by it.
    const dropIn = await check({ [REDIS_DROP_IN]: `[Service]\nExecStartPre=+${CLAIM} 6380\n`, 'usr/lib/systemd/system/redis-server.service': unit() }, 'redis');
    expect(dropIn.systemd[0]!.reason).toMatch(
      /; it would free the wrong port; run `ports [^`]*systemd[^`]*`, which writes its claim of port 6379 there; systemd reads it when /,
    );
  });

  it('takes an Environment= override of the service variable as the effective port', async () => {
    const moved = await check({ [API]: unit('Environment=CONTIMG_API_PORT=8010', `ExecStartPre=+${CLAIM} 8010`) });
    expect(moved.systemd).toEqual([expect.objectContaining({ severity: 'ok', port: 8010 })]);
    expect(moved.systemd[0]!.reason).toContain(`(CONTIMG_API_PORT=8010 from /${API}:5)`);

    const stale = await check({ [API]: unit('Environment=CONTIMG_API_PORT=8010', `ExecStartPre=+${CLAIM} 8000`) });
    expect(stale.systemd).toEqual([expect.objectContaining({ severity: 'error', port: 8010 })]);
    expect(stale.systemd[0]!.reason).toContain('claims port 8000, but api uses port 8010 (CONTIMG_API_PORT=8010');

    const expanded = await check({ [API]: unit('Environment=CONTIMG_API_PORT=8010', `ExecStartPre=+${CLAIM} \${CONTIMG_API_PORT}`) });
    expect(expanded.systemd.map((r) => r.severity)).toEqual(['ok']);
  });

  it('reads the drop-ins of an alias that leads to the unit (systemd loads the unit with all its names): a port moved there, a claim there', async () => {
    // `systemctl enable` of a unit with Alias=api.service makes this link; systemd then reads api.service.d/ for dsa110-api.service too.
    const ALIAS = 'etc/systemd/system/api.service';
    const moved = await check({
      [API]: unit(`ExecStartPre=+${CLAIM} 8000`),
      [ALIAS]: { symlink: `/${API}` },
      [`${ALIAS}.d/port.conf`]: '[Service]\nEnvironment=CONTIMG_API_PORT=8010\n',
    });
    expect(moved.systemd).toEqual([expect.objectContaining({ severity: 'error', port: 8010 })]);
    expect(moved.systemd[0]!.reason).toContain(`claims port 8000, but api uses port 8010 (CONTIMG_API_PORT=8010 from /${ALIAS}.d/port.conf:2)`);

    // The claim in the alias's drop-in directory is this unit's own (no other unit reads it): ok, and no warning.
    const claimed = await check({
      'usr/lib/systemd/system/dsa110-api.service': unit(),
      'usr/lib/systemd/system/api.service': { symlink: 'dsa110-api.service' },
      [`${ALIAS}.d/claim-port.conf`]: `[Service]\nExecStartPre=+${CLAIM} 8000\n`,
    });
    expect(claimed.systemd).toEqual([expect.objectContaining({ severity: 'ok', port: 8000, file: `/${ALIAS}.d/claim-port.conf:2` })]);
  });

  it("reports an override the registry refuses (another service's port) and falls back to the registry port", async () => {
    const { systemd } = await check({ [API]: unit('Environment=CONTIMG_API_PORT=6379', `ExecStartPre=+${CLAIM} 8000`) });
    expect(systemd.map((r) => r.severity)).toEqual(['error', 'ok']);
    expect(systemd[0]!.reason).toContain(`ignored port override: /${API}:5: CONTIMG_API_PORT="6379" cannot be used`);
    // From an EnvironmentFile=: the same words (it was called an "Environment= override"), naming that file's line.
    const fromFile = await check({
      [API]: unit('EnvironmentFile=/etc/default/dsa110-api', `ExecStartPre=+${CLAIM} 8000`),
      'etc/default/dsa110-api': 'CONTIMG_API_PORT=6379\n',
    });
    expect(fromFile.systemd[0]!.reason).toMatch(/^api \(8000\): ignored port override: \/etc\/default\/dsa110-api:1: CONTIMG_API_PORT="6379" cannot be used/);
  });

  it('reports an override the registry refuses in the unit of a service that is not robust, as for a robust one', async () => {
    const nonRobust = testRegistry([
      { id: 'api', port: 8000, robust: true, unit: 'dsa110-api.service', claim: 'unit', processes: ['python3'] },
      { id: 'worker', port: 8020, env: 'WORKER_PORT', robust: false, unit: 'worker.service' },
    ]);
    const WORKER = 'etc/systemd/system/worker.service';
    const judge = async (value: string) => {
      const root = writeTree(tempDir(), { [WORKER]: unit(`Environment=${value}`) });
      const facts = await gather({ registry: nonRobust, root, claimPortPaths: [] });
      return checkSystemd(facts, nonRobust.service('worker'));
    };
    for (const [value, why] of [
      ['WORKER_PORT=abc', 'WORKER_PORT="abc" cannot be used for service "worker": it is not a plain decimal integer'],
      ['WORKER_PORT=8000', 'WORKER_PORT="8000" cannot be used for service "worker": port 8000 belongs to service "api"'],
      ['"WORKER_PORT= 8021"', 'WORKER_PORT=" 8021" cannot be used for service "worker": it has surrounding white space'],
    ] as const) {
      const systemd = await judge(value);
      expect(systemd).toEqual([expect.objectContaining({ check: 'systemd', severity: 'error', service: 'worker', port: 8020 })]);
      expect(systemd[0]!.reason).toContain(`worker (8020): ignored port override: /${WORKER}:5: ${why}`);
    }
    // An override it takes moves the port and says nothing here (no claim is asked of it).
    expect(await judge('WORKER_PORT=8021')).toEqual([]);
  });

  it('accepts `claim-port <service-id>` when the id resolves to the effective port, and not otherwise', async () => {
    const byId = await check({ [API]: unit('Environment=CONTIMG_API_PORT=8010', `ExecStartPre=+${CLAIM} --timeout 10 api`) });
    expect(byId.systemd.map((r) => r.severity)).toEqual(['ok']);
    const wrongId = await check({ [API]: unit(`ExecStartPre=+${CLAIM} redis`) });
    expect(wrongId.systemd[0]).toMatchObject({ severity: 'error' });
    expect(wrongId.systemd[0]!.reason).toContain('claims port 6379, but api uses port 8000');
    const junk = await check({ [API]: unit(`ExecStartPre=+${CLAIM} nosuch`) });
    expect(junk.systemd[0]!.reason).toContain('"nosuch" is neither a port nor a service id in test-ports.yaml');
  });

  it.each([
    ['--dry-run 8000', /given --dry-run, so it frees nothing/],
    ['-t 5 8000', /would refuse these arguments \(a usage error, exit 64\): unknown option -t/],
    ['--bogus 8000', /exit 64\): unknown option --bogus/],
    ['8000 8001', /exit 64\): one port at a time/],
    ['--timeout 0 8000', /exit 64\): --timeout 0 must be more than 0/],
    ['--help 8000', /given --help/],
    ['', /exit 64\): missing the port/],
  ])("judges `claim-port %s` with claim-port's own argument parser", async (args, reason) => {
    const { systemd } = await check({ [API]: unit(`ExecStartPre=+${CLAIM} ${args}`) });
    expect(systemd).toEqual([expect.objectContaining({ severity: 'error' })]);
    expect(systemd[0]!.reason).toMatch(reason);
  });

  it('accepts every option form claim-port accepts', async () => {
    for (const args of ['--timeout=2.5 8000', '--force --quiet 8000', '--json -- 8000', '--registry /etc/dsa110/ports.yaml api']) {
      const { systemd } = await check({ [API]: unit(`ExecStartPre=+${CLAIM} ${args}`) });
      expect(
        systemd.map((r) => r.severity),
        args,
      ).toEqual(['ok']);
    }
  });

  it('does not pass over a drop-in whose name is not UTF-8 (systemd applies it): unknown, naming it escaped', async () => {
    const root = writeTree(tempDir(), {
      'usr/local/bin/claim-port': EXECUTABLE,
      'usr/lib/systemd/system/redis-server.service': `[Service]\nExecStartPre=+${CLAIM} 6379\nExecStart=/usr/bin/redis-server\n`,
    });
    const dir = join(root, 'etc/systemd/system/redis-server.service.d');
    mkdirSync(dir, { recursive: true });
    // systemd 252 applies it (systemd-analyze verify reads it): here it would clear the claim.
    writeFileSync(Buffer.concat([Buffer.from(`${dir}/zz-\x1b[31m`), Buffer.from([0xff]), Buffer.from('.conf')]), '[Service]\nExecStartPre=\n');
    const facts = await gather({ registry, root });
    const systemd = checkSystemd(facts, registry.service('redis'));
    expect(systemd.map((r) => [r.severity, r.reason])).toEqual([
      [
        'unknown',
        'redis (6379): cannot read part of redis-server.service: /etc/systemd/system/redis-server.service.d/zz-\\e[31m\\xff.conf: cannot read: its name is not UTF-8 (systemd applies it, this check cannot open it); rename it',
      ],
      ['ok', expect.stringContaining('claims port 6379')],
    ]);
    // That systemd reads such a drop-in: one that clears ExecStart= makes systemd-analyze verify refuse the unit.
    if (hasCommand('systemd-analyze', ['--version'])) {
      writeFileSync(Buffer.concat([Buffer.from(`${dir}/zz-`), Buffer.from([0xfe]), Buffer.from('.conf')]), '[Service]\nExecStart=\n');
      const verify = spawnSync('systemd-analyze', ['verify', '--man=no', `--root=${root}`, 'redis-server.service'], {
        env: { PATH: process.env.PATH ?? '/usr/bin:/bin', SYSTEMD_LOG_LEVEL: 'notice' },
        encoding: 'utf8',
      });
      expect(verify.stderr).toContain('Service has no ExecStart=');
    }
  });

  it('does not hang on a FIFO unit file or drop-in: it reports it as unreadable', async () => {
    for (const fifoAt of [API, 'etc/systemd/system/dsa110-api.service.d/claim-port.conf']) {
      const root = writeTree(tempDir(), { 'usr/local/bin/claim-port': EXECUTABLE, ...(fifoAt === API ? {} : { [API]: unit(`ExecStartPre=+${CLAIM} 8000`) }) });
      mkdirSync(join(root, dirname(fifoAt)), { recursive: true });
      execFileSync('mkfifo', [join(root, fifoAt)]);
      const facts = await gather({ registry, root });
      const reasons = checkSystemd(facts, registry.service('api')).map((r) => r.reason);
      expect(reasons).toContain(
        `api (8000): cannot ${fifoAt === API ? 'read' : 'read part of'} dsa110-api.service: /${fifoAt}: cannot read: it is a FIFO (named pipe), not a regular file${fifoAt === API ? '' : ', which systemd would block reading; make it a regular file, or remove it'}`,
      );
    }
  });

  // Cases checked against systemd 252's parser and man pages (systemd.syntax, systemd.service, systemd.unit).
  it.each([
    ['an inline # comment (part of the value: four more arguments)', unit(`ExecStartPre=+${CLAIM} 8000 # free the port`), /exit 64\): one port at a time/],
    ['a backslash then a space (no continuation)', unit(`ExecStartPre=+${CLAIM} \\ `, '8000'), /would refuse these arguments/],
    ['+@ (the port becomes argv[0])', unit(`ExecStartPre=+@${CLAIM} 8000`), /exit 64\): missing the port/],
    [
      '+! (+ never with !)',
      unit(`ExecStartPre=+!${CLAIM} 8000`),
      /systemd would refuse to load dsa110-api\.service: .*:5: .*Neither a valid executable name nor an absolute path: "\+!/,
    ],
    ['+ /path (a prefix alone)', unit(`ExecStartPre=+ ${CLAIM} 8000`), /systemd would refuse to load .*Empty path in command line/],
    [
      '[Service] # x (a header with more on its line)',
      `[Unit]\nDescription=x\n[Service] # x\nExecStartPre=+${CLAIM} 8000\n`,
      /systemd would refuse to load .*:3: invalid section header/,
    ],
  ])('is an error for %s, as systemd reads it', async (_, text, reason) => {
    const { systemd } = await check({ [API]: text });
    expect(
      systemd.some((r) => r.severity === 'error' && reason.test(r.reason)),
      systemd.map((r) => r.reason).join('\n'),
    ).toBe(true);
    expect(systemd.some((r) => r.severity === 'ok')).toBe(false);
  });

  it.each([
    ['@ used correctly', unit(`ExecStartPre=+@${CLAIM} claim-port 8000`)],
    [';-separated commands', unit(`ExecStartPre=/bin/true ; +${CLAIM} 8000`)],
    ['CR line endings', unit(`ExecStartPre=+${CLAIM} 8000`).replace(/\n/g, '\r')],
    ['a \\x2d escape', unit('ExecStartPre=+/usr/local/bin/claim\\x2dport 8000')],
    ['a quoted "+/path"', unit(`ExecStartPre="+${CLAIM}" 8000`)],
    ['a continuation', unit(`ExecStartPre=+${CLAIM} \\`, '  8000')],
  ])('passes %s, as systemd reads it', async (_, text) => {
    const { systemd } = await check({ [API]: text });
    expect(
      systemd.map((r) => r.severity),
      systemd.map((r) => r.reason).join('\n'),
    ).toEqual(['ok']);
  });

  it('does not read a hidden drop-in (.claim-port.conf), as systemd does not', async () => {
    const { systemd } = await check(
      {
        'usr/lib/systemd/system/redis-server.service': '[Service]\nExecStart=/usr/bin/redis-server\n',
        'etc/systemd/system/redis-server.service.d/.claim-port.conf': `[Service]\nExecStartPre=+${CLAIM} 6379\n`,
      },
      'redis',
    );
    expect(systemd.map((r) => r.severity)).toEqual(['error']);
    expect(systemd[0]!.reason).toContain('no ExecStartPre= in redis-server.service calls claim-port');
  });

  it('counts a --claim-port path as claim-port', async () => {
    const files = { [API]: unit('ExecStartPre=+/opt/dsa110/bin/free-port 8000'), 'opt/dsa110/bin/free-port': EXECUTABLE };
    expect((await check(files)).systemd[0]!.severity).toBe('error');
    expect((await check(files, 'api', ['/opt/dsa110/bin/free-port'])).systemd[0]!.severity).toBe('ok');
  });

  it('is an error when the unit is missing or masked, and skips services that are not robust', async () => {
    const missing = await check({});
    expect(missing.systemd[0]).toMatchObject({ severity: 'error' });
    // Where it looked, in words a person can act on: the usual directories, not all 13 of systemd's.
    expect(missing.systemd[0]!.reason).toContain(
      `unit dsa110-api.service not found in any of systemd's 13 unit directories (${missing.root}/etc/systemd/system, ${missing.root}/run/systemd/system, ${missing.root}/usr/local/lib/systemd/system, ${missing.root}/lib/systemd/system, ${missing.root}/usr/lib/systemd/system, ...)`,
    );
    // The api's claim is in its own unit file, which `ports systemd` does not write (it prints the line): the fix says so.
    expect(missing.systemd[0]!.reason).toMatch(
      /; install it, with the ExecStartPre= line `ports systemd --root \S+` prints for it in its \[Service\] section$/,
    );
    // Redis's unit comes from its package, and its claim from the drop-in `ports systemd` writes.
    expect((await check({}, 'redis')).systemd[0]!.reason).toMatch(
      /: unit redis-server\.service not found in .*; install the service \(its package\), and run `ports systemd --root \S+`, which writes its claim drop-in$/,
    );
  });

  it('is an error when the unit has drop-ins but no unit file (systemd loads no unit from drop-ins alone), naming the drop-in', async () => {
    // What `ports systemd --root DIR` writes for a service whose package is not installed: the claim drop-in only.
    const { systemd, root } = await check({ [REDIS_DROP_IN]: `[Service]\nExecStartPre=+${CLAIM} 6379\n` }, 'redis');
    expect(systemd).toEqual([expect.objectContaining({ check: 'systemd', severity: 'error', service: 'redis' })]);
    expect(systemd[0]!.reason).toMatch(
      new RegExp(
        `^redis \\(6379\\): unit redis-server\\.service not found: its drop-in ${root}/${REDIS_DROP_IN} exists, but no unit file in any of systemd's 13 unit directories \\(.*\\), and systemd does not load a unit from drop-ins alone; install the service \\(its package\\), which provides the unit file its claim drop-in extends$`,
      ),
    );
    // A unit file claim: the line to put in the unit file, and how many drop-ins there are.
    const api = await check({
      'etc/systemd/system/dsa110-api.service.d/a.conf': `[Service]\nExecStartPre=+${CLAIM} 8000\n`,
      'etc/systemd/system/dsa110-api.service.d/b.conf': '[Service]\nUser=api\n',
    });
    expect(api.systemd.map((r) => r.severity)).toEqual(['error']);
    expect(api.systemd[0]!.reason).toContain(`its drop-in ${api.root}/etc/systemd/system/dsa110-api.service.d/a.conf (and 1 more) exists, but no unit file`);
    expect(api.systemd[0]!.reason).toMatch(/; install it, with the ExecStartPre= line `ports systemd --root \S+` prints for it in its \[Service\] section$/);
  });

  it('with drop-ins and a unit file it cannot read, judges the drop-ins (root may read it); with only a drop-in it cannot read, not found', async () => {
    const unreadable = await check(
      { 'usr/lib/systemd/system/redis-server.service': { fifo: true }, [REDIS_DROP_IN]: `[Service]\nExecStartPre=+${CLAIM} 6379\n` },
      'redis',
    );
    expect(unreadable.systemd.map((r) => r.severity)).toEqual(['unknown', 'ok']);
    expect(unreadable.systemd[0]!.reason).toContain('cannot read part of redis-server.service: /usr/lib/systemd/system/redis-server.service: cannot read');
    const dropInOnly = await check({ [REDIS_DROP_IN]: { fifo: true } }, 'redis');
    expect(dropInOnly.systemd.map((r) => r.severity)).toEqual(['error']);
    expect(dropInOnly.systemd[0]!.reason).toContain('unit redis-server.service not found in');
  });

  it('is an error when the unit is masked, and skips services that are not robust', async () => {
    const masked = await check({ [API]: { symlink: '/dev/null' } });
    expect(masked.systemd[0]!.reason).toContain('is masked');
    expect((await check({}, 'web')).systemd).toEqual([]);
  });

  it('says how to unmask a masked unit: systemctl unmask (--root=ROOT under a root, --runtime in /run), or to remove a mask elsewhere', async () => {
    const said = (severity: string, reason: string, file: string) => [expect.objectContaining({ severity, reason: `api (8000): ${reason}`, file })];
    // A link to /dev/null and an empty file alike: systemctl unmask removes either from /etc/systemd/system.
    for (const mask of [{ symlink: '/dev/null' }, ''] as const) {
      const { root, systemd } = await check({ [API]: mask });
      expect(systemd).toEqual(
        said(
          'error',
          `unit dsa110-api.service is masked: ${root}/${API} is empty or links to /dev/null, so systemd will not start it; unmask it: systemctl --root=${root} unmask dsa110-api.service (which removes ${root}/${API})`,
          `/${API}`,
        ),
      );
    }
    const RUN = 'run/systemd/system/dsa110-api.service';
    const runtime = await check({ [RUN]: { symlink: '/dev/null' } });
    expect(runtime.systemd[0]!.reason).toContain(
      `; unmask it: systemctl --root=${runtime.root} --runtime unmask dsa110-api.service (which removes ${runtime.root}/${RUN})`,
    );
    // A mask systemctl unmask does not touch (a package's, in /usr/lib): remove it.
    const LIB = 'usr/lib/systemd/system/dsa110-api.service';
    const vendor = await check({ [LIB]: '' });
    expect(vendor.systemd[0]!.reason).toBe(
      `api (8000): unit dsa110-api.service is masked: ${vendor.root}/${LIB} is empty or links to /dev/null, so systemd will not start it; remove ${vendor.root}/${LIB} (systemctl unmask removes masks in /etc/systemd/system and /run/systemd/system only)`,
    );
    // On this host (no --root): the command acts on it, and a removal needs a daemon-reload.
    for (const [file, fix] of [
      [API, `unmask it: systemctl unmask dsa110-api.service (which removes /${API})`],
      [LIB, `remove /${LIB}, then run systemctl daemon-reload (systemctl unmask`],
    ] as const) {
      const root = writeTree(tempDir(), { [file]: '' });
      const facts = await gather({ registry, root, claimPortPaths: [] });
      expect(checkSystemd({ ...facts, root: '/' }, registry.service('api'))[0]!.reason).toContain(`; ${fix}`);
    }
  });

  it.skipIf(!hasCommand('systemctl', ['--version']))('following the unmask advice (systemctl --root, offline) unmasks the unit', async () => {
    for (const [masked, mask] of [
      [API, { symlink: '/dev/null' }],
      [API, ''],
      ['run/systemd/system/dsa110-api.service', { symlink: '/dev/null' }],
    ] as const) {
      const files = { [masked]: mask, 'usr/lib/systemd/system/dsa110-api.service': unit(`ExecStartPre=+${CLAIM} 8000`) };
      const { root, systemd } = await check(files);
      const command = systemd[0]!.reason.match(/; unmask it: systemctl (.*) \(which removes/)?.[1];
      expect(command, masked).toBeDefined();
      const run = spawnSync('systemctl', command!.split(' '), { encoding: 'utf8', timeout: 20_000 });
      expect(run.status, run.stderr).toBe(0);
      const facts = await gather({ registry, root, claimPortPaths: [] });
      expect(
        checkSystemd(facts, registry.service('api')).map((r) => r.severity),
        masked,
      ).toEqual(['ok']);
    }
  });
});

describe('dependencies check', () => {
  it('is an error when the claim-port a unit calls does not exist under the root', async () => {
    const { dependencies, root } = await check({ [API]: unit('ExecStartPre=+/usr/bin/claim-port 8000') });
    expect(dependencies).toEqual([expect.objectContaining({ severity: 'error', service: 'api', file: `/${API}:5` })]);
    expect(dependencies[0]!.reason).toBe(
      `claim-port /usr/bin/claim-port (called by api in /${API}:5) does not exist under ${root}; install claim-port there (${claimPortInstall('/usr/bin/claim-port', root)})`,
    );
  });

  it('is an error when it is not executable', async () => {
    const { dependencies } = await check({
      [API]: unit(`ExecStartPre=+${CLAIM} 8000`),
      'usr/local/bin/claim-port': { text: '#!/bin/sh\n', mode: 0o644 },
    });
    expect(dependencies[0]!.severity).toBe('error');
    expect(dependencies[0]!.reason).toContain('is not an executable file');
  });

  it('says whether /proc can be read, and how many processes hide their sockets', async () => {
    const facts = await gather({ registry, root: tempDir() });
    const procResult = (sockets: typeof facts.sockets) => checkDependencies({ ...facts, sockets }).find((r) => !r.service)!;
    expect(procResult({ ...facts.sockets, unreadableProcesses: 0 })).toMatchObject({
      severity: 'ok',
      reason: '/proc is readable: every socket owner can be seen',
    });
    expect(procResult({ ...facts.sockets, unreadableProcesses: 2 })).toMatchObject({ severity: 'info' });
    expect(procResult({ ...facts.sockets, unreadableProcesses: 2 }).reason).toContain('the open files of 2 processes are not');
    expect(procResult({ listeners: [], unreadableProcesses: 0, problem: 'permission denied reading /proc/net/tcp (run as root)' })).toMatchObject({
      severity: 'error',
      reason: 'cannot read the socket table: permission denied reading /proc/net/tcp (run as root)',
    });
  });
});
