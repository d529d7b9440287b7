// redis-server's command line (the unit's ExecStart=) held with redis.conf against the registry, on real trees under
// --root. Each expectation is what redis-server 7.0.15 does with that command line (run by hand in a temp dir on a
// loopback port above 20000): argv[1] is the config file unless it starts with `-`; the options are lines read after
// the file, so `--port 7001` is the port it listens on; `--port=7001` is a directive it does not know, and it exits.
import { join } from 'node:path';
import { loadRegistry } from '@dsa110/ports';
import { renderSnippets } from '@dsa110/ports/render';
import { describe, expect, it } from 'vitest';
import { checkReferences } from '../../../src/checks/references.js';
import { redisArguments } from '../../../src/checks/references/redis-command.js';
import { gather } from '../../../src/gather.js';
import { tempDir, withoutRoot, writeTree, type TreeEntry } from '../../helpers.js';

const repoRoot = new URL('../../../../../', import.meta.url).pathname;
const registry = await loadRegistry({ path: join(repoRoot, 'ports.yaml') });
const UNIT = 'lib/systemd/system/redis-server.service';
const AT = `/${UNIT}`;
const unit = (lines: string) => ({ [UNIT]: `[Service]\n${lines}` });

/** The references check's results for redis (ok ones too), in a root with the redis.conf `ports snippet` prints and then `files`. */
async function redisResults(files: Record<string, TreeEntry>, { withFile = true } = {}): Promise<string[]> {
  const snippets: Record<string, TreeEntry> = {};
  if (withFile) for (const snippet of renderSnippets(registry, 'redis-conf')) snippets[snippet.path.slice(1)] = snippet.text;
  const root = writeTree(tempDir(), { ...snippets, ...files });
  const facts = await gather({ registry, root, services: [registry.service('redis')] });
  return checkReferences(facts, registry.service('redis'))
    .map((result) => withoutRoot(result, root))
    .map((result) => `${result.severity}: ${result.reason}`);
}

const OK = 'ok: redis (6379): /etc/redis/redis.conf agrees with the registry (redis-conf)';
const OFFER_7001 = 'make it --port 6379, or give Redis port: 7001 in the registry';

describe('the config file redis-server is started with', () => {
  it("another file than the registry's: a warning at the ExecStart= line (both ways out), and its --port is the port Redis listens on", async () => {
    expect(
      await redisResults({
        ...unit('ExecStart=/usr/bin/redis-server /etc/redis/other.conf --port 7001 --supervised systemd --daemonize no\n'),
        'etc/redis/other.conf': 'port 7000\nbind 0.0.0.0\n',
      }),
    ).toEqual([
      `warning: redis (6379): ${AT}:2: ExecStart= starts redis-server with /etc/redis/other.conf, not /etc/redis/redis.conf: this check read a file Redis does not; name /etc/redis/other.conf in the registry (Redis's config:), or make ExecStart= read /etc/redis/redis.conf`,
      `error: redis (6379): ${AT}:2: --port 7001 in ExecStart=, but the registry says Redis uses port 6379; ${OFFER_7001}`,
    ]);
  });

  it("the registry's file by a link or a path relative to WorkingDirectory=: no warning, and the port line --port overrides is named, not judged", async () => {
    const overridden = `error: redis (6379): ${AT}:LINE: --port 7001 in ExecStart=, which overrides port 6379 at /etc/redis/redis.conf:2, but the registry says Redis uses port 6379; ${OFFER_7001}`;
    expect(
      await redisResults({
        ...unit('ExecStart=/usr/bin/redis-server /etc/redis/link.conf --port 7001\n'),
        'etc/redis/link.conf': { symlink: '/etc/redis/redis.conf' },
      }),
    ).toEqual([overridden.replace('LINE', '2')]);
    expect(await redisResults(unit('WorkingDirectory=/etc/redis\nExecStart=/usr/bin/redis-server ./redis.conf --port 7001\n'))).toEqual([
      overridden.replace('LINE', '3'),
    ]);
    // A port line of the file that --port overrides is not Redis's port: not said, though it disagrees.
    expect(
      await redisResults({
        ...unit('ExecStart=/usr/bin/redis-server /etc/redis/redis.conf --port 6379\n'),
        'etc/redis/redis.conf': 'port 7000\nbind 127.0.0.1\n',
      }),
    ).toEqual([OK]);
    // Debian's own unit: its options set neither port nor bind.
    expect(await redisResults(unit('ExecStart=/usr/bin/redis-server /etc/redis/redis.conf --supervised systemd --daemonize no\n'))).toEqual([OK]);
  });

  it("none: Redis reads none of the registry's file, whether it is there or not, and listens on its defaults where the options leave them", async () => {
    const none = `warning: redis (6379): ${AT}:2: ExecStart= starts redis-server with no config file, so Redis reads none of /etc/redis/redis.conf, the file this check holds to the registry, and runs on its defaults where the command line sets nothing (port 6379, bind * -::*: every address); name it as redis-server's first argument (redis-server /etc/redis/redis.conf ...)`;
    // Redis 7's default bind, as CONFIG GET bind answers with no config file: * -::*, every address.
    expect(await redisResults(unit('ExecStart=/usr/bin/redis-server --supervised systemd\n'))).toEqual([
      none,
      `error: redis (6379): ${AT}:2: no config file and no --bind in ExecStart=, so Redis listens on every address (its default bind * -::*), but Redis is localhost-only; add --bind 127.0.0.1 -::1 (localhost only), or give Redis access: private or public in the registry`,
    ]);
    expect(
      await redisResults({ ...unit('ExecStart=/usr/bin/redis-server --port 6380 --bind 127.0.0.1 -::1\n'), 'etc/redis/redis.conf': { symlink: 'gone' } }),
    ).toEqual([
      none,
      `error: redis (6379): ${AT}:2: --port 6380 in ExecStart=, but the registry says Redis uses port 6379; make it --port 6379, or give Redis port: 6380 in the registry`,
    ]);
  });
});

describe("the command line's options", () => {
  it(`--port \${REDIS_PORT} with Environment=REDIS_PORT=6380 is the port the unit moves Redis to: they agree, whatever the file says`, async () => {
    expect(await redisResults(unit(`Environment=REDIS_PORT=6380\nExecStart=/usr/bin/redis-server /etc/redis/redis.conf --port \${REDIS_PORT}\n`))).toEqual([
      'ok: redis (6380): /etc/redis/redis.conf agrees with the registry (redis-conf)',
    ]);
  });

  it('options Redis refuses at start are errors at the ExecStart= line: --port=6379 (which takes the next arguments with it), two ports, a - in the middle', async () => {
    expect(await redisResults(unit('ExecStart=/usr/bin/redis-server /etc/redis/redis.conf --port=6379 --bind 0.0.0.0\n'))).toEqual([
      `error: redis (6379): ${AT}:2: --port=6379 --bind 0.0.0.0 in ExecStart=: Redis takes an option's value as the next argument, so it reads port=6379 as a directive it does not know and refuses to start ("Bad directive or wrong number of arguments"); write --port 6379`,
    ]);
    expect(await redisResults(unit('ExecStart=/usr/bin/redis-server /etc/redis/redis.conf --port 6379 6380\n'))).toEqual([
      `error: redis (6379): ${AT}:2: --port 6379 6380 in ExecStart=: port takes one number, so Redis refuses to start ("wrong number of arguments"); give one port, --port 6379`,
    ]);
    expect(await redisResults(unit('ExecStart=/usr/bin/redis-server /etc/redis/redis.conf - --port 6379\n'))).toEqual([
      `error: redis (6379): ${AT}:2: - in ExecStart=: Redis reads - as a directive it does not know and refuses to start ("Bad directive or wrong number of arguments"): only its first argument is a config file, and a - reads stdin only as the first or last argument; remove it`,
    ]);
  });

  it('an option alone before another (--daemonize --port 16380) takes it as its value: an error where Redis then refuses the line, a warning where it may take it', async () => {
    // redis-server 7.0.15: `>>> 'daemonize "--port" "16380"'  wrong number of arguments`, and it exits.
    expect(await redisResults(unit('ExecStart=/usr/bin/redis-server /etc/redis/redis.conf --daemonize --port 16380\n'))).toEqual([
      `error: redis (6379): ${AT}:2: --daemonize --port 16380 in ExecStart=: Redis takes the argument after --daemonize as its value even when it starts with --, so it reads daemonize "--port" "16380", which it refuses ("wrong number of arguments") and exits at start; give --daemonize its value, or remove it`,
    ]);
    // `--logfile --port` last: Redis 7.0.15 logs to a file named --port, and starts.
    expect(await redisResults(unit('ExecStart=/usr/bin/redis-server /etc/redis/redis.conf --logfile --port\n'))).toEqual([
      `warning: redis (6379): ${AT}:2: --logfile --port in ExecStart=: Redis takes the argument after --logfile as its value even when it starts with --, so it reads logfile "--port", not --port as an option of its own; give --logfile its value, or remove it`,
    ]);
    // --save alone before another option is `save ""` (no snapshots), as Redis 7.0.15 reads it: it starts on 6379.
    expect(await redisResults(unit('ExecStart=/usr/bin/redis-server /etc/redis/redis.conf --save --port 6379\n'))).toEqual([OK]);
  });

  it('--bind is held to the access level; its addresses in one argument are split, as Redis splits them (in redis.conf too)', async () => {
    expect(await redisResults(unit('ExecStart=/usr/bin/redis-server /etc/redis/redis.conf --bind 0.0.0.0\n'))).toEqual([
      `error: redis (6379): ${AT}:2: --bind 0.0.0.0 in ExecStart= reaches beyond this host (0.0.0.0), but Redis is localhost-only; make it --bind 127.0.0.1 -::1 (localhost only), or give Redis access: private or public in the registry`,
    ]);
    expect(await redisResults(unit('ExecStart=/usr/bin/redis-server /etc/redis/redis.conf --bind "127.0.0.1 ::1"\n'))).toEqual([OK]);
    expect(await redisResults({ 'etc/redis/redis.conf': 'port 6379\nbind "127.0.0.1 ::1"\n' })).toEqual([OK]);
  });

  it('--include is read after the file; a - last reads stdin, which this check does not read', async () => {
    expect(
      await redisResults({
        ...unit('ExecStart=/usr/bin/redis-server /etc/redis/redis.conf --include /etc/redis/extra.conf\n'),
        'etc/redis/extra.conf': 'port 6380\n',
      }),
    ).toEqual([
      'error: redis (6379): /etc/redis/extra.conf:1:6: port 6380, but the registry says Redis uses port 6379; set it to 6379 (ports snippet redis-conf prints what passes), or give Redis port: 6380 in the registry',
    ]);
    expect(await redisResults(unit('ExecStart=/usr/bin/redis-server /etc/redis/redis.conf -\n'))).toEqual([
      `unknown: redis (6379): ${AT}:2: - in ExecStart=: redis-server reads config from stdin, which this check does not read; a port or bind there is not checked`,
    ]);
  });

  it("are held when the registry's file is not there: they override any file, so a wrong --port or --bind is an error all the same", async () => {
    const unread = expect.stringMatching(/^unknown: redis \(6379\): cannot check redis-conf \/etc\/redis\/redis\.conf under .+: no such file$/);
    expect(
      await redisResults(unit('ExecStart=/usr/bin/redis-server /srv/redis/redis.conf --supervised systemd --bind 0.0.0.0 --protected-mode no\n'), {
        withFile: false,
      }),
    ).toEqual([
      unread,
      `warning: redis (6379): ${AT}:2: ExecStart= starts redis-server with /srv/redis/redis.conf, not /etc/redis/redis.conf: this check read a file Redis does not; name /srv/redis/redis.conf in the registry (Redis's config:), or make ExecStart= read /etc/redis/redis.conf`,
      `error: redis (6379): ${AT}:2: --bind 0.0.0.0 in ExecStart= reaches beyond this host (0.0.0.0), but Redis is localhost-only; make it --bind 127.0.0.1 -::1 (localhost only), or give Redis access: private or public in the registry`,
    ]);
    expect(await redisResults(unit('ExecStart=/usr/bin/redis-server /etc/redis/redis.conf --port 7001\n'), { withFile: false })).toEqual([
      unread,
      `error: redis (6379): ${AT}:2: --port 7001 in ExecStart=, but the registry says Redis uses port 6379; ${OFFER_7001}`,
    ]);
    // What the file would set is not known: the lack of a --port or --bind says nothing.
    expect(await redisResults(unit('ExecStart=/usr/bin/redis-server /etc/redis/redis.conf --supervised systemd\n'), { withFile: false })).toEqual([unread]);
  });

  it('a variable that an EnvironmentFile= this check cannot read may set: the command is not known, said once, and only the file is read', async () => {
    expect(
      await redisResults({
        ...unit('EnvironmentFile=/etc/default/redis\nExecStart=/usr/bin/redis-server $CONF --port 6380\n'),
        'etc/default/redis': { fifo: true },
      }),
    ).toEqual([
      `unknown: redis (6379): ${AT}:3: the options ExecStart= gives redis-server are not known, as /etc/default/redis (EnvironmentFile= at ${AT}:2) may set CONF, and cannot be read: it is a FIFO (named pipe), not a regular file; only /etc/redis/redis.conf is checked`,
    ]);
  });
});

describe('the variables of the command line', () => {
  it('are read as systemd expands them: $$ is a literal $, so $${HOSTNAME} needs no file, and the options are held', async () => {
    expect(
      await redisResults({
        ...unit(
          `EnvironmentFile=/etc/default/redis\nExecStart=/usr/bin/redis-server /etc/redis/redis.conf --bind 0.0.0.0 --dir /var/lib/redis/$\${HOSTNAME}\n`,
        ),
        'etc/default/redis': { fifo: true },
      }),
    ).toEqual([
      `error: redis (6379): ${AT}:3: --bind 0.0.0.0 in ExecStart= reaches beyond this host (0.0.0.0), but Redis is localhost-only; make it --bind 127.0.0.1 -::1 (localhost only), or give Redis access: private or public in the registry`,
    ]);
  });

  it('one the service manager may pass (PassEnvironment=, the unit setting none) is not known: the command is unknown, and only the file is read', async () => {
    expect(await redisResults(unit(`PassEnvironment=REDIS_PORT\nExecStart=/usr/bin/redis-server /etc/redis/redis.conf --port \${REDIS_PORT}\n`))).toEqual([
      `unknown: redis (6379): ${AT}:3: the options ExecStart= gives redis-server are not known, as the service manager may pass REDIS_PORT (PassEnvironment= at ${AT}:2), whose value is not known here; only /etc/redis/redis.conf is checked`,
    ]);
  });
});

describe('an option given by a variable, or in a way Redis refuses', () => {
  it('is named with the variable and the line that sets it (or that the unit does not), and fixed there', async () => {
    expect(await redisResults(unit('Environment="REDIS_OPTS=--bind 0.0.0.0"\nExecStart=/usr/bin/redis-server /etc/redis/redis.conf $REDIS_OPTS\n'))).toEqual([
      `error: redis (6379): ${AT}:3: --bind 0.0.0.0 in ExecStart= (from $REDIS_OPTS, set at ${AT}:2) reaches beyond this host (0.0.0.0), but Redis is localhost-only; make it --bind 127.0.0.1 -::1 in REDIS_OPTS at ${AT}:2 (localhost only), or give Redis access: private or public in the registry`,
    ]);
    expect(await redisResults(unit(`ExecStart=/usr/bin/redis-server /etc/redis/redis.conf --port \${REDIS_PORT}\n`))).toEqual([
      `error: redis (6379): ${AT}:2: --port "" in ExecStart= (\${REDIS_PORT}, which the unit does not set, so systemd gives nothing for it): "" is not a port Redis accepts (digits from 0 to 65535, no leading 0), so Redis refuses to start; make it --port 6379`,
    ]);
  });

  it(`names the variable as the unit writes it: \${NAME} in a word, escaped as every text from a file`, async () => {
    expect(await redisResults(unit(`Environment=P=7001\nExecStart=/usr/bin/redis-server /etc/redis/redis.conf --port \${P}\n`))).toEqual([
      `error: redis (6379): ${AT}:3: --port 7001 in ExecStart= (from \${P}, set at ${AT}:2), which overrides port 6379 at /etc/redis/redis.conf:2, but the registry says Redis uses port 6379; make P at ${AT}:2 6379, or give Redis port: 7001 in the registry`,
    ]);
    expect(await redisResults(unit(`ExecStart=/usr/bin/redis-server /etc/redis/redis.conf --bind \${B\x1b}\n`))).toEqual([
      expect.stringContaining(`(\${B\\e}, which the unit does not set`),
    ]);
  });

  it("after the line's own --port, $ARGS gives its value: the first word of ARGS as systemd splits it, and the fix goes there", async () => {
    const files = (args: string) => ({
      ...unit('EnvironmentFile=/etc/default/redis\nExecStart=/usr/bin/redis-server /etc/redis/redis.conf --port $ARGS\n'),
      'etc/default/redis': `ARGS="${args}"\n`,
    });
    const inArgs = `make ARGS at /etc/default/redis:1 start with 6379, then an --option or nothing (the --port before $ARGS in ExecStart= takes its words up to the next --option)`;
    expect(await redisResults(files('7001 --protected-mode yes'))).toEqual([
      `error: redis (6379): ${AT}:3: --port 7001 in ExecStart= (from $ARGS, set at /etc/default/redis:1), which overrides port 6379 at /etc/redis/redis.conf:2, but the registry says Redis uses port 6379; ${inArgs}, or give Redis port: 7001 in the registry`,
    ]);
    expect(await redisResults(files('6379 --protected-mode yes'))).toEqual([OK]);
    // Redis 7.0.15 takes the next argument as --port's value even when it starts with -- ('port "--bind" "0.0.0.0"': wrong number of arguments).
    expect(await redisResults(files('--bind 0.0.0.0'))).toEqual([
      `error: redis (6379): ${AT}:3: --port --bind 0.0.0.0 in ExecStart= (from $ARGS, set at /etc/default/redis:1): port takes one number, so Redis refuses to start ("wrong number of arguments"); give one port: ${inArgs}`,
    ]);
    // An empty ARGS gives no word at all: --port is last, with no value.
    expect(await redisResults(files(''))).toEqual([
      `error: redis (6379): ${AT}:3: --port in ExecStart=: port takes one number, so Redis refuses to start ("wrong number of arguments"); give one port, --port 6379`,
    ]);
  });

  it('--port=6380 is told the registry\'s port, not its own (Redis 7.0.15: "Bad directive or wrong number of arguments")', async () => {
    expect(await redisResults(unit('ExecStart=/usr/bin/redis-server /etc/redis/redis.conf --port=6380\n'))).toEqual([
      `error: redis (6379): ${AT}:2: --port=6380 in ExecStart=: Redis takes an option's value as the next argument, so it reads port=6380 as a directive it does not know and refuses to start ("Bad directive or wrong number of arguments"); write --port 6379`,
    ]);
  });
});

describe('redisArguments', () => {
  const texts = (args: string[]) => redisArguments(args)?.options.map((option) => option.text);

  it('the first argument is the config file unless it starts with -; each --name starts a line, the other arguments are quoted onto it', () => {
    expect(redisArguments(['/etc/redis/redis.conf', '--port', '7001', '--bind', '127.0.0.1', '::1'])).toEqual({
      file: '/etc/redis/redis.conf',
      stdin: false,
      options: [
        { text: 'port "7001" ', given: ['--port', '7001'] },
        { text: 'bind "127.0.0.1" "::1" ', given: ['--bind', '127.0.0.1', '::1'] },
      ],
    });
    expect(texts(['--port 7001', '--requirepass', 'a"b\\c'])).toEqual(['port 7001 ', 'requirepass "a\\"b\\\\c" ']);
  });

  it('after a --name alone the next argument is its value, even one starting with --, but for --save and --sentinel', () => {
    expect(texts(['--port', '--bind', 'x'])).toEqual(['port "--bind" "x" ']);
    expect(texts(['--save', '--port', '7001'])).toEqual(['save ""', 'port "7001" ']);
    expect(texts(['--sentinel', '--port', '7001'])).toEqual(['sentinel ', 'port "7001" ']);
  });

  it('- reads stdin as the first or last argument only; --version and --help start no server', () => {
    expect(redisArguments(['-'])).toEqual({ stdin: true, options: [] });
    expect(redisArguments(['a.conf', '-', '--port', '1'])).toMatchObject({ file: 'a.conf', stdin: false, options: [{ text: '"-" ' }, { text: 'port "1" ' }] });
    expect(redisArguments(['--version'])).toBeUndefined();
  });
});
