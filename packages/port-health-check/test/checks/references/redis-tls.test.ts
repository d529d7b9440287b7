// Redis's tls-port, read with its port on real trees under --root. Each expectation is what redis-server 7.0.15
// (Debian's, built with TLS) does, run by hand in a temp dir on loopback ports above 20000 with a self-signed
// certificate and checked with ss: `port 0` and `tls-port 26379` listen on 26379 alone, with TLS; `port 26380` and
// `tls-port 26379` on both; a tls-port and no port on the tls-port and 6379; `port 26379` and `tls-port 26379`
// fail to start ("Could not create server TCP listening socket 127.0.0.1:26379: bind: Address already in use",
// "Failed listening on port 26379 (TLS), aborting"); `--port 0 --tls-port 26381` listens on 26381 alone.
import { join } from 'node:path';
import { loadRegistry, parseRegistry } from '@dsa110/ports';
import { describe, expect, it } from 'vitest';
import { checkConfig } from '../../../src/checks/config.js';
import { checkReferences } from '../../../src/checks/references.js';
import { gather } from '../../../src/gather.js';
import { tempDir, withoutRoot, writeTree, type TreeEntry } from '../../helpers.js';

const repoRoot = new URL('../../../../../', import.meta.url).pathname;
const registry = await loadRegistry({ path: join(repoRoot, 'ports.yaml') });
const UNIT = 'lib/systemd/system/redis-server.service';
const AT = `/${UNIT}`;
const CONF = '/etc/redis/redis.conf';

/** The references check's problems for redis (the bundled registry: port 6379, localhost) in a root holding `files`. */
async function redisProblems(files: Record<string, TreeEntry>): Promise<string[]> {
  const root = writeTree(tempDir(), files);
  const facts = await gather({ registry, root, services: [registry.service('redis')] });
  return checkReferences(facts, registry.service('redis'))
    .filter((result) => result.severity !== 'ok')
    .map((result) => withoutRoot(result, root))
    .map((result) => `${result.severity}: ${result.reason}`);
}

const conf = (lines: string) => ({ 'etc/redis/redis.conf': `bind 127.0.0.1 -::1\n${lines}` });

describe('a TLS-only Redis (port 0, tls-port)', () => {
  it("on the registry's port: fine (it was an error that said to write port 6379, which beside tls-port 6379 Redis cannot start with)", async () => {
    expect(await redisProblems(conf('port 0\ntls-port 6379\n'))).toEqual([]);
    // In either order, and quoted as Redis reads it.
    expect(await redisProblems(conf('tls-port "6379"\nport 0\n'))).toEqual([]);
  });

  it('on another port: an error at the tls-port line, naming the port 0 that makes it the only one, both ways out', async () => {
    expect(await redisProblems(conf('port 0\ntls-port 26379\n'))).toEqual([
      `error: redis (6379): ${CONF}:3:10: tls-port 26379, with port 0 (${CONF}:2): Redis serves TLS only, on port 26379, but the registry says Redis uses port 6379; set it to 6379, or give Redis port: 26379 in the registry`,
    ]);
  });

  it('a tls-port in an included file counts where the include stands, the last one winning', async () => {
    const files = { ...conf('port 0\ninclude /etc/redis/tls.conf\n'), 'etc/redis/tls.conf': 'tls-port 26379\ntls-port 6379\n' };
    expect(await redisProblems(files)).toEqual([]);
    expect(await redisProblems({ ...files, 'etc/redis/redis.conf': 'bind 127.0.0.1\nport 0\ninclude /etc/redis/tls.conf\ntls-port 0\n' })).toEqual([
      `error: redis (6379): ${CONF}:2:6: port 0: Redis listens on no TCP port at all, so Redis does not serve port 6379, the registry's: it exits at start ("Configured to not listen anywhere") or, with a unixsocket, serves only that; write port 6379 (ports snippet redis-conf prints what passes), or, to serve TLS only, add tls-port 6379`,
    ]);
  });

  it('port 0 after an include this check cannot follow, which may set a tls-port: unknown, not "listens on no TCP port"', async () => {
    // A relative include: Redis reads it from its working directory, which this check does not know.
    expect(await redisProblems(conf('include tls.conf\nport 0\n'))).toContainEqual(
      `unknown: redis (6379): ${CONF}:3:6: port 0: Redis listens on no TCP port at all, so Redis does not serve port 6379, the registry's: it exits at start ("Configured to not listen anywhere") or, with a unixsocket, serves only that, unless include tls.conf (${CONF}:2), which could not be read, sets a tls-port; write port 6379 (ports snippet redis-conf prints what passes), or, to serve TLS only, add tls-port 6379`,
    );
  });
});

describe('a port and a tls-port: Redis listens on both, so the registry names either', () => {
  it("the registry's port plain or with TLS: fine; the default port 6379 counts when no port line is there", async () => {
    expect(await redisProblems(conf('port 6379\ntls-port 26379\n'))).toEqual([]);
    expect(await redisProblems(conf('port 26380\ntls-port 6379\n'))).toEqual([]);
    expect(await redisProblems(conf('tls-port 26379\n'))).toEqual([]);
  });

  it('neither: an error at the tls-port line naming both', async () => {
    expect(await redisProblems(conf('port 26380\ntls-port 26379\n'))).toEqual([
      `error: redis (6379): ${CONF}:3:10: tls-port 26379 and port 26380 (${CONF}:2): Redis listens on 26379 with TLS and on 26380 without, but the registry says Redis uses port 6379, neither; set it to 6379 (or port, if clients connect without TLS)`,
    ]);
  });

  it('the same port twice, written or by the default: an error, as Redis fails to start ("Address already in use")', async () => {
    expect(await redisProblems(conf('port 6379\ntls-port 6379\n'))).toEqual([
      `error: redis (6379): ${CONF}:3:10: tls-port 6379 and port 6379 (${CONF}:2): Redis listens on 6379 twice, plain and with TLS, so it fails to start ("Address already in use"); give port another number, or 0 for TLS only`,
    ]);
    expect(await redisProblems(conf('tls-port 6379\n'))).toEqual([
      `error: redis (6379): ${CONF}:2:10: tls-port 6379 and no port (Redis's default, 6379): Redis listens on 6379 twice, plain and with TLS, so it fails to start ("Address already in use"); give port another number, or 0 for TLS only`,
    ]);
  });

  it('a tls-port Redis refuses is an error there, and no port is judged (Redis does not start)', async () => {
    expect(await redisProblems(conf('port 0\ntls-port 06379\n'))).toEqual([
      `error: redis (6379): ${CONF}:3:10: tls-port 06379: "06379" is not a port Redis accepts (digits from 0 to 65535, no leading 0), so Redis refuses to start; write the port Redis is to serve TLS on (0 for none)`,
    ]);
    expect(await redisProblems(conf('port 0\ntls-port 6379 6380\n'))).toEqual([
      `error: redis (6379): ${CONF}:3: tls-port 6379 6380: tls-port takes one number, so Redis refuses to start ("wrong number of arguments"); give one port`,
    ]);
  });
});

describe("--tls-port on redis-server's command line, read as --port is", () => {
  const unit = (args: string) => ({ [UNIT]: `[Service]\nExecStart=/usr/bin/redis-server ${CONF} ${args}\n` });

  it('overrides the file: --port 0 --tls-port 6379 is a TLS-only Redis on the registry port', async () => {
    expect(await redisProblems({ ...conf('port 6379\n'), ...unit('--port 0 --tls-port 6379') })).toEqual([]);
    expect(await redisProblems({ ...conf('port 0\ntls-port 6379\n'), ...unit('--tls-port 26379') })).toEqual([
      `error: redis (6379): ${AT}:2: --tls-port 26379 in ExecStart=, with port 0 (${CONF}:2): Redis serves TLS only, on port 26379, but the registry says Redis uses port 6379; make it --tls-port 6379, or give Redis port: 26379 in the registry`,
    ]);
  });

  it("a --port on the file's tls-port: the error at the ExecStart= line, whose option wins, saying to change it there", async () => {
    // redis-server 7.0 with `tls-port 26379` in its file and `--port 26379`: "Address already in use", it aborts.
    expect(await redisProblems({ ...conf('tls-port 6379\nport 0\n'), ...unit('--port 6379') })).toEqual([
      `error: redis (6379): ${AT}:2: --port 6379 in ExecStart= and tls-port 6379 (${CONF}:2): Redis listens on 6379 twice, plain and with TLS, so it fails to start ("Address already in use"); make it --port 0 (TLS only) or another port`,
    ]);
    expect(await redisProblems({ ...conf('tls-port 6379\nport 0\n'), ...unit('--port 0') })).toEqual([]);
  });

  it('with the file not there: a --port 0 may leave a tls-port of the file serving, so it is unknown; with --tls-port too, judged', async () => {
    expect(await redisProblems(unit('--port 0 --tls-port 6379'))).toEqual([
      expect.stringMatching(/^unknown: redis \(6379\): cannot check redis-conf \/etc\/redis\/redis\.conf under .*: no such file$/),
    ]);
    expect(await redisProblems(unit('--port 0 --tls-port 26379'))).toContainEqual(
      `error: redis (6379): ${AT}:2: --tls-port 26379 in ExecStart=, with --port 0 in ExecStart= (${AT}:2): Redis serves TLS only, on port 26379, but the registry says Redis uses port 6379; make it --tls-port 6379, or give Redis port: 26379 in the registry`,
    );
    expect(await redisProblems(unit('--port 0'))).toContainEqual(
      `unknown: redis (6379): ${AT}:2: --port 0 in ExecStart=: Redis listens on no TCP port at all, so Redis does not serve port 6379, the registry's: it exits at start ("Configured to not listen anywhere") or, with a unixsocket, serves only that, unless ${CONF}, which could not be read, sets a tls-port; make it --port 6379, or, to serve TLS only, add --tls-port 6379`,
    );
  });
});

describe('the config check of a redis.conf port key (configuredBy: { file: redis.conf, key: port })', () => {
  it('takes a tls-port on the registry port for it, and says so', async () => {
    const registry = parseRegistry(
      'version: 1\nservices:\n  - id: redis\n    name: Redis\n    group: production\n    port: 26379\n    protocol: TCP\n    access: localhost\n    configuredBy: { file: redis.conf, key: port }\n    config: /etc/redis/redis.conf\n    robust: false\n    processes: [redis-server]\n',
      { source: 'test-ports.yaml' },
    );
    const root = writeTree(tempDir(), conf('port 0\ntls-port 26379\n'));
    const results = checkConfig(await gather({ registry, root }), registry.service('redis')).map((result) => withoutRoot(result, root));
    expect(results.map((result) => `${result.severity}: ${result.reason}`)).toEqual([`ok: redis (26379): ${CONF}:3 sets tls-port 26379`]);
  });
});
