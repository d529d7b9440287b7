// Pure: given what was found on the port and around its holders, decide whom
// to signal or why to refuse. Refusal signals nobody: a claim is all or nothing.
import type { Listener, ProcessInfo, Transport } from '@dsa110/ports/system';
import { escapeText, printedShellWord } from '@dsa110/ports';
import { formatEndpoint } from '@dsa110/ports/system';
import { claimPortArgument, initSocketAdvice, isSystemdInit } from '@dsa110/ports/systemd';
import { wouldRestart, type ClaimContext, type HolderContext } from './context.js';
import { describeOtherPort, describeOtherPorts, othersPorts, type OtherPort } from './elsewhere.js';
import type { Wanderer } from './wanderer.js';
import type { Undumpable } from './undumpable.js';
import { describeUnit, shownName } from './shown-name.js';

export { describeUnit, shownName };
import { disguiseReason, isContainerRuntime, protectionReason, sandboxReason, type ProtectionPolicy, type Self } from './policy.js';

export interface PlanInput {
  readonly port: number;
  /** Default tcp. */
  readonly transport?: Transport;
  readonly listeners: readonly Listener[];
  /** PIDs whose fds could not be read. */
  readonly unreadable: readonly number[];
  /** Of a socket whose holder no scan found, by inode: the processes seen holding it in turn (see wanderer.ts). */
  readonly wanderers?: ReadonlyMap<number, Wanderer>;
  readonly policy: ProtectionPolicy;
  readonly self: Self;
  /** The claiming process's real and effective uid (0 = root). */
  readonly uid: number;
  readonly euid: number;
  /** Units, containers, Restart= and parents of the holders (see context.ts). */
  readonly context?: ClaimContext;
  /** The ports each holder listens on besides this one, by PID, as the registry knows them (see elsewhere.ts): another service's refuses. */
  readonly otherPorts?: ReadonlyMap<number, readonly OtherPort[]>;
  /** The claimed service's id, for the refusal over another service's port. */
  readonly service?: string;
  /** The command that repeats this claim as root (asRootCommand), for a refusal this user's rights cause; default `sudo claim-port PORT`. */
  readonly asRoot?: string;
  /** Not as root: this user's processes among `unreadable` that are not dumpable (undumpableOwn), for the refusal over a socket of this user's whose holder is not seen. */
  readonly undumpable?: readonly Undumpable[];
}

export interface Refusal {
  /** The holder concerned, when there is one. */
  readonly pid?: number;
  readonly reason: string;
}

/** Holders whose protected name is a disguise (see disguiseReason), or that are the init of a PID namespace their user made (sandboxReason), by PID: why they are not protected. */
export type Disguised = ReadonlyMap<number, string>;

/** Holders to be signalled that hold a socket another user made (see handedOverSocket), by PID: what says so. */
export type HandedOver = ReadonlyMap<number, string>;

export type Plan =
  | { readonly kind: 'free' }
  | { readonly kind: 'signal'; readonly holders: readonly ProcessInfo[]; readonly disguised: Disguised; readonly handedOver: HandedOver }
  | {
      readonly kind: 'refuse';
      readonly holders: readonly ProcessInfo[];
      readonly refusals: readonly Refusal[];
      readonly protectedPids: ReadonlyMap<number, string>;
      readonly disguised: Disguised;
    };

/** Every distinct holder of the port's listeners, by PID. */
export function distinctHolders(listeners: readonly Listener[]): ProcessInfo[] {
  const byPid = new Map<number, ProcessInfo>();
  for (const listener of listeners) for (const holder of listener.holders) byPid.set(holder.pid, holder);
  return [...byPid.values()].sort((a, b) => a.pid - b.pid);
}

/**
 * Pure: whether `pid` holds the sockets among `listeners` it holds only through an io_uring (IORING_REGISTER_FILES,
 * its own fd closed: Listener.throughRing), and holds at least one. A process that holds one of them in an fd table
 * too is not: that one shows.
 */
export function throughRingOnly(pid: number, listeners: readonly Listener[]): boolean {
  const held = listeners.filter((l) => l.holders.some((h) => h.pid === pid));
  return held.length > 0 && held.every((l) => l.throughRing?.includes(pid));
}

/**
 * What a `[::]` listener that may be dual-stack is called. /proc does not show
 * a socket's IPV6_V6ONLY, so `dualStack` is an inference (see dual-stack.ts in
 * @dsa110/ports): with bindv6only 0 and no 0.0.0.0 twin the socket takes IPv4
 * too, unless the program set IPV6_V6ONLY itself, and nothing cheap tells which.
 * A test bind of 0.0.0.0 would (EADDRINUSE or not), but it takes the port for a
 * moment from the service about to start, errs on connections and TIME_WAIT
 * sockets on the port, and must run in the listener's network namespace;
 * sock_diag (INET_DIAG_SKV6ONLY) needs netlink, which Node cannot open. So the
 * label says what it rests on instead of claiming "dual-stack".
 */
export const MAYBE_DUAL_STACK = 'IPv6; IPv4 too unless it set IPV6_V6ONLY';

/** `127.0.0.1:8000`, `[::]:8000 (IPv6; IPv4 too unless it set IPV6_V6ONLY)`, `0.0.0.0:5353/udp`; with `sockets` > 1, `0.0.0.0:8000 (2 sockets)`. */
export function describeListener(listener: Listener, transport: Transport = 'tcp', sockets = 1): string {
  const notes = [...(sockets > 1 ? [`${sockets} sockets`] : []), ...(listener.dualStack ? [MAYBE_DUAL_STACK] : [])];
  return `${formatEndpoint(listener.address, listener.port)}${transport === 'udp' ? '/udp' : ''}${notes.length > 0 ? ` (${notes.join(', ')})` : ''}`;
}

/**
 * Every listener, each address once with how many sockets share it (a
 * SO_REUSEPORT group, or sockets bound by processes the kernel let share it):
 * `0.0.0.0:8000 (2 sockets), [::1]:8000`. In the order found.
 */
export function describeListeners(listeners: readonly Listener[], transport: Transport = 'tcp'): string {
  return listenerLabels(listeners, transport).join(', ');
}

/** Every listener, each address once with how many sockets share it, as describeListeners says them (and `--json`'s `listeners`). */
export function listenerLabels(listeners: readonly Listener[], transport: Transport = 'tcp'): string[] {
  const byAddress = new Map<string, { listener: Listener; sockets: number }>();
  for (const listener of listeners) {
    const key = describeListener(listener, transport);
    const seen = byAddress.get(key);
    if (seen) seen.sockets++;
    else byAddress.set(key, { listener, sockets: 1 });
  }
  return [...byAddress.values()].map(({ listener, sockets }) => describeListener(listener, transport, sockets));
}

/** `systemctl stop api.service`; for a user manager's unit, `systemctl --user stop app.service, as uid 1000` (its manager is that user's). */
function stopCommand(context: HolderContext): string {
  const uid = context.userManager === undefined ? undefined : /^user@(\d+)\.service$/.exec(context.userManager)?.[1];
  return uid === undefined ? `systemctl stop ${printedShellWord(context.unit!)}` : `systemctl --user stop ${printedShellWord(context.unit!)}, as uid ${uid}`;
}

/** `PID 901`, `PID 901 (unit api.service)`: how every message names a holder; with `comm`, `PID 901 (uvicorn, unit api.service)`. */
export function describeHolder(
  holder: Pick<ProcessInfo, 'pid' | 'comm'> & Partial<Pick<ProcessInfo, 'user'>>,
  context?: HolderContext,
  comm = false,
  user = false,
): string {
  const unit = context && describeUnit(context);
  const inside = [
    ...(comm ? [shownName(holder)] : []),
    ...(user && holder.user !== undefined ? [`user ${escapeText(holder.user, 64)}`] : []),
    ...(unit ? [`unit ${unit}`] : []),
  ];
  return `PID ${holder.pid}${inside.length > 0 ? ` (${inside.join(', ')})` : ''}`;
}

/**
 * How many characters of a command line a line of claim-port's log shows: the rest is cut, and the cut said
 * (`… (117,037 characters cut)`), so that a huge one (argv may be megabytes) cannot drown the line around it, nor pass
 * journald's line limit (48 KiB by default), which would split the line.
 */
/** Where a listening socket is that no process holds: the one wording of the refusal, the wait and the last line (claim.ts). */
export const IN_FLIGHT = 'in flight in a Unix-socket message (SCM_RIGHTS) that no process has received';

export const SHOWN_COMMAND_MAX = 3000;

/**
 * A holder's command line as every line prints it: escaped, backslashes too
 * (a `\n` a process wrote into its argv must not read as an escaped newline),
 * an argument that holds a space or is empty shell-quoted (`'a b'`, `''`: it
 * would read as two, or as none) where there are two or more, cut to `max`
 * characters (see commandLine). `holds`: false for a process named beside a
 * holder that holds no socket (a supervisor), whose exited main thread says
 * nothing of a socket.
 */
export function shownCommand(
  holder: Pick<ProcessInfo, 'command' | 'exe'> & Partial<Pick<ProcessInfo, 'state' | 'kernelThread' | 'argv' | 'comm'>>,
  max = SHOWN_COMMAND_MAX,
  holds = true,
): string {
  // Any process can blank its own argv: the journal must still say what was signalled.
  if (holder.command === '') return `(an empty command line${holder.exe ? `; its executable is ${escapeText(holder.exe, 200)}` : ''})`;
  // A holder that is a zombie is a thread group whose leader exited (a zombie alone holds no fds): its other
  // threads run on. Its command line is read from one of them (readProcessInfo); when even that failed, its
  // name stands without the brackets `ps` keeps for kernel threads.
  if (holder.state === 'Z' && holder.kernelThread !== true) {
    const command = holder.argv?.length === 0 && holder.comm !== undefined ? shownName({ comm: holder.comm }) : commandLine(holder, max);
    return `${command} (its main thread exited; another thread ${holds ? 'holds the socket' : 'runs on'})`;
  }
  return commandLine(holder, max);
}

/** `text` escaped (escapeText), never cut: the cut is commandLine's, which says how much it cut. */
const escapeWhole = (text: string) => escapeText(text, Math.max(1, text.length * 12));

/** How many characters (code points) `text` holds from `start` on. */
function codePointsFrom(text: string, start: number): number {
  let count = 0;
  for (let index = start; index < text.length; index++) {
    const unit = text.charCodeAt(index);
    if (unit >= 0xd800 && unit <= 0xdbff && index + 1 < text.length) {
      const next = text.charCodeAt(index + 1);
      if (next >= 0xdc00 && next <= 0xdfff) index++;
    }
    count++;
  }
  return count;
}

/** The longest start of `word` (never half a surrogate pair) that `render` prints in at most `room` characters. */
function longestFit(word: string, render: (text: string) => string, room: number): number {
  let low = 0;
  let high = Math.min(word.length, room);
  while (low < high) {
    const middle = Math.ceil((low + high) / 2);
    if (render(word.slice(0, middle)).length <= room) low = middle;
    else high = middle - 1;
  }
  const unit = word.charCodeAt(low - 1);
  return low > 0 && unit >= 0xd800 && unit <= 0xdbff ? low - 1 : low;
}

/**
 * The command line as printed: its arguments (from argv, where there are two or more and `command` is argv joined
 * with spaces), each as a shell reads it back (printedShellWord: a plain word as it is, any other quoted, what escapeText
 * escapes as `$'...'` escapes; quoting only words with spaces let `'a` and `b'` pass for `a b`), else `command` escaped; at most `max` characters, and when cut, followed by `… (N
 * characters cut)`, N counted in the command line as the process has it. Work is bounded by `max`, not by the
 * command line's length.
 */
function commandLine(holder: Pick<ProcessInfo, 'command'> & Partial<Pick<ProcessInfo, 'argv'>>, max: number): string {
  const { command } = holder;
  // Quoting tells arguments apart: a single one is most often a title the program wrote over its argv (`nginx: master
  // process /usr/sbin/nginx`, `sshd: alice [priv]`), which reads as `ps` shows it.
  const fromArgv = holder.argv !== undefined && holder.argv.length > 1 && holder.argv.join(' ') === command;
  const words = fromArgv ? holder.argv! : [command];
  const render = fromArgv ? printedShellWord : escapeWhole;
  let shown = '';
  let consumed = 0;
  for (const [index, word] of words.entries()) {
    const separator = index > 0 ? ' ' : '';
    const room = max - shown.length - separator.length;
    // A word longer than the room left renders longer still: only its start is rendered.
    const whole = word.length <= room ? render(word) : undefined;
    if (whole !== undefined && whole.length <= room) {
      shown += separator + whole;
      consumed += separator.length + word.length;
      continue;
    }
    const fits = room > 0 ? longestFit(word, render, room) : 0;
    if (fits > 0) {
      shown += separator + render(word.slice(0, fits));
      consumed += separator.length + fits;
    }
    break;
  }
  return consumed < command.length ? `${shown}… (${codePointsFrom(command, consumed).toLocaleString('en-US')} characters cut)` : shown;
}

/** What to stop instead of a container runtime process. */
function containerAdvice(context: HolderContext | undefined): string {
  const unit = context && describeUnit(context);
  if (context?.container) return `it serves container ${escapeText(context.container, 200)}: stop that container instead${unit ? ` (or ${unit})` : ''}`;
  return `it carries containers' ports: stop the container that publishes the port (docker ps / podman ps --filter publish=PORT)${unit ? ` or ${unit}` : ''} instead`;
}

/**
 * Of a holder that holds a socket made by a user other than root and other
 * than its own (the socket table's uid is its maker's): what says so. Any user
 * can hand a socket to another process that takes fds over a Unix socket
 * (SCM_RIGHTS: a D-Bus daemon queueing a message, a service that receives
 * fds), or leave it to a child: that process then holds the port for that
 * user. A protected holder's refusal names who made the socket; a holder that
 * is signalled is named with it too (a warning), so that the journal says whose
 * doing it was, not only whose process went. Not refused: a rootless
 * container's processes hold sockets their user namespace's root made, a uid
 * of its own.
 */
export function handedOverSocket(holder: ProcessInfo, listeners: readonly Listener[]): string | undefined {
  const makers = new Set<number>();
  for (const listener of listeners)
    if (listener.uid > 0 && listener.uid !== holder.uid && listener.uid !== holder.realUid && listener.holders.some((h) => h.pid === holder.pid))
      makers.add(listener.uid);
  if (makers.size === 0) return undefined;
  const uids = [...makers].map((uid) => `uid ${uid}`).join(', ');
  return `it holds a socket ${uids} made, not it (passed to it over a Unix socket, SCM_RIGHTS, or left to it by a parent): look for what ${makers.size > 1 ? 'those users' : 'that user'} ran on the port`;
}

/**
 * Why a holder that also listens on another service's ports (`others`, see
 * othersPorts) is not signalled: its death closes them too. What to do: stop
 * that service first, where the holder runs in that service's unit (`context`:
 * the unit the holder runs in, when known), else end it by hand: the first of
 * the holders that started it (`top`: a pre-fork server's master, whose worker,
 * killed alone, it starts again).
 */
function othersReason(
  pid: number,
  top: number,
  context: HolderContext | undefined,
  others: readonly OtherPort[],
  claimed: string,
  transport: Transport,
): string {
  const first = others[0]!;
  const service = escapeText(first.service!, 64);
  const theirs = first.unit === undefined ? undefined : escapeText(first.unit, 200);
  const ports = others.length === 1 ? `port ${describeOtherPort(first, transport)}` : `ports ${describeOtherPorts(others, undefined, transport)}`;
  const services = [...new Set(others.map((p) => p.service!))];
  const whose =
    services.length === 1
      ? `service ${service}${theirs !== undefined ? ` (unit ${theirs})` : ''}`
      : `services ${services.map((id) => escapeText(id, 64)).join(', ')}`;
  const byHand = `kill ${top}${top === pid ? '' : `: PID ${top} started PID ${pid} and holds the port too, and would start another`}`;
  // In one of those services' own units: the service it would take down. Elsewhere (started by hand, another unit):
  // stopping their units changes nothing, and what goes down with it is those ports, whatever serves them.
  // (A user's service manager's unit of that name is not the system's unit the registry names.)
  const own = context?.unit !== undefined && context.userManager === undefined ? others.find((p) => p.unit === context.unit) : undefined;
  if (own === undefined && others.every((p) => p.unit !== undefined)) {
    const runs =
      context?.cgroup === undefined ? 'its unit could not be read' : context.unit === undefined ? 'it runs in no unit' : `it runs in ${describeUnit(context)}`;
    const [unitWord, closed] = services.length === 1 ? ['that unit', others.length === 1 ? 'that port' : 'those ports'] : ['any of their units', 'those ports'];
    return `also listens on ${ports}, which the registry gives to ${whose}, though it does not run in ${unitWord} (${runs}): signalling it would close ${closed} too; free ${claimed} by hand (${byHand}) if ${closed} may close too`;
  }
  const stop =
    own !== undefined
      ? `${escapeText(own.service!, 64)} first (systemctl stop ${printedShellWord(own.unit!)})`
      : theirs !== undefined && services.length === 1
        ? `${service} first (systemctl stop ${printedShellWord(first.unit!)})`
        : `${services.length === 1 ? service : 'those services'} first`;
  return `also listens on ${ports}, which the registry gives to ${whose}: signalling it would take ${services.length === 1 ? 'that service' : 'them'} down too; stop ${stop}, or free ${claimed} by hand (${byHand}) if ${services.length === 1 ? 'it' : 'they'} may go down`;
}

/**
 * The first of `holders` that started `holder` (its parent, its parent's parent, ... while they hold the port too),
 * or its own PID; never one that is no one's to kill by hand (`stop`: PID 1, a protected holder, claim-port's own
 * ancestor): the climb ends below it (a socket-activated service's process, not systemd).
 */
function topHolder(holder: ProcessInfo, holders: readonly ProcessInfo[], stop: (parent: ProcessInfo) => boolean): number {
  const byPid = new Map(holders.map((h) => [h.pid, h]));
  let top = holder;
  for (let steps = 0; steps < holders.length; steps++) {
    const parent = byPid.get(top.ppid);
    if (parent === undefined || parent.pid === top.pid || stop(parent)) break;
    top = parent;
  }
  return top.pid;
}

/**
 * Why a socket seen passing from process to process (a holder that forks and exits in a loop) is not freed: no process
 * of it lives long enough to be read, judged and identified again for its signal. What ties them is named (a forked
 * child stays in its parent's process group and session), with the signal that would reach them all for the operator
 * to judge: claim-port never signals a group.
 */
function wanderingReason(socket: string, wanderer: Wanderer): string {
  const pids = wanderer.pids.map(String);
  const seen = `PIDs ${pids.slice(0, -1).join(', ')} and ${pids.at(-1)} held it in turn within ${wanderer.ms} ms`;
  const strangers = wanderer.strangers ?? [];
  const others = strangers.map(({ pid, uid }) => `PID ${pid} (${uid === undefined ? 'its user unread' : `uid ${uid}`})`).join(', ');
  const [tie, advice] =
    strangers.length > 0
      ? [
          wanderer.pgrp !== undefined
            ? `, all in process group ${wanderer.pgrp}, which also holds ${others}`
            : `, all in session ${wanderer.session}, which also holds ${others}`,
          // The script that started the holder, claim-port itself, a shell whose group the holder joined (setpgid).
          `a kill of that ${wanderer.pgrp !== undefined ? 'group' : 'session'} would reach ${strangers.length === 1 ? 'that process' : 'those processes'} too, so stop the holder by its own means`,
        ]
      : wanderer.pgrp !== undefined
        ? [
            `, all in process group ${wanderer.pgrp}${wanderer.session !== undefined ? `, session ${wanderer.session}` : ''}`,
            `if that group may go, stop it by hand (kill -- -${wanderer.pgrp})`,
          ]
        : wanderer.session !== undefined
          ? [`, all in session ${wanderer.session}`, `if its processes may go, stop them by hand (ps -s ${wanderer.session} lists them)`]
          : ['', 'stop it by its own means'];
  return `the process holding ${socket} cannot be identified: it passes from process to process faster than a scan reads them (a holder that forks and exits in a loop: ${seen}${tie}), and claim-port signals only a process it has identified; ${advice}`;
}

/**
 * Pure: why a socket of this user's own may have no holder this user can see: `undumpable`, this user's processes
 * whose descriptors only root can read (not dumpable), named (the first 5); '' where there is none.
 */
function undumpableReason(undumpable: readonly Undumpable[]): string {
  if (undumpable.length === 0) return '';
  const many = undumpable.length > 1;
  const named = undumpable.slice(0, 5).map((p) => `PID ${p.pid} (${escapeText(p.comm, 64)})`);
  const more = undumpable.length > 5 ? ` and ${undumpable.length - 5} more` : '';
  return `: ${named.join(', ')}${more} of this user ${many ? 'are' : 'is'} not dumpable (PR_SET_DUMPABLE 0: set by prctl, or by the exec of a setuid, setgid or file-capability program), so only root can read ${many ? 'their' : 'its'} descriptors, and ${many ? 'one of them' : 'it'} may hold it`;
}

export function planClaim(input: PlanInput): Plan {
  if (input.listeners.length === 0) return { kind: 'free' };
  const transport = input.transport ?? 'tcp';
  const holders = distinctHolders(input.listeners);
  const refusals: Refusal[] = [];
  const protectedPids = new Map<number, string>();
  const disguised = new Map<number, string>();
  const root = input.euid === 0;
  const target = claimPortArgument(input.port, transport);
  const asRoot = input.asRoot ?? `sudo claim-port ${target}`;

  for (const listener of input.listeners) {
    if (listener.ownerKnown) continue;
    const wanderer = input.wanderers?.get(listener.inode);
    const reason = !root
      ? // The socket tables show whose socket it is even when its process cannot be seen: say so (root's, another user's).
        `the process holding ${describeListener(listener, transport)} (a socket of uid ${listener.uid}) is not visible to this user (uid ${input.euid})${listener.uid === input.euid ? undumpableReason(input.undumpable ?? []) : ''}; run claim-port as root (${asRoot})`
      : wanderer !== undefined
        ? wanderingReason(describeListener(listener, transport), wanderer)
        : `the process holding ${describeListener(listener, transport)} cannot be identified even as root (its /proc entries are unreadable; it lives in another PID namespace or container; it passes from process to process faster than a scan, a holder that forks and exits in a loop; it is registered with an io_uring whose own fd was registered too (IORING_REGISTER_RING_FDS) and then closed, which /proc does not show, or with one on an older kernel that does not name a ring's files; or no process holds it: it is ${IN_FLIGHT}); stop it by its own means`;
    // Sockets that read the same (a SO_REUSEPORT group on one address, each of uid 0): said once.
    if (!refusals.some((refusal) => refusal.reason === reason)) refusals.push({ reason });
  }
  for (const holder of holders) {
    const context = input.context?.holders.get(holder.pid);
    const who = describeHolder(holder, context, true);
    const why = protectionReason(holder, input.policy, input.self, context?.executable, context);
    const disguise = why
      ? undefined
      : [sandboxReason(holder, context), disguiseReason(holder, input.policy, context?.executable)].filter((reason) => reason !== undefined).join('; ');
    if (disguise) disguised.set(holder.pid, disguise);
    if (why) {
      // As root, a protected holder of another user (a genuine program a user runs, a name the registry added) is named
      // with that user: the refusal is the one line --quiet and the journal's err priority keep.
      const whose = root && holder.uid !== 0 ? describeHolder(holder, context, true, true) : who;
      const handedOver = handedOverSocket(holder, input.listeners);
      // systemd (PID 1) holds a port only for a socket unit: that is what the operator stops.
      const init = isSystemdInit(holder) ? `; ${initSocketAdvice(input.port, transport, input.context?.initSockets, input.context?.socketService)}` : '';
      const full = `${isContainerRuntime(holder) ? `${why}; ${containerAdvice(context)}` : why}${init}${handedOver ? `; ${handedOver}` : ''}`;
      protectedPids.set(holder.pid, full);
      refusals.push({ pid: holder.pid, reason: `${whose} is protected: ${full}` });
      continue;
    }
    if (wouldRestart(context)) {
      const unit = describeUnit(context!)!;
      // The unit file's path and its setting as read (escaped: a directory name may hold anything); the command as a shell reads it (`my\x2dapp.service` quoted, its backslash kept).
      const restart = escapeText(context!.restart!.restart, 64);
      protectedPids.set(holder.pid, `${unit} would restart it (Restart=${restart})`);
      refusals.push({
        pid: holder.pid,
        reason: `${who} belongs to ${unit}, which would start it again (Restart=${restart}, ${escapeText(context!.restart!.source, 300)}): stop ${escapeText(context!.unit!, 200)} first (${stopCommand(context!)})`,
      });
      continue;
    }
    const others = othersPorts(input.otherPorts?.get(holder.pid) ?? []);
    if (others.length > 0) {
      const why = othersReason(
        holder.pid,
        topHolder(
          holder,
          holders,
          // Protected: PID 1 (and 2) whatever the registry says, claim-port's ancestors, a protected name.
          (parent) => {
            const known = input.context?.holders.get(parent.pid);
            return protectionReason(parent, input.policy, input.self, known?.executable, known) !== undefined;
          },
        ),
        context,
        others,
        `port ${target}${input.service !== undefined ? ` (${escapeText(input.service, 64)})` : ''}`,
        transport,
      );
      protectedPids.set(holder.pid, why);
      refusals.push({ pid: holder.pid, reason: `${who} ${why}` });
      continue;
    }
    // kill(2) as non-root needs the sender's real or effective uid to match the target's real uid.
    if (!root && holder.realUid !== input.uid && holder.realUid !== input.euid) {
      refusals.push({
        pid: holder.pid,
        reason: `${who} belongs to user ${holder.user} and this user (uid ${input.euid}) may not signal it; run claim-port as root (${asRoot})`,
      });
    }
  }
  if (refusals.length > 0) return { kind: 'refuse', holders, refusals, protectedPids, disguised };
  const handedOver = new Map<number, string>();
  for (const holder of holders) {
    const note = handedOverSocket(holder, input.listeners);
    if (note) handedOver.set(holder.pid, note);
  }
  return { kind: 'signal', holders, disguised, handedOver };
}
