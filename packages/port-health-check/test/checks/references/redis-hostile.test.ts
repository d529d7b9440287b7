// redis.conf files written to break the reader: includes that fan out, `#`
// inside a line, lines Redis refuses. Each expectation is what redis-server
// 7.0 does with the file (run by hand on a loopback port: it starts, listens
// where the file says, or prints its FATAL CONFIG FILE ERROR and exits).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadRegistry } from '@dsa110/ports';
import { renderSnippets, SNIPPET_KINDS } from '@dsa110/ports/render';
import { describe, expect, it } from 'vitest';
import { checkReferences } from '../../../src/checks/references.js';
import { contentLines } from '../../../src/checks/references/finding.js';
import { readRedisConf, redisWords } from '../../../src/checks/references/redis.js';
import { gather } from '../../../src/gather.js';
import type { IncludeFacts } from '../../../src/types.js';
import { tempDir, withoutRoot, writeTree, type TreeEntry } from '../../helpers.js';

const repoRoot = new URL('../../../../../', import.meta.url).pathname;
const registry = await loadRegistry({ path: join(repoRoot, 'ports.yaml') });
const EXPECT = { name: 'Redis', port: 6379, localOnly: true };

/** The references check's problems for redis, in a root with every snippet and then `files` (and `bytes`, written as they are). */
async function redisProblems(files: Record<string, TreeEntry>, bytes: Record<string, Buffer> = {}): Promise<string[]> {
  const snippets: Record<string, TreeEntry> = { 'etc/systemd/system/dsa110-api.service': '[Service]\nExecStart=/usr/bin/true\n' };
  for (const kind of SNIPPET_KINDS) for (const snippet of renderSnippets(registry, kind)) snippets[snippet.path.slice(1)] = snippet.text;
  const root = writeTree(tempDir(), { ...snippets, ...files });
  for (const [path, data] of Object.entries(bytes)) writeFileSync(join(root, path), data);
  const facts = await gather({ registry, root });
  return checkReferences(facts, registry.service('redis'))
    .filter((result) => result.severity !== 'ok')
    .map((result) => withoutRoot(result, root))
    .map((result) => `${result.severity}: ${result.reason}`);
}

/** Level k (1-7) includes level k+1 `times` times; level 8 sets `last`. */
function fanOut(times: number, last: string): Map<string, string> {
  const files = new Map<string, string>();
  for (let level = 1; level < 8; level++) files.set(`/etc/redis/fan/l${level}.conf`, `include /etc/redis/fan/l${level + 1}.conf\n`.repeat(times));
  files.set('/etc/redis/fan/l8.conf', last);
  return files;
}

describe('redis.conf includes that fan out', () => {
  it('reads each included file once per depth, not once per path to it (8 deep, 6 times each: 1.7M paths)', () => {
    const files = fanOut(6, 'port 6380\nbind 127.0.0.1\n');
    let lookups = 0;
    const lookup = (pattern: string): IncludeFacts | undefined => {
      lookups++;
      const text = files.get(pattern);
      return text === undefined ? undefined : { files: [{ path: pattern, text }] };
    };
    const findings = readRedisConf('include /etc/redis/fan/l1.conf\n'.repeat(6), EXPECT, lookup, '/etc/redis/redis.conf');
    expect(findings).toEqual([
      {
        file: '/etc/redis/fan/l8.conf',
        line: 1,
        column: 6,
        severity: 'error',
        message: 'port 6380, but the registry says Redis uses port 6379; set it to 6379',
      },
    ]);
    expect(lookups).toBeLessThan(1000);
  });

  it('the last include of a file decides, as Redis applies the file again there', async () => {
    const files = (conf: string) => ({ 'etc/redis/redis.conf': conf, 'etc/redis/x.conf': 'port 6380\n' });
    expect(await redisProblems(files('bind 127.0.0.1\ninclude /etc/redis/x.conf\nport 6379\ninclude /etc/redis/x.conf\n'))).toEqual([
      'error: redis (6379): /etc/redis/x.conf:1:6: port 6380, but the registry says Redis uses port 6379; set it to 6379 (ports snippet redis-conf prints what passes), or give Redis port: 6380 in the registry',
    ]);
    expect(await redisProblems(files('bind 127.0.0.1\ninclude /etc/redis/x.conf\ninclude /etc/redis/x.conf\nport 6379\n'))).toEqual([]);
  });

  it('a whole tree fanning out 8 times at each of 8 levels (16.8M paths) is checked at once, the problem said once', async () => {
    const files: Record<string, TreeEntry> = { 'etc/redis/redis.conf': 'port 6379\nbind 127.0.0.1\n' + 'include /etc/redis/fan/l1.conf\n'.repeat(8) };
    for (const [path, text] of fanOut(8, 'bind 0.0.0.0\n"unbalanced\n')) files[path.slice(1)] = text;
    const started = performance.now();
    expect(await redisProblems(files)).toEqual([
      'error: redis (6379): /etc/redis/fan/l8.conf:2: "unbalanced: unbalanced quotes, so Redis refuses to start; fix the quoting',
      'error: redis (6379): /etc/redis/fan/l8.conf:1:6: bind 0.0.0.0 reaches beyond this host (0.0.0.0), but Redis is localhost-only; bind 127.0.0.1 -::1 (localhost only), or give Redis access: private or public in the registry',
    ]);
    expect(performance.now() - started).toBeLessThan(2000);
  });
});

describe('redis.conf includes that cannot be read, given more than once', () => {
  it('says each once, at its first line, naming the others', async () => {
    const tail = 'a port or bind in it is not checked';
    // A missing one Redis refuses at start: an error, said once too.
    const missing = `include /etc/redis/missing.conf: no such file, so Redis will refuse to start at its next restart ("Fatal error, can't open config file"); create the file, or remove the include`;
    const relative = `include relative.conf: a relative path (read from the program's working directory, which this check does not know); ${tail}`;
    // Fanning out too: a.conf, included twice, includes b.conf, which includes the missing file once more.
    expect(
      await redisProblems({
        'etc/redis/redis.conf':
          'include /etc/redis/missing.conf\ninclude /etc/redis/a.conf\ninclude /etc/redis/a.conf\ninclude /etc/redis/missing.conf\ninclude relative.conf\ninclude relative.conf\nport 6379\nbind 127.0.0.1\n',
        'etc/redis/a.conf': 'include /etc/redis/b.conf\n',
        'etc/redis/b.conf': 'include /etc/redis/missing.conf\n',
      }),
    ).toEqual([
      `error: redis (6379): /etc/redis/redis.conf:1: ${missing} (the same include at /etc/redis/b.conf:1, /etc/redis/redis.conf:4)`,
      `unknown: redis (6379): /etc/redis/redis.conf:5: ${relative} (the same include at /etc/redis/redis.conf:6)`,
    ]);
  });
});

describe('an include that cannot be read, repeated by the thousand', () => {
  it('30,000 times is one finding in well under a second (each line was searched for among the others and the list copied: 18 s; 8 min at 4 MiB)', () => {
    const lookup = (): IncludeFacts => ({ problem: 'permission denied (run as root)' });
    const started = performance.now();
    const findings = readRedisConf(`port 6379\nbind 127.0.0.1\n${'include /etc/redis/secret.conf\n'.repeat(30000)}`, EXPECT, lookup, '/etc/redis/redis.conf');
    expect(performance.now() - started).toBeLessThan(3000);
    expect(findings.map((finding) => `${finding.line}: ${finding.severity}: ${finding.message}`)).toEqual([
      '3: unknown: include /etc/redis/secret.conf: permission denied (run as root); a port or bind in it is not checked (the same include at /etc/redis/redis.conf:4, /etc/redis/redis.conf:5, /etc/redis/redis.conf:6, /etc/redis/redis.conf:7, /etc/redis/redis.conf:8 and 29994 more)',
    ]);
  });
});

describe('redis.conf lines as Redis reads them', () => {
  it('a # is a comment only at the start of a line: an include of a file with # in its name is read', async () => {
    const local = { 'etc/redis/local#1.conf': 'bind 0.0.0.0\nport 6380\n' };
    const expected = [
      'error: redis (6379): /etc/redis/local#1.conf:2:6: port 6380, but the registry says Redis uses port 6379; set it to 6379 (ports snippet redis-conf prints what passes), or give Redis port: 6380 in the registry',
      'error: redis (6379): /etc/redis/local#1.conf:1:6: bind 0.0.0.0 reaches beyond this host (0.0.0.0), but Redis is localhost-only; bind 127.0.0.1 -::1 (localhost only), or give Redis access: private or public in the registry',
    ];
    for (const include of ['include "/etc/redis/local#1.conf"', 'include /etc/redis/local#1.conf', "  include '/etc/redis/local#1.conf'"])
      expect(await redisProblems({ 'etc/redis/redis.conf': `port 6379\nbind 127.0.0.1\n${include}\n`, ...local })).toEqual(expected);
    // Indented, it is still a comment.
    expect(
      await redisProblems({ 'etc/redis/redis.conf': 'port 6379\nbind 127.0.0.1\n   # include "/etc/redis/local#1.conf"\n\t#port 6380\n', ...local }),
    ).toEqual([]);
  });

  it('a line Redis cannot split (unbalanced quotes) is an error whatever its directive: Redis refuses to start', async () => {
    expect(await redisProblems({ 'etc/redis/redis.conf': 'port 6379\nbind 127.0.0.1\ninclude "/etc/redis/x.conf\nrequirepass "abc\n' })).toEqual([
      'error: redis (6379): /etc/redis/redis.conf:3: include "/etc/redis/x.conf: unbalanced quotes, so Redis refuses to start; fix the quoting',
      'error: redis (6379): /etc/redis/redis.conf:4: requirepass "abc: unbalanced quotes, so Redis refuses to start; fix the quoting',
    ]);
  });

  it('a port line Redis cannot split is that error alone: Redis stops there, so it listens on no default port 6379 either', async () => {
    // redis-server 7.0.15 on `port "27001"x` (and `tls-port "27001`): FATAL CONFIG FILE ERROR, "Unbalanced quotes in configuration line".
    expect(await redisProblems({ 'etc/redis/redis.conf': 'port "6379"x\nbind 127.0.0.1\n' })).toEqual([
      'error: redis (6379): /etc/redis/redis.conf:1: port "6379"x: unbalanced quotes, so Redis refuses to start; fix the quoting',
    ]);
    expect(await redisProblems({ 'etc/redis/redis.conf': 'port 0\nbind 127.0.0.1\ntls-port "6379\n' })).toEqual([
      'error: redis (6379): /etc/redis/redis.conf:3: tls-port "6379: unbalanced quotes, so Redis refuses to start; fix the quoting',
    ]);
  });

  it('a quote opens anywhere in a word, as sdssplitargs has it: one never closed is an error', async () => {
    expect(redisWords('requirepass a"b c"d')).toBeUndefined();
    expect(redisWords('requirepass a"b c" x\'y\'')).toEqual(['requirepass', 'ab c', 'xy']);
    expect(await redisProblems({ 'etc/redis/redis.conf': 'port 6379\nbind 127.0.0.1\nrequirepass a"bc\n' })).toEqual([
      'error: redis (6379): /etc/redis/redis.conf:3: requirepass a"bc: unbalanced quotes, so Redis refuses to start; fix the quoting',
    ]);
  });

  it('an include of a directory is empty to Redis; of a loop of links, a file it cannot open, and it exits', async () => {
    // redis-server 7.0.15: `include DIR` starts (fopen opens a directory, fgets reads nothing from it); `include L1`,
    // L1 -> L2 -> L1, exits: "Fatal error, can't open config file 'L1': Too many levels of symbolic links".
    const head = 'port 6379\nbind 127.0.0.1 -::1\n';
    expect(await redisProblems({ 'etc/redis/redis.conf': `${head}include /etc/redis/conf.d\n`, 'etc/redis/conf.d/x.conf': 'port 6380\n' })).toEqual([]);
    expect(
      await redisProblems({ 'etc/redis/redis.conf': `${head}include /etc/redis/l1\n`, 'etc/redis/l1': { symlink: 'l2' }, 'etc/redis/l2': { symlink: 'l1' } }),
    ).toEqual([
      'error: redis (6379): /etc/redis/redis.conf:3: include /etc/redis/l1: a loop of symbolic links, so Redis will refuse to start at its next restart ("Fatal error, can\'t open config file"); make the link name a file, or remove the include',
    ]);
  });

  it('a bind address that is a - alone names none: Redis looks up the empty name and exits, optional or not', async () => {
    // redis-server 7.0.15 on `bind 127.0.0.1 -` (and `bind -`, `bind 127.0.0.1 "-"`): "Could not create server TCP
    // listening socket :PORT: Name or service not known", then "Failed listening on port PORT (TCP), aborting".
    const fails = (line: string, column = 6) =>
      `error: redis (6379): /etc/redis/redis.conf:2:${column}: ${line}: a - with no address after it, an empty address Redis cannot listen on, so it fails to start; remove it, or write the address after it (-::1)`;
    expect(await redisProblems({ 'etc/redis/redis.conf': 'port 6379\nbind 127.0.0.1 -\n' })).toEqual([fails('bind 127.0.0.1 -')]);
    expect(await redisProblems({ 'etc/redis/redis.conf': 'port 6379\nbind -\n' })).toEqual([fails('bind -')]);
    // For a Redis open to other hosts too: it was said to be fine.
    expect(readRedisConf('port 6379\nbind 127.0.0.1 -\n', { ...EXPECT, localOnly: false }).map((found) => `${found.severity} ${found.line}`)).toEqual([
      'error 2',
    ]);
    // `-::1`, the address after it, is the optional one it means.
    expect(await redisProblems({ 'etc/redis/redis.conf': 'port 6379\nbind 127.0.0.1 -::1\n' })).toEqual([]);
  });

  it('a comment after a value is more arguments to Redis: port refuses them, bind takes # for an address', async () => {
    expect(await redisProblems({ 'etc/redis/redis.conf': 'port 6379 # ours\nbind 127.0.0.1\n' })).toEqual([
      'error: redis (6379): /etc/redis/redis.conf:1: port 6379 # ours: port takes one number, so Redis refuses to start ("wrong number of arguments"); put a comment on a line of its own',
    ]);
    // Redis refuses `include FILE # ours` too; the file is not read.
    expect(
      await redisProblems({ 'etc/redis/redis.conf': 'port 6379\nbind 127.0.0.1\ninclude /etc/redis/x.conf # ours\n', 'etc/redis/x.conf': 'port 6379\n' }),
    ).toEqual([
      'error: redis (6379): /etc/redis/redis.conf:3: include /etc/redis/x.conf # ours: include takes one file, so Redis refuses to start ("Bad directive or wrong number of arguments"); put a comment on a line of its own',
    ]);
    expect(await redisProblems({ 'etc/redis/redis.conf': 'port 6379\nbind 127.0.0.1 # ours\n' })).toEqual([
      'error: redis (6379): /etc/redis/redis.conf:2:6: bind 127.0.0.1 # ours: Redis takes # and what follows for addresses (a # is a comment only at the start of a line) and fails to start, unable to listen on them; put a comment on a line of its own',
    ]);
  });
});

describe('contentLines with comments only at the start of a line', () => {
  it('keeps a # later in a line, and answers the same text afresh for each rule', () => {
    const text = 'include "/etc/redis/a#1.conf"\n  # port 1\n\t#x\nport 6379 # ours\n';
    expect(contentLines(text, '#', 'line-start')).toEqual([
      { line: 1, text: 'include "/etc/redis/a#1.conf"' },
      { line: 4, text: 'port 6379 # ours' },
    ]);
    expect(contentLines(text)).toEqual([
      { line: 1, text: 'include "/etc/redis/a' },
      { line: 4, text: 'port 6379' },
    ]);
    expect(contentLines(text, '#', 'line-start')).toHaveLength(2);
  });
});

describe('redis.conf values Redis refuses', () => {
  it('port with more than one argument, or none, is an error: Redis refuses to start', async () => {
    expect(await redisProblems({ 'etc/redis/redis.conf': 'port 6379 6380\nbind 127.0.0.1\n' })).toEqual([
      'error: redis (6379): /etc/redis/redis.conf:1: port 6379 6380: port takes one number, so Redis refuses to start ("wrong number of arguments"); give one port, 6379',
    ]);
    expect(await redisProblems({ 'etc/redis/redis.conf': 'port\nport 6379\nbind 127.0.0.1\n' })).toEqual([
      'error: redis (6379): /etc/redis/redis.conf:1: port: port takes one number, so Redis refuses to start ("wrong number of arguments"); give one port, 6379',
    ]);
  });

  it('a port Redis refuses (a stray letter, a byte that is not UTF-8, a leading 0, a sign, over 65535) is no port Redis accepts, not another one: Redis refuses to start', async () => {
    // redis-server 7.0 exits at each: "argument couldn't be parsed into an integer" (06379, +6379, -0, 00), "must be between 0 and 65535" (70000).
    const fix = 'so Redis refuses to start; set it to 6379 (ports snippet redis-conf prints what passes)';
    const accepts = 'is not a port Redis accepts (digits from 0 to 65535, no leading 0)';
    expect(await redisProblems({ 'etc/redis/redis.conf': 'port 6379x\nbind 127.0.0.1\n' })).toEqual([
      `error: redis (6379): /etc/redis/redis.conf:1:6: port 6379x: "6379x" ${accepts}, ${fix}`,
    ]);
    // The byte is shown as \x85, not as U+FFFD (the file is read keeping the bytes that are not UTF-8).
    expect(await redisProblems({}, { 'etc/redis/redis.conf': Buffer.from('port 6379\x85\nbind 127.0.0.1\n', 'latin1') })).toEqual([
      `error: redis (6379): /etc/redis/redis.conf:1:6: port 6379\\x85: "6379\\x85" ${accepts}, ${fix}`,
    ]);
    // Written as an escape in a quoted string: the same byte to Redis, said the same (it read U+0085, shown \u0085).
    expect(await redisProblems({ 'etc/redis/redis.conf': 'port "6379\\x85"\nbind 127.0.0.1\n' })).toEqual([
      `error: redis (6379): /etc/redis/redis.conf:1:7: port "6379\\\\x85": "6379\\x85" ${accepts}, ${fix}`,
    ]);
    for (const [line, value, column] of [
      ['port 70000', '70000', 6],
      ['port 06379', '06379', 6],
      ['  port   "06379"', '06379', 11],
      ['port +6379', '+6379', 6],
      ['port -0', '-0', 6],
      ['port 00', '00', 6],
    ] as const) {
      expect(await redisProblems({ 'etc/redis/redis.conf': `bind 127.0.0.1\n${line}\n` })).toEqual([
        `error: redis (6379): /etc/redis/redis.conf:2:${column}: ${line.trim()}: "${value}" ${accepts}, ${fix}`,
      ]);
    }
  });

  it("port 0: Redis listens on no TCP port, so the registry's port is not served by it", async () => {
    // redis-server 7.0 with port 0 listens on no TCP socket: with no unixsocket it exits ("Configured to not listen anywhere, exiting").
    const said = (column: number) =>
      `/etc/redis/redis.conf:2:${column}: port 0: Redis listens on no TCP port at all, so Redis does not serve port 6379, the registry's: it exits at start ("Configured to not listen anywhere") or, with a unixsocket, serves only that`;
    const fix = 'write port 6379 (ports snippet redis-conf prints what passes), or, to serve TLS only, add tls-port 6379';
    expect(await redisProblems({ 'etc/redis/redis.conf': 'bind 127.0.0.1\nport 0\n' })).toEqual([`error: redis (6379): ${said(6)}; ${fix}`]);
    expect(await redisProblems({ 'etc/redis/redis.conf': "bind 127.0.0.1\nport '0'\nunixsocket /run/redis/redis.sock\n" })).toEqual([
      `error: redis (6379): ${said(7)}; ${fix}`,
    ]);
    // An include after it that cannot be read may set another port: unknown.
    expect(
      await redisProblems({ 'etc/redis/redis.conf': 'bind 127.0.0.1\nport 0\ninclude /etc/redis/x.conf\n', 'etc/redis/x.conf': { fifo: true } }),
    ).toContainEqual(
      `unknown: redis (6379): ${said(6)}, unless include /etc/redis/x.conf (/etc/redis/redis.conf:3), which could not be read, sets another port; ${fix}`,
    );
  });

  it('bind "" (or bind alone) listens on no TCP address: Redis exits, or serves only its unixsocket', async () => {
    const message =
      'bind "" listens on no TCP address, so Redis does not serve port 6379: it exits at start ("Configured to not listen anywhere") or, with a unixsocket, serves only that; bind 127.0.0.1 -::1 (localhost only)';
    expect(await redisProblems({ 'etc/redis/redis.conf': 'port 6379\nbind ""\n' })).toEqual([`error: redis (6379): /etc/redis/redis.conf:2:7: ${message}`]);
    expect(await redisProblems({ 'etc/redis/redis.conf': 'port 6379\nbind\n' })).toEqual([
      `error: redis (6379): /etc/redis/redis.conf:2: ${message.replace('bind ""', 'bind')}`,
    ]);
    // A later bind replaces it.
    expect(await redisProblems({ 'etc/redis/redis.conf': 'port 6379\nbind ""\nbind 127.0.0.1\n' })).toEqual([]);
  });

  it('an empty address among others is one Redis cannot listen on: it fails to start', async () => {
    expect(await redisProblems({ 'etc/redis/redis.conf': 'port 6379\nbind 127.0.0.1 ""\n' })).toEqual([
      'error: redis (6379): /etc/redis/redis.conf:2:6: bind 127.0.0.1 "": an empty address, which Redis cannot listen on, so it fails to start; remove it',
    ]);
  });
});
