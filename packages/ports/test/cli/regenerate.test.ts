import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Context } from '../../src/cli/context.js';
import { overrideDriftText, regenerateCommand } from '../../src/cli/regenerate.js';
import { checkout, committedDocs, ports } from './helpers.js';

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

describe('overrideDriftText', () => {
  const commands = { check: 'ports firewall --out f.nft --check', regenerate: 'ports firewall --out f.nft', source: 'ports.yaml', afterwards: '' };

  it('says nothing when the file and the run have the same overrides, in any order', () => {
    const overrides = new Map([
      ['A_PORT', 1],
      ['B_PORT', 2],
    ]);
    expect(overrideDriftText('f.nft', overrides, new Map([...overrides].reverse()), commands)).toBeUndefined();
    expect(overrideDriftText('f.nft', new Map(), new Map(), commands)).toBeUndefined();
  });

  it("names each variable that differs; the check sets every one of the file's and unsets the run's others", () => {
    const text = overrideDriftText(
      'f.nft',
      new Map([
        ['B_PORT', 2],
        ['A_PORT', 1],
      ]),
      new Map([
        ['A_PORT', 1],
        ['C_PORT', 3],
      ]),
      commands,
    );
    expect(text).toBe(
      "f.nft is stale, and was written under other env overrides than this run's (B_PORT: 2 in the file, unset in this run; C_PORT: unset in the file, 3 in this run): " +
        `if the services run with the file's, check it with those: "env -u C_PORT A_PORT=1 B_PORT=2 ports firewall --out f.nft --check"; ` +
        `if they run with this run's, run "ports firewall --out f.nft" to regenerate it from ports.yaml`,
    );
  });
});

// Only `ports firewall` writes what an env override changes (its rules name the moved port): what `ports monitoring` and
// `ports docs` write is the registry's alone, so their --check has no override to name, and passes without the write's.
describe('the generated files no env override changes', () => {
  it('monitoring and docs, written under CONTIMG_API_PORT=8500, pass their --check without it', async () => {
    const dir = checkout(undefined, committedDocs);
    const env = { CONTIMG_API_PORT: '8500' };
    for (const args of [
      ['monitoring', '--out', join(dir, 'deploy')],
      ['docs', '--file', join(dir, 'docs/ports.md')],
    ]) {
      expect((await ports([...args, '--registry', 'ports.yaml'], { cwd: dir, env })).code).toBe(0);
      const check = await ports([...args, '--registry', 'ports.yaml', '--check'], { cwd: dir });
      expect(check.stderr).toBe('');
      expect(check.code).toBe(0);
    }
  });
});
