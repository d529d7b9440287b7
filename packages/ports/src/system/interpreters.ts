// What an interpreter's command line runs, read with that interpreter's own
// option grammar: which options take a value (`python3 -W ignore -m uvicorn`:
// `ignore` is -W's value, not the script), which run inline code (`-c`, `-e`:
// no program name), which name a module (`-m`) or a file (`-jar`, `-f`), and
// whether short flags combine (`python3 -uW ignore`, `python3 -um uvicorn`).
// Sources: python3(1), node(1) and `node --help`, perlrun(1), ruby(1),
// php(1), java(1), dash(1)/bash(1).

import { stringListArgument } from '../arguments.js';

interface Grammar {
  /** Short options (one letter) that take a value, attached (`-Wignore`) or next (`-W ignore`). */
  readonly shortValue: string;
  /** Short options whose value is inline code: no program. */
  readonly shortCode: string;
  /** Short options whose value is the module or file that runs. */
  readonly shortProgram: string;
  /** Short options whose value is attached only (`perl -Mstrict`, `-Idir`): the rest of the word. */
  readonly shortAttached?: string;
  /** Short flags combine in one word (`-uOO`). */
  readonly clusters: boolean;
  /** Long options that take a value (`--require x` or `--require=x`). */
  readonly longValue: ReadonlySet<string>;
  readonly longCode: ReadonlySet<string>;
  readonly longProgram: ReadonlySet<string>;
  /** Single-dash long options (java's `-cp`, `-jar`) that take a value. */
  readonly wordValue?: ReadonlySet<string>;
  readonly wordProgram?: ReadonlySet<string>;
}

const set = (...items: string[]): ReadonlySet<string> => new Set(items);

const PYTHON: Grammar = {
  shortValue: 'WX',
  shortCode: 'c',
  shortProgram: 'm',
  clusters: true,
  longValue: set('--check-hash-based-pycs'),
  longCode: set(),
  longProgram: set(),
};

const NODE: Grammar = {
  shortValue: 'rC',
  shortCode: 'ep',
  shortProgram: '',
  clusters: false,
  longValue: set(
    '--require',
    '--import',
    '--loader',
    '--experimental-loader',
    '--input-type',
    '--conditions',
    '--env-file',
    '--env-file-if-exists',
    '--title',
    '--redirect-warnings',
    '--diagnostic-dir',
    '--icu-data-dir',
    '--openssl-config',
    '--tls-cipher-list',
    '--heapsnapshot-signal',
    '--report-dir',
    '--report-directory',
    '--report-filename',
    '--report-signal',
    '--cpu-prof-dir',
    '--cpu-prof-name',
    '--heap-prof-dir',
    '--heap-prof-name',
    '--disable-warning',
    '--experimental-default-type',
    '--watch-path',
    '--unhandled-rejections',
    '--dns-result-order',
    '--trace-event-categories',
    '--trace-event-file-pattern',
    '--inspect-publish-uid',
    '--localstorage-file',
    '--experimental-config-file',
    '--test-reporter',
    '--test-reporter-destination',
    '--test-name-pattern',
    '--test-skip-pattern',
    '--test-shard',
    '--secure-heap',
    '--secure-heap-min',
    '--max-http-header-size',
    '--stack-trace-limit',
    '--experimental-sea-config',
    '--run',
  ),
  longCode: set('--eval', '--print'),
  longProgram: set(),
};

const PERL: Grammar = {
  shortValue: '',
  shortCode: 'eE',
  shortProgram: '',
  shortAttached: 'MmIlx0iCdDV',
  clusters: true,
  longValue: set(),
  longCode: set(),
  longProgram: set(),
};

const RUBY: Grammar = {
  shortValue: 'rICEF',
  shortCode: 'e',
  shortProgram: '',
  shortAttached: 'Tx0iK',
  clusters: true,
  longValue: set('--encoding', '--external-encoding', '--internal-encoding', '--dump', '--enable', '--disable', '--backtrace-limit', '--crash-report'),
  longCode: set(),
  longProgram: set(),
};

const PHP: Grammar = {
  shortValue: 'cdzStB', // -S addr:port (built-in server), -t docroot, -B begin code
  shortCode: 'rRFE',
  shortProgram: 'f',
  clusters: false,
  longValue: set('--php-ini', '--define', '--zend-extension', '--rf', '--rc', '--re', '--rz', '--ri'),
  longCode: set('--run', '--process-code', '--process-file', '--process-end'),
  longProgram: set('--file'),
};

const JAVA: Grammar = {
  shortValue: '',
  shortCode: '',
  shortProgram: '',
  clusters: false,
  longValue: set(
    '--class-path',
    '--module-path',
    '--add-modules',
    '--upgrade-module-path',
    '--enable-native-access',
    '--add-opens',
    '--add-exports',
    '--add-reads',
    '--patch-module',
    '--limit-modules',
  ),
  longCode: set(),
  longProgram: set('--module'),
  wordValue: set('-cp', '-classpath', '-p', '-splash'),
  wordProgram: set('-jar', '-m'),
};

const SHELL: Grammar = {
  shortValue: 'oO',
  shortCode: 'c',
  shortProgram: '',
  clusters: true,
  longValue: set('--rcfile', '--init-file'),
  longCode: set(),
  longProgram: set(),
};

const GRAMMARS: readonly [RegExp, Grammar][] = [
  [/^(python|pypy)[0-9.]*$/, PYTHON],
  [/^(node|nodejs)$/, NODE],
  [/^perl[0-9.]*$/, PERL],
  [/^ruby[0-9.]*$/, RUBY],
  [/^php[0-9.]*(-cli)?$/, PHP],
  [/^java$/, JAVA],
  [/^(ba|da|z|k)?sh$/, SHELL],
];

/** The interpreter whose grammar reads `name`'s command line, or undefined. */
export function grammarFor(name: string): Grammar | undefined {
  return GRAMMARS.find(([pattern]) => pattern.test(name))?.[1];
}

export function isInterpreter(name: string): boolean {
  return grammarFor(name) !== undefined;
}

export type Program = { readonly module: string } | { readonly script: string } | { readonly inline: true } | undefined;

/** What a Python command line runs (pythonRun): a module (`-m`) or a script, from argv[next] on, after `switches`. */
export type PythonRun =
  | { readonly module: string; readonly next: number; readonly switches: string }
  | { readonly script: string; readonly next: number; readonly switches: string }
  | { readonly inline: true }
  | undefined;

/** CPython's short options (Python/getopt.c, 3.11+): a letter followed by `:` takes a value. */
const PYTHON_SHORT = 'bBc:dEhiIm:OPqRsStuvVW:xX:?';

/**
 * Pure: what `argv` (argv[0] the interpreter) runs, read as CPython's getopt reads it: switches without a value
 * group in one word (`-uOO`), and one that takes a value (-c, -m, -W, -X) takes the rest of the word, else the next
 * word (`-um uvicorn` is -u, -m uvicorn; `-mu` runs the module `u`); the long options whole (`--check-hash-based-pycs
 * never`, not with `=`); `--` ends them, `-` reads the program from stdin. `switches`, the letters given before the
 * program (`-s -I` → `sI`). Undefined when it runs nothing named: stdin, or a line Python refuses or answers without
 * running it (`-J`, an unknown letter, `--help`, `-V`). Checked with Python 3.11.
 */
export function pythonRun(argv: readonly string[]): PythonRun {
  return readPython(stringListArgument('pythonRun', 'argv', argv));
}

function readPython(argv: readonly string[]): PythonRun {
  let switches = '';
  for (let index = 1; index < argv.length; index++) {
    const word = argv[index]!;
    if (word === '--') return argv[index + 1] === undefined ? undefined : { script: argv[index + 1]!, next: index + 2, switches };
    if (!word.startsWith('-') || word === '-') return word === '-' ? undefined : { script: word, next: index + 1, switches };
    if (word.startsWith('--')) {
      if (word !== '--check-hash-based-pycs' || !['always', 'never', 'default'].includes(argv[index + 1] ?? '')) return undefined;
      index++;
      continue;
    }
    for (let at = 1; at < word.length; at++) {
      const letter = word[at]!;
      const known = PYTHON_SHORT.indexOf(letter);
      if (known < 0 || ':'.includes(letter) || 'hV?'.includes(letter)) return undefined;
      if (PYTHON_SHORT[known + 1] !== ':') {
        switches += letter;
        continue;
      }
      const attached = word.slice(at + 1);
      const value = attached !== '' ? attached : argv[++index];
      if (value === undefined) return undefined;
      if (letter === 'c') return { inline: true };
      if (letter === 'm') return { module: value, next: index + 1, switches };
      break;
    }
  }
  return undefined;
}

/** What `argv` (argv[0] the interpreter) runs, read with `grammar`. */
export function interpretedProgram(grammar: Grammar, argv: readonly string[]): Program {
  if (grammar === PYTHON) {
    const run = readPython(argv);
    return run === undefined || 'inline' in run ? run : 'module' in run ? { module: run.module } : { script: run.script };
  }
  for (let index = 1; index < argv.length; index++) {
    const arg = argv[index]!;
    const next = (): string | undefined => argv[++index];
    if (arg === '--') return argv[index + 1] !== undefined ? { script: argv[index + 1]! } : undefined;
    if (arg === '-') return undefined; // the program comes from stdin
    if (!arg.startsWith('-')) return { script: arg };
    if (grammar.wordProgram?.has(arg)) {
      const value = next();
      return value === undefined ? undefined : arg === '-m' ? { module: value } : { script: value };
    }
    if (grammar.wordValue?.has(arg)) {
      next();
      continue;
    }
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      const name = eq > 0 ? arg.slice(0, eq) : arg;
      const value = (): string | undefined => (eq > 0 ? arg.slice(eq + 1) : next());
      if (grammar.longCode.has(name)) return { inline: true };
      if (grammar.longProgram.has(name)) {
        const program = value();
        return program === undefined ? undefined : grammar === JAVA ? { module: program.split('/')[0]! } : { script: program };
      }
      if (grammar.longValue.has(name)) value();
      continue;
    }
    if (grammar === JAVA) continue; // -Dx=y, -Xmx1g, -ea: one word each
    // A short option, or (clusters) several: `-uW ignore`, `-um uvicorn`, `-Wignore`.
    const letters = grammar.clusters ? arg.slice(1) : arg.slice(1, 2);
    for (let at = 0; at < letters.length; at++) {
      const letter = letters[at]!;
      const rest = grammar.clusters ? letters.slice(at + 1) : arg.slice(2);
      const value = (): string | undefined => (rest !== '' ? rest : next());
      if (grammar.shortCode.includes(letter)) return { inline: true };
      if (grammar.shortProgram.includes(letter)) {
        const program = value();
        if (program === undefined) return undefined;
        return grammar === PYTHON ? { module: program } : { script: program };
      }
      if (grammar.shortValue.includes(letter)) {
        value();
        break;
      }
      if (grammar.shortAttached?.includes(letter)) break; // the rest of the word is its value
    }
  }
  return undefined;
}
