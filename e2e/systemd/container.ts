// The throwaway systemd container of the systemd suite: systemd as PID 1 of
// its own PID, mount, network, UTS and IPC namespaces, on an overlay of the
// host's / whose writable layer is a tmpfs (boot.sh does the mounts and checks
// them before it execs systemd). Never boot systemd on the host's own root: it
// empties /tmp and starts every installed daemon on the host's ports.
//
// Reached with `nsenter -t <PID> -a`; stopped by SIGKILL to that PID (the
// container's PID 1, which takes every process of its PID namespace with it),
// then to the `unshare` this file spawned. Both PIDs are recorded in the e2e
// pid records, so the global teardown kills them if this worker dies first.
import { type ChildProcess, execFile, spawn, spawnSync } from 'node:child_process';
import {
  closeSync,
  type Dirent,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, inject } from 'vitest';
import { removeRecord, startTimeOf, writeRecord } from '../support/pid-records.js';

export const BOOT_SCRIPT = fileURLToPath(new URL('./boot.sh', import.meta.url));
const SYSTEMD = '/lib/systemd/systemd';
const UNSHARE = ['--pid', '--fork', '--kill-child', '--mount', '--net', '--uts', '--ipc'];
/** The target the container boots: basic.target (journald, no daemons) and nothing else. */
export const TARGET = 'dsa110-e2e.target';
const TARGET_UNIT = `[Unit]
Description=dsa110 end-to-end container (basic.target only; the tests start the rest)
Requires=basic.target
After=basic.target
AllowIsolate=yes
`;

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
  command: string;
}

export function showRun(result: RunResult): string {
  return `$ ${result.command}\nexit ${result.code}\n--- stdout ---\n${result.stdout}\n--- stderr ---\n${result.stderr}`;
}

/** A command in the container that must succeed: its result, or a failed expectation showing the whole run. */
export function ok(result: RunResult): RunResult {
  expect(result.code, showRun(result)).toBe(0);
  return result;
}

/** The health check's --json report, as far as these suites read it. */
export interface HealthReport {
  exitCode: number;
  checks: { check: string; severity: string; service: string | null; port: number | null; reason: string; file?: string }[];
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `probe` until it returns a value (not undefined) or `ms` pass; returns the last value. */
export async function waitFor<T>(probe: () => Promise<T | undefined>, ms = 10_000): Promise<T | undefined> {
  let value: T | undefined;
  for (const deadline = Date.now() + ms; Date.now() < deadline; await sleep(100)) {
    value = await probe();
    if (value !== undefined) return value;
  }
  return value;
}

function nsLink(kind: string): string {
  return readlinkSync(`/proc/self/ns/${kind}`);
}

function bootArgs(scratch: string, stage: string): string[] {
  return [...UNSHARE, 'bash', BOOT_SCRIPT, scratch, stage, TARGET, nsLink('pid'), nsLink('mnt'), nsLink('net')];
}

/**
 * Removes the cgroups boot.sh made for a container (listed in DIR/cgroups),
 * deepest first, once its processes are gone: rmdir only removes an empty
 * cgroup, so a cgroup that still holds a process is left alone. Returns those left.
 */
export function removeCgroups(dir: string): string[] {
  let roots: string[];
  try {
    roots = readFileSync(join(dir, 'cgroups'), 'utf8')
      .split('\n')
      .filter((line) => line.startsWith('/sys/fs/cgroup/'));
  } catch {
    return [];
  }
  const left: string[] = [];
  const remove = (path: string): void => {
    let entries: Dirent[] = [];
    try {
      entries = readdirSync(path, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) if (entry.isDirectory()) remove(join(path, entry.name));
    try {
      rmdirSync(path);
    } catch {
      left.push(path);
    }
  };
  for (const root of roots) remove(root);
  return left;
}

function hasProgram(name: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' }).status === 0;
}

let cachedReason: string | null | undefined;

/**
 * Why the container cannot boot here, or undefined when it can: root, the
 * programs, and a dry run of boot.sh (the namespaces and the overlay made and
 * checked, then exit 0 instead of exec'ing systemd).
 */
export function containerSkipReason(): string | undefined {
  if (cachedReason !== undefined) return cachedReason ?? undefined;
  const reason = probe();
  cachedReason = reason ?? null;
  if (reason) console.warn(`e2e: SKIPPED the systemd container suite: ${reason}`);
  return reason;
}

function probe(): string | undefined {
  if (process.platform !== 'linux') return 'needs Linux namespaces';
  if (process.getuid?.() !== 0) return 'needs root (namespaces, mounts, systemd as PID 1): run the suite as root';
  for (const program of ['unshare', 'nsenter', 'findmnt', 'setpriv', 'curl', 'npm']) {
    if (!hasProgram(program))
      return `${program} is not installed (Debian packages util-linux and curl, and npm): run \`sudo bash scripts/install-system-packages.sh\``;
  }
  if (!existsSync(SYSTEMD)) return `${SYSTEMD} is missing: install the Debian package systemd with \`sudo bash scripts/install-system-packages.sh\``;
  const dir = mkdtempSync(join(tmpdir(), 'dsa110-systemd-probe-'));
  try {
    mkdirSync(join(dir, 'scratch'));
    mkdirSync(join(dir, 'stage'));
    const run = spawnSync('unshare', bootArgs(join(dir, 'scratch'), join(dir, 'stage')), {
      encoding: 'utf8',
      env: { ...process.env, BOOT_DRY_RUN: '1' },
      timeout: 20_000,
    });
    if (run.status !== 0) {
      const said = `${run.stderr ?? ''}${run.error ? String(run.error) : ''}`.trim().split('\n').pop();
      return `cannot make the container's namespaces and overlay here: ${said || `exit ${run.status}`}`;
    }
    return undefined;
  } finally {
    removeCgroups(dir);
    rmSync(dir, { recursive: true, force: true });
  }
}

function pidRecordDir(): string | undefined {
  try {
    return inject('e2ePidDir');
  } catch {
    return undefined;
  }
}

function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

function comm(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return undefined;
  }
}

/**
 * A file a container suite plants in the host's /tmp before it boots systemd:
 * booted on the host's own root, systemd would empty /tmp, so the file still
 * being there proves the boot stayed on its overlay.
 */
export class HostCanary {
  readonly path: string;
  readonly text: string;

  constructor(suite: string) {
    this.path = join(tmpdir(), `dsa110-${suite}-canary-${process.pid}`);
    this.text = `the ${suite} suite checks that this file survives\n`;
  }

  plant(): void {
    writeFileSync(this.path, this.text);
  }
}

/**
 * A container suite's afterAll: stop the container (removing the staging
 * directory when it never booted from it), then check that the host canary
 * survived, and remove it.
 */
export async function endContainerSuite(container: Container | undefined, dir: string | undefined, canary: HostCanary): Promise<void> {
  await container?.stop();
  expect(container === undefined || !container.running, 'the container is stopped').toBe(true);
  // Never booted (the staging failed): stop() did not remove the staging directory.
  if (container === undefined && dir !== undefined && !process.env.E2E_KEEP) rmSync(dir, { recursive: true, force: true });
  expect(existsSync(canary.path), `the canary ${canary.path} in the host's /tmp survived`).toBe(true);
  expect(readFileSync(canary.path, 'utf8')).toBe(canary.text);
  rmSync(canary.path, { force: true });
}

export class Container {
  private stopped = false;

  private constructor(
    /** The host's temp dir of this container: stage/ (bound at /opt/dsa110-e2e), scratch/, boot.log. */
    readonly dir: string,
    private readonly unshare: ChildProcess,
    /** Host PID of the container's PID 1 (systemd). */
    readonly pid: number,
  ) {}

  /** Where to put files the container sees read-only at /opt/dsa110-e2e. Fill before boot(). */
  static prepare(): string {
    const dir = mkdtempSync(join(tmpdir(), 'dsa110-systemd-e2e-'));
    mkdirSync(join(dir, 'scratch'));
    mkdirSync(join(dir, 'stage', 'units'), { recursive: true });
    writeFileSync(join(dir, 'stage', 'units', TARGET), TARGET_UNIT);
    return dir;
  }

  /** Boot systemd in `dir` (from prepare()); resolves once the target is reached. */
  static async boot(dir: string): Promise<Container> {
    const log = openSync(join(dir, 'boot.log'), 'w');
    const unshare = spawn('unshare', bootArgs(join(dir, 'scratch'), join(dir, 'stage')), { stdio: ['ignore', log, log], detached: true });
    closeSync(log);
    const records = pidRecordDir();
    const record = (pid: number, name: string) => {
      const startTime = startTimeOf(pid);
      if (records && startTime !== undefined) writeRecord(records, { pid, startTime, name });
    };
    if (unshare.pid === undefined) throw new Error('e2e: could not spawn unshare');
    record(unshare.pid, 'unshare of the systemd container');
    let exited = false;
    unshare.once('exit', () => (exited = true));
    const bootLog = () => readFileSync(join(dir, 'boot.log'), 'utf8');

    // PID 1 of the container: unshare's child, once it has exec'd systemd.
    let pid: number | undefined;
    for (const deadline = Date.now() + 20_000; Date.now() < deadline && !exited; await sleep(50)) {
      const child = childrenOf(unshare.pid)[0];
      if (child !== undefined && comm(child) === 'systemd') {
        pid = child;
        break;
      }
    }
    if (pid === undefined) {
      if (!exited) unshare.kill('SIGKILL');
      throw new Error(`e2e: the systemd container did not boot\n${bootLog()}`);
    }
    record(pid, 'systemd (PID 1 of the e2e container)');
    const container = new Container(dir, unshare, pid);
    // Ready when the target is reached: is-system-running says running (or degraded: a unit failed).
    let state = '';
    for (const deadline = Date.now() + 60_000; Date.now() < deadline; await sleep(200)) {
      state = (await container.exec(['systemctl', 'is-system-running'])).stdout.trim();
      if (state === 'running' || state === 'degraded') break;
    }
    if (state !== 'running') {
      const failed = await container.exec(['systemctl', '--failed', '--no-pager']);
      await container.stop();
      throw new Error(`e2e: the systemd container is ${state || 'not answering'}\n${failed.stdout}\n${bootLog()}`);
    }
    return container;
  }

  /** Run `argv` inside the container (all its namespaces, its root). */
  exec(argv: readonly string[], options: { timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): Promise<RunResult> {
    const command = argv.join(' ');
    return new Promise((resolve) => {
      execFile(
        'nsenter',
        ['-t', String(this.pid), '-a', '--', ...argv],
        {
          timeout: options.timeoutMs ?? 60_000,
          maxBuffer: 16 * 1024 * 1024,
          env: {
            PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
            HOME: '/root',
            PS1: '',
            LANG: 'C.UTF-8',
            SYSTEMD_COLORS: '0',
            ...options.env,
          },
        },
        (error, stdout, stderr) => {
          const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
          resolve({ code, stdout, stderr, command });
        },
      );
    });
  }

  /** A shell script inside the container (bash -euo pipefail). */
  sh(script: string, options: { timeoutMs?: number } = {}): Promise<RunResult> {
    return this.exec(['bash', '-euo', 'pipefail', '-c', script], options);
  }

  /** A unit's ActiveState, SubState, Result and MainPID, as `systemctl show` gives them. */
  async unitState(unit: string): Promise<Record<string, string>> {
    const show = await this.exec(['systemctl', 'show', '-p', 'ActiveState,SubState,Result,MainPID', unit]);
    return Object.fromEntries(
      show.stdout
        .trim()
        .split('\n')
        .map((line) => line.split('=', 2) as [string, string]),
    );
  }

  /** The journal's cursor now: what a later `journalctl --after-cursor` reads from. */
  async journalCursor(): Promise<string> {
    return (await this.exec(['journalctl', '-n', '0', '--show-cursor', '--no-pager'])).stdout.match(/-- cursor: (.*)/)?.[1] ?? '';
  }

  /** Stop: SIGKILL the container's PID 1 (its whole PID namespace dies with it), then unshare. Idempotent. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    const records = pidRecordDir();
    const unsharePid = this.unshare.pid!;
    const systemdStart = startTimeOf(this.pid);
    if (systemdStart !== undefined && childrenOf(unsharePid).includes(this.pid)) process.kill(this.pid, 'SIGKILL');
    for (const deadline = Date.now() + 10_000; Date.now() < deadline && this.unshare.exitCode === null && this.unshare.signalCode === null; ) await sleep(50);
    if (this.unshare.exitCode === null && this.unshare.signalCode === null) this.unshare.kill('SIGKILL');
    if (records) {
      removeRecord(records, this.pid);
      removeRecord(records, unsharePid);
    }
    // The container's cgroups empty out as the kernel reaps its processes: retry for a moment.
    for (const deadline = Date.now() + 5_000; removeCgroups(this.dir).length > 0 && Date.now() < deadline; ) await sleep(100);
    if (!process.env.E2E_KEEP) rmSync(this.dir, { recursive: true, force: true });
  }

  /** True while the container's PID 1 is running. */
  get running(): boolean {
    return !this.stopped && existsSync(`/proc/${this.pid}`);
  }
}
