// The shape of a claim's outcome: what claimPort() returns and --json prints.

import { wellFormedJson } from '@dsa110/ports';

/**
 * A port a holder listens on besides the claimed one (TCP: LISTEN; UDP: bound,
 * not connected to a peer), found from the sockets it holds (on /proc only),
 * and what the registry says of it.
 */
export interface OtherPort {
  readonly port: number;
  readonly transport: 'tcp' | 'udp';
  /** The registry's service on it (its registered port, or its env override as claim-port's environment sets it). */
  readonly service?: string;
  /** That service's systemd unit, when it has one. */
  readonly unit?: string;
  /**
   * True when that service is the claimed one, or runs in the claimed service's systemd unit (an old instance of
   * the unit serving both of its services' ports: the normal restart case). Only a port of another service
   * (`service` set, `sameUnit` not) refuses the claim.
   */
  readonly sameUnit?: boolean;
  /** The registry's reserved entry the port is in, when no service has it (named, never a refusal). */
  readonly reserved?: string;
}

export type ClaimAction = 'already-free' | 'freed' | 'would-free' | 'refused' | 'failed';

export type HolderOutcome =
  /** Gone after SIGTERM (only SIGTERM was sent; whether it exited or was ended otherwise, e.g. by another claim's SIGKILL, is not known). */
  | 'exited'
  /** Exited after SIGKILL. */
  | 'killed'
  /** Closed the listening socket after SIGTERM but is still running (a drain): the port is free. */
  | 'released'
  /** Exited (or its PID was reused) before it was signalled: nothing was sent. */
  | 'gone'
  /** Still running after SIGKILL and the wait (e.g. stuck in the kernel). */
  | 'survived'
  /**
   * Protected: not signalled (see `reason`). A holder that runs another program
   * than when it was found (an exec) is judged again before each signal: one
   * that became protected after its SIGTERM keeps it in `signals`, and gets no SIGKILL.
   */
  | 'protected'
  /** Not signalled because the claim was refused (another holder is protected or unknown, or this one frozen by cgroup v1's freezer), or interrupted before its signals (`reason` says which). */
  | 'spared'
  /**
   * A process that held a holder's socket once the holders were gone (`inheritedFrom`) and was not signalled (`reason`
   * says why): no holder started it (it received the socket, over a Unix socket), or the claim's rules refuse it as they
   * would a holder (its unit's Restart=, this user's rights). A protected one is `protected`.
   */
  | 'refused'
  /** Signalled, and still running when the claim was interrupted (ClaimOptions.signal): nothing more was sent to it, no SIGKILL. */
  | 'interrupted'
  /** kill(2) was denied: another user's process and this user is not root. */
  | 'permission-denied'
  /** --dry-run: would be sent SIGTERM (or SIGKILL with --force). */
  | 'would-signal';

export interface HolderReport {
  readonly pid: number;
  readonly ppid: number;
  readonly user: string;
  readonly uid: number;
  readonly comm: string;
  /** The full command line. */
  readonly command: string;
  /** /proc/PID/stat field 22 (clock ticks after boot); -1 where unknown (no /proc). */
  readonly startTime: number;
  /** The systemd unit it runs in (from /proc/PID/cgroup), when it is in one. */
  readonly unit?: string;
  /** The container it belongs to or serves (an id, or docker-proxy's `172.17.0.2:80`). */
  readonly container?: string;
  /**
   * True when it holds the port's sockets only through an io_uring: registered
   * with its ring (IORING_REGISTER_FILES) and its own fd closed, so no fd table
   * (nor `ss -p`, nor lsof) shows it; left out otherwise.
   */
  readonly throughRing?: true;
  /** Signals actually sent, in order. */
  readonly signals: readonly ('SIGTERM' | 'SIGCONT' | 'SIGKILL')[];
  readonly outcome: HolderOutcome;
  /** Why it is protected, or why it was not signalled. */
  readonly reason?: string;
  /**
   * Why a name that matches a protected pattern did not protect it: its user
   * chose the name, as its executable shows (`named "sshd" (protected pattern
   * "sshd") but runs /tmp/x/sshd, owned by uid 1000`).
   */
  readonly disguise?: string;
  /**
   * Set for a process that was not a holder when the claim began but held one
   * of the port's sockets once every holder was gone: a child a holder forked
   * (on SIGTERM, say) that inherited the socket. The PIDs of the holders whose
   * socket it held; it was judged as they were, then signalled; or, when no
   * holder started it or it was refused as a holder would be, not signalled
   * (`outcome` `refused` or `protected`).
   */
  readonly inheritedFrom?: readonly number[];
  /**
   * The ports it listens on besides the claimed one (see OtherPort), when it
   * has any: another service's refuses the claim (`reason` says so); the
   * others close with it, and the log names them.
   */
  readonly otherPorts?: readonly OtherPort[];
  /** CPU percent and resident memory in bytes at discovery (pidusage), when available. */
  readonly cpu?: number;
  readonly memory?: number;
}

/** A process that holds a socket named in a refusal (ClaimResult.blockers): named, never signalled for it. */
export interface SocketHolder {
  readonly pid: number;
  readonly comm: string;
  readonly command: string;
  /** Its arguments (/proc/PID/cmdline). */
  readonly argv: readonly string[];
  /** Basename of its executable (/proc/PID/exe), when readable. */
  readonly exe?: string;
}

export interface ClaimResult {
  readonly port: number;
  /** What was claimed: tcp (listening sockets) or udp (bound sockets). */
  readonly transport: 'tcp' | 'udp';
  /** The service id, when claimed by id (or the registry's owner of the port). */
  readonly service?: string;
  readonly action: ClaimAction;
  readonly holders: readonly HolderReport[];
  readonly elapsedMs: number;
  /** One line for people: why it was refused or failed, or what happened. */
  readonly message: string;
  /** Listening sockets found on the port, each address once with how many sockets share it (a SO_REUSEPORT group), as the message says them: `127.0.0.1:8000`, `0.0.0.0:8000 (2 sockets)`, `[::]:8000 (IPv6; IPv4 too unless it set IPV6_V6ONLY)`. */
  readonly listeners: readonly string[];
  /** Processes that hold the port after the holders died, and the supervisor that started each, where known. */
  readonly retakenBy?: readonly {
    readonly pid: number;
    readonly user: string;
    readonly command: string;
    readonly supervisor?: { readonly pid: number; readonly command: string };
    /** The holder that left it running (in the process group or session it led, its child, or a child of its reaper born after the signal and tied to it: see Claim.tiedTo), when no supervisor started it; left out when nothing ties it to a holder. */
    readonly leftBehindBy?: number;
  }[];
  /** When a server could still not bind the port, or the claim was refused over a socket (or TIME_WAITs) that would keep a server from binding it once the holders are gone: the sockets that block it (bound, not listening; a connection using it as its local port), with their holders. */
  readonly blockers?: readonly {
    readonly socket: string;
    readonly holders: readonly SocketHolder[];
    /** A connection's other end, when it is on this machine (a loopback client), and who holds it: named, never signalled. */
    readonly peer?: { readonly socket: string; readonly holders: readonly SocketHolder[] };
    /** A TIME_WAIT, or a FIN_WAIT2 held by no process: how long the kernel keeps it yet, in ms, as the socket table says. */
    readonly timeWaitLeftMs?: number;
  }[];
  readonly dryRun: boolean;
  /**
   * Set when the claim was interrupted (ClaimOptions.signal; one of the
   * command's interruptSignals()) before it finished: the signal's name (the
   * abort's reason when it is a string, else "aborted"). `action` is then
   * `failed`, and `message` says what was sent and whether the port was free
   * at that moment.
   */
  readonly interrupted?: string;
}

/** Pure: the object `--json` prints, its keys in the documented order (the README's JSON output), optional ones only when set. */
export function resultJson(result: ClaimResult): ClaimResult {
  const { port, transport, service, action, holders, elapsedMs, message, listeners, retakenBy, blockers, dryRun, interrupted } = result;
  return {
    port,
    transport,
    ...(service !== undefined && { service }),
    action,
    holders,
    elapsedMs,
    message,
    listeners,
    dryRun,
    ...(retakenBy && { retakenBy }),
    ...(blockers && { blockers }),
    ...(interrupted !== undefined && { interrupted }),
  };
}

/**
 * Pure: `--json`'s line, well-formed Unicode (I-JSON, RFC 7493): a lone
 * surrogate in a string (a holder's comm, command or user) is U+FFFD. Plain
 * JSON.stringify writes `"\udcff"`, which strict parsers (Rust's serde_json)
 * refuse; the human lines keep such a byte visible as `\xff`.
 */
export function resultJsonLine(result: ClaimResult): string {
  return `${JSON.stringify(resultJson(result), wellFormedJson)}\n`;
}
