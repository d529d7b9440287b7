// redis.conf binds as redis-server 7.0.15 takes them (each run in a network namespace of its own, read with ss -ltnH):
// `*` and `::*` are its wildcards (0.0.0.0 and [::]), and an address over one already listening, the same again or
// beside its family's wildcard, makes it abort ("Could not create server TCP listening socket 0.0.0.0:6379: bind:
// Address already in use"), a `-` or not; `*` beside `::*` listens on both, as its IPv6 sockets are IPv6-only.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadRegistry, parseRegistry, type Registry } from '@dsa110/ports';
import { renderSnippets, SNIPPET_KINDS } from '@dsa110/ports/render';
import { describe, expect, it } from 'vitest';
import { checkReferences } from '../../../src/checks/references.js';
import { gather } from '../../../src/gather.js';
import { tempDir, withoutRoot, writeTree, type TreeEntry } from '../../helpers.js';

const repoRoot = new URL('../../../../../', import.meta.url).pathname;
const registry = await loadRegistry({ path: join(repoRoot, 'ports.yaml') });
/** The registry with Redis given access: private, so its bind is not held to loopback. */
const privateRegistry: Registry = parseRegistry(
  readFileSync(join(repoRoot, 'ports.yaml'), 'utf8').replace(/(\n {2}- id: redis\n(?: {4}.*\n)*? {4}access:) localhost/, '$1 private'),
);
const REDIS = 'etc/redis/redis.conf';

/** The references check's problems for redis under `from`, in a root with every snippet and a redis.conf binding `bind`. */
const bindProblems = (bind: string, from: Registry = registry): Promise<string[]> => confProblems({ [REDIS]: `port 6379\nbind ${bind}\n` }, from);

/** The references check's problems for redis under `from`, in a root with every snippet and then `files`. */
async function confProblems(given: Record<string, TreeEntry>, from: Registry = registry): Promise<string[]> {
  const files: Record<string, TreeEntry> = {};
  for (const kind of SNIPPET_KINDS) for (const snippet of renderSnippets(from, kind)) files[snippet.path.slice(1)] = snippet.text;
  const root = writeTree(tempDir(), { ...files, ...given });
  const facts = await gather({ registry: from, root });
  return checkReferences(facts, from.service('redis'))
    .filter((result) => result.severity !== 'ok')
    .map((result) => withoutRoot(result, root))
    .map((result) => `${result.severity}: ${result.reason}`);
}

describe("Redis's wildcards * and ::*", () => {
  // The hostile tester: `bind *` was "names a host (*)", unknown, for the localhost-only Redis listening on 0.0.0.0.
  it('bind * and bind * -::* reach every address: the access error bind 0.0.0.0 is', async () => {
    expect(await bindProblems('*')).toEqual([
      `error: redis (6379): /${REDIS}:2:6: bind * reaches beyond this host (*), but Redis is localhost-only; bind 127.0.0.1 -::1 (localhost only), or give Redis access: private or public in the registry`,
    ]);
    expect(await bindProblems('* -::*')).toEqual([
      `error: redis (6379): /${REDIS}:2:6: bind * -::* reaches beyond this host (*, ::*), but Redis is localhost-only; bind 127.0.0.1 -::1 (localhost only), or give Redis access: private or public in the registry`,
    ]);
  });

  it('for a private Redis, * -::* (0.0.0.0 and [::], each IPv6 socket IPv6-only) is what it should listen on', async () => {
    expect(await bindProblems('* -::*', privateRegistry)).toEqual([]);
    expect(await bindProblems('0.0.0.0 ::', privateRegistry)).toEqual([]);
  });
});

describe('a bind Redis cannot listen with: an address over another of the same bind', () => {
  it('127.0.0.1 with *: Redis aborts, an error whatever the access, not an access error', async () => {
    expect(await bindProblems('127.0.0.1 *')).toEqual([
      `error: redis (6379): /${REDIS}:2:6: bind 127.0.0.1 *: * overlaps 127.0.0.1 before it (* is every IPv4 address): Linux will not bind a second listening socket over the first (Redis sets SO_REUSEADDR only), so Redis does not start ("Could not create server TCP listening socket *:PORT: bind: Address already in use"; a - skips only an address this host lacks); bind 127.0.0.1 -::1 (localhost only)`,
    ]);
  });

  // The hostile tester: each passed as "agrees" for a private Redis, which aborted at start.
  it('a wildcard beside an address of its family, or an address twice, is an error naming file:line', async () => {
    expect(await bindProblems('127.0.0.1 0.0.0.0', privateRegistry)).toEqual([
      `error: redis (6379): /${REDIS}:2:6: bind 127.0.0.1 0.0.0.0: 0.0.0.0 overlaps 127.0.0.1 before it (0.0.0.0 is every IPv4 address): Linux will not bind a second listening socket over the first (Redis sets SO_REUSEADDR only), so Redis does not start ("Could not create server TCP listening socket 0.0.0.0:PORT: bind: Address already in use"; a - skips only an address this host lacks); keep 0.0.0.0 or the other IPv4 addresses, not both`,
    ]);
    expect(await bindProblems('::1 ::', privateRegistry)).toEqual([
      `error: redis (6379): /${REDIS}:2:6: bind ::1 ::: :: overlaps ::1 before it (:: is every IPv6 address): Linux will not bind a second listening socket over the first (Redis sets SO_REUSEADDR only), so Redis does not start ("Could not create server TCP listening socket :::PORT: bind: Address already in use"; a - skips only an address this host lacks) on a host with IPv6; keep :: or the other IPv6 addresses, not both`,
    ]);
    expect(await bindProblems('127.0.0.1 127.0.0.1', privateRegistry)).toEqual([
      `error: redis (6379): /${REDIS}:2:6: bind 127.0.0.1 127.0.0.1: 127.0.0.1 is 127.0.0.1 again: Linux will not bind a second listening socket over the first (Redis sets SO_REUSEADDR only), so Redis does not start ("Could not create server TCP listening socket 127.0.0.1:PORT: bind: Address already in use"; a - skips only an address this host lacks); write 127.0.0.1 once`,
    ]);
  });

  it('read as Redis reads each address: in either order, through a -, in another spelling of the same one', async () => {
    // Each aborted Redis 7.0.15 with "Address already in use".
    for (const bind of ['0.0.0.0 127.0.0.1', '127.0.0.1 -0.0.0.0', '-::1 ::', ':: ::1', '0 127.0.0.1', '::1 0:0::1', '-* -*', '::* -::1', '* 0.0.0.0 -::*'])
      expect(await bindProblems(bind, privateRegistry), bind).toEqual([expect.stringMatching(/^error: .*Address already in use/)]);
  });

  it('what Redis listens with: distinct addresses, an optional one this host may lack, a host name', async () => {
    // Each listened on Redis 7.0.15 (10.9.9.9 not on the host: Redis skips it, EADDRNOTAVAIL).
    for (const bind of ['127.0.0.1 127.0.0.2', '* -::*', '-10.9.9.9 0.0.0.0', '0.0.0.0 -10.9.9.9', '127.0.0.1 -::1', 'myhost 127.0.0.1'])
      expect(await bindProblems(bind, privateRegistry), bind).toEqual([]);
  });

  it('a --bind option after the file is read so, at the ExecStart= line', async () => {
    const unit = '[Service]\nExecStart=/usr/bin/redis-server /etc/redis/redis.conf --bind "127.0.0.1 0.0.0.0"\n';
    expect(await confProblems({ 'lib/systemd/system/redis-server.service': unit }, privateRegistry)).toEqual([
      expect.stringMatching(
        /^error: redis \(6379\): \/lib\/systemd\/system\/redis-server\.service:2: --bind "127\.0\.0\.1 0\.0\.0\.0" in ExecStart=: 0\.0\.0\.0 overlaps 127\.0\.0\.1 before it .*Address already in use/,
      ),
    ]);
  });

  it('with port 0 and no tls-port Redis opens none of them: nothing said of the overlap', async () => {
    // Redis 7.0.15 with this file serves its unixsocket, no TCP port.
    const conf = 'port 0\nunixsocket /run/redis/redis.sock\nbind 127.0.0.1 127.0.0.1\n';
    expect(await confProblems({ [REDIS]: conf }, privateRegistry)).toEqual([
      expect.stringMatching(/^error: .*:1:6: port 0: Redis listens on no TCP port at all/),
    ]);
    expect(await confProblems({ [REDIS]: `${conf}tls-port 6379\n` }, privateRegistry)).toEqual([
      expect.stringMatching(/^error: .*:3:6: .*Address already in use/),
    ]);
  });
});
