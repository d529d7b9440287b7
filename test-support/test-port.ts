// Ports for the suite's listeners that nothing else can be given while a test
// uses them, before or after a claim frees them.
//
// A listener on port 0 gets an ephemeral port, and so does every other
// bind(0) and every outgoing connection on the machine: other test files,
// other test runs. A claim frees its port and then watches it for a second
// (the settle window, whenever the holder's parent, the suite, is alive): an
// ephemeral port handed to someone else in that second reads as a re-take and
// fails the claim. So listeners take ports outside the kernel's ephemeral range
// (/proc/sys/net/ipv4/ip_local_port_range), which no bind(0) and no connect()
// is ever given, each leased by this suite for 10-20 minutes so that no other
// test process (every one uses this lease) picks it again meanwhile.
//
// A lease is a directory made with mkdir (atomic, across processes and users)
// in two 10-minute generations, the current one and the next: two leases taken
// less than a generation apart always meet in one directory, so one of them
// fails and picks another port. Generations older than the previous one are
// removed.
import { chmodSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const GENERATION_MS = 10 * 60_000;
/** Below this, ports are left to the machine's own services. */
const LOWEST = 20_000;
const ROOT = join(tmpdir(), 'dsa110-test-ports');

/** The kernel's ephemeral range, [low, high]; the Linux default when it cannot be read. */
export function ephemeralRange(): [number, number] {
  try {
    const [low, high] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'latin1').trim().split(/\s+/).map(Number);
    if (Number.isInteger(low) && Number.isInteger(high)) return [low!, high!];
  } catch {
    // no /proc: assume the default
  }
  return [32768, 60999];
}

/** The ports a test listener may lease: LOWEST..65535 without the ephemeral range. */
function candidates(): [number, number][] {
  const [low, high] = ephemeralRange();
  const ranges: [number, number][] = [
    [LOWEST, Math.min(low - 1, 65535)],
    [Math.max(high + 1, LOWEST), 65535],
  ];
  return ranges.filter(([from, to]) => from <= to);
}

/** Local ports of every TCP socket the kernel lists (listening or connected; IPv4 and IPv6). */
function tcpPortsInUse(): Set<number> {
  const used = new Set<number>();
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = readFileSync(file, 'latin1');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const local = line.trim().split(/\s+/)[1];
      if (local) used.add(Number.parseInt(local.slice(local.lastIndexOf(':') + 1), 16));
    }
  }
  return used;
}

function makeDir(path: string): boolean {
  try {
    mkdirSync(path, { mode: 0o1777 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
  chmodSync(path, 0o1777); // every user's suite leases here; past the umask
  return true;
}

/**
 * Lease `port` in this generation and the next: the directories made, or undefined when another lease holds it
 * (then the ones made here are removed again, as a block's are when a later port of it fails).
 */
function tryLease(root: string, port: number, generation: number): string[] | undefined {
  const made: string[] = [];
  for (const g of [generation, generation + 1]) {
    const dir = join(root, String(g));
    try {
      makeDir(dir);
    } catch {
      // made by someone else meanwhile, or not ours to make: the port's mkdir below says
    }
    const lease = join(dir, String(port));
    if (!makeDir(lease)) {
      release(made);
      return undefined;
    }
    made.push(lease);
  }
  return made;
}

/** Remove leases this process just made (its own mkdirs): a failed attempt leaves none behind. */
function release(leases: readonly string[]): void {
  for (const lease of leases) {
    try {
      rmSync(lease, { recursive: true, force: true });
    } catch {
      // left to expire with its generation
    }
  }
}

const cleaned = new Set<string>();
/** Remove generations older than the previous one, once per process (best effort: another user's may stay). */
function clean(root: string, generation: number): void {
  if (cleaned.has(root)) return;
  cleaned.add(root);
  let names: string[];
  try {
    names = readdirSync(root);
  } catch {
    return;
  }
  for (const name of names) {
    try {
      if (Number(name) < generation - 1) rmSync(join(root, name), { recursive: true, force: true });
    } catch {
      // another user's leases (the directory is sticky): theirs to remove
    }
  }
}

/**
 * A port outside the kernel's ephemeral range that no TCP socket uses now and
 * no other test process has leased in the last 10 minutes, leased for the
 * next 10; 0 (an ephemeral port) if the machine leaves no such range.
 * `ranges`: lease from these only (inclusive; for a port that must lie below
 * the ephemeral range); `count`: the first of that many consecutive ports, all
 * leased; `root`: another lease directory (the lease's own tests).
 */
export function leasePort(options: { ranges?: [number, number][]; count?: number; root?: string } = {}): number {
  const { root = ROOT, ranges = candidates(), count = 1 } = options;
  // Each range offers its ports that start a block of `count` inside it.
  const starts = ranges.map(([from, to]): [number, number] => [from, to - count + 1]).filter(([from, to]) => from <= to);
  const size = starts.reduce((sum, [from, to]) => sum + to - from + 1, 0);
  if (!options.ranges && size < 1000) return 0;
  makeDir(root);
  const generation = Math.floor(Date.now() / GENERATION_MS);
  clean(root, generation);
  const used = tcpPortsInUse();
  // Random starts, each tried once: a small range is tried whole, a large one at 2,000 places.
  const tried = new Set<number>();
  for (let attempt = 0; tried.size < size && attempt < 2000; attempt++) {
    let n = Math.floor(Math.random() * size);
    while (tried.has(n)) n = (n + 1) % size;
    tried.add(n);
    let first = 0;
    for (const [from, to] of starts) {
      if (n <= to - from) {
        first = from + n;
        break;
      }
      n -= to - from + 1;
    }
    const block = Array.from({ length: count }, (_, i) => first + i);
    if (!block.every((port) => !used.has(port))) continue;
    // The leases of a block that then fails are removed at once: left to expire, a large block's failed attempts
    // would fill the range for every test process for 20 minutes.
    const taken: string[] = [];
    const leased = block.every((port) => {
      const made = tryLease(root, port, generation);
      if (made !== undefined) taken.push(...made);
      return made !== undefined;
    });
    if (leased) return first;
    release(taken);
  }
  const what = count === 1 ? 'port' : `block of ${count} ports`;
  throw new Error(`test-support: no free ${what} left to lease in ${ranges.map(([from, to]) => `${from}-${to}`).join(', ')} (see ${root})`);
}
