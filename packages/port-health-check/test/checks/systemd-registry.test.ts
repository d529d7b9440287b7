// The systemd check and the registry claim-port reads: when the health check
// holds a named registry (--registry, $DSA110_PORTS_FILE), the claim line that
// runs (after the drop-ins) must name that registry with --registry, as
// `ports systemd` writes it; else claim-port, at the next restart, protects
// the processes of another registry (or of its bundled one). Real unit files
// and a real registry file in a temp root, read by checkPorts().
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadRegistry } from '@dsa110/ports';
import { claimWiring } from '@dsa110/ports/render';
import { BUNDLED_CLAIM_FIX } from '@dsa110/ports/systemd';
import { describe, expect, it } from 'vitest';
import { runMain } from '../../../../test-support/index.js';
import { main as portsMain } from '../../../ports/src/cli/main.js';
import { checkPorts, type CheckResult } from '../../src/index.js';
import { gather } from '../../src/gather.js';
import { EXECUTABLE, registryText, tempDir, writeTree, type TreeEntry } from '../helpers.js';

const CLAIM = '/usr/local/bin/claim-port';
/** The built `ports` of this checkout (`pnpm build` first). */
const PORTS_BIN = join(import.meta.dirname, '../../../ports/bin/ports.js');
const API = 'etc/systemd/system/dsa110-api.service';
const DROP_IN_DIR = 'etc/systemd/system/dsa110-api.service.d';
/** Where the registry lies in the root, and so its name on the system booted from it. */
const REGISTRY = '/etc/dsa110/ports.yaml';
const TEXT = registryText([{ id: 'api', port: 8000, robust: true, unit: 'dsa110-api.service', claim: 'unit', processes: ['python3'] }]);

const unit = (...lines: string[]) => `[Unit]\nDescription=test\n\n[Service]\n${lines.join('\n')}\nExecStart=/usr/bin/python3 -m api\n`;

/** A root holding claim-port, the registry at REGISTRY and `files`. */
function rootWith(files: Record<string, TreeEntry>): string {
  return writeTree(tempDir(), { 'usr/local/bin/claim-port': EXECUTABLE, [REGISTRY.slice(1)]: TEXT, ...files });
}

/** The systemd results of api, the registry named by --registry (`how: 'option'`) or $DSA110_PORTS_FILE. */
async function systemdResults(root: string, registry = join(root, REGISTRY), how: 'option' | 'env' = 'option'): Promise<CheckResult[]> {
  const named = how === 'option' ? { registry, env: {} } : { env: { DSA110_PORTS_FILE: registry } };
  const report = await checkPorts({ ...named, root, services: ['api'], firewall: false });
  return report.results.filter((result) => result.check === 'systemd');
}

const severities = (results: readonly CheckResult[]) => results.map((result) => result.severity);
const errors = (results: readonly CheckResult[]) => results.filter((result) => result.severity === 'error');

describe('the systemd check: the registry the claim line reads', () => {
  it('a claim line with no --registry reads the bundled one: an error naming the line, the registry checked here and the fix', async () => {
    const root = rootWith({ [API]: unit(`ExecStartPre=+${CLAIM} 8000`) });
    for (const how of ['option', 'env'] as const) {
      const results = await systemdResults(root, join(root, REGISTRY), how);
      expect(severities(results), how).toEqual(['ok', 'error']);
      expect(errors(results)[0]).toMatchObject({ service: 'api', port: 8000, file: `/${API}:5` });
      expect(errors(results)[0]!.reason).toBe(
        `api (8000): ExecStartPre=+${CLAIM} 8000 in /${API}:5 names no --registry and its unit sets no $DSA110_PORTS_FILE, so claim-port reads its bundled registry, not ${REGISTRY}, the registry checked here, and the two differ in what this claim uses: its services nginx, vite, grafana, vite-default, redis and 3 more (in one registry only, or on another port, port variable or unit); its reserved ranges; give it --registry ${REGISTRY}, as \`ports --registry ${join(root, REGISTRY)} systemd --root ${root}\` writes it`,
      );
    }
  });

  it('a claim line that names another registry: an error, and the report exits 1', async () => {
    const root = rootWith({ [API]: unit(`ExecStartPre=+${CLAIM} 8000 --registry /etc/dsa110/old-ports.yaml`) });
    const results = await systemdResults(root);
    expect(severities(results)).toEqual(['ok', 'error']);
    expect(errors(results)[0]!.reason).toContain(`reads --registry /etc/dsa110/old-ports.yaml, not ${REGISTRY}, the registry checked here`);
    const report = await checkPorts({ registry: join(root, REGISTRY), root, services: ['api'], firewall: false, env: {} });
    expect(report.exitCode).toBe(1);
  });

  it('the same registry spelt otherwise (`//`, `/./`, --registry=, the option before the port) is the same registry: ok', async () => {
    for (const line of [
      `ExecStartPre=+${CLAIM} 8000 --registry ${REGISTRY}`,
      `ExecStartPre=+${CLAIM} 8000 --registry //etc//dsa110/ports.yaml`,
      `ExecStartPre=+${CLAIM} 8000 --registry /etc/./dsa110/./ports.yaml`,
      `ExecStartPre=+${CLAIM} --registry=${REGISTRY} 8000`,
    ]) {
      const root = rootWith({ [API]: unit(line) });
      expect(severities(await systemdResults(root)), line).toEqual(['ok']);
      // The registry the health check is given, spelt otherwise too.
      expect(severities(await systemdResults(root, `${root}//etc/./dsa110//ports.yaml`)), line).toEqual(['ok']);
    }
  });

  it('the bundled registry (nothing named): a line that names a registry reads another, said with both ways out, as `ports systemd --check` says it (a warning: that file holds what the bundled one does)', async () => {
    const registry = await loadRegistry();
    // The registry the api line names holds what the bundled one does: its id resolves to the same port.
    const files: Record<string, TreeEntry> = {
      'usr/local/bin/claim-port': EXECUTABLE,
      'etc/dsa110/other.yaml': readFileSync(join(import.meta.dirname, '../../../../ports.yaml'), 'utf8'),
    };
    for (const entry of claimWiring(registry)) {
      const line = `${entry.line}${entry.service.id === 'api' ? ' --registry /etc/dsa110/other.yaml' : ''}`;
      files[`etc/systemd/system/${entry.claim === 'unit' ? entry.unit : entry.path}`] = entry.claim === 'unit' ? unit(line) : `[Service]\n${line}\n`;
      if (entry.claim === 'drop-in') files[`usr/lib/systemd/system/${entry.unit}`] = '[Service]\nExecStart=/usr/bin/true\n';
    }
    const report = await checkPorts({ root: writeTree(tempDir(), files), firewall: false, env: {} });
    const systemd = report.results.filter((result) => result.check === 'systemd');
    // Every line but the api's reads the bundled registry checked here; the api's reads another, whatever it holds.
    expect(systemd.filter((result) => result.service !== 'api').map((result) => result.severity)).toEqual(
      claimWiring(registry)
        .filter((entry) => entry.service.id !== 'api')
        .map(() => 'ok'),
    );
    const api = systemd.filter((result) => result.service === 'api' && result.severity === 'warning');
    expect(api.map((result) => result.reason)).toEqual([
      `api (8000): ExecStartPre=${claimWiring(registry)
        .find((entry) => entry.service.id === 'api')!
        .line.slice(
          'ExecStartPre='.length,
        )} --registry /etc/dsa110/other.yaml in /etc/systemd/system/dsa110-api.service:5 reads --registry /etc/dsa110/other.yaml, not the bundled registry, the registry checked here; the two agree on all this claim uses (the claim: policy, and the services' ports, port variables and units), so it frees the port as it would with the bundled registry, but a later change there would not reach it; ${BUNDLED_CLAIM_FIX}`,
    ]);
    expect(systemd.filter((result) => result.service === 'api').map((result) => result.severity)).toEqual(['ok', 'warning']);
  });

  it("a line reading the bundled registry where the one checked differs only in what this claim does not use (another service's unit, its config): a warning, not an error", async () => {
    // The bundled registry with Redis moved to a template unit: the api's claim of 8000 does the same with either.
    const bundled = readFileSync(join(import.meta.dirname, '../../../../ports.yaml'), 'utf8');
    const moved = bundled
      .replace('unit: redis-server.service', 'unit: redis-server@dsa110.service')
      .replace('config: /etc/redis/redis.conf', 'config: /etc/redis/redis-dsa110.conf');
    expect(moved).not.toBe(bundled);
    const root = writeTree(tempDir(), { 'usr/local/bin/claim-port': EXECUTABLE, [REGISTRY.slice(1)]: moved, [API]: unit(`ExecStartPre=+${CLAIM} 8000`) });
    const results = (await checkPorts({ registry: join(root, REGISTRY), root, services: ['api'], firewall: false, env: {} })).results.filter(
      (result) => result.check === 'systemd',
    );
    expect(severities(results)).toEqual(['ok', 'warning']);
    expect(results[1]!.reason).toContain(
      'so claim-port reads its bundled registry, not /etc/dsa110/ports.yaml, the registry checked here; the two agree on all this claim uses',
    );
    expect(results[1]!.reason).not.toContain('would not apply');
    // Its claim timeout changed too: an error, naming it.
    writeTree(root, { [REGISTRY.slice(1)]: moved.replace(/^claim:\n(?:\s.*\n)*/m, '').concat('claim:\n  timeoutSeconds: 9\n') });
    const slower = (await checkPorts({ registry: join(root, REGISTRY), root, services: ['api'], firewall: false, env: {} })).results.filter(
      (result) => result.check === 'systemd' && result.severity === 'error',
    );
    expect(slower.map((result) => result.reason)).toEqual([
      expect.stringContaining('and the two differ in what this claim uses: its claim timeout (claim.timeoutSeconds): 5 there, 9 here;'),
    ]);
  });

  it("a service id is resolved in the registry the line reads (its --registry, else the unit's $DSA110_PORTS_FILE): a port there is not the service's, or a registry claim-port cannot load, is an error", async () => {
    const other = registryText([{ id: 'api', port: 21001, robust: true, unit: 'dsa110-api.service', claim: 'unit', processes: ['python3'] }]);
    const wrongPort = `claims port 21001, but api uses port 8000; it would free the wrong port`;
    const cases: { lines: string[]; says: string; where: string }[] = [
      { lines: [`ExecStartPre=+${CLAIM} api --registry /srv/other.yaml`], says: wrongPort, where: `/${API}:5` },
      { lines: ['Environment=DSA110_PORTS_FILE=/srv/other.yaml', `ExecStartPre=+${CLAIM} api`], says: wrongPort, where: `/${API}:6` },
      {
        lines: [`ExecStartPre=+${CLAIM} api --registry=/srv/missing.yaml`],
        says: `claim-port cannot load the registry it reads, /srv/missing.yaml under ROOT: `,
        where: `/${API}:5`,
      },
    ];
    for (const { lines, says, where } of cases) {
      const root = rootWith({ 'srv/other.yaml': other, [API]: unit(...lines) });
      const expected = says.replace('ROOT', root);
      // Whatever the registry checked: the bundled one (no api there at 8000 either way), or a named one.
      const named = errors(await systemdResults(root)).find((result) => result.reason.includes(expected));
      expect(named, `${lines.join(' | ')} (named)`).toMatchObject({ file: where });
      if (says.startsWith('claim-port cannot load')) expect(named!.reason).toMatch(/no such file.*; it exits 64 and frees nothing$/);
      const bundled = await checkPorts({ root, services: ['api'], firewall: false, env: {} });
      const systemd = bundled.results.filter((result) => result.check === 'systemd');
      expect(
        systemd.some((result) => result.severity === 'ok'),
        `${lines.join(' | ')} (bundled)`,
      ).toBe(false);
      expect(errors(systemd).some((result) => result.reason.includes(says.includes('21001') ? 'claims port 21001, but api uses port' : expected))).toBe(true);
    }
  });

  it('loads each registry the lines read once, however spelt', async () => {
    const other = registryText([{ id: 'api', port: 21001, robust: true, unit: 'dsa110-api.service', claim: 'unit', processes: ['python3'] }]);
    const root = rootWith({
      'srv/other.yaml': other,
      [API]: unit(`ExecStartPre=+${CLAIM} api --registry /srv//other.yaml`, `ExecStartPre=+${CLAIM} api --registry /srv/./other.yaml`),
    });
    const registry = await loadRegistry({ path: join(root, REGISTRY) });
    const facts = await gather({ registry, root, registryPath: join(root, REGISTRY), firewall: false });
    const loaded = facts.claimRegistries!;
    expect([...loaded.keys()]).toEqual(['/srv//other.yaml', '/srv/./other.yaml']);
    expect(loaded.get('/srv//other.yaml')).toBe(loaded.get('/srv/./other.yaml'));
    expect(typeof loaded.get('/srv//other.yaml')).toBe('object');
  });

  it("a relative registry path is read from the unit's WorkingDirectory= (`/` without one), by the `+` line too; in a working directory not known here (`~`, a host specifier) it is not guessed at, and a warning says so", async () => {
    const other = registryText([{ id: 'api', port: 21001, robust: true, unit: 'dsa110-api.service', claim: 'unit', processes: ['python3'] }]);
    const wrongPort = 'claims port 21001, but api uses port 8000; it would free the wrong port';
    const root = rootWith({ 'srv/other.yaml': other, [API]: unit(`ExecStartPre=+${CLAIM} api --registry srv/other.yaml`) });
    // No WorkingDirectory=: systemd runs it in /, so srv/other.yaml is /srv/other.yaml (its id stands for 21001 there).
    let reasons = errors(await systemdResults(root)).map((result) => result.reason);
    expect(reasons).toEqual([
      expect.stringContaining(wrongPort),
      expect.stringContaining(
        `reads --registry srv/other.yaml (/srv/other.yaml: its unit sets no WorkingDirectory=, so claim-port runs in /), not ${REGISTRY}, the registry checked here`,
      ),
    ]);
    // In WorkingDirectory=, the same file.
    writeTree(root, { [API]: unit('WorkingDirectory=-/srv/', `ExecStartPre=+${CLAIM} api --registry other.yaml`) });
    reasons = errors(await systemdResults(root)).map((result) => result.reason);
    expect(reasons[0]).toContain(wrongPort);
    expect(reasons[1]).toContain(`reads --registry other.yaml (/srv/other.yaml: in WorkingDirectory=-/srv/ (/${API}:5)), not ${REGISTRY}`);
    // The registry checked, named relative to the working directory (--registry, or $DSA110_PORTS_FILE): ok.
    writeTree(root, { [API]: unit('WorkingDirectory=/etc/dsa110', `ExecStartPre=+${CLAIM} api --registry ./ports.yaml`) });
    expect(severities(await systemdResults(root))).toEqual(['ok']);
    writeTree(root, { [API]: unit('WorkingDirectory=/etc', 'Environment=DSA110_PORTS_FILE=dsa110/ports.yaml', `ExecStartPre=+${CLAIM} api`) });
    expect(severities(await systemdResults(root))).toEqual(['ok']);
    // A relative path to a file that is not there: claim-port cannot load it, said as for an absolute one.
    writeTree(root, { [API]: unit(`ExecStartPre=+${CLAIM} api --registry srv/missing.yaml`) });
    expect(errors(await systemdResults(root)).map((result) => result.reason)).toContainEqual(
      expect.stringContaining(`claim-port cannot load the registry it reads, /srv/missing.yaml under ${root}: `),
    );
    // `~` (the User='s home) or a host specifier: not guessed at; one warning line, with the line, the setting and the fix.
    const outside = join(tempDir(), 'ports.yaml');
    writeFileSync(outside, TEXT);
    for (const [setting, why] of [
      ['WorkingDirectory=~', "the home directory of the unit's User=, which this check does not look up"],
      ['WorkingDirectory=/srv/%H', 'it has %H, which this check does not resolve'],
    ] as const) {
      writeTree(root, { [API]: unit('User=api', setting, `ExecStartPre=+${CLAIM} 8000 --registry ports.yaml`) });
      const results = await systemdResults(root, outside);
      expect(severities(results), setting).toEqual(['ok', 'warning']);
      expect(results[1]).toMatchObject({ file: `/${API}:7` });
      expect(results[1]!.reason).toBe(
        `api (8000): ExecStartPre=+${CLAIM} 8000 --registry ports.yaml in /${API}:7: cannot tell which registry claim-port reads: ports.yaml is relative, so claim-port reads it from its working directory, ${setting} (/${API}:6): ${why}; give it an absolute path`,
      );
    }
  });

  it('a unit whose $DSA110_PORTS_FILE names the registry checked reads it: ok; one that names another is said with where it is set', async () => {
    const root = rootWith({ [API]: unit(`Environment=DSA110_PORTS_FILE=/etc//dsa110/ports.yaml`, `ExecStartPre=+${CLAIM} api`) });
    expect(severities(await systemdResults(root))).toEqual(['ok']);
    // Another file whose claim timeout differs: an error naming that, with both values.
    const slower = JSON.stringify({ ...JSON.parse(TEXT), claim: { timeoutSeconds: 10 } });
    writeTree(root, { 'srv/old.yaml': slower, [API]: unit(`Environment=DSA110_PORTS_FILE=/srv/old.yaml`, `ExecStartPre=+${CLAIM} api`) });
    const found = errors(await systemdResults(root));
    expect(found.map((result) => result.reason)).toEqual([
      `api (8000): ExecStartPre=+${CLAIM} api in /${API}:6 names no --registry, so claim-port reads $DSA110_PORTS_FILE=/srv/old.yaml (/${API}:5), not ${REGISTRY}, the registry checked here, and the two differ in what this claim uses: its claim timeout (claim.timeoutSeconds): 10 there, 5 here; give it --registry ${REGISTRY}, as \`ports --registry ${join(root, REGISTRY)} systemd --root ${root}\` writes it`,
    ]);
    // A copy that agrees on all the claim uses: claim-port does the same today, so a warning, saying so.
    writeTree(root, { 'srv/old.yaml': TEXT });
    const copy = await systemdResults(root);
    expect(severities(copy)).toEqual(['ok', 'warning']);
    expect(copy[1]!.reason).toContain(
      `reads $DSA110_PORTS_FILE=/srv/old.yaml (/${API}:5), not ${REGISTRY}, the registry checked here; the two agree on all this claim uses (the claim: policy, and the services' ports, port variables and units), so it frees the port as it would with ${REGISTRY}, but a later change there would not reach it; give it --registry`,
    );
    // An empty value is unset, as claim-port reads it: the bundled registry.
    writeTree(root, { [API]: unit(`Environment=DSA110_PORTS_FILE=`, `ExecStartPre=+${CLAIM} api`) });
    expect(errors(await systemdResults(root))[0]!.reason).toContain(
      'names no --registry and its unit sets no $DSA110_PORTS_FILE, so claim-port reads its bundled registry',
    );
  });

  it('a claim line naming the registry checked by another spelling (a link to it, `..`, relative from WorkingDirectory=) reads it: ok, no warning', async () => {
    const root = rootWith({ 'srv/reg.yaml': { symlink: REGISTRY } });
    for (const lines of [
      [`ExecStartPre=+${CLAIM} api --registry /srv/reg.yaml`],
      [`ExecStartPre=+${CLAIM} api --registry /etc/../etc/dsa110/ports.yaml`],
      ['WorkingDirectory=/etc', `ExecStartPre=+${CLAIM} api --registry ../etc/dsa110/ports.yaml`],
      [`Environment=DSA110_PORTS_FILE=/srv/reg.yaml`, `ExecStartPre=+${CLAIM} api`],
    ]) {
      writeTree(root, { [API]: unit(...lines) });
      expect(severities(await systemdResults(root)), lines.join(' ')).toEqual(['ok']);
    }
    // A copy is another file: still the warning that a later change there would not reach it.
    rmSync(join(root, 'srv/reg.yaml'));
    writeTree(root, { 'srv/reg.yaml': TEXT, [API]: unit(`ExecStartPre=+${CLAIM} api --registry /srv/reg.yaml`) });
    expect(severities(await systemdResults(root))).toEqual(['ok', 'warning']);
  });

  it("a chrooted claim line's registry is not the checked one by a link inside the chroot: it reads the chroot's file, said as such", async () => {
    const root = rootWith({ 'srv/jail/etc/dsa110/alias.yaml': { symlink: REGISTRY } });
    writeTree(root, { [API]: unit('RootDirectory=/srv/jail', `ExecStartPre=+${CLAIM} api --registry /etc/dsa110/alias.yaml`) });
    const reasons = (await systemdResults(root)).filter((result) => result.severity !== 'ok').map((result) => result.reason);
    expect(reasons.some((reason) => reason.includes('so /srv/jail/etc/dsa110/alias.yaml, not /etc/dsa110/ports.yaml, the registry checked here'))).toBe(true);
  });

  it("a unit that inherits $DSA110_PORTS_FILE from systemd's DefaultEnvironment= (system.conf, a drop-in) reads that registry; its own Environment= and UnsetEnvironment= still decide", async () => {
    const line = `ExecStartPre=+${CLAIM} api`;
    const root = rootWith({ 'etc/systemd/system.conf': '[Manager]\nDefaultEnvironment=DSA110_PORTS_FILE=/etc//dsa110/ports.yaml\n', [API]: unit(line) });
    expect(severities(await systemdResults(root))).toEqual(['ok']);
    // Another registry there: said with the system.conf line that sets it.
    writeTree(root, {
      'srv/old.yaml': JSON.stringify({ ...JSON.parse(TEXT), claim: { timeoutSeconds: 10 } }),
      'etc/systemd/system.conf.d/50-registry.conf': '[Manager]\nDefaultEnvironment="DSA110_PORTS_FILE=/srv/old.yaml"\n',
    });
    expect(errors(await systemdResults(root)).map((result) => result.reason)).toEqual([
      expect.stringContaining(
        `names no --registry, so claim-port reads $DSA110_PORTS_FILE=/srv/old.yaml (/etc/systemd/system.conf.d/50-registry.conf:2), not ${REGISTRY}`,
      ),
    ]);
    // The unit's own Environment= overrides it; UnsetEnvironment= undoes it (claim-port then reads its bundled registry).
    writeTree(root, { [API]: unit(`Environment=DSA110_PORTS_FILE=${REGISTRY}`, line) });
    expect(severities(await systemdResults(root))).toEqual(['ok']);
    writeTree(root, { [API]: unit('UnsetEnvironment=DSA110_PORTS_FILE', line) });
    expect(errors(await systemdResults(root))[0]!.reason).toContain(
      'names no --registry and its unit sets no $DSA110_PORTS_FILE, so claim-port reads its bundled registry',
    );
  });

  it('judges the claim line that runs: a later drop-in that replaces it decides, either way', async () => {
    const replacing = (line: string) => `[Service]\nExecStartPre=\nExecStartPre=+${CLAIM} 8000${line}\n`;
    // The unit file's line names no registry; the drop-in's, which replaces it, names this one.
    const fixed = rootWith({ [API]: unit(`ExecStartPre=+${CLAIM} 8000`), [`${DROP_IN_DIR}/50-registry.conf`]: replacing(` --registry ${REGISTRY}`) });
    const results = await systemdResults(fixed);
    expect(severities(results)).toEqual(['ok']);
    expect(results[0]!.file).toBe(`/${DROP_IN_DIR}/50-registry.conf:3`);
    // The unit file's line is right; the drop-in replaces it with one that names none: the drop-in's line is the error.
    const broken = rootWith({ [API]: unit(`ExecStartPre=+${CLAIM} 8000 --registry ${REGISTRY}`), [`${DROP_IN_DIR}/50-registry.conf`]: replacing('') });
    const found = errors(await systemdResults(broken));
    expect(found).toEqual([expect.objectContaining({ file: `/${DROP_IN_DIR}/50-registry.conf:3` })]);
    expect(found[0]!.reason).toContain('names no --registry');
    // A drop-in that adds a second claim line (no clearing line) runs both: each is judged.
    const added = rootWith({
      [API]: unit(`ExecStartPre=+${CLAIM} 8000 --registry ${REGISTRY}`),
      [`${DROP_IN_DIR}/50-again.conf`]: `[Service]\nExecStartPre=+${CLAIM} 8000 --registry /srv/ports.yaml\n`,
    });
    expect(errors(await systemdResults(added))).toEqual([expect.objectContaining({ file: `/${DROP_IN_DIR}/50-again.conf:2` })]);
  });

  it('under --root, compares with the name the booted system gives the registry, not the host path', async () => {
    // The host's path of the registry in the root is no path on the booted system: claim-port there would not find it.
    const root = rootWith({});
    writeTree(root, { [API]: unit(`ExecStartPre=+${CLAIM} 8000 --registry ${join(root, REGISTRY)}`) });
    const results = await systemdResults(root);
    expect(errors(results)[0]!.reason).toContain(`reads --registry ${join(root, REGISTRY)}, not ${REGISTRY}, the registry checked here`);
    // The root reached through a link, and a registry directory inside the root that links (relatively) elsewhere in
    // it: named as `ports systemd --root` names it, the root's real path taken off and the rest as given.
    const linked = rootWith({ 'opt/dsa110/ports.yaml': TEXT, 'etc/ports': { symlink: '../opt/dsa110' } });
    writeTree(linked, { [API]: unit(`ExecStartPre=+${CLAIM} 8000 --registry /etc/ports/ports.yaml`) });
    const link = join(tempDir(), 'root-link');
    symlinkSync(linked, link);
    const report = await checkPorts({ registry: join(linked, 'etc/ports/ports.yaml'), root: link, services: ['api'], firewall: false, env: {} });
    expect(severities(report.results.filter((result) => result.check === 'systemd'))).toEqual(['ok']);
  });

  it('under --root, a registry outside the root has no name on the booted system: no finding (no claim line could name it)', async () => {
    const root = rootWith({ [API]: unit(`ExecStartPre=+${CLAIM} 8000 --registry ${REGISTRY}`) });
    const outside = join(tempDir(), 'ports.yaml');
    writeFileSync(outside, TEXT);
    expect(severities(await systemdResults(root, outside))).toEqual(['ok']);
  });

  it('the command it says to run, run as printed, wires the claim with this registry: `ports --registry PATH systemd --root ROOT`, words the shell reads back', async () => {
    const root = writeTree(join(tempDir(), "image's root"), {
      'usr/local/bin/claim-port': EXECUTABLE,
      'usr/lib/systemd/system/redis-server.service': '[Service]\nExecStart=/usr/bin/redis-server\n',
      [API]: unit(`ExecStartPre=+${CLAIM} 8000 --registry ${REGISTRY}`),
      [REGISTRY.slice(1)]: registryText([
        { id: 'api', port: 8000, robust: true, unit: 'dsa110-api.service', claim: 'unit', processes: ['python3'] },
        { id: 'redis', port: 6379, robust: true, unit: 'redis-server.service', claim: 'drop-in', processes: ['redis-server'] },
      ]),
    });
    const registry = join(root, REGISTRY);
    const quoted = (path: string) => `'${path.replaceAll("'", "'\\''")}'`;
    const systemd = async () => (await checkPorts({ registry, root, firewall: false, env: {} })).results.filter((result) => result.check === 'systemd');
    const [missing] = errors(await systemd());
    const command = /; run `([^`]*)` and install its output$/.exec(missing!.reason)?.[1];
    expect(command).toBe(`ports --registry ${quoted(registry)} systemd --root ${quoted(root)}`);
    // A `ports` on PATH that is this checkout's, as an operator's would be.
    const bin = writeTree(tempDir(), { ports: { text: `#!/bin/sh\nexec '${process.execPath}' '${PORTS_BIN}' "$@"\n`, mode: 0o755 } });
    execFileSync('bash', ['-c', command!], { env: { ...process.env, PATH: `${bin}:${process.env.PATH}` }, stdio: 'pipe' });
    expect(severities(await systemd())).toEqual(['ok', 'ok']);
    // A unit not installed: the same command, in words.
    rmSync(join(root, 'usr/lib/systemd/system/redis-server.service'));
    rmSync(join(root, 'etc/systemd/system/redis-server.service.d'), { recursive: true });
    expect(errors(await systemd())[0]!.reason).toMatch(
      /; install the service \(its package\), and run `ports --registry .* systemd --root .*`, which writes its claim drop-in$/,
    );
  });

  it('agrees with `ports systemd`: what it writes for the registry passes; a line naming another registry fails both', async () => {
    const root = rootWith({ 'usr/lib/systemd/system/redis-server.service': '[Service]\nExecStart=/usr/bin/redis-server\n' });
    const registry = join(root, REGISTRY);
    writeFileSync(
      registry,
      registryText([
        { id: 'api', port: 8000, robust: true, unit: 'dsa110-api.service', claim: 'unit', processes: ['python3'] },
        { id: 'redis', port: 6379, robust: true, unit: 'redis-server.service', claim: 'drop-in', processes: ['redis-server'] },
      ]),
    );
    // `ports systemd` prints the unit-file line for api (claim: unit) and writes redis's drop-in.
    const printed = await runMain(portsMain, ['systemd', '--registry', registry, '--root', root]);
    expect(printed.code).toBe(0);
    const line = printed.stdout.split('\n').find((text) => text.startsWith(`ExecStartPre=+${CLAIM} 8000`))!;
    expect(line).toBe(`ExecStartPre=+${CLAIM} 8000 --registry ${REGISTRY}`);
    writeTree(root, { [API]: unit(line) });
    const both = async () => ({
      check: (await runMain(portsMain, ['systemd', '--check', '--registry', registry, '--root', root])).code,
      health: (await checkPorts({ registry, root, firewall: false, env: {} })).results.filter((result) => result.check === 'systemd'),
    });
    const good = await both();
    expect(good.check).toBe(0);
    expect(severities(good.health)).toEqual(['ok', 'ok']);
    writeTree(root, { [API]: unit(`ExecStartPre=+${CLAIM} 8000 --registry /etc/dsa110/old-ports.yaml`) });
    const bad = await both();
    expect(bad.check).toBe(1);
    expect(errors(bad.health).map((result) => result.service)).toEqual(['api']);
  });

  it("a package's claim-port.conf with no --registry (/usr/lib/.../NAME.d/claim-port.conf) is not the file to edit: the fix is the write, whose /etc claim-port.conf systemd reads in its place; /etc's own is written again; followed, the check passes", async () => {
    const packaged = 'usr/lib/systemd/system/redis-server.service.d/claim-port.conf';
    const written = 'etc/systemd/system/redis-server.service.d/claim-port.conf';
    const root = writeTree(tempDir(), {
      'usr/local/bin/claim-port': EXECUTABLE,
      'usr/lib/systemd/system/redis-server.service': '[Service]\nExecStart=/usr/bin/redis-server\n',
      [packaged]: `[Service]\nExecStartPre=+${CLAIM} 6379\n`,
      [REGISTRY.slice(1)]: registryText([
        { id: 'redis', port: 6379, robust: true, unit: 'redis-server.service', claim: 'drop-in', processes: ['redis-server'] },
      ]),
    });
    const registry = join(root, REGISTRY);
    const redis = async () =>
      (await checkPorts({ registry, root, services: ['redis'], firewall: false, env: {} })).results.filter((result) => result.check === 'systemd');
    const command = `ports --registry ${registry} systemd --root ${root}`;
    const problem = `names no --registry and its unit sets no $DSA110_PORTS_FILE, so claim-port reads its bundled registry, not ${REGISTRY}, the registry checked here, and the two differ in what this claim uses: its services nginx, vite, grafana, vite-default, redis and 3 more (in one registry only, or on another port, port variable or unit); its reserved ranges`;
    expect(errors(await redis()).map((result) => result.reason)).toEqual([
      `redis (6379): ExecStartPre=+${CLAIM} 6379 in /${packaged}:2 ${problem}; run \`${command}\`: it writes the claim with --registry ${REGISTRY} to ${join(root, written)}, ` +
        `which systemd reads in place of this file (one drop-in of each file name); systemd reads it when the system under ${root} boots`,
    ]);
    // The registry's own in /etc, read in place of the package's, without --registry (written for the bundled registry): written again.
    writeTree(root, { [written]: `[Service]\nExecStartPre=+${CLAIM} 6379\n` });
    expect(errors(await redis()).map((result) => result.reason)).toEqual([
      `redis (6379): ExecStartPre=+${CLAIM} 6379 in /${written}:2 ${problem}; run \`${command}\`, which writes its claim with --registry ${REGISTRY} there; systemd reads it when the system under ${root} boots`,
    ]);
    // Followed: the package's file untouched, /etc's read in its place.
    rmSync(join(root, written));
    expect((await runMain(portsMain, ['--registry', registry, 'systemd', '--root', root])).code).toBe(0);
    expect(readFileSync(join(root, packaged), 'utf8')).toBe(`[Service]\nExecStartPre=+${CLAIM} 6379\n`);
    expect(errors(await redis())).toEqual([]);
  });
});

// systemd.exec(5): PrivateTmp= gives the unit's programs an empty /tmp of their own, ProtectHome=yes makes /home
// inaccessible, InaccessiblePaths= a path; systemd.service(5): none of it applies to a `+` line. A claim line without
// `+` in such a unit does not find a registry there (checked with `systemd-analyze verify` on these units).
describe('the systemd check: a registry the unit hides from its claim line', () => {
  const TMP_REGISTRY = '/tmp/dsa110/ports.yaml';
  const hidden = async (...lines: string[]) => {
    const root = writeTree(tempDir(), { 'usr/local/bin/claim-port': EXECUTABLE, [TMP_REGISTRY.slice(1)]: TEXT, [API]: unit(...lines) });
    return (await systemdResults(root, join(root, TMP_REGISTRY))).map((result) => `${result.severity}: ${result.reason}`);
  };

  it('is a warning naming the setting when the line has no `+`; a `+` line reads it', async () => {
    expect(await hidden('PrivateTmp=yes', `ExecStartPre=${CLAIM} 8000 --registry ${TMP_REGISTRY}`)).toContainEqual(
      `warning: api (8000): ExecStartPre=${CLAIM} 8000 --registry ${TMP_REGISTRY} in /${API}:6 reads its registry ${TMP_REGISTRY}, but PrivateTmp=yes (/${API}:5) hides /tmp from the line (it has no \`+\`), so claim-port does not read the file there: it warns, claims a port number with its built-in protected list alone, and refuses a service id (exit 64); move the registry out of it, or the setting, or run the line with \`+\``,
    );
    expect(await hidden('InaccessiblePaths=/tmp/dsa110', `ExecStartPre=${CLAIM} 8000 --registry ${TMP_REGISTRY}`)).toContainEqual(
      expect.stringContaining('but InaccessiblePaths=/tmp/dsa110 (/etc/systemd/system/dsa110-api.service:5) hides /tmp/dsa110 from the line'),
    );
    expect(await hidden('TemporaryFileSystem=/tmp:ro', `ExecStartPre=${CLAIM} 8000 --registry ${TMP_REGISTRY}`)).toContainEqual(
      expect.stringContaining('but TemporaryFileSystem=/tmp:ro (/etc/systemd/system/dsa110-api.service:5) hides /tmp from the line'),
    );
    expect(await hidden('BindReadOnlyPaths=/srv/conf:/tmp/dsa110', `ExecStartPre=${CLAIM} 8000 --registry ${TMP_REGISTRY}`)).toContainEqual(
      expect.stringContaining(
        'but BindReadOnlyPaths=/srv/conf:/tmp/dsa110 (/etc/systemd/system/dsa110-api.service:5) mounts another file or directory at /tmp/dsa110 for the line (it has no `+`), so which registry claim-port reads there is not known here',
      ),
    );
    expect((await hidden('PrivateTmp=yes', `ExecStartPre=+${CLAIM} 8000 --registry ${TMP_REGISTRY}`)).map((line) => line.slice(0, line.indexOf(':')))).toEqual([
      'ok',
    ]);
  });

  // systemd.exec(5): TemporaryFileSystem=/var:ro with BindReadOnlyPaths=/var/lib/systemd shows the host's own files there.
  it('is no warning for a registry bound onto itself under TemporaryFileSystem=', async () => {
    const claim = `ExecStartPre=${CLAIM} 8000 --registry ${TMP_REGISTRY}`;
    expect(
      (await hidden('TemporaryFileSystem=/tmp:ro', 'BindReadOnlyPaths=-/tmp/dsa110', claim)).filter((line) => line.includes('reads its registry')),
    ).toEqual([]);
    expect(await hidden('BindReadOnlyPaths=/tmp', 'TemporaryFileSystem=/tmp/dsa110:ro', claim)).toContainEqual(
      expect.stringContaining('but TemporaryFileSystem=/tmp/dsa110:ro (/etc/systemd/system/dsa110-api.service:6) hides /tmp/dsa110 from the line'),
    );
  });
});
