// Recognising an ExecStartPre= command that calls claim-port, and what it
// claims, judged by claim-port's own argument parser: the one answer to
// "would claim-port accept this and claim the right port", for both
// `ports systemd --check` and the health check.
import { parseClaimArgs } from './claim-args.js';
import type { ExecLine } from './types.js';
import { simplifyPath } from './words.js';
import { describeArgument, isArraySafely, objectArgument, stringArgument, stringListArgument } from '../arguments.js';

const CLAIM_PORT_NAMES = ['claim-port', 'claim-port.sh', 'claim-port.js', 'claim-port.mjs'];

/** The drop-in `ports systemd` writes for a `claim: drop-in` service: `<unit>.d/claim-port.conf`. */
export const DROP_IN_NAME = 'claim-port.conf';

/**
 * Is this executable claim-port: named `claim-port` (`.sh`, `.js`, `.mjs`), or
 * one of `extraPaths`, compared as systemd stores a path (`//` and `/./`
 * simplified: `/opt//bin/claim` is `/opt/bin/claim`).
 */
export function isClaimPort(path: string | undefined, extraPaths: readonly string[]): boolean {
  if (path !== undefined) stringArgument('isClaimPort', 'path', path, 'a path (a string) or undefined');
  stringListArgument('isClaimPort', 'extraPaths', extraPaths);
  if (!path) return false;
  const name = path.slice(path.lastIndexOf('/') + 1);
  return CLAIM_PORT_NAMES.includes(name) || extraPaths.includes(path) || extraPaths.some((extra) => simplifyPath(extra) === simplifyPath(path));
}

/** The commands among `lines` that run claim-port. */
export function claimLines(lines: readonly ExecLine[], extraPaths: readonly string[]): ExecLine[] {
  if (!isArraySafely(lines)) throw new TypeError(`claimLines: lines must be an array of ExecLine ({ argv, ... }), not ${describeArgument(lines)}`);
  stringListArgument('claimLines', 'extraPaths', extraPaths);
  // Each line's argv, checked where it is read: `[{}]` failed inside ("reading '0'"), and an argv that is no list was no claim.
  for (let index = 0; index < lines.length; index++) {
    const line: unknown = lines[index];
    const argv: unknown = typeof line === 'object' && line !== null ? (line as Partial<ExecLine>).argv : undefined;
    if (!Array.isArray(argv)) {
      const problem =
        argv === undefined
          ? ` must be an ExecLine ({ argv, ... }), not ${describeArgument(line)}`
          : `.argv must be an array of strings, not ${describeArgument(argv)}`;
      throw new TypeError(`claimLines: lines[${index}]${problem}`);
    }
    if (argv.length > 0 && typeof argv[0] !== 'string')
      throw new TypeError(`claimLines: lines[${index}].argv[0] must be a path (a string), not ${describeArgument(argv[0])}`);
  }
  return lines.filter((line) => isClaimPort(line.argv[0], extraPaths));
}

/**
 * What claim-port does with this command line (argv[0] is the program): the
 * port or service id it claims, or why it would not claim (a usage error, exit
 * 2; --help, --version, --test; --dry-run, which frees nothing).
 */
export function claimTarget(argv: readonly string[]): { port: number; transport?: 'tcp' | 'udp' } | { id: string } | { problem: string } {
  stringListArgument('claimTarget', 'argv', argv);
  const args = parseClaimArgs(argv.slice(1));
  switch (args.command) {
    case 'claim':
      if (args.dryRun) return { problem: 'claim-port is given --dry-run, so it frees nothing' };
      return 'port' in args.target && args.transport ? { ...args.target, transport: args.transport } : args.target;
    case 'usage-error':
      return { problem: `claim-port would refuse these arguments (a usage error, exit 64): ${args.message}` };
    case 'help':
      return { problem: 'claim-port is given --help, so it prints its usage and claims nothing' };
    case 'version':
      return { problem: 'claim-port is given --version, so it prints its version and claims nothing' };
    case 'self-test':
      return { problem: 'claim-port is given --test, so it runs its self-test and claims no port of this service' };
  }
}

/** `/etc/systemd/system/redis-server.service.d/claim-port.conf:2` */
export function where(line: Pick<ExecLine, 'file' | 'line'>): string {
  objectArgument('where', 'line', line, '{ file, line }: an ExecLine');
  // Printed as they are: a symbol failed inside, and undefined printed "undefined:undefined".
  if (typeof line.file !== 'string') throw new TypeError(`where: line.file must be a path (a string), not ${describeArgument(line.file)}`);
  if (typeof line.line !== 'number') throw new TypeError(`where: line.line must be a line number, not ${describeArgument(line.line)}`);
  return `${line.file}:${line.line}`;
}
