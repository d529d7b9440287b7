// `ports systemd --check` judges the health check's own units
// (dsa110-port-health.service and .timer) as systemd would load them, as it
// judges the claim units: the unit systemd loads must be the written file with
// nothing over it. A drop-in that sets anything in them (their own NAME.d/, a
// dash prefix's, the type-wide service.d/ and timer.d/, an alias's), a copy in
// a unit directory read first, a mask there: each one line, exit 1. Only the
// bytes of the two files used to be compared, so all of these passed as
// "match the registry". Real files in temp dirs.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { BUNDLED_CLAIM_FIX } from '@dsa110/ports/systemd';
import { writeTree, type TreeEntry } from '../../../../../test-support/tree.js';
import { ports, requireBuilt, tempDir, type Run } from '../helpers.js';

beforeAll(requireBuilt);

const EXE = { text: '\u007fELF an executable stand-in\n', mode: 0o755 } as const;
const SERVICE = 'dsa110-port-health.service';
const TIMER = 'dsa110-port-health.timer';

/** A staged root whose claim wiring `ports systemd --check` passes once written, then `files` added. */
async function stagedRoot(files: Record<string, TreeEntry> = {}): Promise<string> {
  const root = writeTree(tempDir('dsa110-ports-health-units-'), {
    'etc/systemd/system/redis-server.service': '[Service]\nExecStart=/bin/true\n',
    'etc/systemd/system/prometheus.service': '[Service]\nExecStart=/bin/true\n',
    'etc/systemd/system/grafana-simple.service': '[Service]\nExecStartPre=+/usr/local/bin/claim-port 3030\nExecStart=/bin/true\n',
    'etc/systemd/system/dsa110-api.service': '[Service]\nExecStartPre=+/usr/local/bin/claim-port 8000\nExecStart=/bin/true\n',
    'usr/local/bin/claim-port': EXE,
    'usr/local/bin/port-health-check': EXE,
    'var/lib/prometheus/node-exporter': { dir: true },
  });
  const write = await ports(['systemd', '--root', root]);
  expect(write.code, write.stderr).toBe(0);
  return writeTree(root, files);
}

const lines = (run: Run) => run.stdout.split('\n').filter((line) => line !== '' && !line.startsWith('warning: '));

describe("ports systemd --check: the health check's units as systemd loads them", () => {
  it('--root: passes with nothing over them (a drop-in that sets nothing or resets what was never set, a masked drop-in, a lower copy)', async () => {
    const root = await stagedRoot({
      [`etc/systemd/system/${SERVICE}.d/empty.conf`]: '# nothing set here\n[Service]\n',
      [`etc/systemd/system/${TIMER}.d/masked.conf`]: { symlink: '/dev/null' },
      [`usr/lib/systemd/system/${TIMER}`]: '[Timer]\nOnBootSec=100y\n',
      // Type-wide: an empty SupplementaryGroups= resets nothing the health service has.
      'etc/systemd/system/service.d/zz.conf': '[Service]\nSupplementaryGroups=\n',
      // Type-wide, for every service (Fedora's systemd ships this one; an operator's limits): nothing of what runs or when.
      'usr/lib/systemd/system/service.d/10-timeout-abort.conf': '[Unit]\nDescription=x\n[Service]\nTimeoutStopFailureMode=abort\nMemoryMax=1G\n',
      'etc/systemd/system/timer.d/log.conf': '[Unit]\nDocumentation=man:systemd.timer(5)\n',
    });
    const run = await ports(['systemd', '--root', root, '--check']);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(run.stdout).toContain(`the health check's 2 units under ${root}/etc/systemd/system match the registry`);
  });

  it('--root: each drop-in that sets anything is one problem, with the file, what it sets and what to do', async () => {
    const root = await stagedRoot({
      [`etc/systemd/system/${SERVICE}.d/override.conf`]:
        '[Service]\nExecStart=\nExecStart=/usr/local/bin/port-health-check --registry /tmp/other.yaml --format prometheus --output /x.prom\n',
      [`etc/systemd/system/${TIMER}.d/zz.conf`]: '[Timer]\nOnUnitActiveSec=\nOnBootSec=\nOnBootSec=100y\n',
      // Type-wide, in a packaged directory; a dash prefix's, made at run time.
      'usr/lib/systemd/system/timer.d/late.conf': '[Timer]\nAccuracySec=1d\n',
      'run/systemd/system/dsa110-.service.d/env.conf': '[Service]\nEnvironment=DSA110_PORTS_FILE=/tmp/other.yaml\n',
    });
    const run = await ports(['systemd', '--root', root, '--check']);
    expect(run.code).toBe(1);
    const unitDir = `${root}/etc/systemd/system`;
    expect(lines(run)).toEqual([
      // The dash prefix's drop-in reaches the api's unit too: its claim line then reads that registry, not the bundled one.
      `dsa110-api.service: ExecStartPre=+/usr/local/bin/claim-port 8000 in /etc/systemd/system/dsa110-api.service:2 names no --registry, so claim-port reads $DSA110_PORTS_FILE=/tmp/other.yaml (/run/systemd/system/dsa110-.service.d/env.conf:2), not the bundled registry, the registry checked here: its protected processes and claim timeout would not apply; ${BUNDLED_CLAIM_FIX}`,
      `${root}/run/systemd/system/dsa110-.service.d/env.conf: a drop-in of every dsa110-*.service unit, ${SERVICE} included: it sets [Service] Environment=, over what \`ports systemd\` wrote in ${unitDir}/${SERVICE}; remove it (what the health check runs is \`ports systemd\`'s to write: give --port-health-check, --textfile, --claim-port or --registry to \`ports systemd --root ${root}\` instead)`,
      `${unitDir}/${SERVICE}.d/override.conf: a drop-in of ${SERVICE}: it sets [Service] ExecStart=, over what \`ports systemd\` wrote in ${unitDir}/${SERVICE}; remove it (what the health check runs is \`ports systemd\`'s to write: give --port-health-check, --textfile, --claim-port or --registry to \`ports systemd --root ${root}\` instead)`,
      `${root}/usr/lib/systemd/system/timer.d/late.conf: a drop-in of every .timer unit, ${TIMER} included: it sets [Timer] AccuracySec=, over what \`ports systemd\` wrote in ${unitDir}/${TIMER}; remove it (the health check's timer runs a minute after boot and every 5min, as \`ports systemd\` writes it)`,
      `${unitDir}/${TIMER}.d/zz.conf: a drop-in of ${TIMER}: it sets [Timer] OnUnitActiveSec=, [Timer] OnBootSec=, over what \`ports systemd\` wrote in ${unitDir}/${TIMER}; remove it (the health check's timer runs a minute after boot and every 5min, as \`ports systemd\` writes it)`,
    ]);
    expect(run.stdout).not.toContain('match');
    expect(run.stderr).toBe(
      `5 problems: the files match the registry, but the units systemd would load under ${root} are not the files (4) and do not claim their ports as they should (1), each listed above with what to do\n`,
    );
  });

  it('--root: a copy, a mask or an alias in a unit directory systemd reads first is a problem, even a copy of the same bytes', async () => {
    const unitDir = (root: string) => `${root}/etc/systemd/system`;
    const copy = await stagedRoot();
    writeTree(copy, { [`etc/systemd/system.control/${TIMER}`]: '[Timer]\nOnBootSec=100y\n' });
    const copied = await ports(['systemd', '--root', copy, '--check']);
    expect(copied.code).toBe(1);
    expect(lines(copied)).toEqual([
      `${copy}/etc/systemd/system.control/${TIMER}: systemd loads ${TIMER} from this copy, found before ${unitDir(copy)}/${TIMER}, which \`ports systemd\` writes, so the health check runs as the copy says; remove it (the health check's timer runs a minute after boot and every 5min, as \`ports systemd\` writes it)`,
    ]);

    const masked = await stagedRoot({ [`run/systemd/transient/${SERVICE}`]: { symlink: '/dev/null' } });
    const mask = await ports(['systemd', '--root', masked, '--check']);
    expect(mask.code).toBe(1);
    expect(lines(mask)).toEqual([
      `${masked}/run/systemd/transient/${SERVICE}: masks ${SERVICE} (systemd finds it before ${unitDir(masked)}/${SERVICE}), so the port health check never runs; remove it (\`systemctl unmask ${SERVICE}\`)`,
    ]);

    const aliased = await stagedRoot({
      'etc/systemd/system.control/other.timer': '[Timer]\nOnCalendar=yearly\n',
      [`etc/systemd/system.control/${TIMER}`]: { symlink: 'other.timer' },
    });
    const alias = await ports(['systemd', '--root', aliased, '--check']);
    expect(alias.code).toBe(1);
    expect(lines(alias)).toEqual([
      expect.stringMatching(new RegExp(`^${aliased}/etc/systemd/system.control/other.timer: systemd loads ${TIMER} from this file \\(an alias `)),
    ]);
  });

  it("--out DIR: DIR's drop-in directories are judged, as systemd would read DIR once copied into /etc/systemd/system", async () => {
    const out = tempDir('dsa110-ports-health-units-out-');
    const claimPort = join(out, 'claim-port');
    writeTree(out, { 'claim-port': EXE, 'port-health-check': EXE });
    const healthCheck = join(out, 'port-health-check');
    const args = ['systemd', '--out', join(out, 'units'), '--claim-port', claimPort, '--port-health-check', healthCheck, '--textfile', join(out, 'x.prom')];
    expect((await ports(args)).code).toBe(0);
    // The robust services' unit files are installed elsewhere: not this test's; the health units' lines alone are looked at.
    const healthLines = (run: Run) => lines(run).filter((line) => !line.includes('missing: the registry says'));
    mkdirSync(join(out, 'units/timer.d'));
    writeTree(out, { 'units/timer.d/empty.conf': '# nothing\n' });
    expect(healthLines(await ports([...args, '--check']))).toEqual([]);
    writeTree(out, {
      'units/timer.d/a.conf': '[Timer]\nOnBootSec=100y\n',
      'units/foo.timer': { symlink: TIMER },
      'units/foo.timer.d/x.conf': '[Unit]\nDescription=another\n',
    });
    const run = await ports([...args, '--check']);
    expect(run.code).toBe(1);
    const units = join(out, 'units');
    expect(healthLines(run)).toEqual([
      `${units}/timer.d/a.conf: a drop-in of every .timer unit, ${TIMER} included: it sets [Timer] OnBootSec=, over what \`ports systemd\` wrote in ${units}/${TIMER}; remove it (the health check's timer runs a minute after boot and every 5min, as \`ports systemd\` writes it)`,
      `${units}/foo.timer.d/x.conf: a drop-in of foo.timer, an alias of ${TIMER}: it sets [Unit] Description=, over what \`ports systemd\` wrote in ${units}/${TIMER}; remove it (the health check's timer runs a minute after boot and every 5min, as \`ports systemd\` writes it)`,
    ]);
  });
});
