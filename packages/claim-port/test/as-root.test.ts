// The command a refusal for want of root's rights advises: this claim again, as root, with what decides it.
import { parseRegistry } from '@dsa110/ports';
import { parseClaimArgs } from '@dsa110/ports/systemd';
import { describe, expect, it } from 'vitest';
import { asRootCommand } from '../src/as-root.js';

describe('asRootCommand', () => {
  it('is `sudo claim-port PORT` for a claim with no options, PORT/udp for UDP', () => {
    expect(asRootCommand(8000, 'tcp', { env: {} })).toBe('sudo claim-port 8000');
    expect(asRootCommand(5353, 'udp', { env: {} })).toBe('sudo claim-port 5353/udp');
  });

  it('repeats what decides the claim, each word as the shell reads it back: --dry-run, --timeout, --force, --registry', () => {
    expect(asRootCommand(31121, 'tcp', { registry: 'unread.yaml', env: {} })).toBe('sudo claim-port 31121 --registry unread.yaml');
    expect(asRootCommand(8000, 'tcp', { dryRun: true, timeoutSeconds: 0.5, force: true, registry: "/etc/my dir/it's.yaml", env: {} })).toBe(
      "sudo claim-port 8000 --dry-run --timeout 0.5 --force --registry '/etc/my dir/it'\\''s.yaml'",
    );
    // A path the parser would take for an option is written --registry=PATH; a line break shows as $'\n', on one line.
    expect(asRootCommand(8000, 'tcp', { registry: '-x.yaml', env: {} })).toBe('sudo claim-port 8000 --registry=-x.yaml');
    expect(asRootCommand(8000, 'tcp', { registry: 'a\nb.yaml', env: {} })).toBe("sudo claim-port 8000 --registry $'a\\nb.yaml'");
  });

  it('names the registry $DSA110_PORTS_FILE named (sudo does not pass it on); --registry wins over it, as in the claim', () => {
    expect(asRootCommand(8000, 'tcp', { env: { DSA110_PORTS_FILE: '/srv/ports.yaml' } })).toBe('sudo claim-port 8000 --registry /srv/ports.yaml');
    expect(asRootCommand(8000, 'tcp', { registry: 'mine.yaml', env: { DSA110_PORTS_FILE: '/srv/ports.yaml' } })).toBe(
      'sudo claim-port 8000 --registry mine.yaml',
    );
    expect(asRootCommand(8000, 'tcp', { env: { DSA110_PORTS_FILE: '' } })).toBe('sudo claim-port 8000');
    // A Registry object (claimPort() from JavaScript) has no path to name.
    const registry = parseRegistry('version: 1\nservices: []\n');
    expect(asRootCommand(8000, 'tcp', { registry, env: { DSA110_PORTS_FILE: '/srv/ports.yaml' } })).toBe('sudo claim-port 8000');
  });

  it('is a command claim-port parses back to the same claim', () => {
    const command = asRootCommand(8000, 'udp', { dryRun: true, timeoutSeconds: 300, force: true, registry: 'r.yaml', env: {} });
    expect(parseClaimArgs(command.split(' ').slice(2))).toMatchObject({
      command: 'claim',
      target: { port: 8000 },
      transport: 'udp',
      dryRun: true,
      timeoutSeconds: 300,
      force: true,
      registry: 'r.yaml',
    });
  });
});
