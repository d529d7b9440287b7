// Which ExecStart= command is a service's daemon, on real unit trees under --root: the one running a program the
// config kind names (by its base name), with the directory a relative path it is given is read from.
import { join } from 'node:path';
import { loadRegistry } from '@dsa110/ports';
import { describe, expect, it } from 'vitest';
import {
  commandPath,
  commandVariables,
  daemonCommand,
  nameInCommand,
  pathFromCwd,
  sameFile,
  wordVariables,
} from '../../../src/checks/references/daemon-command.js';
import { gather } from '../../../src/gather.js';
import { tempDir, writeTree, type TreeEntry } from '../../helpers.js';

const repoRoot = new URL('../../../../../', import.meta.url).pathname;
const registry = await loadRegistry({ path: join(repoRoot, 'ports.yaml') });
const UNIT = 'lib/systemd/system/redis-server.service';

async function redisCommand(files: Record<string, TreeEntry>) {
  const root = writeTree(tempDir(), files);
  const facts = await gather({ registry, root, services: [registry.service('redis')] });
  const command = daemonCommand(facts, registry.service('redis'), ['redis-server']);
  return command && { argv: command.line.argv, at: `${command.line.file}:${command.line.line}`, cwd: command.cwd };
}

describe('the daemon command of a service', () => {
  it("is its unit's ExecStart= command running the program, $VAR expanded, with its file and line and start directory", async () => {
    expect(
      await redisCommand({
        [UNIT]: '[Service]\nEnvironment=CONF=/etc/redis/other.conf\nExecStart=/usr/bin/redis-server $CONF --port 7001\n',
        [`${UNIT}.d/dir.conf`]: '[Service]\nWorkingDirectory=/var/lib/redis\n',
      }),
    ).toEqual({ argv: ['/usr/bin/redis-server', '/etc/redis/other.conf', '--port', '7001'], at: `/${UNIT}:3`, cwd: '/var/lib/redis' });
    expect(await redisCommand({ [UNIT]: '[Service]\nExecStart=/usr/bin/redis-server /etc/redis/redis.conf\n' })).toMatchObject({ cwd: '/' });
  });

  it('is none for a wrapper, a unit that is not there, masked or refused, or one that runs the program twice', async () => {
    expect(await redisCommand({ [UNIT]: "[Service]\nExecStart=/bin/sh -c 'exec redis-server /etc/redis/redis.conf'\n" })).toBeUndefined();
    expect(await redisCommand({})).toBeUndefined();
    expect(await redisCommand({ [UNIT]: { symlink: '/dev/null' } })).toBeUndefined();
    expect(await redisCommand({ [UNIT]: '[Service]\nExecStart=/usr/bin/redis-server a.conf\nExecStart=/usr/bin/redis-server b.conf\n' })).toBeUndefined();
    expect(
      await redisCommand({ [UNIT]: '[Service]\nType=oneshot\nExecStart=/usr/bin/redis-server a.conf\nExecStart=/usr/bin/redis-server b.conf\n' }),
    ).toBeUndefined();
  });
});

describe('a path as the daemon opens it', () => {
  it('is absolute as given (simplified), or joined to the start directory; unknown without one', () => {
    expect(pathFromCwd('/etc//redis/./redis.conf', undefined)).toBe('/etc/redis/redis.conf');
    expect(pathFromCwd('redis.conf', '/etc/redis')).toBe('/etc/redis/redis.conf');
    expect(pathFromCwd('./conf/redis.conf', '/')).toBe('/conf/redis.conf');
    expect(pathFromCwd('redis.conf', undefined)).toBeUndefined();
  });
});

describe('the variables a command expands', () => {
  it(`are those systemd 252 expands: $NAME as a word of its own, \${NAME} in any word; not $$ (a literal $), \${NAME:...}, nor any after the : prefix`, () => {
    expect(wordVariables('$ARGS')).toEqual(['ARGS']);
    expect(wordVariables(`--port=\${PORT}:\${HOST}`)).toEqual(['PORT', 'HOST']);
    expect(wordVariables(`/var/lib/redis/$\${HOSTNAME}`)).toEqual([]);
    expect(wordVariables('$$ARGS')).toEqual([]);
    expect(wordVariables(`\${PORT:-6379}`)).toEqual([]);
    expect(commandVariables({ prefixes: '', words: ['redis-server', '$CONF', `--port \${PORT}`] })).toEqual(['CONF', 'PORT']);
    expect(commandVariables({ prefixes: ':', words: ['redis-server', '$CONF'] })).toEqual([]);
  });
});

describe('two paths as one file', () => {
  it('are one by their simplified absolute path; two relative paths are never one by name', () => {
    const facts = { daemonFiles: new Map() };
    expect(sameFile(facts, '/etc/redis//./redis.conf', '/etc/redis/redis.conf')).toBe(true);
    expect(sameFile(facts, 'redis.conf', 'other.conf')).toBe(false);
    expect(sameFile(facts, '/etc/redis/redis.conf', 'redis.conf')).toBe(false);
  });
});

describe('a path of a command chrooted in RootDirectory= (commandPath, nameInCommand)', () => {
  it('is under that directory, a relative one from the start directory inside it, `..` stopping at it as in the chroot', async () => {
    const root = writeTree(tempDir(), {
      [UNIT]: '[Service]\nRootDirectory=/srv//redis/\nWorkingDirectory=/etc/redis\nExecStart=/usr/bin/redis-server redis.conf\n',
    });
    const facts = await gather({ registry, root, services: [registry.service('redis')] });
    const command = daemonCommand(facts, registry.service('redis'), ['redis-server'])!;
    expect({ root: command.root, cwd: command.cwd }).toEqual({ root: '/srv/redis', cwd: '/etc/redis' });
    expect(commandPath(command, 'redis.conf')).toBe('/srv/redis/etc/redis/redis.conf');
    expect(commandPath(command, '/../../etc/redis.conf')).toBe('/srv/redis/etc/redis.conf');
    expect(commandPath(command, '/etc/nginx/')).toBe('/srv/redis/etc/nginx/');
    expect(commandPath({ root: '/srv/redis' }, 'redis.conf')).toBeUndefined();
    expect(commandPath({ cwd: '/' }, '/etc/redis.conf')).toBe('/etc/redis.conf');
    expect(nameInCommand(command, '/srv/redis/etc/redis.conf')).toBe('/etc/redis.conf');
    expect(nameInCommand(command, '/srv/redis-old/etc/redis.conf')).toBeUndefined();
    expect(nameInCommand({}, '/etc/redis.conf')).toBe('/etc/redis.conf');
  });

  it('is not told inside RootImage= (its words still are), nor rooted under RootDirectory=/ (the root itself)', async () => {
    const command = async (lines: string) => {
      const root = writeTree(tempDir(), { [UNIT]: `[Service]\n${lines}ExecStart=/usr/bin/redis-server /etc/redis/redis.conf\n` });
      const facts = await gather({ registry, root, services: [registry.service('redis')] });
      return daemonCommand(facts, registry.service('redis'), ['redis-server']);
    };
    const imaged = (await command('RootImage=/srv/redis.raw\nRootDirectory=/srv/redis\n'))!;
    expect(imaged.line.argv).toEqual(['/usr/bin/redis-server', '/etc/redis/redis.conf']);
    expect(imaged.rootUnknown).toBe(`its ExecStart= runs inside RootImage=/srv/redis.raw (/${UNIT}:2), which this check does not open`);
    expect(commandPath(imaged, '/etc/redis/redis.conf')).toBeUndefined();
    expect(nameInCommand(imaged, '/etc/redis/redis.conf')).toBeUndefined();
    expect((await command('RootDirectory=/\n'))?.root).toBeUndefined();
    expect((await command('RootDirectory=/srv/redis\nRootDirectory=\n'))?.root).toBeUndefined();
  });
});
