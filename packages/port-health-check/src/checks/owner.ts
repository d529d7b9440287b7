// Check 5, owner: the processes holding the service's port are the ones the
// registry expects (its `processes` globs). Anything else is an intruder,
// named with PID, user and command line: the seed's conflict detection (e.g.
// Vite on Grafana's port). Holders this user cannot see make the check
// unknown, never a false "wrong owner". A name is not an identity: holders
// whose names match but none of which runs as the User= of the service's unit
// are an error where that is sure (User= a uid none of them has, each in a
// login session or another service: a copy another account started holds the
// port, and the service's clients reach it), else a warning (the unit's own
// cgroup holds them, started before User= was set; a container, a user's
// manager, an account passwd does not name). systemd (PID 1)
// holds a port only for a socket unit: that unit is named, with how to stop it.
// A holder of the service's own socket whose parent holds it too and is the
// service, or whose parents lead to the service within its unit (the service
// handed it the socket and closed its copy), is the service's worker
// (workers.ts), whatever its name.
import { BUILTIN_PROTECTED_PROCESSES, escapeText, pathText, processNameText, quoteValue, type Service } from '@dsa110/ports';
import { matchProcessName } from '@dsa110/ports/system';
import { initSocketAdvice, isSystemdInit, where } from '@dsa110/ports/systemd';
import { effectivePort } from '../effective-port.js';
import { claimPortCommand } from '../ports-command.js';
import { serviceResult } from './service-result.js';
import { accountText, describeProcess, describeWorker, processMatches, quotedProcessName } from '../process-match.js';
import type { CheckResult, Facts, ListenerFacts, ProcessFacts } from '../types.js';
import { formatListener } from '../address.js';
import { CHANGED_HOLDER, holdersOf, listenersOn, restartOf, unitUser, unreadParentText, unseenHolders } from './listeners.js';
import { descentOf, unitOf, workersOf, type Worker } from './workers.js';

export function checkOwner(facts: Facts, service: Service): CheckResult[] {
  if (facts.sockets.problem || service.transport !== 'tcp') return [];
  const { port } = effectivePort(facts, service);
  const listeners = listenersOn(facts, port);
  if (listeners.length === 0) return [];
  // Only an unreadable parent named as the service is may be its master holding the same socket (holdersOf: a root
  // runuser, sudo or sshd that started the service holds none of its sockets).
  const { processes, unseen, changed, unreadParents } = holdersOf(facts, listeners);
  const result = serviceResult('owner', service, port, { processes });
  // The registry's globs as a holder's names are shown (a look-alike in either reads as what it is).
  const expected = service.processes.map((glob) => processNameText(glob, 200)).join(', ');
  const named = (process: ProcessFacts) => processMatches(process, service.processes);
  const workers = workersOf(listeners, named, descentOf(facts, [service]));
  // Each holder as the report names it: a worker with whose it is.
  const describe = (process: ProcessFacts) => {
    const worker = workers.get(process.pid);
    return worker === undefined ? describeProcess(process) : describeWorker(process, worker.parent);
  };
  // A holder under a parent whose open files could not be read may be that parent's worker (it may hold the same
  // socket): not an intruder for sure, and the check is unknown below.
  const intruders = processes.filter((process) => !named(process) && !workers.has(process.pid) && !unreadParents.has(process.pid));
  if (intruders.length > 0) {
    // What to do: the intruder goes (claim-port, under the registry this check read; by hand where that
    // registry protects it, since claim-port refuses it), then the service starts.
    const start = service.systemd ? `start ${service.systemd.unit}` : `start ${service.name}`;
    // systemd (PID 1) holds it for a socket unit: that unit is what to stop (nobody stops PID 1, by hand or with claim-port).
    const init = intruders.some(isSystemdInit);
    const protectedBy = intruders.map((process) => protection(facts, process)).find((reason) => reason !== undefined);
    // Another service of the registry by its names (Prometheus on Grafana's port: the two ports swapped, or its
    // configuration not moved with the registry): claim-port would take it down too; moving it is the fix.
    const other = init ? undefined : otherService(facts, service, intruders);
    if (other !== undefined) {
      const theirs = effectivePort(facts, other).port;
      const restart = restartOf(other);
      return [
        result(
          'error',
          `port ${port} is held by ${intruders.map(describeProcess).join('; ')}, which is ${other.name}'s by its names (${other.id}: ${other.processes.map((glob) => processNameText(glob, 200)).join(', ')}), not ${service.name}'s (expected ${expected}); the registry gives ${other.id} port ${theirs}: set ${theirs} where ${other.name} takes its port and ${restart}${theirs === port ? '' : ' (claim-port would take it down, not move it)'}, then ${start}`,
        ),
      ];
    }
    const stop = init
      ? initSocketAdvice(port, 'tcp', facts.initSockets?.get(port), service.systemd?.unit)
      : protectedBy
        ? `stop it by hand (claim-port refuses it: ${protectedBy})`
        : `stop it (as root: ${claimPortCommand(facts, port)})`;
    return [
      result(
        'error',
        `port ${port} is held by ${intruders.map(describeProcess).join('; ')}, not by ${service.name} (expected ${expected}); ${stop}, then ${start}`,
      ),
    ];
  }
  if (unseen) {
    const seen = processes.length > 0 ? ` (seen: ${processes.map(describe).join('; ')})` : '';
    const which = unreadParentText(unreadParents) ?? 'their open files (/proc/PID/fd) are unreadable';
    return [result('unknown', `cannot see every process holding port ${port}: ${which}; ${unseenHolders(facts).remedy}${seen}`)];
  }
  if (changed) {
    const seen = processes.length > 0 ? ` (seen: ${processes.map(describe).join('; ')})` : '';
    return [
      result(
        'info',
        `cannot tell who holds port ${port}: held by ${CHANGED_HOLDER}; a process restarting in a loop? Run the check again, or look at the service's log${seen}`,
      ),
    ];
  }
  const stranger = otherUser(facts, service, port, listeners, workers, describe);
  if (stranger) return [result(stranger.severity, stranger.reason, stranger.file)];
  return [result('ok', `held by ${processes.map(describe).join('; ')}`)];
}

/**
 * The one other service of the registry every intruder's names match (its `processes` globs), not `service` itself;
 * undefined when they match none, or several (then the names tell nothing).
 */
function otherService(facts: Facts, service: Service, intruders: readonly ProcessFacts[]): Service | undefined {
  const candidates = facts.registry.services.filter(
    (other) =>
      other.id !== service.id &&
      other.transport === 'tcp' &&
      other.processes.length > 0 &&
      intruders.every((process) => processMatches(process, other.processes)),
  );
  return candidates.length === 1 ? candidates[0] : undefined;
}

/**
 * Why claim-port, reading this registry, would not signal `process`: a PID at or below
 * claim.protect.pidsUpTo, or a name a protected pattern matches: one the registry added (said where, to be
 * removed or narrowed there) before a built-in one (said to be, as claim-port says it: the operator will not find
 * it in the file). Undefined when neither holds (claim-port may still refuse it for what only it sees, such as its
 * own ancestors, or signal a disguised one; it says why).
 */
function protection(facts: Facts, process: ProcessFacts): string | undefined {
  const { protectedPidsUpTo, protectedProcesses } = facts.registry.claim;
  if (process.pid <= protectedPidsUpTo) return `PID ${process.pid} is at or below ${protectedPidsUpTo}`;
  const isBuiltin = (glob: string) => BUILTIN_PROTECTED_PROCESSES.includes(glob);
  const added = matchProcessName(
    process,
    protectedProcesses.filter((glob) => !isBuiltin(glob)),
  );
  if (added) {
    const file = facts.registryFile === undefined ? 'the bundled registry' : pathText(facts.registryFile);
    return `its name ${quotedProcessName(added.name)} matches the protected pattern ${quotedProcessName(added.glob)} (claim.protect.processes in ${file})`;
  }
  const builtin = matchProcessName(process, protectedProcesses.filter(isBuiltin));
  return builtin && `its name ${quotedProcessName(builtin.name)} matches the built-in protected pattern ${quotedProcessName(builtin.glob)}`;
}

/**
 * The names match, but no holder of some listening socket on the port runs as
 * the User= its unit sets: a copy started by hand (or by another unit) under
 * another account holds that socket, and a name is all it shares with the
 * service. It holds the port in the service's place, and the service's
 * clients talk to it (an error, as any intruder: a copy under the service's
 * own account, plausibly an operator's test, is not one). Each socket is
 * judged by its own holders: a master that drops privileges has its workers
 * as another user, but one of them, or the process they are workers of,
 * runs as User=; a separate socket (say [::1]) held only by another user is
 * another copy, whatever holds the rest. A holder whose cgroup puts it in the
 * unit is no copy: the unit started it before User= was set (a warning). An
 * error only where User= resolves to a uid (the root's passwd, no NSS) and every
 * holder has another uid and sits in a login session or another system service;
 * else a warning: rootless podman's subuids under user@N.service, a container's
 * scope, an LDAP account passwd does not name are the service as often as not.
 * Only where the unit names a user (not DynamicUser=, and no specifier left
 * unresolved) and every holder's uid is known.
 */
function otherUser(
  facts: Facts,
  service: Service,
  port: number,
  listeners: readonly ListenerFacts[],
  workers: ReadonlyMap<number, Worker>,
  describe: (process: ProcessFacts) => string,
): { severity: 'error' | 'warning'; reason: string; file: string } | undefined {
  const named = unitUser(facts, service);
  const processes = holdersOf(facts, listeners).processes;
  if (named === undefined || processes.some((process) => process.uid === undefined)) return undefined;
  const { unit, setting: user } = named;
  // User= as a uid, where the root's passwd (or the number itself) gives one (unitUser): a process runs as it by uid,
  // whatever name this host's passwd shows for it.
  const { uid, runs } = named;
  const isUser = (process: ProcessFacts) => runs(process) || runs(workers.get(process.pid)?.service ?? process);
  const stray = processes.some(isUser) ? listeners.find((listener) => !(listener.holders ?? []).some(isUser)) : undefined;
  if (processes.some(isUser) && !stray) return undefined;
  const held = stray ? (stray.holders ?? []) : processes;
  const place = stray ? formatListener(stray) : `port ${port}`;
  // Where User= is set (the unit file, or the drop-in that sets it last), as the systemd check names its lines.
  const file = where(user);
  const under = facts.root === '/' ? '' : ` under ${escapeText(facts.root)}`;
  const setting = `User= in ${escapeText(file)}${under}`;
  const inUnit = held.filter((process) => unitOf(facts.lineage?.get(process.pid) ?? process) === unit.unit);
  if (inUnit.length > 0) {
    return {
      severity: 'warning',
      reason: `${place} is held by ${held.map(describe).join('; ')}, which runs in ${unit.unit} but not as ${quoteValue(user.value)} (${setting}): it started before that User= was set; restart ${unit.unit}`,
      file,
    };
  }
  // A copy for sure only where User= is a uid none of them runs as and each is in a login session or another system
  // service: rootless podman (a subuid, under user@N.service), a container, or an account passwd does not name (LDAP,
  // sssd) is the service itself as often as not.
  const placed = held.every((process) => elsewhere(unitOf(facts.lineage?.get(process.pid) ?? process), unit.unit));
  if (uid === undefined || !placed) {
    const unsure =
      uid === undefined
        ? `${quoteValue(user.value)} names no account in ${escapeText(facts.root === '/' ? '/etc/passwd' : `${facts.root}/etc/passwd`)} (an LDAP or sssd account?), so this check cannot tell which uid it is`
        : 'no cgroup shows whether it runs in a login session or another service (it may be in a container, a user’s own manager, or none)';
    return {
      severity: 'warning',
      reason: `${place} is held by ${held.map(describe).join('; ')}: the name matches, but ${unit.unit} runs ${service.name} as ${quoteValue(user.value)} (${setting}), and no holder runs as that account; whether it is ${service.name} or another copy is not known, as ${unsure}: if it is another copy, stop it and restart ${unit.unit}; if it is ${service.name} (in a container, or under an account this check cannot resolve), leave it`,
      file,
    };
  }
  const pids = held.map((process) => process.pid).join(' ');
  const accounts = [...new Set(held.map(account))].join(', ');
  const copy = stray
    ? `, and no holder of this socket does: another copy under ${accounts}, started by hand or by another unit, listens there`
    : `: another copy under ${accounts}, started by hand or by another unit, holds the port`;
  return {
    severity: 'error',
    reason:
      `${place} is held by ${held.map(describe).join('; ')}: the name matches, but ${unit.unit} runs ${service.name} as ${quoteValue(user.value)} (${setting})${copy}, ` +
      `and ${service.name}'s clients reach it, not ${service.name}; stop it (as root: \`kill ${pids}\`), then restart ${unit.unit}`,
    file,
  };
}

/**
 * Whether `place` (a holder's unit, unitOf) is somewhere only another start than `unit`'s puts a process: a login
 * session's scope (`session-3.scope`, started by hand) or another system service; not a user's own manager
 * (`user@1000.service`: rootless containers), a container's scope, or a cgroup that names none.
 */
function elsewhere(place: string | undefined, unit: string): boolean {
  if (place === undefined || place === unit) return false;
  return /^session-[^/]+\.scope$/.test(place) || (place.endsWith('.service') && !/^user@\d+\.service$/.test(place));
}

/** `user redis` (escaped), or `uid 1001` for an account with no name (accountText). */
function account(process: ProcessFacts): string {
  return accountText(process) ?? 'user unknown';
}
