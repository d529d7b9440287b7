// A command that writes (firewall --out, docs --file, monitoring --out, systemd --out/--root) never writes over the
// registry it reads: `ports firewall --registry ports.yaml --out ports.yaml` would replace the one source of truth
// with the rules it made from it.
import { lstatSync, statSync, type Stats } from 'node:fs';
import { BUNDLED_SOURCE } from '../bundled-source.js';
import { escapeText } from '../escape.js';
import { sameFile } from '../files/held-directory.js';
import { fileSystemPath } from '../utf8.js';
import { UsageError } from './exit-code.js';

/** stat (`follow`) or lstat of `path`, or undefined when there is nothing to stat (any error). */
function statOf(path: string, follow: boolean): Stats | undefined {
  try {
    return follow ? statSync(fileSystemPath(path)) : lstatSync(fileSystemPath(path));
  } catch {
    return undefined;
  }
}

/** Both files a name stands for: the entry itself (a link, when it is one) and what it resolves to. */
function identities(path: string): Stats[] {
  return [statOf(path, false), statOf(path, true)].filter((info): info is Stats => info !== undefined);
}

/**
 * Pure over the file system's answers: the first of `paths` that is the registry file `source` by device and inode
 * (another spelling, a hard link, a symbolic link to it, or the registry a link to it), or undefined. The bundled
 * registry is no file here.
 */
export function registryAmong(source: string, paths: readonly string[]): string | undefined {
  if (source === BUNDLED_SOURCE) return undefined;
  const registry = identities(source);
  if (registry.length === 0) return undefined;
  return paths.find((path) => identities(path).some((info) => registry.some((file) => sameFile(info, file))));
}

/**
 * A UsageError (exit 64) when a file `ports <command>` would write is the registry it reads, before anything is
 * written: `flag` and `given` as typed, `paths` every file the command would write (the file itself for a FILE flag,
 * each file under a directory for a DIR flag), `what` what it would write (`the rules`).
 */
export function refuseRegistryOutput(command: string, source: string, flag: string, given: string, paths: readonly string[], what: string): void {
  const hit = registryAmong(source, paths);
  if (hit === undefined) return;
  const registry = escapeText(source);
  const where = hit === given ? `${flag} ${escapeText(given)} is` : `${flag} ${escapeText(given)} would write ${escapeText(hit)}, which is`;
  const spelled = hit === source ? '' : ' (the same file by another name)';
  throw new UsageError(
    `ports ${command}: ${where} the registry file ${registry} this command reads${spelled}; writing ${what} there would replace it: give ${flag} another path (nothing was written)`,
  );
}
