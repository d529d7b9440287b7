// The kernel's ephemeral port range (net.ipv4.ip_local_port_range): the ports
// bind(0) and every outgoing connection are given. A port outside it is taken
// only by a program that asks for it by number.
import { stringArgument } from '../arguments.js';
import { tryReadSystemText } from './system-files.js';

/** Where Linux shows the range (it covers IPv6 too). */
export const EPHEMERAL_RANGE_FILE = '/proc/sys/net/ipv4/ip_local_port_range';

/**
 * `32768\t60999` -> { start, end }; undefined when malformed: not two numbers,
 * a start past the end, or a number that is no port (0, 65536: the kernel
 * keeps the range within 1-65535).
 */
export function parsePortRange(text: string): { start: number; end: number } | undefined {
  stringArgument('parsePortRange', 'text', text, 'the text of ip_local_port_range');
  const match = /^\s*(\d+)\s+(\d+)\s*$/.exec(text);
  if (!match) return undefined;
  const start = Number(match[1]);
  const end = Number(match[2]);
  return start >= 1 && start <= end && end <= 65535 ? { start, end } : undefined;
}

/** The file holds two numbers and a line break: anything longer is not it (and is not read past this). */
const MAX_RANGE_FILE_BYTES = 4096;

/**
 * The range as this machine has it; undefined when the file cannot be read or parsed (no /proc, a
 * container that hides it), or is no regular file (a FIFO, /dev/zero: refused at once, never read).
 */
export function readEphemeralRange(path = EPHEMERAL_RANGE_FILE): { start: number; end: number } | undefined {
  stringArgument('readEphemeralRange', 'path', path, 'a file path');
  const text = tryReadSystemText(path, MAX_RANGE_FILE_BYTES);
  return text === undefined ? undefined : parsePortRange(text);
}
