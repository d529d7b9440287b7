// claim-port's command line, pure: argv -> what to do, or a usage error. No
// I/O, no registry: a service id is only recognised as "not a port" here and
// resolved later. It lives in the core, not in claim-port, because it has two
// readers: claim-port itself, and the unit-file model that judges an
// `ExecStartPre=` claim line ("would claim-port accept this, and which port
// would it claim?"): one grammar, one answer.
import { parsePort, portProblem } from '../port.js';

export const MAX_CLAIM_TIMEOUT_SECONDS = 300;

export interface ClaimArgs {
  readonly command: 'claim';
  /** A port, or a service id to resolve against the registry. */
  readonly target: { readonly port: number } | { readonly id: string };
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

export const CLAIM_USAGE = `Usage: claim-port <port|service-id> [options]
       claim-port --test | --help | --version

Frees a TCP port for the service that owns it: finds every process listening
on the port, refuses if one is protected, sends SIGTERM, waits, sends SIGKILL
to what remains, and verifies the port is free.

Options:
  --dry-run              signal nothing; report what would be done
  --timeout SECONDS      wait this long after SIGTERM before SIGKILL (> 0, <= ${MAX_CLAIM_TIMEOUT_SECONDS};
                         decimals allowed; default from the registry, 5)
  --force                send SIGKILL at once, no SIGTERM
  --json                 print one JSON object to stdout
  --quiet                print nothing to stderr but errors
  --registry PATH        use this ports.yaml (default: $DSA110_PORTS_FILE, else the bundled one)
  --test                 run the self-test (argument checks and a live claim on loopback)
  --help, --version

Exit codes: 0 the port is free at exit (with --dry-run: free or would be freed);
1 it is not (refused, permission, still held, re-taken); 2 usage error.`;

/** Pure: why `text` is not a valid --timeout, or its value in seconds. */
export function parseClaimTimeout(text: string): { seconds: number } | { problem: string } {
  if (!/^(\d+(\.\d+)?|\.\d+)$/.test(text)) {
    return { problem: `--timeout ${JSON.stringify(text)} is not a number of seconds; give e.g. --timeout=5 or --timeout=0.5` };
  }
  const seconds = Number(text);
  if (seconds <= 0) return { problem: `--timeout ${text} must be more than 0 seconds` };
  if (seconds > MAX_CLAIM_TIMEOUT_SECONDS) return { problem: `--timeout ${text} is too long; at most ${MAX_CLAIM_TIMEOUT_SECONDS} seconds` };
  return { seconds };
}

/** Pure: a port or a service id; a usage error for anything that looks like a broken port. */
export function parseClaimTarget(text: string): { port: number } | { id: string } | { problem: string } {
  const port = parsePort(text);
  if (port !== undefined) return { port };
  // Anything that starts like a number (or is empty, or signed) was meant as a port.
  if (text === '' || /^[-+]?[0-9.]/.test(text) || text.trim() !== text) {
    return { problem: `port ${JSON.stringify(text)} is not valid: ${portProblem(text)}; give a decimal port 1-65535 or a service id` };
  }
  if (!/^[a-z0-9][a-z0-9_.-]*$/i.test(text)) {
    return { problem: `${JSON.stringify(text)} is neither a port nor a service id; give a decimal port 1-65535 or a service id` };
  }
  return { id: text };
}

const usage = (message: string): ParsedClaimArgs => ({ command: 'usage-error', message });

export function parseClaimArgs(argv: readonly string[]): ParsedClaimArgs {
  let dryRun = false;
  let force = false;
  let json = false;
  let quiet = false;
  let test = false;
  let timeoutSeconds: number | undefined;
  let registry: string | undefined;
  const positional: string[] = [];

  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--help' || arg === '-h') return { command: 'help' };
    if (arg === '--version' || arg === '-V') return { command: 'version' };
  }
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const eq = arg.indexOf('=');
    const name = arg.startsWith('--') && eq > 0 ? arg.slice(0, eq) : arg;
    const inline = arg.startsWith('--') && eq > 0 ? arg.slice(eq + 1) : undefined;
    const value = (): string | undefined => {
      if (inline !== undefined) return inline;
      const next = argv[i + 1];
      if (next === undefined || next.startsWith('--')) return undefined;
      i++;
      return next;
    };
    const flag = (set: () => void): ParsedClaimArgs | undefined => {
      if (inline !== undefined) return usage(`${name} takes no value`);
      set();
      return undefined;
    };
    let error: ParsedClaimArgs | undefined;
    switch (name) {
      case '--dry-run':
        error = flag(() => (dryRun = true));
        break;
      case '--force':
        error = flag(() => (force = true));
        break;
      case '--json':
        error = flag(() => (json = true));
        break;
      case '--quiet':
      case '-q':
        error = flag(() => (quiet = true));
        break;
      case '--test':
        error = flag(() => (test = true));
        break;
      case '--timeout': {
        const text = value();
        if (text === undefined) return usage('--timeout needs a number of seconds, e.g. --timeout=5');
        const parsed = parseClaimTimeout(text);
        if ('problem' in parsed) return usage(parsed.problem);
        timeoutSeconds = parsed.seconds;
        break;
      }
      case '--registry': {
        const text = value();
        if (text === undefined || text === '') return usage('--registry needs the path of a ports.yaml');
        registry = text;
        break;
      }
      case '--':
        positional.push(...argv.slice(i + 1));
        i = argv.length;
        break;
      default:
        // A negative number is a bad port, not an unknown flag.
        if (arg.startsWith('-') && !/^-[0-9]/.test(arg)) return usage(`unknown option ${arg}; see claim-port --help`);
        positional.push(arg);
    }
    if (error) return error;
  }

  if (test) {
    if (positional.length > 0) return usage('--test takes no port');
    return { command: 'self-test', json };
  }
  if (positional.length === 0) return usage('missing the port (or service id) to claim; see claim-port --help');
  if (positional.length > 1) return usage(`one port at a time; got ${positional.map((p) => JSON.stringify(p)).join(', ')}`);
  const target = parseClaimTarget(positional[0]!);
  if ('problem' in target) return usage(target.problem);
  if (dryRun && force) {
    // Allowed: a dry run with --force reports that SIGKILL would be sent.
  }
  return {
    command: 'claim',
    target,
    dryRun,
    force,
    json,
    quiet,
    ...(timeoutSeconds !== undefined && { timeoutSeconds }),
    ...(registry !== undefined && { registry }),
  };
}
