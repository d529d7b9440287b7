// Part of the systemd check: a service whose port a socket unit listens on
// (socket activation) and whose ExecStartPre= also runs claim-port. systemd
// (PID 1) then holds the port for the socket unit, and claim-port never
// signals PID 1: it refuses, ExecStartPre= fails, and the service never
// starts. The verdict is @dsa110/ports/systemd's socketConflicts (shared with
// `ports systemd`); this adds the live fact (PID 1 holds the port now) and the
// severities. A listen line of those socket units that systemd ignores
// (SocketListen.ignored) is said too, at its value. Pure: facts in, results out.
import { escapeText, type Service } from '@dsa110/ports';
import { listenPort, socketConflicts, type RelatedSocket, type SocketListen, type UnitFacts } from '@dsa110/ports/systemd';
import { listenersOn } from './listeners.js';
import type { CheckResult, Facts, Severity } from '../types.js';

type Result = (severity: Severity, reason: string, file?: string) => CheckResult;

export function checkSocketActivation(facts: Facts, service: Service, unit: UnitFacts, port: number, result: Result): CheckResult[] {
  const sockets = facts.socketUnits?.get(unit.unit) ?? [];
  if (sockets.length === 0) return [];
  // PID 1 holding the port now: the socket unit is active, whatever its files say.
  const heldByInit = listenersOn(facts, port).some((listener) => listener.holders?.some((holder) => holder.pid === 1));
  const ignored = sockets.flatMap((socket) =>
    socket.listens.flatMap((listen) =>
      listen.ignored === undefined ? [] : [result('warning', ignoredListen(socket, listen, listen.ignored), placeOf(listen))],
    ),
  );
  const conflicts = socketConflicts(unit, sockets, { port, transport: service.transport, claimPortPaths: facts.claimPortPaths, heldByInit }).map((conflict) =>
    result(conflict.started ? 'warning' : 'info', conflict.reason, conflict.where),
  );
  return [...ignored, ...conflicts];
}

/** `FILE:LINE:COL` of a listen line's value (`FILE:LINE` when its column is not known). */
const placeOf = (listen: SocketListen): string => `${listen.file}:${listen.line}${listen.column === undefined ? '' : `:${listen.column}`}`;

/**
 * Pure: a listen line systemd ignores (`why`, SocketListen.ignored), and what to write: the value meant, where it can
 * be told (the port without its leading 0s, the address without #NAME, as systemd then reads it), else the forms it takes.
 */
function ignoredListen(socket: RelatedSocket, listen: SocketListen, why: string): string {
  const { key } = listen;
  const text = listen.value.replace(/^[ \t\n\r]+|[ \t\n\r]+$/g, '');
  const unnamed = text.includes('#') ? text.slice(0, text.indexOf('#')) : text;
  const meant = [text.replace(/(^|:)0+(?=\d)/, '$1'), unnamed].find(
    (candidate) => candidate !== text && candidate !== '' && listenPort(candidate) !== undefined,
  );
  const fix =
    meant !== undefined
      ? `write ${key}=${escapeText(meant, 200)}`
      : `write a port (${key}=8000), an IPv4 address and port (${key}=127.0.0.1:8000) or an IPv6 one in brackets (${key}=[::]:8000)`;
  return `${socket.unit} (${socket.via}): systemd ignores ${key}=${escapeText(listen.value, 200)}: ${why}, so ${socket.unit} does not listen there; ${fix}`;
}
