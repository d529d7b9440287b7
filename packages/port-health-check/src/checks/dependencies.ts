// Check 2, dependencies: what the other checks and the units rely on. The
// socket table must be readable; each claim-port executable a unit calls
// must exist (under --root) and be executable, or the unit fails to start.
import { claimLines, where } from '@dsa110/ports/systemd';
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

  // Each claim-port path once, naming the first unit line that calls it.
  const callers = new Map<string, { service: string; at: string }>();
  for (const service of facts.services) {
    const unit = service.robust && service.systemd ? facts.units.get(service.systemd.unit) : undefined;
    if (!unit || unit.masked) continue;
    for (const line of claimLines(unit.execStartPre, facts.claimPortPaths)) {
      if (!callers.has(line.argv[0]!)) callers.set(line.argv[0]!, { service: service.id, at: where(line) });
    }
  }
  const shownRoot = facts.root === '/' ? '' : ` under ${facts.root}`;
  for (const [path, caller] of callers) {
    const executable = facts.executables.get(path);
    const base = `claim-port ${path} (called by ${caller.service} in ${caller.at})`;
    const result = (severity: CheckResult['severity'], reason: string): CheckResult => ({
      check: 'dependencies',
      severity,
      service: caller.service,
      reason,
      file: caller.at,
    });
    if (!executable) results.push(result('unknown', `${base}: not looked at`));
    else if (executable.problem) results.push(result('unknown', `${base}: ${executable.problem}`));
    else if (!executable.exists) results.push(result('error', `${base} does not exist${shownRoot}; install @dsa110/claim-port there`));
    else if (!executable.executable) results.push(result('error', `${base} is not an executable file${shownRoot}; chmod +x it`));
    else results.push(result('ok', `${base} exists and is executable`));
  }
  return results;
}
