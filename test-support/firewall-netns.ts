// A firewall proved on real kernels, for the `ports firewall` test and the
// health check's: firewall/netns.sh loads an nft ruleset in a network
// namespace made for the run (and that dies with it), with a veth pair to a
// second namespace acting as an outside host, listens on the given ports,
// connects from outside before and after the ruleset loads, and can then run
// a command inside the firewalled namespace (the health check). The whole run
// is PID 1 of its own PID namespace (unshare --kill-child): when it ends or is
// killed, every process it started dies, and the namespaces with them. Its
// PID is recorded with the guard, which alone may signal it.
import { spawn } from 'node:child_process';
import { readlinkSync } from 'node:fs';
import { basename, join } from 'node:path';
import { hasCommand } from './commands.js';
import { forgetSpawned, recordSpawned, signal } from './guard.js';

/** Whether this machine can run it: root, nft, unshare, nsenter, ip and python3. */
export const canRunFirewallNetns =
  process.getuid?.() === 0 && ['nft', 'unshare', 'nsenter', 'python3'].every((command) => hasCommand(command, ['--version'])) && hasCommand('ip', ['-V']);

export interface FirewallNetnsOptions {
  /** The nft ruleset file to load. */
  readonly rules: string;
  readonly ports: readonly number[];
  /** Where the server listens: `::` (default, IPv4 too) or `0.0.0.0`. */
  readonly listen?: '::' | '0.0.0.0';
  /** A shell command run in the firewalled namespace once the ruleset is loaded and probed (its stdout is `output`). */
  readonly command?: string;
  readonly timeoutMs?: number;
}

export interface FirewallNetnsRun {
  /** `PHASE FAMILY KIND PORT` (e.g. `after v4 public 6379`) to `open` or `closed`. */
  readonly seen: ReadonlyMap<string, string>;
  /** The stdout of `command`. */
  readonly output: string;
}

export function runFirewallNetns(options: FirewallNetnsOptions): Promise<FirewallNetnsRun> {
  return runNetnsScript({
    script: join(import.meta.dirname, 'firewall/netns.sh'),
    args: [options.rules, ...options.ports.map(String)],
    env: { FIREWALL_NETNS_LISTEN: options.listen ?? '::', FIREWALL_NETNS_THEN: options.command ?? '' },
    timeoutMs: options.timeoutMs ?? 30_000,
  });
}

/** Whether this machine can run runUfwNetns: as runFirewallNetns, with ufw too. */
export const canRunUfwNetns = canRunFirewallNetns && hasCommand('ufw', ['--version']);

export interface UfwNetnsOptions {
  /** An empty directory: a tmpfs is mounted on it, in the run's mount namespace only, for ufw's copied files. */
  readonly scratch: string;
  readonly ports: readonly number[];
  /** Shell commands run once ufw is enabled, before the scripts (another tool's rules). */
  readonly before?: string;
  /** Shell scripts run with sh, in order (what `ports firewall --format ufw` printed). */
  readonly scripts: readonly string[];
  readonly timeoutMs?: number;
}

/**
 * firewall/ufw-netns.sh: a real ufw on copies of its files, in mount and network namespaces of
 * its own (it refuses to run in this process's), runs `scripts` in turn; the outside host's
 * probes after the last, and (`output`) each script's exit status, output and `ufw show added`.
 */
export function runUfwNetns(options: UfwNetnsOptions): Promise<FirewallNetnsRun> {
  const host = ['mnt', 'net'].map((kind) => readlinkSync(`/proc/self/ns/${kind}`)).join(' ');
  return runNetnsScript({
    script: join(import.meta.dirname, 'firewall/ufw-netns.sh'),
    args: [options.scratch, ...options.ports.map(String)],
    env: { UFW_NETNS_HOST: host, UFW_NETNS_BEFORE: options.before ?? '', UFW_NETNS_SCRIPTS: options.scripts.join(':') },
    timeoutMs: options.timeoutMs ?? 180_000,
  });
}

export interface NetnsScriptOptions {
  /** A bash script that prints probe lines (`PHASE FAMILY KIND PORT open|closed`), then `--- then` and a command's output. */
  readonly script: string;
  readonly args: readonly string[];
  /** Added to this process's environment. */
  readonly env: Readonly<Record<string, string>>;
  readonly timeoutMs: number;
}

/**
 * Any such script (netns.sh, or a test's own fixture that sources
 * firewall/netns-setup.sh) as PID 1 of new PID and network namespaces; its
 * probes' answers and the command's output. A failure names the script.
 */
export function runNetnsScript(options: NetnsScriptOptions): Promise<FirewallNetnsRun> {
  const name = basename(options.script);
  const child = spawn('unshare', ['--net', '--pid', '--fork', '--kill-child', '--mount-proc', 'bash', options.script, ...options.args], {
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (child.pid !== undefined) recordSpawned(child.pid);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      if (child.pid !== undefined) signal(child.pid, 'SIGKILL');
      reject(new Error(`${name}: no end within ${options.timeoutMs} ms\n${stderr}`));
    }, options.timeoutMs);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      if (child.pid !== undefined) forgetSpawned(child.pid);
      if (code !== 0) return reject(new Error(`${name}: exit ${code}\n${stderr}`));
      const [probes = '', output = ''] = stdout.split(/^--- then\n/m);
      const seen = new Map(
        probes
          .trim()
          .split('\n')
          .map((line) => {
            const [phase, family, kind, port, state] = line.split(' ');
            return [`${phase} ${family} ${kind} ${port}`, state!] as const;
          }),
      );
      resolve({ seen, output });
    });
  });
}
