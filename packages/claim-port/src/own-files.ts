// claim-port's own files, judged as root at each start: systemd runs it as
// root (ExecStartPre=+), so its bin, the bundles it loads and their
// directories must be root's and writable by no one else (npm honours the
// installer's umask: an install under `umask 000` leaves them writable by
// every user). By the time this runs, that code has run already, so it
// cannot refuse what another user put there; it says so in the journal, as a
// warning, and the claim goes on (a service whose claim-port fails does not
// start). port-health-check and `ports systemd` report the same as an error
// and a warning. Only stat calls (a dozen lstat), and only as root; `ls`
// only when a part of root's group has the group-write bit (its POSIX ACL).
import { lstatSync, readFileSync } from 'node:fs';
import { escapeText } from '@dsa110/ports';
import { rootOnlyAlong } from '@dsa110/ports/cli';
import { CLAIM_PORT_BIN_FILES } from '@dsa110/ports/systemd';

/**
 * The warning's text (without the `[claim-port:PORT] warning: ` prefix) when
 * `dist` is the built bin's dist/ (its bundles' directory) and a file of
 * CLAIM_PORT_BIN_FILES, its directory or one above it may be changed by
 * someone besides root; undefined otherwise, and when not run as root
 * (`euid`), or from the sources. Its paths escaped: one line, as it is.
 */
export function ownFilesWarning(dist: string | undefined, euid: number | undefined = process.geteuid?.()): string | undefined {
  if (euid !== 0 || dist === undefined || !dist.endsWith('/dist')) return undefined;
  const pkg = dist.slice(0, -'/dist'.length);
  const fault = rootOnlyAlong(CLAIM_PORT_BIN_FILES.map((file) => `${pkg}/${file}`));
  if (fault === undefined) return undefined;
  const overflow = overflowOwner(fault.path);
  if (overflow?.mapped === false)
    return `${escapeText(fault.path)} is owned by a user this user namespace does not map (it shows as uid ${overflow.uid}, the overflow uid: claim-port runs as root of a user namespace, e.g. \`unshare --user --map-root-user\`), which no chown from here changes; whoever owns it outside may change claim-port's files and so run code as this namespace's root: make sure from outside it that ${escapeText(pkg)} and the directories above it are root's and writable only by root, or install claim-port as a user this namespace maps`;
  // Outside the initial user namespace, the overflow uid a namespace maps is also how it shows an owner it does not.
  const outside =
    overflow !== undefined && !overflow.initial
      ? `; uid ${overflow.uid} is also how this user namespace shows an owner it does not map: where that chown fails (EPERM), run it from outside the namespace`
      : '';
  return `${escapeText(fault.path)} ${fault.why}: claim-port runs as root, so whoever may change its files may run code as root; make ${escapeText(pkg)} and the directories above it root's and writable only by root (chown -R root:root, chmod -R go-w${outside}), or reinstall under umask 022; port-health-check reports it as an error`;
}

/**
 * The overflow uid (/proc/sys/kernel/overflowuid, 65534) when `path` is owned
 * by it: whether this user namespace maps it (a range of /proc/self/uid_map,
 * inside id and count, holds it), and whether this is the initial namespace
 * (its map `0 0 4294967295`). Where the namespace does not map it, a file whose
 * owner the namespace does not map shows as that uid, and no chown made inside
 * can change it. Where it maps it (the initial one, or a container's usual
 * `0 100000 65536`, whose nobody it is), the file may be that user's, and a
 * chown changes it; but outside the initial namespace an owner it does not map
 * shows as that uid as well. Undefined otherwise, and when a read fails. Read
 * only once a fault was found.
 */
function overflowOwner(path: string, procRoot = '/proc'): { uid: number; mapped: boolean; initial: boolean } | undefined {
  try {
    const overflow = Number(readFileSync(`${procRoot}/sys/kernel/overflowuid`, 'latin1').trim());
    if (!Number.isSafeInteger(overflow) || lstatSync(path).uid !== overflow) return undefined;
    const ranges = readFileSync(`${procRoot}/self/uid_map`, 'latin1')
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => line.trim().split(/\s+/).map(Number));
    const mapped = ranges.some(([inside, , count]) => inside !== undefined && count !== undefined && overflow >= inside && overflow - inside < count);
    const initial = ranges.length === 1 && ranges[0]!.join(' ') === '0 0 4294967295';
    return { uid: overflow, mapped, initial };
  } catch {
    return undefined;
  }
}
