// A claim-port command behind a wrapper (`env claim-port 8000`, `nice -n 5
// claim-port 8000`, `sh -c 'claim-port 8000'`): the claim-port command inside,
// read exactly, or the wrapper this module cannot read. Only wrappers whose
// argv is plain are read, and only what they do to claim-port that does not
// change what it claims: env with PATH, LANG, LC_*, TZ or TERM assignments
// (no option: -i, -u and -S change what claim-port reads or splits), nice
// with its adjustment, ionice with its class and level, and sh, bash or dash
// given `-c` with a simple command line (words, single- or double-quoted
// without `$`, `` ` `` or `\`; `exec` before it). The rest (sudo, setpriv,
// chrt, timeout, a pipe, `$VAR` inside, any other option) is named, unread.

/** What one wrapper runs: its command (argv[0] the program), not a wrapper at all (undefined), or why it cannot be read. */
type Step = { readonly inner: readonly string[] } | { readonly unread: string } | undefined;

/** The environment a claim-port may be given without changing what it claims: its program lookup and messages only. */
const HARMLESS_VARIABLE = /^(?:PATH|LANG|LANGUAGE|LC_[A-Z]+|TZ|TERM)=/;
const NUMBER = /^[+-]?\d+$/;

const baseName = (path: string) => path.slice(path.lastIndexOf('/') + 1);

/** coreutils env: NAME=VALUE assignments, then the command (no option read: each changes or splits claim-port's environment or words). */
function envStep(args: readonly string[]): Step {
  let at = args[0] === '--' ? 1 : 0;
  if (at === 0 && args[0]?.startsWith('-')) return { unread: `env with ${args[0]}` };
  for (; at < args.length && args[at]!.includes('='); at++) {
    if (!HARMLESS_VARIABLE.test(args[at]!)) return { unread: `env setting ${args[at]!.slice(0, args[at]!.indexOf('=')) || '""'}` };
  }
  return at < args.length ? { inner: args.slice(at) } : undefined;
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

/** util-linux ionice: `-c CLASS`, `-n LEVEL`, `-t` (and their long names), then the command; `-p`, `-P`, `-u` name processes, not a command. */
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
    const value =
      word === '-c' || word === '-n' || word === '--class' || word === '--classdata' ? args[++at] : /^(?:-c|-n|--class=|--classdata=)(.+)$/.exec(word)?.[1];
    if (value === undefined || !/^[A-Za-z0-9-]+$/.test(value)) return { unread: `ionice with ${word}` };
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
  const words: string[] = [];
  const text = args[1];
  const token = /[ \t\n]+|([A-Za-z0-9_./:=@%+,-]+)|'([^']*)'|"([^"$`\\!]*)"/y;
  let word: string | undefined;
  while (token.lastIndex < text.length) {
    const start = token.lastIndex;
    const match = token.exec(text);
    if (match === null) return { unread: `${shell} -c with ${JSON.stringify(text[start])}` };
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

/**
 * Pure: the command a chain of wrappers runs in the end (`argv`, argv[0] the program), and the wrappers on the way
 * (`through`, as written: empty for a direct command), when `isTarget` holds for it; `{ unread }` naming the wrapper
 * (and what in it) that cannot be read exactly when a word of the command names a program `mentions` holds for; else undefined.
 */
export function unwrapCommand(
  argv: readonly string[],
  isTarget: (program: string) => boolean,
  mentions: (word: string) => boolean,
): { readonly argv: readonly string[]; readonly through: readonly string[] } | { readonly unread: string } | undefined {
  let current = argv;
  const through: string[] = [];
  for (let depth = 0; depth < 8 && current.length > 0; depth++) {
    if (isTarget(current[0]!)) return { argv: current, through };
    const step = wrapperStep(current);
    if (step === undefined || 'unread' in step) {
      if (!current.slice(1).some(mentions)) return undefined;
      return { unread: step === undefined ? baseName(current[0]!) : step.unread };
    }
    through.push(current[0]!);
    current = step.inner;
  }
  return undefined;
}
