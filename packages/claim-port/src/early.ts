// The common case, a numeric port nobody listens on, answered from the socket
// table alone: no registry, no process scan. The command calls this before it
// loads the rest of claim-port (start-up time of every service).
import { parsePort } from '@dsa110/ports';
import { hasProcNet, readListenSocketsSync } from '@dsa110/ports/system';
import type { ClaimOptions } from './claim.js';
import type { ClaimResult } from './result.js';
import { now } from './watch.js';

/** An already-free result for a valid numeric port with no LISTEN socket, or undefined (take the full path). */
export function earlyFree(portOrId: number | string, options: ClaimOptions, started = now()): ClaimResult | undefined {
  const port = typeof portOrId === 'number' ? portOrId : parsePort(portOrId);
  if (port === undefined || !Number.isInteger(port) || port < 1 || port > 65535) return undefined;
  const timeout = options.timeoutSeconds;
  if (timeout !== undefined && !(timeout > 0 && timeout <= 300)) return undefined; // resolve() reports it
  if (options.reader || !hasProcNet()) return undefined; // a custom reader, or lsof, takes the full path
  if (readListenSocketsSync({ ports: [port] }).length > 0) return undefined;
  const message = `port ${port} is free; nothing to do`;
  return { port, action: 'already-free', holders: [], elapsedMs: Math.round((now() - started) * 10) / 10, message, listeners: [], dryRun: options.dryRun ?? false };
}
