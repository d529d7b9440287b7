// Prometheus's command line against the registry, on real trees under --root: which prometheus.yml its unit's
// ExecStart= makes it read (--config.file, resolved from WorkingDirectory=, a link to the registry's file being that
// file), and where it listens (--web.listen-address, $ARGS expanded from the unit's EnvironmentFile=), and whether
// the ARGS of the prometheus-args file the registry names reach Prometheus at all.
import { join } from 'node:path';
import { loadRegistry, parseRegistry, type Registry } from '@dsa110/ports';
import { renderSnippets } from '@dsa110/ports/render';
import { describe, expect, it } from 'vitest';
import { checkReferences } from '../../../src/checks/references.js';
import { prometheusCommand } from '../../../src/checks/references/prometheus-command.js';
import { gather } from '../../../src/gather.js';
import { tempDir, withoutRoot, writeTree, type TreeEntry } from '../../helpers.js';

const repoRoot = new URL('../../../../../', import.meta.url).pathname;
const registryText = (await import('node:fs')).readFileSync(join(repoRoot, 'ports.yaml'), 'utf8');
const registry = await loadRegistry({ path: join(repoRoot, 'ports.yaml') });
const UNIT = 'lib/systemd/system/prometheus.service';
const YML = renderSnippets(registry, 'prometheus-yml')[0]!.text;
const ARGS_FILE = 'ARGS="--web.listen-address=127.0.0.1:9090"\n';
/** Debian's prometheus.service, as the package installs it (the lines that matter here). */
const DEBIAN_UNIT = '[Service]\nUser=prometheus\nEnvironmentFile=/etc/default/prometheus\nExecStart=/usr/bin/prometheus $ARGS\n';

function tree(files: Record<string, TreeEntry>): string {
  return writeTree(tempDir(), { 'etc/prometheus/prometheus.yml': YML, 'etc/default/prometheus': ARGS_FILE, [UNIT]: DEBIAN_UNIT, ...files });
}

/** The references check's problems for Prometheus, each as `severity reason`. */
async function findings(files: Record<string, TreeEntry>, reg: Registry = registry): Promise<string[]> {
  const root = tree(files);
  const prometheus = reg.service('prometheus');
  const facts = await gather({ registry: reg, root, services: [prometheus] });
  return checkReferences(facts, prometheus)
    .map((result) => withoutRoot(result, root))
    .filter((result) => result.severity !== 'ok')
    .map((result) => `${result.severity} ${result.reason}`);
}

const AT = `/${UNIT}:4`;

describe("Prometheus's command line", () => {
  it("has $ARGS expanded from the unit's EnvironmentFile=, each flag with the variable and line that gave it", async () => {
    const root = tree({ 'etc/default/prometheus': '# Debian\nARGS="--config.file /etc/prometheus/alt.yml --web.listen-address=:9091"\n' });
    const facts = await gather({ registry, root, services: [registry.service('prometheus')] });
    const command = prometheusCommand(facts, registry.service('prometheus'));
    expect(command?.line.argv).toEqual(['/usr/bin/prometheus', '--config.file', '/etc/prometheus/alt.yml', '--web.listen-address=:9091']);
    const from = { variable: 'ARGS', written: '$ARGS', file: '/etc/default/prometheus', line: 2 };
    expect(command?.flags).toEqual({
      'config.file': [{ value: '/etc/prometheus/alt.yml', from }],
      'web.listen-address': [{ value: ':9091', from }],
      'web.config.file': [],
    });
  });

  it("passes Debian's unit with the files `ports snippet` prints", async () => {
    expect(await findings({})).toEqual([]);
    // Its default --config.file is the registry's prometheus.yml; a link to it, or a relative path to it from WorkingDirectory=, is it.
    expect(
      await findings({
        [UNIT]: DEBIAN_UNIT.replace('$ARGS', '--config.file=/etc/prometheus/link.yml $ARGS'),
        'etc/prometheus/link.yml': { symlink: 'prometheus.yml' },
      }),
    ).toEqual([]);
    expect(
      await findings({
        [UNIT]: DEBIAN_UNIT.replace('$ARGS', '--config.file prometheus.yml $ARGS'),
        [`${UNIT}.d/wd.conf`]: '[Service]\nWorkingDirectory=/etc/prometheus\n',
      }),
    ).toEqual([]);
    // Quotes in ARGS are systemd's to remove when it splits $ARGS: Prometheus gets the path and address without them.
    const quoted = "ARGS=\"--config.file='/etc/prometheus/prometheus.yml' --web.page-title='DSA 110' --web.listen-address='127.0.0.1:9090'\"\n";
    expect(await findings({ 'etc/default/prometheus': quoted })).toEqual([]);
  });

  it('warns when --config.file names another file than the registry, with both ways out; says nothing of a path it cannot resolve', async () => {
    expect(await findings({ [UNIT]: DEBIAN_UNIT.replace('$ARGS', '--config.file=/etc/prometheus/alt.yml $ARGS') })).toEqual([
      `warning prometheus (9090): ${AT}: Prometheus reads /etc/prometheus/alt.yml (its --config.file), not /etc/prometheus/prometheus.yml, the prometheus-yml file this check read (its findings are about a file Prometheus does not read); point --config.file at /etc/prometheus/prometheus.yml in its ExecStart=, or give Prometheus config: /etc/prometheus/alt.yml in the registry`,
    ]);
    // Relative: from WorkingDirectory= (systemd's / without one).
    expect(await findings({ [UNIT]: DEBIAN_UNIT.replace('$ARGS', '--config.file prometheus.yml $ARGS') })).toEqual([
      expect.stringContaining(`${AT}: Prometheus reads /prometheus.yml (--config.file=prometheus.yml), not /etc/prometheus/prometheus.yml`),
    ]);
    // From $ARGS: the fix names the line that sets it.
    expect(await findings({ 'etc/default/prometheus': 'ARGS="--web.listen-address=127.0.0.1:9090 --config.file=/srv/p.yml"\n' })).toEqual([
      `warning prometheus (9090): ${AT}: Prometheus reads /srv/p.yml (its --config.file, from $ARGS, set at /etc/default/prometheus:1), not /etc/prometheus/prometheus.yml, the prometheus-yml file this check read (its findings are about a file Prometheus does not read); point --config.file at /etc/prometheus/prometheus.yml in ARGS at /etc/default/prometheus:1, or give Prometheus config: /srv/p.yml in the registry`,
    ]);
    // WorkingDirectory=~: the directory is not known here, so neither is the file.
    expect(
      await findings({ [UNIT]: DEBIAN_UNIT.replace('$ARGS', '--config.file prometheus.yml $ARGS'), [`${UNIT}.d/wd.conf`]: '[Service]\nWorkingDirectory=~\n' }),
    ).toEqual([]);
  });

  it('reads an @file argument as Prometheus 2.42 does: a line an argument, # lines skipped, nested, from inside the root, placed at its line and column', async () => {
    const viaArgs = (lines: string, more: Record<string, TreeEntry> = {}) =>
      findings({ 'etc/default/prometheus': 'ARGS="@/etc/prometheus/args"\n', 'etc/prometheus/args': lines, ...more });
    // `prometheus @args` with these lines listens on 127.0.0.1 (checked on loopback high ports).
    expect(await viaArgs('# where it listens\n--web.listen-address=127.0.0.1:9090\n')).toEqual([]);
    expect(await viaArgs('@/etc/prometheus/more\r\n', { 'etc/prometheus/more': '--web.listen-address\n127.0.0.1:9090' })).toEqual([]);
    expect(await viaArgs('--web.listen-address=127.0.0.1:9091\n')).toEqual([
      'error prometheus (9090): /etc/prometheus/args:1:22: --web.listen-address=127.0.0.1:9091, but the registry says Prometheus uses port 9090; write --web.listen-address=127.0.0.1:9090 at /etc/prometheus/args:1, or give Prometheus port: 9091 in the registry',
    ]);
    // Its --config.file, held as the ExecStart= line's is.
    expect(
      await findings({ [UNIT]: DEBIAN_UNIT.replace('$ARGS', '@/etc/prometheus/flags $ARGS'), 'etc/prometheus/flags': '--config.file=/srv/p.yml\n' }),
    ).toEqual([
      'warning prometheus (9090): /etc/prometheus/flags:1:15: Prometheus reads /srv/p.yml (its --config.file), not /etc/prometheus/prometheus.yml, the prometheus-yml file this check read (its findings are about a file Prometheus does not read); point --config.file at /etc/prometheus/prometheus.yml at /etc/prometheus/flags:1, or give Prometheus config: /srv/p.yml in the registry',
    ]);
    // Not there: Prometheus exits ("failed to open arguments file"). One it cannot read here: unknown, saying why.
    const gone = `error prometheus (9090): ${AT}: Prometheus refuses its command line: its argument @/etc/prometheus/flags names /etc/prometheus/flags, which is not there ("failed to open arguments file"), and exits at start; create that file or correct the argument`;
    expect(await findings({ [UNIT]: DEBIAN_UNIT.replace('$ARGS', '@/etc/prometheus/flags $ARGS') })).toEqual([gone, gone]);
    const unknown = `unknown prometheus (9090): ${AT}: Prometheus's command line is not known, as its argument @/etc/prometheus/args names /etc/prometheus/args, which cannot be read (it is larger than 4 MiB)`;
    expect(await viaArgs('#\n'.repeat(2_200_000))).toEqual([expect.stringContaining(unknown), expect.stringContaining(unknown)]);
  });

  it("without --config.file, holds Debian's default to a registry that names another prometheus.yml", async () => {
    const other = parseRegistry(registryText.replace('config: /etc/prometheus/prometheus.yml', 'config: /etc/prometheus/dsa110.yml'), { source: 'ports.yaml' });
    expect(await findings({ 'etc/prometheus/dsa110.yml': YML }, other)).toEqual([
      `warning prometheus (9090): ${AT}: Prometheus's command line sets no --config.file, so Prometheus reads its default /etc/prometheus/prometheus.yml (Debian's build), not /etc/prometheus/dsa110.yml, the prometheus-yml file this check read (its findings are about a file Prometheus does not read); add --config.file=/etc/prometheus/dsa110.yml to its ExecStart=, or give Prometheus config: /etc/prometheus/prometheus.yml in the registry`,
    ]);
  });

  it('is an error when --config.file is given twice (in ExecStart= and in ARGS): Prometheus refuses it and exits', async () => {
    expect(
      await findings({
        [UNIT]: DEBIAN_UNIT.replace('$ARGS', '--config.file=/etc/prometheus/prometheus.yml $ARGS'),
        'etc/default/prometheus': 'ARGS="--config.file /etc/prometheus/prometheus.yml --web.listen-address=127.0.0.1:9090"\n',
      }),
    ).toEqual([
      `error prometheus (9090): ${AT}: Prometheus's command line gives --config.file 2 times (--config.file=/etc/prometheus/prometheus.yml; --config.file=/etc/prometheus/prometheus.yml (from $ARGS, set at /etc/default/prometheus:1)), which Prometheus refuses ("flag 'config.file' cannot be repeated") and exits at start; keep one`,
    ]);
  });

  it('warns when --web.listen-address is given twice, which only Prometheus 2 refuses, and holds each address', async () => {
    expect(await findings({ [UNIT]: DEBIAN_UNIT.replace('$ARGS', '--web.listen-address=0.0.0.0:9090 $ARGS') })).toEqual([
      `warning prometheus (9090): ${AT}: Prometheus's command line gives --web.listen-address 2 times (--web.listen-address=0.0.0.0:9090; --web.listen-address=127.0.0.1:9090 (from $ARGS, set at /etc/default/prometheus:1)), which Prometheus 2 refuses ("flag 'web.listen-address' cannot be repeated") and exits at start (Prometheus 3 listens on each); keep one, unless this is Prometheus 3`,
      `error prometheus (9090): ${AT}: --web.listen-address=0.0.0.0:9090 accepts connections on every address, but the registry says Prometheus is access: localhost (loopback only); write --web.listen-address=127.0.0.1:9090 in its ExecStart=, or give Prometheus access: private or public in the registry`,
    ]);
  });

  it("holds a --web.listen-address of ExecStart= itself to the registry's port and access at the unit's line; the file's lack of one is then no finding", async () => {
    const unit = (listen: string) => ({ [UNIT]: DEBIAN_UNIT.replace('$ARGS', `--web.listen-address=${listen} $ARGS`), 'etc/default/prometheus': 'ARGS=""\n' });
    expect(await findings(unit('127.0.0.1:9090'))).toEqual([]);
    expect(await findings(unit('127.0.0.1:9091'))).toEqual([
      `error prometheus (9090): ${AT}: --web.listen-address=127.0.0.1:9091, but the registry says Prometheus uses port 9090; write --web.listen-address=127.0.0.1:9090 in its ExecStart=, or give Prometheus port: 9091 in the registry`,
    ]);
    expect(await findings(unit('0.0.0.0:9090'))).toEqual([
      `error prometheus (9090): ${AT}: --web.listen-address=0.0.0.0:9090 accepts connections on every address, but the registry says Prometheus is access: localhost (loopback only); write --web.listen-address=127.0.0.1:9090 in its ExecStart=, or give Prometheus access: private or public in the registry`,
    ]);
  });

  it('keeps the host of a --web.listen-address on another port where the access allows it, changing only the port; a host it does not allow is replaced', async () => {
    // A private Prometheus on one address of the host: the fix must not widen it to every address.
    const text = registryText.replace(/(\n {2}- id: prometheus\n(?: {4}.*\n)*? {4}access:) localhost/, '$1 private');
    const wide = parseRegistry(text, { source: 'ports.yaml' });
    expect(wide.service('prometheus').access).toBe('private');
    const unit = (listen: string) => ({ [UNIT]: DEBIAN_UNIT.replace('$ARGS', `--web.listen-address=${listen} $ARGS`), 'etc/default/prometheus': 'ARGS=""\n' });
    expect(await findings(unit('10.0.0.5:9091'), wide)).toEqual([
      `error prometheus (9090): ${AT}: --web.listen-address=10.0.0.5:9091, but the registry says Prometheus uses port 9090; write --web.listen-address=10.0.0.5:9090 in its ExecStart=, or give Prometheus port: 9091 in the registry`,
    ]);
    expect(await findings(unit('[fd00::5]:9091'), wide)).toEqual([
      `error prometheus (9090): ${AT}: --web.listen-address=[fd00::5]:9091, but the registry says Prometheus uses port 9090; write --web.listen-address=[fd00::5]:9090 in its ExecStart=, or give Prometheus port: 9091 in the registry`,
    ]);
    // Loopback only, for a private service: the address of its access, and the reach finding says why.
    expect(await findings(unit('127.0.0.1:9091'), wide)).toEqual([
      `error prometheus (9090): ${AT}: --web.listen-address=127.0.0.1:9091, but the registry says Prometheus uses port 9090; write --web.listen-address=0.0.0.0:9090 in its ExecStart=, or give Prometheus port: 9091 in the registry`,
      `error prometheus (9090): ${AT}: --web.listen-address=127.0.0.1:9091 accepts connections from this host only, but the registry says Prometheus is access: private (every address; the firewall narrows it); write --web.listen-address=0.0.0.0:9090 in its ExecStart=, or give Prometheus access: localhost in the registry`,
    ]);
  });

  it("takes the first word of $ARGS, as systemd splits it, for the value of the line's own flag before it, which the command line holds (checked with Prometheus 2.42)", async () => {
    const unit = (flag: string, args: string) => ({ [UNIT]: DEBIAN_UNIT.replace('$ARGS', `${flag} $ARGS`), 'etc/default/prometheus': `ARGS="${args}"\n` });
    const listen = (args: string) => unit('--web.listen-address', args);
    // `prometheus --web.listen-address 127.0.0.1:29093 --web.page-title=x` listens on 127.0.0.1:29093.
    expect(await findings(listen('127.0.0.1:9090 --web.page-title=x'))).toEqual([]);
    expect(await findings(listen('127.0.0.1:9091'))).toEqual([
      `error prometheus (9090): ${AT}: --web.listen-address=127.0.0.1:9091 (from $ARGS, set at /etc/default/prometheus:1), but the registry says Prometheus uses port 9090; make ARGS at /etc/default/prometheus:1 start with 127.0.0.1:9090 (the --web.listen-address before $ARGS in its ExecStart= takes its first word as its value), or give Prometheus port: 9091 in the registry`,
    ]);
    // An empty ARGS gives no word: the flag has no value ("expected argument for flag '--web.listen-address'"), and Prometheus exits.
    expect(await findings(listen(''))).toEqual([
      `error prometheus (9090): ${AT}: Prometheus's command line gives --web.listen-address no value (nothing follows it), which Prometheus refuses ("expected argument for flag '--web.listen-address'") and exits at start; write --web.listen-address=127.0.0.1:9090 in its ExecStart=`,
    ]);
    // Nor is a word starting with - its value: the file's own --web.listen-address=... does not save it.
    expect(await findings(listen('--web.listen-address=127.0.0.1:9090'))).toEqual([
      `error prometheus (9090): ${AT}: Prometheus's command line gives --web.listen-address no value (the word after it, --web.listen-address=127.0.0.1:9090 (from $ARGS, set at /etc/default/prometheus:1), starts with -), which Prometheus refuses ("expected argument for flag '--web.listen-address'") and exits at start; remove the bare --web.listen-address in its ExecStart=`,
    ]);
    expect(await findings(unit('--config.file', '/etc/prometheus/alt.yml --web.listen-address=127.0.0.1:9090'))).toEqual([
      `warning prometheus (9090): ${AT}: Prometheus reads /etc/prometheus/alt.yml (its --config.file, from $ARGS, set at /etc/default/prometheus:1), not /etc/prometheus/prometheus.yml, the prometheus-yml file this check read (its findings are about a file Prometheus does not read); make ARGS at /etc/default/prometheus:1 start with /etc/prometheus/prometheus.yml (the --config.file before $ARGS in its ExecStart= takes its first word as its value), or give Prometheus config: /etc/prometheus/alt.yml in the registry`,
    ]);
  });

  // biome-ignore lint/suspicious/noTemplateCurlyInString: systemd's ${ARGS}, as a unit writes it
  it('takes all of ${ARGS} in a word (one argument, not split) for the value of the flag before it, and says so, quoting it as written', async () => {
    // biome-ignore lint/suspicious/noTemplateCurlyInString: systemd's ${ARGS}, as a unit writes it
    const listen = (args: string) => ({ [UNIT]: DEBIAN_UNIT.replace('$ARGS', '--web.listen-address ${ARGS}'), 'etc/default/prometheus': `ARGS="${args}"\n` });
    const reaches =
      // biome-ignore lint/suspicious/noTemplateCurlyInString: systemd's ${ARGS}, as a unit writes it
      "warning prometheus (9090): /lib/systemd/system/prometheus.service:4: the ARGS of /etc/default/prometheus do not reach Prometheus: this ExecStart= passes them as ${ARGS}, which systemd hands Prometheus as one argument, not split into words (only a word that is $ARGS alone is), so this check holds Prometheus's command line instead of that file; write $ARGS, a word of its own, for ${ARGS}, or remove the prometheus-args entry from Prometheus's configs: in the registry";
    // Following the advice (ARGS exactly the address) passes, but for the warning that the file's ARGS are no words of their own.
    expect(await findings(listen('127.0.0.1:9090'))).toEqual([]);
    expect(await findings(listen('127.0.0.1:9090 --web.page-title=x'))).toEqual([
      reaches,
      `warning prometheus (9090): ${AT}: --web.listen-address=127.0.0.1:9090 --web.page-title=x (from \${ARGS}, set at /etc/default/prometheus:1): "9090 --web.page-title=x" is not a port (1 to 65535), so Prometheus cannot listen there and exits at start; make ARGS at /etc/default/prometheus:1 exactly 127.0.0.1:9090 (the --web.listen-address before \${ARGS} in its ExecStart= takes all of it as its value: systemd hands \${ARGS} in a word over as one argument, not split into words)`,
    ]);
  });

  it("says once what the ARGS file that reaches Prometheus says wrong, at the file's line", async () => {
    expect(await findings({ 'etc/default/prometheus': 'ARGS="--web.listen-address=127.0.0.1:9091"\n' })).toEqual([
      'error prometheus (9090): /etc/default/prometheus:1:28: --web.listen-address=127.0.0.1:9091, but the registry says Prometheus uses port 9090; write the ARGS line `ports snippet prometheus-args` prints, or give Prometheus port: 9091 in the registry',
    ]);
    // Debian's own ARGS="": Prometheus listens on every address, where the registry says localhost only.
    expect(await findings({ 'etc/default/prometheus': 'ARGS=""\n' })).toEqual([
      'error prometheus (9090): /etc/default/prometheus: sets no --web.listen-address, so Prometheus listens on its default 0.0.0.0:9090, which accepts connections on every address, but the registry says Prometheus is access: localhost (loopback only); write the ARGS line `ports snippet prometheus-args` prints, or give Prometheus access: private or public in the registry',
    ]);
  });

  it("says when the file's ARGS do not reach Prometheus, and holds its command line instead", async () => {
    // No EnvironmentFile=: the file's right address is not Prometheus's, which listens on its default.
    expect(await findings({ [UNIT]: '[Service]\nUser=prometheus\n\nExecStart=/usr/bin/prometheus $ARGS\n' })).toEqual([
      `warning prometheus (9090): ${AT}: the ARGS of /etc/default/prometheus do not reach Prometheus: prometheus.service reads no EnvironmentFile=/etc/default/prometheus, so this check holds Prometheus's command line instead of that file; add EnvironmentFile=/etc/default/prometheus to its [Service] (as Debian's prometheus.service does), or remove the prometheus-args entry from Prometheus's configs: in the registry`,
      `error prometheus (9090): ${AT}: sets no --web.listen-address, so Prometheus listens on its default 0.0.0.0:9090, which accepts connections on every address, but the registry says Prometheus is access: localhost (loopback only); write --web.listen-address=127.0.0.1:9090 in its ExecStart=, or give Prometheus access: private or public in the registry`,
    ]);
    // The file is read, but ExecStart= does not pass $ARGS.
    expect(await findings({ [UNIT]: DEBIAN_UNIT.replace('$ARGS', '--web.listen-address=127.0.0.1:9090') })).toEqual([
      `warning prometheus (9090): ${AT}: the ARGS of /etc/default/prometheus do not reach Prometheus: this ExecStart= does not pass $ARGS, so this check holds Prometheus's command line instead of that file; add $ARGS to it (as Debian's prometheus.service does), or remove the prometheus-args entry from Prometheus's configs: in the registry`,
    ]);
    // Another EnvironmentFile= after it sets ARGS again: its value is Prometheus's, held at the unit's line.
    expect(
      await findings({
        [UNIT]: DEBIAN_UNIT.replace('ExecStart', 'EnvironmentFile=/etc/prometheus/args\nExecStart'),
        'etc/prometheus/args': 'ARGS="--web.listen-address=127.0.0.1:9091"\n',
      }),
    ).toEqual([
      `warning prometheus (9090): /${UNIT}:5: the ARGS of /etc/default/prometheus do not reach Prometheus: ARGS is set again at /etc/prometheus/args:1, which wins, so this check holds Prometheus's command line instead of that file; remove that ARGS, or give Prometheus's prometheus-args entry path: /etc/prometheus/args in the registry`,
      `error prometheus (9090): /${UNIT}:5: --web.listen-address=127.0.0.1:9091 (from $ARGS, set at /etc/prometheus/args:1), but the registry says Prometheus uses port 9090; write --web.listen-address=127.0.0.1:9090 in ARGS at /etc/prometheus/args:1, or give Prometheus port: 9091 in the registry`,
    ]);
  });
});

describe(`\${ARGS}, which systemd does not split`, () => {
  it('is one argument: the ARGS of the file are said not to reach Prometheus as flags, and held as Prometheus gets them', async () => {
    // Prometheus 2.42 given '--web.listen-address=127.0.0.1:29090 --web.enable-lifecycle' as one argument exits 2:
    // parse external URL "": ... invalid port ":29090 --web.enable-lifecycle" after host.
    const braced = { [UNIT]: DEBIAN_UNIT.replace('$ARGS', `--config.file=/etc/prometheus/prometheus.yml \${ARGS}`) };
    expect(await findings({ ...braced, 'etc/default/prometheus': 'ARGS="--web.listen-address=127.0.0.1:9090 --web.enable-lifecycle"\n' })).toEqual([
      `warning prometheus (9090): ${AT}: the ARGS of /etc/default/prometheus do not reach Prometheus: this ExecStart= passes them as \${ARGS}, which systemd hands Prometheus as one argument, not split into words (only a word that is $ARGS alone is), so this check holds Prometheus's command line instead of that file; write $ARGS, a word of its own, for \${ARGS}, or remove the prometheus-args entry from Prometheus's configs: in the registry`,
      expect.stringContaining(`${AT}: --web.listen-address=127.0.0.1:9090 --web.enable-lifecycle (from \${ARGS}, set at /etc/default/prometheus:1): `),
    ]);
    // One word, as the snippet writes it: the same split or not, so it reaches Prometheus as written.
    expect(await findings(braced)).toEqual([]);
  });
});

describe('the : prefix, with which systemd expands no variable', () => {
  it('leaves $ARGS as written: Prometheus 2.42 refuses it ("unexpected $ARGS") and exits, said with the prefix to remove', async () => {
    expect(await findings({ [UNIT]: DEBIAN_UNIT.replace('ExecStart=/usr/bin/prometheus', 'ExecStart=:/usr/bin/prometheus') })).toEqual([
      `error prometheus (9090): ${AT}: the ARGS of /etc/default/prometheus do not reach Prometheus: the : prefix of this ExecStart= stops systemd expanding variables, so Prometheus gets the word $ARGS as written, which it refuses ("unexpected $ARGS") and exits at start; remove the : prefix`,
    ]);
  });
});

describe('a registry with no prometheus-args entry', () => {
  it("holds Prometheus's listen address as its command line gives it, with its prometheus-yml", async () => {
    const yml = parseRegistry(registryText.replace('      - { kind: prometheus-args }\n', ''), { source: 'ports.yaml' });
    expect(yml.service('prometheus').configs.map((ref) => ref.kind)).toEqual(['prometheus-yml']);
    expect(await findings({ 'etc/default/prometheus': 'ARGS="--web.listen-address=127.0.0.1:9090"\n' }, yml)).toEqual([]);
    expect(await findings({ 'etc/default/prometheus': 'ARGS="--web.listen-address=localhost:9091"\n' }, yml)).toEqual([
      `error prometheus (9090): ${AT}: --web.listen-address=localhost:9091 (from $ARGS, set at /etc/default/prometheus:1), but the registry says Prometheus uses port 9090; write --web.listen-address=localhost:9090 in ARGS at /etc/default/prometheus:1, or give Prometheus port: 9091 in the registry`,
    ]);
  });
});

describe("Prometheus's command line, when a file the registry names is not there", () => {
  it('still holds the listen address the command line gives: it overrides any file', async () => {
    const withoutArgs = async (unit: string) => {
      const root = writeTree(tempDir(), { 'etc/prometheus/prometheus.yml': YML, [UNIT]: unit });
      const prometheus = registry.service('prometheus');
      const facts = await gather({ registry, root, services: [prometheus] });
      return checkReferences(facts, prometheus)
        .map((result) => withoutRoot(result, root))
        .filter((result) => result.severity !== 'ok')
        .map((result) => `${result.severity} ${result.reason}`);
    };
    const unread = expect.stringMatching(/^unknown prometheus \(9090\): cannot check prometheus-args \/etc\/default\/prometheus under .+: no such file$/);
    const wrong = (at: string) => [
      expect.stringMatching(
        new RegExp(`^error prometheus \\(9090\\): ${at}: --web.listen-address=0\\.0\\.0\\.0:9091, but the registry says Prometheus uses port 9090; `),
      ),
      expect.stringMatching(new RegExp(`^error prometheus \\(9090\\): ${at}: --web.listen-address=0\\.0\\.0\\.0:9091 accepts connections on every address`)),
    ];
    // The unit reads no ARGS file: that is said, and the command line is held whole.
    expect(await withoutArgs('[Service]\nExecStart=/usr/bin/prometheus --web.listen-address=0.0.0.0:9091\n')).toEqual([
      unread,
      expect.stringContaining(
        `/${UNIT}:2: the ARGS of /etc/default/prometheus do not reach Prometheus: prometheus.service reads no EnvironmentFile=/etc/default/prometheus`,
      ),
      ...wrong(`/${UNIT}:2`),
    ]);
    // With `-`, a file not there is no error to systemd: the flags the command line gives itself are held, their lack is not.
    const optional = '[Service]\nEnvironmentFile=-/etc/default/prometheus\nExecStart=/usr/bin/prometheus';
    expect(await withoutArgs(`${optional} --web.listen-address=0.0.0.0:9091 $ARGS\n`)).toEqual([unread, ...wrong(`/${UNIT}:3`)]);
    expect(await withoutArgs(`${optional} $ARGS\n`)).toEqual([unread]);
  });
});
