// Which processes a claim must never signal. Pure.
import {
  BUILTIN_PROTECTED_ALIASES,
  BUILTIN_PROTECTED_PROCESSES,
  CONTAINER_RUNTIME_PROCESSES,
  DEFAULT_CLAIM_TIMEOUT_SECONDS,
  MIN_PROTECTED_PIDS_UP_TO,
  escapeText,
  quoteValue,
  type SalvagedProtection,
} from '@dsa110/ports';
import { globToRegExp, matchProcessName, processNames, type ProcessInfo } from '@dsa110/ports/system';
import type { Executable, Ownership } from './executable.js';
import type { NamespaceMember, UidRange, UserNamespace } from './namespace.js';
import { shownName } from './shown-name.js';

export interface ProtectionPolicy {
  /** Glob patterns (`*`, `?`, `[...]`) matched against the names a process goes by (see processNames in @dsa110/ports/system). */
  readonly protectedProcesses: readonly string[];
  /** PIDs at or below this are never signalled. */
  readonly protectedPidsUpTo: number;
  /**
   * Where a pattern the registry added (not a built-in one) is written, for a refusal to cite: `FILE:LINE:COL`, or
   * the file alone (see protectPatternPlace); asked only when a holder is refused by such a pattern. Left out (a
   * registry given as an object, the bundled one), the refusal names `claim.protect.processes` alone.
   */
  readonly patternPlace?: (glob: string) => string | undefined;
}

/** Used when the registry is missing or broken and the port was given as a number: the built-in list (see @dsa110/ports). */
export const BUILTIN_POLICY: ProtectionPolicy & { readonly timeoutSeconds: number } = {
  timeoutSeconds: DEFAULT_CLAIM_TIMEOUT_SECONDS,
  protectedProcesses: BUILTIN_PROTECTED_PROCESSES,
  protectedPidsUpTo: MIN_PROTECTED_PIDS_UP_TO,
};

/**
 * Pure: a fallback policy with the protections a broken registry still names
 * (RegistryError.protect) added: more names, a higher PID bound, never fewer
 * (a broken file's unprotectBuiltin is not honoured).
 */
export function withSalvagedProtection<P extends ProtectionPolicy>(policy: P, salvaged: SalvagedProtection | undefined): P {
  if (salvaged === undefined) return policy;
  return {
    ...policy,
    protectedProcesses: [...new Set([...policy.protectedProcesses, ...salvaged.processes])],
    protectedPidsUpTo: Math.max(policy.protectedPidsUpTo, salvaged.pidsUpTo ?? 0),
  };
}

export interface Self {
  readonly pid: number;
  /** claim-port's ancestors up to PID 1. */
  readonly ancestors: ReadonlySet<number>;
}

/** Where the init of another PID namespace lives: its user namespace (see readUserNamespace) and container (see HolderContext). */
export interface NamespaceFacts {
  readonly userNamespace?: UserNamespace;
  readonly container?: string;
  readonly userManager?: string;
  readonly systemUnit?: boolean;
}

/** How a socket claim-port itself holds is explained: it opens none on the port, so it inherited it. */
export const INHERITED = 'which inherited the socket from the program that started it';

/** What to do about a socket claim-port inherited (INHERITED). */
export const WITHOUT_INHERITED = 'start claim-port without that descriptor (close it, or mark it close-on-exec, before the exec)';

/**
 * Pure: why this holder must not be signalled, or undefined when it may be.
 * A protected name protects unless the holder's executable shows that its
 * user chose the name (see disguiseReason); without `executable`, it always does.
 * The init of another PID namespace is protected unless `namespace` shows it
 * to be a sandbox its user made (see sandboxReason); without it, it always is.
 */
export function protectionReason(
  info: ProcessInfo,
  policy: ProtectionPolicy,
  self: Self,
  executable?: Executable,
  namespace?: NamespaceFacts,
): string | undefined {
  // Never below the built-in floor, whatever a caller's policy says: a bound that is no number, or NaN, is the floor
  // (Math.max(NaN, 2) is NaN, and no PID is at or below NaN: init and kthreadd were left open to a hand-made policy).
  const given: unknown = policy.protectedPidsUpTo;
  const upTo = typeof given === 'number' && given > MIN_PROTECTED_PIDS_UP_TO ? given : MIN_PROTECTED_PIDS_UP_TO;
  // The floor protects init and kthreadd; in a PID namespace (claim-port in a container) PID 2 is any process, and no kernel thread.
  const floorOnly = upTo === MIN_PROTECTED_PIDS_UP_TO && info.pid === 2 && !info.kernelThread;
  if (info.pid <= upTo && !floorOnly)
    // Only the floor is init and kthreadd; a higher bound is the registry's choice, named as such.
    return `PID ${info.pid} is at or below ${upTo} (${upTo === MIN_PROTECTED_PIDS_UP_TO ? 'init and kthreadd' : 'claim.protect.pidsUpTo'})`;
  if (info.kernelThread) return 'it is a kernel thread';
  // It holds the socket only if it inherited it (claim-port opens no listener): say so, and what to do.
  if (info.pid === self.pid) return `it is claim-port itself, ${INHERITED}: ${WITHOUT_INHERITED}`;
  if (self.ancestors.has(info.pid)) return 'it is an ancestor of claim-port (its parent, shell or service manager)';
  // The kernel drops a signal to a namespace's init unless it handles it, and its death (SIGKILL) kills every process in the namespace.
  if (info.namespacePid === 1) {
    const sandbox = judgeSandbox(info, namespace);
    if (sandbox.reason === undefined)
      return `it is PID 1 of its own PID namespace (the init of a container or sandbox): killing it kills every process in that namespace, holders of the port or not; stop the container or sandbox instead${sandbox.joined ? ` (its user made it, but ${sandbox.joined})` : ''}`;
  }
  const { added, builtin } = protectedNameHits(info, policy);
  if (added) return protectedNameReason(info, added, policy);
  return builtin && disguise(info, builtin, policy, executable) === undefined ? protectedNameReason(info, builtin) : undefined;
}

/**
 * Why a protected name protects, where the pattern comes from and what to do: a pattern the registry added
 * (`policy`) is cited where it is written (policy.patternPlace), to be removed or narrowed there; a built-in one is
 * said to be, and what lifts it (claim.protect.unprotectBuiltin). Both offer to end the process by hand, unless it
 * is a container runtime (the container is what to stop: see plan.ts).
 */
function protectedNameReason(info: ProcessInfo, hit: NameHit, policy?: ProtectionPolicy): string {
  const matches = `its name ${quoteValue(hit.name)} matches the ${policy ? '' : 'built-in '}protected pattern ${quoteValue(hit.glob)}`;
  const byHand = isContainerRuntime(info) ? undefined : `if PID ${info.pid} may go, stop it by hand (kill ${info.pid})`;
  if (policy === undefined) return `${matches}${byHand ? `: ${byHand}` : ''}; only claim.protect.unprotectBuiltin in the registry lifts a built-in pattern`;
  let place: string | undefined;
  try {
    place = policy.patternPlace?.(hit.glob);
  } catch {
    place = undefined;
  }
  return `${matches} (claim.protect.processes${place !== undefined ? `, ${place}` : ''})${byHand ? `: ${byHand}, or` : ':'} remove or narrow that pattern`;
}

/**
 * Pure: why the init of another PID namespace is not protected, because its
 * user made that namespace, or undefined when it is protected (or is no such
 * init). An unprivileged user can make a PID namespace only inside a user
 * namespace of their own (`unshare --user --pid --fork`, bubblewrap, rootless
 * podman), and then give any process the init's protection: a refusal any user
 * could cause for every claim. Proof needs all of: the holder runs as a user
 * other than root (real and effective uid); its user namespace is not
 * claim-port's and its uid_map maps no host root; every process that dies with
 * it (see sandboxJoiner) runs in that user namespace, or in one that maps no
 * uid it does not, as uids it maps or the init's own (root may join the PID namespace alone,
 * `nsenter -t INIT --pid`, and stays root: it would die with the init); and it
 * is not in a container of the system's runtime (a container's cgroup outside
 * a user's service manager) nor in any unit of the system's outside user.slice
 * (systemd-nspawn -U, LXC, a service: root made those; a user cannot move a
 * process there): stop that container or unit instead.
 * Whatever is not known keeps the protection.
 */
export function sandboxReason(info: ProcessInfo, namespace: NamespaceFacts | undefined): string | undefined {
  return judgeSandbox(info, namespace).reason;
}

/** sandboxReason, and when only a process that joined the namespace keeps the protection, which one (for the refusal). */
function judgeSandbox(info: ProcessInfo, namespace: NamespaceFacts | undefined): { reason?: string; joined?: string } {
  if (info.namespacePid !== 1 || !(info.uid > 0 && info.realUid > 0)) return {};
  const userNamespace = namespace?.userNamespace;
  if (userNamespace === undefined || userNamespace.mapsRoot) return {};
  // Root started it: a container of the system's runtime (its cgroup, outside a user's service manager), or any unit of the system's outside user.slice (systemd-nspawn -U, LXC, a service).
  if ((namespace!.container !== undefined && namespace!.userManager === undefined) || namespace!.systemUnit) return {};
  const joined = sandboxJoiner(userNamespace, info.pid);
  if (joined !== undefined) return { joined };
  return {
    reason:
      "PID 1 of its own PID namespace, made in a user namespace that maps no host root (one any user can make: unshare --user --pid), and every process in it runs in that user namespace as a uid it maps or as the init's own user, so killing it kills no process of root",
  };
}

/**
 * Pure: the first process that dies with a user-made init and is not proved to
 * be of that user namespace, named with why; undefined when every member is.
 * A member is proved when it runs in the init's user namespace, or in another
 * (a nested one) whose uid_map maps only uids the init's maps, and all four of
 * its uids (real, effective, saved, filesystem, as claim-port sees them) are
 * uids the init's map maps or the init's own (`initPid`'s, when none of them is
 * root): a process of the host's user namespace (root that joined with
 * `nsenter --pid`), or one that joined the user namespace as a uid it does not
 * map (root, with `nsenter --user`), is not. The init's own uids count because
 * a user namespace may map none at all (`unshare --user` without
 * --map-root-user writes no uid_map): its processes then keep the uids they
 * entered with, which no setuid inside can change, and only root can enter it
 * as another user. A member whose facts cannot be read, or no scan at all, is
 * not proved either.
 */
export function sandboxJoiner(userNamespace: UserNamespace, initPid?: number): string | undefined {
  if (userNamespace.members === undefined) return 'the processes in its PID namespace could not be read (to know whether one of root joined it)';
  const initUids = userNamespace.members.find((member) => member.pid === initPid && member.sameUserNamespace === true)?.uids;
  const ownUids = initUids?.every((uid) => uid > 0) ? initUids : [];
  const maps = (uid: number) => ownUids.includes(uid) || userNamespace.mappedUids.some((range) => uid >= range.first && uid < range.first + range.count);
  const mapsAll = (inner: UidRange) =>
    userNamespace.mappedUids.some((range) => inner.first >= range.first && inner.first + inner.count <= range.first + range.count);
  for (const member of userNamespace.members) {
    const { uids, sameUserNamespace, mappedUids } = member;
    if (uids === undefined || sameUserNamespace === undefined) return `${memberName(member)}, in its PID namespace, cannot be read`;
    const within = sameUserNamespace || mappedUids?.every(mapsAll) === true;
    if (!within) return `${memberName(member)} joined its PID namespace from outside its user namespace, and would die with it`;
    const unmapped = uids.find((uid) => !maps(uid));
    if (unmapped !== undefined)
      return `${memberName(member)} is in its PID namespace as uid ${unmapped}, which its user namespace does not map, and would die with it`;
  }
  return undefined;
}

/** `PID 4321 (sleep, user root)`, its comm and user escaped. */
function memberName(member: NamespaceMember): string {
  const details = [
    ...(member.comm === undefined ? [] : [shownName({ comm: member.comm })]),
    ...(member.user === undefined ? [] : [`user ${escapeText(member.user, 64)}`]),
  ];
  return `PID ${member.pid}${details.length > 0 ? ` (${details.join(', ')})` : ''}`;
}

/**
 * The protected patterns a holder's names match: the first one the registry
 * added (its author chose to trust that name, whoever runs the program and
 * from wherever: a script, a conda environment in a service user's home), and
 * the first built-in one (system programs, installed by root: see disguise).
 */
function protectedNameHits(info: ProcessInfo, policy: ProtectionPolicy): { added?: NameHit; builtin?: NameHit } {
  const isBuiltin = (glob: string) => BUILTIN_PROTECTED_PROCESSES.includes(glob);
  const added = matchProcessName(
    info,
    policy.protectedProcesses.filter((glob) => !isBuiltin(glob)),
  );
  const builtin = matchProcessName(info, policy.protectedProcesses.filter(isBuiltin));
  return { ...(added && { added }), ...(builtin && { builtin }) };
}

type NameHit = { name: string; glob: string };

/**
 * Pure: the built-in protected pattern one of the holder's names matches that
 * `policy` leaves out, lifted by the registry's claim.protect.unprotectBuiltin
 * (or a caller's own list), or undefined: a holder that only that protection
 * would have spared, which the claim names before it signals it.
 */
export function liftedBuiltinHit(info: ProcessInfo, policy: ProtectionPolicy): NameHit | undefined {
  const kept = new Set(policy.protectedProcesses);
  return matchProcessName(
    info,
    BUILTIN_PROTECTED_PROCESSES.filter((glob) => !kept.has(glob)),
  );
}

/**
 * Pure: why the protected name of this holder is a disguise, one its user
 * gave it, so that it earns no protection; undefined when it does not match
 * a built-in protected pattern, when it matches one the registry added (a
 * name the registry's author chose to trust), or when the kernel's facts do
 * not prove a disguise. Any local user
 * controls a process's comm (prctl PR_SET_NAME), its argv and the name of a
 * copy of a program, never the owner of a file outside its reach. Proof needs
 * all of: the holder runs as a user other than root (real and effective uid);
 * its executable (/proc/PID/exe) was read; and that executable is a file or
 * in a directory that a user other than root owns or may write (a copy in
 * /home or /tmp), or it bears no protected name (a python3 that renamed
 * itself sshd), nor an alias of the pattern matched (BUILTIN_PROTECTED_ALIASES:
 * pasta runs as passt). Whatever is not known keeps the name's protection.
 */
export function disguiseReason(info: ProcessInfo, policy: ProtectionPolicy, executable: Executable | undefined): string | undefined {
  const { added, builtin } = protectedNameHits(info, policy);
  return added ? undefined : builtin && disguise(info, builtin, policy, executable);
}

function disguise(info: ProcessInfo, hit: NameHit, policy: ProtectionPolicy, executable: Executable | undefined): string | undefined {
  // A root process's name was chosen by root; an unknown uid (-1) is not known to be a user's.
  if (executable === undefined || !(info.uid > 0 && info.realUid > 0)) return undefined;
  const named = `named ${quoteValue(hit.name)} (protected pattern ${quoteValue(hit.glob)}) but runs ${escapeText(executable.path, 300)}${executable.deleted ? ' (deleted)' : ''}`;
  // An ACL not known to be there is no proof: not knowing keeps the protection.
  const file = writableBy(executable.file, false);
  if (file)
    return `${named}, ${file === 'world' ? 'which anyone may write' : file === 'acl' ? `which ${ACL_WRITERS} may write` : file.startsWith('group') ? `which ${file} may write` : `owned by ${file}`}`;
  const directory = executable.directory && writableBy(executable.directory, false);
  if (directory)
    return `${named}, in a directory ${directory === 'world' ? 'anyone may write' : directory === 'acl' ? `${ACL_WRITERS} may write` : directory.startsWith('group') ? `${directory} may write` : `owned by ${directory}`}`;
  if (bearsProtectedName(info, executable.path, policy)) return undefined;
  return `${named}, which bears no protected name`;
}

/**
 * Pure: whether a holder's parent is a service manager (systemd, the system's
 * or a user's, or init), which restarts only units with Restart= (refused up
 * front), so the settle window need not watch it. Proved by the program it
 * runs, never by a name, root's included (a python3 that renamed itself
 * systemd restarts whatever it likes): systemd or init, a file and a directory
 * only root may write. Not known is no proof.
 */
export function isServiceManager(executable: Executable | undefined): boolean {
  if (executable === undefined) return false;
  const program = executable.path.slice(executable.path.lastIndexOf('/') + 1);
  if (program !== 'systemd' && program !== 'init') return false;
  // Here an ACL not known to be absent counts: not known is no proof.
  return writableBy(executable.file, true) === undefined && (executable.directory === undefined || writableBy(executable.directory, true) === undefined);
}

/** How a disguise names those a POSIX ACL lets write (the group bits of root's group are then its mask). */
const ACL_WRITERS = "the users and groups its POSIX ACL names (its mode's group-write bit is the ACL's mask)";

/**
 * Who other than root may write a file or directory: `uid 1000`, `group 100`,
 * `world`, `acl` (root's group, the group-write bit, and a POSIX ACL, whose
 * mask those bits are: executable.ts asks); undefined when only root may.
 * `unknownAcl`: whether an ACL that could not be told of (or was not asked:
 * an Ownership made by hand) counts.
 */
function writableBy(owner: Ownership, unknownAcl: boolean): string | undefined {
  if (owner.uid !== 0) return `uid ${owner.uid}`;
  if ((owner.mode & 0o002) !== 0) return 'world';
  if ((owner.mode & 0o020) === 0) return undefined;
  if (owner.gid !== 0) return `group ${owner.gid}`;
  return owner.acl === true || (unknownAcl && owner.acl !== false) ? 'acl' : undefined;
}

/** Whether the executable's own name is protected, or an alias of a built-in pattern the holder's names match. */
function bearsProtectedName(info: ProcessInfo, path: string, policy: ProtectionPolicy): boolean {
  const program = path.slice(path.lastIndexOf('/') + 1);
  if (policy.protectedProcesses.some((glob) => globToRegExp(glob).test(program))) return true;
  const names = processNames(info);
  return Object.entries(BUILTIN_PROTECTED_ALIASES).some(
    ([glob, aliases]) => aliases.includes(program) && policy.protectedProcesses.includes(glob) && names.some((name) => globToRegExp(glob).test(name)),
  );
}

/** Pure: whether this holder is a container runtime process (docker-proxy, conmon, ...): stop the container instead. */
export function isContainerRuntime(info: ProcessInfo): boolean {
  return matchProcessName(info, CONTAINER_RUNTIME_PROCESSES) !== undefined;
}
