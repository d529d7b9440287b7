// Is this process one the registry expects on the port? Registry globs (`*`,
// `?`) are matched against the kernel's name for it (comm, 15 characters at
// most), the basename of its executable and the basename of argv[0]: a
// Python service shows as `python3.11` in comm and exe but may set its argv[0].
import type { ProcessFacts } from './types.js';

const cache = new Map<string, RegExp>();

export function globToRegExp(glob: string): RegExp {
  let regexp = cache.get(glob);
  if (!regexp) {
    const body = glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
    regexp = new RegExp(`^${body}$`);
    cache.set(glob, regexp);
  }
  return regexp;
}

function basename(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

/** The names a process goes by: comm, exe basename (without " (deleted)"), argv[0] basename. */
export function processNames(process: ProcessFacts): string[] {
  const names = new Set<string>();
  if (process.comm) names.add(process.comm);
  if (process.exe) names.add(basename(process.exe.replace(/ \(deleted\)$/, '')));
  if (process.argv?.[0]) names.add(basename(process.argv[0]));
  return [...names];
}

export function processMatches(process: ProcessFacts, globs: readonly string[]): boolean {
  const names = processNames(process);
  return globs.some((glob) => names.some((name) => globToRegExp(glob).test(name)));
}

/** `node (pid 4242, user alice): node /srv/vite.js --port 3030` */
export function describeProcess(process: ProcessFacts): string {
  const name = process.comm ?? (process.exe ? basename(process.exe) : '?');
  const user = process.user ?? (process.uid !== undefined ? `uid ${process.uid}` : 'user unknown');
  const who = `${name} (pid ${process.pid}, ${process.user ? `user ${user}` : user})`;
  // process.title pads argv with spaces: trim them.
  const command = process.argv?.length ? process.argv.join(' ').trim() : undefined;
  if (!command) return who;
  return `${who}: ${command.length > 160 ? `${command.slice(0, 157)}...` : command}`;
}
