// `ports systemd --root --check` on drop-in layouts systemd reads without a word, or would hang on: a directory named
// `*.conf` in a drop-in directory (systemd 252 reads nothing from it and skips the drop-in of its name lower in the
// search path: systemd-analyze verify), a drop-in directory that is a loop of links (nothing in it, no word), and a
// FIFO drop-in (systemd blocks opening it). Each said once, with what to do. Real staged roots in temp dirs.
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeTree } from '../../../../../test-support/tree.js';
import { ports, tempDir } from '../helpers.js';

const UNITS = ['redis-server.service', 'prometheus.service', 'grafana-simple.service', 'dsa110-api.service'];
const CLAIMED_IN_UNIT: Readonly<Record<string, number>> = { 'grafana-simple.service': 3030, 'dsa110-api.service': 8000 };
const unitFile = (unit: string, claimPort: string) => {
  const port = CLAIMED_IN_UNIT[unit];
  return `[Service]\n${port === undefined ? '' : `ExecStartPre=+${claimPort} ${port}\n`}ExecStart=/bin/true\n`;
};

/** A root with the bundled registry's units in usr/lib/systemd/system, `ports systemd --root` run over it (--check passing), then `files` added. */
async function stagedRoot(files: Parameters<typeof writeTree>[1]) {
  const root = tempDir('dsa110-ports-drop-in-layouts-');
  const claimPort = join(root, 'usr/local/bin/claim-port');
  writeTree(root, {
    'usr/local/bin/claim-port': '#!/bin/sh\nexit 0\n',
    ...Object.fromEntries(UNITS.map((unit) => [`usr/lib/systemd/system/${unit}`, unitFile(unit, claimPort)])),
  });
  chmodSync(claimPort, 0o755);
  const check = () => ports(['systemd', '--root', root, '--claim-port', claimPort, '--check']);
  expect((await ports(['systemd', '--root', root, '--claim-port', claimPort])).code).toBe(0);
  expect((await check()).code).toBe(0);
  writeTree(root, files);
  return { root, check };
}

const DIRECTORY = 'is not a file: it is a directory, which systemd reads no drop-in from (not even the files in it); systemd skips it without a word and loads';
const DIRECTORY_FIX = 'if it was meant as a drop-in, make it a file, else rename it without .conf or remove it';

describe('ports systemd --root --check: drop-in layouts systemd passes over', () => {
  it('a directory named *.conf in service.d/: one warning for every unit that reads it, naming it and what to do; --check passes', async () => {
    const { root, check } = await stagedRoot({ 'etc/systemd/system/service.d/50-local.conf/inner.conf': '[Service]\nExecStartPre=\n' });
    const run = await check();
    expect(run.code).toBe(0);
    const names = 'grafana-simple.service, redis-server.service, dsa110-api.service, prometheus.service';
    const warnings = run.stdout.split('\n').filter((line) => line.startsWith('warning: '));
    expect(warnings).toEqual([
      `warning: ${names}: its drop-in ${root}/etc/systemd/system/service.d/50-local.conf ${DIRECTORY} ${names} without its settings; ${DIRECTORY_FIX}`,
    ]);
  });

  it('a directory named *.conf hides the drop-in of its name lower down, as systemd does: a clearing line there is not read', async () => {
    const { root, check } = await stagedRoot({
      'etc/systemd/system/redis-server.service.d/zz.conf/inner.conf': '[Service]\nExecStart=/bin/true\n',
      // Read, it would clear the claim drop-in (claim-port.conf sorts before zz.conf): systemd-analyze verify skips it.
      'usr/lib/systemd/system/redis-server.service.d/zz.conf': '[Service]\nExecStartPre=\n',
    });
    const run = await check();
    expect(run.code).toBe(0);
    expect(run.stdout.split('\n').filter((line) => line.startsWith('warning: '))).toEqual([
      `warning: redis-server.service: its drop-in ${root}/etc/systemd/system/redis-server.service.d/zz.conf ${DIRECTORY} redis-server.service without its settings (nor ${root}/usr/lib/systemd/system/redis-server.service.d/zz.conf, the drop-in of its name lower in the search path, which it hides); ${DIRECTORY_FIX}`,
    ]);
  });

  it('a drop-in directory that is a loop of links: a warning naming it and what to do; --check passes', async () => {
    const { root, check } = await stagedRoot({ 'etc/systemd/system/grafana-simple.service.d': { symlink: 'grafana-simple.service.d' } });
    const run = await check();
    expect(run.code).toBe(0);
    expect(run.stdout.split('\n').filter((line) => line.startsWith('warning: '))).toEqual([
      expect.stringMatching(
        new RegExp(
          `^warning: grafana-simple\\.service: its drop-in directory ${root}/etc/systemd/system/grafana-simple\\.service\\.d cannot be opened: a loop of symbolic links.*; systemd reads no drop-in from it, without a word, and loads grafana-simple\\.service all the same; fix the link or remove it$`,
        ),
      ),
    ]);
  });

  it('a FIFO drop-in: its line says what to do (systemd would block reading it); --check fails (what it sets cannot be told)', async () => {
    const { check, root } = await stagedRoot({});
    const dir = join(root, 'etc/systemd/system/redis-server.service.d');
    mkdirSync(dir, { recursive: true });
    execFileSync('mkfifo', [join(dir, 'zz.conf')]);
    const run = await check();
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(
      'redis-server.service: cannot read part of the unit: /etc/systemd/system/redis-server.service.d/zz.conf: cannot read: it is a FIFO (named pipe), not a regular file, which systemd would block reading; make it a regular file, or remove it\n',
    );
  });
});
