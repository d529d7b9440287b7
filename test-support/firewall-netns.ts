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
import { join } from 'node:path';
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
  const script = join(import.meta.dirname, 'firewall/netns.sh');
  const child = spawn('unshare', ['--net', '--pid', '--fork', '--kill-child', '--mount-proc', 'bash', script, options.rules, ...options.ports.map(String)], {
    env: { ...process.env, FIREWALL_NETNS_LISTEN: options.listen ?? '::', FIREWALL_NETNS_THEN: options.command ?? '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (child.pid !== undefined) recordSpawned(child.pid);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const timeoutMs = options.timeoutMs ?? 30_000;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      if (child.pid !== undefined) signal(child.pid, 'SIGKILL');
      reject(new Error(`firewall netns: no end within ${timeoutMs} ms\n${stderr}`));
    }, timeoutMs);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      if (child.pid !== undefined) forgetSpawned(child.pid);
      if (code !== 0) return reject(new Error(`firewall netns: exit ${code}\n${stderr}`));
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
