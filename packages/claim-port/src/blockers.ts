// Free means bindable: after a claim (and for a port nothing listens on),
// claim-port binds the port the way a server would (see canBind in
// @dsa110/ports/system). When that fails, this names what blocks it: a
// socket bound but not listening, or a connection using the port as its local
// port, with the PIDs that hold them where they can be seen.
import { readFileSync } from 'node:fs';
import {
  canBind,
  canBindAddressSync,
  formatEndpoint,
  readPortSockets,
  readProcessInfo,
  scanSocketHolders,
  type BindCheck,
  type Listener,
  type PortSocket,
  type ProcessInfo,
  type SocketLinks,
  type Transport,
  unlistedSocketHolders,
  type UnexaminedReason,
  type UnlistedHolders,
} from '@dsa110/ports/system';
import { shownCommand } from './plan.js';
import { INHERITED } from './policy.js';
import { shownName } from './shown-name.js';
import { now } from './watch.js';

type BlockerHolder = Pick<ProcessInfo, 'pid' | 'comm' | 'command' | 'argv' | 'exe'>;

/** What a blocker's line says of a process: its argv too, so that shownCommand quotes its arguments as the holder lines do. */
const blockerHolder = (p: ProcessInfo): BlockerHolder => ({ pid: p.pid, comm: p.comm, command: p.command, argv: p.argv, exe: p.exe });

/** A reader of holders by PID, each process read once (a holder often holds several of the port's sockets); none for one gone. */
function holderReader(procRoot: string): (pid: number) => BlockerHolder[] {
  const info = new Map<number, ProcessInfo | undefined>();
  return (pid) => {
    if (!info.has(pid)) info.set(pid, readProcessInfo(pid, procRoot));
    const p = info.get(pid);
    return p ? [blockerHolder(p)] : [];
  };
}

export interface Blocker {
  /** `127.0.0.1:8000 bound, not listening`, `127.0.0.1:8000 -> 127.0.0.1:41234 (ESTABLISHED)`. */
  readonly socket: string;
  readonly holders: readonly BlockerHolder[];
  /**
   * A connection's other end, when it is on this machine (a loopback client):
   * its socket (`127.0.0.1:41234 (CLOSE_WAIT)`) and who holds it. Named, never
   * signalled: a half-closed connection keeps the port until that process
   * closes its end, or the kernel's timeout ends it.
   */
  readonly peer?: { readonly socket: string; readonly holders: readonly BlockerHolder[] };
  /** A process holds it that claim-port cannot identify (a socket the tables do not list, that no examined socket proved to be). */
  readonly unidentified?: boolean;
  /** Sockets out of the tables that could not be examined: `socket` says how many and why; processes hold them, none is named (none is proved to hold the port). */
  readonly unexamined?: boolean;
  /** A TIME_WAIT, or a FIN_WAIT2 held by no process: how long the kernel keeps it yet, in ms, as the socket table says (PortSocket.timeWaitLeftMs). */
  readonly timeWaitLeftMs?: number;
  /** A TCP connection's state, as the socket table shows it (`TIME_WAIT`, `FIN_WAIT2`, ...); not in the JSON (`socket` says it). */
  readonly state?: string;
  /**
   * A TCP connection held by no process, as the socket table itself says (inode 0: a TIME_WAIT, an orphan closing),
   * whoever can see the processes; not one whose holders this user cannot see. Not in the JSON.
   */
  readonly orphan?: boolean;
  /** A TCP connection's retransmit or zero-window probe timer, where one runs (PortSocket.retransmit): an orphan resending its FIN, or probing, lasts by it. Not in the JSON. */
  readonly retransmit?: PortSocket['retransmit'];
}

/** Pure: what a blocker says of a TCP connection (not of a socket bound, not listening): its state, and whether no process holds it. */
function connectionFacts(socket: PortSocket): Pick<Blocker, 'state' | 'orphan' | 'timeWaitLeftMs' | 'retransmit'> {
  if (socket.transport !== 'tcp' || socket.state === 'CLOSE') return {};
  return {
    state: socket.state,
    orphan: socket.inode === 0,
    ...(socket.timeWaitLeftMs !== undefined && { timeWaitLeftMs: socket.timeWaitLeftMs }),
    ...(socket.retransmit !== undefined && { retransmit: socket.retransmit }),
  };
}

/** Pure: a blocker as a claim's result gives it (ClaimResult.blockers, the JSON): without what only claim-port's rules read. */
export function reportedBlocker({
  state: _state,
  orphan: _orphan,
  retransmit: _retransmit,
  ...blocker
}: Blocker): Omit<Blocker, 'state' | 'orphan' | 'retransmit'> {
  return blocker;
}

export interface BindVerdict {
  readonly ok: boolean;
  /** `0.0.0.0: EADDRINUSE` */
  readonly reason?: string;
  readonly code?: string;
  /** What holds the port without listening on it (the /proc reader only). */
  readonly blockers: readonly Blocker[];
  /** The bind could not be tried (EACCES: a privileged port as non-root): decided from the socket tables alone. */
  readonly untestable?: boolean;
}

/** How long a TCP connection stays in TIME_WAIT on Linux (TCP_TIMEWAIT_LEN, fixed: no sysctl changes it), in seconds. */
export const TIME_WAIT_SECONDS = 60;

/**
 * How late the kernel may end a TIME_WAIT after the time its socket table shows, in ms: the timer wheel fires a
 * timer armed TIME_WAIT_SECONDS ahead at the end of its level's granule, up to 512 ticks later (5.12 s at HZ 100,
 * 2.05 s at HZ 250, 4.1 s at HZ 1000), and a little more for the timer softirq.
 */
export const TIME_WAIT_SLACK_MS = 5500;

/**
 * Pure: what to do about connections alone that the kernel ends by itself (endingLeftMs: `blockers`, the longest with
 * `leftMs` left) and that keep a server from binding `name`: nobody holds them, so nothing is to be stopped. A bind with
 * SO_REUSEADDR (claim-port's check binds so, as servers do) passes such a connection unless its socket was made without
 * SO_REUSEADDR (Linux keeps the flag with it: a server's accepted connections take the listener's), so the lasting fix
 * is the program that made it setting SO_REUSEADDR.
 */
export function endingAdvice(blockers: readonly Blocker[], name: string, leftMs: number): string {
  const { it } = endingWords(blockers);
  const states = [...new Set(blockers.map((b) => b.state ?? 'connection'))].join(' or ');
  const resent = blockers.filter((b) => b.orphan === true && b.state !== undefined && resendsFin(b.state, false, b.retransmit)).length;
  const probedAll = blockers.filter(probedOrphan);
  const silent = probedAll.filter(unansweredProbes);
  const probed = probedAll.length - silent.length;
  const all = blockers.length;
  const reasons = [
    ...(resent === 0 ? [] : [`${whose(resent, all)} not acknowledged ${resent > 1 ? 'their FINs' : 'its FIN'}, which the kernel resends`]),
    ...(probed === 0
      ? []
      : [`${whose(probed, all)} not read what ${probed > 1 ? 'they were' : 'it was'} sent (a full receive window), which the kernel probes`]),
    ...(silent.length === 0
      ? []
      : [`${whose(silent.length, all)} not answered ${probesInARow(silent)} (the peer or the path gone, or the packets dropped), which the kernel sends`]),
  ];
  const why = reasons.length === 0 ? '' : `: ${reasons.join('; ')} until net.ipv4.tcp_orphan_retries gives up`;
  return `wait for the kernel to end ${it} (for ${seconds(leftMs)} s more${why}) and claim ${name} again, or claim it with a --timeout that long; a ${states} keeps even a server that sets SO_REUSEADDR from binding only when its own socket was made without SO_REUSEADDR, so a program that sets SO_REUSEADDR before it binds leaves none behind`;
}

/** Pure: whose peers, of `all` connections, `count` are, with the verb: `its peer has`, `the peers of 2 of them have`. */
function whose(count: number, all: number): string {
  if (count === all) return all > 1 ? 'their peers have' : 'its peer has';
  return count === 1 ? 'the peer of one of them has' : `the peers of ${count} of them have`;
}

/**
 * Pure: how connections that endingLeftMs waits for are named, and the words that agree with them: `1 FIN_WAIT2`,
 * `keeps`, `it`; `2 TIME_WAITs`, `keep`, `them`.
 */
export function endingWords(blockers: readonly Blocker[]): { named: string; keep: string; it: string } {
  const many = blockers.length > 1;
  return { named: endingNamed(blockers), keep: many ? 'keep' : 'keeps', it: many ? 'them' : 'it' };
}

/** Pure: ms as whole seconds, rounded up (`for 5 s more` where 4.1 s are left), at least 1. */
export function seconds(ms: number): number {
  return Math.max(1, Math.ceil(ms / 1000));
}

/** net.ipv4.tcp_fin_timeout's default, in seconds: how long the kernel keeps an orphan's FIN_WAIT2. */
export const FIN_TIMEOUT_SECONDS = 60;

/**
 * How long the kernel keeps a connection in FIN_WAIT2 once no process holds it (closed first, its peer keeping its
 * end open), in ms: net.ipv4.tcp_fin_timeout of claim-port's network namespace (each namespace has its own), its
 * default where it cannot be read.
 */
export function readFinTimeoutMs(procRoot = '/proc'): number {
  try {
    const value = Number(readFileSync(`${procRoot}/sys/net/ipv4/tcp_fin_timeout`, 'utf8').trim());
    if (Number.isSafeInteger(value) && value >= 0) return value * 1000;
  } catch {}
  return FIN_TIMEOUT_SECONDS * 1000;
}

/** tcp_fin_timeout in ms, read from `procRoot` (readFinTimeoutMs) the first time it is asked for, never before. */
export function finTimeoutReader(procRoot = '/proc'): () => number {
  let ms: number | undefined;
  return () => (ms ??= readFinTimeoutMs(procRoot));
}

/** net.ipv4.tcp_orphan_retries's default: 0, which the kernel takes as 8 while the connection's RTO is below TCP_RTO_MAX. */
export const ORPHAN_RETRIES_DEFAULT = 0;

/**
 * How many times the kernel resends an orphan's unacknowledged FIN (a budget of time, see resendingLeftMs):
 * net.ipv4.tcp_orphan_retries of claim-port's network namespace (each namespace has its own), its default where it
 * cannot be read.
 */
export function readOrphanRetries(procRoot = '/proc'): number {
  try {
    const value = Number(readFileSync(`${procRoot}/sys/net/ipv4/tcp_orphan_retries`, 'utf8').trim());
    if (Number.isSafeInteger(value) && value >= 0) return value;
  } catch {}
  return ORPHAN_RETRIES_DEFAULT;
}

/** tcp_orphan_retries, read from `procRoot` (readOrphanRetries) the first time it is asked for, never before. */
export function orphanRetriesReader(procRoot = '/proc'): () => number {
  let retries: number | undefined;
  return () => (retries ??= readOrphanRetries(procRoot));
}

/**
 * TCP_RTO_MIN and TCP_RTO_MAX (include/net/tcp.h), in ms: the kernel's bounds on a retransmission timeout. TCP_RTO_MAX
 * is also net.ipv4.tcp_rto_max_ms's default (Linux 6.15+), which caps the RTO instead where it is lower.
 */
const RTO_MIN_MS = 200;
export const RTO_MAX_MS = 120_000;

/**
 * The RTO's ceiling, in ms: net.ipv4.tcp_rto_max_ms of claim-port's network namespace (Linux 6.15+; each namespace has
 * its own, and a socket takes it when it is made), TCP_RTO_MAX where the file is absent or unreadable.
 */
export function readRtoMaxMs(procRoot = '/proc'): number {
  try {
    const value = Number(readFileSync(`${procRoot}/sys/net/ipv4/tcp_rto_max_ms`, 'utf8').trim());
    if (Number.isSafeInteger(value) && value > 0) return Math.min(value, RTO_MAX_MS);
  } catch {}
  return RTO_MAX_MS;
}

/** tcp_rto_max_ms, read from `procRoot` (readRtoMaxMs) the first time it is asked for, never before. */
export function rtoMaxReader(procRoot = '/proc'): () => number {
  let ms: number | undefined;
  return () => (ms ??= readRtoMaxMs(procRoot));
}

/**
 * Pure: how long after its first resend the kernel gives up on an orphan's unacknowledged FIN, in ms: tcp_model_timeout
 * (net/ipv4/tcp_timer.c), the time `retries` resends take from TCP_RTO_MIN doubling up to TCP_RTO_MAX, whatever the
 * connection's own RTO (and whatever tcp_rto_max_ms: the model keeps TCP_RTO_MAX).
 */
function resendBudgetMs(retries: number): number {
  const linear = Math.floor(Math.log2(RTO_MAX_MS / RTO_MIN_MS));
  if (retries <= linear) return (2 ** (retries + 1) - 1) * RTO_MIN_MS;
  return (2 ** (linear + 1) - 1) * RTO_MIN_MS + (retries - linear) * RTO_MAX_MS;
}

/**
 * Pure: how long at most an orphan lasts that resends a FIN its peer has not acknowledged (`retransmit`, its row's
 * timer: resent `count` > 0 times), in ms. The kernel checks at each firing of the timer whether the time since the
 * first resend has reached resendBudgetMs of `orphanRetries` (net.ipv4.tcp_orphan_retries; 0 is 8 while the RTO is
 * below `rtoMaxMs`, tcp_rto_max_ms, else none), ends the connection if so, and else resends it and doubles the RTO (up
 * to `rtoMaxMs`). The time since the first resend is not in the table: it is taken as the least it can be, the RTOs
 * since (each at least half the next) and the part of the current one gone, which foretells one firing too many
 * rather than one too few. The RTO the table shows is cut to 10 ms; the kernel's is at least TCP_RTO_MIN and a tick
 * (an RTT rounded up to a jiffy) before its doublings, which it is taken to be where the table agrees (where a route
 * or sysctl lowered the minimum, the table's is taken). Each firing may come up to a timer wheel granule late
 * (under 8/63 of its interval), counted too.
 */
export function resendingLeftMs(retransmit: NonNullable<PortSocket['retransmit']>, orphanRetries: number, rtoMaxMs = RTO_MAX_MS): number {
  const { count, leftMs } = retransmit;
  const doubled = Math.min(rtoMaxMs, (RTO_MIN_MS + 1) * 2 ** count);
  let rto = Math.max(retransmit.rtoMs, 10, retransmit.rtoMs + 10 >= RTO_MIN_MS * 2 ** count ? doubled : 0);
  let elapsed = rto * (1 - 2 ** (1 - Math.max(1, count))) + Math.max(0, rto - leftMs);
  let next = Math.min(leftMs, rto);
  let total = 0;
  // Bounded: each firing adds at least 10 ms to `elapsed`, and the budget of 255 retries (the sysctl's most) is finite.
  for (let firing = 0; firing < 10_000; firing++) {
    total += next + (rto * 8) / 63;
    elapsed += next;
    const retries = orphanRetries === 0 ? (rto < rtoMaxMs ? 8 : 0) : orphanRetries;
    if (elapsed >= resendBudgetMs(retries)) break;
    rto = Math.min(rto * 2, rtoMaxMs);
    next = rto;
  }
  return Math.ceil(total);
}

/** net.ipv4.tcp_retries2's default: the kernel stops doubling a zero-window probe's interval at that many doublings. */
export const RETRIES2_DEFAULT = 15;

/**
 * The most doublings of a zero-window probe's interval (tcp_send_probe0 stops the backoff there, orphan or not):
 * net.ipv4.tcp_retries2 of claim-port's network namespace (each namespace has its own), its default where it cannot
 * be read.
 */
export function readRetries2(procRoot = '/proc'): number {
  try {
    const value = Number(readFileSync(`${procRoot}/sys/net/ipv4/tcp_retries2`, 'utf8').trim());
    if (Number.isSafeInteger(value) && value >= 0) return value;
  } catch {}
  return RETRIES2_DEFAULT;
}

/** tcp_retries2, read from `procRoot` (readRetries2) the first time it is asked for, never before. */
export function retries2Reader(procRoot = '/proc'): () => number {
  let retries: number | undefined;
  return () => (retries ??= readRetries2(procRoot));
}

/**
 * Pure: how long at most an orphan lasts whose peer, alive, reads nothing (`probe`, its row's zero-window probe timer:
 * its receive window is full, so the data and FIN queued behind it wait), in ms; undefined where the kernel would not
 * end it by itself. tcp_probe_timer (net/ipv4/tcp_timer.c) probes, backing off from the RTO (at least TCP_RTO_MIN)
 * doubling up to `rtoMaxMs` (tcp_rto_max_ms), and ends an orphan at the firing where the RTO backed off has reached
 * `rtoMaxMs` (no longer "alive") and the backoff `orphanRetries` (tcp_orphan_retries; 0 then ends it at once). Its
 * probes count (icsk_probes_out, the row's `timeout` column; `retrnsmt` stays 0) gives up sooner only for a peer that
 * answers none: each answer resets it. The backoff itself is not in the table: it is taken as the least that fits the
 * time to the next probe, which foretells at most one interval too many rather than one too few. A backoff the
 * kernel would never reach (above `retries2`, net.ipv4.tcp_retries2, where tcp_send_probe0 stops it: a high
 * tcp_orphan_retries, or a tcp_retries2 too low for the RTO to reach `rtoMaxMs`) has no end; neither has a timer
 * longer than `rtoMaxMs` (a socket made under another tcp_rto_max_ms). Each firing may come up to a timer wheel
 * granule late (under 8/63 of its interval), counted too.
 */
export function probingLeftMs(
  retransmit: NonNullable<PortSocket['retransmit']>,
  orphanRetries: number,
  rtoMaxMs = RTO_MAX_MS,
  retries2 = RETRIES2_DEFAULT,
): number | undefined {
  const rto = Math.max(retransmit.rtoMs, 10);
  const interval = (backoff: number) => Math.min(Math.max(rto, RTO_MIN_MS) * 2 ** backoff, rtoMaxMs);
  const last = probingGivesUpAt(rto, orphanRetries, rtoMaxMs);
  if (last > retries2 || retransmit.leftMs > rtoMaxMs) return unansweredLeftMs(retransmit, orphanRetries, rtoMaxMs, retries2);
  let backoff = 0;
  while (backoff < last && interval(backoff) < retransmit.leftMs) backoff++;
  let total = retransmit.leftMs + (interval(backoff) * 8) / 63;
  for (let b = backoff + 1; b <= last; b++) total += (interval(b) * 71) / 63;
  return Math.ceil(total);
}

/**
 * Pure: where the backoff would never end an orphan probing, how long at most its probes still go unanswered before
 * tcp_probe_timer ends it (icsk_probes_out reaching tcp_orphan_retries, 8 where that is 0), in ms; undefined where
 * the peer answered the last one (`unanswered` absent). A probe timer is no proof the peer reads nothing: a local
 * firewall dropping the orphan's packets runs it too, every probe unanswered, and the kernel ended such an orphan
 * 35 s after (tcp_retries2 5) where the backoff alone would have kept it for good. Each firing at the longest interval
 * the backoff allows, and a timer wheel granule late; should the peer answer after all, it is probed for good then,
 * which the final wait names.
 */
function unansweredLeftMs(retransmit: NonNullable<PortSocket['retransmit']>, orphanRetries: number, rtoMaxMs: number, retries2: number): number | undefined {
  // One is the probe in flight, which a peer that answers has not answered yet; two, a probe interval with no answer.
  const unanswered = retransmit.unanswered ?? 0;
  if (unanswered < 2) return undefined;
  const maxProbes = orphanRetries === 0 ? 8 : orphanRetries;
  const longest = Math.max(Math.min(Math.max(retransmit.rtoMs, RTO_MIN_MS) * 2 ** retries2, rtoMaxMs), retransmit.leftMs);
  return Math.ceil(retransmit.leftMs + (Math.max(0, maxProbes - unanswered) * longest * 71) / 63);
}

/**
 * Pure: the backoff at which tcp_probe_timer gives up on an orphan probing from an RTO of `rtoMs`: the first at or
 * above `orphanRetries` (tcp_orphan_retries) where the RTO backed off reaches `rtoMaxMs` (no longer "alive").
 */
function probingGivesUpAt(rtoMs: number, orphanRetries: number, rtoMaxMs: number): number {
  let last = orphanRetries;
  while (rtoMs * 2 ** last < rtoMaxMs) last++;
  return last;
}

/**
 * Pure: why the kernel may probe an orphan (`retransmit`, its probe timer) with no end that probingLeftMs can
 * foretell, in words, for a refusal: its timer is longer than tcp_rto_max_ms allows (made under another), or the
 * backoff at which tcp_probe_timer gives up is above tcp_retries2, where tcp_send_probe0 stops it.
 */
export function probedForGoodWhy(retransmit: NonNullable<PortSocket['retransmit']>, orphanRetries: number, rtoMaxMs: number, retries2: number): string {
  if (retransmit.leftMs > rtoMaxMs) {
    return `its probe timer is longer than net.ipv4.tcp_rto_max_ms (${rtoMaxMs} ms) allows: its socket was made under another, and when the kernel gives up on it cannot be told`;
  }
  const last = probingGivesUpAt(Math.max(retransmit.rtoMs, 10), orphanRetries, rtoMaxMs);
  return `the kernel gives up on it only at a probe backoff of ${last} (net.ipv4.tcp_orphan_retries ${orphanRetries}, tcp_rto_max_ms ${rtoMaxMs}), and net.ipv4.tcp_retries2 stops the backoff at ${retries2}`;
}

/**
 * Pure: what to do about orphans `blockers` that the kernel probes with no end foretold (probedForGoodWhy): their peers
 * reading what they were sent (the FIN queued behind it then goes, and the usual close follows) or closing their ends
 * (a close with unread data resets the connection).
 */
export function forGoodAdvice(blockers: readonly Blocker[], name: string): string {
  const many = blockers.length > 1;
  return `have ${many ? 'their peers' : 'its peer'} read what ${many ? 'they were' : 'it was'} sent or close ${many ? 'their ends' : 'its end'}, and claim ${name} again`;
}

/**
 * Pure: whether a probed orphan's last probes went unanswered (icsk_probes_out 2 or more; one is the probe in flight),
 * as unansweredLeftMs takes them: that says nothing of a full receive window, only that no answer came (a peer or a path
 * gone, or a local firewall dropping the packets, alike), so its peer is not said to read nothing.
 */
export function unansweredProbes(blocker: Blocker & { retransmit: NonNullable<PortSocket['retransmit']> }): boolean {
  return (blocker.retransmit.unanswered ?? 0) >= 2;
}

/** Pure: how many probes in a row the peers of `silent` (unansweredProbes) have not answered: `3 probes in a row`, `2 to 5 probes in a row each`. */
export function probesInARow(silent: readonly (Blocker & { retransmit: NonNullable<PortSocket['retransmit']> })[]): string {
  const counts = silent.map((b) => b.retransmit.unanswered ?? 0);
  const [least, most] = [Math.min(...counts), Math.max(...counts)];
  return `${least === most ? least : `${least} to ${most}`} probes in a row${silent.length > 1 ? ' each' : ''}`;
}

/** Pure: whether a blocker is an orphan probing a full receive window (its row's zero-window probe timer runs). */
export function probedOrphan(blocker: Blocker): blocker is Blocker & { retransmit: NonNullable<PortSocket['retransmit']> } {
  return blocker.orphan === true && blocker.state !== undefined && probes(blocker.state, false, blocker.retransmit);
}

/** Pure: whether a connection is an orphan probing a full receive window, its FIN queued (its zero-window probe timer runs). */
function probes(state: string, held: boolean, retransmit: PortSocket['retransmit']): retransmit is NonNullable<PortSocket['retransmit']> {
  return !held && FIN_SENT.has(state) && retransmit?.probe === true;
}

/** States of an orphan whose FIN the kernel resends until its peer acknowledges it, or tcp_orphan_retries ends it. */
const FIN_SENT = new Set(['FIN_WAIT1', 'CLOSING', 'LAST_ACK']);

/** Pure: whether a connection is an orphan resending its FIN, unacknowledged (its retransmit timer runs, resent at least once). */
function resendsFin(state: string, held: boolean, retransmit: PortSocket['retransmit']): retransmit is NonNullable<PortSocket['retransmit']> {
  return !held && FIN_SENT.has(state) && retransmit !== undefined && retransmit.probe !== true && retransmit.count > 0;
}

/**
 * States of a connection a process holds that closes first when its process goes (see endsByItselfMs). Not
 * CLOSE_WAIT: its peer closed first, so its close ends in LAST_ACK, then CLOSED, no TIME_WAIT.
 */
const CLOSING_FIRST = new Set(['ESTABLISHED', 'SYN_RECV', 'FIN_WAIT1', 'FIN_WAIT2', 'CLOSING']);

/**
 * Pure: how long at most a TCP connection on the port keeps a server from binding it once no process holds it, in
 * ms, where the kernel ends it by itself; undefined where it does not (one in LAST_ACK, or still in its listener's
 * accept queue: ESTABLISHED, SYN_RECV or CLOSE_WAIT with no holder, which the kernel resets when the listener closes,
 * leaving nothing). The one rule for the forecast before any signal (timeWaitsAfterClaim) and the wait after the
 * holders are gone (endingLeftMs): what it foretells, step 8 waits for.
 * - TIME_WAIT: the time its row says it has left (`leftMs`), else TIME_WAIT_SECONDS.
 * - FIN_WAIT2 held by no process (an orphan closed first whose peer keeps its end open): the time its row says it has
 *   left, else `finTimeoutMs` (net.ipv4.tcp_fin_timeout); if its peer closes meanwhile, a TIME_WAIT of
 *   TIME_WAIT_SECONDS follows, which is then waited for only where it fits.
 * - FIN_WAIT1 or CLOSING held by no process (its FIN not yet acknowledged; the kernel resends it, and a loopback peer
 *   acknowledges it at once), and a connection that `held` (CLOSING_FIRST) closes first once its holders are gone:
 *   the longer of a TIME_WAIT (its peer closes too) and a FIN_WAIT2 (its peer keeps its end open).
 * - FIN_WAIT1, CLOSING or LAST_ACK held by no process whose FIN the kernel has resent already (`retransmit`: its peer
 *   has not acknowledged it through a resend, its timer runs: a peer that drops packets, or is gone): until
 *   tcp_orphan_retries ends it (resendingLeftMs, `orphanRetries`), which may be far longer than the above, or far
 *   shorter. Should its peer acknowledge it after all, a FIN_WAIT1 or CLOSING goes on to a FIN_WAIT2 or a TIME_WAIT,
 *   which step 8 then names if it outlasts the wait.
 * - Such an orphan whose peer, alive, reads nothing (`retransmit.probe`: the kernel probes its full receive window):
 *   until tcp_orphan_retries ends it (probingLeftMs), minutes by default; undefined where it would not.
 * `finTimeoutMs`, `orphanRetries`, `rtoMaxMs` (net.ipv4.tcp_rto_max_ms) and `retries2` (net.ipv4.tcp_retries2) are
 * called only for a row whose time they bear on (their readers read the file then, once).
 */
export function endsByItselfMs(
  state: string,
  held: boolean,
  leftMs: number | undefined,
  finTimeoutMs: () => number,
  retransmit?: PortSocket['retransmit'],
  orphanRetries: () => number = orphanRetriesReader(),
  rtoMaxMs: () => number = rtoMaxReader(),
  retries2: () => number = retries2Reader(),
): number | undefined {
  if (!endsByItself(state, held, retransmit)) return undefined;
  if (state === 'TIME_WAIT') return leftMs ?? TIME_WAIT_SECONDS * 1000;
  if (state === 'FIN_WAIT2' && !held) return leftMs ?? finTimeoutMs();
  if (probes(state, held, retransmit)) return probingLeftMs(retransmit, orphanRetries(), rtoMaxMs(), retries2());
  if (resendsFin(state, held, retransmit)) return resendingLeftMs(retransmit, orphanRetries(), rtoMaxMs());
  return Math.max(TIME_WAIT_SECONDS * 1000, finTimeoutMs());
}

/**
 * Pure: whether endsByItselfMs may have a time for such a row, without asking for tcp_fin_timeout or
 * tcp_orphan_retries: it has, but for an orphan probing that tcp_orphan_retries keeps for good (probingLeftMs).
 */
function endsByItself(state: string, held: boolean, retransmit?: PortSocket['retransmit']): boolean {
  if (state === 'TIME_WAIT') return true;
  if (held) return CLOSING_FIRST.has(state);
  return state === 'FIN_WAIT2' || state === 'FIN_WAIT1' || state === 'CLOSING' || resendsFin(state, held, retransmit) || probes(state, held, retransmit);
}

/**
 * Pure: where every one of `blockers` is a connection held by no process that the kernel ends by itself
 * (endsByItselfMs: a TIME_WAIT, an orphan's FIN_WAIT2, ...), the longest time one has left, in ms; else undefined.
 * Held by no process as the socket table says (`orphan`: inode 0), not as far as this user can see: a FIN_WAIT2 that a
 * process holds, out of this user's sight, stays as long as that process holds it (tcp_fin_timeout ends orphans
 * only). Its other end may be held (a client that keeps its end of a FIN_WAIT2 open): nothing on the port is to be
 * stopped.
 */
export function endingLeftMs(
  blockers: readonly Blocker[],
  finTimeoutMs: () => number,
  orphanRetries: () => number = orphanRetriesReader(),
  rtoMaxMs: () => number = rtoMaxReader(),
  retries2: () => number = retries2Reader(),
): number | undefined {
  if (blockers.length === 0) return undefined;
  let longest = 0;
  for (const { state, orphan, timeWaitLeftMs, retransmit } of blockers) {
    const ms =
      orphan === true && state !== undefined
        ? endsByItselfMs(state, false, timeWaitLeftMs, finTimeoutMs, retransmit, orphanRetries, rtoMaxMs, retries2)
        : undefined;
    if (ms === undefined) return undefined;
    longest = Math.max(longest, ms);
  }
  return longest;
}

/** Pure: connections that endingLeftMs waits for, counted by state: `1 TIME_WAIT`, `2 TIME_WAITs and 1 FIN_WAIT2`. */
export function endingNamed(blockers: readonly Blocker[]): string {
  const counts = new Map<string, number>();
  for (const blocker of blockers) {
    const state = blocker.state ?? 'socket';
    counts.set(state, (counts.get(state) ?? 0) + 1);
  }
  const order = (state: string) => (state === 'TIME_WAIT' ? 0 : 1);
  return [...counts]
    .sort(([a], [b]) => order(a) - order(b))
    .map(([state, count]) => `${count} ${state}${count > 1 ? 's' : ''}`)
    .join(' and ');
}

/** Pure: how a blocking socket is named. */
export function describeSocket(socket: PortSocket): string {
  const local = `${formatEndpoint(socket.address, socket.port)}${socket.transport === 'udp' ? '/udp' : ''}`;
  if (socket.transport === 'udp') return `${local} bound${socket.remote ? ` and connected to ${socket.remote}` : ''}`;
  if (socket.state === 'CLOSE') return `${local} bound, not listening`;
  return `${local} -> ${socket.remote ?? '?'} (${socket.state}, a connection using the port as its local port)`;
}

/**
 * The sockets that can make a bind of `port` fail: not LISTEN (those are the
 * claim's) and not TIME_WAIT (SO_REUSEADDR passes those, unless the socket
 * itself was made without it: a TIME_WAIT is named when nothing else is), each
 * with its holders and, for a connection whose other end is on this machine,
 * that end and its holders (one scan of /proc for both).
 */
export function readBlockers(port: number, transport: Transport, procRoot = '/proc'): Blocker[] {
  let sockets: PortSocket[];
  let peers: (PortSocket | undefined)[];
  try {
    const all = readPortSockets(port, transport, procRoot).filter((s) => s.state !== 'LISTEN');
    sockets = all.filter((s) => s.state !== 'TIME_WAIT');
    if (sockets.length === 0) sockets = all;
    peers = sockets.map((socket) => peerOf(socket, procRoot));
  } catch {
    return [];
  }
  const scan = scanSocketHolders(
    [...sockets, ...peers].flatMap((s) => (s === undefined || s.inode === 0 ? [] : [s.inode])),
    { procRoot },
  );
  const holder = holderReader(procRoot);
  const holdersOf = (socket: PortSocket) => (scan.holders.get(socket.inode) ?? []).flatMap(holder);
  return sockets.map((socket, index) => {
    const peer = peers[index];
    return {
      socket: describeSocket(socket),
      holders: holdersOf(socket),
      ...connectionFacts(socket),
      ...(peer && { peer: { socket: `${formatEndpoint(peer.address, peer.port)} (${peer.state})`, holders: holdersOf(peer) } }),
    };
  });
}

/**
 * A TCP connection's other end, when it is on this machine: the row of the
 * socket tables whose local end is this one's remote and whose remote is this
 * one's local end (a loopback client's socket, in this network namespace).
 */
function peerOf(socket: PortSocket, procRoot: string): PortSocket | undefined {
  if (socket.transport !== 'tcp' || socket.remote === undefined) return undefined;
  // Both ends as the table's reader writes them (formatEndpoint: IPv6 in brackets).
  const port = Number(socket.remote.slice(socket.remote.lastIndexOf(':') + 1));
  if (!Number.isInteger(port) || port < 1 || port > 65535) return undefined;
  const local = formatEndpoint(socket.address, socket.port);
  return readPortSockets(port, 'tcp', procRoot).find((s) => formatEndpoint(s.address, s.port) === socket.remote && s.remote === local);
}

/**
 * A TCP socket bound but not listening is in no /proc/net table: name the
 * processes proved to hold one bound to the port (see unlistedSocketHolders
 * in @dsa110/ports/system), never a guess among the processes that hold some
 * unlisted socket (any process may, on any port, and a socket's network
 * namespace need not be its process's); when none is proved, say that a
 * process claim-port cannot identify holds it.
 */
function unlistedBlockers(port: number, procRoot = '/proc'): Blocker[] {
  const socket = "a socket bound to the port but not listening (the kernel's tables do not list such sockets)";
  let holders: Blocker['holders'];
  try {
    // claim-port itself among them (a socket it inherited) is named as such (describeBlockers), never "cannot identify".
    holders = unlistedSocketHolders(port, procRoot).holders.flatMap((pid) => {
      const p = readProcessInfo(pid, procRoot);
      return p ? [blockerHolder(p)] : [];
    });
  } catch {
    holders = [];
  }
  return [holders.length > 0 ? { socket, holders } : { socket, holders: [], unidentified: true }];
}

/**
 * Whether `port` binds now; a failure is retried for `graceMs` (sockets of
 * processes just killed take a moment to be torn down), then explained.
 */
export async function verifyBindable(
  port: number,
  transport: Transport,
  options: { procRoot?: string; graceMs?: number; tables: boolean },
): Promise<BindVerdict> {
  let check: BindCheck = await canBind(port, transport);
  if (!check.ok && check.code !== 'EACCES' && (options.graceMs ?? 0) > 0) {
    await pollUntilAsync(async () => (check = await canBind(port, transport)).ok, now() + options.graceMs!);
  }
  if (check.ok) return { ok: true, blockers: [] };
  let blockers = options.tables ? readBlockers(port, transport, options.procRoot) : [];
  if (options.tables && blockers.length === 0 && check.code === 'EADDRINUSE' && transport === 'tcp') blockers = unlistedBlockers(port, options.procRoot);
  // A privileged port cannot be test-bound without the privilege: the socket tables decide.
  if (check.code === 'EACCES' || check.code === 'EPERM') return { ...check, ok: blockers.length === 0, untestable: true, blockers };
  return { ok: false, ...(check.reason !== undefined && { reason: check.reason }), ...(check.code !== undefined && { code: check.code }), blockers };
}

async function pollUntilAsync(done: () => Promise<boolean>, deadline: number): Promise<boolean> {
  for (let interval = 2; ; interval = Math.min(interval * 1.5, 20)) {
    const left = deadline - now();
    if (left <= 0) return false;
    await new Promise<void>((resolve) => setTimeout(resolve, Math.min(interval, left)));
    if (await done()) return true;
  }
}

/** Pure: one line naming what blocks the port; `self`, claim-port's PID, is named as claim-port itself (a socket it inherited). */
export function describeBlockers(verdict: BindVerdict, euid: number, self = process.pid): string {
  if (verdict.blockers.length === 0) {
    return euid === 0
      ? `something this machine does not show holds it (not even to root: another network namespace's socket, or the /proc tables are unavailable)`
      : `its owner is not visible to this user (uid ${euid}); run claim-port as root to see it`;
  }
  const named = (holders: readonly BlockerHolder[]) =>
    holders
      .map((h) => (h.pid === self ? `claim-port itself (PID ${h.pid}), ${INHERITED}` : `PID ${h.pid} (${shownName(h)}): ${shownCommand(h, 1000)}`))
      .join('; ');
  return verdict.blockers
    .map(
      (b) =>
        `${b.socket}${b.unexamined ? '' : b.holders.length > 0 ? `, held by ${named(b.holders)}` : b.unidentified ? `, held by a process claim-port cannot identify${euid === 0 ? '' : ` (run claim-port as root to find it)`}` : euid === 0 || b.orphan ? ', held by no process (the kernel is still closing it)' : ', its owner is not visible to this user'}${b.peer !== undefined && b.peer.holders.length > 0 ? `, its other end ${b.peer.socket} held on this machine by ${named(b.peer.holders)} (not signalled)` : ''}`,
    )
    .join('; ');
}

/** What would be left on the port once a claim's holders are gone, found before any signal (see blockersAfterClaim). */
export interface StayingBlockers {
  /** Sockets that would keep a server from binding the port: the claim is refused over them, nobody signalled. */
  readonly certain: readonly Blocker[];
  /** Sockets that may (whether they do could not be told before the holders are gone): a warning, and the claim goes on. */
  readonly possible: readonly Blocker[];
  /**
   * Connections held by no process that the kernel ends by itself (a TIME_WAIT, an orphan's FIN_WAIT2, ...), on an
   * address no listener being freed overlaps, that a bind there with SO_REUSEADDR meets (their sockets were made
   * without it): they keep a server from binding the port until they end, with or without the claim (endingLeftMs).
   */
  readonly ending: readonly Blocker[];
  /** Every socket on the port as the tables showed them (any state), for timeWaitsAfterClaim; undefined where they could not be read. */
  readonly sockets?: readonly PortSocket[];
}

/**
 * Before any signal: the sockets on `port` that would outlive the claim's
 * holders (`signalled`: the PIDs it would signal; `listeners`: the sockets it
 * frees), and whether each would keep a server from binding the port once
 * they are gone (the bind of verifyBindable: the wildcard addresses, TCP with
 * SO_REUSEADDR, UDP without). A socket held only by processes the claim
 * signals goes with them (a server's accepted connections); one held by no
 * process is the kernel's (an orphan closing, a connection not yet accepted).
 *
 * TCP: whether a socket blocks such a bind depends on its SO_REUSEADDR, which
 * /proc does not show. A connection in the tables is tried with a bind of its
 * own local address and the port, as a server binds (SO_REUSEADDR), when that
 * address does not overlap a listener being freed (a listening socket
 * conflicts with every overlapping bind, so that bind would prove nothing):
 * EADDRINUSE means it blocks. One that does overlap one (a fork-per-connection
 * server's child keeping an accepted connection, which takes its listener's
 * flag), and one whose address that bind cannot take (a link-local address,
 * whose scope the table does not give; one removed from its interface), is
 * asked its own SO_REUSEADDR (`ownReuse`: socketReuseAddress, root
 * and perl): without it, it blocks; with it, it does not. A socket bound but not listening is in no table:
 * as root, each one proved bound to the port (unlistedSocketHolders) is
 * duplicated by perl with pidfd_getfd and asked its address and SO_REUSEADDR
 * (a socket without it blocks the bind; with it, it does not, as it does not
 * listen). What cannot be told is `possible`. A connection held by no
 * process that the kernel ends by itself (a TIME_WAIT, an orphan closing) is
 * tried the same way, once per address, where no listener being freed
 * overlaps it (a TIME_WAIT keeps its socket's SO_REUSEADDR; one made without
 * it cannot share an address with a listener that has it, which Linux would
 * not have let bind, unless both have SO_REUSEPORT): EADDRINUSE makes each one
 * there `ending` (the bind cannot tell which of them it met: the safe side).
 * `socketLinks`: every socket
 * link the claim's holder scan read (Gathered.socketLinks), so that the
 * connections' holders and the sockets out of the tables are found without
 * reading every fd table again.
 *
 * UDP: a server binds without SO_REUSEADDR, and every UDP socket on the port,
 * bound or connected to a peer, overlaps a wildcard bind of its family: each
 * one that outlives the holders blocks it.
 */
export function blockersAfterClaim(
  port: number,
  transport: Transport,
  listeners: readonly Listener[],
  signalled: ReadonlySet<number>,
  procRoot = '/proc',
  socketLinks?: SocketLinks,
  ownReuse?: (links: SocketLinks) => ReadonlyMap<number, boolean>,
): StayingBlockers {
  const certain: Blocker[] = [];
  const possible: Blocker[] = [];
  const ending: Blocker[] = [];
  const freed = new Set(listeners.map((l) => l.inode));
  let read: PortSocket[] | undefined;
  try {
    read = readPortSockets(port, transport, procRoot);
  } catch {
    read = undefined;
  }
  const all = read ?? [];
  const sockets = all.filter((s) => s.state !== 'LISTEN' && s.state !== 'TIME_WAIT' && !freed.has(s.inode));
  // Held by no process (inode 0) and ended by the kernel in time: a TIME_WAIT, an orphan closing (not one still in an
  // accept queue, which its listener's close resets). No file is opened for them, nor a bind tried, where there are none.
  const closing = all.filter((s) => s.inode === 0 && endsByItself(s.state, false, s.retransmit));
  const holders = connectionHolders(
    sockets.map((s) => s.inode).filter((inode) => inode !== 0),
    procRoot,
    socketLinks,
  );
  const holder = holderReader(procRoot);
  // claim-port itself among them (a socket it inherited) keeps it open through step 8's bind: it stays, as another's would.
  const held = sockets.map((socket) => ({ socket, pids: holders.get(socket.inode) ?? [] }));
  // Held by no process (the kernel's: an orphan closing, a connection not yet accepted; or out of this user's sight),
  // or only by the holders: goes with them.
  const staying = ({ pids }: { pids: readonly number[] }) => pids.length > 0 && !pids.every((pid) => signalled.has(pid));
  // Addresses a socket that goes with the holders is bound to: a probe there would meet that socket, not the one tried.
  const dying = new Set(held.filter((entry) => entry.pids.length > 0 && !staying(entry)).map(({ socket }) => socket.address));
  // Where a bind there would meet another socket first, no probe can tell: the connection's own SO_REUSEADDR does.
  const shadowed: { socket: PortSocket; blocker: Blocker }[] = [];
  for (const { socket, pids } of held) {
    if (!staying({ pids })) continue;
    const blocker: Blocker = { socket: describeSocket(socket), holders: pids.flatMap(holder), ...connectionFacts(socket) };
    if (transport === 'udp') certain.push(blocker);
    else if (listeners.some((l) => overlaps(l, socket.address)) || dying.has(socket.address)) shadowed.push({ socket, blocker });
    else {
      const probe = probeBind(socket.address, port);
      if (probe === 'in-use') certain.push(blocker);
      // An address that cannot be bound to try it (a link-local one, whose scope the table does not give: EINVAL; one
      // removed from its interface since: EADDRNOTAVAIL) still holds the port: its own SO_REUSEADDR decides, as above.
      else if (probe === 'unknown') shadowed.push({ socket, blocker });
    }
  }
  if (shadowed.length > 0) {
    const own =
      ownReuse === undefined || procRoot !== '/proc'
        ? new Map<number, boolean>()
        : ownReuse(
            linksOf(
              shadowed.map(({ socket }) => socket.inode),
              procRoot,
              socketLinks,
            ),
          );
    for (const { socket, blocker } of shadowed) {
      const reuse = own.get(socket.inode);
      // Without SO_REUSEADDR it blocks a server's bind (a fork-per-connection server's child keeping an accepted
      // connection: it takes its listener's flag); with it, a socket that does not listen lets that bind pass.
      if (reuse === false) certain.push(blocker);
      else if (reuse === undefined) possible.push(blocker);
    }
  }
  if (transport === 'tcp' && closing.length > 0) {
    const probes = new Map<string, ReturnType<typeof probeBind>>();
    for (const socket of closing) {
      // Over a listener being freed, or a connection that goes with the holders, a bind there would meet that socket.
      if (listeners.some((l) => overlaps(l, socket.address)) || dying.has(socket.address)) continue;
      let probe = probes.get(socket.address);
      if (probe === undefined) probes.set(socket.address, (probe = probeBind(socket.address, port)));
      if (probe === 'in-use') ending.push({ socket: describeSocket(socket), holders: [], ...connectionFacts(socket) });
    }
  }
  if (transport === 'tcp' && procRoot === '/proc') {
    const { bound, unexamined, because } = unlistedBound(port, signalled, new Set(all.map((s) => s.inode)), socketLinks);
    for (const found of bound) {
      const socket = found.address === undefined ? UNLISTED : `${formatEndpoint(found.address, port)} bound, not listening`;
      const blocker: Blocker = { socket, holders: found.pids.flatMap(holder) };
      if (found.reuse === false) certain.push(blocker);
      else if (found.reuse === undefined) possible.push(blocker);
    }
    // As root, sockets out of the tables that could not be examined (perl missing or failing, pidfd_getfd refused):
    // any may be bound to the port. Said, not taken for nothing (as another user, a claim signals only its own).
    if (unexamined > 0 && process.geteuid?.() === 0) possible.push({ socket: describeUnexamined(unexamined, because), holders: [], unexamined: true });
  }
  return { certain, possible, ending, ...(read !== undefined && { sockets: read }) };
}

const UNLISTED = "a socket bound to the port but not listening (the kernel's tables do not list such sockets)";

/** Why sockets out of the tables could not be examined, in words (see UnexaminedReason). */
const UNEXAMINED_BECAUSE: Readonly<Record<UnexaminedReason, string>> = {
  'not-proc': 'they are read from a tree that is not /proc',
  'no-perl': 'there is no /usr/bin/perl or /bin/perl to examine them',
  'timed-out': 'the examination timed out',
  'perl-failed': 'perl failed to examine them',
  'not-permitted': 'pidfd_getfd was not permitted',
  gone: 'their processes exited or closed them meanwhile',
  unreadable: 'their socket options could not be read',
};

/** Pure: how `count` sockets out of the tables that could not be examined (`because`) are named: sockets, not fds; held, not named. */
export function describeUnexamined(count: number, because: readonly UnexaminedReason[]): string {
  const why = because.map((reason) => UNEXAMINED_BECAUSE[reason]).join('; ');
  const they = count === 1 ? 'it' : 'one of them';
  return `${count} socket${count === 1 ? '' : 's'} out of the kernel's tables could not be examined${why ? ` (${why})` : ''}, and ${they} may be bound to the port`;
}

/**
 * Whether a bind of `address` would meet the listener: the same address, or a
 * wildcard of its family (`[::]` takes IPv4 too unless it is IPv6-only: an
 * IPv4-mapped address is shown as IPv4).
 */
function overlaps(listener: Pick<Listener, 'address' | 'dualStack'>, address: string): boolean {
  const v6 = (a: string) => a.includes(':');
  const a = listener.address;
  if (a === address) return true;
  if (a === '0.0.0.0') return !v6(address) || address === '::';
  if (a === '::') return v6(address) || listener.dualStack;
  return address === '0.0.0.0' ? !v6(a) : address === '::' ? v6(a) : false;
}

/**
 * A bind of `address`:`port` as a server binds (SO_REUSEADDR), closed at once: `in-use` for EADDRINUSE, `unknown` for
 * any other failure (the socket's own SO_REUSEADDR is then read instead, see blockersAfterClaim).
 */
function probeBind(address: string, port: number): 'free' | 'in-use' | 'unknown' {
  const check = canBindAddressSync(address, port, 'tcp');
  if (check === undefined) return 'unknown';
  return check.ok ? 'free' : check.code === 'EADDRINUSE' ? 'in-use' : 'unknown';
}

/** An unlisted TCP socket bound to the port, held by a process the claim does not signal: its address and SO_REUSEADDR where they could be read. */
interface UnlistedBound {
  readonly pids: readonly number[];
  readonly address?: string;
  readonly reuse?: boolean;
}

/**
 * Who holds each of the connections `inodes` (ascending PIDs): from the
 * claim's holder scan's links (`socketLinks`) when they hold every one of
 * them; else, or without links, from a scan of every fd table now. A busy
 * server's port has connections at every claim, and a second pass over every
 * fd table doubled the claim where a user had dup'd sockets into millions of
 * fds; a connection accepted since the holder scan is in no link, and then
 * every table is read again.
 */
function connectionHolders(inodes: readonly number[], procRoot: string, socketLinks: SocketLinks | undefined): ReadonlyMap<number, readonly number[]> {
  if (inodes.length === 0) return new Map();
  if (socketLinks !== undefined && inodes.every((inode) => socketLinks.has(inode))) {
    return new Map(inodes.map((inode) => [inode, [...socketLinks.get(inode)!.keys()].sort((a, b) => a - b)]));
  }
  return scanSocketHolders(inodes, { procRoot }).holders;
}

/** Which processes hold each of the sockets `inodes`, and at which fd: from the holder scan's links when they have them all, else from a scan now. */
function linksOf(inodes: readonly number[], procRoot: string, socketLinks: SocketLinks | undefined): SocketLinks {
  const links = inodes.every((inode) => socketLinks?.has(inode)) ? socketLinks : scanSocketHolders(inodes, { procRoot, socketLinks: true }).socketLinks;
  return new Map(inodes.flatMap((inode) => (links?.has(inode) ? [[inode, links.get(inode)!] as const] : [])));
}

/**
 * The unlisted TCP sockets bound to `port` that a process the claim does not
 * signal holds, each once, with its address and SO_REUSEADDR
 * (unlistedSocketHolders in @dsa110/ports/system, which proves them socket by
 * socket as root with perl, and skips its scan where /proc/net/sockstat shows
 * no TCP socket out of the tables). A survivor proved to hold one that could
 * not be read is one entry with neither: it may block.
 */
function unlistedBound(
  port: number,
  signalled: ReadonlySet<number>,
  listed: ReadonlySet<number>,
  socketLinks: SocketLinks | undefined,
): { bound: UnlistedBound[]; unexamined: number; because: readonly UnexaminedReason[] } {
  let found: UnlistedHolders;
  try {
    found = unlistedSocketHolders(port, '/proc', socketLinks);
  } catch {
    return { bound: [], unexamined: 0, because: [] };
  }
  // claim-port itself too: a socket it inherited stays open through step 8's bind.
  const survives = (pid: number) => !signalled.has(pid);
  const sockets = found.sockets.filter((socket) => !listed.has(socket.inode) && socket.pids.some(survives));
  const read = new Set(sockets.flatMap((socket) => socket.pids));
  const unread = found.holders.filter((pid) => survives(pid) && !read.has(pid));
  const bound = [
    ...sockets.map((socket) => ({
      pids: socket.pids.filter(survives),
      ...(socket.address !== undefined && { address: socket.address }),
      ...(socket.reuseAddress !== undefined && { reuse: socket.reuseAddress }),
    })),
    ...(unread.length > 0 ? [{ pids: unread }] : []),
  ];
  return { bound, unexamined: found.unexamined, because: found.unexaminedBecause };
}

/** What a claim would leave in TIME_WAIT on the port, keeping a server from binding it for a while (see timeWaitsAfterClaim). */
export interface TimeWaitsAfterClaim {
  /** TIME_WAITs on the port now, taken from a listener without SO_REUSEADDR. */
  readonly timeWaits: number;
  /** Connections of such a listener that its holders hold, closed first when they go, and orphans it has closed first: each a TIME_WAIT. */
  readonly connections: number;
  /** Of `connections`, the orphans: closed first already (FIN_WAIT1, FIN_WAIT2, CLOSING), held by no process. */
  readonly closed: number;
  /** Of `closed`, those resending a FIN their peer has not acknowledged (endsByItselfMs: until tcp_orphan_retries ends them); absent where none. */
  readonly resending?: number;
  /** Of `closed`, those whose peer reads nothing, probed (endsByItselfMs: until tcp_orphan_retries ends them); absent where none. */
  readonly probing?: number;
  /** How long after the holders are gone a server could not bind the port, at most, in ms (0 where only `shared` or `forGood` are). */
  readonly waitMs: number;
  /** The listeners without SO_REUSEADDR, named. */
  readonly listeners: readonly string[];
  /** Those TIME_WAITs and connections, each as a blocker (a TIME_WAIT with its time left), for the refusal's `blockers`. */
  readonly blockers: readonly Blocker[];
  /**
   * TIME_WAITs and such connections that may be of a listener with SO_REUSEADDR instead (or one whose SO_REUSEADDR could
   * not be read), which shares their address with it (SO_REUSEPORT): which socket a TIME_WAIT is of cannot be told,
   * and one of a socket with SO_REUSEADDR does not keep a server that sets it from binding. How many, and how long
   * they would keep it from binding if they are the listener's own.
   */
  readonly shared?: {
    readonly timeWaits: number;
    readonly connections: number;
    readonly waitMs: number;
    /** The listeners without SO_REUSEADDR whose address they overlap, named. */
    readonly listeners: readonly string[];
    /** Whether a listener whose SO_REUSEADDR could not be read shares their address. */
    readonly unread: boolean;
    /** Each as a blocker, as in `blockers`. */
    readonly blockers: readonly Blocker[];
  };
  /**
   * Orphans such a listener has closed whose peer reads nothing, that the kernel probes with no end foretold
   * (probingLeftMs: for as long as the peer answers), certain or shared alike: no timeout is long enough for them.
   * Not counted in the fields above.
   */
  readonly forGood?: {
    /** Each as a blocker, as in `blockers` (with its row's probe timer). */
    readonly blockers: readonly Blocker[];
    /** Why the kernel keeps the first one (probedForGoodWhy). */
    readonly why: string;
    /** The listeners without SO_REUSEADDR whose address they overlap, named. */
    readonly listeners: readonly string[];
    /** Whether each may be of a listener with SO_REUSEADDR instead (see `shared`), which a server's bind passes. */
    readonly shared: boolean;
  };
}

/**
 * Before any signal (TCP, /proc): a listener being freed that was made without SO_REUSEADDR leaves its sockets on the
 * port in TIME_WAIT (an accepted connection keeps its listener's flag, and so does its TIME_WAIT), and Linux refuses a
 * bind of the port with SO_REUSEADDR (claim-port's, a server's) while such a TIME_WAIT is there, whether or not it had
 * SO_REUSEPORT too; so does an orphan's FIN_WAIT2 (a connection it closed first whose peer keeps its end open), until
 * net.ipv4.tcp_fin_timeout ends it. Those on the port (each with the time the table says it has left) and the
 * connections its holders hold (they close first when stopped), and its orphans that have closed first (never a
 * connection still in its accept queue, which is reset when it closes), each as long as endsByItselfMs says (the rule
 * step 8 waits by, endingLeftMs; `finTimeoutMs`: tcp_fin_timeout, read from `procRoot` only where a row needs it), would keep a server from
 * binding the port for `waitMs` once the holders are gone. A listener bound with neither SO_REUSEADDR nor
 * SO_REUSEPORT was bound while no TIME_WAIT overlapped it (the kernel would have refused its bind), and no other socket
 * shares its address, so every TIME_WAIT that overlaps it is its own. One with SO_REUSEPORT may share its address with
 * other listeners, and may have been bound over their TIME_WAITs: a socket that overlaps a listener with SO_REUSEADDR
 * too (or one whose SO_REUSEADDR could not be read) may be that one's, which Linux lets such a bind pass, and is
 * counted in `shared`, not in the wait (refused over where it would outlast the timeout all the same); one that
 * overlaps only listeners without SO_REUSEADDR is taken as theirs (an older TIME_WAIT of a socket with it, over which
 * such a listener was bound, is then counted too: the safe side).
 *
 * `sockets`: the port's TCP rows, read before any signal (blockersAfterClaim's read, not read again: each read walks
 * the kernel's whole connection hash). Between that read and the signal, a TIME_WAIT may end (the wait foretold is
 * then longer than the real one), a connection may close first (it was counted as a connection, 60 s or tcp_fin_timeout,
 * longer than what is left of it), and a connection may be accepted, which no read before the signal can see (the holders serve until
 * signalled): step 8 waits for those that end within the timeout (endingLeftMs) and names the rest. Undefined where nothing
 * would be left, or where no listener's SO_REUSEADDR could be read (not root, no perl): then nothing is foretold.
 * `reuse`: reads the freed listeners' SO_REUSEADDR by inode (socketReuseAddress in @dsa110/ports/system), called only
 * where the port has a TIME_WAIT or a connection that overlaps one of them.
 */
export function timeWaitsAfterClaim(
  port: number,
  sockets: readonly PortSocket[],
  listeners: readonly Listener[],
  signalled: ReadonlySet<number>,
  reuse: () => ReadonlyMap<number, boolean>,
  procRoot = '/proc',
  socketLinks?: SocketLinks,
  finTimeoutMs = finTimeoutReader(procRoot),
  orphanRetries = orphanRetriesReader(procRoot),
  rtoMaxMs = rtoMaxReader(procRoot),
  retries2 = retries2Reader(procRoot),
): TimeWaitsAfterClaim | undefined {
  const all = sockets.filter((s) => s.transport === 'tcp' && s.port === port);
  // How long each row would keep a server from binding the port once the holders are gone (one held by no process is
  // the kernel's: an orphan closing); the rule step 8 waits by.
  const ends = (s: PortSocket) => endsByItselfMs(s.state, s.inode !== 0, s.timeWaitLeftMs, finTimeoutMs, s.retransmit, orphanRetries, rtoMaxMs, retries2);
  // Whether a row lasts by itself is known without its time: tcp_fin_timeout is read only for a row counted below.
  const mayTimeWait = (s: PortSocket) => endsByItself(s.state, s.inode !== 0, s.retransmit);
  const resends = (s: PortSocket) => resendsFin(s.state, s.inode !== 0, s.retransmit);
  const probing = (s: PortSocket) => probes(s.state, s.inode !== 0, s.retransmit);
  // The listeners' SO_REUSEADDR (a perl run) is read only where the port has a socket that could be theirs.
  if (!all.some((s) => mayTimeWait(s) && listeners.some((l) => overlaps(l, s.address)))) return undefined;
  const read = reuse();
  const bare = listeners.filter((l) => read.get(l.inode) === false);
  if (bare.length === 0) return undefined;
  const theirs = all.filter((s) => mayTimeWait(s) && bare.some((l) => overlaps(l, s.address)));
  const holders = connectionHolders(
    theirs.filter((s) => s.state !== 'TIME_WAIT' && s.inode !== 0).map((s) => s.inode),
    procRoot,
    socketLinks,
  );
  // Counted where every process that holds it is signalled: one held by a process that outlives the claim stays open,
  // no TIME_WAIT of the claim's. A TIME_WAIT, or an orphan (inode 0), has no holder.
  // Not claim-port itself: a copy of the socket it inherited closes when it exits, and one that keeps the server from
  // binding is refused before any signal (blockersAfterClaim and unlistedBound count claim-port as a holder).
  const pidsOf = (s: PortSocket) => (s.state === 'TIME_WAIT' ? [] : (holders.get(s.inode) ?? []).filter((pid) => pid !== process.pid));
  const every = theirs.filter((s) => pidsOf(s).every((pid) => signalled.has(pid)));
  // An orphan probing for good (probingLeftMs) has no time to wait for: set apart, for a refusal whatever the timeout
  // (once it was left out, and the claim stopped the holders and then failed on it).
  const lasting = every.filter((s) => ends(s) === undefined);
  const closing = every.filter((s) => !lasting.includes(s));
  const leftMs = (s: PortSocket) => ends(s)!;
  // Theirs for certain where every listener that overlaps it lacks SO_REUSEADDR.
  const own = (s: PortSocket) => listeners.every((l) => !overlaps(l, s.address) || read.get(l.inode) === false);
  const certain = closing.filter(own);
  const shared = closing.filter((s) => !own(s));
  if (certain.length === 0 && shared.length === 0 && lasting.length === 0) return undefined;
  const holder = holderReader(procRoot);
  const blocker = (s: PortSocket): Blocker => ({
    socket: describeSocket(s),
    holders: pidsOf(s).flatMap(holder),
    ...connectionFacts(s),
  });
  // A group's listeners share an address: each named once.
  const named = (among: readonly Listener[]) => [...new Set(among.map((l) => formatEndpoint(l.address, port)))];
  const overlapped = (l: Listener) => shared.some((s) => overlaps(l, s.address));
  const first = lasting[0]?.retransmit;
  return {
    timeWaits: certain.filter((s) => s.state === 'TIME_WAIT').length,
    connections: certain.filter((s) => s.state !== 'TIME_WAIT').length,
    closed: certain.filter((s) => s.state !== 'TIME_WAIT' && s.inode === 0).length,
    ...(certain.some(resends) && { resending: certain.filter(resends).length }),
    ...(certain.some(probing) && { probing: certain.filter(probing).length }),
    waitMs: Math.max(0, ...certain.map(leftMs)),
    listeners: named(bare),
    blockers: certain.map(blocker),
    ...(shared.length > 0 && {
      shared: {
        timeWaits: shared.filter((s) => s.state === 'TIME_WAIT').length,
        connections: shared.filter((s) => s.state !== 'TIME_WAIT').length,
        waitMs: Math.max(...shared.map(leftMs)),
        listeners: named(bare.filter(overlapped)),
        unread: listeners.some((l) => overlapped(l) && !read.has(l.inode)),
        blockers: shared.map(blocker),
      },
    }),
    ...(first !== undefined && {
      forGood: {
        blockers: lasting.map(blocker),
        why: probedForGoodWhy(first, orphanRetries(), rtoMaxMs(), retries2()),
        listeners: named(bare.filter((l) => lasting.some((s) => overlaps(l, s.address)))),
        shared: lasting.every((s) => !own(s)),
      },
    }),
  };
}
