// The common case, a numeric port nobody holds, answered by a bind check
// alone: no registry, no socket table, no process scan. The command calls this
// before it loads the rest of claim-port (start-up time of every service).
import { checkRegistryFile, isPort, parsePort, RegistryError } from '@dsa110/ports';
import { claimPortArgument, isClaimTimeout } from '@dsa110/ports/systemd';
import { canBind, hasProcNet, readListenSocketsSync, startSocketHoldersParallel, type ListenSocket, type StartedHolderScan } from '@dsa110/ports/system';
import { registryTrustWarning } from './registry-trust.js';
import { registryWarning } from './registry-warning.js';
import type { ClaimResult } from './result.js';
import { now } from './watch.js';

/** The LISTEN sockets on a port, read by the first look, for claimPort() to reuse (ClaimOptions.listening). */
export interface SeenListening {
  readonly port: number;
  readonly sockets: readonly ListenSocket[];
  /**
   * The scan for their holders, started by the first look (perl children on a
   * busy machine: they read /proc while the CLI loads the claim engine); the
   * claim finishes it, or cancels it when it does not gather these sockets.
   */
  readonly holders?: StartedHolderScan;
}

/** What the first look needs of claimPort()'s options (ClaimOptions has them all). */
export interface EarlyLookOptions {
  readonly timeoutSeconds?: number | undefined;
  readonly dryRun?: boolean | undefined;
  readonly transport?: 'tcp' | 'udp' | undefined;
  /** A custom reader sends the claim down the full path. */
  readonly reader?: unknown;
  /** The registry: a path (or $DSA110_PORTS_FILE from `env`) is checked readable on a free port too. */
  readonly registry?: unknown;
  readonly registryOrigin?: string | undefined;
  readonly env?: Readonly<Record<string, string | undefined>> | undefined;
  readonly log?: ((line: string, level: 'warn', port?: number) => void) | undefined;
}

/**
 * A valid numeric port: free (a result) when a server could bind it on the
 * wildcard addresses, IPv4 and IPv6, right now; else in use (for TCP on
 * /proc, the LISTEN sockets seen, so the claim need not read the tables
 * again); undefined when the full path must decide (a service id, a bad
 * value, a custom reader, a port this user may not bind). The bind check is
 * libuv's, without the event loop, and through `net` where Node would warn of
 * reading libuv's handles (node-binding.ts): the same answer either way, a
 * free port never named by the registry nor checked against it.
 */
export async function earlyLook(
  portOrId: number | string,
  options: EarlyLookOptions,
  started = now(),
): Promise<{ free: ClaimResult } | { listening: SeenListening } | undefined> {
  const port = typeof portOrId === 'number' ? portOrId : parsePort(portOrId);
  if (!isPort(port)) return undefined;
  const timeout = options.timeoutSeconds;
  if (timeout !== undefined && !isClaimTimeout(timeout)) return undefined; // resolveTarget() reports it
  if (options.reader) return undefined; // a custom reader takes the full path
  const transport = options.transport ?? 'tcp';
  // canBind binds synchronously first (the same libuv bind canBindSync makes), after any test of the port in flight here.
  const bind = await canBind(port, transport);
  if (bind?.ok) {
    // No registry is needed to answer, but a registry path that cannot be read
    // is said on every run (a typo in ExecStartPre= shows at once, not on the
    // day the port is busy): a stat and an open, no read, no parse. The same
    // line the claim of a busy port gives; a file that reads but does not
    // validate is found only there.
    warnUnreadableRegistry(port, options);
    const name = `port ${claimPortArgument(port, transport)}`;
    const message = `${name} is free; nothing to do`;
    return {
      free: {
        port,
        transport,
        action: 'already-free',
        holders: [],
        elapsedMs: Math.round((now() - started) * 10) / 10,
        message,
        listeners: [],
        dryRun: options.dryRun ?? false,
      },
    };
  }
  if (transport !== 'tcp' || !hasProcNet()) return undefined;
  const sockets = readListenSocketsSync({ ports: [port] });
  // The holder scan starts here, not after the engine has loaded: on a machine of 1,300 processes its perl
  // children then read /proc while run.cjs loads (a dry-run lookup there: 312.8 against 320.4 ms, medians of
  // 14 interleaved runs on a loaded host, ss 231 ms; the engine's load was 13-27 ms of the wait before).
  return { listening: { port, sockets, ...(sockets.length > 0 && { holders: startSocketHoldersParallel({ socketLinks: true }) }) } };
}

function warnUnreadableRegistry(port: number, options: EarlyLookOptions): void {
  if (options.registry !== undefined && typeof options.registry !== 'string') return; // a Registry: nothing to read
  // As root, a file others may change is said on every run too, as the claim of a busy port says it (registry-trust.ts).
  const distrusted = registryTrustWarning(options);
  if (distrusted !== undefined) options.log?.(distrusted, 'warn', port);
  try {
    checkRegistryFile({
      ...(options.registry !== undefined && { path: options.registry }),
      env: options.env ?? process.env,
      ...(options.registryOrigin !== undefined && { origin: options.registryOrigin }),
    });
  } catch (error) {
    // A bad `registry` value (TypeError) is the full path's to report, when it needs the registry.
    if (error instanceof RegistryError) options.log?.(registryWarning(error), 'warn', port);
  }
}
