// Sockets the kernel's /proc/net tables do not list: a TCP socket that is
// bound but neither listening nor connected lives only in the bind hash, so
// /proc/net/tcp never shows it, yet it makes a server's bind() of its port
// fail. Without sock_diag (netlink, which Node cannot speak), its port cannot
// be read; what can be found is which processes hold such unlisted sockets.
// One full /proc/*/fd scan: for explaining a failed bind only, never the hot path.
import { readdirSync, readlinkSync } from 'node:fs';
import { procRootArgument, stringArgument } from '../arguments.js';
import { MAX_SOCKET_TABLE_BYTES } from '../limits.js';
import { readProcText } from './system-files.js';

const TABLES = ['tcp', 'tcp6', 'udp', 'udp6', 'udplite', 'udplite6', 'raw', 'raw6', 'icmp', 'icmp6', 'unix', 'netlink', 'packet'];

/** Pure: the socket inodes a /proc/net table lists (the `inode` column, wherever the header puts it). */
export function tableInodes(text: string): number[] {
  stringArgument('tableInodes', 'text', text, 'the text of a /proc/net table');
  const lines = text.split('\n');
  const header = lines[0]?.trim().split(/\s+/) ?? [];
  let column = header.indexOf('inode');
  if (column < 0) column = header.indexOf('Inode');
  if (column < 0) return [];
  // tcp/udp headers write `tx_queue rx_queue` and `tr tm->when` as one field each in the rows.
  if (header.includes('tx_queue')) column -= 2;
  const out: number[] = [];
  for (let index = 1; index < lines.length; index++) {
    const fields = lines[index]!.trim().split(/\s+/);
    const inode = Number(fields[column]);
    if (Number.isInteger(inode) && inode > 0) out.push(inode);
  }
  return out;
}

/** PIDs of this network namespace holding sockets that no /proc/net table lists (bound-only TCP sockets are among them), with how many. */
export function processesWithUnlistedSockets(procRoot = '/proc'): Map<number, number> {
  procRootArgument('processesWithUnlistedSockets', procRoot);
  const listed = new Set<number>();
  for (const table of TABLES) {
    try {
      for (const inode of tableInodes(readProcText(procRoot, `net/${table}`, MAX_SOCKET_TABLE_BYTES))) listed.add(inode);
    } catch {
      // a table this kernel does not have (or one that is no regular file, under a procRoot laid out by hand)
    }
  }
  // A socket of another network namespace is in none of this namespace's
  // tables, and cannot block a bind here: only processes in this one count.
  const netns = (pid: string) => {
    try {
      return readlinkSync(`${procRoot}/${pid}/ns/net`);
    } catch {
      return undefined;
    }
  };
  const own = netns('self');
  const out = new Map<number, number>();
  for (const name of listProcRoot(procRoot)) {
    const c = name.charCodeAt(0);
    if (c < 48 || c > 57) continue;
    if (own !== undefined && netns(name) !== own) continue;
    let fds: string[];
    try {
      fds = readdirSync(`${procRoot}/${name}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      let target: string;
      try {
        target = readlinkSync(`${procRoot}/${name}/fd/${fd}`);
      } catch {
        continue;
      }
      if (!target.startsWith('socket:[')) continue;
      const inode = Number(target.slice(8, -1));
      if (!listed.has(inode)) out.set(Number(name), (out.get(Number(name)) ?? 0) + 1);
    }
  }
  return out;
}

/** The entries of procRoot; one that cannot be listed is an error naming it and what to do, not a bare `ENOENT: scandir`. */
function listProcRoot(procRoot: string): string[] {
  try {
    return readdirSync(procRoot);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException | undefined)?.code;
    const why =
      code === 'ENOENT' || code === 'ENOTDIR'
        ? `${code === 'ENOENT' ? 'no such directory' : 'not a directory'}: give where /proc is mounted`
        : code === 'EACCES' || code === 'EPERM'
          ? 'permission denied'
          : String((error as Error | undefined)?.message ?? error).slice(0, 200);
    throw Object.assign(new Error(`processesWithUnlistedSockets: cannot list procRoot ${JSON.stringify(procRoot)}: ${why}`, { cause: error }), { code });
  }
}
