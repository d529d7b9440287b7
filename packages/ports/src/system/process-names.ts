// The names a process goes by, matched against the registry's globs: the
// expected owners of a port (`processes`) and the names claim-port must never
// signal (`claim.protect.processes`). One place, so that the health check and
// claim-port agree on who a process is.

import { grammarFor, interpretedProgram, isInterpreter } from './interpreters.js';
import { describeArgument, listProblem, objectArgument, stringArgument, stringListArgument } from '../arguments.js';
import { compileGlob } from '../glob.js';

export interface NamedProcess {
  /** The kernel's name (15 characters at most). */
  readonly comm?: string;
  /** Basename or path of the executable, when readable. */
  readonly exe?: string;
  readonly argv?: readonly string[];
}

const cache = new Map<string, RegExp>();

/**
 * A registry glob (`*` any run, `?` one character, `[...]` one of a set; see glob.ts) as an
 * anchored RegExp that never backtracks across stars: linear in the name. A glob that is not well
 * formed (an unclosed `[`, a backwards range) is a TypeError saying what is wrong.
 */
export function globToRegExp(glob: string): RegExp {
  stringArgument('globToRegExp', 'glob', glob, 'a glob (a string)');
  let regexp = cache.get(glob);
  if (!regexp) {
    try {
      regexp = compileGlob(glob);
    } catch (error) {
      throw new TypeError(`globToRegExp: ${(error as Error).message}`);
    }
    cache.set(glob, regexp);
  }
  return regexp;
}

const basename = (path: string) => path.slice(path.lastIndexOf('/') + 1);

// Interpreters whose own name says little: what they run is the program,
// read with each interpreter's option grammar (interpreters.ts).
const RUNNERS = /^(deno|bun)$/;

/** `process` of processNames and matchProcessName, each name it reads checked: a symbol failed inside ("name.split is not a function"). */
function namedProcessArgument(fn: string, process: NamedProcess): void {
  objectArgument(fn, 'process', process, '{ comm, exe?, argv }: a ProcessInfo');
  const { comm, exe, argv } = process as Partial<Record<keyof NamedProcess, unknown>>;
  if (comm !== undefined && typeof comm !== 'string')
    throw new TypeError(`${fn}: process.comm must be a process name (a string) or left out, not ${describeArgument(comm)}`);
  if (exe !== undefined && typeof exe !== 'string')
    throw new TypeError(`${fn}: process.exe must be a path (a string) or left out, not ${describeArgument(exe)}`);
  const problem = argv === undefined ? undefined : listProblem('process.argv', argv, 'an array of strings or left out');
  if (problem !== undefined) throw new TypeError(`${fn}: ${problem}`);
}

/**
 * comm, the executable's basename, argv[0]'s basename (a login shell's `-bash`
 * as `bash`, a retitled `nginx: worker process` as `nginx`), and for an
 * interpreter the program it runs: the module of `python3 -m uvicorn` and the
 * script of `node /srv/vite.js` (`vite.js` and `vite`). So `uvicorn` names a
 * uvicorn started either way, and `python3 -m http.server` is not `uvicorn`.
 */
export function processNames(process: NamedProcess): string[] {
  namedProcessArgument('processNames', process);
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
  const interpreter = [...names].find((name) => isInterpreter(name) || RUNNERS.test(name));
  if (interpreter) for (const program of programNames(interpreter, process.argv ?? [])) add(program);
  return [...names];
}

/**
 * Whether `name` is an interpreter's or a runner's (`node`, `python3`, `perl`, `deno`): every program it runs
 * goes by it too, so it says which program a process is only through what it runs (processNames adds that).
 */
export function isInterpreterName(name: string): boolean {
  stringArgument('isInterpreterName', 'name', name, 'a process name (a string)');
  return isInterpreter(name) || RUNNERS.test(name);
}

/** The module (`uvicorn`) or the script (`vite.js` and `vite`) an interpreter's argv runs. */
function programNames(interpreter: string, argv: readonly string[]): string[] {
  const grammar = grammarFor(interpreter);
  // deno and bun: `deno run [options] script`, `bun [run] script`; no option takes a separate value we need.
  const program = grammar
    ? interpretedProgram(grammar, argv)
    : (() => {
        const rest = argv.slice(1).filter((arg) => arg !== 'run' && !arg.startsWith('-'));
        return rest[0] === undefined ? undefined : { script: rest[0] };
      })();
  if (!program || 'inline' in program) return [];
  if ('module' in program) return [program.module];
  const script = basename(program.script);
  const bare = script.replace(/\.(py|js|mjs|cjs|ts|pl|rb|php|sh|jar)$/, '');
  return bare === script ? [script] : [script, bare];
}

/** The first of `globs` that one of the process's names matches, with that name. */
export function matchProcessName(process: NamedProcess, globs: readonly string[]): { name: string; glob: string } | undefined {
  namedProcessArgument('matchProcessName', process);
  stringListArgument('matchProcessName', 'globs', globs);
  const names = processNames(process);
  for (const glob of globs) {
    const regexp = globToRegExp(glob);
    const name = names.find((candidate) => regexp.test(candidate));
    if (name !== undefined) return { name, glob };
  }
  return undefined;
}
