// Whether a path a unit names (a claim line's --registry, the health check's) is the registry checked: the same file
// (device and inode) when both are there, as claim-port and the health check open them (a link, `..`, another spelling
// of one file), else the same path (`//`, `/./` alike). port-health-check knows a claim's registry so, too.
import { statSync } from 'node:fs';
import { hostPath } from '../files/index.js';
import { extractWord, quoteExecWord, simplifyPath } from './words.js';

/** The registry file `path` names under `root` (device and inode), or undefined when it names no regular file there. */
export function registryFileId(root: string, path: string): string | undefined {
  try {
    const file = statSync(hostPath(root, path));
    return file.isFile() ? `${file.dev}:${file.ino}` : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Whether an absolute `path` names the registry `registryPath` under `root` (`/`: this host): the same file when both
 * name one there (links followed inside the root), else the same path as written. Each call looks the file up again;
 * the registry's own identity is looked up once.
 */
export function namesRegistry(root: string, registryPath: string): (path: string) => boolean {
  let checked: string | undefined | null = null;
  return (path) => {
    const text = simplifyPath(path) === simplifyPath(registryPath);
    if (!path.startsWith('/')) return text;
    if (checked === null) checked = registryFileId(root, registryPath);
    const named = checked === undefined ? undefined : registryFileId(root, path);
    return named === undefined ? text : named === checked;
  };
}

/**
 * Pure: whether file text `actual` is `expected` (what `ports systemd` writes, naming `registryPath` as
 * `--registry PATH`) but for the registry's name: each line that differs names, in its place, a path (quoted as the
 * write quotes it) that `names` says is the registry. The file then makes claim-port and the health check read the
 * registry checked; writing it again would only change its name.
 */
export function sameButRegistryName(actual: string, expected: string, registryPath: string, names: (path: string) => boolean): boolean {
  const have = actual.split('\n');
  const want = expected.split('\n');
  if (have.length !== want.length) return false;
  const quoted = ` --registry ${quoteExecWord(registryPath)}`;
  return want.every((line, index) => {
    const got = have[index]!;
    if (got === line) return true;
    const at = line.indexOf(quoted);
    if (at < 0) return false;
    const head = line.slice(0, at + ' --registry '.length);
    const tail = line.slice(at + quoted.length);
    if (got.length <= head.length + tail.length || !got.startsWith(head) || !got.endsWith(tail)) return false;
    const written = got.slice(head.length, got.length - tail.length);
    const word = extractWord(written, 0);
    if (!('word' in word) || word.next !== undefined || quoteExecWord(word.word) !== written) return false;
    return word.word.startsWith('/') && names(word.word);
  });
}
