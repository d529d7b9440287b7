// The health check's service and timer as `ports systemd` writes them: pure output of the options.
import { describe, expect, it } from 'vitest';
import { healthCheckCommand, healthUnits, textfileProblem } from '@dsa110/ports/render';

describe('healthUnits', () => {
  it('a oneshot service that writes the node_exporter textfile as root, and a five-minute timer', () => {
    const [service, timer] = healthUnits();
    expect(service!.path).toBe('dsa110-port-health.service');
    expect(service!.contents).toContain('\n[Service]\nType=oneshot\nSuccessExitStatus=1 2\n');
    expect(service!.contents).toContain(
      '\nExecStart=/usr/local/bin/port-health-check --format prometheus --output /var/lib/prometheus/node-exporter/dsa110_ports.prom\n',
    );
    expect(service!.contents).not.toMatch(/^User=/m);
    expect(timer!.path).toBe('dsa110-port-health.timer');
    expect(timer!.contents).toContain('\n[Timer]\nOnBootSec=1min\nOnUnitActiveSec=5min\n');
    expect(timer!.contents).toContain('\n[Install]\nWantedBy=timers.target\n');
    for (const unit of [service!, timer!])
      expect(unit.contents.split('\n')[0]).toBe('# Generated from ports.yaml by `ports systemd`; edit ports.yaml instead.');
  });

  it('passes a named registry and a non-default claim-port on to the health check', () => {
    expect(
      healthCheckCommand({
        registry: '/etc/dsa110/ports.yaml',
        claimPort: '/opt/dsa110/bin/claim-port',
        healthCheck: '/opt/dsa110/bin/port-health-check',
        textfile: '/srv/t/x.prom',
      }),
    ).toBe(
      '/opt/dsa110/bin/port-health-check --registry /etc/dsa110/ports.yaml --claim-port /opt/dsa110/bin/claim-port --format prometheus --output /srv/t/x.prom',
    );
    expect(healthCheckCommand({ claimPort: '/usr/local/bin/claim-port' })).not.toContain('--claim-port');
  });

  it('textfileProblem: absolute, no spaces or specials, ending in .prom', () => {
    expect(textfileProblem('/var/lib/prometheus/node-exporter/dsa110_ports.prom')).toBeUndefined();
    expect(textfileProblem('dsa110_ports.prom')).toMatch(/absolute/);
    expect(textfileProblem('/var/lib/my dir/x.prom')).toMatch(/white space/);
    expect(textfileProblem('/var/lib/x%i.prom')).toMatch(/"%"/);
    expect(textfileProblem('/var/lib/x.txt')).toMatch(/\.prom/);
  });
});
