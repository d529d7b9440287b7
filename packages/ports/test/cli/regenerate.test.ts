import { describe, expect, it } from 'vitest';
import type { Context } from '../../src/cli/context.js';
import { regenerateCommand } from '../../src/cli/regenerate.js';

function context(registryPath: string | undefined, values: Record<string, string | boolean | undefined>, env: Record<string, string> = {}): Context<unknown> {
  return { io: { out: () => {}, err: () => {} } as unknown as Context['io'], env, registryPath, values, positionals: [] };
}

describe('regenerateCommand', () => {
  it('echoes the registry and each given option, less the rest, quoted for the shell', () => {
    expect(regenerateCommand(context('my ports.yaml', { out: '/tmp/units', check: true, root: undefined }), 'systemd', ['out', 'root'])).toBe(
      "ports --registry 'my ports.yaml' systemd --out /tmp/units",
    );
    expect(regenerateCommand(context(undefined, {}), 'docs', ['file'])).toBe('ports docs');
  });

  it('writes a value that starts with "-" as --FLAG=VALUE, for every option it echoes (the parser refuses `--out -x`)', () => {
    const values = { out: '-x', root: '-root', 'claim-port': '-c', 'port-health-check': '-h', textfile: "-t's.prom", file: '-page.md' };
    expect(regenerateCommand(context('-r.yaml', values), 'systemd', ['out', 'root', 'claim-port', 'port-health-check', 'textfile'])).toBe(
      "ports --registry=-r.yaml systemd --out=-x --root=-root --claim-port=-c --port-health-check=-h '--textfile=-t'\\''s.prom'",
    );
    expect(regenerateCommand(context(undefined, values), 'docs', ['file'])).toBe('ports docs --file=-page.md');
    // A value that only holds a dash later is still two words.
    expect(regenerateCommand(context('a-b.yaml', { out: 'x-' }), 'monitoring', ['out'])).toBe('ports --registry a-b.yaml monitoring --out x-');
  });

  it('names a registry from $DSA110_PORTS_FILE as --registry PATH: run under sudo or from a fresh shell, the command reads the same one', () => {
    expect(regenerateCommand(context(undefined, { root: '/srv/r' }, { DSA110_PORTS_FILE: '/srv/r/etc/my ports.yaml' }), 'systemd', ['root'])).toBe(
      "ports --registry '/srv/r/etc/my ports.yaml' systemd --root /srv/r",
    );
    // --registry beats the variable, as for the read; an empty variable names nothing (the read ignores it too).
    expect(regenerateCommand(context('a.yaml', {}, { DSA110_PORTS_FILE: 'b.yaml' }), 'docs', [])).toBe('ports --registry a.yaml docs');
    expect(regenerateCommand(context(undefined, {}, { DSA110_PORTS_FILE: '' }), 'docs', [])).toBe('ports docs');
  });
});
