// A claim-port command behind a wrapper (`env claim-port 8000`, `nice -n 5
// claim-port 8000`, `sh -c 'claim-port 8000'`): the claim-port command inside,
// read exactly, or the wrapper this module cannot read. Only wrappers whose
// argv is plain are read, and only what they do to claim-port that does not
// change what it claims, each value one the real program accepts: env with
// LANG, LC_*, TZ or TERM assignments, or PATH (claim-port named after it
// without a slash is looked up there, as env's execvp does: the caller is
// given that PATH; a wrapper named so is unread) (no option: -i, -u and -S
// change what claim-port reads or splits), nice with a numeric adjustment, ionice with a class
// (0-3, none, realtime, best-effort, idle) and a level (0-7), and sh, bash or
// dash given `-c` with a simple command line (words separated by spaces or
// tabs, single- or double-quoted without `$`, `` ` `` or `\`; `exec` before
// it). The rest (sudo, setpriv, chrt, timeout, a pipe, a newline, `$VAR`
// inside, a shell option after `-c`, any other option or value) is named,
// unread: a wrapper read wrong would pass a line that frees nothing.

/**
 * What one wrapper runs: its command (argv[0] the program; `setsPath` when it sets PATH, by which the programs after it
 * are looked up), not a wrapper at all (undefined), or why it cannot be read.
 */
type Step = { readonly inner: readonly string[]; readonly setsPath?: string } | { readonly unread: string } | undefined;

/** The environment a claim-port may be given without changing what it claims: its program lookup and messages only. */
const HARMLESS_VARIABLE = /^(?:PATH|LANG|LANGUAGE|LC_[A-Z]+|TZ|TERM)=/;
/** util-linux ionice's classes by name (compared ignoring case, as it does), besides their numbers 0-3. */
const IONICE_CLASS = /^(?:[0-3]|none|realtime|best-effort|idle)$/i;
const NUMBER = /^[+-]?\d+$/;

const baseName = (path: string) => path.slice(path.lastIndexOf('/') + 1);

/** coreutils env: NAME=VALUE assignments, then the command (no option read: each changes or splits claim-port's environment or words). */
function envStep(args: readonly string[]): Step {
  let at = args[0] === '--' ? 1 : 0;
  if (at === 0 && args[0]?.startsWith('-')) return { unread: `env with ${args[0]}` };
  let setsPath: string | undefined; // the last PATH= wins, as env's putenv does
  for (; at < args.length && args[at]!.includes('='); at++) {
    if (!HARMLESS_VARIABLE.test(args[at]!)) return { unread: `env setting ${args[at]!.slice(0, args[at]!.indexOf('=')) || '""'}` };
    if (args[at]!.startsWith('PATH=')) setsPath = args[at]!.slice('PATH='.length);
  }
  return at < args.length ? { inner: args.slice(at), ...(setsPath !== undefined && { setsPath }) } : undefined;
}

/** coreutils nice: `-n N`, `-nN`, `--adjustment=N`, `--adjustment N`, or `-N` first, then the command (getopt stops at it). */
function niceStep(args: readonly string[]): Step {
  let at = 0;
  if (args[0] !== undefined && /^-\d+$/.test(args[0])) at = 1;
  while (at < args.length && args[at]!.startsWith('-')) {
    const word = args[at]!;
    if (word === '--') {
      at++;
      break;
    }
    const value = word === '-n' || word === '--adjustment' ? args[++at] : /^(?:-n|--adjustment=)(.*)$/.exec(word)?.[1];
    if (value === undefined || !NUMBER.test(value)) return { unread: `nice with ${word}` };
    at++;
  }
  return at < args.length ? { inner: args.slice(at) } : undefined;
}

/**
 * util-linux ionice: `-c CLASS`, `-n LEVEL`, `-t` (and their long names), then the command; `-p`, `-P`, `-u` name
 * processes, not a command. Only a class and level it takes: another makes it exit 1 without running the command
 * (`-c idel`: "unknown scheduling class"; `-n abc`: "invalid class data argument"), or a kernel may refuse it (`-n 9`).
 */
function ioniceStep(args: readonly string[]): Step {
  let at = 0;
  while (at < args.length && args[at]!.startsWith('-')) {
    const word = args[at]!;
    if (word === '--') {
      at++;
      break;
    }
    if (word === '-t' || word === '--ignore') {
      at++;
      continue;
    }
    const isClass = /^(?:-c|--class(?:=|$))/.test(word);
    const value =
      word === '-c' || word === '-n' || word === '--class' || word === '--classdata' ? args[++at] : /^(?:-c|-n|--class=|--classdata=)(.+)$/.exec(word)?.[1];
    if (value === undefined || !(isClass ? IONICE_CLASS : /^[0-7]$/).test(value))
      return { unread: `ionice with ${word}${value === undefined ? '' : ` ${value}`}` };
    at++;
  }
  return at < args.length ? { inner: args.slice(at) } : undefined;
}

/**
 * `sh -c STRING`: STRING's words when it is a simple command line (the characters below unquoted, `'...'`, or `"..."`
 * without `$`, `` ` ``, `\` or `!`; `exec` before it), else unread.
 */
function shellStep(shell: string, args: readonly string[]): Step {
  if (args[0] !== '-c' || args[1] === undefined) return { unread: `${shell} ${args[0] ?? ''}`.trim() };
  // `sh -c -e STRING`: an option after -c, STRING the word after the options.
  if (args[1].startsWith('-') || args[1].startsWith('+')) return { unread: `${shell} -c with the option ${args[1]}` };
  const words: string[] = [];
  const text = args[1];
  // Words are split at spaces and tabs only: a newline ends a command (`claim-port\n8000` runs claim-port alone).
  const token = /[ \t]+|([A-Za-z0-9_./:=@%+,-]+)|'([^']*)'|"([^"$`\\!]*)"/y;
  let word: string | undefined;
  while (token.lastIndex < text.length) {
    const start = token.lastIndex;
    const match = token.exec(text);
    if (match === null) return { unread: `${shell} -c with "${text[start]}"` };
    const part = match[1] ?? match[2] ?? match[3];
    if (part === undefined) {
      if (word !== undefined) words.push(word);
      word = undefined;
    } else word = (word ?? '') + part;
  }
  if (word !== undefined) words.push(word);
  if (words[0] === 'exec') words.shift();
  if (words[0]?.includes('=')) return { unread: `${shell} -c setting ${words[0].slice(0, words[0].indexOf('='))}` };
  return words.length > 0 ? { inner: words } : undefined;
}

function wrapperStep(argv: readonly string[]): Step {
  const name = baseName(argv[0] ?? '');
  const args = argv.slice(1);
  switch (name) {
    case 'env':
      return envStep(args);
    case 'nice':
      return niceStep(args);
    case 'ionice':
      return ioniceStep(args);
    case 'sh':
    case 'bash':
    case 'dash':
      return shellStep(name, args);
    default:
      return undefined;
  }
}

/** How deep a chain of wrappers is read (`env nice ionice sh -c ...`); one deeper is unread. */
const MAX_WRAPPERS = 8;

/**
 * Pure: the command a chain of wrappers runs in the end (`argv`, argv[0] the program), and the wrappers on the way
 * (`through`, as written: empty for a direct command), when `isTarget` holds for it, with the PATH an env on the way
 * sets (`path`: env execvp's a program named without a `/` in that PATH, not where systemd looks); else `{ unread }`
 * naming the wrapper (and what in it) that cannot be read exactly when a word of `argv` after its program names a
 * program `mentions` holds for (never undefined then: a line that may run claim-port is not one that does not); else
 * undefined.
 */
export function unwrapCommand(
  argv: readonly string[],
  isTarget: (program: string) => boolean,
  mentions: (word: string) => boolean,
): { readonly argv: readonly string[]; readonly through: readonly string[]; readonly path?: string } | { readonly unread: string } | undefined {
  let current = argv;
  const through: string[] = [];
  // Set once a wrapper sets PATH: a program named after it without a `/` is looked up there, not where systemd would.
  let path: string | undefined;
  let unread: string | undefined;
  for (let depth = 0; current.length > 0; depth++) {
    const byName = !current[0]!.includes('/');
    if (isTarget(current[0]!)) return { argv: current, through, ...(path !== undefined && byName && { path }) };
    // A wrapper named after it is looked up in that PATH too: where, this module does not follow.
    if (path !== undefined && byName) {
      unread = `env setting PATH, then ${current[0]} by name`;
      break;
    }
    if (depth === MAX_WRAPPERS) {
      unread = `more than ${MAX_WRAPPERS} wrappers`;
      break;
    }
    const step = wrapperStep(current);
    if (step === undefined || 'unread' in step) {
      unread = step === undefined ? baseName(current[0]!) : step.unread;
      break;
    }
    through.push(current[0]!);
    path = step.setsPath ?? path;
    current = step.inner;
  }
  return argv.slice(1).some(mentions) ? { unread: unread ?? baseName(through.at(-1) ?? argv[0] ?? '') } : undefined;
}
