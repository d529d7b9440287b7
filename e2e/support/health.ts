// port-health-check's JSON report, as the e2e tests read it.
import { runBin, show, type BinResult } from './bins.js';

export interface ProcessJson {
  pid: number;
  user: string | null;
  comm: string | null;
  exe: string | null;
  argv: string[] | null;
}

export interface HealthJson {
  status: string;
  exitCode: number;
  counts: Record<string, number>;
  services: Array<{
    id: string;
    port: number;
    listening: boolean | null;
    addresses: string[];
    owners: ProcessJson[];
    verdict: string;
  }>;
  checks: Array<{
    check: string;
    severity: string;
    service: string | null;
    port: number | null;
    reason: string;
    file: string | null;
    processes: ProcessJson[];
  }>;
}

export interface HealthRun {
  result: BinResult;
  report: HealthJson;
  /** Results of severity error. */
  errors: HealthJson['checks'];
  /** Everything, for failure messages. */
  text: string;
}

export async function healthCheck(args: readonly string[], env?: NodeJS.ProcessEnv): Promise<HealthRun> {
  const result = await runBin('port-health-check', [...args, '--format', 'json'], { env });
  let report: HealthJson;
  try {
    report = JSON.parse(result.stdout) as HealthJson;
  } catch {
    throw new Error(`e2e: port-health-check printed no JSON report\n${show(result)}`);
  }
  const errors = report.checks.filter((check) => check.severity === 'error');
  const summary = report.checks
    .filter((check) => check.severity !== 'ok')
    .map((check) => `  ${check.severity} ${check.check} ${check.service ?? '-'}: ${check.reason}`)
    .join('\n');
  return { result, report, errors, text: `${result.command}\nexit ${result.code}\nnot ok:\n${summary}\n--- stderr ---\n${result.stderr}` };
}
