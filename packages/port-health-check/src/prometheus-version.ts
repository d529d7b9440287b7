// Which Prometheus a unit runs, read from the files under the root, never by
// running it (the check reads trees it does not own, with --root): the dpkg
// package that installed the executable its ExecStart= names (dpkg's
// /var/lib/dpkg/info/PACKAGE.list holds the path) and that package's version
// in /var/lib/dpkg/status. Debian 12's prometheus is 2.42.0+ds-5+deb12u1.
import { FileReadError, hostPath, readFileBytes } from '@dsa110/ports/files';
import { MAX_CONFIG_BYTES } from '@dsa110/ports';
import type { PrometheusVersion } from './types.js';

/** dpkg's status file can be large (every package installed): read up to this much. */
const MAX_STATUS_BYTES = 16 * MAX_CONFIG_BYTES;

/** The dpkg packages that install Prometheus's server. */
const PACKAGES = ['prometheus'];

/** The text of `path` under `root`, or why it cannot be read. */
function readText(root: string, path: string, maxBytes: number): string | { problem: string } {
  try {
    return readFileBytes(hostPath(root, path), { maxBytes }).toString('utf8');
  } catch (error) {
    if (error instanceof FileReadError) return { problem: error.kind === 'missing' ? 'not there' : error.reason };
    return { problem: `cannot look at it: ${(error as NodeJS.ErrnoException).code ?? 'error'}` };
  }
}

/**
 * The stanza of dpkg's status file for package `name` (its `Package: NAME` line at a line's start to the blank line
 * after), found by a search, not by splitting the file: it is read for every prometheus.yml, and a host's status file
 * holds every package installed (680 KB on Debian 12 with a desktop).
 */
function stanzaOf(status: string, name: string): string | undefined {
  const line = `Package: ${name}`;
  for (let at = status.indexOf(line); at >= 0; at = status.indexOf(line, at + 1)) {
    const end = at + line.length;
    if ((at > 0 && status[at - 1] !== '\n') || (end < status.length && status[end] !== '\n')) continue;
    const start = status.lastIndexOf('\n\n', at);
    const stop = status.indexOf('\n\n', at);
    return status.slice(start < 0 ? 0 : start + 2, stop < 0 ? status.length : stop);
  }
  return undefined;
}

/**
 * The version of the Prometheus at `executable` (a path as the root names it; chrooted, under that directory, with the
 * dpkg database of that tree, `system`): the version of the installed dpkg package whose file list holds it; else
 * why it is not known.
 */
export function readPrometheusVersion(root: string, executable: string, system = ''): PrometheusVersion {
  const shown = executable.slice(system.length) || executable;
  for (const name of PACKAGES) {
    const list = readText(root, `${system}/var/lib/dpkg/info/${name}.list`, MAX_CONFIG_BYTES);
    if (typeof list !== 'string' || !list.split('\n').includes(shown)) continue;
    const status = readText(root, `${system}/var/lib/dpkg/status`, MAX_STATUS_BYTES);
    if (typeof status !== 'string') return { unknown: `dpkg's status file ${system}/var/lib/dpkg/status cannot be read (${status.problem})` };
    const stanza = stanzaOf(status, name);
    const version = stanza && /^Version: (\S+)$/m.exec(stanza)?.[1];
    // Installed whatever dpkg wants of it (`hold` after apt-mark hold, `deinstall`): the third word, dpkg-query's
    // ${db:Status-Status}.
    const installed = stanza !== undefined && /^Status: [a-z]+ ok installed$/m.test(stanza);
    if (version === undefined || !installed)
      return { unknown: `dpkg's status file ${system}/var/lib/dpkg/status does not say which ${name} package is installed` };
    return { version, from: `the dpkg package ${name} that installed ${shown}, in ${system}/var/lib/dpkg/status` };
  }
  return { unknown: `no dpkg package lists ${shown}, so its version is not known here (the check does not run it)` };
}
