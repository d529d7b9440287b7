// The kernel's ephemeral port range and its exceptions: an outgoing
// connection may take any port in net.ipv4.ip_local_port_range that is not in
// net.ipv4.ip_local_reserved_ports (which also covers IPv6).
import { MAX_CONFIG_BYTES, quoteValue } from '@dsa110/ports';
import { FileReadError, readFileBytes } from '@dsa110/ports/files';
// The ephemeral range's one home is @dsa110/ports/system (claim-port's self-test picks ports outside it).
import { EPHEMERAL_RANGE_FILE, parsePortRange } from '@dsa110/ports/system';
import type { KernelFacts } from './types.js';

export const RESERVED_PORTS_FILE = '/proc/sys/net/ipv4/ip_local_reserved_ports';

/** `8000,9090-9095` (or empty) -> ranges; malformed pieces are skipped. */
export function parseReservedPorts(text: string): Array<{ start: number; end: number }> {
  const ranges: Array<{ start: number; end: number }> = [];
  for (const piece of text.trim().split(',')) {
    const match = /^(\d+)(?:-(\d+))?$/.exec(piece.trim());
    if (!match) continue;
    const start = Number(match[1]);
    const end = match[2] === undefined ? start : Number(match[2]);
    if (start <= end) ranges.push({ start, end });
  }
  return ranges;
}

export function inRanges(port: number, ranges: readonly { start: number; end: number }[]): boolean {
  return ranges.some((range) => port >= range.start && port <= range.end);
}

/** Why a /proc/sys file could not be read, in words. */
function readProblem(error: NodeJS.ErrnoException | FileReadError): string {
  switch (error.code) {
    case 'ENOENT':
      return 'no such file (a kernel without it, or a container that hides it)';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    default:
      return error instanceof FileReadError ? error.reason : (error.code ?? error.message);
  }
}

// Through the bounded reader the other system files go through: its code has run by then, where
// readFileSync's own would be compiled for these two small files (about 0.3 ms of a health check's start).
function read(path: string): { text: string } | { error: NodeJS.ErrnoException | FileReadError } {
  try {
    return { text: readFileBytes(path, { maxBytes: MAX_CONFIG_BYTES }).toString('latin1') };
  } catch (error) {
    return { error: error as NodeJS.ErrnoException | FileReadError };
  }
}

export function readKernelFacts(files = { range: EPHEMERAL_RANGE_FILE, reserved: RESERVED_PORTS_FILE }): KernelFacts {
  const range = read(files.range);
  const reserved = read(files.reserved);
  const ephemeral = 'text' in range ? parsePortRange(range.text) : undefined;
  const problem =
    'error' in range
      ? `cannot read ${files.range}: ${readProblem(range.error)}`
      : ephemeral === undefined
        ? `cannot parse ${files.range}: ${quoteValue(range.text.trim())}`
        : undefined;
  return {
    ...(ephemeral && { ephemeral }),
    reservedPorts: 'text' in reserved ? parseReservedPorts(reserved.text) : [],
    ...(problem && { problem }),
  };
}
