// Which uvicorn a unit's command imports, and its version, read from the files
// Python would use, never by running Python (a few stats, a directory listing
// and two small reads). The interpreter is the command's own (`python3 -m
// uvicorn`) or the `#!` line of the `uvicorn` script it runs. A virtual
// environment (pyvenv.cfg beside the interpreter or one directory up) imports
// from its lib/pythonX.Y/site-packages; Debian's /usr/bin/python3.Y from
// /usr/local/lib/python3.Y/dist-packages, then /usr/lib/python3/dist-packages,
// then /usr/lib/python3.Y/dist-packages; another interpreter from
// PREFIX/lib/pythonX.Y/site-packages. The first of those holding a `uvicorn`
// package is the one imported, and its version is in the one
// uvicorn-VERSION.dist-info/METADATA (or .egg-info, Debian's PKG-INFO) beside it.
// Anything else that may come first (a `uvicorn` in the directory `-m` starts
// in, an earlier directory's .pth file naming a directory that holds one, or its
// editable install, a venv that also sees the system's packages and lacks its
// own) leaves the version unknown. Outside a venv, Python imports from the
// user's own site-packages (~/.local/lib/pythonX.Y/site-packages, pip --user)
// before the system's: the home of the unit's User= (root without one) in the
// root's /etc/passwd, unless PYTHONNOUSERSITE is set; a user passwd does not
// name leaves the version unknown. Not looked at: the code a .pth file's
// `import` line runs.
import { closeSync, constants, openSync, readdirSync, readSync, realpathSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { hostPath, resolveInRoot } from '@dsa110/ports/files';
import { passwdEntries } from '@dsa110/ports/system';
import { anythingAt, isDirectory } from './root-files.js';
import type { InstalledUvicorn } from './types.js';

/** How a unit's command runs uvicorn: an interpreter given `-m uvicorn`, or the `uvicorn` script (its `#!` line names the interpreter). */
export type UvicornLaunch = ({ readonly interpreter: string; readonly cwd?: string } | { readonly script: string }) & {
  /** Whose ~/.local Python reads outside a venv: the unit's User= (root without one); undefined where it reads none (-s, -I, PYTHONNOUSERSITE, DynamicUser=). */
  readonly userSiteOf?: string;
  /** `python -P`, `-I` or PYTHONSAFEPATH: the directory it starts in is not on its path. */
  readonly safePath?: boolean;
};

/**
 * What `import uvicorn` finds first in a directory of its path: a regular package (`uvicorn/__init__.py`), else a
 * module (`uvicorn.py`). A `uvicorn/` without `__init__.py` is only a namespace portion, which a regular package
 * later on the path wins over (importlib's PathFinder), so it shadows nothing.
 */
function importedFrom(root: string, directory: string): 'package' | 'module' | undefined {
  if (anythingAt(root, join(directory, 'uvicorn', '__init__.py'))) return 'package';
  return anythingAt(root, join(directory, 'uvicorn.py')) ? 'module' : undefined;
}

/** Most bytes read of a `#!` line, pyvenv.cfg, or a metadata file (its Version: comes in the first lines). */
const HEAD_BYTES = 4096;

/** The first `max` bytes of a regular file under `root`, as text; undefined when it is not one or cannot be read. */
function head(root: string, path: string, max = HEAD_BYTES): string | undefined {
  try {
    const fd = openSync(hostPath(root, path), constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
    try {
      const buffer = Buffer.alloc(max);
      return buffer.subarray(0, readSync(fd, buffer, 0, max, 0)).toString('utf8');
    } finally {
      closeSync(fd);
    }
  } catch {
    return undefined;
  }
}

/** `path` with its links followed, as seen inside `root`. */
function realInRoot(root: string, path: string): string | undefined {
  try {
    return root === '/' ? realpathSync(path) : resolveInRoot(root, path);
  } catch {
    return undefined;
  }
}

/** The home directory of `user` in the root's /etc/passwd (its first entry, as getpwnam reads it: passwdEntries). */
function passwdHome(root: string, user: string): string | undefined {
  const text = head(root, '/etc/passwd', 1 << 20);
  return (text === undefined ? undefined : passwdEntries(text).find((entry) => entry.name === user)?.home) || undefined;
}

/** The directories the interpreter at `interpreter` imports from, in order; undefined when they cannot be told. */
function importDirectories(root: string, interpreter: string, userSiteOf: string | undefined): string[] | undefined {
  // A venv: pyvenv.cfg beside the interpreter (as invoked, links not followed) or one directory up.
  for (const prefix of [dirname(interpreter), dirname(dirname(interpreter))]) {
    const config = head(root, join(prefix, 'pyvenv.cfg'));
    if (config === undefined) continue;
    const setting = (key: string) => config.match(new RegExp(`^\\s*${key}\\s*=\\s*(.*?)\\s*$`, 'im'))?.[1];
    const version = (setting('version') ?? setting('version_info'))?.match(/^(\d+)\.(\d+)/);
    if (version === null || version === undefined) return undefined;
    const own = join(prefix, 'lib', `python${version[1]}.${version[2]}`, 'site-packages');
    // With the system's packages too, they come after its own: only its own is followed.
    if (setting('include-system-site-packages')?.toLowerCase() === 'true' && !isDirectory(root, join(own, 'uvicorn'))) return undefined;
    return [own];
  }
  const real = realInRoot(root, interpreter);
  const version = real?.match(/\/python(\d+)\.(\d+)$/);
  if (real === undefined || version === null || version === undefined) return undefined;
  const xy = `${version[1]}.${version[2]}`;
  const prefix = dirname(dirname(real));
  // pip --user's packages come before the system's (site.py adds the directory where it exists).
  const home = userSiteOf === undefined ? undefined : passwdHome(root, userSiteOf);
  if (userSiteOf !== undefined && home === undefined) return undefined;
  const userSite = home === undefined ? [] : [join(home, '.local', 'lib', `python${xy}`, 'site-packages')];
  if (prefix === '/usr')
    return [...userSite, `/usr/local/lib/python${xy}/dist-packages`, `/usr/lib/python${version[1]}/dist-packages`, `/usr/lib/python${xy}/dist-packages`];
  return [...userSite, join(prefix, 'lib', `python${xy}`, 'site-packages')];
}

/** The interpreter of a `#!` script: its first word, unless that is `env` (which looks it up in PATH). */
function scriptInterpreter(root: string, script: string): string | undefined {
  const text = head(root, script, 256);
  const line = text?.startsWith('#!') ? text.slice(2).split('\n')[0]!.trim() : undefined;
  const program = line?.split(/\s+/)[0];
  return program?.startsWith('/') && !program.endsWith('/env') ? program : undefined;
}

/**
 * Whether the directory `directory` (holding `names`, and no `uvicorn` package) may still give uvicorn before the next
 * one: its metadata without the package (an editable install's finder), or a .pth file naming a directory that holds
 * a `uvicorn`, which Python adds right after this one. A .pth's `import` lines run code, which is not followed.
 */
function shadowedAfter(root: string, directory: string, names: readonly string[]): boolean {
  if (names.some((name) => /^(?:__editable__\.)?uvicorn-/i.test(name))) return true;
  for (const name of names) {
    if (!name.endsWith('.pth')) continue;
    const lines = head(root, join(directory, name))?.split('\n') ?? [];
    for (const line of lines.map((each) => each.trim()))
      if (
        line !== '' &&
        !line.startsWith('#') &&
        !/^import[ \t]/.test(line) &&
        anythingAt(root, join(line.startsWith('/') ? line : join(directory, line), 'uvicorn'))
      )
        return true;
  }
  return false;
}

/** The version in a metadata file's `Version:` header. */
function metadataVersion(root: string, path: string): string | undefined {
  return head(root, path)?.match(/^Version:[ \t]*(\S+)[ \t]*\r?$/m)?.[1];
}

/**
 * The uvicorn `launch` imports, under `root`: its version and the metadata file that gives it; undefined when that
 * cannot be told (above).
 */
export function readInstalledUvicorn(root: string, launch: UvicornLaunch): InstalledUvicorn | undefined {
  const interpreter = 'script' in launch ? scriptInterpreter(root, launch.script) : launch.interpreter;
  if (interpreter === undefined || !interpreter.startsWith('/')) return undefined;
  // `python -m` imports from the directory it starts in first, unless -P, -I or PYTHONSAFEPATH leave it out.
  if ('interpreter' in launch && !launch.safePath && (launch.cwd === undefined || importedFrom(root, launch.cwd) !== undefined)) return undefined;
  const directories = importDirectories(root, interpreter, launch.userSiteOf);
  if (directories === undefined) return undefined;
  for (const directory of directories) {
    let names: string[];
    try {
      names = readdirSync(hostPath(root, directory));
    } catch {
      continue;
    }
    const found = names.includes('uvicorn') || names.includes('uvicorn.py') ? importedFrom(root, directory) : undefined;
    // A module file of that name, found first, is what `import uvicorn` gets: no package, no version.
    if (found === 'module') return undefined;
    if (found === undefined) {
      if (shadowedAfter(root, directory, names)) return undefined;
      continue;
    }
    const metadata = names.filter((name) => /^uvicorn-\d[^-]*(?:-py\d[^-]*)?\.(?:dist|egg)-info$/i.test(name));
    if (metadata.length !== 1) return undefined;
    const info = join(directory, metadata[0]!);
    const file = info.endsWith('.dist-info') ? join(info, 'METADATA') : isDirectory(root, info) ? join(info, 'PKG-INFO') : info;
    const version = metadataVersion(root, file);
    return version === undefined ? undefined : { version, metadata: file };
  }
  return undefined;
}
