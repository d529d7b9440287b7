// Which Redis a unit runs, read from the files under the root, never by running it (the check reads trees it does
// not own, with --root, and its start-up must stay quick): the dpkg package that installed the executable its
// ExecStart= names (/var/lib/dpkg/info/PACKAGE.list holds the path: Debian's /usr/bin/redis-server is in
// redis-server, a link to redis-tools's redis-check-rdb) and that package's version in /var/lib/dpkg/status.
// Debian 12's is 5:7.0.15-1~deb12u10. prometheus-version.ts reads Prometheus's so.
import { FileReadError, hostPath, readFileBytes } from '@dsa110/ports/files';
import { MAX_CONFIG_BYTES } from '@dsa110/ports';
import type { RedisVersion } from './types.js';

/** dpkg's status file can be large (every package installed): read up to this much. */
const MAX_STATUS_BYTES = 16 * MAX_CONFIG_BYTES;

/** The dpkg packages that install a redis-server or redis-sentinel executable (or what it links to). */
const PACKAGES = ['redis-server', 'redis-sentinel', 'redis-tools'];

/** The bytes of `path` under `root`, or undefined when they cannot be read (the version is then not known). */
function readBytes(root: string, path: string, maxBytes: number): Buffer | undefined {
  try {
    return readFileBytes(hostPath(root, path), { maxBytes });
  } catch (error) {
    if (error instanceof FileReadError) return undefined;
    throw error;
  }
}

/**
 * The version of the Redis at `executable` (a path as the root names it; chrooted, under that directory, with the
 * dpkg database of that tree, `system`): the installed dpkg package's whose file list holds it; else why it is not known.
 */
export function readRedisVersion(root: string, executable: string, system = ''): RedisVersion {
  const shown = executable.slice(system.length) || executable;
  for (const name of PACKAGES) {
    const list = readBytes(root, `${system}/var/lib/dpkg/info/${name}.list`, MAX_CONFIG_BYTES)?.toString('utf8');
    if (list === undefined || !list.split('\n').includes(shown)) continue;
    const status = readBytes(root, `${system}/var/lib/dpkg/status`, MAX_STATUS_BYTES);
    if (status === undefined) return { unknown: `dpkg's status file ${system}/var/lib/dpkg/status cannot be read` };
    // Only the package's stanza is decoded: the status file of a full host is megabytes.
    const start = status.indexOf(`\nPackage: ${name}\n`);
    const at = start >= 0 ? start + 1 : status.subarray(0, name.length + 10).toString('utf8') === `Package: ${name}\n` ? 0 : -1;
    const end = at < 0 ? -1 : status.indexOf('\n\n', at);
    const stanza = at < 0 ? undefined : status.subarray(at, end < 0 ? status.length : end).toString('utf8');
    const version = stanza && /^Version: (\S+)$/m.exec(stanza)?.[1];
    // Installed whatever dpkg wants of it (`hold`, `deinstall`): the third word, dpkg-query's ${db:Status-Status}.
    const installed = stanza !== undefined && /^Status: [a-z]+ ok installed$/m.test(stanza);
    if (version === undefined || !installed)
      return { unknown: `dpkg's status file ${system}/var/lib/dpkg/status does not say which ${name} package is installed` };
    return { version, from: `the dpkg package ${name} that installed ${shown}, in ${system}/var/lib/dpkg/status` };
  }
  return { unknown: `no dpkg package lists ${shown}, so its version is not known here (the check does not run it)` };
}
