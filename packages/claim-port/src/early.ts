// The common case, a numeric port nobody listens on, answered from the socket
// table alone: no registry, no process scan. The command calls this before it
// loads the rest of claim-port (start-up time of every service).
import { isPort, parsePort } from '@dsa110/ports';
import { isClaimTimeout } from '@dsa110/ports/systemd';
import { hasProcNet, readListenSocketsSync, type ListenSocket } from '@dsa110/ports/system';
import type { ClaimResult } from './result.js';
import { now } from './watch.js';

/** The LISTEN sockets on a port, read by the first look, for claimPort() to reuse (ClaimOptions.listening). */
export interface SeenListening {
  readonly port: number;
  readonly sockets: readonly ListenSocket[];
}

/** What the first look needs of claimPort()'s options (ClaimOptions has them all). */
export interface EarlyLookOptions {
  readonly timeoutSeconds?: number | undefined;
  readonly dryRun?: boolean | undefined;
  /** A custom reader sends the claim down the full path. */
  readonly reader?: unknown;
}

/**
 * A valid numeric port read from /proc: already free (a result), or in use
 * (the sockets seen, so the claim need not read the tables again); undefined
 * when the full path must decide (a service id, a bad value, no /proc).
 */
export function earlyLook(portOrId: number | string, options: EarlyLookOptions, started = now()): { free: ClaimResult } | { listening: SeenListening } | undefined {
  const port = typeof portOrId === 'number' ? portOrId : parsePort(portOrId);
  if (!isPort(port)) return undefined;
  const timeout = options.timeoutSeconds;
  if (timeout !== undefined && !isClaimTimeout(timeout)) return undefined; // resolve() reports it
  if (options.reader || !hasProcNet()) return undefined; // a custom reader, or lsof, takes the full path
  const sockets = readListenSocketsSync({ ports: [port] });
  if (sockets.length > 0) return { listening: { port, sockets } };
  const message = `port ${port} is free; nothing to do`;
  return { free: { port, action: 'already-free', holders: [], elapsedMs: Math.round((now() - started) * 10) / 10, message, listeners: [], dryRun: options.dryRun ?? false } };
}
