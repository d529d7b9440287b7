// The contract with `ports systemd`: what it writes for the bundled registry
// (a claim-port.conf drop-in, or the ExecStartPre= line in the unit file)
// passes the systemd and dependencies checks, for the default claim-port path
// and for a custom one (--claim-port).
import { loadRegistry } from '@dsa110/ports';
import { claimWiring } from '@dsa110/ports/render';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { checkDependencies } from '../../src/checks/dependencies.js';
import { checkSystemd } from '../../src/checks/systemd.js';
import { gather } from '../../src/gather.js';
import { EXECUTABLE, tempDir, writeTree, type TreeEntry } from '../helpers.js';

async function checkWiring(claimPort?: string, path?: string) {
  const registry = path ? await loadRegistry({ path }) : await loadRegistry();
  const wiring = claimWiring(registry, ...(claimPort ? [claimPort] : []));
  const files: Record<string, TreeEntry> = { [(claimPort ?? '/usr/local/bin/claim-port').slice(1)]: EXECUTABLE };
  for (const entry of wiring) {
    files[`etc/systemd/system/${entry.path}`] =
      entry.contents ?? `[Unit]\nDescription=${entry.service.name}\n\n[Service]\n${entry.line}\nExecStart=/usr/bin/true\n`;
    // A packaged unit for the drop-in to extend, as Debian ships redis-server.service.
    if (entry.contents) files[`usr/lib/systemd/system/${entry.unit}`] = '[Service]\nExecStart=/usr/bin/true\n';
  }
  const facts = await gather({ registry, root: writeTree(tempDir(), files), ...(claimPort && { claimPortPaths: [claimPort] }) });
  return { wiring, results: [...registry.services.flatMap((service) => checkSystemd(facts, service)), ...checkDependencies(facts).filter((r) => r.service)] };
}

describe('what `ports systemd` writes', () => {
  it('passes the systemd and dependencies checks for every robust service', async () => {
    const { wiring, results } = await checkWiring();
    expect(wiring.map((entry) => entry.claim).sort()).toEqual(['drop-in', 'drop-in', 'unit', 'unit']);
    expect(results.filter((r) => r.check === 'systemd').map((r) => [r.service, r.severity])).toEqual(wiring.map((entry) => [entry.service.id, 'ok']));
    // One claim-port, judged for each service whose unit runs it.
    expect(results.filter((r) => r.check === 'dependencies').map((r) => [r.service, r.severity])).toEqual(wiring.map((entry) => [entry.service.id, 'ok']));
  });

  it('passes for a UDP service and its TCP twin on the same number (claim-port 61053/udp), and fails each with the other’s line', async () => {
    const twins = fileURLToPath(new URL('../../../ports/test/fixtures/udp-twins.yaml', import.meta.url));
    const { wiring, results } = await checkWiring(undefined, twins);
    expect(wiring.map((entry) => entry.line)).toEqual(['ExecStartPre=+/usr/local/bin/claim-port 61053', 'ExecStartPre=+/usr/local/bin/claim-port 61053/udp']);
    expect(results.filter((r) => r.check === 'systemd').map((r) => [r.service, r.severity])).toEqual([
      ['dns-tcp', 'ok'],
      ['dns-udp', 'ok'],
    ]);
    const registry = await loadRegistry({ path: twins });
    const swapped = claimWiring(registry).map((entry, index, all) => ({ ...entry, contents: all[1 - index]!.contents }));
    const files: Record<string, TreeEntry> = { 'usr/local/bin/claim-port': EXECUTABLE };
    for (const entry of swapped) {
      files[`etc/systemd/system/${entry.path}`] = entry.contents!;
      files[`usr/lib/systemd/system/${entry.unit}`] = '[Service]\nExecStart=/usr/bin/true\n';
    }
    const facts = await gather({ registry, root: writeTree(tempDir(), files) });
    const bad = registry.services.flatMap((service) => checkSystemd(facts, service));
    expect(bad.map((r) => r.severity)).toEqual(['error', 'error']);
    expect(bad[1]!.reason).toMatch(/claims port 61053, but dns-udp uses port 61053\/udp/);
  });

  it('passes with a custom claim-port path given to both', async () => {
    const { results } = await checkWiring('/opt/dsa110/bin/free-port');
    expect(results.map((r) => r.severity)).toEqual(Array(8).fill('ok'));
  });
});
