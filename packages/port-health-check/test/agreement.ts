// The harness of the agreement tests: `ports systemd --check` and the health
// check run on one tree, a root with svc.service shipped in /usr/lib and the
// wiring `ports systemd --root` writes; each test adds its own files. `ports`
// runs through its in-process main, the health check through checkPorts().
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { runMain } from '../../../test-support/index.js';
import { main } from '../../ports/src/cli/main.js';
import { checkPorts } from '../src/index.js';
import { EXECUTABLE, registryText, tempDir, writeTree, type ServiceSpec, type TreeEntry } from './helpers.js';

export const CLAIM = '/usr/local/bin/claim-port';
/** The registry wiredRoot writes (ROOT/ports.yaml) as the units name it: a claim line written by hand names it, as `ports systemd --root` does. */
export const CLAIM_REGISTRY = '--registry /ports.yaml';
export const UNIT = 'usr/lib/systemd/system/svc.service';
export type Verdict = 'ok' | 'warning' | 'unknown' | 'error';

/** A root with svc.service (`[Service]` `lines` and an ExecStart=) in /usr/lib, a registry of `service`, and the wiring `ports systemd --root` writes. */
export async function wiredRoot(
  prefix: string,
  lines: readonly string[],
  service: Omit<ServiceSpec, 'id' | 'port'>,
  files: Record<string, TreeEntry> = {},
): Promise<{ root: string; registry: string }> {
  // `files` (EnvironmentFile= files, say) before the write: what it writes depends on them (a unit that sets the port variable is claimed by id).
  const root = writeTree(tempDir(prefix), {
    'usr/local/bin/claim-port': EXECUTABLE,
    [UNIT]: `[Service]\n${[...lines, 'ExecStart=/usr/bin/node svc.js'].join('\n')}\n`,
    ...files,
  });
  const registry = join(root, 'ports.yaml');
  writeFileSync(registry, registryText([{ id: 'svc', port: 8000, ...service }]));
  const wrote = await runMain(main, ['systemd', '--registry', registry, '--root', root]);
  expect(wrote.code).toBe(0);
  return { root, registry };
}

/** Both tools on the tree: --check's run, and the health check's systemd results. */
export async function bothTools(root: string, registry: string) {
  const check = await runMain(main, ['systemd', '--check', '--registry', registry, '--root', root]);
  const report = await checkPorts({ registry, root, services: ['svc'], firewall: false });
  return { check, health: report.results.filter((result) => result.check === 'systemd') };
}

/** --check's verdict: exit 0 (with or without warnings), or exit 1 on problems that are all `untold` (the health check's unknown), or on any other. */
export function checkVerdict(run: { code: number; stdout: string }, untold: (line: string) => boolean): Verdict {
  if (run.code === 0) return run.stdout.includes('warning: ') ? 'warning' : 'ok';
  const problems = run.stdout.split('\n').filter((line) => line.startsWith('svc.service: '));
  return problems.length > 0 && problems.every(untold) ? 'unknown' : 'error';
}

/** The health check's verdict: its worst systemd result. */
export function healthVerdict(results: readonly { severity: string }[]): Verdict {
  const order: Verdict[] = ['error', 'unknown', 'warning'];
  return order.find((severity) => results.some((result) => result.severity === severity)) ?? 'ok';
}
