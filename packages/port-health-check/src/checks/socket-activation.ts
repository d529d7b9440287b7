// Part of the systemd check: a service whose port a socket unit listens on
// (socket activation) and whose ExecStartPre= also runs claim-port. systemd
// (PID 1) then holds the port for the socket unit, and claim-port never
// signals PID 1: it refuses, ExecStartPre= fails, and the service never
// starts. Pure: facts in, results out.
import type { Service } from '@dsa110/ports';
import { claimLines, type UnitFacts } from '@dsa110/ports/systemd';
import { listenersOn } from './listeners.js';
import type { CheckResult, Facts, Severity } from '../types.js';

type Result = (severity: Severity, reason: string, file?: string) => CheckResult;

export function checkSocketActivation(facts: Facts, service: Service, unit: UnitFacts, port: number, result: Result): CheckResult[] {
  const sockets = facts.socketUnits?.get(unit.unit) ?? [];
  const claim = claimLines(unit.execStartPre, facts.claimPortPaths)[0];
  if (sockets.length === 0 || !claim) return [];
  // PID 1 holding the port now: the socket unit is active, whatever its files say.
  const heldByInit = listenersOn(facts, port).some((listener) => listener.holders?.some((holder) => holder.pid === 1));
  const results: CheckResult[] = [];
  for (const socket of sockets) {
    const listen = socket.listens.find((entry) => entry.port === port && entry.transport === service.transport);
    if (!listen) continue;
    const claimAt = `ExecStartPre= at ${claim.file}:${claim.line}`;
    const started = socket.pulledByService
      ? `${unit.unit}'s Sockets= starts it with the service`
      : socket.enabledBy
        ? `it is enabled (${socket.enabledBy})`
        : heldByInit
          ? 'it is active now'
          : undefined;
    const what = `${socket.unit} (${socket.via}) listens on ${listen.key}=${listen.value} for ${unit.unit}`;
    const fix = `drop the claim-port ${claimAt} (systemd hands the socket over, so no stray process can hold the port), or drop the socket unit (remove or \`systemctl mask ${socket.unit}\`)`;
    const where = `${listen.file}:${listen.line}`;
    results.push(
      started
        ? result(
            'warning',
            `${what}, and ${started}: systemd (PID 1) holds port ${port} for it, and claim-port (${claimAt}) never signals PID 1, so it refuses and ${unit.unit} can never start; ${fix}`,
            where,
          )
        : result(
            'info',
            `${what}; it is not enabled, so claim-port works today, but once ${socket.unit} is started systemd (PID 1) holds port ${port}, claim-port (${claimAt}) refuses and ${unit.unit} cannot start; ${fix}`,
            where,
          ),
    );
  }
  return results;
}
