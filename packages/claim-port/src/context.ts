// What surrounds each holder: its systemd unit and container (from
// /proc/PID/cgroup and, for container proxies, its arguments), whether that
// unit would restart it (Restart=), its parent (a supervisor that may
// take the port back), and for a holder not run by root the program it runs
// (whether a protected name is its own); and where systemd (PID 1) holds the
// port, the socket units that listen on it. Gathered once, before the plan; the plan is pure.
import {
  containerFromArgs,
  readCgroup,
  readProcessInfo,
  readRestartPolicy,
  readUserRestartFromFiles,
  restartsAfterKill,
  unitSearchPath,
  type ProcessInfo,
  type RestartPolicy,
  type Transport,
} from '@dsa110/ports/system';
import { isSystemdInit, listUnitDirs, socketUnitsOn, templateOf, type ListeningSocket, type UnitDirListing } from '@dsa110/ports/systemd';
import { escapeText } from '@dsa110/ports';
import { readUserExecutable, type Executable } from './executable.js';
import { readUserNamespace, type UserNamespace } from './namespace.js';
import { isContainerRuntime } from './policy.js';
import { describeUnit } from './shown-name.js';

export interface HolderContext {
  /** The systemd unit the holder is in as systemd counts it (`api.service`; parseCgroupPath), when it is in one. */
  readonly unit?: string;
  /** `user@1000.service` when the unit belongs to a user's service manager. */
  readonly userManager?: string;
  /** The container it belongs to or serves (an id, or docker-proxy's `172.17.0.2:80`). */
  readonly container?: string;
  /** The unit's Restart=, when a unit file (or systemctl) says; only for .service units. With `problems` when some of its files could not be read, or a user manager's unit has none in that manager's default search path (see restartWarnings). */
  readonly restart?: RestartPolicy;
  /** The parent process, when it is alive and not PID 1. */
  readonly parent?: ProcessInfo;
  /** The program it runs, for a holder whose real and effective uids are not root, when claim-port runs as root and /proc/PID/exe can be read (readUserExecutable). */
  readonly executable?: Executable;
  /**
   * Its cgroup is a unit of the system's service manager outside `user.slice`
   * (a system service, a machine of machine.slice, a container runtime's scope):
   * something root started. A user's processes are in user.slice (their
   * sessions, their service manager), and no user can move one out of it.
   */
  readonly systemUnit?: boolean;
  /**
   * Its cgroup path (/proc/PID/cgroup: the `name=systemd` line, else cgroup v2's `0::`), read with its unit. What it
   * forks inherits it; a unit its reaper starts meanwhile runs in that unit's own (see Claim.forked).
   */
  readonly cgroup?: string;
  /** Its user namespace, for the init of another PID namespace run by a user other than root in a user namespace not claim-port's, when claim-port runs as root (readUserNamespace). */
  readonly userNamespace?: UserNamespace;
}

export interface ClaimContext {
  readonly holders: ReadonlyMap<number, HolderContext>;
  /** claim-port's own unit (it runs in ExecStartPre= of the unit it claims for). */
  readonly ownUnit?: string;
  /** With ownUnit: `user@1000.service` when that unit is a user manager's (a unit of the system's of the same name is another unit). */
  readonly ownUserManager?: string;
  /**
   * When systemd (PID 1) holds the port: the socket units whose files listen on it (readInitSockets), which
   * the refusal names. Undefined when PID 1 holds none of it, or the unit directories could not be read.
   */
  readonly initSockets?: readonly ListeningSocket[];
  /**
   * With initSockets: claim-port's own unit, when the refusal may offer to make it the socket units' Service=
   * (socketServiceOf). Undefined run by hand: from a login session (a scope) or with systemd-run (a transient unit).
   */
  readonly socketService?: string;
}

/** The port being claimed, for what only its holders' context can say (the socket units PID 1 holds it for). */
export interface ClaimedPort {
  readonly port: number;
  readonly transport: Transport;
}

export async function gatherContext(
  holders: readonly ProcessInfo[],
  env: Readonly<Record<string, string | undefined>>,
  procRoot = '/proc',
  claimed?: ClaimedPort,
): Promise<ClaimContext> {
  const own = readCgroup(process.pid, procRoot);
  const ownUnit = own?.unit;
  const ownUserManager = own?.userManager;
  // Only where systemd (PID 1) holds the port: a claim of any other holder reads no unit file for it.
  const listing = claimed && holders.some(isSystemdInit) ? readUnitListing(env) : undefined;
  const initSockets = claimed && listing ? readInitSockets(claimed, env, listing) : undefined;
  // A socket unit of the system's can name only a unit of the system's in Service=, not a user manager's of the same name.
  const socketService = listing && ownUserManager === undefined ? socketServiceOf(ownUnit, listing) : undefined;
  const out = new Map<number, HolderContext>();
  const restarts = new Map<string, Promise<RestartPolicy | undefined>>();
  await Promise.all(
    holders.map(async (holder) => {
      const place = readCgroup(holder.pid, procRoot);
      const unit = place?.unit;
      const fromArgs = isContainerRuntime(holder) ? containerFromArgs(holder.argv) : undefined;
      const container = place?.container ?? fromArgs;
      let restart: RestartPolicy | undefined;
      const userManager = place?.userManager;
      // A scope is never restarted. claim-port's own unit is the one starting: a leftover of it is what the claim is
      // for (the same name under another manager, the system's or another user's, is another unit).
      if (unit?.endsWith('.service') && !(unit === ownUnit && userManager === ownUserManager)) {
        const key = userManager === undefined ? unit : `${userManager}/${unit}`;
        if (!restarts.has(key)) restarts.set(key, userManager === undefined ? readRestartPolicy(unit, env) : userRestart(unit, userManager));
        restart = await restarts.get(key);
      }
      const parent = holder.ppid > 1 ? readProcessInfo(holder.ppid, procRoot) : undefined;
      const executable = readUserExecutable(holder, procRoot);
      const userNamespace = readUserNamespace(holder, procRoot);
      out.set(holder.pid, {
        ...(unit !== undefined && { unit }),
        ...(place?.userManager !== undefined && { userManager: place.userManager }),
        ...(unit !== undefined && !place!.path.startsWith('/user.slice/') && { systemUnit: true }),
        ...(container !== undefined && { container }),
        ...(place !== undefined && { cgroup: place.path }),
        ...(restart !== undefined && { restart }),
        ...(parent !== undefined && { parent }),
        ...(executable !== undefined && { executable }),
        ...(userNamespace !== undefined && { userNamespace }),
      });
    }),
  );
  return {
    holders: out,
    ...(ownUnit !== undefined && { ownUnit }),
    ...(ownUserManager !== undefined && { ownUserManager }),
    ...(initSockets !== undefined && { initSockets }),
    ...(socketService !== undefined && { socketService }),
  };
}

/**
 * The Restart= of a unit of a user's service manager (`user@1000.service`): from its files in that manager's
 * search path, never undefined (readUserRestartFromFiles). A guess where they cannot all be read, or none is
 * found: the warning says so, and the settle window checks it, as for a system unit's unreadable files.
 */
async function userRestart(unit: string, userManager: string): Promise<RestartPolicy> {
  return readUserRestartFromFiles(unit, Number(/^user@(\d+)\.service$/.exec(userManager)![1]));
}

/** systemd's unit directories, or $SYSTEMD_UNIT_PATH's, listed; undefined when they cannot be. */
function readUnitListing(env: Readonly<Record<string, string | undefined>>): UnitDirListing | undefined {
  const given = env.SYSTEMD_UNIT_PATH;
  try {
    return listUnitDirs('/', [], given === undefined || given === '' ? undefined : unitSearchPath(env));
  } catch {
    return undefined;
  }
}

/**
 * The socket units whose files listen on the claimed port (socketUnitsOn), in
 * systemd's unit directories or $SYSTEMD_UNIT_PATH's: what systemd (PID 1)
 * holds it for. Undefined when they cannot be read (the refusal then says how
 * to find the unit: `systemctl list-sockets`).
 */
export function readInitSockets(
  claimed: ClaimedPort,
  env: Readonly<Record<string, string | undefined>>,
  listing = readUnitListing(env),
): readonly ListeningSocket[] | undefined {
  if (listing === undefined) return undefined;
  try {
    return socketUnitsOn('/', listing, claimed.port, claimed.transport);
  } catch {
    return undefined;
  }
}

/** Where systemd-run's units live (UNIT_DIRS): gone at the next boot, so no socket unit can name one for good. */
const TRANSIENT_UNIT_DIR = 'run/systemd/transient';

/**
 * Pure: `ownUnit` (claim-port's own unit) when a socket unit could name it in
 * Service=, so the refusal may offer socket activation instead of the claim:
 * a `.service` whose file (or template's) is in the unit directories of
 * `listing`, as the unit whose ExecStartPre= runs claim-port is. Not a scope
 * (run by hand from a login session: `session-3.scope`), nor a transient unit
 * (`systemd-run claim-port 8000`: `run-u12.service`): naming those would send
 * the operator to edit a unit that is no service's.
 */
export function socketServiceOf(ownUnit: string | undefined, listing: UnitDirListing): string | undefined {
  if (ownUnit === undefined || !ownUnit.endsWith('.service')) return undefined;
  const names = [ownUnit, templateOf(ownUnit)].filter((name) => name !== undefined);
  // The first directory that holds it is where systemd loads it from.
  for (const [dir, entries] of listing) if (names.some((name) => entries.has(name))) return dir === TRANSIENT_UNIT_DIR ? undefined : ownUnit;
  return undefined;
}

/** Pure: whether the unit would start the holder again once it is killed. */
export function wouldRestart(context: HolderContext | undefined): boolean {
  return context?.restart !== undefined && restartsAfterKill(context.restart.restart);
}

/** Pure: whether the holder's Restart= is a guess (some of its unit's files could not be read) that says it would not be started again. */
export function restartUncertain(context: HolderContext | undefined): boolean {
  return context?.restart?.problems !== undefined && !wouldRestart(context);
}

/**
 * Pure: one warning line per unit whose Restart= could not be read from all
 * its files: the unit, each file and what was wrong with it (escaped), and
 * what claim-port assumed. Assumed to restart: its holders are refused. Assumed
 * not to: they are signalled, and the port watched for `watchMs` after they
 * are gone in case systemd starts them again (Claim.settle).
 */
export function restartWarnings(context: ClaimContext, watchMs: number): string[] {
  const byUnit = new Map<string, HolderContext>();
  for (const holder of context.holders.values())
    if (holder.unit !== undefined && holder.restart?.problems) byUnit.set(`${holder.userManager ?? ''}/${holder.unit}`, holder);
  return [...byUnit.values()].map((holder) => {
    const { restart, source, problems } = holder.restart!;
    const assumed = restartsAfterKill(restart)
      ? 'would start its processes again: they are not signalled'
      : `would not start its processes again: they may be signalled, and the port is then watched for ${watchMs} ms in case systemd does`;
    return `cannot tell the Restart= of ${describeUnit(holder)}: ${problems!.map((problem) => escapeText(problem, 600)).join('; ')}; assuming Restart=${escapeText(restart, 64)} (${escapeText(source, 300)}), which ${assumed}`;
  });
}
