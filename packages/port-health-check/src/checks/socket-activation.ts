// Part of the systemd check: a service whose port a socket unit listens on
// (socket activation) and whose ExecStartPre= also runs claim-port. systemd
// (PID 1) then holds the port for the socket unit, and claim-port never
// signals PID 1: it refuses, ExecStartPre= fails, and the service never
// starts. The verdict is @dsa110/ports/systemd's socketConflicts (shared with
// `ports systemd`); this adds the live fact (PID 1 holds the port now) and the
// severities. A listen line of those socket units that systemd ignores
// (SocketListen.ignored) is said too, at its value, and so is one whose host
// specifier (`%H`, SocketListen.unresolved) leaves its port to the machine.
// Pure: facts in, results out.
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
    socket.listens.flatMap((listen) => {
      if (listen.ignored !== undefined) return [result('warning', ignoredListen(socket, listen, listen.ignored), placeOf(listen))];
      // A UNIX or vsock socket has no port, whatever its specifiers resolve to.
      if (listen.unresolved !== undefined && !/^[ \t\n\r]*(?:\/|@|vsock:)/.test(listen.value))
        return [result('unknown', unresolvedListen(socket, listen, listen.unresolved), placeOf(listen))];
      return [];
    }),
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

/** What a host specifier systemd resolves from the machine stands for (systemd.unit(5)); others are "a value of the machine's". */
const HOST_VALUES: Readonly<Record<string, string>> = {
  H: 'the host name',
  l: 'the short host name',
  q: 'the pretty host name',
  m: 'the machine ID',
  b: 'the boot ID',
  a: 'the architecture',
  o: 'the OS ID',
  v: 'the kernel release',
  w: 'the OS VERSION_ID',
  W: 'the OS VARIANT_ID',
  B: 'the OS BUILD_ID',
  M: 'the OS IMAGE_ID',
  A: 'the OS IMAGE_VERSION',
};

/**
 * Pure: a listen line whose host specifier (`specifier`, SocketListen.unresolved: `%H`, `%l`) systemd resolves from
 * the machine and this check does not. What systemd reads there depends on the machine: a host name is no address or
 * port (`%H:8000` is `vm:8000`, which systemd ignores), nor an interface unless the machine has one of that name
 * (`[fe80::1]:8000%%%l`), so the verdict is unknown; the fix is the address written out.
 */
function unresolvedListen(socket: RelatedSocket, listen: SocketListen, specifier: string): string {
  const { key } = listen;
  const what = HOST_VALUES[specifier.slice(1)] ?? "a value of the machine's";
  return (
    `${socket.unit} (${socket.via}): ${key}=${escapeText(listen.value, 200)} holds ${escapeText(specifier)}, which systemd resolves to ${what} and this check does not, ` +
    `so whether ${socket.unit} listens there, and on which port, cannot be told (where what it makes is no address, systemd ignores the line: "Failed to parse address value", as systemd-analyze verify logs it); ` +
    `write the address literally (${key}=127.0.0.1:8000, ${key}=[::]:8000; a % meant as itself is written %%)`
  );
}
