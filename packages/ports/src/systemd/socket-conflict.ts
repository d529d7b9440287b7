// A unit whose ExecStartPre= runs claim-port while a socket unit tied to it
// (socket activation, socket-units.ts) listens on the port claim-port frees:
// systemd (PID 1) holds that port for the socket unit, claim-port never
// signals PID 1, so it refuses, ExecStartPre= fails, and the service never
// starts. The one verdict for the health check's systemd check and
// `ports systemd`. Pure: facts in, findings out.
import { describeArgument, isArraySafely, listProblem, objectArgument, portArgument, stringListArgument, transportArgument } from '../arguments.js';
import { claimLines, execLinesArgument } from './claim-line.js';
import type { RelatedSocket, SocketListen } from './socket-units.js';
import type { UnitFacts } from './types.js';

export interface SocketConflictExpectation {
  /** The port the service claims. */
  readonly port: number;
  readonly transport: 'tcp' | 'udp';
  /** claim-port executables known by path, beside those named `claim-port` (as for claimLines). */
  readonly claimPortPaths?: readonly string[];
  /** PID 1 holds the port now (the socket unit is active, whatever its files say): only the live health check knows. */
  readonly heldByInit?: boolean;
}

/** One socket unit that listens on the port the unit's claim-port must free. */
export interface SocketConflict {
  readonly socket: RelatedSocket;
  /** The ListenStream= / ListenDatagram= line on the port. */
  readonly listen: SocketListen;
  /**
   * Something starts the socket unit (the service's Sockets=, a `.wants/` or
   * `.requires/` link, or PID 1 holds the port now): the service can never start.
   * Otherwise claim-port works until the socket unit is started.
   */
  readonly started: boolean;
  /** Where the listen line is: `FILE:LINE`. */
  readonly where: string;
  /** What is wrong and what to do, in one line naming both units, the listen line and the claim line. */
  readonly reason: string;
}

const isObject = (value: unknown): boolean => typeof value === 'object' && value !== null;

export function socketConflicts(unit: UnitFacts, sockets: readonly RelatedSocket[], expectation: SocketConflictExpectation): SocketConflict[] {
  objectArgument('socketConflicts', 'unit', unit, 'UnitFacts, from mergeUnit');
  if (!isArraySafely(sockets))
    throw new TypeError(`socketConflicts: sockets must be an array of RelatedSocket, from readSocketUnits, not ${describeArgument(sockets)}`);
  objectArgument('socketConflicts', 'expectation', expectation, '{ port, transport, claimPortPaths?, heldByInit? }');
  const port = portArgument('socketConflicts', expectation.port, 'expectation.port');
  const transport = transportArgument('socketConflicts', expectation.transport);
  execLinesArgument('socketConflicts', 'unit.execStartPre', unit.execStartPre);
  // Each socket's listens are searched below: `[{}]` failed inside on "reading 'find'".
  for (const [index, socket] of sockets.entries()) {
    const listens: unknown = typeof socket === 'object' && socket !== null ? socket.listens : undefined;
    const problem = listProblem(`sockets[${index}].listens`, listens, 'an array of SocketListen', 'a SocketListen ({ port?, transport, ... })', isObject);
    if (problem !== undefined)
      throw new TypeError(
        `socketConflicts: ${typeof socket === 'object' && socket !== null ? problem : `sockets[${index}] must be a RelatedSocket, not ${describeArgument(socket)}`}`,
      );
    if (typeof socket.unit !== 'string')
      throw new TypeError(`socketConflicts: sockets[${index}].unit must be a unit name (a string), not ${describeArgument(socket.unit)}`);
  }
  const claim = claimLines(unit.execStartPre, stringListArgument('socketConflicts', 'expectation.claimPortPaths', expectation.claimPortPaths ?? []))[0];
  if (sockets.length === 0 || !claim) return [];
  const conflicts: SocketConflict[] = [];
  for (const socket of sockets) {
    const listen = socket.listens.find((entry) => entry.port === port && entry.transport === transport);
    if (!listen) continue;
    const claimAt = `ExecStartPre= at ${claim.file}:${claim.line}`;
    const startedBy = socket.pulledByService
      ? `${unit.unit}'s Sockets= starts it with the service`
      : socket.enabledBy
        ? `it is enabled (${socket.enabledBy})`
        : expectation.heldByInit
          ? 'it is active now'
          : undefined;
    const what = `${socket.unit} (${socket.via}) listens on ${listen.key}=${listen.value} for ${unit.unit}`;
    const fix = `drop the claim-port ${claimAt} (systemd hands the socket over, so no stray process can hold the port), or drop the socket unit (remove or \`systemctl mask ${socket.unit}\`)`;
    const reason = startedBy
      ? `${what}, and ${startedBy}: systemd (PID 1) holds port ${port} for it, and claim-port (${claimAt}) never signals PID 1, so it refuses and ${unit.unit} can never start; ${fix}`
      : `${what}; it is not enabled, so claim-port works today, but once ${socket.unit} is started systemd (PID 1) holds port ${port}, claim-port (${claimAt}) refuses and ${unit.unit} cannot start; ${fix}`;
    conflicts.push({ socket, listen, started: startedBy !== undefined, where: `${listen.file}:${listen.line}`, reason });
  }
  return conflicts;
}
