// What a --check tells the operator to run when files are missing or stale:
// the same command, with the same registry and options, without --check. The
// bare command would write to its defaults instead (`ports systemd` into
// /etc/systemd/system as root), not to the --out or --root that was checked.
import { printedShellWord } from '../shell-word.js';
import type { Context } from './context.js';

/**
 * `ports [--registry PATH] NAME [--FLAG VALUE]...` for the `flags` (string flags) this run was given, each word as the shell reads it back.
 * A value that starts with `-` is written `--FLAG=VALUE`: the parser refuses `--out -x` (it cannot tell the value from an option).
 */
export function regenerateCommand(context: Context<unknown>, name: string, flags: readonly string[]): string {
  const values = context.values as Readonly<Record<string, unknown>>;
  const words = ['ports', ...option('registry', context.registryPath), name];
  for (const flag of flags) {
    const value = values[flag];
    if (typeof value === 'string') words.push(...option(flag, value));
  }
  return words.map(printedShellWord).join(' ');
}

/** `--FLAG VALUE` as two words, or `--FLAG=VALUE` as one when the value starts with `-`; nothing without a value. */
function option(flag: string, value: string | undefined): string[] {
  if (value === undefined) return [];
  return value.startsWith('-') ? [`--${flag}=${value}`] : [`--${flag}`, value];
}
