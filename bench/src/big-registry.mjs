// A registry of many services for the health check's growth case (issue 13):
// `count` services on distinct ports, with the fields a real entry has (unit,
// claim mode, process names, configuredBy, config file, access, prose with
// {port:ID} references), in the shape of the bundled ports.yaml. Written as
// YAML, so the health check reads it as an operator's --registry would be.
import { writeFileSync } from 'node:fs';

const KINDS = [
  { prefix: 'api', protocol: 'HTTP', access: 'private', processes: ['uvicorn', 'gunicorn'], configuredBy: (i) => `{ env: SVC_${i}_PORT }` },
  { prefix: 'cache', protocol: 'TCP', access: 'localhost', processes: ['redis-server'], configuredBy: () => '{ file: redis.conf, key: port }' },
  { prefix: 'web', protocol: 'HTTP', access: 'public', processes: ['nginx'], configuredBy: () => 'none' },
  { prefix: 'metrics', protocol: 'HTTP', access: 'localhost', processes: ['prometheus', 'node_exporter'], configuredBy: () => '{ file: prometheus.yml }' },
  { prefix: 'dev', protocol: 'HTTP', access: 'dev', processes: ['node'], configuredBy: () => 'hardcoded' },
];
const GROUPS = { public: 'production', private: 'production', localhost: 'monitoring', dev: 'development' };

/** The YAML text of a registry with `count` services on ports first, first + 1, ... */
export function bigRegistryYaml(count, first = 20000) {
  const lines = ['version: 1', 'claim:', '  timeoutSeconds: 5', 'services:'];
  for (let i = 0; i < count; i++) {
    const kind = KINDS[i % KINDS.length];
    const id = `${kind.prefix}-${i}`;
    const robust = kind.access !== 'dev' && i % 2 === 0;
    lines.push(
      `  - id: ${id}`,
      `    name: ${kind.prefix.toUpperCase()} ${i}`,
      `    title: Benchmark service ${id}`,
      `    group: ${GROUPS[kind.access]}`,
      `    port: ${first + i}`,
      `    protocol: ${kind.protocol}`,
      '    transport: tcp',
      `    access: ${kind.access}`,
      `    configuredBy: ${kind.configuredBy(i)}`,
      `    robust: ${robust}`,
    );
    if (kind.access !== 'dev') {
      lines.push(`    config: /etc/dsa110-bench/${id}.conf`, '    systemd:', `      unit: dsa110-bench-${id}.service`);
      if (robust) lines.push(`      claim: ${i % 4 === 0 ? 'unit' : 'drop-in'}`);
    }
    lines.push(`    processes: [${kind.processes.join(', ')}]`, '    purpose:', `      - Serves part ${i} of the benchmark pipeline on port {port:${id}}`);
    if (i > 0) lines.push('    notes:', `      - Talks to {port:${KINDS[(i - 1) % KINDS.length].prefix}-${i - 1}}`);
  }
  return `${lines.join('\n')}\n`;
}

export function writeBigRegistry(file, count, first) {
  writeFileSync(file, bigRegistryYaml(count, first));
  return file;
}
