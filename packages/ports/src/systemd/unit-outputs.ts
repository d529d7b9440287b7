// The files `ports systemd` writes under the unit directory, and those that links make one file for several units.
import { realpathSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { escapeText } from '../escape.js';
import type { GeneratedFile } from '../files/index.js';
import type { HealthUnit } from '../render/health-timer.js';
import type { ClaimWiring } from '../render/systemd.js';

/** A file `ports systemd` writes, and the unit it is for. */
export interface UnitOutput extends GeneratedFile {
  readonly unit: string;
}

/** The files `ports systemd` writes under the unit directory: the claim drop-ins and the health check's units. */
export function generatedFiles(wiring: readonly ClaimWiring[], health: readonly HealthUnit[]): UnitOutput[] {
  return [
    ...wiring.filter((entry) => entry.claim === 'drop-in').map((entry) => ({ unit: entry.unit, path: entry.path, contents: entry.contents! })),
    ...health.map((unit) => ({ unit: unit.path, path: unit.path, contents: unit.contents })),
  ];
}

/**
 * The files (host paths, as place() gives them) that are one file through
 * links, with different contents: two units whose drop-in directories link
 * to one directory (`a.service.d -> /srv/shared`, `b.service.d ->
 * /srv/shared`) would each overwrite the other's claim, and systemd would run
 * the last one written for both. Each such file once, with its units. The
 * same contents in one file are fine: either write is right for both.
 */
export function sharedOutputs(files: readonly UnitOutput[]): { units: string[]; path: string }[] {
  const byFile = new Map<string, UnitOutput[]>();
  for (const file of files) {
    const real = realFile(file.path);
    byFile.set(real, [...(byFile.get(real) ?? []), file]);
  }
  return [...byFile]
    .filter(([, sharing]) => new Set(sharing.map((file) => file.contents)).size > 1)
    .map(([path, sharing]) => ({ units: sharing.map((file) => file.unit), path }));
}

/** Pure: what is wrong with a file that several units' outputs share (sharedOutputs), and what to do. */
export function sharedText(units: readonly string[], path: string): string {
  const names = units.map((unit) => escapeText(unit));
  const listed = `${names.slice(0, -1).join(', ')} and ${names.at(-1)}`;
  return `${listed} would each write their own claim to ${escapeText(path)} (their drop-in directories are one directory, through links), so systemd would run one claim for all of them; give each unit a drop-in directory of its own (replace the links with directories)`;
}

/** `path` with the links of its existing directories resolved (the file itself is judged where it is written): which file it really is. */
function realFile(path: string): string {
  let dir = dirname(path);
  const rest = [basename(path)];
  for (;;) {
    try {
      return join(realpathSync(dir), ...rest);
    } catch {
      if (dir === dirname(dir)) return path;
      rest.unshift(basename(dir));
      dir = dirname(dir);
    }
  }
}
