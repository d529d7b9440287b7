// `ports snippet redis-conf` for a Redis reachable beyond loopback: `bind 0.0.0.0 -::` alone left
// Redis 7's protected mode refusing every remote client ("DENIED Redis is running in protected
// mode"). The snippet keeps protected mode on and says to set a password, which is what lets
// remote clients in; never an unauthenticated Redis open to the network. Proved with the real
// redis-server, in a network namespace of the test's own.
// An HTTPS Grafana's grafana-ini snippet says protocol = https, with certificate paths to replace.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hasCommand } from '../../../../test-support/commands.js';
import { runNetnsScript } from '../../../../test-support/firewall-netns.js';
import { tempDir } from '../../../../test-support/tree.js';
import { parseRegistry } from '../../src/index.js';
import { renderSnippets } from '../../src/render/config-snippets.js';
import { withLine } from '../helpers.js';

/** The minimal registry's Redis (lines 13-22) at `access`, on port 6380, with a redis-conf config. */
function redisSnippet(access: string): string {
  let text = withLine(18, `    access: ${access}`);
  text = withLine(16, '    port: 6380', text);
  text = withLine(22, '    processes: [redis-server]\n    configs: [{ kind: redis-conf }]', text);
  const snippets = renderSnippets(parseRegistry(text), 'redis-conf');
  expect(snippets).toHaveLength(1);
  return snippets[0]!.text;
}

const HEADER = '# Generated from ports.yaml by `ports snippet redis-conf` for /etc/redis/redis.conf; edit ports.yaml instead.';

const canRunRedisNetns =
  process.getuid?.() === 0 && ['redis-server', 'redis-cli', 'unshare'].every((command) => hasCommand(command, ['--version'])) && hasCommand('ip', ['-V']);

describe('ports snippet redis-conf', () => {
  it.each(['private', 'public'])(
    'a %s Redis keeps protected mode on (after any earlier protected-mode no) and says to set a password: never open without one',
    (access) => {
      const lines = redisSnippet(access).split('\n');
      expect(lines.slice(0, 3)).toEqual([HEADER, 'port 6380', 'bind 0.0.0.0 -::']);
      expect(lines.at(-2)).toBe('protected-mode yes');
      expect(lines.at(-1)).toBe('');
      expect(lines.filter((line) => line.startsWith('# requirepass '))).toEqual(['# requirepass A-LONG-RANDOM-PASSWORD']);
      expect(lines.join('\n')).toContain(`# Access ${access}: Redis listens beyond loopback, but its protected mode (kept on here) refuses`);
      expect(lines.some((line) => /^\s*protected-mode\s+no/.test(line))).toBe(false);
    },
  );

  it.each(['localhost', 'dev'])('a %s Redis binds loopback only and needs nothing more', (access) => {
    expect(redisSnippet(access)).toBe(`${HEADER}\nport 6380\nbind 127.0.0.1 -::1\n`);
  });

  it.skipIf(!canRunRedisNetns)(
    `real redis-server 7 on the private snippet: loopback served, a remote client refused; with its requirepass line uncommented, a remote client with the password served ${canRunRedisNetns ? '' : '[skipped: needs root, redis-server, redis-cli, unshare and ip]'}`,
    async () => {
      const snippet = redisSnippet('private');
      const password = 'A-LONG-RANDOM-PASSWORD';
      const dir = tempDir();
      writeFileSync(join(dir, 'snippet.conf'), snippet);
      writeFileSync(join(dir, 'password.conf'), snippet.replace(`# requirepass ${password}\n`, `requirepass ${password}\n`));
      const run = await runNetnsScript({
        script: join(import.meta.dirname, 'fixtures/redis-protected-mode.sh'),
        args: [dir, '6380', password],
        env: {},
        timeoutMs: 30_000,
      });
      const denied = 'DENIED Redis is running in protected mode because protected mode is enabled and no password is set for the default user.';
      expect(run.output.trim().split('\n')).toEqual([
        'snippet loopback PONG',
        // The answer is cut at 120 characters by the script.
        `snippet remote ${denied.slice(0, 120)}`,
        `snippet remote-with-password AUTH failed: ${denied.slice(0, 120 - 'AUTH failed: '.length)}`,
        'password loopback NOAUTH Authentication required.',
        'password remote NOAUTH Authentication required.',
        'password remote-with-password PONG',
      ]);
    },
    60_000,
  );
});

describe('ports snippet grafana-ini', () => {
  /** The minimal registry's Redis (lines 13-22) read from grafana.ini's http_port, at `protocol`: the snippet's lines after its header. */
  function grafanaIni(protocol: string): string[] {
    let text = withLine(17, `    protocol: ${protocol}`);
    text = withLine(19, '    configuredBy: { file: grafana.ini, key: http_port }\n    config: /etc/grafana/grafana.ini', text);
    const snippets = renderSnippets(parseRegistry(text), 'grafana-ini');
    expect(snippets).toHaveLength(1);
    return snippets[0]!.text.split('\n').slice(1);
  }

  it('an HTTPS Grafana gets protocol = https with certificate paths to replace (Grafana refuses to start until they are); an HTTP one neither', () => {
    expect(grafanaIni('HTTPS')).toEqual([
      '[server]',
      "; HTTPS (the registry's protocol): Grafana serves TLS from cert_file and cert_key, which the registry does not",
      '; know. Replace both paths with them (readable by the grafana user); until then Grafana refuses to start.',
      'protocol = https',
      'cert_file = /etc/grafana/CHANGE-ME.crt',
      'cert_key = /etc/grafana/CHANGE-ME.key',
      'http_addr = 127.0.0.1',
      'http_port = 6379',
      '',
    ]);
    expect(grafanaIni('HTTP')).toEqual(['[server]', 'http_addr = 127.0.0.1', 'http_port = 6379', '']);
  });
});
