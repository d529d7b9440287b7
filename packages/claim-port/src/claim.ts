// claimPort(): find -> plan (pure) -> signal -> wait -> verify. All I/O of a
// claim is here; every decision is in plan.ts, policy.ts and exit-code.ts.
import { isPort, loadRegistry, parsePort, portProblem, PortsError, RegistryError, registryPath, type Registry } from '@dsa110/ports';
import type { Listener, ProcessInfo } from '@dsa110/ports/system';
import { isClaimTimeout, MAX_CLAIM_TIMEOUT_SECONDS } from '@dsa110/ports/systemd';
import { earlyLook, type SeenListening } from './early.js';
import { describeListener, distinctHolders, planClaim } from './plan.js';
import { BUILTIN_POLICY, type ProtectionPolicy } from './policy.js';
import { defaultReader, type Reader } from './reader.js';
import type { ClaimAction, ClaimResult, HolderOutcome, HolderReport } from './result.js';
import { isRunning, isSameProcess, now, pollUntil, signalIfSame } from './watch.js';

export type LogLevel = 'info' | 'warn' | 'error';

/** How long a listener whose owner cannot be seen may take to disappear before the claim refuses over it. */
const UNSEEN_GRACE_MS = 300;

export interface ClaimOptions {
  /** Signal nothing; report what would be done. */
  dryRun?: boolean;
  /** SIGKILL at once, no SIGTERM. */
  force?: boolean;
  /** Seconds between SIGTERM and SIGKILL; default the registry's claim.timeoutSeconds (5). */
  timeoutSeconds?: number;
  /** A loaded registry, or the path of a ports.yaml; default $DSA110_PORTS_FILE, else the bundled one. */
  registry?: Registry | string;
  /** Where env overrides (CONTIMG_API_PORT, ...) and DSA110_PORTS_FILE are read; default process.env. */
  env?: Readonly<Record<string, string | undefined>>;
  /** Receives every human-readable line (without the `[claim-port:PORT]` prefix). Default: silent. */
  log?: (line: string, level: LogLevel, port?: number) => void;
  /** Collect CPU and memory of holders with pidusage for the log (default: when `log` is given). */
  usage?: boolean;
  /** How long to wait for SIGKILLed processes to disappear (ms, default 2000). */
  killWaitMs?: number;
  /** How sockets are read: default /proc where it exists, else lsof. */
  reader?: Reader;
  /** What a first look just found listening on the port (the CLI's): reused, not read again. */
  listening?: SeenListening;
}

/** A claim that cannot even start: bad port or timeout, unknown service id, unusable registry or override. */
export class ClaimUsageError extends Error {
  override name = 'ClaimUsageError';
  /** The port, when it is known. */
  readonly port?: number;
  constructor(message: string, port?: number) {
    super(message);
    if (port !== undefined) this.port = port;
  }
}

interface Resolved {
  port: number;
  service?: string;
  policy: ProtectionPolicy;
  timeoutSeconds: number;
}

async function resolve(portOrId: number | string, options: ClaimOptions, warn: (line: string, port?: number) => void): Promise<Resolved> {
  const numeric = typeof portOrId === 'number' ? portOrId : parsePort(portOrId);
  if (typeof portOrId === 'number' && !isPort(portOrId)) {
    throw new ClaimUsageError(`port ${portOrId} is not valid: give an integer 1-65535`);
  }
  if (numeric === undefined && /^[-+]?[0-9.]|^$/.test(String(portOrId))) {
    throw new ClaimUsageError(`port ${JSON.stringify(portOrId)} is not valid: ${portProblem(String(portOrId))}`);
  }
  let registry: Registry | undefined;
  try {
    if (typeof options.registry === 'object') registry = options.registry;
    else {
      const env = options.env ?? process.env;
      const path = options.registry ?? registryPath({ env });
      registry = path === undefined ? await loadRegistry({ env: {} }) : await loadRegistry({ path });
    }
  } catch (error) {
    if (!(error instanceof RegistryError)) throw error;
    if (numeric === undefined) throw new ClaimUsageError(`cannot resolve service "${portOrId}": ${error.message}`);
    // A broken ports.yaml must never block a service start: the port is known, use the built-in policy.
    warn(`warning: ${error.message.split('\n')[0]}${error.issues.length > 1 ? ` (and ${error.issues.length - 1} more problems)` : ''}; using the built-in protected list`, numeric);
  }
  const policy = registry?.claim ?? BUILTIN_POLICY;
  let port = numeric;
  let service: string | undefined;
  if (numeric === undefined) {
    try {
      port = registry!.resolvePort(String(portOrId), { env: options.env ?? process.env }).port;
      service = String(portOrId);
    } catch (error) {
      if (error instanceof PortsError) throw new ClaimUsageError(error.message);
      throw error;
    }
  } else {
    const owner = registry?.lookup(numeric);
    if (owner?.kind === 'service') service = owner.id;
  }
  const timeoutSeconds = options.timeoutSeconds ?? policy.timeoutSeconds ?? BUILTIN_POLICY.timeoutSeconds;
  if (!isClaimTimeout(timeoutSeconds)) throw new ClaimUsageError(`timeout ${timeoutSeconds} is not valid: give seconds > 0 and at most ${MAX_CLAIM_TIMEOUT_SECONDS}`, port);
  return { port: port!, ...(service !== undefined && { service }), policy, timeoutSeconds };
}

function formatBytes(bytes: number): string {
  return bytes >= 1 << 30 ? `${(bytes / (1 << 30)).toFixed(1)} GiB` : `${(bytes / (1 << 20)).toFixed(1)} MiB`;
}

interface Tracked {
  info: ProcessInfo;
  signals: ('SIGTERM' | 'SIGKILL')[];
  outcome: HolderOutcome;
  reason?: string;
  cpu?: number;
  memory?: number;
}

function report(t: Tracked): HolderReport {
  return {
    pid: t.info.pid,
    ppid: t.info.ppid,
    user: t.info.user,
    uid: t.info.uid,
    comm: t.info.comm,
    command: t.info.command,
    startTime: t.info.startTime,
    signals: [...t.signals],
    outcome: t.outcome,
    ...(t.reason !== undefined && { reason: t.reason }),
    ...(t.cpu !== undefined && { cpu: t.cpu }),
    ...(t.memory !== undefined && { memory: t.memory }),
  };
}

/**
 * Free `portOrId` (a port, or a service id resolved with its env override):
 * SIGTERM every process listening on it, SIGKILL what remains after the
 * timeout, and verify nothing listens. Never signals a protected process,
 * and never signals anyone when it refuses. Throws ClaimUsageError only for
 * bad input; everything else is in the result (see `action` and `message`).
 */
export async function claimPort(portOrId: number | string, options: ClaimOptions = {}): Promise<ClaimResult> {
  const started = now();
  const userLog = options.log ?? (() => {});
  // The common case, a numeric port nobody listens on, is answered from the
  // socket table alone: no registry, no process scan (service start-up time).
  const look = options.listening ? { listening: options.listening } : earlyLook(portOrId, options, started);
  if (look && 'free' in look) {
    userLog(look.free.message, 'info', look.free.port);
    return look.free;
  }
  const resolved = await resolve(portOrId, options, (line, known) => userLog(line, 'warn', known));
  const { port, service } = resolved;
  const log = (line: string, level: LogLevel) => userLog(line, level, port);
  const info = (line: string) => log(line, 'info');
  const reader = options.reader ?? defaultReader();
  const dryRun = options.dryRun ?? false;
  const elapsed = () => Math.round((now() - started) * 10) / 10;
  const finish = (action: ClaimAction, message: string, tracked: Tracked[], listeners: readonly Listener[], extra: Partial<ClaimResult> = {}): ClaimResult => ({
    port,
    ...(service !== undefined && { service }),
    action,
    holders: tracked.map(report),
    elapsedMs: elapsed(),
    message,
    listeners: listeners.map(describeListener),
    dryRun,
    ...extra,
  });
  const name = service ? `port ${port} (${service})` : `port ${port}`;

  const wantUsage = options.usage ?? options.log !== undefined;
  const seen = look?.listening.port === port && !options.reader ? look.listening.sockets : undefined;
  let found = await reader.gather(port, seen);
  // An owner that cannot be seen may be a process in the middle of exiting (its
  // zombie leader's fds are unreadable while other threads still close them):
  // give such sockets a moment to go away before refusing over them.
  const unseen = found.listeners.filter((l) => !l.ownerKnown).map((l) => String(l.inode));
  if (unseen.length > 0 && reader.kind === 'proc') {
    const gone = await pollUntilAsync(async () => {
      const listening = await reader.listening(port);
      return !unseen.some((key) => listening.has(key));
    }, now() + UNSEEN_GRACE_MS, reader.maxPollMs);
    if (gone) found = await reader.gather(port);
  }
  if (found.listeners.length === 0) {
    const message = `${name} is free; nothing to do`;
    info(message);
    return finish('already-free', message, [], []);
  }

  const holders = distinctHolders(found.listeners);
  // pidusage runs while the plan is made; it is only for the log.
  const usage = wantUsage && holders.length > 0 ? reader.usage(holders.map((h) => h.pid)) : undefined;
  const self = { pid: process.pid, ancestors: new Set(await reader.ancestors(process.pid)) };
  const uid = process.getuid?.() ?? 0;
  const euid = process.geteuid?.() ?? 0;
  const plan = planClaim({ port, listeners: found.listeners, unreadable: found.unreadable, policy: resolved.policy, self, uid, euid });
  const stats = await usage;
  const tracked: Tracked[] = holders.map((h) => ({
    info: h,
    signals: [],
    outcome: 'spared',
    ...(stats?.[h.pid] && { cpu: Math.round(stats[h.pid]!.cpu * 10) / 10, memory: stats[h.pid]!.memory }),
  }));

  info(`${found.listeners.map(describeListener).join(', ')} held by ${holders.length === 0 ? 'an unknown process' : holders.map((h) => `PID ${h.pid}`).join(', ')}`);
  for (const t of tracked) {
    const h = t.info;
    const usageText = t.cpu !== undefined ? `, cpu ${t.cpu}%, mem ${formatBytes(t.memory ?? 0)}` : '';
    info(`PID ${h.pid} (${h.comm}, user ${h.user}, parent ${h.ppid}${usageText}): ${h.command}`);
  }

  if (plan.kind === 'refuse') {
    for (const t of tracked) {
      const why = plan.kind === 'refuse' ? plan.protectedPids.get(t.info.pid) : undefined;
      if (why !== undefined) {
        t.outcome = 'protected';
        t.reason = why;
      } else t.reason = 'the claim was refused';
    }
    for (const refusal of plan.refusals) log(`refusing: ${refusal.reason}`, 'error');
    const message = `refused to free ${name}: ${plan.refusals[0]!.reason}${plan.refusals.length > 1 ? ` (and ${plan.refusals.length - 1} more)` : ''}; nothing was signalled`;
    log(`nothing was signalled; ${name} is still in use`, 'error');
    return finish('refused', message, tracked, found.listeners);
  }

  const first = options.force ? 'SIGKILL' : 'SIGTERM';
  if (dryRun) {
    for (const t of tracked) {
      t.outcome = 'would-signal';
      info(`dry run: would send ${first} to PID ${t.info.pid}: ${t.info.command}`);
    }
    const message = `dry run: would send ${first} to ${tracked.map((t) => `PID ${t.info.pid}`).join(', ')} to free ${name}`;
    return finish('would-free', message, tracked, found.listeners);
  }

  // 1. SIGTERM (or SIGKILL with --force) to every holder, each re-checked first.
  const originalKeys = await reader.keysOf(port, found);
  const send = (t: Tracked, sig: 'SIGTERM' | 'SIGKILL') => {
    const outcome = signalIfSame(t.info, sig);
    if (outcome === 'sent') {
      t.signals.push(sig);
      info(`sent ${sig} to PID ${t.info.pid}: ${t.info.command}`);
    } else if (outcome === 'gone') {
      if (t.signals.length === 0) t.outcome = 'gone';
      info(`PID ${t.info.pid} is gone (exited or its PID was reused); not signalled`);
    } else {
      t.outcome = 'permission-denied';
      log(`not permitted to signal PID ${t.info.pid} (user ${t.info.user}); run claim-port as root`, 'error');
    }
    return outcome;
  };
  for (const t of tracked) send(t, first);

  // A holder counts as gone once it no longer runs (exited, or a zombie); the
  // port counts as free once none of the sockets found is listening any more.
  // Both are needed: a multi-threaded process's leader turns zombie before its
  // other threads have closed the shared fds.
  const signalled = () => tracked.filter((t) => t.signals.length > 0 && t.outcome !== 'permission-denied');
  const released = async () => {
    const listening = await reader.listening(port);
    return ![...originalKeys].some((key) => listening.has(key));
  };
  const classify = () => {
    for (const t of signalled()) {
      if (t.outcome === 'killed' || t.outcome === 'exited') continue;
      if (!isRunning(t.info)) {
        t.outcome = t.signals.includes('SIGKILL') ? 'killed' : 'exited';
        info(`PID ${t.info.pid} ${t.outcome === 'killed' ? 'was killed' : 'exited'} after ${t.signals.at(-1)} (${elapsed()} ms)`);
      }
    }
    return signalled().every((t) => t.outcome === 'killed' || t.outcome === 'exited');
  };
  const waitForRelease = async (ms: number) => {
    let freed = false;
    await pollUntilAsync(async () => {
      classify();
      freed = await released();
      return freed;
    }, now() + ms, reader.maxPollMs);
    return freed;
  };

  // 2. Wait for the sockets to close (the holders exit, or close them and drain).
  // Nobody could be signalled (all gone already, or kill(2) refused): nothing to wait for.
  const nobody = signalled().length === 0;
  let freed = nobody ? await released() : await waitForRelease(options.force ? 0 : resolved.timeoutSeconds * 1000);
  if (!freed && !nobody && !options.force) {
    const remaining = signalled().filter((t) => isSameProcess(t.info));
    info(`${name} still in use after ${resolved.timeoutSeconds} s; sending SIGKILL to ${remaining.map((t) => `PID ${t.info.pid}`).join(', ') || 'nobody (no holder left)'}`);
    for (const t of remaining) send(t, 'SIGKILL');
  }
  // 3. After SIGKILL, wait for the kernel to tear the processes down.
  if (!freed && !nobody) freed = await waitForRelease(options.killWaitMs ?? 2000);
  // Give holders that closed the socket a moment to finish exiting before they are called "released".
  await pollUntil(classify, now() + 200, 5);
  for (const t of signalled()) {
    if (t.outcome === 'killed' || t.outcome === 'exited') continue;
    if (t.signals.includes('SIGKILL')) {
      t.outcome = 'survived';
      log(`PID ${t.info.pid} is still running after SIGKILL (stuck in the kernel?): ${t.info.command}`, 'error');
    } else {
      t.outcome = 'released';
      info(`PID ${t.info.pid} closed its listening socket and is still running (draining); not killed`);
    }
  }

  // 4. Verify: nothing may listen on the port now.
  const after = await reader.gather(port);
  if (after.listeners.length === 0) {
    // Free at exit is success, even if a holder that could not be signalled let go by itself.
    const message = `${name} is free (${elapsed()} ms)`;
    info(message);
    return finish('freed', message, tracked, found.listeners);
  }
  const ours = new Set(tracked.map((t) => t.info.pid));
  const newcomers = distinctHolders(after.listeners).filter((h) => !ours.has(h.pid) || !tracked.find((t) => t.info.pid === h.pid && t.info.startTime === h.startTime));
  if (newcomers.length > 0) {
    const who = newcomers.map((h) => `PID ${h.pid} (${h.comm}, user ${h.user}, parent ${h.ppid}): ${h.command}`).join('; ');
    const message = `${name} was taken again by ${who}; a supervisor probably restarted it: stop that first (e.g. systemctl stop the unit that owns it)`;
    log(message, 'error');
    return finish('failed', message, tracked, found.listeners, {
      retakenBy: newcomers.map((h) => ({ pid: h.pid, user: h.user, command: h.command })),
    });
  }
  const stuck = after.listeners.map(describeListener).join(', ');
  const denied = tracked.filter((t) => t.outcome === 'permission-denied');
  const message = denied.length > 0
    ? `${name} is still in use: not permitted to signal ${denied.map((t) => `PID ${t.info.pid} (user ${t.info.user})`).join(', ')}; run claim-port as root`
    : after.listeners.some((l) => !l.ownerKnown)
      ? `${name} is still in use (${stuck}) by a process whose owner cannot be read`
      : `${name} is still in use (${stuck}) after SIGKILL`;
  log(message, 'error');
  return finish('failed', message, tracked, found.listeners);
}

async function pollUntilAsync(done: () => Promise<boolean>, deadline: number, maxIntervalMs: number): Promise<boolean> {
  let interval = 1;
  for (;;) {
    if (await done()) return true;
    const left = deadline - now();
    if (left <= 0) return false;
    await new Promise<void>((resolve) => setTimeout(resolve, Math.min(interval, left)));
    interval = Math.min(interval * 1.5, maxIntervalMs);
  }
}
