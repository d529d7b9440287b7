// Shared by the socket checks: the listeners on a port and their holders.
import type { Service } from '@dsa110/ports';
import { effectivePort } from '../effective-port.js';
import { describeProcess, processMatches, processMatchesByOwnName } from '../process-match.js';
import type { EnvironmentSetting, Facts, ListenerFacts, ProcessFacts, UnitFacts } from '../types.js';
import { descentOf, unitOf, workersOf, type Worker } from './workers.js';

export function listenersOn(facts: Pick<Facts, 'sockets'>, port: number): ListenerFacts[] {
  return facts.sockets.listeners.filter((listener) => listener.port === port);
}

/**
 * Every process holding any of these sockets (once each), whether some holders could not be seen, whether some
 * sockets changed while the check ran (closed again each time they were read: no holder to see), and the holders
 * whose parents include a process whose open files could not be read (ListenerFacts.unreadParents) and that may
 * hold the same socket as their master, by holder PID: the nearest such parent named as a service whose socket it
 * may be (mastersOn: the port's own service; a root `runuser`, `sudo` or `sshd` that started it holds no socket of
 * its, and its holder is judged by its own names). Every check asks this, so each says the same of one listener.
 */
export function holdersOf(
  facts: Pick<Facts, 'registry' | 'units'>,
  listeners: readonly ListenerFacts[],
): {
  processes: ProcessFacts[];
  unseen: boolean;
  changed: boolean;
  unreadParents: ReadonlyMap<number, ProcessFacts>;
} {
  const byPid = new Map<number, ProcessFacts>();
  const unreadParents = new Map<number, ProcessFacts>();
  let unseen = false;
  let changed = false;
  for (const listener of listeners) {
    if (listener.changed) changed = true;
    // A listening socket always has a holder: none seen means none could be read.
    else if (!listener.holders || listener.holders.length === 0) unseen = true;
    for (const holder of listener.holders ?? []) byPid.set(holder.pid, holder);
    if (!listener.unreadParents?.length) continue;
    const globs = mastersOn(facts, listener.port).flatMap((service) => service.processes);
    for (const { holder, parent } of listener.unreadParents) {
      if (!unreadParents.has(holder) && processMatches(parent, globs)) unreadParents.set(holder, parent);
    }
  }
  if (unreadParents.size > 0) unseen = true;
  return { processes: [...byPid.values()].sort((a, b) => a.pid - b.pid), unseen, changed, unreadParents };
}

/**
 * The services whose master an unreadable parent of a holder on TCP `port` may be, so that holdersOf counts it (by
 * its names): the service whose port it is (its unit's override applied); else those the reserved range it is in is
 * kept for; else (a port no service uses, or a range kept for none) every TCP service: one started elsewhere, or
 * before its port moved, may hold it.
 */
export function mastersOn(facts: Pick<Facts, 'registry' | 'units'>, port: number): readonly Service[] {
  let byPort = mastersCache.get(facts);
  if (byPort === undefined) {
    byPort = new Map();
    for (const service of facts.registry.services) {
      if (service.transport !== 'tcp') continue;
      const on = effectivePort(facts, service).port;
      byPort.set(on, [...(byPort.get(on) ?? []), service]);
    }
    mastersCache.set(facts, byPort);
  }
  const own = byPort.get(port);
  if (own !== undefined) return own;
  const kept = facts.registry.reserved
    .filter((range) => port >= range.start && port <= range.end)
    .flatMap((range) => range.for.filter((id) => facts.registry.has(id)).map((id) => facts.registry.service(id)));
  return kept.length > 0 ? kept : facts.registry.services.filter((service) => service.transport === 'tcp');
}

/** By facts: the TCP services on each port (their units' overrides applied), for mastersOn. */
const mastersCache = new WeakMap<object, Map<number, Service[]>>();

/**
 * `pid W's parent NAME (pid M, user U) may hold the same socket ...`: why holders are not all seen, for the first
 * holder holdersOf found under an unreadable parent that may be its master; undefined for none.
 */
export function unreadParentText(unreadParents: ReadonlyMap<number, ProcessFacts>): string | undefined {
  const [holder, parent] = [...unreadParents][0] ?? [];
  return parent === undefined
    ? undefined
    : `pid ${holder}'s parent ${describeProcess(parent)} may hold the same socket (a socket is passed down by fork), and its open files (/proc/${parent.pid}/fd) are unreadable`;
}

/**
 * How to speak of socket holders that could not be seen, and what would
 * show them: running as root, unless this already ran as root (a protected
 * process, or another container's, whose open files even root cannot read;
 * or no process at all).
 */
export function unseenHolders(facts: Pick<Facts, 'sockets'>): { holder: string; remedy: string } {
  return facts.sockets.readAsRoot
    ? {
        // Or nobody: a socket sent over a Unix socket (SCM_RIGHTS) and closed lives in the message queue until received.
        holder: 'a process whose open files even root cannot read (or none: a socket in flight in a Unix-socket message)',
        remedy: 'even root cannot read their open files here, or the socket is in flight in a Unix-socket message (SCM_RIGHTS) that no process has received',
      }
    : { holder: 'a process this user cannot see', remedy: 'run as root to see them' };
}

export function isDevOnly(service: { group: string; access: string }): boolean {
  return service.group === 'development' || service.access === 'dev';
}

/** What a port whose listeners changed while the check ran (holdersOf's `changed`) is held by: no process that stayed. */
export const CHANGED_HOLDER = 'no process that stayed: its listener closed and another opened each time it was read (it changed while the check ran)';

/**
 * Where `service` listens instead of its port, as its names tell: the TCP listeners on ports no TCP service of the
 * registry uses (its own registry port counts as free when its unit moved it away), every holder seen and going by
 * `service`'s names by a name of its own (not only as `node` or `python3` does: processMatchesByOwnName) and by no
 * other service's (a name two services share tells nothing), or a worker of such a process (workers.ts: one that
 * holds the socket it handed on, or whose parents lead to it), one of them (or the process a worker is the
 * worker of) running as its unit's User= where the unit sets one (else a copy someone started by hand). Only for a
 * service nothing listens for on its port. A service started before its port moved (the registry edited, its unit's
 * variable changed, not yet restarted), or one configured elsewhere. (Where a development-only one's absence is fine,
 * its users leave it out.) With the workers among the holders, by PID.
 */
export function strayListeners(
  facts: Pick<Facts, 'sockets' | 'registry' | 'units' | 'lineage' | 'accounts'>,
  service: Service,
): { readonly listeners: readonly ListenerFacts[]; readonly workers: ReadonlyMap<number, Worker> } {
  let strays = strayCache.get(facts);
  if (strays === undefined) {
    strays = everyStray(facts);
    strayCache.set(facts, strays);
  }
  return strays.get(service.id) ?? { listeners: [], workers: new Map() };
}

interface Stray {
  listeners: ListenerFacts[];
  workers: Map<number, Worker>;
}

/** By facts: each service's stray listeners, found once for all services (a check asks per port and per service). */
const strayCache = new WeakMap<object, ReadonlyMap<string, Stray>>();

function everyStray(facts: Pick<Facts, 'sockets' | 'registry' | 'units' | 'lineage' | 'accounts'>): Map<string, Stray> {
  const strays = new Map<string, Stray>();
  if (facts.sockets.problem) return strays;
  const tcp = facts.registry.services.filter((service) => service.transport === 'tcp');
  const effective = new Map(tcp.map((service) => [service.id, effectivePort(facts, service).port]));
  const down = new Map(
    tcp
      .filter((service) => service.processes.length > 0 && listenersOn(facts, effective.get(service.id)!).length === 0)
      .map((service) => [service.id, service]),
  );
  if (down.size === 0) return strays;
  const named = tcp.filter((service) => service.processes.length > 0);
  const effectivePorts = new Set(effective.values());
  const registryPorts = new Map(tcp.map((service) => [service.port, service.id]));
  // Whose a process is by its own names: one service's, and no other service's by any name; else nobody's (null). Once a PID.
  const owners = new Map<number, string | null>();
  const ownerOf = (process: ProcessFacts): string | null => {
    let owner = owners.get(process.pid);
    if (owner === undefined) {
      const own = named.filter((service) => processMatchesByOwnName(process, service.processes));
      owner = own.length === 1 && !named.some((other) => other !== own[0] && processMatches(process, other.processes)) ? own[0]!.id : null;
      owners.set(process.pid, owner);
    }
    return owner;
  };
  for (const listener of facts.sockets.listeners) {
    if (effectivePorts.has(listener.port) || listener.changed || listener.holders === undefined || listener.holders.length === 0) continue;
    const holders = listener.holders;
    // The service its holders go by; with none that does (a service's workers alone), each service that is down is asked.
    const byName = [...new Set(holders.map(ownerOf).filter((owner) => owner !== null))];
    const candidates = byName.length === 0 ? [...down.values()] : byName.length === 1 && down.has(byName[0]!) ? [down.get(byName[0]!)!] : [];
    for (const service of candidates) {
      const workers = workersOf(listenersOn(facts, listener.port), (process) => ownerOf(process) === service.id, descentOf(facts, [service]));
      if (!holders.every((holder) => ownerOf(holder) === service.id || workers.has(holder.pid))) continue;
      // Another service's registry port (moved away by its unit) is that service's to explain, not this one's.
      if ((registryPorts.get(listener.port) ?? service.id) !== service.id) continue;
      const whose = holders.map((holder) => workers.get(holder.pid)?.service ?? holder);
      if (!runsAsUnitUser(facts, service, whose)) continue;
      const stray: Stray = strays.get(service.id) ?? { listeners: [], workers: new Map() };
      stray.listeners.push(listener);
      for (const holder of holders) if (workers.has(holder.pid)) stray.workers.set(holder.pid, workers.get(holder.pid)!);
      strays.set(service.id, stray);
      break;
    }
  }
  return strays;
}

/**
 * Whether one of `holders` runs as the User= of `service`'s unit; true when that cannot tell (unitUser: none to hold
 * them to; or a holder's uid unknown). A master that drops privileges has one worker that does, or is one itself.
 * Where User= names an account the root's passwd does not (an LDAP or sssd one: no uid to compare), only what
 * is known counts: a holder the unit's own cgroup holds is its (systemd put it there); one elsewhere under another
 * name is not taken for it.
 */
function runsAsUnitUser(facts: Pick<Facts, 'units' | 'accounts' | 'lineage'>, service: Service, holders: readonly ProcessFacts[]): boolean {
  const user = unitUser(facts, service);
  if (user === undefined || holders.some((holder) => holder.uid === undefined) || holders.some(user.runs)) return true;
  return user.uid === undefined && holders.some((holder) => unitOf(facts.lineage?.get(holder.pid) ?? holder) === user.unit.unit);
}

/**
 * The User= of `service`'s unit, the uid it names, and whether a process runs as it; undefined where the unit names
 * none to hold processes to (no unit, no User=, DynamicUser=, a specifier left unresolved). The uid: User= itself
 * when a number, else the name's in the root's passwd (Facts.accounts: the first entry, no NSS), read by gather only
 * where needsAccounts says; undefined for a name that passwd does not hold (an LDAP or sssd account) or not read. A
 * process runs as it by that uid, or, for a name, by the name this host's passwd gives the process's uid (so a
 * root whose passwd was not read still judges its own name).
 */
export function unitUser(
  facts: Pick<Facts, 'units' | 'accounts'>,
  service: Service,
): { unit: UnitFacts; setting: EnvironmentSetting; uid: number | undefined; runs: (process: ProcessFacts) => boolean } | undefined {
  const unit = service.systemd ? facts.units.get(service.systemd.unit) : undefined;
  const setting = unit && !unit.dynamicUser ? unit.user : undefined;
  if (unit === undefined || setting === undefined || setting.value.includes('%')) return undefined;
  const numeric = /^\d+$/.test(setting.value);
  const uid = numeric ? Number(setting.value) : facts.accounts?.get(setting.value);
  return {
    unit,
    setting,
    uid,
    runs: (process) => (uid !== undefined && process.uid === uid) || (!numeric && process.user === setting.value),
  };
}

/**
 * Whether judging `service`'s processes by its unit's User= needs the root's passwd (unitUser's uid for a name): the
 * unit names its User= by name, and a process that may be the service's runs under another name here: a holder of
 * its port (the owner check), or, with nothing on its port, a process going by its own names, a holder elsewhere or
 * one's parent (strayListeners: where it listens instead). A healthy host's run as their unit's user, and the file
 * is not read.
 */
export function needsAccounts(facts: Pick<Facts, 'registry' | 'units' | 'sockets' | 'lineage'>, service: Service): boolean {
  const named = unitUser({ units: facts.units }, service);
  if (named === undefined || /^\d+$/.test(named.setting.value)) return false;
  const here = listenersOn(facts, effectivePort(facts, service).port);
  if (here.length > 0) return holdersOf(facts, here).processes.some((process) => !named.runs(process));
  const elsewhere = [...holdersOf(facts, facts.sockets.listeners).processes, ...(facts.lineage?.values() ?? [])];
  return elsewhere.some((process) => processMatchesByOwnName(process, service.processes) && !named.runs(process));
}

/** `restart UNIT` (or the service's name, with no unit): what moves a running service to the port it is given now. */
export function restartOf(service: Service): string {
  return service.systemd ? `restart ${service.systemd.unit}` : `restart ${service.name}`;
}
