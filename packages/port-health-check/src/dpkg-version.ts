// Which version of a daemon a unit runs, read from the files under the root, never by running it (the check reads
// trees it does not own, with --root, and its start-up must stay quick): the dpkg package that installed the
// executable its ExecStart= names (/var/lib/dpkg/info/PACKAGE.list holds the path) and that package's version in
// /var/lib/dpkg/status. Debian 12's prometheus is 2.42.0+ds-5+deb12u1, its redis-server 5:7.0.15-1~deb12u10.
import { FileReadError, hostPath, readFileBytes } from '@dsa110/ports/files';
import { MAX_CONFIG_BYTES } from '@dsa110/ports';
import type { DpkgVersion } from './types.js';

/** dpkg's status file can be large (every package installed): read up to this much. */
const MAX_STATUS_BYTES = 16 * MAX_CONFIG_BYTES;

/** The dpkg packages that install Prometheus's server. */
export const PROMETHEUS_PACKAGES: readonly string[] = ['prometheus'];

/**
 * The dpkg packages that install a redis-server or redis-sentinel executable (or what it links to: Debian's
 * /usr/bin/redis-server is in redis-server, a link to redis-tools's redis-check-rdb).
 */
export const REDIS_PACKAGES: readonly string[] = ['redis-server', 'redis-sentinel', 'redis-tools'];

/**
 * dpkg's files as one gather read them, by path under the root: the status file (677 KB on a Debian host) is read
 * once however many daemons ask for a version. Made by each gather, never kept past it: a file rewritten between
 * two runs in one process (a test's tree) is read again.
 */
export type DpkgReads = Map<string, Buffer | { readonly problem: string }>;

/** The bytes of `path` under `root` (from `reads` when read before), or why they cannot be read. */
function readOnce(reads: DpkgReads, root: string, path: string, maxBytes: number): Buffer | { readonly problem: string } {
  let read = reads.get(path);
  if (read !== undefined) return read;
  try {
    read = readFileBytes(hostPath(root, path), { maxBytes });
  } catch (error) {
    if (error instanceof FileReadError) read = { problem: error.kind === 'missing' ? 'not there' : error.reason };
    else read = { problem: `cannot look at it: ${(error as NodeJS.ErrnoException).code ?? 'error'}` };
  }
  reads.set(path, read);
  return read;
}

/** The stanza of package `name` in dpkg's status file (the first, as dpkg-query shows one), decoded; undefined when it has none. */
function stanzaOf(status: Buffer, name: string): string | undefined {
  // Only that stanza is decoded: a full host's status file is megabytes.
  const start = status.indexOf(`\nPackage: ${name}\n`);
  const at = start >= 0 ? start + 1 : status.subarray(0, name.length + 10).toString('utf8') === `Package: ${name}\n` ? 0 : -1;
  if (at < 0) return undefined;
  const end = status.indexOf('\n\n', at);
  return status.subarray(at, end < 0 ? status.length : end).toString('utf8');
}

/**
 * The version of the program at `executable` (a path as the root names it; chrooted, under that directory, with the
 * dpkg database of that tree, `system`): the version of the first of `packages` installed whose file list holds it;
 * else why it is not known. `reads`: the files this gather read before.
 */
export function readDpkgVersion(root: string, executable: string, packages: readonly string[], reads: DpkgReads, system = ''): DpkgVersion {
  const shown = executable.slice(system.length) || executable;
  const statusPath = `${system}/var/lib/dpkg/status`;
  for (const name of packages) {
    const list = readOnce(reads, root, `${system}/var/lib/dpkg/info/${name}.list`, MAX_CONFIG_BYTES);
    if (!Buffer.isBuffer(list) || !list.toString('utf8').split('\n').includes(shown)) continue;
    const status = readOnce(reads, root, statusPath, MAX_STATUS_BYTES);
    if (!Buffer.isBuffer(status)) return { unknown: `dpkg's status file ${statusPath} cannot be read (${status.problem})` };
    const stanza = stanzaOf(status, name);
    const version = stanza && /^Version: (\S+)$/m.exec(stanza)?.[1];
    // Installed whatever dpkg wants of it (`hold` after apt-mark hold, `deinstall`): the third word, dpkg-query's
    // ${db:Status-Status}.
    const installed = stanza !== undefined && /^Status: [a-z]+ ok installed$/m.test(stanza);
    if (version === undefined || !installed) return { unknown: `dpkg's status file ${statusPath} does not say which ${name} package is installed` };
    return { version, from: `the dpkg package ${name} that installed ${shown}, in ${statusPath}` };
  }
  return { unknown: `no dpkg package lists ${shown}, so its version is not known here (the check does not run it)` };
}
