// How to install claim-port, the one text of that advice, for every message
// that says to install or reinstall it (`ports systemd`, the health check's
// dependencies check, readInterpreter): the README's, the tarballs from a
// checkout (the packages are not on the npm registry) into the prefix where
// the units run it (npm's own global prefix is where Node is, /usr with
// NodeSource's, not /usr/local).
import { isAbsolute, join, resolve } from 'node:path';
import { pathArgument } from '../arguments.js';
import { printedShellWord } from '../shell-word.js';

/**
 * How to install claim-port so that `path` (where the units run it, inside
 * `root`) is it: as the README says, the tarballs from a checkout (the
 * packages are not on the npm registry), into the prefix the path names
 * (`/usr/local` for /usr/local/bin/claim-port; npm's own global prefix is
 * where Node is, /usr with NodeSource's), quoted as a word of a command to
 * paste (printedShellWord). One text, for every message that says to install
 * or reinstall it. A relative `root` (`--root hr`) is taken from the current
 * directory, as the tools take it, and named absolute: the command is run
 * from the checkout, where `--prefix hr/usr/local` would install elsewhere.
 */
export function claimPortInstall(path = '/usr/local/bin/claim-port', root = '/'): string {
  pathArgument('claimPortInstall', 'path', path);
  pathArgument('claimPortInstall', 'root', root);
  // Any character may be in the prefix (`s`: a line break too, or the advice named /usr/local instead).
  const prefix = /^(\/.*)\/bin\/claim-port$/s.exec(path)?.[1] ?? '/usr/local';
  const target = root === '/' ? prefix : join(isAbsolute(root) ? root : resolve(root), prefix);
  // A word of a command to paste, as every printed command quotes one: `/opt/my dir` is one word, `$HOME` stays literal, a line break shows as `$'\n'`.
  return `in a checkout: npx -y pnpm@10.34.9 install --frozen-lockfile && npx -y pnpm@10.34.9 tarballs && npm install -g --prefix ${printedShellWord(target)} ./tarballs/*.tgz`;
}
