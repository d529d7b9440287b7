// redis.conf bytes that JavaScript and Redis read differently: a byte-order
// mark, spaces that are not C's, a NUL byte. Each expectation is what
// redis-server 7.0.15 did with the file, run by hand on a loopback port (the
// port it listened on, or its FATAL CONFIG FILE ERROR).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadRegistry } from '@dsa110/ports';
import { renderSnippets, SNIPPET_KINDS } from '@dsa110/ports/render';
import { describe, expect, it } from 'vitest';
import { checkReferences } from '../../../src/checks/references.js';
import { gather } from '../../../src/gather.js';
import { tempDir, withoutRoot, writeTree, type TreeEntry } from '../../helpers.js';

const repoRoot = new URL('../../../../../', import.meta.url).pathname;
const registry = await loadRegistry({ path: join(repoRoot, 'ports.yaml') });

/** The references check's problems for redis, in a root with every snippet and redis.conf written as `conf`'s bytes. */
async function redisProblems(conf: Buffer): Promise<string[]> {
  const snippets: Record<string, TreeEntry> = { 'etc/systemd/system/dsa110-api.service': '[Service]\nExecStart=/usr/bin/true\n' };
  for (const kind of SNIPPET_KINDS) for (const snippet of renderSnippets(registry, kind)) snippets[snippet.path.slice(1)] = snippet.text;
  const root = writeTree(tempDir(), snippets);
  writeFileSync(join(root, 'etc/redis/redis.conf'), conf);
  const facts = await gather({ registry, root });
  return checkReferences(facts, registry.service('redis'))
    .filter((result) => result.severity !== 'ok')
    .map((result) => withoutRoot(result, root))
    .map((result) => `${result.severity}: ${result.reason}`);
}

const BIND = 'bind 127.0.0.1 -::1\n';
const conf = (...parts: (string | Buffer)[]) => Buffer.concat(parts.map((part) => (typeof part === 'string' ? Buffer.from(part, 'latin1') : part)));
const utf8 = (text: string) => Buffer.from(text, 'utf8');

describe('characters JavaScript trims and Redis does not', () => {
  it('a byte-order mark before the first directive: Redis refuses the file (Bad directive), said at line 1 alone', async () => {
    expect(await redisProblems(conf(utf8('\ufeffport 6379\n'), BIND))).toEqual([
      `error: redis (6379): /etc/redis/redis.conf:1: \\ufeffport 6379: the directive's name holds U+FEFF (a byte-order mark), which Redis takes as part of the name, not as a space, so Redis refuses to start ("Bad directive or wrong number of arguments"); remove that character (save the file as UTF-8 without a BOM)`,
    ]);
  });

  it('U+00A0 or U+2028 before a directive, U+00A0 after a port, \\f before a #: refused; \\v before a directive: read', async () => {
    expect(await redisProblems(conf('port 6379\n', BIND, utf8('\u00a0port 6379\n')))).toEqual([
      `error: redis (6379): /etc/redis/redis.conf:3: \\u00a0port 6379: the directive's name holds U+00A0, which Redis takes as part of the name, not as a space, so Redis refuses to start ("Bad directive or wrong number of arguments"); remove that character`,
    ]);
    expect(await redisProblems(conf('port 6379\n', BIND, utf8('\u2028port 6379\n')))).toHaveLength(1);
    expect(await redisProblems(conf(utf8('port 6379\u00a0\n'), BIND))).toEqual([
      'error: redis (6379): /etc/redis/redis.conf:1:6: port 6379\\u00a0: "6379\\u00a0" is not a port Redis accepts (digits from 0 to 65535, no leading 0), so Redis refuses to start; set it to 6379 (ports snippet redis-conf prints what passes)',
    ]);
    expect(await redisProblems(conf('port 6379\n', BIND, '\f# a comment?\n'))).toEqual([
      'error: redis (6379): /etc/redis/redis.conf:3: \\x0c# a comment?: Redis refuses to start ("Bad directive or wrong number of arguments"): a # starts a comment only as the first character after spaces and tabs, and a \\v or \\f stands before it here; remove that character',
    ]);
    expect(await redisProblems(conf('\vport 6380\n', BIND))).toEqual([
      'error: redis (6379): /etc/redis/redis.conf:1:7: port 6380, but the registry says Redis uses port 6379; set it to 6379 (ports snippet redis-conf prints what passes), or give Redis port: 6380 in the registry',
    ]);
  });
});

describe('a module’s setting', () => {
  it('a name with a dot (bf.error-rate, as RedisBloom’s) is no Bad directive: Redis 7 keeps it for the module a loadmodule line loads', async () => {
    expect(await redisProblems(conf('port 6379\n', BIND, 'loadmodule /usr/lib/redis/modules/redisbloom.so\nbf.error-rate 0.01\nmymod.timeout 500\n'))).toEqual(
      [],
    );
  });
});

describe('a NUL byte: Redis keeps each 1024-byte piece of a line up to its first NUL, and a line whose newline is lost joins the next', () => {
  it('a NUL in a comment makes the next line part of the comment', async () => {
    expect(await redisProblems(conf('port 6379\n', BIND, '#x\0\nport 6380\n'))).toEqual([]);
  });

  it('a NUL in a port line joins the next line to it: Redis refuses the port line it makes', async () => {
    expect(await redisProblems(conf('port 6379\n', BIND, 'port 6379\0 junk\nport 6380\n'))).toEqual([
      'error: redis (6379): /etc/redis/redis.conf:3: port 6379port 6380 (as Redis reads it: a NUL byte ends what it reads of a line, and joins the next line to it when the newline is cut too): port takes one number, so Redis refuses to start ("wrong number of arguments"); give one port, 6379',
    ]);
  });

  it('the newline survives when it is read in a piece of its own (a line of 1024 bytes or more before it)', async () => {
    const line = (length: number) => conf('port 6379\n', BIND, '#\0', 'a'.repeat(length), '\nport 6380\n');
    expect(await redisProblems(line(1021))).toEqual([]);
    expect(await redisProblems(line(1022))).toEqual([
      'error: redis (6379): /etc/redis/redis.conf:4:6: port 6380, but the registry says Redis uses port 6379; set it to 6379 (ports snippet redis-conf prints what passes), or give Redis port: 6380 in the registry',
    ]);
  });
});
