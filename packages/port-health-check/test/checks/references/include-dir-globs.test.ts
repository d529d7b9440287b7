// Include globs with a pattern in a directory part (`/etc/redis/conf*.d/*.conf`, `/etc/nginx/site*/x.conf`): nginx
// (ngx_conf_include: ngx_open_glob) and Redis 7 (loadServerConfig) hand the whole path to glob(3), which matches every
// part and sorts the paths it gives by their bytes, whole (`conf.d-x/a.conf` before `conf.d/a.conf`: `-` is below
// `/`); a part with no pattern in it is looked for with lstat(), so a dangling link there is given, and nginx fails
// to open it. Each case is held to the real daemons: nginx -T lists the files it reads, in order; redis-server, run
// in a network namespace of the test's own, listens on the port its last `port` line gives.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { loadRegistry } from '@dsa110/ports';
import { renderSnippets, SNIPPET_KINDS } from '@dsa110/ports/render';
import { describe, expect, it } from 'vitest';
import { checkReferences } from '../../../src/checks/references.js';
import { gather } from '../../../src/gather.js';
import { hasCommand } from '../../../../../test-support/commands.js';
import { runNetnsScript } from '../../../../../test-support/firewall-netns.js';
import { tempDir, withoutRoot, writeTree, type TreeEntry } from '../../helpers.js';
import { realGlob } from './real-glob.js';

const repoRoot = new URL('../../../../../', import.meta.url).pathname;
const fixtures = new URL('fixtures/', import.meta.url).pathname;
const registry = await loadRegistry({ path: join(repoRoot, 'ports.yaml') });
const SITE = '/etc/nginx/sites-available/dsa110-contimg';

/** Every snippet the registry renders, as files of a root (the nginx site among them). */
function snippets(): Record<string, TreeEntry> {
  const files: Record<string, TreeEntry> = {};
  for (const kind of SNIPPET_KINDS) for (const snippet of renderSnippets(registry, kind)) files[snippet.path.slice(1)] = snippet.text;
  return files;
}

/** The references check's findings for `service` (not ok), in a root with every snippet, then `files`. */
async function problems(service: 'redis' | 'nginx', files: Record<string, TreeEntry>): Promise<string[]> {
  const root = writeTree(tempDir(), { ...snippets(), ...files });
  const facts = await gather({ registry, root, services: [registry.service(service)] });
  return checkReferences(facts, registry.service(service))
    .filter((result) => result.severity !== 'ok')
    .map((result) => withoutRoot(result, root))
    .map((result) => `${result.severity}: ${result.reason.replaceAll(root, 'ROOT')}`);
}

/** `files` for a daemon run outside a root: under `dir`, each absolute /etc path in them (texts and links) under it too. */
function underDir(dir: string, files: Record<string, TreeEntry>): string {
  const moved = (text: string) => text.replaceAll('/etc/', `${dir}/etc/`);
  return writeTree(
    dir,
    Object.fromEntries(
      Object.entries({ ...snippets(), ...files }).map(([path, entry]) => [
        path,
        typeof entry === 'string' ? moved(entry) : 'symlink' in entry ? { symlink: moved(entry.symlink) } : entry,
      ]),
    ),
  );
}

const canNginx = hasCommand('nginx', ['-v']);
const canRedis = process.getuid?.() === 0 && hasCommand('redis-server', ['--version']) && hasCommand('unshare', ['--version']) && hasCommand('ip', ['-V']);
if (!canNginx || !canRedis) console.warn('[skipped in part: the real daemons need nginx (nginx-light), and root, redis-server, unshare and ip]');

/** The files the real nginx reads from `files`' etc/nginx/nginx.conf, in order (nginx -T), or its error. */
function nginxReads(files: Record<string, TreeEntry>): string[] | string {
  const dir = underDir(tempDir(), files);
  const run = spawnSync('nginx', ['-T', '-c', `${dir}/etc/nginx/nginx.conf`, '-p', `${dir}/`, '-e', `${dir}/error.log`, '-g', `pid ${dir}/nginx.pid;`], {
    encoding: 'utf8',
  });
  if (run.status !== 0) return run.stderr.replaceAll(dir, 'ROOT').trim().split('\n')[0]!;
  return [...run.stdout.matchAll(/^# configuration file (.*):$/gm)].map((match) => match[1]!.replace(dir, ''));
}

/** The ports the real redis-server listens on, started with `files`' etc/redis/redis.conf. */
async function redisPorts(files: Record<string, TreeEntry>): Promise<string[]> {
  const dir = underDir(tempDir(), files);
  const run = await runNetnsScript({ script: join(fixtures, 'dir-globs/netns.sh'), args: [`${dir}/etc/redis/redis.conf`, dir], env: {}, timeoutMs: 20_000 });
  return run.output.trim().split('\n');
}

const PORT = (port: number) => `port ${port}, but the registry says Redis uses port 6379`;

describe('an include glob with a pattern in a directory part', () => {
  const redis = {
    'etc/redis/redis.conf': 'port 6379\nbind 127.0.0.1\ninclude /etc/redis/conf.d*/*.conf\n',
    'etc/redis/conf.d/a.conf': 'port 6381\n',
    'etc/redis/conf.d-x/a.conf': 'port 6380\n',
  };

  it('Redis reads every file it matches, sorted by the whole path: the port it takes is conf.d/a.conf’s, the last (it was unknown)', async () => {
    const found = await problems('redis', redis);
    expect(found).toEqual([expect.stringContaining(`/etc/redis/conf.d/a.conf:1:6: ${PORT(6381)}`)]);
    expect(found.join('\n')).not.toContain('a glob in a directory name');
  });

  it.skipIf(!canRedis)('held to the real redis-server: it listens on conf.d/a.conf’s port', { timeout: 30_000 }, async () => {
    expect(await redisPorts(redis)).toEqual(['port 6381']);
  });

  const nginx = {
    'etc/nginx/nginx.conf': 'events {}\nhttp {\n  include /etc/nginx/site*-enabled/*;\n}\n',
    'etc/nginx/sites-enabled/dsa110-contimg': { symlink: SITE },
  };

  // glibc drops a `\` that ends a directory part: Redis reads conf.d/a.conf (once nothing, and no finding).
  const backslash = {
    'etc/redis/redis.conf': 'port 6379\nbind 127.0.0.1\ninclude /etc/redis/conf.d\\/*.conf\n',
    'etc/redis/conf.d/a.conf': 'port 6381\n',
  };

  it('a `\\` before a `/` is dropped, as glob(3) drops it: Redis reads the file', async () => {
    expect(await problems('redis', backslash)).toEqual([expect.stringContaining(`/etc/redis/conf.d/a.conf:1:6: ${PORT(6381)}`)]);
  });

  it.skipIf(!canRedis)('held to the real redis-server: it listens on that file’s port', { timeout: 30_000 }, async () => {
    expect(await redisPorts(backslash)).toEqual(['port 6381']);
  });

  it('nginx loads the site through it (it was unknown, and the site not known to be loaded)', async () => {
    expect(await problems('nginx', nginx)).toEqual([]);
  });

  it.skipIf(!canNginx)('held to the real nginx: nginx -T reads the site through it', () => {
    expect(nginxReads(nginx)).toEqual(['/etc/nginx/nginx.conf', '/etc/nginx/sites-enabled/dsa110-contimg']);
  });

  // A last part with no pattern: each directory's file looked for with lstat(), so a dangling link is given too.
  const dangling = {
    'etc/nginx/nginx.conf': 'events {}\nhttp {\n  include /etc/nginx/sites-enabled/*;\n  include /etc/nginx/extra*/x.conf;\n}\n',
    'etc/nginx/sites-enabled/dsa110-contimg': { symlink: SITE },
    'etc/nginx/extra1/x.conf': '# nothing\n',
    'etc/nginx/extra2/x.conf': { symlink: '/etc/nginx/nowhere' },
    'etc/nginx/extra3/y.conf': '# not matched\n',
  };

  it('a dangling link its last part names is an error, as nginx fails to open it', async () => {
    expect(await problems('nginx', dangling)).toEqual([
      expect.stringContaining(
        'include /etc/nginx/extra*/x.conf: /etc/nginx/extra2/x.conf: no such file, so nginx refuses a configuration that loads it (nginx -t fails: "open() ... failed (2: No such file or directory)")',
      ),
    ]);
  });

  it.skipIf(!canNginx)('held to the real nginx: nginx -t fails on that link', () => {
    expect(nginxReads(dangling)).toEqual(expect.stringContaining('open() "ROOT/etc/nginx/extra2/x.conf" failed (2: No such file or directory)'));
  });
});

describe('the paths of an include glob with patterns in directory parts, held to glob(3)', () => {
  const PATTERNS = [
    '/etc/redis/*/*.conf',
    '/etc/redis/conf*/a.conf',
    '/etc/redis/conf[.-]*/[ab].conf',
    '/etc/redis/.*/x.conf',
    '/etc/redis/c*/sub/*.conf',
    '/etc/redis/*/*/*',
    '/etc/redis/??/*.conf',
    '/etc/redis/[!c]*/*.conf',
    '/etc/redis/a[b/*.conf',
    '/etc/*/conf.d/b.conf',
    // glibc drops a `\` that ends a directory part (not one a `\` escapes): Redis 7.0.15 reads conf.d/a.conf for the first.
    '/etc/redis/conf.d\\/*.conf',
    '/etc/redis/con*\\/a.conf',
    '/etc/redis/c2\\/sub\\/*.conf',
    '/etc/redis/b\\\\/*.conf',
    '/etc/redis/[b]\\\\/*.conf',
  ];
  // Ending in `/`: the directories a last pattern matches (not files), marked with `/`; a last name without one as it is.
  const MARKED = ['/etc/redis/c*/', '/etc/redis/c2/*/', '/etc/redis/c*/sub/', '/etc/redis/c*/notdir/', '/etc/redis/*\\/'];
  const TREE: Record<string, TreeEntry> = {
    'etc/redis/x.conf': '# x\n',
    'etc/x.conf': '# x\n',
    'etc/redis/conf.d/a.conf': '# a\n',
    'etc/redis/conf.d/b.conf': '# b\n',
    'etc/redis/conf.d-x/a.conf': '# a\n',
    'etc/redis/conf.e/b.conf': '# b\n',
    'etc/redis/.hidden.d/x.conf': '# x\n',
    'etc/redis/.hidden.d/a.conf': '# a\n',
    'etc/redis/c1/sub/z.conf': '# z\n',
    'etc/redis/c2/sub/a.conf': '# a\n',
    'etc/redis/c2/notdir': '# a file\n',
    'etc/redis/cfile': '# a file, not a directory\n',
    'etc/redis/clink': { symlink: 'conf.d' }, // relative: the host's glob(3) follows it as the root does
    'etc/redis/é/a.conf': '# é is two bytes: ?? matches it\n',
    'etc/redis/a[b/a.conf': '# a [ with no ] is itself\n',
    'etc/redis/b\\/a.conf': '# a directory whose name ends in a backslash\n',
  };

  /** The paths the check reads for each of `patterns` (included by redis.conf, in TREE), and those glob(3) gives. */
  async function readAndReal(patterns: readonly string[]): Promise<{ read: unknown[]; real: string[][] }> {
    const root = writeTree(tempDir(), { ...TREE, 'etc/redis/redis.conf': `${patterns.map((pattern) => `include ${pattern}`).join('\n')}\n` });
    const facts = await gather({ registry, root, services: [registry.service('redis')] });
    const read = patterns.map((pattern) => {
      const found = facts.includes?.get(pattern);
      return found === undefined || 'problem' in found ? found : found.files.map((file) => file.path);
    });
    const real = realGlob(
      root,
      patterns.map((pattern) => Buffer.from(pattern)),
    ).map((paths) => paths.map((path) => path.toString()));
    // Not nothing: the tree makes each pattern match.
    for (const paths of real) expect(paths.length).toBeGreaterThan(0);
    return { read, real };
  }

  it('gives the paths glob(3) gives, in its order', async () => {
    const { read, real } = await readAndReal(PATTERNS);
    expect(read).toEqual(real);
  });

  it('a glob ending in `/` gives what glob(3) gives: directories its last pattern matches, marked with `/`', async () => {
    const { read, real } = await readAndReal(MARKED);
    expect(read).toEqual(real);
  });
});

describe('an include glob that reaches too much', () => {
  /** A redis.conf including `glob`, and a directory `etc/redis/d` holding `links` links to `.` and `files` empty files. */
  function wide(glob: string, links: number, files: number): Record<string, TreeEntry> {
    const tree: Record<string, TreeEntry> = { 'etc/redis/redis.conf': `port 6379\nbind 127.0.0.1\ninclude ${glob}\n` };
    for (let index = 0; index < links; index++) tree[`etc/redis/d/l${index}`] = { symlink: '.' };
    for (let index = 0; index < files; index++) tree[`etc/redis/d/f${index}`] = '';
    return tree;
  }

  // Each of the 4,096 directories the first part reaches lists 4,096 names: all 16 million were once built before the
  // limit was looked at (60 s, 1.8 GB of heap), and with 16,384 files in `d` too V8 ran out of memory (exit 134).
  it('stops at the directories it keeps as it lists them: 4,096 links to `.` under `*/*` are unknown at once', { timeout: 30_000 }, async () => {
    const tree = wide('/etc/redis/d/*/*/x.conf', 4096, 0);
    const started = Date.now();
    expect(await problems('redis', tree)).toEqual([
      expect.stringMatching(
        /^unknown: .*include \/etc\/redis\/d\/\*\/\*\/x\.conf: its directory parts reach more than the 4096 directories listed for an include; a port or bind in it is not checked/,
      ),
    ]);
    expect(Date.now() - started).toBeLessThan(15_000);
  });

  it('counts the names it reads, not only the directories it keeps: few kept of many read is unknown', async () => {
    expect(await problems('redis', wide('/etc/redis/d/l*/x*/x.conf', 16, 4096))).toEqual([
      expect.stringContaining('include /etc/redis/d/l*/x*/x.conf: its directories hold more than the 65536 names read for an include glob'),
    ]);
  });
});
