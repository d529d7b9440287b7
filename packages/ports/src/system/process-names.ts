// The names a process goes by, matched against the registry's globs: the
// expected owners of a port (`processes`) and the names claim-port must never
// signal (`claim.protect.processes`). One place, so that the health check and
// claim-port agree on who a process is.

export interface NamedProcess {
  /** The kernel's name (15 characters at most). */
  readonly comm?: string;
  /** Basename or path of the executable, when readable. */
  readonly exe?: string;
  readonly argv?: readonly string[];
}

const cache = new Map<string, RegExp>();

/** A registry glob (`*` any run, `?` one character) as an anchored RegExp. */
export function globToRegExp(glob: string): RegExp {
  let regexp = cache.get(glob);
  if (!regexp) {
    const body = glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
    regexp = new RegExp(`^${body}$`);
    cache.set(glob, regexp);
  }
  return regexp;
}

const basename = (path: string) => path.slice(path.lastIndexOf('/') + 1);

// Interpreters whose own name says little: what they run is the program.
const INTERPRETER = /^(python[0-9.]*|pypy[0-9.]*|node|nodejs|deno|bun|perl[0-9.]*|ruby[0-9.]*|php[0-9.]*|java|(ba|da|z)?sh)$/;

/**
 * comm, the executable's basename, argv[0]'s basename (a login shell's `-bash`
 * as `bash`, a retitled `nginx: worker process` as `nginx`), and for an
 * interpreter the program it runs: the module of `python3 -m uvicorn` and the
 * script of `node /srv/vite.js` (`vite.js` and `vite`). So `uvicorn` names a
 * uvicorn started either way, and `python3 -m http.server` is not `uvicorn`.
 */
export function processNames(process: NamedProcess): string[] {
  const names = new Set<string>();
  // Each name also without a login shell's leading `-` and without a title
  // after `:` or a space (`sshd: alice@pts/0`, `nginx: worker process`).
  const add = (name: string | undefined) => {
    if (!name) return;
    names.add(name);
    const program = name.split(/[:\s]/)[0]!;
    if (program) names.add(program);
    if (program.startsWith('-') && program.length > 1) names.add(program.slice(1));
  };
  add(process.comm);
  if (process.exe) add(basename(process.exe.replace(/ \(deleted\)$/, '')));
  const argv0 = process.argv?.[0];
  if (argv0) add(basename(argv0.split(/[:\s]/)[0]!));
  if ([...names].some((name) => INTERPRETER.test(name))) {
    for (const program of interpretedProgram(process.argv ?? [])) add(program);
  }
  return [...names];
}

/** What an interpreter's argv runs: `-m MODULE`, or the first argument that is not an option. */
function interpretedProgram(argv: readonly string[]): string[] {
  for (let index = 1; index < argv.length; index++) {
    const arg = argv[index]!;
    if (arg === '-m' || arg === '--module') return argv[index + 1] ? [argv[index + 1]!] : [];
    if (arg.startsWith('-m') && arg.length > 2 && !arg.startsWith('--')) return [arg.slice(2)];
    if (arg === '-c' || arg === '-e' || arg === '--eval' || arg === '-p') return []; // inline code: no program name
    if (arg.startsWith('-')) continue;
    const script = basename(arg);
    const bare = script.replace(/\.(py|js|mjs|cjs|pl|rb|php|sh)$/, '');
    return bare === script ? [script] : [script, bare];
  }
  return [];
}

/** The first of `globs` that one of the process's names matches, with that name. */
export function matchProcessName(process: NamedProcess, globs: readonly string[]): { name: string; glob: string } | undefined {
  const names = processNames(process);
  for (const glob of globs) {
    const regexp = globToRegExp(glob);
    const name = names.find((candidate) => regexp.test(candidate));
    if (name !== undefined) return { name, glob };
  }
  return undefined;
}
