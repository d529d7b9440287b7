// The JSON report: a stable, versioned document with every check result.
// Keys appear in a fixed order; new fields may be added within a version,
// none are removed or renamed without bumping `version`.
import type { HealthReport } from '../report.js';
import { oneLine, wellFormedJson } from '@dsa110/ports';
import { reportArgument } from './argument.js';
import { PROBLEM_SEVERITIES, type ProcessFacts } from '../types.js';

export const JSON_SCHEMA_ID = 'dsa110-port-health-check/v1';

function processJson(process: ProcessFacts) {
  return {
    pid: process.pid,
    user: process.user ?? null,
    uid: process.uid ?? null,
    comm: process.comm ?? null,
    exe: process.exe ?? null,
    argv: process.argv ?? null,
  };
}

export function renderJson(report: HealthReport): string {
  reportArgument('renderJson', report);
  const document = {
    schema: JSON_SCHEMA_ID,
    version: report.version,
    host: report.host,
    generatedAt: report.startedAt.toISOString(),
    durationMs: Math.round(report.durationMs * 10) / 10,
    registry: report.registry,
    root: report.root,
    strict: report.strict,
    status: report.status,
    exitCode: report.exitCode,
    counts: report.counts,
    services: report.services.map((row) => ({
      id: row.id,
      name: row.name,
      port: row.port,
      registryPort: row.registryPort,
      group: row.group,
      access: row.access,
      listening: row.listening ?? null,
      addresses: row.addresses,
      listeners: row.listeners,
      owners: row.owners.map(processJson),
      ownersKnown: row.ownersKnown,
      verdict: row.verdict,
    })),
    checks: report.results.map(checkJson),
  };
  return `${JSON.stringify(document, wellFormedJson, 2)}\n`;
}

function checkJson(result: HealthReport['results'][number]) {
  return {
    check: result.check,
    severity: result.severity,
    service: result.service ?? null,
    port: result.port ?? null,
    // As the text report prints it: a value a check quoted from a unit, a config file or a file name
    // reaches `jq -r .reason` with its control characters escaped, one line, never a terminal escape.
    reason: oneLine(result.reason),
    // Escaped as the reason is, so it reads in `reason` as it is: a file name's byte that is not UTF-8 is `\xff` (as
    // U+FFFD, `x\xff.conf` and `x\xfe.conf` were one name), a control character `\n`, `\e`, never a second line.
    file: result.file === undefined ? null : oneLine(result.file),
    processes: (result.processes ?? []).map(processJson),
  };
}

/** The `schema` of what stdout shows when a JSON report went to `--output FILE`. */
export const JSON_PROBLEMS_SCHEMA_ID = 'dsa110-port-health-check/problems/v1';

/**
 * What `--json --output FILE` prints on stdout once the report is in FILE: one JSON
 * object (as every --json output is) holding where the report went, the status, the
 * counts and the problems only (the checks that are errors, warnings or unknown), in
 * the report's own shape; the text format's `--output` shows the same problems as lines.
 */
export function renderJsonProblems(report: HealthReport, output: string): string {
  reportArgument('renderJsonProblems', report);
  const document = {
    schema: JSON_PROBLEMS_SCHEMA_ID,
    version: report.version,
    host: report.host,
    generatedAt: report.startedAt.toISOString(),
    output,
    status: report.status,
    exitCode: report.exitCode,
    counts: report.counts,
    checks: report.results.filter((result) => PROBLEM_SEVERITIES.includes(result.severity)).map(checkJson),
  };
  return `${JSON.stringify(document, wellFormedJson, 2)}\n`;
}
