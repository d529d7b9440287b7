// The benchmark's own view of sockets, straight from /proc: which sockets
// mention a port, whether a port has a listener, and whether every socket on a
// port belongs to a process the benchmark started. Peers that kill (kill-port,
// fkill, fuser -k) are only ever pointed at a port that passes portIsOurs().
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

const TABLES = ['/proc/net/tcp', '/proc/net/tcp6', '/proc/net/udp', '/proc/net/udp6'];
const LISTEN = '0A';

function readTable(path) {
  try {
    return readFileSync(path, 'latin1');
  } catch {
    return '';
  }
}

/** Every tcp/udp socket whose local or remote port is `port`: { table, state, local, remote, inode }. */
export function socketsOnPort(port) {
  const hex = port.toString(16).toUpperCase().padStart(4, '0');
  const found = [];
  for (const table of TABLES) {
    const text = readTable(table);
    const lines = text.split('\n');
    for (let i = 1; i < lines.length; i++) {
      const f = lines[i].trim().split(/\s+/);
      if (f.length < 10) continue;
      const local = f[1].slice(f[1].indexOf(':') + 1);
      const remote = f[2].slice(f[2].indexOf(':') + 1);
      if (local !== hex && remote !== hex) continue;
      found.push({ table, state: f[3], local, remote, inode: f[9] });
    }
  }
  return found;
}

/** True when some TCP socket listens on `port` (any address). */
export function isListening(port) {
  return socketsOnPort(port).some((s) => s.table.includes('tcp') && s.state === LISTEN && s.local === port.toString(16).toUpperCase().padStart(4, '0'));
}

/** True when no tcp/udp socket uses `port` at all (so binding it is safe and no peer can hit anyone else). */
export function portUnused(port) {
  return socketsOnPort(port).length === 0;
}

/** The socket inodes held by `pid`. */
export function socketInodes(pid) {
  const inodes = new Set();
  let fds;
  try {
    fds = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return inodes;
  }
  for (const fd of fds) {
    try {
      const link = readlinkSync(`/proc/${pid}/fd/${fd}`);
      if (link.startsWith('socket:[')) inodes.add(link.slice(8, -1));
    } catch {
      // fd closed meanwhile
    }
  }
  return inodes;
}

/**
 * True when `port` is listened on and every tcp/udp socket that mentions it
 * (local or remote side) is held by `pid`: pointing a killing peer at the port
 * can then only reach that process.
 */
export function portIsOurs(port, pid) {
  const sockets = socketsOnPort(port);
  if (!sockets.some((s) => s.state === LISTEN)) return false;
  const ours = socketInodes(pid);
  return sockets.every((s) => ours.has(s.inode));
}

/**
 * Poll until nothing listens on `port`. Resolves with `since` when it is free
 * at the first look, else with performance.now() when it was first seen free,
 * or undefined on timeout.
 */
export async function waitUntilFree(port, since, timeoutMs = 10_000) {
  if (!isListening(port)) return since;
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    if (!isListening(port)) return performance.now();
    if (performance.now() > deadline) return undefined;
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
}

/** Ports to use for holders: below the ephemeral range, outside the registry's ports, unused right now. */
export function pickFreePorts(count, avoid = new Set()) {
  let low = 32768;
  try {
    low = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'latin1').trim().split(/\s+/)[0]) || low;
  } catch {
    // keep the default
  }
  const start = Math.max(1025, Math.min(20000, low - 10000));
  const ports = [];
  for (let p = start + Math.floor(Math.random() * 5000); ports.length < count && p < low; p++) {
    if (!avoid.has(p) && portUnused(p)) ports.push(p);
  }
  if (ports.length < count) throw new Error(`could not find ${count} unused ports below ${low}`);
  return ports;
}
