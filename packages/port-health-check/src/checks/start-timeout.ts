// Part of the systemd check: a unit whose start timeout is not longer than
// the longest its claim-port lines may take (startTimeoutFinding in
// @dsa110/ports/systemd says why that matters; `ports systemd` says the same
// of the units it wires). Pure: facts in, results out.
import { startTimeoutFinding, type UnitFacts } from '@dsa110/ports/systemd';
import type { CheckResult, ExecLine, Facts, Severity } from '../types.js';

type Result = (severity: Severity, reason: string, file?: string) => CheckResult;

export function checkStartTimeout(facts: Facts, unit: UnitFacts, claims: readonly ExecLine[], result: Result): CheckResult[] {
  const finding = startTimeoutFinding(unit, claims, facts.registry.claim.timeoutSeconds, facts.defaultStartTimeout);
  return finding === undefined ? [] : [result('warning', finding.reason, finding.where)];
}
