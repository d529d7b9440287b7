// Every `ports` command that writes refuses to write over the registry it reads, by any name (exit 64, nothing written).
import { linkSync, mkdirSync, readdirSync, readFileSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkout, ports, rootRegistry } from '../helpers.js';

/** The registry untouched, and nothing else made in `dir` but `expected`. */
function untouched(dir: string, expected: readonly string[] = ['ports.yaml']): void {
  expect(readFileSync(join(dir, 'ports.yaml'), 'utf8')).toBe(rootRegistry);
  // packages/: what makes the temp dir a checkout of the registry (markCheckout).
  expect(readdirSync(dir).sort()).toEqual([...expected, 'packages'].sort());
}

describe('a command never writes over its registry', () => {
  it('ports firewall --out: the registry by its name, another spelling, a hard link, a link to it, or the registry a link ($DSA110_PORTS_FILE too)', async () => {
    const dir = checkout();
    linkSync(join(dir, 'ports.yaml'), join(dir, 'hard.yaml'));
    symlinkSync('ports.yaml', join(dir, 'link.yaml'));
    const cases: [string[], Record<string, string>][] = [
      [['firewall', '--registry', 'ports.yaml', '--out', 'ports.yaml'], {}],
      [['firewall', '--registry', 'ports.yaml', '--out', 'ports.yaml', '--format', 'ufw'], {}],
      [['firewall', '--out', './ports.yaml'], { DSA110_PORTS_FILE: join(dir, 'ports.yaml') }],
      [['firewall', '--registry', 'ports.yaml', '--out', 'hard.yaml'], {}],
      [['firewall', '--registry', 'ports.yaml', '--out', 'link.yaml'], {}],
      [['firewall', '--registry', 'link.yaml', '--out', 'ports.yaml'], {}],
      [['firewall', '--registry', 'ports.yaml', '--out', 'ports.yaml', '--check'], {}],
    ];
    for (const [args, env] of cases) {
      const run = await ports(args, { cwd: dir, env });
      expect(run.code, args.join(' ')).toBe(64);
      expect(run.stdout).toBe('');
      expect(run.stderr.split('\n')[0]).toMatch(
        /^ports firewall: --out \S+ is the registry file \S+ this command reads( \(the same file by another name\))?; writing the rules there would replace it: give --out another path \(nothing was written\)$/,
      );
      untouched(dir, ['ports.yaml', 'hard.yaml', 'link.yaml']);
    }
    // Another file is written as ever.
    expect((await ports(['firewall', '--registry', 'ports.yaml', '--out', 'rules.nft'], { cwd: dir })).code).toBe(0);
  });

  it('ports docs --file: the registry named as the page', async () => {
    const dir = checkout();
    const run = await ports(['docs', '--registry', 'ports.yaml', '--file', './ports.yaml'], { cwd: dir });
    expect(run.code).toBe(64);
    expect(run.stderr.split('\n')[0]).toBe(
      'ports docs: --file ./ports.yaml is the registry file ports.yaml this command reads (the same file by another name); writing the page there would replace it: give --file another path (nothing was written)',
    );
    untouched(dir);
  });

  it('ports monitoring --out and ports systemd --out: a file under the directory that is the registry (a hard link)', async () => {
    const dir = checkout();
    mkdirSync(join(dir, 'deploy/prometheus'), { recursive: true });
    linkSync(join(dir, 'ports.yaml'), join(dir, 'deploy/prometheus/prometheus.yml'));
    const monitoring = await ports(['monitoring', '--registry', 'ports.yaml', '--out', 'deploy'], { cwd: dir });
    expect(monitoring.code).toBe(64);
    expect(monitoring.stderr.split('\n')[0]).toBe(
      'ports monitoring: --out deploy would write deploy/prometheus/prometheus.yml, which is the registry file ports.yaml this command reads (the same file by another name); writing the monitoring files there would replace it: give --out another path (nothing was written)',
    );
    expect(readdirSync(join(dir, 'deploy'))).toEqual(['prometheus']);
    expect(readdirSync(join(dir, 'deploy/prometheus'))).toEqual(['prometheus.yml']);
    mkdirSync(join(dir, 'sd'));
    linkSync(join(dir, 'ports.yaml'), join(dir, 'sd/dsa110-port-health.service'));
    const systemd = await ports(['systemd', '--registry', 'ports.yaml', '--out', 'sd'], { cwd: dir });
    expect(systemd.code).toBe(64);
    expect(systemd.stderr.split('\n')[0]).toBe(
      'ports systemd: --out sd would write sd/dsa110-port-health.service, which is the registry file ports.yaml this command reads (the same file by another name); writing a unit file there would replace it: give --out another path (nothing was written)',
    );
    expect(readdirSync(join(dir, 'sd'))).toEqual(['dsa110-port-health.service']);
    expect(readFileSync(join(dir, 'ports.yaml'), 'utf8')).toBe(rootRegistry);
  });

  it('ports systemd --textfile: the registry the units read, which the health check would replace with its metrics on every run', async () => {
    const dir = checkout();
    const registry = join(dir, 'ports.prom');
    linkSync(join(dir, 'ports.yaml'), registry);
    linkSync(join(dir, 'ports.yaml'), join(dir, 'other.prom'));
    mkdirSync(join(dir, 'sd'));
    for (const textfile of [registry, join(dir, 'other.prom')]) {
      const run = await ports(['systemd', '--registry', registry, '--out', 'sd', '--textfile', textfile], { cwd: dir });
      expect(run.code, textfile).toBe(64);
      expect(run.stderr.split('\n')[0]).toBe(
        `ports systemd: --textfile "${textfile}" is the registry the units read ("${registry}"): port-health-check would replace it with its metrics on every run; give --textfile another file (default: /var/lib/prometheus/node-exporter/dsa110_ports.prom) (nothing was written)`,
      );
    }
    expect(readdirSync(join(dir, 'sd'))).toEqual([]);
  });
});
