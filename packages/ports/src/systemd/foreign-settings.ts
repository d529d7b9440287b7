// A file of the operator's at a path `ports systemd` writes (no generated header): what writing there would drop
// (refused) or replace (said), and where a setting of theirs goes instead.
import { lstatSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { escapeText } from '../escape.js';
import { readFileIfPresent } from '../files/index.js';
import { MAX_GENERATED_FILE_BYTES } from '../limits.js';
import { DROP_IN_NAME, GENERATED_HEADER } from '../render/systemd.js';
import { parseUnitFile } from './unit-file.js';
import { splitExecPrefixes, splitWords } from './words.js';

/**
 * What the file at `path` sets that writing `contents` there would drop or change, when `ports systemd` did not write
 * it (it has no GENERATED_HEADER line first): `dropped`, each assignment (`[Section] Key=value`) of a key the new
 * contents do not set at all (the operator's own: a LimitNOFILE= beside the claim line); `replaced`, each of a key they
 * set, to another value (the write's to set: an ExecStart= that runs the health check from elsewhere). Both empty when
 * the file is not there or not a regular file (the write says what it is), cannot be read, or is one this command
 * wrote (its own to replace).
 */
export function foreignSettings(path: string, contents: string): { readonly dropped: string[]; readonly replaced: string[] } {
  const none = { dropped: [], replaced: [] };
  const text = regularFileText(path);
  if (text === undefined || text.startsWith(`${GENERATED_HEADER}\n`) || text === contents) return none;
  const next = parseUnitFile(contents);
  const settings = new Set(next.map((entry) => `[${entry.section}] ${entry.key}=${entry.value}`));
  const keys = new Set(next.map((entry) => `[${entry.section}] ${entry.key}`));
  const dropped: string[] = [];
  const replaced: string[] = [];
  for (const entry of parseUnitFile(text)) {
    const key = `[${entry.section}] ${entry.key}`;
    const setting = `${key}=${entry.value}`;
    if (settings.has(setting)) continue;
    // A value of a list systemd adds to (an ExecStartPre= step beside the claim, a timer's trigger) is one more, not
    // one this command sets: replacing the file would drop it. A claim line (a claim-port of any path or name: one
    // made by hand, or gone wrong) is what this command writes there: replaced.
    (keys.has(key) && (!LIST_SETTINGS.has(key) || isClaimStep(entry.key, entry.value)) ? replaced : dropped).push(setting);
  }
  return { dropped, replaced };
}

/** Pure: whether an ExecStartPre= value runs a claim-port (its program's name holds `claim-port`), whatever its path and prefixes. */
function isClaimStep(key: string, value: string): boolean {
  if (key !== 'ExecStartPre') return false;
  const program = splitWords(splitExecPrefixes(value).command)[0] ?? '';
  return basename(program).includes('claim-port');
}

/**
 * The settings of the files this command writes that systemd adds to, each line one more (systemd.service(5),
 * systemd.timer(5), systemd.unit(5)), rather than sets: an operator's value of one is never the write's to replace.
 * ExecStart= is not among them: the health service's one command is the write's.
 */
const LIST_SETTINGS: ReadonlySet<string> = new Set(
  [
    [
      'Service',
      [
        'ExecCondition',
        'ExecStartPre',
        'ExecStartPost',
        'ExecReload',
        'ExecStop',
        'ExecStopPost',
        'Environment',
        'EnvironmentFile',
        'PassEnvironment',
        'UnsetEnvironment',
      ],
    ],
    ['Timer', ['OnActiveSec', 'OnBootSec', 'OnStartupSec', 'OnUnitActiveSec', 'OnUnitInactiveSec', 'OnCalendar']],
    ['Unit', ['After', 'Before', 'Wants', 'Requires', 'Requisite', 'BindsTo', 'PartOf', 'Conflicts', 'OnFailure', 'OnSuccess']],
    ['Install', ['WantedBy', 'RequiredBy', 'UpheldBy', 'Alias', 'Also']],
  ].flatMap(([section, keys]) => (keys as string[]).map((key) => `[${section as string}] ${key}`)),
);

/** The text of the regular file at `path` (a link is not followed), at most MAX_GENERATED_FILE_BYTES; undefined for anything else or a file that cannot be read (the write and --check say why). */
export function regularFileText(path: string): string | undefined {
  try {
    return lstatSync(path).isFile() ? readFileIfPresent(path, { maxBytes: MAX_GENERATED_FILE_BYTES }) : undefined;
  } catch {
    return undefined;
  }
}

/** The settings of the operator's a write would drop from the file at `path` (foreignSettings), which it refuses to. */
export function droppedSettings(path: string, contents: string): string[] {
  return foreignSettings(path, contents).dropped;
}

/** Pure: why a file of the operator's at `path` is not replaced (droppedSettings: what it sets that would go), and what to do. */
export function foreignFileText(path: string, dropped: readonly string[]): string {
  return (
    `it is not a file \`ports systemd\` wrote (no "${GENERATED_HEADER}" line), and writing would drop what it sets that this command does not write (${settingsText(dropped)}); ` +
    `move what is yours to a drop-in of your own beside it (${escapeText(localDropIn(path))}), remove ${escapeText(path)}, then run \`ports systemd\` again`
  );
}

/** Pure: `[Service] LimitNOFILE=65536, ... and 2 more`: the first three settings, escaped, and how many more. */
export function settingsText(settings: readonly string[]): string {
  const shown = settings.slice(0, 3).map((setting) => escapeText(setting, 200));
  return `${shown.join(', ')}${settings.length > shown.length ? ` and ${settings.length - shown.length} more` : ''}`;
}

/** Pure: the drop-in of the operator's own where a setting of theirs goes instead of the file at `path`: beside a claim drop-in, or in a unit's NAME.d/. */
export function localDropIn(path: string): string {
  return `${basename(path) === DROP_IN_NAME ? dirname(path) : `${path}.d`}/local.conf`;
}
