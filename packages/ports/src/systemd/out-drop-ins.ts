// The drop-ins of --out's bare directory as systemd would read them once the directory is copied into place: a unit's
// own, and the empty ExecStartPre= lines that clear a claim.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { escapeText } from '../escape.js';
import { readFileBytes } from '../files/index.js';
import { MAX_UNIT_BYTES } from '../limits.js';
import { DEFAULT_UNIT_DIR, DROP_IN_NAME, type ClaimWiring, type SystemdDrift } from '../render/systemd.js';
import { decodeKeepingBadBytes } from '../utf8.js';
import { claimPortArgument } from './claim-args.js';
import { claimLines } from './claim-line.js';
import { mergeUnit } from './effective.js';
import { chooseDropIns, dropInDirNames } from './search-path.js';

/**
 * A unit's own drop-ins in the bare directory of --out (`UNIT.d/*.conf`, by name, as systemd reads them), but not a
 * claim-port.conf left from `claim: drop-in` (said on its own line, to be removed once the line is in): each with its
 * path as printed and its text. One that is not a regular file or cannot be read is left out (nothing to accept).
 */
export function outOwnDropIns(unit: string, unitDir: string): { readonly path: string; readonly text: string }[] {
  const dir = join(unitDir, `${unit}.d`);
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return []; // no such directory
  }
  return names
    .filter((name) => name.endsWith('.conf') && name !== DROP_IN_NAME)
    .sort()
    .flatMap((name) => {
      const path = join(dir, name);
      try {
        return statSync(path).isFile() ? [{ path, text: decodeKeepingBadBytes(readFileBytes(path, { maxBytes: MAX_UNIT_BYTES })) }] : [];
      } catch {
        return [];
      }
    });
}

/**
 * With --out DIR (a bare directory: no unit is loaded, and the units are judged no further), each wired claim that
 * an empty ExecStartPre= in a drop-in in DIR clears, as systemd would read DIR once copied into /etc/systemd/system
 * as laid out: the unit's drop-ins there (its own directory, its template's, its dash prefixes', the type-wide
 * `service.d/`, the first of a file name winning, then all by file name: chooseDropIns), after its unit file when DIR
 * has it. One drift each, at the clearing line, when the claim's file is there (its line is then what is cleared) and
 * no claim-port line is read after it. Drop-ins under /usr/lib or /run on the system it is copied to are not known here.
 */
export function outClearings(
  wiring: readonly ClaimWiring[],
  files: ReadonlyMap<string, string | undefined>,
  unitDir: string,
  claimPort: string,
): SystemdDrift[] {
  const drift: SystemdDrift[] = [];
  const text = (path: string): string | undefined => {
    try {
      const host = join(unitDir, path);
      return statSync(host).isFile() ? decodeKeepingBadBytes(readFileBytes(host, { maxBytes: MAX_UNIT_BYTES })) : undefined;
    } catch {
      return undefined; // gone, unreadable or too big: said by the drift above, or nothing systemd reads either
    }
  };
  for (const entry of wiring) {
    if (files.get(entry.path) === undefined) continue;
    const found = dropInDirNames(entry.unit).map((dir) => {
      try {
        return { dir, names: readdirSync(join(unitDir, dir)) };
      } catch {
        return { dir, names: [] }; // no such directory
      }
    });
    const dropIns = chooseDropIns(found).flatMap(({ dir, name }) => {
      const read = text(`${dir}/${name}`);
      return read === undefined ? [] : [{ path: `${dir}/${name}`, text: read }];
    });
    const file = entry.claim === 'unit' ? { path: entry.path, text: files.get(entry.path) } : undefined;
    const unit = mergeUnit({ unit: entry.unit, ...(file && { file }), dropIns, problems: [] });
    const cleared = unit.execStartPreCleared;
    if (cleared === undefined || claimLines(unit.execStartPre, [claimPort]).length > 0) continue;
    const port = claimPortArgument(entry.port, entry.service.transport);
    drift.push({
      path: `${cleared.file}:${cleared.line}`,
      message: `the empty ExecStartPre= here clears every earlier ExecStartPre= of ${escapeText(entry.unit)}, its claim line in ${escapeText(join(unitDir, entry.path))} included, so once ${escapeText(unitDir)} is copied into ${DEFAULT_UNIT_DIR} as laid out nothing frees port ${port} before it starts; remove that line or add the claim after it`,
    });
  }
  return drift;
}
