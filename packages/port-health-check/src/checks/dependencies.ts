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
import { escapeText } from '@dsa110/ports';
import {
  claimLines,
  claimPortInstall,
  describeExecSearch,
  execKey,
  interpreterProblem,
  rootWritableProblem,
  unitSearchPath,
  where,
} from '@dsa110/ports/systemd';
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

  // Each claim-port (path, or bare name and where systemd looks it up: execKey) once, naming the first unit line that calls it; and, by each PATH the calling units get, the first of those.
  const callers = new Map<string, { service: string; at: string; bySearchPath: Map<string, { service: string; at: string }> }>();
  for (const service of facts.services) {
    const unit = service.robust && service.systemd ? facts.units.get(service.systemd.unit) : undefined;
    if (!unit || unit.masked) continue;
    const searchPath = unitSearchPath(unit).value;
    for (const line of claimLines(unit.execStartPre, facts.claimPortPaths)) {
      const caller = { service: service.id, at: where(line) };
      const key = execKey(line.argv[0]!, unit);
      const known = callers.get(key) ?? { ...caller, bySearchPath: new Map() };
      callers.set(key, known);
      if (!known.bySearchPath.has(searchPath)) known.bySearchPath.set(searchPath, caller);
    }
  }
  const shownRoot = facts.root === '/' ? '' : ` under ${facts.root}`;
  // How to install it where the units look (a bare name: where the README installs it).
  const install = (path: string) => `install claim-port there (${claimPortInstall(path.startsWith('/') ? path : undefined, facts.root)})`;
  for (const [key, caller] of callers) {
    const executable = facts.executables.get(key);
    // A bare name: the file systemd found for it (or the one it cannot look at), and the name the line gives; none found, the name alone.
    const name = executable?.name;
    const shown = name === undefined ? ` ${key}` : executable!.path !== name ? ` ${escapeText(executable!.path)}` : '';
    const describe = (by: { service: string; at: string }) =>
      `claim-port${shown} (called by ${by.service} in ${by.at}${name === undefined ? '' : ` as ${escapeText(name)}`})`;
    const base = describe(caller);
    const result = (severity: CheckResult['severity'], reason: string, by: { service: string; at: string } = caller): CheckResult => ({
      check: 'dependencies',
      severity,
      service: by.service,
      reason,
      file: by.at,
    });
    if (!executable) results.push(result('unknown', `${base}: not looked at`));
    else if (executable.problem) results.push(result('unknown', `${base}: ${executable.problem}`));
    else if (!executable.exists) {
      // systemd fails on a loop of symbolic links (ELOOP) as on a missing file.
      const loops = (executable.loops ?? []).map((loop) => `${escapeText(loop.path)} is ${loop.reason}`).join(', ');
      results.push(
        result(
          'error',
          executable.searched === undefined
            ? `${base} ${loops === '' ? 'does not exist' : `is ${executable.loops![0]!.reason}`}${shownRoot}; ${install(executable.path)}`
            : `${base} does not exist${shownRoot} in any directory systemd searches for a command without a path (${describeExecSearch(executable.searched)})${loops === '' ? '' : `: ${loops}`}; ${install(executable.path)}`,
        ),
      );
    } else if (executable.notRegular)
      results.push(
        result('error', `${base} is not a regular file${shownRoot} (a FIFO, directory or device: nothing systemd can run); ${install(executable.path)}`),
      );
    else if (!executable.executable) results.push(result('error', `${base} is not an executable file${shownRoot}; chmod +x it`));
    else {
      // What its #! line runs, once for each PATH the units that call it get: systemd cannot start a unit whose claim-port's interpreter it cannot find.
      const found: string[] = [];
      let failed = false;
      for (const [searchPath, by] of caller.bySearchPath) {
        const lookup = executable.interpreters?.get(searchPath);
        if (lookup === undefined) {
          results.push(result('unknown', `${describe(by)}: its #! line was not looked at`, by));
          failed = true;
          continue;
        }
        const problem = interpreterProblem(lookup);
        if (problem !== undefined) {
          results.push(result(lookup.kind === 'missing' || lookup.kind === 'invalid' ? 'error' : 'unknown', `${describe(by)}${shownRoot}: ${problem}`, by));
          failed = true;
        } else if (lookup.kind === 'found') found.push(lookup.command === undefined ? lookup.path : `${lookup.command} at ${lookup.path}`);
      }
      const runs = [...new Set(found)];
      // Root runs it (ExecStartPre=+): a part others may change is an error even when it runs.
      if (executable.rootWritable !== undefined) {
        results.push(result('error', `${base}${shownRoot}: ${rootWritableProblem(executable.rootWritable)}`));
        failed = true;
      }
      if (!failed)
        results.push(result('ok', `${base} exists and is executable${runs.length > 0 ? `, and its interpreter is found (${runs.join(', ')})` : ''}`));
    }
  }
  return results;
}
