// redis.conf lines a plain redis-server refuses for how it runs, not for their names: each expectation is what Debian's
// redis-server 7.0.15 did with the file, run in a network namespace of its own. `sentinel monitor m 127.0.0.1 6379 2`
// without --sentinel: "FATAL CONFIG FILE ERROR ... sentinel directive while not in sentinel mode" (`sentinel` alone
// it takes); `foo.bar 1` with no loadmodule line in the file or on the command line: "Module Configuration detected
// without loadmodule directive or no ApplyConfig call: aborting"; with --sentinel, it takes both.
import { join } from 'node:path';
import { loadRegistry } from '@dsa110/ports';
import { renderSnippets, SNIPPET_KINDS } from '@dsa110/ports/render';
import { describe, expect, it } from 'vitest';
import { checkReferences } from '../../../src/checks/references.js';
import { gather } from '../../../src/gather.js';
import { tempDir, withoutRoot, writeTree, type TreeEntry } from '../../helpers.js';

const repoRoot = new URL('../../../../../', import.meta.url).pathname;
const registry = await loadRegistry({ path: join(repoRoot, 'ports.yaml') });
const UNIT = 'lib/systemd/system/redis-server.service';
const REDIS = 'etc/redis/redis.conf';
const DEBIAN_UNIT = '[Service]\nExecStart=/usr/bin/redis-server /etc/redis/redis.conf --supervised systemd --daemonize no\n';

/** The references check's problems for redis, in a root with every snippet, Debian's unit (`unit` in its place) and redis.conf as `conf` after its port and bind. */
async function problems(conf: string, { unit = DEBIAN_UNIT, files = {} }: { unit?: string; files?: Record<string, TreeEntry> } = {}): Promise<string[]> {
  const snippets: Record<string, TreeEntry> = { [UNIT]: unit };
  for (const kind of SNIPPET_KINDS) for (const snippet of renderSnippets(registry, kind)) snippets[snippet.path.slice(1)] = snippet.text;
  const root = writeTree(tempDir(), { ...snippets, [REDIS]: `port 6379\nbind 127.0.0.1 -::1\n${conf}`, ...files });
  const facts = await gather({ registry, root, services: [registry.service('redis')] });
  return checkReferences(facts, registry.service('redis'))
    .filter((result) => result.severity !== 'ok')
    .map((result) => withoutRoot(result, root))
    .map((result) => `${result.severity}: ${result.reason}`);
}

const SENTINEL_REFUSED =
  'a Sentinel directive, but Redis does not run as Sentinel here (not started as redis-sentinel, nor with --sentinel), so it refuses to start ("sentinel directive while not in sentinel mode"); remove the line, or run it as Sentinel (redis-sentinel, or --sentinel) with a file of its own';
const NO_MODULE =
  'a module\'s setting (a name with a .), but no loadmodule line loads a module, so Redis aborts at start ("Module Configuration detected without loadmodule directive or no ApplyConfig call: aborting")';

describe('a sentinel line in a plain Redis', () => {
  // The reviewer's file: it passed, and redis-server 7.0.15 refused it.
  it('is an error at its file:line, in any case; sentinel alone (which Redis takes) passes', async () => {
    expect(await problems('sentinel monitor m 127.0.0.1 6379 2\nSENTINEL down-after-milliseconds m 5000\nsentinel\n')).toEqual([
      `error: redis (6379): /${REDIS}:3: sentinel monitor m 127.0.0.1 6379 2: ${SENTINEL_REFUSED}`,
      `error: redis (6379): /${REDIS}:4: SENTINEL down-after-milliseconds m 5000: ${SENTINEL_REFUSED}`,
    ]);
  });

  it('as an option after the file, at the ExecStart= line', async () => {
    const unit = DEBIAN_UNIT.replace('--daemonize no', '--daemonize no "--sentinel monitor m 127.0.0.1 6379 2"');
    expect(await problems('', { unit })).toEqual([
      `error: redis (6379): /${UNIT}:2: "--sentinel monitor m 127.0.0.1 6379 2" in ExecStart=: ${SENTINEL_REFUSED}`,
    ]);
  });

  it('unknown where options not read may give --sentinel (an EnvironmentFile= that cannot be read)', async () => {
    const unit = '[Service]\nEnvironmentFile=/etc/default/redis\nExecStart=/usr/bin/redis-server /etc/redis/redis.conf $OPTS\n';
    const found = await problems('sentinel monitor m 127.0.0.1 6379 2\n', { unit, files: { 'etc/default/redis': { fifo: true } } });
    expect(found.filter((problem) => problem.includes('sentinel monitor'))).toEqual([
      `unknown: redis (6379): /${REDIS}:3: sentinel monitor m 127.0.0.1 6379 2: ${SENTINEL_REFUSED.replace('with --sentinel)', 'with --sentinel, unless the options not known give it)')}`,
    ]);
  });

  it('with --sentinel, Redis runs as Sentinel and takes it', async () => {
    const unit = DEBIAN_UNIT.replace('--daemonize no', '--daemonize no --sentinel');
    const found = await problems('sentinel monitor m 127.0.0.1 6379 2\n', { unit });
    expect(found.filter((problem) => problem.includes('sentinel monitor'))).toEqual([]);
  });
});

describe("a module's setting with no loadmodule", () => {
  it('is an error at its file:line', async () => {
    expect(await problems('foo.bar 1\n')).toEqual([
      `error: redis (6379): /${REDIS}:3: foo.bar 1: ${NO_MODULE}; add the loadmodule line of the module it sets, or remove the line`,
    ]);
  });

  it('as an option after the file, at the ExecStart= line', async () => {
    const unit = DEBIAN_UNIT.replace('--daemonize no', '--daemonize no --foo.bar 1');
    expect(await problems('', { unit })).toEqual([
      `error: redis (6379): /${UNIT}:2: --foo.bar 1 in ExecStart=: ${NO_MODULE}; add the loadmodule line of the module it sets (or --loadmodule), or remove the line`,
    ]);
  });

  it('passes with a loadmodule line anywhere Redis reads: after it, in an include, on the command line (the module decides)', async () => {
    expect(await problems('foo.bar 1\nloadmodule /usr/lib/redis/modules/foo.so\n')).toEqual([]);
    const files = { 'etc/redis/modules.conf': 'loadmodule /usr/lib/redis/modules/foo.so\n' };
    expect(await problems('foo.bar 1\ninclude /etc/redis/modules.conf\n', { files })).toEqual([]);
    expect(await problems('foo.bar 1\n', { unit: DEBIAN_UNIT.replace('--daemonize no', '--daemonize no --loadmodule /usr/lib/redis/modules/foo.so') })).toEqual(
      [],
    );
  });

  it('is not judged where a loadmodule may be in what is not read: an include that cannot be, a unit not known', async () => {
    const found = await problems('foo.bar 1\ninclude modules.conf\n');
    expect(found.filter((problem) => problem.includes('foo.bar'))).toEqual([]);
    expect(found).toHaveLength(1);
    expect(await problems('foo.bar 1\n', { unit: '[Unit]\nDescription=not redis\n' })).toEqual([]);
  });

  it('with no value, is an error at its file:line, a loadmodule line or not, Sentinel or not', async () => {
    const refused = `error: redis (6379): /${REDIS}:3: foo.bar: a module's setting with no value, so Redis refuses to start ("Module config specified without value"); give it its value, or remove the line`;
    expect(await problems('foo.bar\nloadmodule /usr/lib/redis/modules/foo.so\n')).toEqual([refused]);
    const found = await problems('foo.bar\n', { unit: DEBIAN_UNIT.replace('--daemonize no', '--daemonize no --sentinel') });
    expect(found.filter((problem) => problem.includes('foo.bar'))).toEqual([refused]);
  });

  it('with --sentinel, which loads no module, passes', async () => {
    const found = await problems('foo.bar 1\n', { unit: DEBIAN_UNIT.replace('--daemonize no', '--daemonize no --sentinel') });
    expect(found.filter((problem) => problem.includes('foo.bar'))).toEqual([]);
  });
});
