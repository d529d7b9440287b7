// `ports validate` on real files: an upstream that cannot be what its config
// needs (checkRules in src/rules.ts), reported at the upstream's line and column.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkout, ports, replaceOnce, rootRegistry } from '../helpers.js';

/** `ports validate` of the root registry with `from` replaced by `to`; `line` is where `to` landed. */
async function validate(from: string, to: string) {
  const text = replaceOnce(rootRegistry, from, to);
  const dir = checkout(text);
  writeFileSync(join(dir, 'ports.yaml'), text);
  const line = text.split('\n').findIndex((each) => each.includes(to)) + 1;
  return {
    run: await ports(['validate', 'ports.yaml'], { cwd: dir }),
    line,
    column: text.split('\n')[line - 1]!.indexOf('upstream: ') + 'upstream: '.length + 1,
  };
}

describe('ports validate: a config upstream', () => {
  it('refuses an nginx site that proxies to its own service (a loop nginx ends with 500)', async () => {
    const { run, line, column } = await validate('{ kind: nginx-site, upstream: api }', '{ kind: nginx-site, upstream: nginx }');
    expect(run).toEqual({
      code: 1,
      stdout: `ports.yaml:${line}:${column}: services.nginx.configs[0].upstream: a nginx-site config on "nginx" points at "nginx" itself: nginx would proxy its own port to itself, a loop it ends with 500 for every request ('worker_connections are not enough'); name the service it stands for\n`,
      stderr: '',
    });
  });

  it('refuses a Grafana datasource whose upstream its configs say is not Prometheus (Redis, or Grafana itself)', async () => {
    const redis = await validate('{ kind: grafana-datasource, upstream: prometheus }', '{ kind: grafana-datasource, upstream: redis }');
    expect(redis.run).toEqual({
      code: 1,
      stdout: `ports.yaml:${redis.line}:${redis.column}: services.grafana.configs[0].upstream: service "redis" is Redis (its configs: redis-conf), not Prometheus, which a grafana-datasource config points at; name the service with a prometheus-yml or prometheus-args config\n`,
      stderr: '',
    });
    const itself = await validate('{ kind: grafana-datasource, upstream: prometheus }', '{ kind: grafana-datasource, upstream: grafana }');
    expect(itself.run.code).toBe(1);
    expect(itself.run.stdout).toBe(
      `ports.yaml:${itself.line}:${itself.column}: services.grafana.configs[0].upstream: a grafana-datasource config on "grafana" points at "grafana" itself: Grafana would query itself as its Prometheus; name the service it stands for\n`,
    );
  });

  it('accepts an upstream whose configs do not say what it is, and the ones the root registry names', async () => {
    // api has no configs: the registry cannot tell it is not a Prometheus, so nothing is said.
    const unknown = await validate('{ kind: grafana-datasource, upstream: prometheus }', '{ kind: grafana-datasource, upstream: api }');
    expect(unknown.run).toEqual({ code: 0, stdout: 'ports.yaml: ok (8 services, 2 reserved entries)\n', stderr: '' });
    const dir = checkout();
    expect((await ports(['validate', 'ports.yaml'], { cwd: dir })).code).toBe(0);
  });
});

describe('ports validate: a config on a service that does not run its program', () => {
  it('warns (exit 0) at the config, naming the program, for redis-conf on the API and nginx-site on Redis', async () => {
    const text = replaceOnce(
      replaceOnce(rootRegistry, '      - { kind: redis-conf }\n', '      - { kind: nginx-site, upstream: api }\n'),
      '    processes: [uvicorn, gunicorn, "dsa110_contimg.api*"]\n',
      '    processes: [uvicorn, gunicorn, "dsa110_contimg.api*"]\n    configs:\n      - { kind: redis-conf, path: /etc/redis/api.conf }\n',
    );
    const dir = checkout(text);
    const lines = text.split('\n');
    const at = (needle: string) => {
      const line = lines.findLastIndex((each) => each.includes(needle));
      return `${line + 1}:${lines[line]!.indexOf('kind:') + 1}`;
    };
    const run = await ports(['validate', 'ports.yaml'], { cwd: dir });
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^ports\.yaml: ok /);
    expect(run.stderr).toBe(
      [
        `ports.yaml:${at('kind: nginx-site, upstream: api }')}: warning: services.redis.configs[0]: kind nginx-site is a file nginx reads, but its processes are "redis-server"; move this config to the entry of the service that runs nginx, or, if nginx runs here under another name, add that name to processes`,
        `ports.yaml:${at('kind: redis-conf, path: /etc/redis/api.conf')}: warning: services.api.configs[0]: kind redis-conf is a file redis-server reads, but its processes are "uvicorn", "gunicorn", "dsa110_contimg.api*"; move this config to the entry of the service that runs redis-server, or, if redis-server runs here under another name, add that name to processes`,
        '',
      ].join('\n'),
    );
    // A glob that takes the program's name (grafana-server, or nginx: worker by a pattern) is the program's.
    const globbed = replaceOnce(rootRegistry, '    processes: [nginx]\n', '    processes: ["ngin?"]\n');
    expect(await ports(['validate', 'ports.yaml'], { cwd: checkout(globbed) })).toMatchObject({ code: 0, stderr: '' });
  });
});
