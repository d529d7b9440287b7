// systemd (PID 1) holding a port: a socket unit listens on it (ListenStream=,
// ListenDatagram=), and PID 1 keeps the socket open to hand it to the unit's
// service. Nobody can stop PID 1 by hand, and claim-port never signals it:
// what an operator stops is the socket unit. One wording for claim-port's
// refusal and the health check's owner check. Pure: facts in, words out.
import { describeArgument, isArraySafely, objectArgument, portArgument, transportArgument } from '../arguments.js';
import { escapeText } from '../escape.js';
import { claimPortArgument } from './claim-args.js';
import type { ListeningSocket } from './socket-units.js';

/**
 * Pure: whether a holder is systemd running as PID 1 (of the PID namespace
 * the holder was read in): by the name systemd gives itself (it runs as
 * /sbin/init too), or by its program's. Another init (tini, a container's
 * shell) holds a port for other reasons.
 */
export function isSystemdInit(holder: { readonly pid: number; readonly comm?: string; readonly exe?: string }): boolean {
  objectArgument('isSystemdInit', 'holder', holder, '{ pid, comm?, exe? }: a process');
  // Compared and cut as text: a symbol failed inside ("holder.exe.lastIndexOf is not a function").
  if (holder.comm !== undefined && typeof holder.comm !== 'string')
    throw new TypeError(`isSystemdInit: holder.comm must be a process name (a string) or left out, not ${describeArgument(holder.comm)}`);
  if (holder.exe !== undefined && typeof holder.exe !== 'string')
    throw new TypeError(`isSystemdInit: holder.exe must be a path (a string) or left out, not ${describeArgument(holder.exe)}`);
  const program = holder.exe?.slice(holder.exe.lastIndexOf('/') + 1);
  return holder.pid === 1 && (holder.comm === 'systemd' || program === 'systemd');
}

/**
 * One of initSocketAdvice's `sockets`, checked for what its words read: `[{}]` failed inside, naming escapeText
 * ("escapeText: value must be a string, not undefined"), and `[null]` on "reading 'unit'".
 */
function listeningSocketArgument(index: number, socket: unknown): void {
  const at = `initSocketAdvice: sockets[${index}]`;
  if (typeof socket !== 'object' || socket === null)
    throw new TypeError(`${at} must be a ListeningSocket ({ unit, listen, ... }), from socketUnitsOn, not ${describeArgument(socket)}`);
  const { unit, listen, service, enabledBy } = socket as Partial<Record<keyof ListeningSocket, unknown>>;
  if (typeof unit !== 'string') throw new TypeError(`${at}.unit must be a unit name (a string), not ${describeArgument(unit)}`);
  if (typeof listen !== 'object' || listen === null)
    throw new TypeError(`${at}.listen must be a SocketListen ({ key, value, file, line }), not ${describeArgument(listen)}`);
  const { key, value, file, line } = listen as Partial<Record<keyof ListeningSocket['listen'], unknown>>;
  for (const [name, field] of [
    ['key', key],
    ['value', value],
    ['file', file],
  ] as const)
    if (typeof field !== 'string') throw new TypeError(`${at}.listen.${name} must be a string, not ${describeArgument(field)}`);
  if (typeof line !== 'number') throw new TypeError(`${at}.listen.line must be a line number, not ${describeArgument(line)}`);
  if (service !== undefined && (typeof service !== 'object' || service === null || typeof (service as { value?: unknown }).value !== 'string'))
    throw new TypeError(`${at}.service must be { value, file, line } or left out, not ${describeArgument(service)}`);
  if (enabledBy !== undefined && typeof enabledBy !== 'string')
    throw new TypeError(`${at}.enabledBy must be a directory (a string) or left out, not ${describeArgument(enabledBy)}`);
}

/** `foo.service` for `foo.socket`; with Accept=yes, the template `foo@.service` (an instance per connection). */
function activatedService(socket: ListeningSocket): string {
  if (socket.service) return socket.service.value;
  const base = socket.unit.slice(0, socket.unit.lastIndexOf('.'));
  return socket.accept ? `${base}@.service` : `${base}.service`;
}

/**
 * Pure: which socket units systemd (PID 1) holds `port` for, and what to do:
 * stop and disable them, or let them start `service` (the unit that needs the
 * port: its Service=, socket activation, with no claim). `sockets` are the
 * socket units whose files listen on the port (socketUnitsOn); none, or
 * undefined when they were not read, says how to find the one (`systemctl
 * list-sockets`: a transient socket unit has no file). One clause, no
 * trailing punctuation, for the caller's sentence.
 */
export function initSocketAdvice(port: number, transport: 'tcp' | 'udp', sockets: readonly ListeningSocket[] | undefined, service?: string): string {
  portArgument('initSocketAdvice', port);
  transportArgument('initSocketAdvice', transport);
  if (sockets !== undefined && !isArraySafely(sockets))
    throw new TypeError(`initSocketAdvice: sockets must be an array of ListeningSocket, from socketUnitsOn, or undefined, not ${describeArgument(sockets)}`);
  if (sockets !== undefined) for (const [index, socket] of sockets.entries()) listeningSocketArgument(index, socket);
  if (service !== undefined && typeof service !== 'string')
    throw new TypeError(`initSocketAdvice: service must be a unit name (a string) or left out, not ${describeArgument(service)}`);
  const target = claimPortArgument(port, transport);
  const wanted = service === undefined ? undefined : escapeText(service, 200);
  const listenKey = transport === 'udp' ? 'ListenDatagram=' : 'ListenStream=';
  if (sockets === undefined || sockets.length === 0) {
    const instead = wanted ? `, or make ${wanted} its Service= (socket activation, with no claim)` : '';
    return (
      `systemd (PID 1) holds a port when a socket unit listens on it (${listenKey}${port}), and no unit file read here does: ` +
      `find it with \`systemctl list-sockets\`, then \`systemctl stop NAME.socket\` and \`systemctl disable NAME.socket\`${instead}`
    );
  }
  const names = sockets.map((socket) => escapeText(socket.unit, 200));
  const each = sockets.map((socket, index) => {
    const at = `${socket.listen.key}=${escapeText(socket.listen.value, 200)} at ${escapeText(socket.listen.file)}:${socket.listen.line}`;
    const enabled = socket.enabledBy ? `, enabled in ${escapeText(socket.enabledBy)}` : '';
    return `${names[index]} (${at}${enabled}; it starts ${escapeText(activatedService(socket), 200)})`;
  });
  const stop = `\`systemctl stop ${names.join(' ')}\` and \`systemctl disable ${names.join(' ')}\``;
  // Already socket activation of the service that needs the port: nothing to hand over, only a claim to drop.
  const activates = service !== undefined && sockets.every((socket) => activatedService(socket) === service);
  const instead = activates
    ? `, or keep the socket activation and run ${wanted} without claim-port (drop its claim-port ExecStartPre=)`
    : wanted
      ? `, or make ${wanted} ${sockets.length > 1 ? 'their' : 'its'} Service= (socket activation, with no claim)`
      : '';
  return `systemd (PID 1) holds port ${target} for socket unit${sockets.length > 1 ? 's' : ''} ${each.join('; ')}: ${stop}${instead}`;
}
