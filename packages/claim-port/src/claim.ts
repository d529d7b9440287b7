// claimPort(): gather -> plan (pure) -> act -> settle -> verify. Each phase is
// a function of the claim's state below; every decision is in plan.ts,
// policy.ts, context.ts and exit-code.ts, every process touched through the
// ProcessControl (processes.ts).
import {
  CLAIM_AFTER_TIMEOUT_MS,
  CLAIM_BIND_GRACE_MS,
  CLAIM_KILL_WAIT_MS,
  CLAIM_SETTLE_MAX_MS,
  CLAIM_SETTLE_MS,
  escapeText,
  printedShellWord,
  quoteValue,
} from '@dsa110/ports';
import { canBindSync, socketReuseAddress, type PortSocket, type ProcessInfo } from '@dsa110/ports/system';
import { asRootCommand } from './as-root.js';
import {
  blockersAfterClaim,
  describeBlockers,
  endingAdvice,
  endingLeftMs,
  endingWords,
  finTimeoutReader,
  forGoodAdvice,
  orphanRetriesReader,
  probedForGoodWhy,
  probedOrphan,
  probesInARow,
  retries2Reader,
  rtoMaxReader,
  reportedBlocker,
  seconds,
  timeWaitsAfterClaim,
  TIME_WAIT_SLACK_MS,
  verifyBindable,
  type BindVerdict,
  type Blocker,
  type TimeWaitsAfterClaim,
  unansweredProbes,
} from './blockers.js';
import { gatherContext, restartUncertain, restartWarnings, type ClaimContext, type HolderContext } from './context.js';
import { earlyLook, type SeenListening } from './early.js';
import { classifyPorts, describeOtherPorts, listeningElsewhere, othersPorts, type OtherPort } from './elsewhere.js';
import { readExecutable, readUserExecutable } from './executable.js';
import { checkClaimArguments, type ClaimOptions, type LogLevel } from './options.js';
import {
  describeHolder,
  describeListeners,
  describeUnit,
  distinctHolders,
  throughRingOnly,
  handedOverSocket,
  listenerLabels,
  IN_FLIGHT,
  planClaim,
  shownCommand,
  shownName,
  type Plan,
} from './plan.js';
import { readUserNamespace } from './namespace.js';
import { readForeignProc } from './pid-namespace.js';
import { type Undumpable, undumpableOwn } from './undumpable.js';
import { isServiceManager, liftedBuiltinHit, protectionReason, sandboxReason, type Self, WITHOUT_INHERITED } from './policy.js';
import type { Frozen } from './freezer.js';
import { procControl, type FamilyReader, type ProcessControl } from './processes.js';
import { defaultReader, type Gathered, type Reader, withoutExited } from './reader.js';
import type { Wanderer } from './wanderer.js';
import type { ClaimAction, ClaimResult, HolderOutcome, HolderReport } from './result.js';
import { resolveTarget, targetName, type Target } from './target.js';
import { now, pollUntil, type Identity } from './watch.js';

/**
 * Why a listening socket that no process holds (read as root: every process's
 * descriptors were read) still listens, and where to look: a holder sent it
 * over a Unix socket (SCM_RIGHTS) to a process that has not received the
 * message, which keeps the socket open until it is received or its queue is
 * closed. No file of /proc shows such a copy (the socket's reference count in
 * /proc/net/tcp is the same), so a dry run cannot tell it beforehand.
 */
const IN_FLIGHT_ADVICE = `a copy of its socket is ${IN_FLIGHT}; \`ss -xp\` names the process whose socket queues it (a Recv-Q that is not 0): stop that process or have it read its messages (else a process in another PID namespace holds it)`;

export { ClaimUsageError, type ClaimOptions, type LogLevel } from './options.js';

/** How many times a claim looks for processes that inherited a holder's socket, and signals them (a holder that forks again on every SIGTERM ends there). */
const MAX_ADOPTIONS = 8;
/** How a listener whose owner cannot be seen may take to disappear before the claim refuses over it. */
const UNSEEN_GRACE_MS = 300;
/**
 * After the holders are gone, how long claim-port watches for a supervisor
 * (a holder's live parent other than PID 1) taking the port back. Orphaned
 * holders (parent PID 1) that leave nothing behind pay nothing.
 */
export const SETTLE_MS = CLAIM_SETTLE_MS;
/** The settle window's bound while a supervisor's new child, or a process a holder left born after the first signal, is still starting (see settle()). */
export const SETTLE_MAX_MS = CLAIM_SETTLE_MAX_MS;
/**
 * Once a child that a holder's parent started after the signal has exited (a restart loop's `sleep 1`), how long the
 * settle window waits for that parent's next child before it calls the port free. Between the exit of one child and
 * the fork of the next, the parent has no child at all: a look that lands in that gap, past the window, saw nothing
 * (an exit 0, then the loop's server took the port back). The gap is the parent's wake-up after the exit and its fork:
 * a whole bash loop iteration of /bin/true (fork, exec, exit, wait) took a median of 14 ms, 99% within 37 ms, on
 * 2 cores at a load of 14, and a median of 66-91 ms, 99% within 170-290 ms, with 4 more busy loops on them. Paid
 * only when such a child exited and no other followed it (a restart that comes later than that is not caught).
 */
export const RESPAWN_GAP_MS = 300;
/** How many times one look reads a reaper's children again after a new child of it exited (see Claim.forked). */
const MAX_REAPER_READS = 4;
/** How many times the look at the timeout reads the port while holders go during it (see Claim.lookAtTimeout). */
const MAX_TIMEOUT_LOOKS = 3;
/** How long a failing bind check is retried after a claim (sockets of killed processes being torn down). */
const BIND_GRACE_MS = CLAIM_BIND_GRACE_MS;

/** A process's resident memory for the log: `512.0 MiB`, `1.5 GiB`. */
function formatMemory(bytes: number): string {
  return bytes >= 1 << 30 ? `${(bytes / (1 << 30)).toFixed(1)} GiB` : `${(bytes / (1 << 20)).toFixed(1)} MiB`;
}

interface Tracked {
  info: ProcessInfo;
  context: HolderContext;
  signals: ('SIGTERM' | 'SIGCONT' | 'SIGKILL')[];
  outcome: HolderOutcome;
  reason?: string;
  /** Why its protected name did not protect it (a disguise). */
  disguise?: string;
  /** A process that inherited a holder's socket (see Claim.adoptInheritors). */
  inheritedFrom?: number[];
  /** Judged protected again, before a signal: it ran another program than when it was found (see Claim.judgeAgain), or a process joined its PID namespace (Claim.sandboxAgain). */
  protectedSince?: true;
  /** What it is now, where it changed since it was found (see changeOf), for verify's message. */
  changedTo?: string;
  /** It led its process group (and its session) when it was signalled: what stays in them once it is gone was left behind (see Claim.leftBehind). */
  leads?: { group: boolean; session: boolean };
  /** The ports it listens on besides the claimed one (see elsewhere.ts), when it has any. */
  otherPorts?: OtherPort[];
  /** Its children when it was signalled (see Claim.leftBehind). */
  children?: Identity[];
  /** Its process group and session before the first signal: what ties a process born since to it (see Claim.tiedTo). */
  ids?: { pgrp: number; session: number };
  /**
   * Who adopts what it leaves when it exits (see Claim.noteFamily): the service manager that is its parent, else PID 1;
   * `sure` when that is its parent (else a subreaper of another kind between them may take it instead).
   */
  reaper?: { pid: number; sure: boolean };
  /**
   * PID 1 of claim-port's PID namespace, when it is its parent and runs it in its own session: what started it (a
   * container's shell loop, `while :; do server; done`), which may start another once it is gone (see Claim.respawner).
   */
  startedByInit?: ProcessInfo;
  /** It holds every one of the port's sockets it holds only through an io_uring's registered files (see throughRingOnly). */
  throughRing?: true;
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
    ...(t.context.unit !== undefined && { unit: t.context.unit }),
    ...(t.context.container !== undefined && { container: t.context.container }),
    ...(t.throughRing && { throughRing: true }),
    signals: [...t.signals],
    outcome: t.outcome,
    ...(t.reason !== undefined && { reason: t.reason }),
    ...(t.disguise !== undefined && { disguise: t.disguise }),
    ...(t.inheritedFrom !== undefined && { inheritedFrom: [...t.inheritedFrom] }),
    ...(t.otherPorts !== undefined && { otherPorts: [...t.otherPorts] }),
    ...(t.cpu !== undefined && { cpu: t.cpu }),
    ...(t.memory !== undefined && { memory: t.memory }),
  };
}

/**
 * What ties a process that holds a holder's socket to that holder (Claim.lineage): `started`, the holder was its
 * parent (`its child`); `shares`, what it shares with the holder, as a clause after "it" (`is in the process group
 * PID 901 was in`), which does not say who started it.
 */
type Tie = { readonly started: string } | { readonly shares: string };

/** A process a gone holder left behind (see Claim.leftBehind): it could bind the port again. Never signalled: it is no holder. */
interface LeftBehind extends Identity {
  /**
   * The holder that left it; for `forked`, only when something ties it to that holder (Claim.tiedTo): else it is
   * known only to be born after the first signal and adopted by the reaper, not whose it is.
   */
  readonly by?: number;
  /**
   * In the process group or session that holder led, its child when it was signalled, or (`forked`) a child its
   * reaper gained since the first signal, born after that signal (see Claim.forked).
   */
  readonly how: 'group' | 'child' | 'forked';
  /** For `forked`: the reaper whose child it is. */
  readonly reaper?: number;
}

/** How a holder left `p` behind, as the log and the failure message say it. */
function leftHow(p: LeftBehind): string {
  if (p.how === 'child') return 'its child';
  if (p.how === 'group') return 'in the process group it led';
  if (p.by === undefined) return `born after claim-port's first signal, now a child of PID ${p.reaper}`;
  return `born after it was signalled, now a child of PID ${p.reaper}`;
}

/** `uid 65534`; `uid 0 (real uid 1000)` where its real uid is another. */
function uidOf(info: Pick<ProcessInfo, 'uid' | 'realUid'>): string {
  return `uid ${info.uid}${info.realUid !== info.uid ? ` (real uid ${info.realUid})` : ''}`;
}

/** `PID 4242 (python3, user nobody, uid 65534)`: a process named with whom it runs as, for a refusal that turns on it. */
function withUid(info: ProcessInfo, context: HolderContext | undefined): string {
  const unit = context && describeUnit(context);
  // A uid with no name in /etc/passwd is its own user name: said once.
  const user = info.user === String(info.uid) ? '' : `user ${escapeText(info.user, 64)}, `;
  return `PID ${info.pid} (${shownName(info)}, ${user}${uidOf(info)}${unit ? `, unit ${unit}` : ''})`;
}

/** `n` connections, said with what they are (`that`); nothing for none. */
function countedAs(n: number, that: string): string[] {
  return n > 0 ? [`${n} connection${n > 1 ? 's' : ''} ${that}`] : [];
}

/** `SIGTERM`, `SIGTERM and SIGCONT`, `SIGTERM, SIGCONT and SIGKILL`. */
function listed(words: readonly string[]): string {
  return words.length > 1 ? `${words.slice(0, -1).join(', ')} and ${words.at(-1)}` : (words[0] ?? '');
}

/** How long a connection closed first stays in FIN_WAIT2, as the forecast says it. */
const FIN_WAIT2_LASTS = 'for up to net.ipv4.tcp_fin_timeout while its peer keeps its end open';

/**
 * Pure: what to do about the sockets that block a bind: stop their holders, or make them close them; for connections
 * alone that the kernel ends by itself (endingLeftMs, the rule the wait of step 8 goes by: a TIME_WAIT, an orphan's
 * FIN_WAIT2, ...; `kernel`: net.ipv4.tcp_fin_timeout, tcp_orphan_retries and tcp_rto_max_ms, read where needed), wait for the kernel to end them and claim `name` again;
 * undefined when no holder is named.
 */
function blockerAdvice(blockers: readonly Blocker[], name: string, kernel: KernelSettings): string | undefined {
  const left = endingLeftMs(blockers, kernel.finTimeoutMs, kernel.orphanRetries, kernel.rtoMaxMs, kernel.retries2);
  if (left !== undefined) return endingAdvice(blockers, name, left);
  // Orphans alone, probed with no end foretold (nothing listens): no wait is long enough.
  const forGood = blockers.find((b) => endingLeftMs([b], kernel.finTimeoutMs, kernel.orphanRetries, kernel.rtoMaxMs, kernel.retries2) === undefined);
  if (forGood !== undefined && probedOrphan(forGood) && blockers.every((b) => b.orphan === true)) {
    const probed = blockers.filter(probedOrphan);
    const why = probedForGoodWhy(forGood.retransmit, kernel.orphanRetries(), kernel.rtoMaxMs(), kernel.retries2());
    const whom = probed.length === blockers.length ? (probed.length > 1 ? 'them' : 'it') : probed.length > 1 ? `${probed.length} of them` : 'one of them';
    return `the kernel probes ${whom} for as long as ${probed.length > 1 ? 'their peers answer' : 'its peer answers'} (${why}): ${forGoodAdvice(probed, name)}`;
  }
  const held = [...new Set(blockers.flatMap((b) => b.holders.map((h) => h.pid)))];
  // claim-port itself (a socket it inherited) is not to be stopped: it is to be started without it.
  const pids = held.filter((pid) => pid !== process.pid);
  const sockets = blockers.length > 1 ? 'the sockets' : 'the socket';
  const advice = [
    ...(pids.length > 0 ? [`stop ${pids.map((pid) => `PID ${pid}`).join(', ')} or make ${pids.length > 1 ? 'them' : 'it'} close ${sockets}`] : []),
    ...(pids.length < held.length ? [WITHOUT_INHERITED] : []),
  ];
  return advice.length > 0 ? advice.join(', and ') : undefined;
}

/** The kernel's settings that endingLeftMs reads, each read once, where a connection on the port needs it. */
interface KernelSettings {
  readonly finTimeoutMs: () => number;
  readonly orphanRetries: () => number;
  readonly rtoMaxMs: () => number;
  readonly retries2: () => number;
}

/** Gone after its signals: what it left behind is on its own. */
const isGone = (t: Tracked) => t.outcome === 'exited' || t.outcome === 'killed';

/** One claim's state, shared by its phases. */
class Claim {
  readonly name: string;
  /** This claim again as root, for a refusal this user's rights cause (asRootCommand). */
  readonly asRoot: string;
  readonly reader: Reader;
  readonly processes: ProcessControl;
  readonly euid = process.geteuid?.() ?? 0;
  readonly uid = process.getuid?.() ?? 0;
  /** net.ipv4.tcp_fin_timeout in ms, read once, and only where a connection on the port needs it (finTimeoutReader). */
  readonly finTimeoutMs = finTimeoutReader();
  /** net.ipv4.tcp_orphan_retries, read once, and only where an orphan on the port resends its FIN (orphanRetriesReader). */
  readonly orphanRetries = orphanRetriesReader();
  /** net.ipv4.tcp_rto_max_ms, read once, and only where such an orphan is on the port (rtoMaxReader). */
  readonly rtoMaxMs = rtoMaxReader();
  /** net.ipv4.tcp_retries2, read once, and only where an orphan on the port is probed (retries2Reader). */
  readonly retries2 = retries2Reader();
  tracked: Tracked[] = [];
  found: Gathered = { listeners: [], unreadable: [] };
  /** The children of the holders' parents before any signal: a child not among them was started since (a respawn). */
  childrenBefore: ReadonlySet<number> = new Set();
  /** A process that inherited a holder's socket was refused (adoptInheritors): it is not judged again. */
  inheritorRefused = false;
  /**
   * Those refused inheritors, by PID: whose socket each holds (`from`), for verify's message (they did not take the port
   * again), and why one is not signalled when that reason says what to do itself (`notSignalled`): one that no holder
   * started (strangerReason), or one frozen by cgroup v1's freezer (frozenV1).
   */
  refusedInheritors = new Map<number, { from: number[]; notSignalled?: string }>();
  /**
   * Holders that hold a socket another user made (handedOverSocket): none of them started what later holds that socket
   * for this claim's purposes (heirOf), since whoever made it could have handed it to them and then to anyone.
   */
  handedOverPids = new Set<number>();
  /**
   * Not as root, on /proc, where a socket of this user's own has no holder found: this user's processes whose fds could
   * not be read that are not dumpable (undumpableOwn), read once; undefined otherwise.
   */
  undumpable(): readonly Undumpable[] | undefined {
    if (this.euid === 0 || this.reader.kind !== 'proc') return undefined;
    if (!this.found.listeners.some((l) => !l.ownerKnown && l.uid === this.euid)) return undefined;
    return (this.undumpableRead ??= undumpableOwn(this.found.unreadable, this.euid));
  }
  undumpableRead?: readonly Undumpable[];
  /** claim-port and its ancestors, as the plan saw them: a holder is judged again against the same (judgeAgain). */
  self: Self = { pid: process.pid, ancestors: new Set() };
  /** claim-port's own unit, from the plan's context. */
  ownUnit?: string;
  /** What the holders left behind once they were gone (settle), for a re-take's message. */
  left: LeftBehind[] = [];
  /**
   * The holders' reapers (see noteFamily), each with its children before the first signal, and the children it gained
   * since that are not to be looked at again: born before that signal (orphans of other processes), or seen gone.
   */
  reapers = new Map<number, { before: ReadonlySet<number>; done: Set<number> }>();
  /** The cgroups of PID 1 and of claim-port: what every process started beside them shares, so no tie (see tiedTo). */
  sharedCgroups?: Set<string>;
  /** The kernel's clock (FamilyReader.bootTicks) right before the first signal; ticks undefined where it cannot be read. */
  firstSignal?: { readonly ticks: number | undefined };

  constructor(
    readonly target: Target,
    readonly options: ClaimOptions,
    readonly started: number,
    private readonly userLog: NonNullable<ClaimOptions['log']>,
  ) {
    this.name = targetName(target);
    this.asRoot = asRootCommand(target.port, target.transport, options);
    this.reader = options.reader ?? defaultReader();
    this.processes = options.processes ?? procControl();
  }

  log(line: string, level: LogLevel = 'info'): void {
    this.userLog(line, level, this.target.port);
  }

  /** options.signal was aborted (one of interruptSignals(): SIGTERM, SIGINT, SIGHUP, ...): the claim sends nothing more and ends with interruptedResult(). */
  get interrupted(): boolean {
    return this.options.signal?.aborted ?? false;
  }

  elapsed(): number {
    return Math.round((now() - this.started) * 10) / 10;
  }

  who(t: Tracked): string {
    return describeHolder(t.info, t.context);
  }

  finish(action: ClaimAction, message: string, extra: Partial<ClaimResult> = {}): ClaimResult {
    const { port, transport, service } = this.target;
    return {
      port,
      transport,
      ...(service !== undefined && { service }),
      action,
      holders: this.tracked.map(report),
      elapsedMs: this.elapsed(),
      message,
      listeners: listenerLabels(this.found.listeners, transport),
      dryRun: this.options.dryRun ?? false,
      ...extra,
      ...(extra.blockers && { blockers: extra.blockers.map(reportedBlocker) }),
    };
  }

  /**
   * Whatever holds the port now. A socket whose holder the common scan does
   * not find is looked for in every thread's own fd table (a thread that made
   * one with unshare(CLONE_FILES) and keeps the socket in it hides it from
   * /proc/PID/fd: any user could make every claim refuse), then given a
   * moment's grace (a process in the middle of exiting).
   */
  async gather(seen?: SeenListening): Promise<Gathered> {
    const { port, transport } = this.target;
    let found = await this.gatherOwners(seen);
    const unseen = found.listeners.filter((l) => !l.ownerKnown).map((l) => String(l.inode));
    if (unseen.length > 0 && this.reader.kind === 'proc') {
      const gone = await pollUntilAsync(
        async () => {
          const listening = await this.reader.listening(port, transport);
          return !unseen.some((key) => listening.has(key));
        },
        now() + UNSEEN_GRACE_MS,
        this.reader.maxPollMs,
        this.options.signal,
      );
      if (gone) found = this.withoutExited(await this.reader.gather(port, undefined, transport, 'every'));
    }
    return found;
  }

  /** `found` less the holders that had already exited when they were read (see withoutExited). */
  withoutExited(found: Gathered): Gathered {
    return withoutExited(found, this.processes);
  }

  /** The port's holders; where the common scan finds no owner of a socket, every thread's own fd table is read too (see gather). */
  async gatherOwners(seen?: SeenListening): Promise<Gathered> {
    const { port, transport } = this.target;
    const found = this.withoutExited(await this.reader.gather(port, seen?.sockets, transport, undefined, seen?.holders));
    return found.listeners.some((l) => !l.ownerKnown) && this.reader.kind === 'proc'
      ? this.withoutExited(await this.reader.gather(port, undefined, transport, 'every'))
      : found;
  }

  /**
   * As root, for each socket whose holder no scan found: the processes seen holding it in turn, when it passes from one to
   * the next faster than a scan (see wanderer.ts), by inode; for the refusal to name them. Not as another user, whose
   * refusal says to run as root, which sees more.
   */
  wanderers(): ReadonlyMap<number, Wanderer> {
    const out = new Map<number, Wanderer>();
    if (this.euid !== 0 || this.reader.wanderer === undefined) return out;
    for (const listener of this.found.listeners) {
      if (listener.ownerKnown || out.has(listener.inode)) continue;
      const wanderer = this.reader.wanderer(listener.inode);
      if (wanderer !== undefined) out.set(listener.inode, wanderer);
    }
    return out;
  }

  async bindable(graceMs: number): Promise<BindVerdict> {
    return verifyBindable(this.target.port, this.target.transport, { graceMs, tables: this.reader.kind === 'proc' });
  }

  /**
   * Whether a wait of `ms` for TIME_WAITs to end fits in what is left of the claim's timeout, counted from the claim's
   * start: so that with the kernel's lateness (TIME_WAIT_SLACK_MS, taken from CLAIM_AFTER_TIMEOUT_MS's allowance) a
   * claim never outlasts claimWorstCaseSeconds, which a unit's start timeout is held to (the health check).
   */
  timeWaitFits(ms: number): boolean {
    return ms <= this.target.timeoutSeconds * 1000 - (now() - this.started);
  }

  /**
   * Where every socket that keeps a server from binding the port is a connection held by no process that the kernel
   * ends by itself (endingLeftMs, by the rule the forecast of step 5 uses: a TIME_WAIT, an orphan's FIN_WAIT2, ...),
   * the longest time one has left. Undefined where one is not, or the bind succeeded.
   */
  endingLeft(verdict: BindVerdict): number | undefined {
    return verdict.ok ? undefined : endingLeftMs(verdict.blockers, this.finTimeoutMs, this.orphanRetries, this.rtoMaxMs, this.retries2);
  }

  /**
   * Where every socket that keeps a server from binding the port is a connection held by no process that the kernel
   * ends by itself (endingLeft) within what is left of the claim's timeout (timeWaitFits): says so, and waits for the
   * bind, up to TIME_WAIT_SLACK_MS more than the table says (the kernel's timers may end them that much later), never
   * past the claim's worst case. The verdict after the wait, or `verdict` where it does not wait.
   */
  async waitOutTimeWaits(verdict: BindVerdict): Promise<BindVerdict> {
    const left = this.endingLeft(verdict);
    if (left === undefined || !this.timeWaitFits(left)) return verdict;
    const { named, keep, it } = endingWords(verdict.blockers);
    const closed = verdict.blockers.length > 1 ? 'connections' : 'a connection';
    this.log(
      `${named} on ${this.name} (${closed} closed first, of a socket made without SO_REUSEADDR) ${keep} a server from binding it for ${seconds(left)} s more: waiting for the kernel to end ${it} (within the ${this.target.timeoutSeconds} s timeout)`,
    );
    const worstCaseEnd = this.started + this.target.timeoutSeconds * 1000 + CLAIM_AFTER_TIMEOUT_MS;
    return this.bindable(Math.max(0, Math.min(left + TIME_WAIT_SLACK_MS, worstCaseEnd - now())));
  }

  /** `before`: what the claim did and found (after signals, what it sent to whom comes first: with --quiet this is the only line). */
  notBindable(verdict: BindVerdict, before: string): ClaimResult {
    const sent = this.tracked.filter((t) => t.signals.length > 0);
    const did =
      sent.length === 0
        ? ''
        : `sent ${sent.map((t) => `${listed(t.signals)} to ${this.who(t)} (${isGone(t) ? 'gone' : t.outcome === 'released' ? 'released the port' : 'still running'})`).join(', ')}; `;
    const advice = blockerAdvice(verdict.blockers, this.name, this);
    const message = `${did}${before}, but a server could not bind it (${verdict.reason ?? verdict.code ?? 'in use'}): ${describeBlockers(verdict, this.euid)}${advice ? `; ${advice}` : ''}`;
    this.log(message, 'error');
    return this.finish('failed', message, { blockers: verdict.blockers });
  }

  /**
   * Before any signal (a dry run too), nothing holds the port (no listener; UDP: no server socket) but a server could
   * not bind it: a socket that no claim would signal blocks it (bound, not listening; a connection), as in
   * refuseIfBlocked with no holders to outlive. A refusal, nobody signalled (there was nobody to signal), never a
   * failure: nothing was tried. `before`: what the claim found.
   */
  refuseUnbindable(verdict: BindVerdict, before: string): ClaimResult {
    const advice = blockerAdvice(verdict.blockers, this.name, this);
    const reason = `${before}, but a server could not bind it (${verdict.reason ?? verdict.code ?? 'in use'}): ${describeBlockers(verdict, this.euid)}${advice ? `; ${advice}` : ''}`;
    this.refusedLines([reason]);
    return this.finish('refused', `refused to free ${this.name}: ${reason}; nothing was signalled`, { blockers: verdict.blockers });
  }

  /**
   * Before any signal (a dry run too): a socket that would outlive the holders
   * and keep a server from binding the port (see blockersAfterClaim) refuses
   * the claim, nobody signalled: killing the holders would only leave the port
   * unbindable. One that may do so is a warning, and the claim goes on.
   * Undefined when the claim may go on.
   */
  refuseIfBlocked(plan: Extract<Plan, { kind: 'signal' }>): ClaimResult | undefined {
    if (this.reader.kind !== 'proc') return undefined;
    const { port, transport } = this.target;
    const staying = blockersAfterClaim(
      port,
      transport,
      this.found.listeners,
      new Set(plan.holders.map((h) => h.pid)),
      '/proc',
      this.found.socketLinks,
      (links) => socketReuseAddress(port, links),
    );
    if (staying.possible.length > 0) {
      const advice = blockerAdvice(staying.possible, this.name, this);
      this.log(
        `${describeBlockers({ ok: false, blockers: staying.possible }, this.euid)}: may still keep a server from binding ${this.name} after the holders exit (whether ${staying.possible.length > 1 ? 'they have' : 'it has'} SO_REUSEADDR cannot be told while the holders run: a listener being freed shares the address, or it could not be examined)${advice ? `; if the claim then fails, ${advice}` : ''}`,
        'warn',
      );
    }
    if (staying.certain.length === 0) return this.refuseIfEnding(staying.ending) ?? this.refuseIfTimeWaits(plan, staying.sockets);
    const they = staying.certain.length > 1;
    const why = transport === 'udp' ? 'a server binds a UDP port without SO_REUSEADDR' : `${they ? 'they were' : 'it was'} bound without SO_REUSEADDR`;
    const reason = `${describeBlockers({ ok: false, blockers: staying.certain }, this.euid)}: ${they ? 'these' : 'it'} would keep a server from binding ${this.name} after the holders exit (${why}); ${blockerAdvice(staying.certain, this.name, this) ?? `claim ${this.name} again once ${they ? 'they are' : 'it is'} gone`}`;
    return this.refuseForBlockers(reason, staying.certain);
  }

  /**
   * Before any signal (a dry run too): `blockers` would keep a server from binding the port after the holders exit,
   * `reason` saying how and what to do. Refused, nobody signalled: killing the holders would only leave the port
   * unbindable.
   */
  refuseForBlockers(reason: string, blockers: readonly Blocker[]): ClaimResult {
    for (const t of this.tracked) t.reason = 'the claim was refused';
    this.refusedLines([reason]);
    return this.finish('refused', `refused to free ${this.name}: ${reason}; nothing was signalled`, { blockers });
  }

  /**
   * Before any signal (a dry run too): `blockers` would keep a server from binding the port for up to `waitMs` after the
   * holders are gone, `facts` saying which and why. Within what is left of the timeout (timeWaitFits): `warning` is
   * said, and undefined: the claim goes on, and step 8 waits for them. Longer: refused, nobody signalled (step 8 would
   * fail on them after the kill), `advice` saying what to do.
   */
  refuseUnlessWaitFits(facts: string, waitMs: number, advice: string, blockers: readonly Blocker[], warning: string): ClaimResult | undefined {
    if (!this.timeWaitFits(waitMs)) return this.refuseForBlockers(`${facts}, longer than the ${this.target.timeoutSeconds} s timeout; ${advice}`, blockers);
    this.log(warning, 'warn');
    return undefined;
  }

  /** How a warning that the wait fits says that step 8 waits for `whom` (`them`, `the kernel to end it`): a dry run says what a real run does. */
  waitsAfterStop(whom: string): string {
    return `${this.options.dryRun ? 'a real run waits' : 'waiting'} for ${whom} after the stop (within the ${this.target.timeoutSeconds} s timeout)`;
  }

  /**
   * Before any signal (a dry run too): connections held by no process that keep a server from binding the port now,
   * on an address no listener being freed overlaps (a TIME_WAIT of a client's socket bound to the port without
   * SO_REUSEADDR; see blockersAfterClaim), stay until the kernel ends them, whatever the claim does. Longer than what is
   * left of the timeout, or with no end foretold (an orphan probed for good): refused, nobody signalled (step 8 would
   * fail on them after the kill); within it: said, and step 8 waits for them (waitOutTimeWaits). Undefined when the
   * claim may go on.
   */
  refuseIfEnding(ending: readonly Blocker[]): ClaimResult | undefined {
    if (ending.length === 0) return undefined;
    const left = endingLeftMs(ending, this.finTimeoutMs, this.orphanRetries, this.rtoMaxMs, this.retries2);
    const { named, keep, it } = endingWords(ending);
    const their = ending.length > 1 ? 'their' : 'its';
    const blocks = `${describeBlockers({ ok: false, blockers: ending }, this.euid)}: ${named} on ${this.name} that no listener being freed overlaps ${keep} a server from binding it`;
    const made = `(a bind of ${their} address with SO_REUSEADDR fails: ${their} socket was made without it)`;
    // Each ends by itself but an orphan the kernel probes for good: no wait is long enough (once the claim stopped the
    // holders and then failed on it).
    if (left === undefined) {
      const advice = blockerAdvice(ending, this.name, this);
      return this.refuseForBlockers(`${blocks} whether or not the holders exit ${made}${advice ? `; ${advice}` : ''}`, ending);
    }
    const facts = `${blocks} for ${seconds(left)} s more, whether or not the holders exit ${made}`;
    return this.refuseUnlessWaitFits(facts, left, endingAdvice(ending, this.name, left), ending, `${facts}; ${this.waitsAfterStop(`the kernel to end ${it}`)}`);
  }

  /**
   * Before any signal (a dry run too): a listener being freed that has no SO_REUSEADDR (read as root, see
   * socketReuseAddress) leaves TIME_WAITs that keep a server from binding the port after it is gone (see
   * timeWaitsAfterClaim). Longer than the timeout: the claim is refused, nobody signalled (the server keeps serving);
   * within it: said, and the claim waits for them after the stop (verifySlowly). Where SO_REUSEADDR cannot be read,
   * nothing is said. Those that may be of another listener sharing the port (SO_REUSEPORT) with SO_REUSEADDR (which
   * one cannot be told): refused as well where they would outlast the timeout (safety first: if they are the bare
   * listener's, killing it would leave the port unbindable), a warning within it. `sockets`: the port's rows
   * refuseIfBlocked read (undefined where they could not be read: nothing is said).
   */
  refuseIfTimeWaits(plan: Extract<Plan, { kind: 'signal' }>, sockets: readonly PortSocket[] | undefined): ClaimResult | undefined {
    const { port, transport } = this.target;
    if (transport !== 'tcp' || this.found.socketLinks === undefined || sockets === undefined) return undefined;
    const freed = this.found.listeners.map((l) => l.inode);
    const links = new Map([...this.found.socketLinks].filter(([inode]) => freed.includes(inode)));
    const signalled = new Set(plan.holders.map((h) => h.pid));
    const after = timeWaitsAfterClaim(
      port,
      sockets,
      this.found.listeners,
      signalled,
      () => socketReuseAddress(port, links),
      '/proc',
      this.found.socketLinks,
      this.finTimeoutMs,
      this.orphanRetries,
      this.rtoMaxMs,
      this.retries2,
    );
    if (after === undefined) return undefined;
    if (after.forGood !== undefined) return this.refuseForGood(after.forGood, plan);
    const certain = after.timeWaits + after.connections > 0;
    const stop = (waitMs: number) => `stop ${listed(plan.holders.map((h) => `PID ${h.pid}`))} by hand and claim ${this.name} ${seconds(waitMs)} s later`;
    // Where the certain ones would outlast the timeout, theirs is the refusal.
    if (after.shared !== undefined && (!certain || this.timeWaitFits(after.waitMs))) {
      const { timeWaits, connections, waitMs, listeners, unread, blockers } = after.shared;
      const many = timeWaits + connections > 1;
      const what = [
        ...(timeWaits > 0 ? [`${timeWaits} TIME_WAIT${timeWaits > 1 ? 's' : ''} on ${this.name}`] : []),
        ...countedAs(connections, 'closed first when the holders go'),
      ].join(' and ');
      const facts = `${what} may be of ${listed(listeners)}, bound without SO_REUSEADDR, or of another listener on ${listeners.length > 1 ? 'their addresses' : 'its address'} with SO_REUSEADDR${unread ? ' (or whose SO_REUSEADDR could not be read)' : ''} (they share it with SO_REUSEPORT; which one cannot be told): if of the former, ${many ? 'they' : 'it'} would keep a server from binding ${this.name} for up to ${seconds(waitMs)} s after the holders are gone`;
      // Safety first: where they may outlast the timeout, the server keeps serving.
      const refused = this.refuseUnlessWaitFits(
        facts,
        waitMs,
        `${stop(waitMs)}, or claim it with --timeout ${seconds(waitMs) + 1}`,
        blockers,
        `${facts}; ${this.waitsAfterStop(many ? 'them' : 'it')}`,
      );
      if (refused !== undefined) return refused;
    }
    if (!certain) return undefined;
    // Probes gone unanswered say only that no answer came, not that the peer reads nothing.
    const silent = after.blockers.filter(probedOrphan).filter(unansweredProbes);
    const reading = (after.probing ?? 0) - silent.length;
    const what = [
      ...(after.timeWaits > 0 ? [`${after.timeWaits} TIME_WAIT${after.timeWaits > 1 ? 's' : ''} on the port`] : []),
      ...countedAs(after.connections - after.closed, `it holds (each a TIME_WAIT once it is stopped, or a FIN_WAIT2 ${FIN_WAIT2_LASTS})`),
      ...countedAs(
        after.closed - (after.resending ?? 0) - (after.probing ?? 0),
        `it has closed, still closing (each a FIN_WAIT2 ${FIN_WAIT2_LASTS}, or a TIME_WAIT)`,
      ),
      ...countedAs(
        after.resending ?? 0,
        `it has closed whose ${(after.resending ?? 0) > 1 ? 'peers have not acknowledged their FINs' : 'peer has not acknowledged its FIN'} (resent until net.ipv4.tcp_orphan_retries gives up)`,
      ),
      ...countedAs(
        reading,
        `it has closed whose ${reading > 1 ? 'peers read' : 'peer reads'} nothing (a full receive window, probed until net.ipv4.tcp_orphan_retries gives up)`,
      ),
      ...countedAs(
        silent.length,
        `it has closed whose ${silent.length > 1 ? 'peers have' : 'peer has'} not answered ${probesInARow(silent)} (the peer or the path gone, or the packets dropped; probed until net.ipv4.tcp_orphan_retries gives up)`,
      ),
    ].join(' and ');
    const held = after.connections > 0 ? 'a connection of such a socket, closing or in TIME_WAIT,' : 'a TIME_WAIT of such a socket';
    const facts = `${listed(after.listeners)} ${after.listeners.length > 1 ? 'were' : 'was'} bound without SO_REUSEADDR: ${what} would keep a server from binding ${this.name} for up to ${seconds(after.waitMs)} s after the holders are gone (Linux refuses the bind while ${held} is there)`;
    return this.refuseUnlessWaitFits(
      facts,
      after.waitMs,
      `${stop(after.waitMs)}, or give the service SO_REUSEADDR, or claim it with --timeout ${seconds(after.waitMs) + 1}`,
      after.blockers,
      `${facts}; ${this.waitsAfterStop('them')}`,
    );
  }

  /**
   * Before any signal (a dry run too): orphans of a listener being freed without SO_REUSEADDR that the kernel probes
   * with no end foretold (timeWaitsAfterClaim's `forGood`) would keep a server from binding the port after the stop
   * whatever the timeout: refused, nobody signalled (the server keeps serving), as a wait too long is.
   */
  refuseForGood(forGood: NonNullable<TimeWaitsAfterClaim['forGood']>, plan: Extract<Plan, { kind: 'signal' }>): ClaimResult {
    const { blockers, why, listeners, shared } = forGood;
    const many = blockers.length > 1;
    const counted = `${blockers.length} connection${many ? 's' : ''}`;
    const whose = `whose ${many ? 'peers read' : 'peer reads'} nothing (a full receive window)`;
    const facts = shared
      ? `${counted} closed first ${whose} may be of ${listed(listeners)}, bound without SO_REUSEADDR, or of another listener on ${listeners.length > 1 ? 'their addresses' : 'its address'} with SO_REUSEADDR (they share it with SO_REUSEPORT; which one cannot be told): if of the former, ${many ? 'they' : 'it'}`
      : `${listed(listeners)} ${listeners.length > 1 ? 'were' : 'was'} bound without SO_REUSEADDR: ${counted} it has closed ${whose}`;
    const reason = `${facts} would keep a server from binding ${this.name} for as long as ${many ? 'their peers answer' : 'its peer answers'} the kernel's probes (${why}), whatever the timeout; ${forGoodAdvice(blockers, this.name)}, or give the service SO_REUSEADDR (stopping ${listed(plan.holders.map((h) => `PID ${h.pid}`))} now would leave the port unbindable)`;
    return this.refuseForBlockers(reason, blockers);
  }

  /**
   * The live parents of `holders` that could start one again once it is gone (what the settle window watches for):
   * not claim-port, not another holder, not a service manager (which restarts only units with Restart=, judged up front).
   */
  restartingParents(holders: readonly Tracked[]): { parent: ProcessInfo; children: Tracked[] }[] {
    const byPid = new Map<number, { parent: ProcessInfo; children: Tracked[] }>();
    for (const t of holders) {
      const parent = t.context.parent;
      if (!parent || parent.pid === process.pid || this.tracked.some((o) => o.info.pid === parent.pid)) continue;
      const seen = byPid.get(parent.pid);
      if (seen) {
        seen.children.push(t);
        continue;
      }
      // A service manager (systemd --user, a subreaper that adopted an orphan) restarts only units with
      // Restart=, which the plan has refused up front: not a supervisor to wait for.
      if (isServiceManagerProcess(parent) || !this.processes.isSame(parent)) continue;
      byPid.set(parent.pid, { parent, children: [t] });
    }
    return [...byPid.values()];
  }

  /**
   * `0.0.0.0:8000 held by PID 901`: each socket with the processes that hold it, sockets held by the same ones
   * together (`127.0.0.1:8000/udp held by PID 901; [::1]:8000/udp held by PID 902`, never a list of sockets then a
   * list of PIDs that leaves who holds which to guess; `each held by` where several hold every one of them).
   */
  heldBy(transport: 'tcp' | 'udp'): string {
    const listeners = this.found.listeners;
    if (listeners.every((l) => l.holders.length === 0)) return `${describeListeners(listeners, transport)} held by an unknown process`;
    const name = (pid: number) => {
      const t = this.tracked.find((o) => o.info.pid === pid);
      return t ? this.who(t) : `PID ${pid}`;
    };
    const groups = new Map<string, { pids: number[]; listeners: (typeof listeners)[number][] }>();
    for (const l of listeners) {
      const pids = [...new Set(l.holders.map((h) => h.pid))].sort((a, b) => a - b);
      const key = pids.join(' ');
      const group = groups.get(key);
      if (group) group.listeners.push(l);
      else groups.set(key, { pids, listeners: [l] });
    }
    return [...groups.values()]
      .map(({ pids, listeners: ls }) => {
        const sockets = describeListeners(ls, transport);
        if (pids.length === 0) return `${sockets} held by an unknown process`;
        // A socket registered with an io_uring (IORING_REGISTER_FILES) whose fd was then closed: no fd table shows it.
        const ring = (pid: number) =>
          ls.every((l) => l.throughRing?.includes(pid)) ? `${name(pid)} through its io_uring (in the ring's registered files, not its fd table)` : name(pid);
        return `${sockets}${ls.length > 1 && pids.length > 1 ? ', each' : ''} held by ${listed(pids.map(ring))}`;
      })
      .join('; ');
  }

  describeHolders(): void {
    const { transport } = this.target;
    const holders = this.tracked;
    this.log(this.heldBy(transport));
    for (const t of holders) {
      const h = t.info;
      const usageText = `${t.cpu !== undefined ? `, cpu ${t.cpu}%` : ''}${t.memory !== undefined ? `, mem ${formatMemory(t.memory)}` : ''}`;
      const unit = describeUnit(t.context);
      const container = t.context.container ? `, container ${escapeText(t.context.container, 200)}` : '';
      // No fd table shows its socket (`ss -p`, lsof name no process): said where its line is read alone too.
      const ring = t.throughRing ? ', through its io_uring' : '';
      this.log(
        `PID ${h.pid} (${shownName(h)}, user ${escapeText(h.user, 64)}, parent ${h.ppid}${unit ? `, unit ${unit}` : ''}${container}${ring}${usageText}): ${shownCommand(h)}`,
      );
    }
  }

  /** Says of each of `holders` (default every one) whose protected name is a disguise why it is not protected. */
  unmask(disguised: ReadonlyMap<number, string>, holders: readonly Tracked[] = this.tracked): void {
    for (const t of holders) {
      const why = disguised.get(t.info.pid);
      if (why === undefined) continue;
      t.disguise = why;
      this.log(`${describeHolder(t.info, t.context, true)} is not protected: ${why}`, 'warn');
    }
  }

  /**
   * The ports each of `holders` listens on besides the claimed one, by PID, as the registry knows them (see
   * elsewhere.ts): from `found`'s socket links (the holder scan's) and one read of the socket tables; empty where
   * they cannot be known (lsof).
   */
  otherPortsOf(found: Gathered, holders: readonly ProcessInfo[]): Map<number, OtherPort[]> {
    const { port, transport, registry, service } = this.target;
    const out = new Map<number, OtherPort[]>();
    if (this.reader.kind !== 'proc' || holders.length === 0) return out;
    const held = listeningElsewhere(
      holders.map((h) => h.pid),
      found.listeners,
      found.socketLinks,
      port,
      transport,
    );
    for (const [pid, ports] of held ?? []) if (ports.length > 0) out.set(pid, classifyPorts(ports, registry, service, this.options.env ?? process.env));
    return out;
  }

  /** Says of each holder to be signalled that listens on other ports too which ones (they close with it): in a dry run too. */
  noteOtherPorts(holders: readonly Tracked[]): void {
    for (const t of holders) {
      const ports = t.otherPorts ?? [];
      if (ports.length === 0 || othersPorts(ports).length > 0) continue;
      this.log(
        `${describeHolder(t.info, t.context, true)} also listens on ${ports.length > 1 ? 'ports' : 'port'} ${describeOtherPorts(ports, undefined, this.target.transport)}, which no other service of the registry has: ${ports.length > 1 ? 'those sockets' : 'that socket'} ${this.options.dryRun ? 'would close' : ports.length > 1 ? 'close' : 'closes'} with it`,
        'warn',
      );
    }
  }

  /**
   * Says of each holder to be signalled that only a built-in protection the registry lifted (unprotectBuiltin) would
   * have spared it, and where it is lifted: in a dry run too; progress (--quiet leaves it out).
   */
  noteLiftedProtection(holders: readonly Tracked[]): void {
    const { policy, registry } = this.target;
    const where = typeof registry?.source === 'string' ? `the registry ${escapeText(registry.source, 300)}` : 'the registry';
    for (const t of holders) {
      const hit = liftedBuiltinHit(t.info, policy);
      if (hit === undefined) continue;
      this.log(
        `${describeHolder(t.info, t.context, true)} is not protected: its name ${quoteValue(hit.name)} matches the built-in protected pattern ${quoteValue(hit.glob)}, which ${where} lifts (claim.protect.unprotectBuiltin)`,
      );
    }
  }

  /** Says of each of `holders` (default every one) to be signalled that holds another user's socket whose it is (see handedOverSocket in plan.ts). */
  noteHandedOver(handedOver: ReadonlyMap<number, string>, holders: readonly Tracked[] = this.tracked): void {
    for (const t of holders) {
      const note = handedOver.get(t.info.pid);
      if (note !== undefined) this.handedOverPids.add(t.info.pid);
      if (note !== undefined) this.log(`${describeHolder(t.info, t.context, true)}: ${note}`, 'warn');
    }
  }

  /**
   * Before any signal (a dry run too, --force too): a holder frozen by cgroup v1's freezer (`docker pause` on a v1
   * host) acts on no signal, SIGKILL included, until it is thawed: signalling it would only spend the timeout and leave
   * the port held. The claim is refused, nobody signalled, naming where to thaw it. Undefined when none is.
   */
  refuseIfFrozen(): ClaimResult | undefined {
    const frozen = this.tracked.flatMap((t) => {
      const f = this.processes.frozen?.(t.info);
      return f?.hierarchy === 'v1' ? [{ t, f }] : [];
    });
    if (frozen.length === 0) return undefined;
    const reasons = frozen.map(({ t, f }) => `${this.who(t)} ${frozenV1(f, this.name)}`);
    for (const t of this.tracked) t.reason = 'the claim was refused';
    for (const [i, { t }] of frozen.entries()) t.reason = reasons[i]!;
    this.refusedLines(reasons);
    const more = reasons.length > 1 ? ` (and ${reasons.length - 1} more)` : '';
    return this.finish('refused', `refused to free ${this.name}: ${reasons[0]}${more}; nothing was signalled`);
  }

  refuse(plan: Extract<Plan, { kind: 'refuse' }>): ClaimResult {
    for (const t of this.tracked) {
      const why = plan.protectedPids.get(t.info.pid);
      if (why !== undefined) {
        t.outcome = 'protected';
        t.reason = why;
      } else t.reason = 'the claim was refused';
    }
    this.refusedLines(plan.refusals.map((refusal) => refusal.reason));
    const more = plan.refusals.length > 1 ? ` (and ${plan.refusals.length - 1} more)` : '';
    const message = `refused to free ${this.name}: ${plan.refusals[0]!.reason}${more}; nothing was signalled`;
    return this.finish('refused', message);
  }

  /**
   * A refusal's lines: each reason an error (`refusing: ...`, the journal's err), the one line --quiet keeps for a
   * refused holder (each says what to do); then, as progress (info, left out by --quiet), that nothing was signalled.
   */
  refusedLines(reasons: readonly string[]): void {
    for (const reason of reasons) this.log(`refusing: ${reason}`, 'error');
    this.log(`nothing was signalled; ${this.name} is still in use`);
  }

  send(t: Tracked, sig: 'SIGTERM' | 'SIGKILL'): void {
    // Interrupted: nothing more is sent, whatever phase asks (see interruptedResult).
    if (this.interrupted) return;
    // Exited since it was read (a zombie its parent has not reaped yet): kill(2) reaches it
    // without an error, and the claim would say it sent a signal to, then killed, a process that had already exited.
    if (this.processes.exited?.(t.info)) {
      if (t.signals.length === 0) t.outcome = 'gone';
      this.log(`${this.who(t)} has exited (a zombie its parent has not reaped); not signalled`);
      return;
    }
    if (!this.judgeAgain(t, sig) || !this.sandboxAgain(t, sig)) return;
    const outcome = this.processes.signal(t.info, sig);
    if (outcome === 'sent') {
      t.signals.push(sig);
      this.log(`sent ${sig} to ${this.who(t)}: ${shownCommand(t.info)}`);
      // A stopped holder (SIGSTOP, a dev server suspended with Ctrl-Z) acts on SIGTERM only once continued, as systemd does it.
      if (sig === 'SIGTERM' && this.processes.isStopped?.(t.info) && this.processes.signal(t.info, 'SIGCONT') === 'sent') {
        t.signals.push('SIGCONT');
        this.log(`${this.who(t)} was stopped: sent SIGCONT so that it can act on SIGTERM`);
      } else if (sig === 'SIGTERM' && this.processes.isTraceStopped?.(t.info))
        this.log(`${this.who(t)} ${traceStopped(this.target.timeoutSeconds, 'gets')}`, 'warn');
      else if (sig === 'SIGTERM') {
        const frozen = this.processes.frozen?.(t.info);
        // v1: frozen since the claim looked at it (refuseIfFrozen, adoptInheritors), a moment before this signal.
        if (frozen !== undefined)
          this.log(
            `${this.who(t)} ${frozen.hierarchy === 'v1' ? frozenV1(frozen, this.name) : frozenWarning(frozen, this.target.timeoutSeconds, 'gets')}`,
            'warn',
          );
      }
    } else if (outcome === 'gone') {
      if (t.signals.length === 0) t.outcome = 'gone';
      this.log(`${this.who(t)} is gone (exited or its PID was reused); not signalled`);
    } else {
      t.outcome = 'permission-denied';
      const hint =
        this.euid === 0 ? 'even as root (a security module or another user namespace refuses it)' : `as this user (uid ${this.euid}); run claim-port as root`;
      this.log(`not permitted to signal ${this.who(t)} (user ${escapeText(t.info.user, 64)}) ${hint}`, 'error');
    }
  }

  /**
   * A holder that runs another program than when it was found (an exec keeps
   * its PID and start time, so the kernel's identity check still passes; or it
   * rewrote its name or command line) is judged again, as the plan judged it,
   * before it is signalled: one that became protected (a SIGTERM handler that
   * execs sshd) is not signalled, and the claim fails naming it; any other is
   * signalled, and named by what it runs now. False when it must not be signalled.
   */
  judgeAgain(t: Tracked, sig: 'SIGTERM' | 'SIGKILL'): boolean {
    const current = this.processes.current?.(t.info);
    if (current === undefined || (current.comm === t.info.comm && current.exe === t.info.exe && current.command === t.info.command)) return true;
    const change = changeOf(t.info, current);
    const { executable: _, ...rest } = t.context;
    const executable = readUserExecutable(current);
    const context: HolderContext = { ...rest, ...(executable !== undefined && { executable }) };
    // The sockets it holds: those it was found with, or (an inheritor) those of the holders it inherited them from.
    const owners = new Set([t.info.pid, ...(t.inheritedFrom ?? [])]);
    const listeners = this.found.listeners.filter((l) => l.holders.some((h) => owners.has(h.pid))).map((l) => ({ ...l, holders: [current], ownerKnown: true }));
    const { port, transport, policy } = this.target;
    const plan = planClaim({
      port,
      transport,
      listeners,
      unreadable: [],
      policy,
      self: this.self,
      uid: this.uid,
      euid: this.euid,
      asRoot: this.asRoot,
      context: { holders: new Map([[current.pid, context]]), ...(this.ownUnit !== undefined && { ownUnit: this.ownUnit }) },
    });
    t.info = current;
    t.context = context;
    if (plan.kind === 'refuse') {
      t.outcome = 'protected';
      t.protectedSince = true;
      t.changedTo = change.now;
      t.reason = plan.protectedPids.get(current.pid) ?? plan.refusals[0]!.reason;
      this.log(`not sending ${sig} to ${this.who(t)}: it changed since it was found (now ${change.now}; was ${change.was}), and ${t.reason}`, 'error');
      return false;
    }
    this.log(`${this.who(t)} changed since it was found (an exec, or a new name or command line): now ${change.now} (was ${change.was})`);
    if (plan.kind === 'signal') this.unmask(plan.disguised);
    return true;
  }

  /**
   * A holder that is the init of its PID namespace and was not protected only
   * because its user made that namespace (sandboxReason) is judged so again,
   * before each signal, on its namespace's members read again (one /proc scan,
   * only in this case): a root process that joined the PID namespace since the
   * plan (`nsenter -t INIT --pid`, between SIGTERM and SIGKILL) would die with
   * it. One that is protected now is not signalled, and the claim fails naming
   * it and the process that joined. False when it must not be signalled.
   */
  sandboxAgain(t: Tracked, sig: 'SIGTERM' | 'SIGKILL'): boolean {
    if (t.context.userNamespace === undefined || sandboxReason(t.info, t.context) === undefined) return true;
    const { userNamespace: _, ...rest } = t.context;
    const fresh = readUserNamespace(t.info);
    t.context = { ...rest, ...(fresh !== undefined && { userNamespace: fresh }) };
    if (sandboxReason(t.info, t.context) !== undefined) return true;
    t.outcome = 'protected';
    t.protectedSince = true;
    t.changedTo = `its PID namespace is no longer proved to hold only its user's processes`;
    // protectionReason names the init's protection, and the process that joined (or what could not be read).
    t.reason = protectionReason(t.info, this.target.policy, this.self, t.context.executable, t.context) ?? 'it is PID 1 of its own PID namespace';
    this.log(`not sending ${sig} to ${this.who(t)}: its PID namespace changed since it was found, and ${t.reason}`, 'error');
    return false;
  }

  /**
   * The processes that hold one of the port's original sockets (`keys`) now
   * that every holder is gone, and were not holders: children a holder forked
   * that inherited its socket. Each is followed only when a process of this
   * claim that held that socket started it (heirOf: README step 6); any other
   * received the socket (a daemon that takes fds over a Unix socket, to which
   * a holder sent it on SIGTERM) and none of them is signalled. A followed one
   * is judged as the holders were (protected names, Restart=, this user's
   * rights: planClaim; and, as refuseIfFrozen looks at each holder, cgroup
   * v1's freezer, which no signal gets through), and signalled with `sig`
   * unless one is refused, its disguise and whose socket it holds said as for
   * a holder. A refused one
   * is left alone, listed with its outcome, and the claim fails naming it
   * (verify). Only where sockets are known by inode (/proc): lsof's keys name
   * their process.
   */
  async adoptInheritors(keys: ReadonlySet<string>, sig: 'SIGTERM' | 'SIGKILL'): Promise<'none' | 'signalled' | 'refused'> {
    if (this.reader.kind !== 'proc') return 'none';
    if (this.inheritorRefused) return 'refused';
    const { port, transport } = this.target;
    const known = (h: ProcessInfo) => this.tracked.some((t) => t.info.pid === h.pid && t.info.startTime === h.startTime);
    // Every thread's fd table: the socket may live on in a thread's own (see gather).
    // Less those that had exited when they were read, as for the first look (withoutExited): a pre-fork master's worker
    // that ends on its own while the holders are signalled is no inheritor.
    const gathered = this.withoutExited(await this.reader.gather(port, undefined, transport, 'every'));
    const listeners = gathered.listeners
      .filter((l) => l.ownerKnown && keys.has(String(l.inode)))
      .map((l) => ({ ...l, holders: l.holders.filter((h) => !known(h)) }))
      .filter((l) => l.holders.length > 0);
    if (listeners.length === 0) return 'none';
    const inheritors = distinctHolders(listeners);
    const [context, ancestors] = await Promise.all([gatherContext(inheritors, this.options.env ?? process.env), this.reader.ancestors(process.pid)]);
    // The ports they listen on besides this one: a child that took over another service's port too is refused as a holder is.
    const otherPorts = this.otherPortsOf(gathered, inheritors);
    const plan = planClaim({
      port,
      transport,
      listeners,
      unreadable: [],
      policy: this.target.policy,
      self: { pid: process.pid, ancestors: new Set(ancestors) },
      uid: this.uid,
      euid: this.euid,
      asRoot: this.asRoot,
      context,
      otherPorts,
      ...(this.target.service !== undefined && { service: this.target.service }),
    });
    // Whose socket it holds: the first holders of those sockets (once they exit, its parent is no longer one of them).
    const from = (h: ProcessInfo) => {
      const inodes = new Set(listeners.filter((l) => l.holders.some((o) => o.pid === h.pid)).map((l) => l.inode));
      return distinctHolders(this.found.listeners.filter((l) => inodes.has(l.inode))).map((o) => o.pid);
    };
    // Interrupted while it looked: nothing more is sent.
    if (this.interrupted) return 'none';
    const heirs = inheritors.map((info) => {
      // A socket another user made, held by this process (handed to it): whoever made it chose where it went.
      const handed = handedOverSocket(info, listeners);
      const heir = handed === undefined ? this.heirOf(info, from(info)) : { not: [handed] };
      return { info, from: from(info), heir };
    });
    // One frozen by cgroup v1's freezer acts on no signal, SIGKILL included, until it is thawed: looked at before any is sent.
    const frozen = new Map(
      inheritors.flatMap((info) => {
        const f = this.processes.frozen?.(info);
        return f?.hierarchy === 'v1' ? [[info.pid, `it ${frozenV1(f, this.name)}`] as const] : [];
      }),
    );
    if (heirs.some(({ heir }) => 'not' in heir) || plan.kind !== 'signal' || frozen.size > 0) {
      // Not one is signalled: the socket a refused one keeps holds the port whatever becomes of the others.
      if (plan.kind === 'refuse')
        for (const refusal of plan.refusals) this.log(`not signalling a process that inherited the socket: ${refusal.reason}`, 'error');
      const refusals = new Map(plan.kind === 'refuse' ? plan.refusals.flatMap((r) => (r.pid === undefined ? [] : [[r.pid, r.reason] as const])) : []);
      const protectedPids = plan.kind === 'refuse' ? plan.protectedPids : new Map<number, string>();
      for (const { info, from: parents, heir } of heirs) {
        // A protected process is named as such (its refusal was logged above), never with "kill it" advice.
        const stranger = 'not' in heir && !protectedPids.has(info.pid) ? this.strangerReason(info.pid, parents, heir.not) : undefined;
        const notSignalled = stranger ?? (protectedPids.has(info.pid) ? undefined : frozen.get(info.pid));
        if (notSignalled !== undefined) this.log(`not signalling ${withUid(info, context.holders.get(info.pid))}: ${notSignalled}`, 'error');
        const reason = protectedPids.get(info.pid) ?? notSignalled ?? refusals.get(info.pid);
        this.tracked.push({
          info,
          context: context.holders.get(info.pid) ?? {},
          signals: [],
          outcome: protectedPids.has(info.pid) ? 'protected' : reason !== undefined ? 'refused' : 'spared',
          reason: reason ?? 'the claim was refused',
          inheritedFrom: parents,
          ...(throughRingOnly(info.pid, listeners) && { throughRing: true as const }),
          ...(otherPorts.has(info.pid) && { otherPorts: otherPorts.get(info.pid)! }),
        });
        // verify() names whoever still holds the port, and why it was not signalled.
        this.refusedInheritors.set(info.pid, { from: parents, ...(notSignalled !== undefined && { notSignalled }) });
      }
      if (plan.kind === 'refuse') this.unmask(plan.disguised, this.tracked.slice(-heirs.length));
      this.inheritorRefused = true;
      return 'refused';
    }
    for (const { info, from: parents, heir } of heirs) {
      const t: Tracked = {
        info,
        context: context.holders.get(info.pid) ?? {},
        signals: [],
        outcome: 'spared',
        inheritedFrom: parents,
        ...(throughRingOnly(info.pid, listeners) && { throughRing: true as const }),
        ...(otherPorts.has(info.pid) && { otherPorts: otherPorts.get(info.pid)! }),
      };
      this.tracked.push(t);
      // Its disguise, and whose socket it holds, said as for a holder (planClaim judged it as one).
      this.unmask(plan.disguised, [t]);
      this.noteHandedOver(plan.handedOver, [t]);
      this.noteOtherPorts([t]);
      this.noteFamily(t);
      // A holder may live on without the socket (it passed it over a Unix socket, or left it to a child and closed its own).
      const gone = parents.every((pid) => !this.tracked.some((o) => o.info.pid === pid && this.processes.isRunning(o.info)));
      const tie = 'tie' in heir ? heir : undefined;
      this.log(
        `${describeHolder(info, t.context, true)} holds the socket of ${parents.map((pid) => `PID ${pid}`).join(', ')}, which ${gone ? (parents.length > 1 ? 'are gone' : 'is gone') : `no longer ${parents.length > 1 ? 'hold' : 'holds'} it (passed on, or left to a child)`}${this.forkedFrom(t, gone, tie)}: ${shownCommand(info)}`,
      );
      this.send(t, sig);
    }
    return 'signalled';
  }

  /**
   * Whether `info`, found holding the socket of the holders `parents` once they
   * were signalled, was started by a process of this claim that held that
   * socket (one of them, or an earlier inheritor of theirs): it started at or
   * after that process, runs as its uid (real and effective), and is tied to
   * it (lineage). Else, `not`: why it was not, for the first such process. A
   * process that was running before the holder, or runs as another user, or
   * has nothing of the holder's about it, received the socket: any user can
   * send a listening socket over a Unix socket (SCM_RIGHTS) to a daemon that
   * takes fds from anyone, and signalling that daemon would let that user have
   * root's claim-port kill a process that never held the port.
   */
  heirOf(info: ProcessInfo, parents: readonly number[]): { tie: Tie; by: number } | { not: string[] } {
    const sources = this.tracked.filter(
      (t) =>
        !this.refusedInheritors.has(t.info.pid) &&
        !this.handedOverPids.has(t.info.pid) &&
        (parents.includes(t.info.pid) || t.inheritedFrom?.some((pid) => parents.includes(pid)) === true),
    );
    let first: string[] | undefined;
    for (const source of sources) {
      const not: string[] = [];
      const s = `PID ${source.info.pid}`;
      if (info.startTime < source.info.startTime) not.push(`it was running before ${s} started`);
      if (info.uid !== source.info.uid || info.realUid !== source.info.realUid) not.push(`it runs as ${uidOf(info)}, ${s} ran as ${uidOf(source.info)}`);
      const tie = this.lineage(info, source);
      if (tie === undefined) not.push(`it is not ${s}'s child, nor in the process group, session or cgroup ${s} was in`);
      if (not.length === 0) return { tie: tie!, by: source.info.pid };
      first ??= not;
    }
    return { not: first ?? ['no process of this claim held that socket but one that holds a socket another user made'] };
  }

  /**
   * How `info` is tied to `source` as a process `source` started (what the settle window's rules say of a process a
   * holder left behind, see tiedTo and forked): its child (now, or when it was signalled), a child of its reaper born
   * after the first signal in its cgroup (it forked it, then exited), or in the process group or session it was in,
   * or in its cgroup when that is not the one PID 1 or claim-port runs in. Undefined when none of these holds.
   */
  lineage(info: ProcessInfo, source: Tracked): Tie | undefined {
    const s = `PID ${source.info.pid}`;
    if (info.ppid === source.info.pid && this.processes.isSame(source.info)) return { started: 'its child' };
    if (source.children?.some((c) => c.pid === info.pid && c.startTime === info.startTime)) return { started: 'its child when it was signalled' };
    const family = this.processes.family;
    if (family === undefined) return undefined;
    const cgroup = family.cgroup?.(info.pid);
    const since = this.firstSignal?.ticks;
    const sameCgroup = cgroup === undefined || source.context.cgroup === undefined || cgroup === source.context.cgroup;
    const ids = family.groupAndSession(info.pid);
    if (ids !== undefined && source.ids !== undefined) {
      // 0: a group or session whose leader is outside this PID namespace, which every process in it may share.
      if (ids.pgrp !== 0 && ids.pgrp === source.ids.pgrp) return { shares: `is in the process group ${s} was in` };
      if (ids.session !== 0 && ids.session === source.ids.session) return { shares: `is in the session ${s} was in` };
    }
    if (source.reaper !== undefined && info.ppid === source.reaper.pid && since !== undefined && info.startTime >= since && sameCgroup)
      return { shares: `was born after ${s} was signalled, and is a child of PID ${info.ppid}` };
    if (cgroup === undefined || cgroup !== source.context.cgroup) return undefined;
    this.sharedCgroups ??= new Set([family.cgroup?.(1), family.cgroup?.(process.pid)].filter((c) => c !== undefined));
    return this.sharedCgroups.has(cgroup) ? undefined : { shares: `is in the cgroup ${escapeText(cgroup, 200)} ${s} was in` };
  }

  /**
   * Why a process that holds the socket of the holders `parents` but was not started by them (`not`, from heirOf) is
   * not signalled, and what to do: the error line's and the JSON's reason.
   */
  strangerReason(pid: number, parents: readonly number[], not: readonly string[]): string {
    const many = parents.length > 1;
    const holders = parents.map((pid) => `PID ${pid}`).join(', ');
    return `it holds the socket of ${holders}, ${many ? 'holders' : 'a holder'} of ${this.name}, but nothing ties it to ${many ? 'them' : 'it'} as a process ${many ? 'they' : 'it'} started (${not.join('; ')}): it may have received the socket (sent over a Unix socket, SCM_RIGHTS), and claim-port signals only what it can tell a holder started, so nothing more is signalled; if PID ${pid} may go, stop it by hand (kill ${pid}), else make it close the socket (restart it), and claim ${this.name} again`;
  }

  /**
   * Whose child an inheritor is, by its parent PID as read when it was seen
   * (/proc/PID/stat, the PPid of /proc/PID/status): a process of this claim
   * (a holder, or an inheritor of an earlier look: a holder that forks again
   * at every SIGTERM) is named; any other parent is its reaper, the process
   * that forked it having exited (or one that passed it the socket), and no
   * PID is named as the one that left it the socket, only what ties it to the
   * holder (`tie`, see lineage): that holder is said to have started it only
   * when it was its parent; a process group, session or cgroup they share says
   * no more than that (the holder of the group may have exited before it was
   * born, and another process of the group, an inetd that respawns its
   * worker, started it).
   */
  forkedFrom(t: Tracked, gone: boolean, tie?: { tie: Tie; by: number }): string {
    const ppid = t.info.ppid;
    const parent = this.tracked.find((o) => o !== t && o.info.pid === ppid);
    if (parent !== undefined)
      return `; it is a child of ${describeHolder(parent.info, parent.context, true)}, which this claim ${parent.signals.length > 0 ? 'signalled' : 'found holding the port'}`;
    const tied = tie === undefined ? '' : 'started' in tie.tie ? `; PID ${tie.by} started it (${tie.tie.started})` : `; it ${tie.tie.shares}`;
    if (!gone) return tied;
    return ppid > 0
      ? `; what left it the socket has exited (its parent now is PID ${ppid}, which held no socket of the port)${tied}`
      : `; what left it the socket has exited${tied}`;
  }

  signalled(): Tracked[] {
    // A holder judged protected after its SIGTERM (judgeAgain) is signalled no more, nor waited for.
    return this.tracked.filter((t) => t.signals.length > 0 && t.outcome !== 'permission-denied' && t.outcome !== 'protected');
  }

  /** The signalled holders not known to be gone: still the process that was found. */
  runningSignalled(): Tracked[] {
    return this.signalled().filter((t) => t.outcome !== 'exited' && t.outcome !== 'killed' && this.processes.isSame(t.info));
  }

  /** Those of `candidates` that hold one of the sockets `holding` (reader.holds: unreadable counts as holding). */
  async holdingNow(candidates: readonly Tracked[], holding: ReadonlySet<string>): Promise<Tracked[]> {
    const out: Tracked[] = [];
    if (holding.size > 0) for (const t of candidates) if (await this.reader.holds(t.info.pid, holding)) out.push(t);
    return out;
  }

  /** Marks holders that no longer run; true when every signalled one is gone. */
  classify(): boolean {
    for (const t of this.signalled()) {
      if (t.outcome === 'killed' || t.outcome === 'exited') continue;
      if (!this.processes.isRunning(t.info)) {
        t.outcome = t.signals.includes('SIGKILL') ? 'killed' : 'exited';
        this.log(
          // Gone after our SIGTERM: whether it exited or something else ended it (another claim's SIGKILL) is not known.
          `${this.who(t)} ${t.outcome === 'killed' ? 'was killed' : 'is gone'} after ${t.signals.includes('SIGKILL') ? 'SIGKILL' : 'SIGTERM'} (${this.elapsed()} ms)`,
        );
      }
    }
    return this.signalled().every((t) => t.outcome === 'killed' || t.outcome === 'exited');
  }

  /**
   * SIGTERM (or SIGKILL with --force) every holder, wait for the sockets to
   * close, SIGKILL what remains after the timeout. A holder counts as gone once
   * it no longer runs (exited, or a zombie); the port counts as released once
   * none of the sockets found holds it. Both are needed: a multi-threaded
   * process's leader turns zombie before its other threads close the fds.
   */
  async act(): Promise<void> {
    const { port, transport, timeoutSeconds } = this.target;
    const family = this.processes.family;
    this.childrenBefore = new Set(family ? this.tracked.flatMap((t) => (t.context.parent ? family.children(t.context.parent.pid) : [])) : []);
    for (const t of this.tracked) this.noteFamily(t);
    const force = this.options.force ?? false;
    const originalKeys = await this.reader.keysOf(port, this.found, transport);
    const released = async () => {
      // The port binds: no socket holds it, the holders' or another's (a holder that bound it again after closing its own).
      if (this.bindsNow()) return true;
      const holding = await this.reader.listening(port, transport);
      if ([...originalKeys].some((key) => holding.has(key))) return false;
      // A holder that closed its socket and bound the port again (on SIGTERM) still holds it: not released, SIGKILLed after the timeout.
      return (await this.holdingNow(this.runningSignalled(), holding)).length === 0;
    };
    // Looks for inheritors, per signal: the SIGKILL wait has its own, for a child forked by a holder in its SIGTERM
    // handler the moment before its SIGKILL landed (a child SIGKILLed itself cannot fork again).
    const adoptions = { SIGTERM: 0, SIGKILL: 0 };
    const waitForRelease = async (ms: number, sig: 'SIGTERM' | 'SIGKILL') => {
      let freed = false;
      await pollUntilAsync(
        async () => {
          const gone = this.classify();
          freed = await released();
          // Every holder is gone but their socket is not: a child of one holds it (forked on SIGTERM, say).
          // Each look scans /proc: a few at most; after a refusal, none (verify names who holds the port).
          if (!freed && gone && adoptions[sig] < MAX_ADOPTIONS)
            adoptions[sig] = (await this.adoptInheritors(originalKeys, sig)) === 'refused' ? MAX_ADOPTIONS : adoptions[sig] + 1;
          // A refused inheritor keeps the socket: nothing is left to wait for (every holder is gone, none is signalled more).
          return freed || this.inheritorRefused;
        },
        now() + ms,
        this.reader.maxPollMs,
        this.options.signal,
      );
      return freed;
    };
    // Interrupted while the port was read: nothing is sent at all.
    if (this.interrupted) return;
    // What a holder forks once signalled is born after this (see forked): one read of the kernel's clock.
    this.firstSignal = { ticks: this.reapers.size > 0 ? family?.bootTicks() : undefined };
    for (const t of this.tracked) this.send(t, force ? 'SIGKILL' : 'SIGTERM');
    const killAt = now() + (force ? 0 : timeoutSeconds * 1000);
    // Nobody could be signalled (all gone already, or kill(2) refused): nothing to wait for.
    const nobody = this.signalled().length === 0;
    let freed = nobody ? await released() : await waitForRelease(force ? 0 : timeoutSeconds * 1000, force ? 'SIGKILL' : 'SIGTERM');
    // Interrupted while it waited: it stops there, no SIGKILL (interruptedResult says what was sent).
    if (this.interrupted) return;
    let killed = force;
    // After a refused inheritor (every holder gone, see adoptInheritors) no SIGKILL is due: the claim stops there.
    if (!freed && !nobody && !force && !this.inheritorRefused) {
      // A holder that exited is never signalled again: its socket lives on in another process (a child it forked: adopted above, or named by the check after).
      // Nor is one that closed its socket and drains: SIGKILL goes only to a process that still holds the port.
      const look = await this.lookAtTimeout(originalKeys);
      // Released since the wait's last look (a holder that went at the timeout: another claim's SIGKILL): nothing to kill.
      freed = look.freed;
      const { remaining, draining } = look;
      const drainingText =
        draining.length > 0
          ? ` (${draining.map((t) => this.who(t)).join(', ')} closed ${draining.length > 1 ? 'their sockets' : 'its socket'}: not killed)`
          : '';
      if (!freed && !this.interrupted && remaining.length > 0) {
        this.log(`${this.name} still in use after ${timeoutSeconds} s; sending SIGKILL to ${remaining.map((t) => this.who(t)).join(', ')}${drainingText}`);
        for (const t of remaining) this.send(t, 'SIGKILL');
        killed = remaining.some((t) => t.signals.includes('SIGKILL'));
      }
      if (!freed && !this.interrupted && !killed) {
        // No holder holds the socket any more, yet it is held: by a process that inherited it after the looks ran out (one
        // that forks again on every SIGTERM; or the fork of a holder caught exiting, which then no longer holds it, and so
        // was not yet "gone"): SIGKILL, which it cannot answer with a fork. adoptInheritors judges it as holders are, and
        // says what it found. Only when it found none is the socket said to be elsewhere, or in flight: said before the
        // look, that line was followed by the very process it said no one could find.
        const adopted = await this.adoptInheritors(originalKeys, 'SIGKILL');
        killed = adopted === 'signalled';
        // (With holders left, the SIGKILL line above said it.)
        if (remaining.length === 0 && !this.interrupted && adopted === 'none')
          this.log(
            `${this.name} still in use after ${timeoutSeconds} s, though no holder holds it any more${drainingText}: another process has its socket, or none does (a copy ${IN_FLIGHT})`,
          );
        if (remaining.length === 0 && !this.interrupted && adopted === 'signalled' && drainingText !== '')
          this.log(`${this.name} still in use after ${timeoutSeconds} s${drainingText}`);
      }
    }
    if (this.interrupted) return;
    // After SIGKILL, wait for the kernel to tear the processes down.
    if (!freed && !nobody && killed) freed = await waitForRelease(this.options.killWaitMs ?? CLAIM_KILL_WAIT_MS, 'SIGKILL');
    // Give holders that closed the socket a moment to finish exiting before they are called "released".
    await pollUntil(() => this.interrupted || this.classify(), now() + 200, 5);
    if (this.interrupted) return;
    // One that bound the port again a moment after it closed its socket (the wait saw the port empty in between) still holds it:
    // SIGKILL at the timeout, as any holder.
    if (!nobody && !force && this.runningSignalled().some((t) => !t.signals.includes('SIGKILL'))) {
      const rebound = async () =>
        this.holdingNow(
          this.runningSignalled().filter((t) => !t.signals.includes('SIGKILL')),
          await this.reader.listening(port, transport),
        );
      let again = await rebound();
      if (again.length > 0) await pollUntilAsync(async () => (again = await rebound()).length === 0, killAt, this.reader.maxPollMs, this.options.signal);
      if (again.length > 0 && !this.interrupted) {
        this.log(
          `${again.map((t) => this.who(t)).join(', ')} closed ${again.length > 1 ? 'their sockets' : 'its socket'} and bound ${this.name} again; sending SIGKILL after ${timeoutSeconds} s`,
        );
        for (const t of again) this.send(t, 'SIGKILL');
        await waitForRelease(this.options.killWaitMs ?? CLAIM_KILL_WAIT_MS, 'SIGKILL');
        // Until the kernel has torn them down, so that they are called killed (the others may drain on).
        await pollUntil(
          () => {
            this.classify();
            return this.interrupted || again.every((t) => t.outcome === 'killed' || t.outcome === 'exited');
          },
          now() + (this.options.killWaitMs ?? CLAIM_KILL_WAIT_MS),
          5,
        );
      }
    }
    // Interrupted: interruptedResult says what became of each.
    if (this.interrupted) return;
    for (const t of this.signalled()) {
      if (t.outcome === 'killed' || t.outcome === 'exited') continue;
      if (t.signals.includes('SIGKILL')) {
        t.outcome = 'survived';
        // Frozen since it was found (a v1 freezer holds it in the kernel): said so, with where to thaw it.
        const frozen = this.processes.frozen?.(t.info);
        this.log(
          frozen?.hierarchy === 'v1'
            ? `${this.who(t)} is still running after SIGKILL: it ${frozenV1(frozen, this.name)}: ${shownCommand(t.info)}`
            : `${this.who(t)} is still running after SIGKILL (stuck in the kernel?): ${shownCommand(t.info)}`,
          'error',
        );
      } else {
        t.outcome = 'released';
        this.log(`${this.who(t)} closed its socket and is still running (draining); not killed`);
      }
    }
  }

  /**
   * The port when the SIGTERM wait has run out: the running holders that still
   * hold it (`remaining`, to be SIGKILLed), those that run on without their
   * socket (`draining`), and whether it is free by now (`freed`: none of its
   * first sockets, no holder on it). A holder may go between the wait's last
   * look and this one, or during it (another claim's SIGKILL at the same
   * timeout, a late exit): it is said to be gone (classify), never called
   * draining, nor its socket another process's; while holders go during the
   * look, the port is read again (a few times at most).
   */
  async lookAtTimeout(originalKeys: ReadonlySet<string>): Promise<{ freed: boolean; remaining: Tracked[]; draining: Tracked[] }> {
    const { port, transport } = this.target;
    const goneCount = () => {
      this.classify();
      return this.signalled().filter(isGone).length;
    };
    for (let looks = 1; ; looks++) {
      const goneBefore = goneCount();
      const holding = await this.reader.listening(port, transport);
      const running = this.runningSignalled();
      const holders = await this.holdingNow(running, holding);
      if (goneCount() === goneBefore || looks >= MAX_TIMEOUT_LOOKS) {
        const remaining = holders.filter((t) => !isGone(t));
        const draining = running.filter((t) => !holders.includes(t) && !isGone(t));
        return { freed: holders.length === 0 && ![...originalKeys].some((key) => holding.has(key)), remaining, draining };
      }
    }
  }

  /**
   * What a holder could leave behind to take the port again once it is gone,
   * whoever its parent: whether it leads its process group or session (one
   * read of its stat), its children (one read per thread), and who will adopt
   * what it forks from now on. Before any signal: a child it forks on SIGTERM
   * is none of these children, and is found among its reaper's (forked).
   */
  noteFamily(t: Tracked): void {
    const family = this.processes.family;
    if (this.reader.kind !== 'proc' || family === undefined) return;
    const leads = family.leadership(t.info);
    if (leads !== undefined && (leads.group || leads.session)) t.leads = leads;
    const ids = family.groupAndSession(t.info.pid);
    if (ids !== undefined) t.ids = ids;
    // When it exits, its children go to the nearest subreaper above it, else PID 1: the service manager that is its
    // parent (systemd, systemd --user), else PID 1 (a subreaper of another kind above it, which /proc does not show,
    // takes them instead: then they are not seen). Whatever its parent, a live one included (a supervisor, watched as such).
    const parent = t.context.parent;
    const managed = parent !== undefined && isServiceManagerProcess(parent);
    t.reaper = { pid: managed ? parent.pid : 1, sure: managed || t.info.ppid === 1 };
    this.watchReaper(t.reaper.pid, family);
    const init = this.initOf(t);
    if (init !== undefined) t.startedByInit = init;
    const children = family.children(t.info.pid).flatMap((pid) => {
      const startTime = family.startTime(pid);
      return startTime === undefined ? [] : [{ pid, startTime }];
    });
    if (children.length > 0) t.children = children;
  }

  /** PID 1, when it started holder `t` (initThatStarted): looked at only for a holder whose parent is PID 1, through /proc. */
  initOf(t: Tracked): ProcessInfo | undefined {
    const family = this.processes.family;
    return this.reader.kind === 'proc' && family !== undefined && t.info.ppid === 1 ? this.initThatStarted(t.info, family) : undefined;
  }

  /**
   * PID 1, when it started `holder`: in the same session (an orphan a daemon left to PID 1 made a session of its
   * own, or was in its starter's), and no service manager (systemd restarts only units with Restart=, judged up
   * front). Two reads of a stat and one of PID 1's identity.
   */
  initThatStarted(holder: ProcessInfo, family: FamilyReader): ProcessInfo | undefined {
    const startTime = family.startTime(1);
    const ids = family.groupAndSession(holder.pid);
    const initIds = family.groupAndSession(1);
    if (startTime === undefined || ids === undefined || initIds === undefined || ids.session !== initIds.session) return undefined;
    const init = this.processes.current?.({ pid: 1, startTime });
    return init === undefined || isServiceManagerProcess(init) ? undefined : init;
  }

  /**
   * The PID 1 that started a gone holder and is the parent of `newcomer`, a child born after the first signal: it
   * restarted the holder (a container's loop), or adopted what the holder forked (which of the two /proc cannot
   * tell: the message names both).
   */
  respawner(newcomer: ProcessInfo): ProcessInfo | undefined {
    return newcomer.ppid === 1 ? this.restartingInit() : undefined;
  }

  /** One read of `reaper`'s children, the first time it is a holder's: those it has before the first signal (see reapers). */
  watchReaper(reaper: number, family: FamilyReader): void {
    if (this.reapers.has(reaper)) return;
    const children = family.adopted(reaper);
    // Read after the first signal (an inheritor's): a child born since may be what a holder forked, so not "before".
    const since = this.firstSignal?.ticks;
    const before = since === undefined ? children : children.filter((pid) => (family.startTime(pid) ?? since) < since);
    this.reapers.set(reaper, { before: new Set(before), done: new Set() });
  }

  /** A holder, or a process that inherited a holder's socket and was refused: not left behind by one. */
  isKnown(p: Identity): boolean {
    return this.tracked.some((t) => t.info.pid === p.pid && t.info.startTime === p.startTime) || this.refusedInheritors.has(p.pid);
  }

  /**
   * The processes the gone holders left behind, which could bind the port
   * again (a holder that forks on SIGTERM and exits, its child binding the
   * port a moment later, whatever its parent: PID 1 included): those still in
   * the process group or session a holder led, its children when it was
   * signalled, and the children its reaper gained since, born after the first
   * signal (forked), that run on and were not holders. Never signalled: they
   * are no holders; the settle window watches the port while they run. A
   * holder that exited alone costs one kill(pgrp, 0) (groupExists) when it led
   * its group, and one read of its reaper's children.
   */
  leftBehind(): LeftBehind[] {
    const family = this.processes.family;
    if (this.reader.kind !== 'proc' || family === undefined) return [];
    const out = new Map<number, LeftBehind>();
    for (const t of this.signalled()) {
      if (!isGone(t)) continue;
      for (const child of t.children ?? [])
        if (!this.isKnown(child) && !out.has(child.pid) && this.processes.isRunning(child)) out.set(child.pid, { ...child, by: t.info.pid, how: 'child' });
      if (t.leads === undefined || !family.groupExists(t.info.pid)) continue;
      // Its own zombie is a member until its parent reaps it (PID 1 may take seconds, in a container). Meanwhile what it
      // left in its group was adopted by its reaper: the reaper's new children are read, not every process.
      const reaper = t.reaper?.sure ? this.reapers.get(t.reaper.pid) : undefined;
      const adopted =
        reaper !== undefined && this.processes.isSame(t.info) ? family.adopted(t.reaper!.pid).filter((pid) => !reaper.before.has(pid)) : undefined;
      for (const member of family.groupMembers(t.info.pid, t.leads.session ? t.info.pid : undefined, adopted))
        if (!this.isKnown(member) && !out.has(member.pid)) out.set(member.pid, { ...member, by: t.info.pid, how: 'group' });
    }
    for (const p of this.forked((p) => this.isKnown(p) || out.has(p.pid))) out.set(p.pid, p);
    return [...out.values()];
  }

  /**
   * The running children that the gone holders' reapers gained since the
   * first signal and that were born after it, but `skip`: what a holder forked
   * once signalled, adopted when it exited (a child forked on SIGTERM, in
   * whatever group; its own child, once it exited too: a double fork), or what
   * the reaper started meanwhile in the holder's cgroup (harmless: that keeps
   * the settle window open while it runs, and fails the claim only if it takes
   * the port). Not a child in another cgroup than every such holder's (see
   * forkedBy): a unit the service manager started meanwhile (at boot, say).
   * One read of each reaper's children; a start time and a cgroup only for a
   * child it did not have.
   */
  forked(skip: (p: Identity) => boolean): LeftBehind[] {
    const family = this.processes.family;
    if (this.reader.kind !== 'proc' || family === undefined) return [];
    const since = this.firstSignal?.ticks;
    const out: LeftBehind[] = [];
    for (const [reaper, seen] of this.reapers) {
      if (!this.signalled().some((t) => t.reaper?.pid === reaper && isGone(t))) continue;
      // A child that exited after the list was read (a double fork's middle) left its own to the reaper meanwhile: read
      // the list again, a few times at most.
      for (let reads = 0, again = true; again && reads < MAX_REAPER_READS; reads++) {
        again = false;
        for (const pid of family.adopted(reaper)) {
          if (seen.before.has(pid) || seen.done.has(pid) || out.some((p) => p.pid === pid)) continue;
          const startTime = family.startTime(pid);
          const child = startTime === undefined ? undefined : { pid, startTime };
          // Born before the first signal: not a holder's. Without the kernel's clock, every new child counts.
          if (child !== undefined && since !== undefined && child.startTime < since) seen.done.add(pid);
          else if (child !== undefined && this.processes.isRunning(child)) {
            if (skip(child)) continue;
            if (this.forkedBy(reaper, child.pid, family) === undefined) seen.done.add(pid);
            else {
              const by = this.tiedTo(reaper, child.pid, family);
              out.push({ ...child, ...(by !== undefined && { by: by.info.pid }), how: 'forked', reaper });
            }
          } else {
            seen.done.add(pid);
            again = true;
          }
        }
      }
    }
    return out;
  }

  /**
   * Of the gone holders whose reaper is `reaper`, the one that may have forked `pid`, its new child: one in the same
   * cgroup (a process inherits its parent's, and the reaper adopts it as it is), else one whose cgroup is not known;
   * the first when `pid`'s cannot be read (which of several forked it, nothing tells). Undefined when `pid` runs in
   * another cgroup than every such holder: a unit the reaper (systemd) started meanwhile, in its own cgroup, which
   * the settle window does not wait for. A holder that moves what it forked to another cgroup (root, or the owner of
   * a delegated subtree: `systemd --user`'s) escapes that wait, not the claim's checks: a re-take while the window
   * watches for another reason, or before the final check, still fails the claim, and no process but a holder is
   * ever signalled. A holder may as well bind the port again after the window has closed (step 7 of the README).
   */
  forkedBy(reaper: number, pid: number, family: FamilyReader): Tracked | undefined {
    const gone = this.signalled().filter((t) => t.reaper?.pid === reaper && isGone(t));
    if (gone.length === 0) return undefined;
    const cgroup = family.cgroup?.(pid);
    if (cgroup === undefined) return gone[0];
    return gone.find((t) => t.context.cgroup === cgroup) ?? gone.find((t) => t.context.cgroup === undefined);
  }

  /**
   * Of the gone holders whose reaper is `reaper`, the one that `pid`, its child born after the first signal, is tied
   * to: in the process group or session that holder was in when it was signalled (what it forks keeps them unless it
   * calls setsid or setpgid), or in its cgroup when that is not the one PID 1 or claim-port itself runs in (in a
   * container, or a terminal's session scope, everything started there shares it: no tie). forkedBy's cgroup match
   * alone keeps the settle window open for such a child; only a tie names the holder as the one that left it: an
   * unrelated process started meanwhile (setsid, a daemon) is no holder's. One read of `pid`'s stat.
   */
  tiedTo(reaper: number, pid: number, family: FamilyReader): Tracked | undefined {
    const gone = this.signalled().filter((t) => t.reaper?.pid === reaper && isGone(t));
    const ids = family.groupAndSession(pid);
    const byIds = ids && gone.find((t) => t.ids !== undefined && (t.ids.pgrp === ids.pgrp || t.ids.session === ids.session));
    if (byIds !== undefined) return byIds;
    const cgroup = family.cgroup?.(pid);
    if (cgroup === undefined) return undefined;
    this.sharedCgroups ??= new Set([family.cgroup?.(1), family.cgroup?.(process.pid)].filter((c) => c !== undefined));
    return this.sharedCgroups.has(cgroup) ? undefined : gone.find((t) => t.context.cgroup === cgroup);
  }

  /** Born after the first signal: part of a holder's answer to it, maybe still starting up (the settle window waits for it). */
  bornSinceSignal(p: LeftBehind): boolean {
    const since = this.firstSignal?.ticks;
    return since === undefined ? p.how === 'forked' : p.startTime >= since;
  }

  /** `holder PID 901 left PID 902 (python3) running, in the process group it led`: for the settle window's line. */
  describeLeft(left: readonly LeftBehind[]): string {
    const byHolder = new Map<number | undefined, LeftBehind[]>();
    for (const p of left) byHolder.set(p.by, [...(byHolder.get(p.by) ?? []), p]);
    const shown = (p: LeftBehind) => {
      const info = this.processes.current?.(p);
      return `${info ? describeHolder(info, undefined, true) : `PID ${p.pid}`} (${leftHow(p)})`;
    };
    const list = (ps: readonly LeftBehind[]) => `${ps.slice(0, 4).map(shown).join(', ')}${ps.length > 4 ? ` and ${ps.length - 4} more` : ''}`;
    // What nothing ties to a holder (see tiedTo) is said as what is known of it, with no holder named.
    return [...byHolder]
      .map(([by, ps]) => (by === undefined ? `${list(ps)} ${ps.length > 1 ? 'are' : 'is'} running` : `holder PID ${by} left ${list(ps)} running`))
      .join(', and ');
  }

  /**
   * The holder that left `h` behind, if it did: by identity (leftBehind), or
   * (one it forked since the settle window last looked) by the group or
   * session that holder led, or as a child of its reaper born after the first signal, in that holder's cgroup (forkedBy).
   */
  leftBy(h: ProcessInfo): LeftBehind | undefined {
    const left = this.left.find((p) => p.pid === h.pid && p.startTime === h.startTime);
    const family = this.processes.family;
    if (left !== undefined || this.reader.kind !== 'proc' || family === undefined) return left;
    const ids = family.groupAndSession(h.pid);
    const leader = ids && this.tracked.find((t) => t.leads !== undefined && (ids.pgrp === t.info.pid || (t.leads.session && ids.session === t.info.pid)));
    if (leader) return { pid: h.pid, startTime: h.startTime, by: leader.info.pid, how: 'group' };
    const forked: LeftBehind = { pid: h.pid, startTime: h.startTime, how: 'forked', reaper: h.ppid };
    if (!(this.reapers.has(h.ppid) && this.bornSinceSignal(forked)) || this.forkedBy(h.ppid, h.pid, family) === undefined) return undefined;
    const by = this.tiedTo(h.ppid, h.pid, family);
    return by === undefined ? forked : { ...forked, by: by.info.pid };
  }

  /**
   * The holders this claim ended or saw end: those it signalled, and those gone before their SIGTERM (another claim
   * of the port, run at the same time, signalled them; or they exited): their parents may start one again all the
   * same, so the settle window watches for it. Without them, a claim that found its holders gone exited 0 at once
   * while a shell loop, seen as the holder's parent, took the port back (the claim that signalled watched, and failed).
   */
  ended(): Tracked[] {
    const signalled = new Set(this.signalled());
    return this.tracked.filter((t) => signalled.has(t) || (t.outcome === 'gone' && t.signals.length === 0));
  }

  /** The live parents (not PID 1, not claim-port) of the holders that are gone: who could start one again. */
  supervisors(): ProcessInfo[] {
    return this.restartingParents(this.ended()).map((p) => p.parent);
  }

  /**
   * PID 1, when it started a holder that is gone and still runs (startedByInit: no service manager, the holder in its
   * session; a container's `while :; do server; done`): it may start another, as a live parent may. Its restart may
   * not be forked yet when the holder is seen gone (a loaded machine schedules the loop late), so it opens the settle
   * window by itself, not only once a new child of it shows (forked).
   */
  restartingInit(): ProcessInfo | undefined {
    const init = this.ended().find((t) => t.startedByInit !== undefined && (isGone(t) || t.outcome === 'gone'))?.startedByInit;
    return init !== undefined && this.processes.isSame(init) ? init : undefined;
  }

  /**
   * The settle window: when a holder's parent is alive (a shell loop, a
   * supervisor), or PID 1 started it (restartingInit), watch the port for
   * SETTLE_MS after the holders are gone; a re-take shows up in verify().
   * Ends early once no such parent is left. While
   * a process such a parent started after the holders died is still running
   * (a respawn on its way up, slowed by load), or one a holder left behind
   * that was born after the first signal (what it forked on SIGTERM; a
   * grandchild, once that one exited, is looked for on every poll), the watch
   * goes on, up to SETTLE_MAX_MS.
   */
  async settle(): Promise<void> {
    // A refused inheritor, or a holder that survived its SIGKILL (frozen by cgroup v1's freezer), that still holds the
    // port fails the claim (verify): no window to watch.
    const failed = this.inheritorRefused || this.tracked.some((t) => t.outcome === 'survived');
    if (this.interrupted || (failed && !this.bindsNow())) return;
    const init = this.restartingInit();
    const supervisors = [...this.supervisors(), ...(init === undefined ? [] : [init])];
    // A unit whose Restart= could not be read is assumed not to restart its holder: the window checks that guess.
    const units = [...new Set(this.ended().flatMap((t) => (restartUncertain(t.context) ? [describeUnit(t.context)!] : [])))];
    this.left = this.leftBehind();
    const left = this.left;
    if (supervisors.length === 0 && units.length === 0 && left.length === 0) return;
    const { port, transport } = this.target;
    const ms = this.options.settleMs ?? SETTLE_MS;
    const max = Math.max(ms, this.options.settleMs === undefined ? SETTLE_MAX_MS : ms * 3);
    const parents = supervisors.filter((p) => p !== init);
    const why = [
      ...(parents.length > 0 ? [`the parent of a holder is still running (${parents.map((p) => `PID ${p.pid} (${shownName(p)})`).join(', ')})`] : []),
      ...(init !== undefined ? [`PID 1 (${shownName(init)}), no service manager, started a holder and is still running`] : []),
      ...(units.length > 0 ? [`the Restart= of ${units.join(', ')} is not known`] : []),
      ...(left.length > 0 ? [this.describeLeft(left)] : []),
    ];
    this.log(
      `watching ${this.name} for ${ms} ms: ${why.join(', and ')}, and ${units.length + supervisors.length + left.length > 1 ? 'they' : 'it'} could start a holder again`,
    );
    const before = this.childrenBefore;
    const startedAt = now();
    const family = this.processes.family;
    // PID 1's new children are looked at as what the holders left (forked: born after the first signal, in a holder's cgroup).
    // The new children seen (PID: its parent), and when none was seen any more after some were (see RESPAWN_GAP_MS).
    const seen = new Map<number, ProcessInfo>();
    let quietSince: number | undefined;
    // Read on every look, not only past the window: a child that exits just before the window ends is one seen.
    const respawning = () => {
      const born =
        family === undefined ? [] : parents.flatMap((p) => family.children(p.pid).flatMap((child) => (before.has(child) ? [] : [[child, p] as const])));
      for (const [child, p] of born) seen.set(child, p);
      if (born.length > 0 || seen.size === 0) {
        quietSince = undefined;
        return born.length > 0;
      }
      quietSince ??= now();
      return now() - quietSince < RESPAWN_GAP_MS;
    };
    // A process a holder left that was born after the first signal is part of its answer to it, maybe still starting up.
    const starting = () => left.some((p) => this.bornSinceSignal(p) && this.processes.isRunning(p));
    const after = () => `${Math.round(now() - startedAt)} ms`;
    let ended = '';
    const closed = await pollUntilAsync(
      async () => {
        // A port that binds has no listener (bindsNow): the tables are read only where it does not (verify says who took it).
        if (!this.bindsNow() && (await this.reader.listening(port, transport)).size > 0) return true;
        const over = units.length === 0 && supervisors.every((p) => !this.processes.isSame(p)) && left.every((p) => !this.processes.isRunning(p));
        // What a process left behind forked in turn and left (a double fork: setsid, fork, exit) is its reaper's now; read
        // after the look above, so that the children of one seen gone there are found here.
        const more = this.forked((p) => this.isKnown(p) || left.some((o) => o.pid === p.pid && o.startTime === p.startTime));
        const waiting = respawning();
        if (more.length > 0) {
          left.push(...more);
          this.log(`${this.describeLeft(more)}: watching ${this.name} while ${more.length > 1 ? 'they run' : 'it runs'} (up to ${max} ms)`);
        } else if (over) {
          const gone = [...parents.map((p) => `PID ${p.pid} (${shownName(p)})`), ...(left.length > 0 ? ['what the holders left'] : [])];
          ended = `the watch of ${this.name} ended after ${after()}: ${listed(gone)} exited, so nothing is left to start a holder again`;
          return true;
        }
        // Past the window: done, unless a new child of a supervisor, or a process born after the first signal, is still starting.
        if (now() - startedAt < ms || waiting || starting()) return false;
        const exited = [...seen].map(([child, p]) => `PID ${child}, which PID ${p.pid} (${shownName(p)}) started after the signal,`);
        ended =
          exited.length > 0
            ? `the watch of ${this.name} ended after ${after()}: ${listed(exited)} exited, and no other child followed within ${RESPAWN_GAP_MS} ms`
            : `the watch of ${this.name} ended after ${after()}: not taken again`;
        return true;
      },
      startedAt + max,
      Math.max(this.reader.maxPollMs, 10),
      this.options.signal,
      startedAt + ms,
    );
    if (!closed && !this.options.signal?.aborted)
      ended = `the watch of ${this.name} ended at its bound of ${max} ms, while what could start a holder again still runs: a restart after it is not caught`;
    if (ended !== '') this.log(ended);
  }

  /** Who started a newcomer: an original holder's parent (itself, or its parent). */
  supervisorOf(newcomer: ProcessInfo): ProcessInfo | undefined {
    const parents = new Map(this.tracked.flatMap((t) => (t.context.parent ? [[t.context.parent.pid, t.context.parent] as const] : [])));
    return parents.get(newcomer.pid) ?? parents.get(newcomer.ppid);
  }

  async retaken(after: Gathered): Promise<ClaimResult> {
    const tracked = (h: ProcessInfo) => this.tracked.some((t) => t.info.pid === h.pid && t.info.startTime === h.startTime);
    // A holder that bound the port again itself (a socket that is not one of those found) took it back, as a newcomer does.
    const original = new Set(this.found.listeners.map((l) => l.inode));
    const again = new Set(
      distinctHolders(after.listeners.filter((l) => !original.has(l.inode)))
        .filter(tracked)
        .map((h) => h.pid),
    );
    // A process that inherited a holder's socket and was refused is listed among the holders, but holds the port still.
    const newcomers = distinctHolders(after.listeners).filter((h) => !tracked(h) || again.has(h.pid) || this.refusedInheritors.has(h.pid));
    const leftBy = (h: ProcessInfo) => (again.has(h.pid) ? undefined : this.leftBy(h));
    // A holder that bound the port again itself is its own supervisor. A process a holder left behind is named so, not as
    // started by the service manager that adopted it (a holder's parent).
    // A child of the PID 1 that started a holder, born after the first signal, is named as that supervisor's (with the
    // holder that may have forked it: which of them did, /proc cannot tell).
    const supervisor = (h: ProcessInfo) => {
      // One that was handed a holder's socket and refused holds the port itself: its parent (claim-port's, when it is
      // claim-port's own ancestor) is no supervisor of a holder.
      if (again.has(h.pid) || this.refusedInheritors.has(h.pid)) return undefined;
      const left = leftBy(h);
      return left === undefined ? this.supervisorOf(h) : left.how === 'forked' ? this.respawner(h) : undefined;
    };
    const context = await gatherContext([...newcomers, ...newcomers.flatMap((h) => supervisor(h) ?? [])], this.options.env ?? process.env);
    const name = (p: ProcessInfo, holds = true) => `${describeHolder(p, context.holders.get(p.pid), true)}: ${shownCommand(p, undefined, holds)}`;
    let message: string;
    if (newcomers.length === 0) {
      const unowned = after.listeners.filter((l) => !l.ownerKnown);
      // As root every process's descriptors are read: a socket found at the start that no process holds now is a copy in
      // flight (what plan.ts says of one no process held from the start), not one of a process whose owner is hidden.
      const how = unowned.some((l) => this.euid !== 0 || !original.has(l.inode))
        ? ' by a process whose owner cannot be read'
        : unowned.length > 0
          ? `, though no process holds it: ${IN_FLIGHT_ADVICE}`
          : this.tracked.some((t) => t.signals.includes('SIGKILL'))
            ? ' after SIGKILL'
            : ' by its holders';
      message = `${this.name} is still in use (${describeListeners(after.listeners, this.target.transport)})${how}`;
    } else {
      const parts = newcomers.map((h) => {
        const inherited = this.refusedInheritors.get(h.pid);
        if (inherited?.notSignalled !== undefined && !again.has(h.pid))
          return `${withUid(h, context.holders.get(h.pid))}: ${shownCommand(h)} (not signalled: ${inherited.notSignalled})`;
        if (inherited !== undefined && !again.has(h.pid))
          return `${name(h)} (it holds the socket of ${inherited.from.map((pid) => `PID ${pid}`).join(', ')}, passed on or left to it, and was not signalled)`;
        const owner = supervisor(h);
        const left = leftBy(h);
        const by = again.has(h.pid)
          ? ' (a holder that bound it again itself)'
          : owner === undefined
            ? left === undefined
              ? ''
              : left.by === undefined
                ? `, ${leftHow(left)} (not signalled: it was no holder)`
                : `, left behind by holder PID ${left.by} (${leftHow(left)}; not signalled: it was no holder)`
            : owner.pid === h.pid
              ? ' (the supervisor itself)'
              : `, started by its supervisor ${name(owner, false)}${left?.by === undefined ? '' : ` (which started holder PID ${left.by}; or left behind by that holder, ${leftHow(left)})`}`;
        return `${name(h)}${by}`;
      });
      // Only processes that inherited a holder's socket: nobody took the port again.
      const taken = newcomers.every((h) => this.refusedInheritors.has(h.pid) && !again.has(h.pid)) ? 'is still in use by' : 'was taken again by';
      // Only processes no holder started, or frozen: each part says what to do; none of them is a process to stop as a matter of course.
      const advised = newcomers.every((h) => this.refusedInheritors.get(h.pid)?.notSignalled !== undefined && !again.has(h.pid));
      message = `${this.name} ${taken} ${parts.join('; ')}${advised ? '' : `: stop ${this.whatToStop(newcomers, context, supervisor)} first`}`;
    }
    this.log(message, 'error');
    // As the text says it: a process that holds a holder's socket and was refused (nothing ties it to a holder as one it
    // started, or the claim's rules refuse it) is named with no supervisor and no holder that left it behind.
    const refused = (h: ProcessInfo) => this.refusedInheritors.has(h.pid) && !again.has(h.pid);
    const retakenBy = newcomers.map((h) => {
      const owner = refused(h) ? undefined : supervisor(h);
      const left = refused(h) ? undefined : leftBy(h);
      return {
        pid: h.pid,
        user: h.user,
        command: h.command,
        ...(owner && { supervisor: { pid: owner.pid, command: owner.command } }),
        ...(left?.by !== undefined && { leftBehindBy: left.by }),
      };
    });
    return this.finish('failed', message, newcomers.length > 0 ? { retakenBy } : {});
  }

  /** What an operator stops so the port stays free: the supervisor's (or newcomer's) service unit, else the supervisor by PID (`supervisor`: whose each newcomer is). */
  whatToStop(newcomers: readonly ProcessInfo[], context: ClaimContext, supervisor: (h: ProcessInfo) => ProcessInfo | undefined): string {
    for (const h of newcomers) {
      const owner = supervisor(h) ?? h;
      // Named with its manager: a user manager's unit is stopped with `systemctl --user`, as its user.
      const known = [context.holders.get(owner.pid), context.holders.get(h.pid)].find((c) => c?.unit !== undefined);
      if (known?.unit?.endsWith('.service')) return describeUnit(known)!;
    }
    const owner = supervisor(newcomers[0]!);
    if (owner === undefined)
      return `PID ${newcomers[0]!.pid}${this.self.ancestors.has(newcomers[0]!.pid) ? " (claim-port's own ancestor, which it never signals)" : ''}`;
    // The init of a PID namespace dies with it, and every process in it: its container or sandbox is what to stop.
    if (owner.pid === 1 || owner.namespacePid === 1)
      return `its supervisor (PID ${owner.pid}, the init of ${owner.pid === 1 ? "claim-port's" : 'a'} PID namespace: stop that container or sandbox, or the loop it runs)`;
    return `its supervisor (PID ${owner.pid})`;
  }

  /**
   * The result of a claim interrupted before it finished (options.signal): it
   * stopped where it was and sends nothing more (a holder it sent SIGTERM, and
   * SIGCONT when it was stopped, runs on as it is: never SIGKILLed, never left
   * stopped), says what it sent to whom, and whether the port is free now (one
   * read of its sockets, then a bind check without grace). `failed` whatever
   * the port: the claim did not finish (no settle window, no final check).
   */
  async interruptedResult(): Promise<ClaimResult> {
    const reason = this.options.signal?.reason;
    const by = typeof reason === 'string' ? reason : 'aborted';
    this.classify();
    for (const t of this.tracked) {
      if (t.signals.length === 0 && t.outcome === 'spared') t.reason = 'the claim was interrupted';
      // Signalled and running on, when the claim had not yet said what became of it (released, survived: act's end).
      else if (t.signals.length > 0 && t.outcome === 'spared') t.outcome = 'interrupted';
    }
    const sent = this.tracked.filter((t) => t.signals.length > 0);
    const done =
      sent.length === 0
        ? 'before anything was signalled'
        : `after sending ${sent.map((t) => `${listed(t.signals)} to ${this.who(t)} (${isGone(t) ? 'gone' : 'still running'})`).join(', ')}; nothing more was sent`;
    const message = `${typeof reason === 'string' ? `interrupted by ${escapeText(reason, 64)}` : 'aborted'} ${done}; ${await this.portNow()}`;
    return this.finish('failed', message, { interrupted: by });
  }

  /** Whether the port is free at this moment, in words: held (a socket on it), else the bind check without grace; "not known" when neither can be read. */
  async portNow(): Promise<string> {
    try {
      if ((await this.reader.listening(this.target.port, this.target.transport)).size > 0) return `${this.name} is still in use`;
      return (await this.bindable(0)).ok ? `${this.name} is free` : `${this.name} is still in use`;
    } catch {
      return `whether ${this.name} is free is not known`;
    }
  }

  async verify(): Promise<ClaimResult> {
    return this.bindsNow() ? this.freed() : this.verifySlowly();
  }

  /** The claim's success: free at exit, even if a holder that could not be signalled let go by itself. */
  freed(): ClaimResult {
    // One reading for both: the result's elapsedMs and the figure in its message.
    const elapsedMs = this.elapsed();
    const message = `${this.name} is free (${elapsedMs} ms)`;
    this.log(message);
    return this.finish('freed', message, { elapsedMs });
  }

  /**
   * Whether a server could bind the port right now, on this machine's own sockets (the default reader; a custom one
   * has its own view, which the tables it reads decide): a wildcard bind fails while any socket listens on the port
   * (TCP) or is bound to it (UDP), on any address, so a bind that succeeds says what a read of the tables would, that
   * nothing holds it, for a few syscalls instead of a read of each table (about 1 ms each on the VM of 2026-12-03).
   */
  bindsNow(): boolean {
    return this.options.reader === undefined && canBindSync(this.target.port, this.target.transport)?.ok === true;
  }

  /** verify() where the port does not bind at once: who holds it, or what keeps it from binding after a grace. */
  async verifySlowly(): Promise<ClaimResult> {
    // Name whoever still holds the port, even from a thread's own fd table.
    const after = await this.gatherOwners();
    if (after.listeners.length > 0) {
      const denied = this.tracked.filter((t) => t.outcome === 'permission-denied');
      if (denied.length > 0 && after.listeners.every((l) => l.holders.every((h) => denied.some((t) => t.info.pid === h.pid)))) {
        const why = this.euid === 0 ? 'even as root' : `as this user (uid ${this.euid}); run claim-port as root`;
        const message = `${this.name} is still in use: not permitted to signal ${denied.map((t) => `${this.who(t)} (user ${escapeText(t.info.user, 64)})`).join(', ')} ${why}`;
        this.log(message, 'error');
        return this.finish('failed', message);
      }
      // A holder that became protected before its SIGKILL (judgeAgain): it keeps the port, and the claim says why.
      const turned = this.tracked.filter((t) => t.protectedSince);
      if (turned.length > 0 && after.listeners.every((l) => l.holders.some((h) => turned.some((t) => t.info.pid === h.pid)))) {
        const message = `${this.name} is still in use by ${turned.map((t) => `${this.who(t)}, which changed since it was found (now ${t.changedTo ?? shownCommand(t.info)}) and is protected now: ${t.reason}`).join('; ')}; it was not killed`;
        this.log(message, 'error');
        return this.finish('failed', message);
      }
      return this.retaken(after);
    }
    const verdict = await this.waitOutTimeWaits(await this.bindable(BIND_GRACE_MS));
    if (!verdict.ok) return this.notBindable(verdict, `nothing holds ${this.name} any more`);
    return this.freed();
  }
}

/**
 * Free `portOrId` (a port, or a service id resolved with its env override):
 * SIGTERM every process holding it (TCP: listening; UDP: bound), SIGKILL what
 * remains after the timeout, watch for a supervisor taking it back, and
 * verify that a server could bind it. Never signals a protected process, and
 * never signals anyone when it refuses. Once `options.signal` is aborted it
 * stops where it is, sends nothing more, and resolves with what it did
 * (`interrupted`). Throws ClaimUsageError only for bad input; everything else
 * is in the result (see `action` and `message`).
 */
export function claimPort(portOrId: number | string, options?: ClaimOptions): Promise<ClaimResult> {
  const started = now();
  try {
    return claimChecked(portOrId, checkClaimArguments(portOrId, options), started);
  } catch (error) {
    return Promise.reject(error);
  }
}

/**
 * What is said of a holder stopped by a tracer (a debugger attached with `gdb -p`, state t) about to get SIGTERM: it
 * cannot act on it, and SIGCONT does not continue it, so the claim takes its whole timeout before the SIGKILL that ends
 * it (`gets`, or in a dry run `would get`).
 */
function traceStopped(timeoutSeconds: number, gets: string): string {
  return `is stopped by a tracer (a debugger: state t in /proc/PID/stat): it cannot act on SIGTERM until the tracer lets it go, and SIGCONT does not continue it, so it ${gets} SIGKILL only after the timeout (${timeoutSeconds} s); detach the debugger first, or claim with --force`;
}

/** `echo THAWED > DIR/freezer.state` (v1), `echo 0 > DIR/cgroup.freeze` (v2), for each directory to thaw, nearest first. */
function thawCommands(f: Frozen): string {
  const file = f.hierarchy === 'v1' ? 'freezer.state' : 'cgroup.freeze';
  // A word the shell reads back as the path: quoted, a control character or a byte that is not UTF-8 as $'\xNN'.
  return f.thaw.map((dir) => `echo ${f.hierarchy === 'v1' ? 'THAWED' : '0'} > ${printedShellWord(`${dir}/${file}`)}`).join('; ');
}

/** What is said of a holder frozen by cgroup v1's freezer: no signal acts on it, SIGKILL included, until it is thawed. */
function frozenV1(f: Frozen, name: string): string {
  return `is frozen by the cgroup freezer at ${escapeText(f.cgroup, 300)} (freezer.state ${f.state ?? 'FROZEN'}; \`docker pause\` on a cgroup v1 host does this): no signal acts on it until it is thawed, SIGKILL included; thaw it (${thawCommands(f)}; \`docker unpause\` for a paused container) and claim ${name} again`;
}

/**
 * What is said of a holder frozen by cgroup v2's freezer (`cgroup.freeze`) about to get SIGTERM: SIGKILL ends it (and
 * SIGTERM, when it has no handler for it), but a handler runs only once it is thawed. v1: see frozenV1 (refused).
 */
function frozenWarning(f: Frozen, timeoutSeconds: number, gets: string): string {
  return `is frozen by the cgroup freezer at ${escapeText(f.cgroup, 300)} (cgroup v2, cgroup.events frozen 1): a SIGTERM handler it has runs only once it is thawed, so it ${gets} SIGKILL, which ends a frozen process, after the timeout (${timeoutSeconds} s); thaw it first (${thawCommands(f)}), or claim with --force`;
}

async function claimChecked(portOrId: number | string, options: ClaimOptions, started: number): Promise<ClaimResult> {
  const userLog = options.log ?? (() => {});
  // The common case, a numeric port nobody holds, is answered by a bind check
  // alone: no registry, no socket table, no process scan (service start-up time).
  const look = options.listening ? { listening: options.listening } : await earlyLook(portOrId, options, started);
  if (look && 'free' in look) {
    userLog(look.free.message, 'info', look.free.port);
    return look.free;
  }
  const early = look?.listening;
  let target: Target;
  try {
    target = await resolveTarget(portOrId, options, (line, known) => userLog(line, 'warn', known));
  } catch (error) {
    early?.holders?.cancel();
    throw error;
  }
  const claim = new Claim(target, options, started, userLog);
  const { port, transport } = target;

  // 1. Gather: the sockets, their holders (by the scan the first look started), and what surrounds each holder.
  const seen = early?.port === port && transport === 'tcp' && !options.reader ? early : undefined;
  if (seen === undefined) early?.holders?.cancel();
  claim.found = await claim.gather(seen);
  if (claim.found.listeners.length === 0) {
    let verdict = await claim.bindable(0);
    const left = claim.endingLeft(verdict);
    if (options.dryRun && left !== undefined && claim.timeWaitFits(left)) {
      const { named, keep, it } = endingWords(verdict.blockers);
      const message = `dry run: nothing listens on ${claim.name}, but ${named} ${keep} a server from binding it for ${seconds(left)} s more: a real run waits for the kernel to end ${it} (within the ${target.timeoutSeconds} s timeout)`;
      claim.log(message);
      return claim.finish('would-free', message);
    }
    const waited = !options.dryRun && left !== undefined && claim.timeWaitFits(left);
    const ended = verdict.blockers.every((b) => b.state === 'TIME_WAIT') ? 'TIME_WAITs' : 'closing connections';
    if (waited) verdict = await claim.waitOutTimeWaits(verdict);
    if (!verdict.ok)
      return claim.refuseUnbindable(
        verdict,
        // UDP: a client's socket connected to a peer may be bound to it (a blocker, named next), but no server's.
        `${transport === 'udp' ? 'no server socket is bound to' : 'nothing listens on'} ${claim.name}${claim.reader.kind === 'lsof' ? ' that this user can see' : ''}`,
      );
    const message = `${claim.name} is free${waited ? ` (its ${ended} have ended)` : ''}; nothing to do`;
    claim.log(message);
    return claim.finish('already-free', message);
  }
  // Before anything reads claim-port's own PID or signals: the PIDs /proc gave must be the ones kill() reaches.
  const foreign = readForeignProc();
  if (foreign !== undefined) {
    claim.refusedLines([foreign]);
    return claim.finish('refused', `refused to free ${claim.name}: ${foreign}; nothing was signalled`);
  }
  const holders = distinctHolders(claim.found.listeners);
  const wantUsage = options.usage ?? options.log !== undefined;
  // pidusage runs while the context is read and the plan made; it is only for the log.
  const usage = wantUsage && holders.length > 0 ? claim.reader.usage(holders.map((h) => h.pid)) : undefined;
  const [context, ancestors] = await Promise.all([
    gatherContext(holders, options.env ?? process.env, undefined, { port, transport }),
    claim.reader.ancestors(process.pid),
  ]);
  claim.self = { pid: process.pid, ancestors: new Set(ancestors) };
  if (context.ownUnit !== undefined) claim.ownUnit = context.ownUnit;
  const stats = await usage;
  const otherPorts = claim.otherPortsOf(claim.found, holders);
  claim.tracked = holders.map((h) => ({
    info: h,
    context: context.holders.get(h.pid) ?? {},
    ...(throughRingOnly(h.pid, claim.found.listeners) && { throughRing: true as const }),
    ...(otherPorts.has(h.pid) && { otherPorts: otherPorts.get(h.pid)! }),
    signals: [],
    outcome: 'spared',
    ...(stats?.[h.pid] && { cpu: Math.round(stats[h.pid]!.cpu * 10) / 10 }),
    // A zombie leader's RSS reads 0 (its memory went with its main thread; its other threads keep theirs): no figure rather than a false one.
    ...(stats?.[h.pid] && h.state !== 'Z' && { memory: stats[h.pid]!.memory }),
  }));
  // Interrupted (options.signal) while the port was read, or at any step below: it stops there, sends nothing more, and says what it did.
  if (claim.interrupted) return claim.interruptedResult();

  // 2. Plan (pure).
  const plan = planClaim({
    port,
    transport,
    listeners: claim.found.listeners,
    unreadable: claim.found.unreadable,
    wanderers: claim.wanderers(),
    policy: target.policy,
    self: claim.self,
    uid: claim.uid,
    euid: claim.euid,
    asRoot: claim.asRoot,
    ...(claim.undumpable() !== undefined && { undumpable: claim.undumpable() }),
    context,
    otherPorts,
    ...(target.service !== undefined && { service: target.service }),
  });
  claim.describeHolders();
  for (const line of restartWarnings(context, options.settleMs ?? SETTLE_MS)) claim.log(line, 'warn');
  if (plan.kind !== 'free') claim.unmask(plan.disguised);
  if (plan.kind === 'signal') claim.noteHandedOver(plan.handedOver);
  if (plan.kind === 'signal') claim.noteOtherPorts(claim.tracked);
  if (plan.kind === 'signal') claim.noteLiftedProtection(claim.tracked);
  if (plan.kind === 'refuse') return claim.refuse(plan);
  const blocked = plan.kind === 'signal' ? (claim.refuseIfBlocked(plan) ?? claim.refuseIfFrozen()) : undefined;
  if (blocked) return blocked;
  if (options.dryRun) {
    const first = options.force ? 'SIGKILL' : 'SIGTERM';
    for (const t of claim.tracked) {
      t.outcome = 'would-signal';
      claim.log(`dry run: would send ${first} to ${claim.who(t)}: ${shownCommand(t.info)}`);
      // A stopped holder: what a real run does about it (SIGKILL acts on any; SIGTERM on a stopped one only once it runs).
      if (first !== 'SIGTERM') continue;
      if (claim.processes.isStopped?.(t.info))
        claim.log(`dry run: ${claim.who(t)} is stopped (SIGSTOP, Ctrl-Z): a real run sends it SIGCONT right after SIGTERM, so that it can act on it`);
      else if (claim.processes.isTraceStopped?.(t.info)) claim.log(`dry run: ${claim.who(t)} ${traceStopped(target.timeoutSeconds, 'would get')}`, 'warn');
      else {
        const frozen = claim.processes.frozen?.(t.info);
        if (frozen !== undefined) claim.log(`dry run: ${claim.who(t)} ${frozenWarning(frozen, target.timeoutSeconds, 'would get')}`, 'warn');
      }
    }
    // What the settle window of a real run would watch for (step 7 of the README): a live parent that may start a holder again.
    for (const { parent, children } of claim.restartingParents(claim.tracked))
      claim.log(
        `dry run: PID ${parent.pid} (${shownName(parent)}), the parent of ${listed(children.map((t) => `PID ${t.info.pid}`))}, is still running and may start ${children.length > 1 ? 'them' : 'it'} again: a real run watches ${claim.name} for ${options.settleMs ?? SETTLE_MS} ms after the holders are gone, and fails if it is taken again (stop PID ${parent.pid} first if it would)`,
        'warn',
      );
    // And PID 1, when it started a holder (a container's loop): the window watches it too (restartingInit).
    const byInit = claim.tracked.flatMap((t) => {
      const init = claim.initOf(t);
      return init === undefined ? [] : [{ holder: t.info.pid, init }];
    });
    if (byInit.length > 0)
      claim.log(
        `dry run: PID 1 (${shownName(byInit[0]!.init)}), no service manager, started ${byInit.map((b) => `PID ${b.holder}`).join(', ')} and may start ${byInit.length > 1 ? 'them' : 'it'} again: a real run watches ${claim.name} for ${options.settleMs ?? SETTLE_MS} ms after the holders are gone, and fails if it is taken again (stop the loop PID 1 runs, or its container, first if it would)`,
        'warn',
      );
    return claim.finish('would-free', `dry run: would send ${first} to ${claim.tracked.map((t) => claim.who(t)).join(', ')} to free ${claim.name}`);
  }

  // 3. Act, 4. settle, 5. verify. A signal that comes during the final check changes nothing: the claim has decided.
  await claim.act();
  await claim.settle();
  return claim.interrupted ? claim.interruptedResult() : claim.verify();
}

/**
 * How a holder changed since it was found, as the log says it: by its command
 * line when that changed (an exec), else by what did change, its name (comm,
 * prctl PR_SET_NAME) or its program, so that the line never reads as "now X
 * (was X)".
 */
function changeOf(before: ProcessInfo, now: ProcessInfo): { now: string; was: string } {
  if (now.command !== before.command) return { now: shownCommand(now), was: shownCommand(before) };
  const same = `, the same command line: ${shownCommand(now)}`;
  if (now.comm !== before.comm) return { now: `named ${quoteValue(now.comm, 64)}${same}`, was: `named ${quoteValue(before.comm, 64)}` };
  return { now: `running ${quoteValue(now.exe ?? '?', 200)}${same}`, was: `running ${quoteValue(before.exe ?? '?', 200)}` };
}

/** For a caller that already has the context (tests). */
export type { ClaimContext };

/** systemd (the system's or a user's manager) or init, by the program it runs (isServiceManager); a process of any other name is no such manager. */
function isServiceManagerProcess(p: ProcessInfo): boolean {
  if (!(p.comm === 'systemd' || p.comm === 'init' || p.exe === 'systemd' || p.exe === 'init')) return false;
  return isServiceManager(readExecutable(p.pid, p.startTime));
}

/**
 * Polls `done` until it is true (true), the deadline passes or `signal` is aborted (false); an abort ends the sleep
 * between polls at once. A poll also lands at `mark` (the end of the settle window), not up to an interval after it.
 */
async function pollUntilAsync(done: () => Promise<boolean>, deadline: number, maxIntervalMs: number, signal?: AbortSignal, mark?: number): Promise<boolean> {
  let interval = 1;
  for (;;) {
    if (signal?.aborted) return false;
    if (await done()) return true;
    const at = now();
    const left = deadline - at;
    if (left <= 0 || signal?.aborted) return false;
    await pause(Math.min(interval, left, mark !== undefined && mark > at ? mark - at : Number.POSITIVE_INFINITY), signal);
    interval = Math.min(interval * 1.5, maxIntervalMs);
  }
}

/** Waits `ms`, or until `signal` is aborted. */
function pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise<void>((resolve) => {
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
  });
}
