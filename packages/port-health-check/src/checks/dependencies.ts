// Check 2, dependencies: what the other checks and the units rely on. The
// socket table must be readable; each claim-port executable a unit calls
// must exist (under --root) and be executable, or the unit fails to start;
// and what its #! line runs (`#!/usr/bin/env node`) must be found in the PATH
// systemd gives the unit (its Environment=PATH=, ExecSearchPath=, else systemd's default), not
// only in an operator's shell. A claim-port named without a path is the file
// systemd finds for it (its built-in search path, or the unit's ExecSearchPath=;
// gather looks), judged as a path would be. Root runs it (ExecStartPre=+): a
// part of it, of what its #! line runs or of what its bin loads, that someone
// besides root may change is an error (rootWritablePart; npm under umask 000).
// A claim-port several units run is judged for each of their services (its own
// unit line, its own PATH): a broken one stops every one of those units, and
// each service's alert rule pages at that service's severity.
import { escapeText } from '@dsa110/ports';
import { join } from 'node:path';
import { claimLines, claimPortInstall, describeExecSearch, interpreterProblem, rootWritableProblem, where } from '@dsa110/ports/systemd';
import { claimLookup } from '../claim-lookup.js';
import type { CheckResult, Facts } from '../types.js';

export function checkDependencies(facts: Facts): CheckResult[] {
  const results: CheckResult[] = [];
  const { sockets } = facts;
  if (sockets.problem) {
    results.push({ check: 'dependencies', severity: 'error', reason: `cannot read the socket table: ${sockets.problem}` });
  } else if (sockets.unreadableProcesses > 0) {
    results.push({
      check: 'dependencies',
      severity: 'info',
      reason: `/proc is readable, but the open files of ${sockets.unreadableProcesses === 1 ? '1 process are' : `${sockets.unreadableProcesses} processes are`} not: the owners of their sockets are unknown (${sockets.readAsRoot ? "even root cannot read them here: protected processes, or another container's" : 'run as root to see them; in some containers even root cannot'})`,
    });
  } else {
    results.push({ check: 'dependencies', severity: 'ok', reason: '/proc is readable: every socket owner can be seen' });
  }

  // Each claim-port (path, or bare name and where systemd looks it up: execKey), with each service whose unit calls it: the
  // first line of that unit that does, and the PATH the unit gets. Every such service gets its own result, so a broken
  // claim-port pages under each service it stops (at that service's alert severity), not under the first alone.
  const callers = new Map<string, Caller[]>();
  for (const service of facts.services) {
    const unit = service.robust && service.systemd ? facts.units.get(service.systemd.unit) : undefined;
    if (!unit || unit.masked) continue;
    for (const line of claimLines(unit.execStartPre, facts.claimPortPaths)) {
      const {
        key,
        searchPath: { value: searchPath },
      } = claimLookup(line, unit);
      const known = callers.get(key) ?? [];
      callers.set(key, known);
      if (!known.some((caller) => caller.service === service.id)) known.push({ service: service.id, at: where(line), searchPath, command: line.argv[0]! });
    }
  }
  for (const [key, known] of callers) {
    const judged = known.map((caller) => ({ caller, findings: judge(facts, key, caller, known) }));
    // One problem the same for several callers (the file is missing, its interpreter not found in the same PATH): each
    // service keeps its own result, but they share one `sharedText` for the text report, naming them all, so it is said once.
    const sharing = new Map<string, Caller[]>();
    for (const { caller, findings } of judged) {
      for (const finding of findings) {
        const same = `${finding.result.severity}\0${finding.tail}`;
        sharing.set(same, [...(sharing.get(same) ?? []), caller]);
      }
    }
    for (const { findings } of judged) {
      for (const { result, tail } of findings) {
        const all = sharing.get(`${result.severity}\0${tail}`)!;
        results.push(all.length > 1 ? { ...result, sharedText: `${head(facts, key, all[0]!, known, all)}${tail}` } : result);
      }
    }
  }
  return results;
}

/**
 * The other callers a result names: a few, then how many more. Each of the n
 * callers has a result of its own, so naming every other one made n² names
 * (a claim-port 500 units run: 250,000 names, megabytes of report).
 */
const MAX_OTHER_CALLERS_NAMED = 5;

function alsoBy(others: readonly string[]): string {
  if (others.length <= MAX_OTHER_CALLERS_NAMED) return others.join(', ');
  return `${others.slice(0, MAX_OTHER_CALLERS_NAMED).join(', ')} and ${others.length - MAX_OTHER_CALLERS_NAMED} more`;
}

/**
 * How a finding on the claim-port `key` starts: the file, and who calls it. For one caller, `caller`'s line and the
 * others that call the file (`called by redis in FILE:LINE; also by grafana, api`); for the one line of a problem the
 * same for several (`sharing`, caller first among them), each of them at its line, the first few and how many more.
 */
function head(facts: Facts, key: string, caller: Caller, callers: readonly Caller[], sharing?: readonly Caller[]): string {
  const executable = facts.executables.get(key);
  // A bare name: the file systemd found for it (or the one it cannot look at), and the name the line gives; none found, the name alone.
  const name = executable?.name;
  const shown = name === undefined ? ` ${escapeText(caller.command)}` : executable!.path !== name ? ` ${escapeText(executable!.path)}` : '';
  const as = name === undefined ? '' : ` as ${escapeText(name)}`;
  if (sharing !== undefined) return `claim-port${shown} (called by ${alsoBy(sharing.map((each) => `${each.service} in ${each.at}`))}${as})`;
  // The other services whose units call the same file: one fix mends them all.
  const others = callers.filter((other) => other !== caller).map((other) => other.service);
  return `claim-port${shown} (called by ${caller.service} in ${caller.at}${as}${others.length > 0 ? `; also by ${alsoBy(others)}` : ''})`;
}

/** A service whose unit calls a claim-port: the service, the first unit line that calls it (`FILE:LINE`), and the PATH the unit gets. */
interface Caller {
  readonly service: string;
  readonly at: string;
  readonly searchPath: string;
  /** The command as the line gives it (a path, or a bare name). */
  readonly command: string;
}

/** One finding of judge(): its result, and what its reason says after who calls the file (the same for each caller it concerns). */
interface Finding {
  readonly result: CheckResult;
  readonly tail: string;
}

/** The findings on the claim-port `key` for one service that calls it (`caller`); `callers` are all that call it, named in each reason. */
function judge(facts: Facts, key: string, caller: Caller, callers: readonly Caller[]): Finding[] {
  const results: Finding[] = [];
  const executable = facts.executables.get(key);
  // Chrooted in the unit's RootDirectory= (`+` does not lift it): the file is inside that directory, and installed there.
  const chroot = executable?.rootDirectory;
  const system = chroot === undefined ? facts.root : join(facts.root, chroot.directory);
  const shownRoot =
    chroot === undefined
      ? facts.root === '/'
        ? ''
        : ` under ${facts.root}`
      : ` under ${escapeText(system)} (RootDirectory=${escapeText(chroot.setting.value, 200)} in ${where(chroot.setting)} chroots it, \`+\` too)`;
  // How to install it where the units look (a bare name: where the README installs it).
  const install = (path: string) => `install claim-port there (${claimPortInstall(path.startsWith('/') ? path : undefined, system)})`;
  const base = head(facts, key, caller, callers);
  const result = (severity: CheckResult['severity'], tail: string): Finding => ({
    result: { check: 'dependencies', severity, service: caller.service, reason: `${base}${tail}`, file: caller.at },
    tail,
  });
  if (!executable) return [result('unknown', `: not looked at`)];
  if (executable.problem) return [result('unknown', `: ${executable.problem}`)];
  if (!executable.exists) {
    // systemd fails on a loop of symbolic links (ELOOP) as on a missing file.
    const loops = (executable.loops ?? []).map((loop) => `${escapeText(loop.path)} is ${loop.reason}`).join(', ');
    return [
      result(
        'error',
        executable.searched === undefined
          ? ` ${loops === '' ? 'does not exist' : `is ${executable.loops![0]!.reason}`}${shownRoot}; ${install(executable.path)}`
          : executable.envPath !== undefined
            ? ` does not exist${shownRoot} in any directory of the PATH env sets before it (PATH=${escapeText(executable.envPath)}), so env fails (env: '${escapeText(executable.path)}': No such file or directory) and systemd cannot start the unit${loops === '' ? '' : `: ${loops}`}; ${envPathFix(executable.searched.dirs, system)}`
            : ` does not exist${shownRoot} in any directory systemd searches for a command without a path (${describeExecSearch(executable.searched)})${loops === '' ? '' : `: ${loops}`}; ${install(executable.path)}`,
      ),
    ];
  }
  if (executable.notRegular)
    return [result('error', ` is not a regular file${shownRoot} (a FIFO, directory or device: nothing systemd can run); ${install(executable.path)}`)];
  if (!executable.executable) return [result('error', ` is not an executable file${shownRoot}; chmod +x it`)];
  // What its #! line runs in the PATH this unit gets: systemd cannot start a unit whose claim-port's interpreter it cannot find.
  let runs: string | undefined;
  const lookup = executable.interpreters?.get(caller.searchPath);
  if (lookup === undefined) results.push(result('unknown', `: its #! line was not looked at`));
  else {
    const problem = interpreterProblem(lookup);
    if (problem !== undefined) results.push(result(lookup.kind === 'missing' || lookup.kind === 'invalid' ? 'error' : 'unknown', `${shownRoot}: ${problem}`));
    else if (lookup.kind === 'found') runs = lookup.command === undefined ? lookup.path : `${lookup.command} at ${lookup.path}`;
  }
  // Root runs it (ExecStartPre=+): a part others may change is an error even when it runs.
  if (executable.rootWritable !== undefined) results.push(result('error', `${shownRoot}: ${rootWritableProblem(executable.rootWritable)}`));
  if (results.length === 0)
    results.push(
      result('ok', ` exists${chroot === undefined ? '' : shownRoot} and is executable${runs === undefined ? '' : `, and its interpreter is found (${runs})`}`),
    );
  return results;
}

/** What to do about a claim-port not in the PATH env sets: install it in a `.../bin` of it (npm's --prefix puts it there), or name it where it is. */
function envPathFix(dirs: readonly string[], system: string): string {
  const bin = dirs.find((dir) => /^\/.+\/bin$/.test(dir));
  const install = bin === undefined ? '' : `install claim-port in ${escapeText(bin)} (${claimPortInstall(`${bin}/claim-port`, system)}), or `;
  return `${install}set that PATH to the directory claim-port is in, or write claim-port's absolute path after env`;
}
