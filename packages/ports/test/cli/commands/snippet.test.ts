// `ports snippet KIND` in-process: the settings a config file should hold,
// from the registry with env overrides applied, and its two refusals.
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hasCommand } from '../../../../../test-support/commands.js';
import { forgetSpawned, recordSpawned, signal, socketsOn, waitForExit, waitUntil } from '../../../../../test-support/guard.js';
import { leasePort } from '../../../../../test-support/test-port.js';
import { minimalRegistry, writeRegistry } from '../../helpers.js';
import { ports, portsBin, requireBuilt, rootRegistry, tempDir } from '../helpers.js';
import { NGINX_SITE_LOCATIONS } from '@dsa110/ports/render';
import { configKinds } from '../../../src/config-kinds.js';

const nginx = hasCommand('nginx', ['-v']);
const promtool = hasCommand('promtool', ['--version']);
const prometheus = hasCommand('prometheus', ['--version']);

/**
 * `nginx -t` on a site, inside a minimal nginx.conf of its own; with `withoutIpv6Loopback`, in a network
 * namespace of its own whose lo has no ::1 (net.ipv6.conf.lo.disable_ipv6=1), as a host without IPv6.
 */
function nginxTest(site: string, withoutIpv6Loopback = false): { status: number | null; stderr: string } {
  const dir = tempDir();
  writeFileSync(join(dir, 'site.conf'), site);
  writeFileSync(join(dir, 'nginx.conf'), `pid ${dir}/nginx.pid;\nerror_log stderr;\nevents {}\nhttp {\n  access_log off;\n  include ${dir}/site.conf;\n}\n`);
  const args = ['-t', '-q', '-p', dir, '-c', join(dir, 'nginx.conf')];
  const test = withoutIpv6Loopback
    ? spawnSync('unshare', ['--net', 'sh', '-c', 'ip link set lo up && sysctl -qw net.ipv6.conf.lo.disable_ipv6=1 && exec nginx "$@"', 'sh', ...args], {
        encoding: 'utf8',
      })
    : spawnSync('nginx', args, { encoding: 'utf8' });
  return { status: test.status, stderr: test.stderr };
}

const asRoot = process.getuid?.() === 0;

describe('ports snippet', () => {
  it("prints a kind's settings with the env overrides applied, as ports get does", async () => {
    const run = await ports(['snippet', 'nginx-site'], { env: { CONTIMG_API_PORT: '8010' } });
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('127.0.0.1:8010');
    expect(run.stdout).not.toContain('127.0.0.1:8000');
  });

  it('a bad override is one line named for the command, as in ports get, exit 1 (built bin)', async () => {
    requireBuilt();
    const run = await portsBin(['snippet', 'nginx-site'], { env: { CONTIMG_API_PORT: '6379' } });
    expect(run).toEqual({
      code: 1,
      stdout: '',
      stderr:
        'ports snippet: CONTIMG_API_PORT="6379" cannot be used for service "api": port 6379 belongs to service "redis" (Redis) in ports.yaml (bundled); give a port reserved for "api", 8010 ("api-alt"), or another port the registry does not assign, or unset CONTIMG_API_PORT\n',
    });
  });

  it('refuses an unknown kind as a usage error that lists the kinds, and names the one meant when one is near', async () => {
    const run = await ports(['snippet', 'nginx']);
    expect(run.code).toBe(64);
    expect(run.stderr).toMatch(/^ports snippet: unknown kind "nginx" \(did you mean "nginx-site"\?\); kinds: nginx-site, /);
    expect((await ports(['snippet', 'redis-cnf'])).stderr).toMatch(/^ports snippet: unknown kind "redis-cnf" \(did you mean "redis-conf"\?\); kinds: /);
    // Two kinds of that program: no guess.
    expect((await ports(['snippet', 'grafana'])).stderr).toMatch(/^ports snippet: unknown kind "grafana"; kinds: /);
  });

  it('says in words which kind no service has, and how to add it, naming every key validate asks of that kind', async () => {
    const run = await ports(['snippet', 'nginx-site', '--registry', writeRegistry(minimalRegistry)]);
    expect(run.code).toBe(1);
    expect(run.stderr.split('\n')[0]).toMatch(
      /^ports snippet: no service in .*ports\.yaml has a config of kind nginx-site; add configs: \[\{ kind: nginx-site, upstream: ID \}\] to one, ID the id of the other service it points at$/,
    );
    expect((await ports(['snippet', 'redis-conf', '--registry', writeRegistry(minimalRegistry)])).stderr).toMatch(
      /; add configs: \[\{ kind: redis-conf \}\] to one\n$/,
    );
  });

  it.each(configKinds)('for %s, the advice followed validates, and the snippet is printed', async (kind) => {
    const registry = writeRegistry(minimalRegistry);
    const run = await ports(['snippet', kind, '--registry', registry]);
    expect(run.code).toBe(1);
    const advice = /; add (configs: \[\{ kind: [a-z-]+(?:, upstream: ID)? \}\]) to one(?:, ID the id of the other service it points at)?\n$/.exec(run.stderr);
    expect(advice, run.stderr).not.toBeNull();
    // Added to redis, ID the other service, api.
    const entry = advice![1]!.replace('upstream: ID', 'upstream: api');
    writeFileSync(registry, minimalRegistry.replace('    processes: [redis-server]\n', `    processes: [redis-server]\n    ${entry}\n`));
    const validate = await ports(['validate', registry]);
    expect(validate, entry).toMatchObject({ code: 0 });
    expect(await ports(['snippet', kind, '--registry', registry]), entry).toMatchObject({ code: 0, stderr: '' });
  });

  it('for grafana-ini, advises the configuredBy key validate accepts (not configs: [{ kind: grafana-ini }], which it refuses)', async () => {
    const registry = writeRegistry(minimalRegistry);
    const run = await ports(['snippet', 'grafana-ini', '--registry', registry]);
    expect(run.code).toBe(1);
    const advice = /give the service that reads grafana\.ini (configuredBy: \{ file: grafana\.ini, key: http_port \})$/.exec(run.stderr.trimEnd());
    expect(run.stderr).toMatch(/^ports snippet: no service in .*ports\.yaml is configured by a grafana\.ini key; give the service that reads grafana\.ini /);
    // The advice, followed: validate accepts it, and the snippet is printed.
    writeFileSync(registry, minimalRegistry.replace('configuredBy: { env: REDIS_PORT }', advice![1]!));
    expect((await ports(['validate', registry])).code).toBe(0);
    const fixed = await ports(['snippet', 'grafana-ini', '--registry', registry]);
    expect(fixed.code).toBe(0);
    expect(fixed.stdout).toContain('\nhttp_port = 6379\n');
  });

  it('a site on every address says to remove the port’s other default site (nginx serves it to every request with a Host header); a loopback one does not', async () => {
    const advice = "    # and this site has no server_name: remove any other site on the port (Debian's: rm /etc/nginx/sites-enabled/default),\n";
    const site = await ports(['snippet', 'nginx-site']);
    expect(site.stdout).toContain(
      `    listen 80;\n    listen [::]:80;\n    # nginx answers a request whose Host matches no server_name with the default server of its address and port,\n${advice}`,
    );
    const registry = writeRegistry(
      rootRegistry.replace('    access: public\n    accessNote: Publicly accessible (firewall permitting)\n', '    access: localhost\n'),
    );
    expect((await ports(['snippet', 'nginx-site', '--registry', registry])).stdout).not.toContain(advice);
  });

  it.skipIf(!nginx || !asRoot)(
    `a localhost site listens on 127.0.0.1 and [::1], and says to drop [::1] where lo has no IPv6, where nginx -t refuses it ${nginx && asRoot ? '' : '[skipped: needs nginx and root]'}`,
    async () => {
      const registry = writeRegistry(
        rootRegistry.replace('    access: public\n    accessNote: Publicly accessible (firewall permitting)\n', '    access: localhost\n'),
      );
      const run = await ports(['snippet', 'nginx-site', '--registry', registry]);
      expect(run.code, run.stderr).toBe(0);
      const advice = '    # On a host without IPv6 on lo (net.ipv6.conf.lo.disable_ipv6=1), remove the [::1] line: nginx could not bind it.\n';
      expect(run.stdout).toContain(`    listen 127.0.0.1:80;\n    listen [::1]:80;\n${advice}`);
      expect(nginxTest(run.stdout)).toEqual({ status: 0, stderr: '' });
      const withoutIpv6 = nginxTest(run.stdout, true);
      expect(withoutIpv6.status).not.toBe(0);
      expect(withoutIpv6.stderr).toContain('bind() to [::1]:80 failed');
      // The advice followed: nginx -t passes there.
      expect(nginxTest(run.stdout.replace('    listen [::1]:80;\n', ''), true)).toEqual({ status: 0, stderr: '' });
      // A public site binds [::], which needs no IPv6 address: no such line.
      expect((await ports(['snippet', 'nginx-site'])).stdout).not.toContain('remove the [::1] line');
    },
  );

  it.skipIf(!nginx)(
    `an nginx site whose metrics path holds every character the registry takes passes nginx -t, the location as written ${nginx ? '' : '[skipped: needs nginx]'}`,
    async () => {
      const path = "/a-._~!$&'()*+,=:@/Z9";
      const registry = writeRegistry(rootRegistry.replace('    metrics: /metrics\n', () => `    metrics: "${path}"\n`));
      const run = await ports(['snippet', 'nginx-site', '--registry', registry]);
      expect(run.code).toBe(0);
      expect(run.stdout).toContain(`    location ${path} {\n`);
      expect(nginxTest(run.stdout)).toEqual({ status: 0, stderr: '' });
    },
  );

  it('refuses a registry whose API metrics path is /api/, the location the site proxies, at the metrics line (nginx -t refused the site)', async () => {
    const text = rootRegistry.replace('    metrics: /metrics\n', '    metrics: /api/\n');
    const line = text.split('\n').indexOf('    metrics: /api/') + 1;
    const registry = writeRegistry(text);
    const run = await ports(['snippet', 'nginx-site', '--registry', registry]);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain(
      `${registry}:${line}:14: services.api.metrics: metrics path "/api/" is a location the nginx-site snippet of "nginx" already writes, and nginx -t refuses a duplicate location; give the metrics endpoint a path of its own, such as /metrics\n`,
    );
  });

  it('writes no location but its metrics one outside NGINX_SITE_LOCATIONS, the list the registry holds metrics paths against', async () => {
    const run = await ports(['snippet', 'nginx-site']);
    const locations = [...run.stdout.matchAll(/^ *location (\S+) \{$/gm)].map((match) => match[1]);
    expect(locations).toEqual([...NGINX_SITE_LOCATIONS, '/metrics']);
  });

  it.skipIf(!nginx)(`a metrics path inside or beside /api/ passes nginx -t ${nginx ? '' : '[skipped: needs nginx]'}`, async () => {
    for (const path of ['/api/metrics', '/apix', '/api/api/']) {
      const registry = writeRegistry(rootRegistry.replace('    metrics: /metrics\n', () => `    metrics: "${path}"\n`));
      const run = await ports(['snippet', 'nginx-site', '--registry', registry]);
      expect(run.code).toBe(0);
      expect(nginxTest(run.stdout), path).toEqual({ status: 0, stderr: '' });
    }
  });

  it.skipIf(!nginx || !promtool)(
    `HTTPS services: nginx listens with ssl and passes to https://, Prometheus scrapes with scheme: https, Grafana reads https:// (nginx -t, promtool) ${nginx && promtool ? '' : '[skipped: needs nginx and promtool]'}`,
    async () => {
      const registry = writeRegistry(
        rootRegistry
          .replace('    port: 80\n    protocol: HTTP\n', '    port: 443\n    protocol: HTTPS\n')
          .replace('    port: 8000\n    protocol: HTTP\n', '    port: 8443\n    protocol: HTTPS\n')
          .replace('    port: 9090\n    protocol: HTTP\n', '    port: 9090\n    protocol: HTTPS\n'),
      );
      const site = await ports(['snippet', 'nginx-site', '--registry', registry]);
      expect(site.code).toBe(0);
      expect(site.stdout).toContain('    listen 443 ssl;\n    listen [::]:443 ssl;\n');
      expect(site.stdout.match(/proxy_pass .*;/g)).toEqual(['proxy_pass https://127.0.0.1:8443;', 'proxy_pass https://127.0.0.1:8443;']);
      // As printed, nginx -t names the certificate the operator must supply: no site that looks ready but serves no TLS.
      const printed = nginxTest(site.stdout);
      expect(printed.status).toBe(1);
      expect(printed.stderr).toContain('cannot load certificate "/etc/ssl/certs/CHANGE-ME.pem"');
      // With the two paths filled in (a self-signed pair), nginx takes the site.
      const dir = tempDir();
      const [cert, key] = [join(dir, 'site.pem'), join(dir, 'site.key')];
      const made = spawnSync(
        'openssl',
        ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=localhost', '-keyout', key, '-out', cert],
        {
          encoding: 'utf8',
        },
      );
      expect(made.status, made.stderr).toBe(0);
      const filled = site.stdout.replace('/etc/ssl/certs/CHANGE-ME.pem', cert).replace('/etc/ssl/private/CHANGE-ME.key', key);
      expect(nginxTest(filled)).toEqual({ status: 0, stderr: '' });

      const scrape = await ports(['snippet', 'prometheus-yml', '--registry', registry]);
      expect(scrape.stdout).toContain("  - job_name: 'dsa110-api'\n    scrape_interval: '15s'\n    scheme: 'https'\n");
      writeFileSync(join(dir, 'prometheus.yml'), scrape.stdout);
      const checked = spawnSync('promtool', ['check', 'config', join(dir, 'prometheus.yml')], { encoding: 'utf8' });
      expect(checked.status, checked.stdout + checked.stderr).toBe(0);

      const datasource = await ports(['snippet', 'grafana-datasource', '--registry', registry]);
      expect(datasource.stdout).toContain("    url: 'https://localhost:9090'\n");
    },
  );

  it.skipIf(!prometheus || !promtool)(
    `an HTTPS Prometheus: the ARGS line names a web config file; as printed Prometheus refuses to start, with the file its comment describes it serves HTTPS (real prometheus) ${prometheus && promtool ? '' : '[skipped: needs prometheus and promtool]'}`,
    async () => {
      const port = leasePort();
      const registry = writeRegistry(rootRegistry.replace('    port: 9090\n    protocol: HTTP\n', `    port: ${port}\n    protocol: HTTPS\n`));
      const run = await ports(['snippet', 'prometheus-args', '--registry', registry]);
      expect(run.code).toBe(0);
      const args = /^ARGS="(.*)"$/m.exec(run.stdout)?.[1];
      expect(args).toBe(`--web.listen-address=127.0.0.1:${port} --web.config.file=/etc/prometheus/web.yml`);
      // The web.yml the comment describes, with a self-signed pair in place of its CHANGE-ME paths.
      const dir = tempDir();
      const [cert, key, webConfig] = [join(dir, 'prometheus.crt'), join(dir, 'prometheus.key'), join(dir, 'web.yml')];
      const template = run.stdout
        .split('\n')
        .filter((line) => line.startsWith('#   '))
        .map((line) => line.slice(4));
      expect(template[0]).toBe('tls_server_config:');
      const made = spawnSync(
        'openssl',
        [
          'req',
          '-x509',
          '-newkey',
          'rsa:2048',
          '-nodes',
          '-days',
          '1',
          '-subj',
          '/CN=localhost',
          '-addext',
          'subjectAltName=DNS:localhost',
          '-keyout',
          key,
          '-out',
          cert,
        ],
        { encoding: 'utf8' },
      );
      expect(made.status, made.stderr).toBe(0);
      const ours = args!.replace('/etc/prometheus/web.yml', webConfig).split(' ');
      const start = () => {
        const child = spawn('prometheus', [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`, ...ours], {
          stdio: ['ignore', 'ignore', 'pipe'],
        });
        recordSpawned(child.pid!);
        let stderr = '';
        child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
        return { child, stderr: () => stderr };
      };
      const stop = async (child: ReturnType<typeof spawn>) => {
        if (child.exitCode === null) signal(child.pid!, 'SIGTERM');
        if (!(await waitForExit(child.pid!, 10_000))) signal(child.pid!, 'SIGKILL');
        forgetSpawned(child.pid!);
      };
      writeFileSync(join(dir, 'prometheus.yml'), 'global: {}\n');
      // As printed (no web.yml yet): Prometheus exits at start, naming the file, rather than serving plain HTTP.
      const refused = start();
      try {
        expect(await waitUntil(() => refused.child.exitCode !== null, 10_000), refused.stderr()).toBe(true);
        expect(refused.child.exitCode).toBe(1);
        expect(refused.stderr()).toContain(`Unable to validate web configuration file" err="open ${webConfig}: no such file or directory"`);
      } finally {
        await stop(refused.child);
      }
      writeFileSync(webConfig, `${template.join('\n').replace('/etc/prometheus/CHANGE-ME.crt', cert).replace('/etc/prometheus/CHANGE-ME.key', key)}\n`);
      const checked = spawnSync('promtool', ['check', 'web-config', webConfig], { encoding: 'utf8' });
      expect(checked.status, checked.stdout + checked.stderr).toBe(0);
      const served = start();
      try {
        expect(await waitUntil(() => socketsOn(port).length > 0 || served.child.exitCode !== null, 10_000), served.stderr()).toBe(true);
        const { get } = await import('node:https');
        const ready = await new Promise<{ status: number | undefined; body: string }>((resolve, reject) => {
          const request = get({ host: '127.0.0.1', port, path: '/-/ready', servername: 'localhost', ca: readFileSync(cert) }, (response) => {
            let body = '';
            response.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
            response.on('end', () => resolve({ status: response.statusCode, body }));
          });
          request.on('error', reject);
        });
        expect(ready, served.stderr()).toEqual({ status: 200, body: 'Prometheus Server is Ready.\n' });
      } finally {
        await stop(served.child);
      }
    },
    30_000,
  );

  it.skipIf(!nginx)(
    `a localhost nginx site listens on loopback only, as its access level says (real nginx) ${nginx ? '' : '[skipped: needs nginx]'}`,
    async () => {
      const port = leasePort();
      const text = rootRegistry.replace('    port: 80\n', `    port: ${port}\n`).replace('    access: public\n', '    access: localhost\n');
      const run = await ports(['snippet', 'nginx-site', '--registry', writeRegistry(text)]);
      expect(run.code).toBe(0);
      const dir = tempDir();
      writeFileSync(join(dir, 'site.conf'), run.stdout);
      const temp = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((kind) => `  ${kind}_temp_path ${dir}/${kind};`).join('\n');
      writeFileSync(
        join(dir, 'nginx.conf'),
        `daemon off;\nmaster_process off;\npid ${dir}/nginx.pid;\nerror_log stderr;\nevents {}\nhttp {\n  access_log off;\n${temp}\n  include ${dir}/site.conf;\n}\n`,
      );
      const child = spawn('nginx', ['-p', dir, '-c', join(dir, 'nginx.conf')], { stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
      recordSpawned(child.pid!);
      try {
        expect(await waitUntil(() => socketsOn(port).length >= 2 || child.exitCode !== null), stderr).toBe(true);
        expect(
          socketsOn(port)
            .map((socket) => socket.local)
            .sort(),
          stderr,
        ).toEqual([`127.0.0.1:${port}`, `[::1]:${port}`]);
      } finally {
        signal(child.pid!, 'SIGTERM');
        if (!(await waitForExit(child.pid!))) signal(child.pid!, 'SIGKILL');
        forgetSpawned(child.pid!);
      }
    },
  );
});
