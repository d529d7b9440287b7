// A path that names a directory by its spelling, whatever is there: `out/`,
// `out/.`, `a/b/..`, `.`. The kernel reads it so (`cp x f/`: "Not a
// directory"), but node:path's join, normalize, dirname and basename drop the
// ending (`fw.nft/.` joins to `fw.nft/`, whose dirname and basename are `.`
// and `fw.nft`): a writer that works from them wrote the file `fw.nft`. So
// every writer of a path a user gave asks this first (write.ts,
// directoryPathProblem), and so does every path that must name a file.

/** Pure: how `path` ends when it names a directory (`/`, `/.`, `/..`, or a bare `.` or `..`); undefined when it may name a file. */
export function directoryEnding(path: string): string | undefined {
  if (path.endsWith('/')) return '/';
  const slash = path.lastIndexOf('/');
  const last = path.slice(slash + 1);
  if (last !== '.' && last !== '..') return undefined;
  return slash < 0 ? last : `/${last}`;
}
