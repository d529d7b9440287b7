// What both halves of the command share: the log callback, the JSON object, the error lines.
import { escapeText, oneLine, REGISTRY_ENV } from '@dsa110/ports';
import { claimLabel, mayNameService, parseClaimArgs, type ClaimArgs } from '@dsa110/ports/systemd';
import { type Env, EXIT_USAGE, errorJson, type Io, lostPathMessage } from '@dsa110/ports/cli';
import type { ClaimOptions } from './options.js';
import { EXIT_NOT_FREE, exitCode } from './exit-code.js';
import { resultJsonLine, type ClaimResult } from './result.js';

/**
 * `[claim-port:8000]`. A quoted label is claimLabel's word that is no port or id in form, escaped and cut already
 * (`" 80"`, `"\u0668\u0660"`): escaping it again would double its backslashes. Any other is escaped here.
 */
export const prefix = (port: number | string) => `[claim-port:${typeof port === 'number' ? port : /^".*"$/s.test(port) ? port : escapeText(port, 64)}]`;

/** What was asked for, for the prefix of an error line (the port may be unknown): claimLabel's answer. */
export const labelOf = (argv: readonly string[]): string => claimLabel(argv);

/**
 * An error: one line on stderr, labelled with the port or id; with --json also
 * one JSON object on stdout. Returns the exit code: EX_USAGE, or 1 (the port is
 * not known to be free) for anything else.
 */
export function fail(io: Io, json: boolean, label: number | string, message: string, kind: 'usage' | 'error'): number {
  const code = kind === 'usage' ? EXIT_USAGE : EXIT_NOT_FREE;
  io.err(`${prefix(label)} error: ${oneLine(message)}\n`, 'error');
  if (json) io.out(errorJson('claim-port', kind, message, code));
  return code;
}

/**
 * `claim-port ID/udp`: the one usage error the grammar cannot judge alone. A
 * service id takes no transport (it is in the registry), and the parser says
 * to give the id alone; that is the answer only when ID is a service, which
 * the registry tells (run.ts). The command line with the operand as the id
 * alone, when the transport is its only mistake; undefined otherwise (another
 * mistake is said as the parser says it).
 */
export function idGivenTransport(argv: readonly string[]): (ClaimArgs & { readonly target: { readonly id: string } }) | undefined {
  const operand = claimLabel(argv);
  const id = /^(.+)\/(?:tcp|udp)$/.exec(operand)?.[1];
  if (id === undefined) return undefined;
  for (let index = 0; index < argv.length; index++) {
    if (argv[index] !== operand) continue; // (the same word as an option's value is tried too, and changes nothing)
    const args = parseClaimArgs([...argv.slice(0, index), id, ...argv.slice(index + 1)]);
    if (args.command === 'claim' && 'id' in args.target && args.target.id === id) return args as ClaimArgs & { target: { id: string } };
  }
  return undefined;
}

/**
 * `claim-port 'FastAPI Backend'`: an operand that is neither a port nor an id
 * in form (mayNameService) may be a service's name or title, which the
 * registry's hint names, as it does for `claim-port FastAPI` (run.ts). The
 * command line with that operand as the id, when it is the only mistake;
 * undefined otherwise (an option, an option's value, a second operand).
 */
export function nameGiven(argv: readonly string[]): (ClaimArgs & { readonly target: { readonly id: string } }) | undefined {
  const stand = 'x'; // an id in form, put where the operand was
  for (let index = 0; index < argv.length; index++) {
    const word = argv[index]!;
    if (word.startsWith('-') || !mayNameService(word)) continue;
    const args = parseClaimArgs([...argv.slice(0, index), stand, ...argv.slice(index + 1)]);
    if (args.command === 'claim' && 'id' in args.target && args.target.id === stand) return { ...args, target: { id: word } };
  }
  return undefined;
}

/**
 * Why the --registry path (or $DSA110_PORTS_FILE's) cannot be opened at all, or undefined: it holds
 * U+FFFD where Node could not decode its bytes, and the bin could not read
 * them back (`bytesLost`, @dsa110/ports/cli commandLine). Opening it would open no file, or another
 * file (one really named with U+FFFD), and the fallback to the built-in
 * protected list would drop the file's protections for a mistake that no
 * restart mends: a usage error, said before anything is read. (A U+FFFD the
 * bin read back as such is the file's real name, and is opened.)
 */
export function lostRegistryPath(args: Pick<ClaimArgs, 'registry'>, lost: LostBytes, env: Env): string | undefined {
  if (args.registry !== undefined) return lost.bytesLost ? lostPathMessage('--registry', args.registry) : undefined;
  // Without --registry, $DSA110_PORTS_FILE names it: the same, for the environment's bytes (processEnvironment).
  const fromEnv = env[REGISTRY_ENV];
  return fromEnv && lost.lostVariables?.includes(REGISTRY_ENV) ? lostPathMessage(`$${REGISTRY_ENV}`, fromEnv) : undefined;
}

/** What the bin could not read back (commandLine, processEnvironment of @dsa110/ports/cli): an argument's bytes, or those of the variables named. */
export interface LostBytes {
  readonly bytesLost?: boolean;
  readonly lostVariables?: readonly string[];
}

/** claimPort() options for the command line: human lines to stderr, `[claim-port:PORT]` first. */
export function cliOptions(args: ClaimArgs, label: number | string, io: Io, env: Env): ClaimOptions {
  return {
    dryRun: args.dryRun,
    force: args.force,
    env,
    ...(args.timeoutSeconds !== undefined && { timeoutSeconds: args.timeoutSeconds }),
    ...(args.registry !== undefined && { registry: args.registry, registryOrigin: 'from --registry' }),
    ...(args.transport !== undefined && { transport: args.transport }),
    // CPU and memory, for the log and the JSON holders.
    usage: !args.quiet || args.json,
    log: (line, level, port) => {
      if (args.quiet && level === 'info') return;
      // One line each, whatever a process's command line holds: no forged lines, no terminal escapes (nor
      // forged levels: the journal's `<3>` is added before the line, by the writer, @dsa110/ports/cli's journal.ts).
      // A warning says so on a terminal and in a file too (where no `<4>` marks it): `warning: ` first, as the
      // registry's warnings have it.
      const said = level === 'warn' && !line.startsWith('warning: ') ? `warning: ${line}` : line;
      io.err(`${prefix(port ?? label)} ${oneLine(said)}\n`, level);
    },
  };
}

/** --json's one object; returns the exit code. */
export function printResult(io: Io, args: ClaimArgs, result: ClaimResult): number {
  if (args.json) io.out(resultJsonLine(result));
  return exitCode(result.action);
}
