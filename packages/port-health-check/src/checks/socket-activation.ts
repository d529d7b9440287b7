// Part of the systemd check: a service whose port a socket unit listens on
// (socket activation) and whose ExecStartPre= also runs claim-port. systemd
// (PID 1) then holds the port for the socket unit, and claim-port never
// signals PID 1: it refuses, ExecStartPre= fails, and the service never
// starts. The verdict is @dsa110/ports/systemd's socketConflicts (shared with
// `ports systemd`); this adds the live fact (PID 1 holds the port now) and the
// severities. Pure: facts in, results out.
import type { Service } from '@dsa110/ports';
import { socketConflicts, type UnitFacts } from '@dsa110/ports/systemd';
import { listenersOn } from './listeners.js';
import type { CheckResult, Facts, Severity } from '../types.js';

type Result = (severity: Severity, reason: string, file?: string) => CheckResult;

export function checkSocketActivation(facts: Facts, service: Service, unit: UnitFacts, port: number, result: Result): CheckResult[] {
  const sockets = facts.socketUnits?.get(unit.unit) ?? [];
  if (sockets.length === 0) return [];
  // PID 1 holding the port now: the socket unit is active, whatever its files say.
  const heldByInit = listenersOn(facts, port).some((listener) => listener.holders?.some((holder) => holder.pid === 1));
  return socketConflicts(unit, sockets, { port, transport: service.transport, claimPortPaths: facts.claimPortPaths, heldByInit }).map((conflict) =>
    result(conflict.started ? 'warning' : 'info', conflict.reason, conflict.where),
  );
}
