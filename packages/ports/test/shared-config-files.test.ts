// A config file's setting that holds one port (redis.conf's `port`, /etc/default/prometheus's
// --web.listen-address, a Grafana datasource's url, a configuredBy key such as grafana.ini's
// http_port) cannot be two services' ports: two Redis services whose redis-conf both defaulted to
// /etc/redis/redis.conf validated, `ports snippet redis-conf` printed two conflicting files for it,
// and port-health-check always reported one of them. Files that name several services' ports by
// design (an nginx site, prometheus.yml) may be shared.
import { describe, expect, it } from 'vitest';
import { parseRegistry } from '../src/index.js';
import { parseRegistryText } from '../src/parse.js';
import { checkRules, type ServiceFacts } from '../src/rules.js';
import { writeRegistry } from './helpers.js';
import { ports } from './cli/helpers.js';

interface Entry {
  id: string;
  port: number;
  /** Extra lines of the entry, each indented as a service key (`    key: value`). */
  lines?: string[];
  transport?: 'tcp' | 'udp';
}

/** A registry of `entries`, each a plain non-robust service with its extra lines. */
function registry(entries: Entry[]): string {
  const services = entries.flatMap(({ id, port, lines = [], transport = 'tcp' }) => [
    `  - id: ${id}`,
    `    name: ${id}`,
    '    group: production',
    `    port: ${port}`,
    `    protocol: ${transport === 'udp' ? 'UDP' : 'TCP'}`,
    `    transport: ${transport}`,
    '    access: localhost',
    ...(lines.some((line) => line.startsWith('    configuredBy:')) ? [] : ['    configuredBy: hardcoded']),
    '    robust: false',
    ...lines,
    '    processes: [server]',
  ]);
  return ['version: 1', 'services:', ...services, ''].join('\n');
}

/** `ports validate` on `text` in a real file: its exit code and output, with the file's path as FILE. */
async function validate(text: string): Promise<{ code: number | null; output: string }> {
  const path = writeRegistry(text);
  const run = await ports(['validate', '--registry', path]);
  return { code: run.code, output: (run.stdout + run.stderr).split(path).join('FILE') };
}

/** 1-based line and column of the `nth` (1-based) occurrence of `needle` in `text`. */
function at(text: string, needle: string, nth = 1): string {
  let index = -1;
  for (let count = 0; count < nth; count++) index = text.indexOf(needle, index + 1);
  if (index < 0) throw new Error(`no ${nth}th ${needle}`);
  const before = text.slice(0, index).split('\n');
  return `${before.length}:${before.at(-1)!.length + 1}`;
}

const REDIS_CONF = '    configs: [{ kind: redis-conf }]';

describe('one config setting that holds one port, claimed by two services', () => {
  it("refuses two Redis services whose redis-conf both default to Debian's /etc/redis/redis.conf: one line, at the second entry, naming the first", async () => {
    const text = registry([
      { id: 'redis', port: 6379, lines: [REDIS_CONF] },
      { id: 'redis-b', port: 6380, lines: [REDIS_CONF] },
    ]);
    const run = await validate(text);
    expect(run.code).toBe(1);
    expect(run.output).toBe(
      `FILE:${at(text, '{ kind: redis-conf }', 2)}: services.redis-b.configs[0]: /etc/redis/redis.conf (Debian's path, as configs[].path is not given) is already service "redis"'s (its configs[0]), and \`port\` there holds one port: "redis" sets it to 6379, this service to 6380, so port-health-check would always find one of them wrong; give each service a file of its own (configs[].path, or config:)\n`,
    );
  });

  it("refuses the same when the path defaults to each service's config:, and a redis-conf beside a configuredBy key `port` in that file", () => {
    const config = '    config: /etc/redis/redis.conf';
    expect(() =>
      parseRegistry(
        registry([
          { id: 'redis', port: 6379, lines: [config, REDIS_CONF] },
          { id: 'redis-b', port: 6380, lines: [config, REDIS_CONF] },
        ]),
      ),
    ).toThrow(
      /services\.redis-b\.configs\[0\]: \/etc\/redis\/redis\.conf \(its config:, as configs\[\]\.path is not given\) is already service "redis"'s \(its configs\[0\]\)/,
    );
    expect(() =>
      parseRegistry(
        registry([
          { id: 'redis', port: 6379, lines: [REDIS_CONF] },
          { id: 'redis-b', port: 6380, lines: ['    configuredBy: { file: redis.conf, key: port }', config] },
        ]),
      ),
    ).toThrow(
      /services\.redis-b\.configuredBy\.key: \/etc\/redis\/redis\.conf is already service "redis"'s \(its configs\[0\]\), and `port` there holds one port/,
    );
  });

  it("refuses two Grafana services configured by grafana.ini http_port with no config: (both the snippet's /etc/grafana/grafana.ini), at the key", async () => {
    const by = '    configuredBy: { file: grafana.ini, key: http_port }';
    const text = registry([
      { id: 'grafana', port: 3030, lines: [by] },
      { id: 'grafana-b', port: 3031, lines: [by] },
    ]);
    const run = await validate(text);
    expect(run.code).toBe(1);
    expect(run.output).toBe(
      `FILE:${at(text, 'key: http_port', 2).replace(/\d+$/, (column) => String(Number(column) + 5))}: services.grafana-b.configuredBy.key: /etc/grafana/grafana.ini (Debian's path, as config: is not given) is already service "grafana"'s (its configuredBy.key), and \`[server]\` (one Grafana's: its http_addr and port) there holds one port: "grafana" sets it to 3030, this service to 3031, so port-health-check would always find one of them wrong; give each service a file of its own (configs[].path, or config:)\n`,
    );
  });

  it("refuses two services configured by one grafana.ini under two keys: its [server] is one Grafana's (the snippet wrote two [server] sections, the second opening a localhost Grafana)", async () => {
    const text = registry([
      { id: 'grafana', port: 3030, lines: ['    configuredBy: { file: grafana.ini, key: http_port }'] },
      { id: 'grafana-b', port: 3031, lines: ['    configuredBy: { file: grafana.ini, key: live_port }'] },
    ]);
    const run = await validate(text);
    expect(run.code).toBe(1);
    expect(run.output).toMatch(
      /services\.grafana-b\.configuredBy\.key: \/etc\/grafana\/grafana\.ini .*is already service "grafana"'s .*`\[server\]` \(one Grafana's: its http_addr and port\) there holds one port/,
    );
  });

  it('refuses two Prometheus services sharing /etc/default/prometheus (one ARGS= line), and two Grafana datasources in one file on different Prometheus', () => {
    const args = '    configs: [{ kind: prometheus-args }]';
    expect(() =>
      parseRegistry(
        registry([
          { id: 'prometheus', port: 9090, lines: [args] },
          { id: 'prometheus-b', port: 9091, lines: [args] },
        ]),
      ),
    ).toThrow(
      /services\.prometheus-b\.configs\[0\]: \/etc\/default\/prometheus \(Debian's path, as configs\[\]\.path is not given\) is already service "prometheus"'s/,
    );
    const datasource = (upstream: string) => `    configs: [{ kind: grafana-datasource, upstream: ${upstream} }]`;
    expect(() =>
      parseRegistry(
        registry([
          { id: 'prometheus', port: 9090 },
          { id: 'prometheus-b', port: 9091 },
          { id: 'grafana', port: 3030, lines: [datasource('prometheus')] },
          { id: 'grafana-b', port: 3031, lines: [datasource('prometheus-b')] },
        ]),
      ),
    ).toThrow(/services\.grafana-b\.configs\[0\]: .*the Prometheus datasource's `url` there holds one port: "grafana" sets it to 9090, this service to 9091/);
  });

  it.each([
    ['/etc/redis//redis.conf', '/etc/redis/redis.conf'],
    ['//etc/redis/redis.conf', '/etc/redis/redis.conf'],
    ['/etc/redis/./redis.conf', '/etc/redis/redis.conf'],
    ['/etc/./redis/redis.conf', '/etc/redis/redis.conf'],
  ])('refuses %s, another spelling of a file another service sets (it passed as another file): at the path, naming the plain form', async (spelling, plain) => {
    const text = registry([
      { id: 'redis', port: 6379, lines: ['    configs: [{ kind: redis-conf, path: /etc/redis/redis.conf }]'] },
      { id: 'redis-b', port: 6380, lines: [`    configs: [{ kind: redis-conf, path: ${spelling} }]`] },
    ]);
    const run = await validate(text);
    expect(run.code).toBe(1);
    expect(run.output).toBe(
      `FILE:${at(text, spelling)}: services.redis-b.configs[0].path: must be in plain form, without an empty (//) or "." segment, so that each file has one spelling; write "${plain}"\n`,
    );
  });

  it("refuses another spelling of grafana.ini as a config: beside grafana.ini's http_port", () => {
    const by = '    configuredBy: { file: grafana.ini, key: http_port }';
    expect(() =>
      parseRegistry(
        registry([
          { id: 'grafana', port: 3030, lines: [by, '    config: /etc/grafana/grafana.ini'] },
          { id: 'grafana-b', port: 3031, lines: [by, '    config: /etc/grafana/./grafana.ini'] },
        ]),
      ),
    ).toThrow(/services\.grafana-b\.config: must be in plain form, .*; write "\/etc\/grafana\/grafana\.ini"/);
  });

  it('compares the files in plain form, whatever data the rule is given', () => {
    const parsed = parseRegistryText(
      registry([
        { id: 'redis', port: 6379, lines: [REDIS_CONF] },
        { id: 'redis-b', port: 6380, lines: ['    configs: [{ kind: redis-conf, path: /etc/redis/redis-b.conf }]'] },
      ]),
    );
    if (!parsed.ok) throw new Error('fixture does not parse');
    const services: ServiceFacts[] = parsed.data.services.map((service) =>
      service.id === 'redis-b' ? { ...service, configs: [{ kind: 'redis-conf', path: '/etc//redis/./redis.conf' }] } : service,
    );
    const problems = checkRules({ services, reserved: [] });
    expect(problems.map((problem) => problem.path.join('.'))).toEqual(['services.1.configs.0']);
    expect(problems[0]!.message).toMatch(/^\/etc\/\/redis\/\.\/redis\.conf is already service "redis"'s \(its configs\[0\]\), and `port` there holds one port/);
  });

  it('takes files that name several ports by design, one upstream named twice, distinct paths, and one port on both transports', () => {
    const shared = [
      // Two nginx sites in Debian's default file: two server blocks, each on its own port.
      { id: 'nginx', port: 80, lines: ['    configs: [{ kind: nginx-site, upstream: api }]'] },
      { id: 'nginx-b', port: 8080, lines: ['    configs: [{ kind: nginx-site, upstream: api }]'] },
      { id: 'api', port: 8000 },
      // prometheus.yml scrapes every target; two Grafanas may share one datasource file on the same Prometheus.
      { id: 'prometheus', port: 9090, lines: ['    configs: [{ kind: prometheus-yml }]'] },
      { id: 'prometheus-b', port: 9091, lines: ['    configs: [{ kind: prometheus-yml }]'] },
      { id: 'grafana', port: 3030, lines: ['    configs: [{ kind: grafana-datasource, upstream: prometheus }]'] },
      { id: 'grafana-b', port: 3031, lines: ['    configs: [{ kind: grafana-datasource, upstream: prometheus }]'] },
      { id: 'redis', port: 6379, lines: [REDIS_CONF] },
      { id: 'redis-b', port: 6380, lines: ['    configs: [{ kind: redis-conf, path: /etc/redis/redis-b.conf }]'] },
      // A resolver on 53 over TCP and UDP: one `port` setting, one value.
      { id: 'dns-tcp', port: 61053, lines: ['    configuredBy: { file: resolver.conf, key: port }', '    config: /etc/resolver.conf'] },
      { id: 'dns-udp', port: 61053, transport: 'udp', lines: ['    configuredBy: { file: resolver.conf, key: port }', '    config: /etc/resolver.conf'] },
    ] satisfies Entry[];
    expect(parseRegistry(registry(shared)).ids).toHaveLength(shared.length);
  });
});
