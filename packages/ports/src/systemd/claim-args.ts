// claim-port's command line, pure: argv -> what to do, or a usage error. No
// I/O, no registry: a service id is only recognised as "not a port" here and
// resolved later. It lives in the core, not in claim-port, because it has two
// readers: claim-port itself, and the unit-file model that judges an
// `ExecStartPre=` claim line ("would claim-port accept this, and which port
// would it claim?"): one grammar, one answer.
import { asciiDashed, formatFlags, parseCommandLine, STANDARD_OPTIONS, UsageError, type Flags, type Parsed } from '../cli-kit/parse.js';
import { cacheHelp, EXIT_USAGE } from '../cli-kit/conventions.js';
import { DEFAULT_CLAIM_TIMEOUT_SECONDS, MAX_CLAIM_TIMEOUT_SECONDS, MIN_CLAIM_TIMEOUT_SECONDS, timeoutTextProblem } from '../limits.js';
import { escapeText, MAX_QUOTED, processNameText, quoteValue } from '../escape.js';
import { isOtherDigits, parsePort, portProblem } from '../port.js';
import { portArgument, stringArgument, stringListArgument, transportArgument } from '../arguments.js';
import { deepFreeze } from '../frozen.js';

export interface ClaimArgs {
  readonly command: 'claim';
  /** A port, or a service id to resolve against the registry. */
  readonly target: { readonly port: number } | { readonly id: string };
  /** From `PORT/udp` or `PORT/tcp`; undefined: tcp for a port, the registry's for a service id. */
  readonly transport?: 'tcp' | 'udp';
  readonly dryRun: boolean;
  /** Seconds; undefined means the registry's default. */
  readonly timeoutSeconds?: number;
  readonly force: boolean;
  readonly json: boolean;
  readonly quiet: boolean;
  readonly registry?: string;
}

export type ParsedClaimArgs =
  | ClaimArgs
  | { readonly command: 'help' }
  | { readonly command: 'version' }
  | { readonly command: 'self-test'; readonly json: boolean }
  | { readonly command: 'usage-error'; readonly message: string };

/**
 * claim-port's flags, in the order --help lists them: each declared once, with
 * its help (the help text is made from these, claimUsage()), and read in
 * parseClaimArgs() below. To add a flag: an entry here, its reading into
 * ClaimArgs in parseClaimArgs(), and its use in claim-port's cliOptions()
 * (packages/claim-port/src/cli-shared.ts), which hands ClaimArgs to claimPort().
 * Frozen, with every entry (frozen.ts): parseClaimArgs reads it for every caller of
 * the process (claim-port, the unit-file model judging claim lines), so one caller's
 * `delete CLAIM_FLAGS.force` would make `--force` an unknown option for all of them.
 */
export const CLAIM_FLAGS = deepFreeze({
  'dry-run': { type: 'boolean', help: 'signal nothing; report what would be done' },
  timeout: {
    type: 'string',
    value: 'SECONDS',
    needs: 'a number of seconds, e.g. --timeout=5',
    help: [
      `wait this long after SIGTERM before SIGKILL (${MIN_CLAIM_TIMEOUT_SECONDS} to ${MAX_CLAIM_TIMEOUT_SECONDS} s,`,
      `plain decimal: 5, 0.5, .5 or 5.; default from the registry, ${DEFAULT_CLAIM_TIMEOUT_SECONDS})`,
    ],
  },
  force: { type: 'boolean', help: 'send SIGKILL at once, no SIGTERM' },
  json: { type: 'boolean', selectsJson: true, help: 'print one JSON object to stdout' },
  quiet: { type: 'boolean', short: 'q', help: 'print only warnings and errors to stderr (no progress lines)' },
  registry: {
    type: 'string',
    value: 'PATH',
    needs: 'the path of a ports.yaml',
    help: 'use this ports.yaml (default: $DSA110_PORTS_FILE, else the bundled one)',
  },
  test: { type: 'boolean', help: 'run the self-test (argument checks, and live TCP and UDP claims on loopback)' },
  ...STANDARD_OPTIONS,
} as const satisfies Flags);

/** claim-port --help: CLAIM_FLAGS' own lines between the description and the examples. Built only when asked for. */
export function claimUsage(): string {
  return `Usage: claim-port <port[/tcp|/udp]|service-id> [options]
       claim-port --test [--json] | --help | --version

Frees a port for the service that owns it: finds every process listening on
the port (for PORT/udp: every process with a socket bound to it, not a
client's socket connected to a peer), refuses if one is protected or its
systemd unit would restart it, sends SIGTERM, waits, sends SIGKILL to what
remains, watches for a supervisor taking the port back, and verifies that a
server could bind the port.

Options:
${formatFlags(CLAIM_FLAGS)}

Examples:
  claim-port 8000                       free port 8000 (exit 0 when it is free)
  claim-port api                        the registry's port of service "api" ($CONTIMG_API_PORT applied)
  claim-port 6379 --dry-run             say what would be signalled; signal nothing
  claim-port 5353/udp                   free UDP port 5353 (its bound sockets; a TCP listener on 5353 is left alone)
  ExecStartPre=+/usr/local/bin/claim-port 8000    in a unit (see ports systemd)

Exit codes: 0 the port is free at exit (with --dry-run: free or would be freed);
1 it is not (refused, permission, still held, re-taken); ${EXIT_USAGE} usage error
(bad option or port, unknown service id, bad env override of the service's
port, a service id with an unusable registry); 128+N interrupted by signal N while
claiming (143: SIGTERM, as systemd sends past TimeoutStartSec=). With --json,
one JSON object on stdout in every case but --help and --version.

${cacheHelp()}`;
}

/**
 * The --timeout grammar: seconds as an operator writes them, in plain decimal:
 * digits with at most one decimal point, either side of which may be empty but
 * not both (`5`, `0.5`, `.5`, `5.`; a leading zero, `05`, is still decimal).
 * Nothing else is a number an operator means here, so nothing else is guessed
 * at: no `+`, exponent (`5e0`), hex (`0x5`), unit (`5s`: the value is always
 * seconds), white space (` 5`) or `Infinity`, all of which Number() would take.
 */
const SECONDS = /^(?:[0-9]+\.?[0-9]*|\.[0-9]+)$/;

/** Pure: why `text` is not a valid --timeout, or its value in seconds (SECONDS above; the health check judges claim lines with it too). */
export function parseClaimTimeout(text: string): { seconds: number } | { problem: string } {
  stringArgument('parseClaimTimeout', 'text', text, 'a string (the --timeout value)');
  // A minus sign makes a number out of range, said as for 0 (`--timeout -1 must be more than 0
  // seconds`), not "not a number": the shape is the same plain decimal either way.
  if (!SECONDS.test(text.startsWith('-') ? text.slice(1) : text)) {
    return {
      problem: `--timeout ${quoteValue(text)} is not a number of seconds; give e.g. --timeout=5 or --timeout=0.5 (plain decimal seconds: 5, 0.5, .5 or 5.; no unit, sign, exponent or hex)`,
    };
  }
  // Judged as written: Number() rounds digits past what a double holds, across a limit (300.00000000000000001 is 300).
  const problem = timeoutTextProblem(text);
  if (problem) return { problem: `--timeout ${escapeText(text, MAX_QUOTED)} ${problem}` };
  return { seconds: Number(text) };
}

/**
 * Pure: a port as claim-port's argument names it, parseClaimTarget's inverse: `8000`, `5353/udp` (a bare port
 * claims TCP); claim-port names what it claims so too (`port 5353/udp`). A port that is not one, or a transport
 * that is neither, is a TypeError or RangeError naming it (a published function).
 */
export function claimPortArgument(port: number, transport: 'tcp' | 'udp' = 'tcp'): string {
  portArgument('claimPortArgument', port);
  transportArgument('claimPortArgument', transport);
  return `${port}${transport === 'udp' ? '/udp' : ''}`;
}

/** What a service id on the command line may look like. */
const SERVICE_ID = /^[a-z0-9][a-z0-9_.-]*$/i;

/** Pure: a port or a service id; a usage error for anything that looks like a broken port. */
export function parseClaimTarget(text: string): { port: number; transport?: 'tcp' | 'udp' } | { id: string } | { problem: string } {
  stringArgument('parseClaimTarget', 'text', text, 'a string (PORT, PORT/udp or a service id)');
  // `5353/udp ` (a quoting slip in a unit or a script): white space around a port and its transport, said as such,
  // as it is around a bare port (it was "is not a port").
  const bare = text.trim();
  if (bare !== text && /\/(?:tcp|udp)$/i.test(bare)) {
    const inner = parseClaimTarget(bare);
    if ('problem' in inner) return { problem: `${quoteValue(text)} has surrounding white space; without it, ${inner.problem}` };
    return { problem: `port ${quoteValue(text)} is not valid: it has surrounding white space; give ${quoteValue(bare)}` };
  }
  // `5353/udp`, `8000/tcp`: the transport to claim.
  const slash = /^(.*)\/(tcp|udp)$/.exec(text);
  if (slash) {
    const before = slash[1]!;
    const port = parsePort(before);
    if (port === undefined && SERVICE_ID.test(before) && !/^[0-9]/.test(before)) {
      return {
        problem: `${quoteValue(text)}: a service id takes no /${slash[2]} (its transport is in the registry); give the id alone, ${quoteValue(before)}`,
      };
    }
    // `8000/udp/tcp`: two transports, not a port that is not valid.
    if (port === undefined && before.includes('/'))
      return { problem: `${quoteValue(text)} is not a port: give PORT, PORT/tcp or PORT/udp (one transport), or a service id` };
    if (port === undefined) return { problem: `port ${quoteValue(before)} is not valid: ${portProblem(before)}; give e.g. 5353/${slash[2]}` };
    return { port, transport: slash[2] as 'tcp' | 'udp' };
  }
  // `8000/UDP`: the transport is known, only its case is not (said so, not "is not a port").
  const upper = /^(.*)\/(tcp|udp)$/i.exec(text);
  if (upper) {
    const lower = `${upper[1]}/${upper[2]!.toLowerCase()}`;
    const asLower = parseClaimTarget(lower);
    if ('problem' in asLower) return asLower;
    return { problem: `${quoteValue(text)}: the transport is written in lower case; give ${quoteValue(lower)}` };
  }
  if (text.includes('/')) return { problem: `${quoteValue(text)} is not a port: give PORT, PORT/tcp or PORT/udp, or a service id` };
  const port = parsePort(text);
  if (port !== undefined) return { port };
  // ` api` (a quoting slip in a unit or a script): a service id with white space around it, said as one.
  const trimmed = text.trim();
  if (trimmed !== text && SERVICE_ID.test(trimmed) && !/^[0-9]/.test(trimmed)) {
    return { problem: `service id ${quoteValue(text)} has surrounding white space; give ${quoteValue(trimmed)}` };
  }
  // Anything that starts like a number (or is empty, or signed), or is all digits of another script (`٨٠`), was meant as a port.
  if (text === '' || /^[-+]?[0-9.]/.test(text) || isOtherDigits(text) || text.trim() !== text) {
    return { problem: `port ${quoteValue(text)} is not valid: ${portProblem(text)}; give a decimal port 1-65535 or a service id` };
  }
  if (!SERVICE_ID.test(text)) return { problem: neither(text) };
  return { id: text };
}

const neither = (text: string) => `${quoteValue(text)} is neither a port nor a service id; give a decimal port 1-65535 or a service id`;

/**
 * Whether parseClaimTarget calls `text` neither a port nor a service id: no port, and no id in form (white space,
 * punctuation), yet it may be what a person calls a service, its name or title (`FastAPI Backend`, `Vite Dev
 * (default)`). claim-port asks the registry then (Registry.service()'s hint), as for `claim-port FastAPI`.
 */
export function mayNameService(text: string): boolean {
  stringArgument('mayNameService', 'text', text);
  const parsed = parseClaimTarget(text);
  return 'problem' in parsed && parsed.problem === neither(text);
}

const usage = (message: string): ParsedClaimArgs => ({ command: 'usage-error', message });

/** Option words that take the next word as their value (`--timeout 5`), from CLAIM_FLAGS. */
const VALUE_WORDS: ReadonlySet<string> = new Set(
  Object.entries(CLAIM_FLAGS as Flags).flatMap(([name, option]) =>
    option.type === 'string' ? [`--${name}`, ...(option.short ? [`-${option.short}`] : [])] : [],
  ),
);

/**
 * Pure: claim-port's arguments (after the program) with each `--option=value` of an option that takes a value
 * written `--option value`, as claim-port's parser reads both alike: so that two spellings of one claim compare
 * equal. The value of such an option, and every word after `--` (operands), is kept as it is.
 */
export function claimArgsAlike(args: readonly string[]): string[] {
  stringListArgument('claimArgsAlike', 'args', args);
  const out: string[] = [];
  for (let index = 0; index < args.length; index++) {
    const word = args[index]!;
    if (word === '--') {
      out.push(...args.slice(index));
      break;
    }
    const equals = word.startsWith('--') ? word.indexOf('=') : -1;
    if (equals > 2 && VALUE_WORDS.has(word.slice(0, equals))) out.push(word.slice(0, equals), word.slice(equals + 1));
    else if (VALUE_WORDS.has(word) && index + 1 < args.length) out.push(word, args[++index]!);
    else out.push(word);
  }
  return out;
}

/** What looks like a port, PORT/udp or a service id: what an error line may show in its prefix. */
const LABEL = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}(?:\/(?:tcp|udp))?$/;
/** A negative number: the parser takes it as the port operand (`claim-port -1`), so the prefix shows it as given, as it shows `0`. */
const NEGATIVE = /^-[0-9.][0-9.]{0,19}$/;

/** Option words that take no value (`--force`, `-q`), from CLAIM_FLAGS. */
const FLAG_WORDS: ReadonlySet<string> = new Set(
  Object.entries(CLAIM_FLAGS as Flags).flatMap(([name, option]) =>
    option.type === 'boolean' ? [`--${name}`, ...(option.short ? [`-${option.short}`] : [])] : [],
  ),
);

/** `-qh`: short options that take no value, grouped. */
const isFlagGroup = (word: string) => /^-[^-]{2,}$/.test(word) && [...word.slice(1)].every((letter) => FLAG_WORDS.has(`-${letter}`));

/** A word that is no port or id in form, for the prefix: quoted, escaped (see claimLabel). */
const quotedLabel = (word: string): string => `"${processNameText(word, 64).replace(/["[\]]/g, (character) => `\\x${character.charCodeAt(0).toString(16)}`)}"`;

/**
 * The port or service id on a claim-port command line, for the `[claim-port:X]`
 * prefix of an error line even when the line does not parse: the first word
 * that is not an option or an option's value, as given when it looks like a
 * port, a negative number (`-1`, judged a bad port) or an id; any other word
 * quoted, each character beyond printable ASCII and each `"`, `[` and `]`
 * escaped, cut to 64 (`" 80"`, `"+80"`, `"\u0668\u0660"`), so that every bad
 * port is labelled as `0080` is and no argument can forge a prefix or a line;
 * `?` when there is no such word. The word after an unknown option
 * (`--timout 5 8000`) may be its value, so it is never the label: a journal
 * reader looking for a port's lines must not find them under `[claim-port:5]`;
 * the next operand is (8000), else `?`. A word that starts with a typographic
 * dash (`—dry-run`, copied from a page) is an option-like word as well, read as
 * the option it would be with `-` (`—timeout 5 8000` is labelled 8000).
 */
export function claimLabel(argv: readonly string[]): string {
  stringListArgument('claimLabel', 'argv', argv);
  const shown = (word: string | undefined) => (word === undefined ? '?' : LABEL.test(word) || NEGATIVE.test(word) ? word : quotedLabel(word));
  let mayBeValue = false;
  for (let index = 0; index < argv.length; index++) {
    // A word copied with typographic dashes (`—dry-run`) is an option here too, as the one it reads as (`—1` stays an operand, quoted).
    const dashed = asciiDashed(argv[index]!);
    const word = dashed !== undefined && !NEGATIVE.test(dashed) ? dashed : argv[index]!;
    if (word === '--') return shown(argv[index + 1]);
    const valueOfUnknown = mayBeValue;
    mayBeValue = false;
    if (word.startsWith('-') && word !== '-' && !NEGATIVE.test(word)) {
      if (VALUE_WORDS.has(word)) index++;
      // An unknown option, but for one written with its value (`--timout=5`): the next word may be its value.
      else mayBeValue = !word.includes('=') && !FLAG_WORDS.has(word) && !isFlagGroup(word);
      continue;
    }
    if (valueOfUnknown) continue;
    return shown(word);
  }
  return '?';
}

export function parseClaimArgs(argv: readonly string[]): ParsedClaimArgs {
  stringListArgument('parseClaimArgs', 'argv', argv);
  let values: Parsed<typeof CLAIM_FLAGS>['values'];
  let positionals: string[];
  try {
    ({ values, positionals } = parseCommandLine(argv, CLAIM_FLAGS, {
      maxPositionals: Infinity,
      negativeNumbers: true,
      hint: 'see claim-port --help',
    }));
  } catch (error) {
    if (error instanceof UsageError) return usage(error.message);
    throw error;
  }
  // --help and --version answer once the options parse: a mistake in them (an
  // unknown option, a flag without its value, one given twice) is a usage
  // error wherever --help stands, as in port-health-check and ports. A
  // mistake is never hidden, and a line means the same in any order (GNU
  // getopt tools go left to right: `ls --help --bogus` helps, `ls --bogus
  // --help` errs). In a unit's ExecStartPre= such a line now fails the start
  // (64) instead of starting the service unclaimed (the health check flags
  // both). The values and the operand are judged only for a real claim.
  if (values.help) return { command: 'help' };
  if (values.version) return { command: 'version' };
  let timeoutSeconds: number | undefined;
  if (values.timeout !== undefined) {
    const parsed = parseClaimTimeout(values.timeout);
    if ('problem' in parsed) return usage(parsed.problem);
    timeoutSeconds = parsed.seconds;
  }
  if (values.registry === '') return usage(`--registry needs ${CLAIM_FLAGS.registry.needs}`);

  if (values.test) {
    if (positionals.length > 0) return usage('--test takes no port');
    // The self-test claims ports of its own, its own way: a --dry-run, --force, --timeout, --registry or --quiet given with it would be silently ignored.
    const ignored = (['dry-run', 'force', 'timeout', 'registry', 'quiet'] as const).find((name) => values[name] !== undefined);
    if (ignored) return usage(`--test takes no --${ignored}: the self-test runs with its own settings (only --json applies)`);
    return { command: 'self-test', json: values.json ?? false };
  }
  if (positionals.length === 0) return usage('missing the port (or service id) to claim; see claim-port --help');
  if (positionals.length > 1) {
    // Options after `--` are operands (`claim-port -- 8000 --dry-run`): said, or "one port at a time" alone reads as nonsense.
    const end = argv.indexOf('--');
    const optionsAfterEnd = end < 0 ? [] : argv.slice(end + 1).filter((word) => /^-[^0-9.]/.test(word));
    const why =
      optionsAfterEnd.length > 0
        ? `: words after "--" are operands, never options (${optionsAfterEnd.map((word) => quoteValue(word)).join(', ')}); put the options before "--"`
        : '';
    return usage(`one port at a time; got ${positionals.map((p) => quoteValue(p)).join(', ')}${why}`);
  }
  const parsed = parseClaimTarget(positionals[0]!);
  if ('problem' in parsed) return usage(parsed.problem);
  const { transport, ...target } = parsed as { port: number; transport?: 'tcp' | 'udp' } | { id: string; transport?: undefined };
  // --dry-run with --force is allowed: the dry run reports that SIGKILL would be sent.
  return {
    command: 'claim',
    target,
    dryRun: values['dry-run'] ?? false,
    force: values.force ?? false,
    json: values.json ?? false,
    quiet: values.quiet ?? false,
    ...(timeoutSeconds !== undefined && { timeoutSeconds }),
    ...(values.registry !== undefined && { registry: values.registry }),
    ...(transport !== undefined && { transport }),
  };
}
