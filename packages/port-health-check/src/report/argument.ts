// The report argument of the renderers, checked: a caller from JavaScript who
// passes null or {} gets a TypeError naming it, not "Cannot read properties".
import { describeArgument } from '@dsa110/ports';
import type { HealthReport } from '../report.js';

/** A HealthReport (from checkPorts), checked by its shape: anything else is a TypeError naming the argument. */
export function reportArgument(fn: string, report: unknown): HealthReport {
  const r = report as HealthReport | null;
  if (
    typeof r === 'object' &&
    r !== null &&
    Array.isArray(r.services) &&
    Array.isArray(r.results) &&
    typeof r.counts === 'object' &&
    r.counts !== null &&
    r.startedAt instanceof Date
  )
    return r;
  throw new TypeError(`${fn}: report must be a HealthReport from checkPorts (with services, results, counts and startedAt), not ${describeArgument(report)}`);
}
