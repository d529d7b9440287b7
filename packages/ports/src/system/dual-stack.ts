// Whether a `::` listener also accepts IPv4. /proc does not show a socket's
// IPV6_V6ONLY flag, so it is inferred: a `::` socket is dual-stack when the
// system default (/proc/sys/net/ipv6/bindv6only) is 0 and no 0.0.0.0 socket
// listens on the same port (the kernel would have refused that bind had the
// `::` socket been dual-stack). A program that sets IPV6_V6ONLY itself and has
// no IPv4 twin is reported dual-stack wrongly; nothing in /proc can tell.
import type { ListenSocket } from './sockets.js';
import { describeArgument, isArraySafely, objectArgument, procRootArgument } from '../arguments.js';
import { tryReadProcText } from './system-files.js';

/** Pure: is this socket dual-stack, given every listener and the bindv6only default. */
export function isDualStack(socket: ListenSocket, all: readonly ListenSocket[], bindV6Only: boolean): boolean {
  objectArgument('isDualStack', 'socket', socket, 'a ListenSocket');
  if (!isArraySafely(all)) throw new TypeError(`isDualStack: all must be an array of ListenSocket, not ${describeArgument(all)}`);
  if (socket.family !== 'IPv6' || socket.address !== '::' || bindV6Only) return false;
  // Each entry checked as it is read (not in a pass of its own: assemble asks this of every socket, with all of them).
  return !all.some((other, index) => {
    if (typeof other !== 'object' || other === null) throw new TypeError(`isDualStack: all[${index}] must be a ListenSocket, not ${describeArgument(other)}`);
    return other.port === socket.port && other.family === 'IPv4' && other.address === '0.0.0.0';
  });
}

/** /proc/sys/net/ipv6/bindv6only as a boolean; false when it cannot be read (the Linux default). */
export function readBindV6Only(procRoot = '/proc'): boolean {
  procRootArgument('readBindV6Only', procRoot);
  return tryReadProcText(procRoot, 'sys/net/ipv6/bindv6only')?.trim() === '1';
}
