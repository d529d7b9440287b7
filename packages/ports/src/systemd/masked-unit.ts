// What a masked unit is and what to do about it, in the words both `ports
// systemd --check` and the health check's systemd check print.
import { stringArgument } from '../arguments.js';
import { pathText } from '../escape.js';
import { printedShellWord } from '../shell-word.js';

/**
 * Where a masked unit's file is, and what to do: its file (`file`, as a path
 * inside `root`; undefined when none is known) is a link to /dev/null or
 * empty, which systemd takes alike (null_or_empty_path), and `systemctl
 * unmask NAME` removes either, but only in /etc/systemd/system (with
 * --runtime, /run/systemd/system); one elsewhere (a package's
 * /usr/lib/systemd/system) is removed by hand, then `systemctl daemon-reload`.
 * NAME is the file's (a template's mask is the template's file; `unit` when no
 * file is known). Under a root other than `/`, systemctl acts on that tree
 * (`--root=ROOT`, offline), not on this host's, and the file is named under
 * it. Measured with systemctl 252 --root: it removes a link to /dev/null and
 * an empty file in etc/systemd/system, one in run/systemd/system with
 * --runtime only, none in usr/lib/systemd/system. Paths escaped, the command
 * quoted for the shell.
 */
export function maskedUnitText(root: string, file: string | undefined, unit: string): string {
  stringArgument('maskedUnitText', 'root', root, 'a directory (a string)');
  if (file !== undefined) stringArgument('maskedUnitText', 'file', file, 'a path (a string) or undefined');
  stringArgument('maskedUnitText', 'unit', unit, 'a unit name (a string)');
  const under = root === '/' ? '' : root.replace(/\/+$/, '');
  const shown = file === undefined ? 'its unit file' : pathText(`${under}${file}`);
  const slash = file?.lastIndexOf('/') ?? -1;
  const dir = file?.slice(0, slash);
  const runtime = dir === '/run/systemd/system';
  const what = `${shown} is empty or links to /dev/null, so systemd will not start it`;
  if (file !== undefined && dir !== '/etc/systemd/system' && !runtime) {
    const reload = root === '/' ? ', then run systemctl daemon-reload' : '';
    return `${what}; remove ${shown}${reload} (systemctl unmask removes masks in /etc/systemd/system and /run/systemd/system only)`;
  }
  const command = ['systemctl', ...(root === '/' ? [] : [`--root=${root}`]), ...(runtime ? ['--runtime'] : []), 'unmask', file?.slice(slash + 1) ?? unit];
  return `${what}; unmask it: ${command.map(printedShellWord).join(' ')}${file === undefined ? '' : ` (which removes ${shown})`}`;
}
