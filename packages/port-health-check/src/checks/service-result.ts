// How a check about one service words its results: every reason starts with
// the service's label, `redis (6379): ...`, so a line read alone (cron mail,
// a Prometheus label, grep) still says which service and port it is about.
import type { Service } from '@dsa110/ports';
import { label } from '../label.js';
import type { CheckId, CheckResult, Severity } from '../types.js';

/**
 * The result maker of `check` for `service` on `port`: severity and reason in
 * (and the file the finding comes from, when there is one), a CheckResult
 * out; `fixed` adds fields every result of this check carries (`processes`).
 */
export function serviceResult(check: CheckId, service: Pick<Service, 'id'>, port: number, fixed: Pick<CheckResult, 'processes'> = {}) {
  return (severity: Severity, reason: string, file?: string): CheckResult => ({
    check,
    severity,
    service: service.id,
    port,
    reason: `${label(service, port)}: ${reason}`,
    ...fixed,
    ...(file && { file }),
  });
}
