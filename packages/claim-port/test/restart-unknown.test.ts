// A holder in a systemd unit whose files cannot all be read (the unit file a
// FIFO, a link to /dev/zero, a directory, too large): claim-port cannot tell
// its Restart=, says so in one warning line naming the file and what it
// assumed, and checks the guess by watching the port. Real processes in real
// cgroups made for the test (cgroup.ts), unit files in a directory given as
// $SYSTEMD_UNIT_PATH; every claim behind the guard.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isAlive, isSpawned, signal, spawnListener } from '../../../test-support/index.js';
import { recordSpawned } from '../../../test-support/guard.js';
import { cgroupsWritable, makeUnitCgroup } from '../../../test-support/cgroup.js';
import { python, RESPAWN } from './helpers.js';
import { claimOursLogged } from './started.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0).reverse()) cleanup();
});

/** A unit directory and a cgroup for `unit`, both removed after the test. */
function unitPlace(unit: string) {
  const dir = mkdtempSync(join(tmpdir(), 'claim-port-restart-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const cgroup = makeUnitCgroup(unit)!;
  cleanups.push(() => cgroup.remove());
  return { dir, cgroup };
}

const unreadable: [string, (path: string) => void, string][] = [
  ['a FIFO', (path) => expect(spawnSync('mkfifo', [path]).status).toBe(0), 'it is a FIFO (named pipe), not a regular file'],
  ['a link to /dev/zero', (path) => symlinkSync('/dev/zero', path), 'it is a character device, not a regular file'],
  ['a directory', (path) => mkdirSync(path), 'it is a directory, not a regular file'],
  [
    'larger than 1 MiB',
    (path) => writeFileSync(path, `[Service]\nExecStart=/bin/true\nRestart=always\n${'#'.repeat(1024 * 1024)}\n`),
    'it is larger than 1 MiB',
  ],
];

describe.skipIf(!cgroupsWritable)('a unit whose Restart= cannot be read: one warning, what was assumed, and a watch on the guess', () => {
  it.each(unreadable)('the unit file is %s: assumed Restart=no, the holder is signalled, and the warning names the file', async (_, make, reason) => {
    const unit = `claim-port-unknown-${process.pid}-${Math.random().toString(36).slice(2, 8)}.service`;
    const { dir, cgroup } = unitPlace(unit);
    make(join(dir, unit));
    const server = await spawnListener();
    cgroup.move(server.pid);
    const { result, warnings } = await claimOursLogged(server.port, { env: { SYSTEMD_UNIT_PATH: dir }, settleMs: 100 });
    expect(result.action).toBe('freed');
    expect(isAlive(server.pid)).toBe(false);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain(`cannot tell the Restart= of ${unit}: ${join(dir, unit)}: cannot read: ${reason}`);
    expect(warnings[0]).toContain("assuming Restart=no (systemd's default, as no file of the unit could be read)");
    expect(warnings[0]).toContain('watched for 100 ms');
  });

  it('the file name is escaped: a unit directory named with a terminal escape sequence', async () => {
    // A unit's own name cannot hold one (systemd names a unit in letters, digits and `:-_.\@`; a cgroup named so is no unit).
    const unit = `claim-port-escaped-${process.pid}.service`;
    const { cgroup } = unitPlace(unit);
    const dir = mkdtempSync(join(tmpdir(), 'claim-port-\x1b[31m-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    expect(spawnSync('mkfifo', [join(dir, unit)]).status).toBe(0);
    const server = await spawnListener();
    cgroup.move(server.pid);
    const { result, warnings } = await claimOursLogged(server.port, { env: { SYSTEMD_UNIT_PATH: dir }, settleMs: 100 });
    expect(result.action).toBe('freed');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).not.toContain('\x1b');
    expect(warnings[0]).toContain(`${dir.replace('\x1b', '\\e')}/${unit}: cannot read: it is a FIFO`);
  });

  it('a readable drop-in says Restart=always but the unit file is a FIFO: assumed to restart, refused, with the warning', async () => {
    const unit = `claim-port-unknown-${process.pid}-always.service`;
    const { dir, cgroup } = unitPlace(unit);
    expect(spawnSync('mkfifo', [join(dir, unit)]).status).toBe(0);
    mkdirSync(join(dir, `${unit}.d`));
    writeFileSync(join(dir, `${unit}.d`, 'restart.conf'), '[Service]\nRestart=always\n');
    const server = await spawnListener();
    cgroup.move(server.pid);
    const { result, warnings } = await claimOursLogged(server.port, { env: { SYSTEMD_UNIT_PATH: dir } });
    expect(result.action).toBe('refused');
    expect(isAlive(server.pid)).toBe(true);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain(`${join(dir, unit)}: cannot read: it is a FIFO`);
    expect(warnings[0]).toContain(
      `assuming Restart=always (${join(dir, `${unit}.d`, 'restart.conf')}), which would start its processes again: they are not signalled`,
    );
  });

  it('the guess was wrong: a new holder in the same unit takes the port back within the watch, and the claim fails naming the unit', async () => {
    const unit = `claim-port-unknown-${process.pid}-retake.service`;
    const { dir, cgroup } = unitPlace(unit);
    symlinkSync('/dev/zero', join(dir, unit));
    const server = await spawnListener();
    cgroup.move(server.pid);
    // What systemd's Restart= would do: once the holder is gone, another process of the unit listens on the same port.
    // Started (and moved into the unit) before the claim, so that a loaded machine's slow start-up cannot outlast the watch.
    const again = spawn(python, ['-c', RESPAWN, String(server.pid), String(server.port)], { stdio: ['ignore', 'pipe', 'pipe'] });
    recordSpawned(again.pid!);
    cleanups.push(() => {
      if (isSpawned(again.pid!) && isAlive(again.pid!)) signal(again.pid!, 'SIGKILL');
    });
    cgroup.move(again.pid!);
    const { result, lines } = await claimOursLogged(server.port, { env: { SYSTEMD_UNIT_PATH: dir }, settleMs: 10_000 });
    expect(lines.some((line) => line.includes(`watching port ${server.port} for 10000 ms: the Restart= of ${unit} is not known`))).toBe(true);
    expect(result.action).toBe('failed');
    expect(result.message).toContain(`taken again by PID ${again.pid}`);
    expect(result.message).toContain(`stop ${unit} first`);
  });
});
