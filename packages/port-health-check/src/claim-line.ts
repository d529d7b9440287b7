// Recognising the ExecStartPre= that calls claim-port, and what it claims.
// `ports systemd` writes `ExecStartPre=+/usr/local/bin/claim-port <port>`
// (the path is configurable), and claim-port also accepts a service id.
import type { ExecLine } from './types.js';

/** claim-port's options that take a separate value (`--timeout 10`). */
const OPTIONS_WITH_VALUE = new Set(['--timeout', '-t', '--registry', '--signal']);

export function isClaimPort(path: string | undefined, extraPaths: readonly string[]): boolean {
  if (!path) return false;
  const name = path.slice(path.lastIndexOf('/') + 1);
  return /^claim-port(\.sh|\.js|\.mjs)?$/.test(name) || extraPaths.includes(path);
}

export function claimLines(lines: readonly ExecLine[], extraPaths: readonly string[]): ExecLine[] {
  return lines.filter((line) => isClaimPort(line.argv[0], extraPaths));
}

/** The port or service id claim-port is given: its first operand. */
export function claimTarget(argv: readonly string[]): string | undefined {
  for (let index = 1; index < argv.length; index++) {
    const arg = argv[index]!;
    if (arg === '--') return argv[index + 1];
    if (arg.startsWith('-')) {
      if (OPTIONS_WITH_VALUE.has(arg)) index++;
      continue;
    }
    return arg;
  }
  return undefined;
}

/** `/etc/systemd/system/redis-server.service.d/claim-port.conf:2` */
export function where(line: Pick<ExecLine, 'file' | 'line'>): string {
  return `${line.file}:${line.line}`;
}
