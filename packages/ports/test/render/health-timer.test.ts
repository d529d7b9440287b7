// The health check's service and timer as `ports systemd` writes them: pure output of the options.
import { describe, expect, it } from 'vitest';
import { healthCheckCommand, healthUnits, textfileProblem } from '@dsa110/ports/render';
import { parseExec } from '@dsa110/ports/systemd';

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

  it('textfileProblem: absolute, no control characters, ending in .prom; white space and specials are fine', () => {
    expect(textfileProblem('/var/lib/prometheus/node-exporter/dsa110_ports.prom')).toBeUndefined();
    expect(textfileProblem('dsa110_ports.prom')).toMatch(/absolute/);
    expect(textfileProblem('/var/lib/my dir/x.prom')).toBeUndefined();
    expect(textfileProblem('/var/lib/x%i "$y" \\ ;.prom')).toBeUndefined();
    expect(textfileProblem('/var/lib/x\n.prom')).toMatch(/control characters/);
    expect(textfileProblem('/var/lib/x.txt')).toMatch(/\.prom/);
  });

  it('writes hostile registry, textfile and executable paths so that systemd (the core model) runs exactly those words', () => {
    // Every $VAR-like text is set, so a missed `$$` would show; the unit is a template, so a missed `%%` would too.
    const env = new Map(['x', 'Y', 'HOME', ''].map((name) => [name, 'EXPANDED'] as const));
    for (const registry of HOSTILE_ARGUMENTS) {
      const textfile = `${registry}.prom`;
      const healthCheck = '/opt/my tools/%n $x/port-health-check';
      // biome-ignore lint/suspicious/noTemplateCurlyInString: systemd's ${VAR}, not a template
      const claimPort = '/opt/my tools/%i ${Y}/claim-port';
      const command = healthCheckCommand({ registry, textfile, healthCheck, claimPort });
      expect(command.split('\n'), registry).toHaveLength(1);
      const parsed = parseExec(command, env, { name: 'dsa110-port-health@x.service' });
      expect(parsed.error, command).toBeUndefined();
      expect(parsed.warnings, command).toEqual([]);
      expect(
        parsed.commands.map((c) => c.argv),
        command,
      ).toEqual([[healthCheck, '--registry', registry, '--claim-port', claimPort, '--format', 'prometheus', '--output', textfile]]);
      expect(parsed.commands[0]!.path).toBe(healthCheck);
    }
  });
});

/** Arguments a unit line can hold, each a trap for a naive writer. */
const HOSTILE_ARGUMENTS = [
  '/etc/my dsa110/ports.yaml',
  '/etc/two  spaces/ports.yaml',
  '/etc/"double" \'single\'/ports.yaml',
  '/etc/back\\slash\\/\\n\\x41\\/ports.yaml',
  '/etc/%n%i%%%/ports.yaml',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: systemd's ${VAR}, not a template
  '/etc/$x/${Y}/$$/$/ports.yaml',
  '$x',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: systemd's ${VAR}, not a template
  '${HOME}',
  ';',
  '/etc/a;b/ ; /ports.yaml',
  '/etc/ünïcödé 日本/🙂/ports.yaml',
  '',
];
