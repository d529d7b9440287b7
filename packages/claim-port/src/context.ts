// What surrounds each holder: its systemd unit and container (from
// /proc/PID/cgroup and, for container proxies, its arguments), whether that
// unit would restart it (Restart=), its parent (a supervisor that may
// take the port back), and for a holder not run by root the program it runs
// (whether a protected name is its own). Gathered once, before the plan; the plan is pure.
import {
  containerFromArgs,
  readCgroup,
  readProcessInfo,
  readRestartPolicy,
  restartsAfterKill,
  type ProcessInfo,
  type RestartPolicy,
} from '@dsa110/ports/system';
import { readUserExecutable, type Executable } from './executable.js';
import { isContainerRuntime } from './policy.js';

export interface HolderContext {
  /** The innermost systemd unit (`api.service`), when the holder is in one. */
  readonly unit?: string;
  /** `user@1000.service` when the unit belongs to a user's service manager. */
  readonly userManager?: string;
  /** The container it belongs to or serves (an id, or docker-proxy's `172.17.0.2:80`). */
  readonly container?: string;
  /** The unit's Restart=, when a unit file (or systemctl) says; only for .service units. */
  readonly restart?: RestartPolicy;
  /** The parent process, when it is alive and not PID 1. */
  readonly parent?: ProcessInfo;
  /** The program it runs, for a holder whose real and effective uids are not root, when claim-port runs as root and /proc/PID/exe can be read (readUserExecutable). */
  readonly executable?: Executable;
}

export interface ClaimContext {
  readonly holders: ReadonlyMap<number, HolderContext>;
  /** claim-port's own unit (it runs in ExecStartPre= of the unit it claims for). */
  readonly ownUnit?: string;
}

export async function gatherContext(
  holders: readonly ProcessInfo[],
  env: Readonly<Record<string, string | undefined>>,
  procRoot = '/proc',
): Promise<ClaimContext> {
  const ownUnit = readCgroup(process.pid, procRoot)?.unit;
  const out = new Map<number, HolderContext>();
  const restarts = new Map<string, Promise<RestartPolicy | undefined>>();
  await Promise.all(
    holders.map(async (holder) => {
      const place = readCgroup(holder.pid, procRoot);
      const unit = place?.unit;
      const fromArgs = isContainerRuntime(holder) ? containerFromArgs(holder.argv) : undefined;
      const container = place?.container ?? fromArgs;
      let restart: RestartPolicy | undefined;
      // A user manager's units are not in the system search path; a scope is never restarted.
      if (unit?.endsWith('.service') && !place?.userManager && unit !== ownUnit) {
        if (!restarts.has(unit)) restarts.set(unit, readRestartPolicy(unit, env));
        restart = await restarts.get(unit);
      }
      const parent = holder.ppid > 1 ? readProcessInfo(holder.ppid, procRoot) : undefined;
      const executable = readUserExecutable(holder, procRoot);
      out.set(holder.pid, {
        ...(unit !== undefined && { unit }),
        ...(place?.userManager !== undefined && { userManager: place.userManager }),
        ...(container !== undefined && { container }),
        ...(restart !== undefined && { restart }),
        ...(parent !== undefined && { parent }),
        ...(executable !== undefined && { executable }),
      });
    }),
  );
  return { holders: out, ...(ownUnit !== undefined && { ownUnit }) };
}

/** Pure: whether the unit would start the holder again once it is killed. */
export function wouldRestart(context: HolderContext | undefined): boolean {
  return context?.restart !== undefined && restartsAfterKill(context.restart.restart);
}
