// Prometheus: the scrape job of each service with metrics targets its port
// (prometheus.yml), and --web.listen-address puts Prometheus on its own port
// (the ARGS of /etc/default/prometheus, or a unit's ExecStart). prometheus.yml
// is read line by line, as it is written: `- job_name:` starts a job, and
// host:port strings on `targets` lines and the list items after them are its targets.
import { contentLines, type Finding, portOfAddress } from './finding.js';

export interface ScrapeExpectation {
  readonly job: string;
  readonly name: string;
  readonly port: number;
}

const unquote = (text: string) => text.replace(/^['"]|['"]$/g, '');

export function readPrometheusYml(text: string, expect: readonly ScrapeExpectation[]): Finding[] {
  const jobs = new Map<string, { line: number; targets: { line: number; target: string }[] }>();
  let current: { line: number; targets: { line: number; target: string }[] } | undefined;
  let inTargets = false;
  for (const { line, text: content } of contentLines(text)) {
    const job = /^-?\s*job_name:\s*(.+)$/.exec(content);
    if (job) {
      current = { line, targets: [] };
      jobs.set(unquote(job[1]!.trim()), current);
      inTargets = false;
      continue;
    }
    if (!current) continue;
    const targets = /^-?\s*targets:\s*(.*)$/.exec(content);
    if (targets) {
      inTargets = true;
      for (const target of targets[1]!
        .replace(/^\[|\]$/g, '')
        .split(',')
        .map((part) => unquote(part.trim()))
        .filter(Boolean))
        current.targets.push({ line, target });
      continue;
    }
    const item = /^-\s+(['"]?[^\s'"]+['"]?)$/.exec(content);
    if (inTargets && item) current.targets.push({ line, target: unquote(item[1]!) });
    else inTargets = false;
  }
  const findings: Finding[] = [];
  for (const want of expect) {
    const job = jobs.get(want.job);
    if (!job) {
      findings.push({
        line: 0,
        severity: 'error',
        message: `no scrape job ${want.job}, so Prometheus does not scrape ${want.name} on port ${want.port} (ports snippet prometheus-yml)`,
      });
      continue;
    }
    if (job.targets.length === 0)
      findings.push({ line: job.line, severity: 'error', message: `scrape job ${want.job} has no targets; add localhost:${want.port}` });
    for (const { line, target } of job.targets) {
      if (portOfAddress(target) !== want.port) {
        findings.push({ line, severity: 'error', message: `scrape job ${want.job} targets ${target}, but ${want.name} uses port ${want.port}` });
      }
    }
  }
  return findings;
}

/** Prometheus's own default listen address, when no --web.listen-address is given. */
export const PROMETHEUS_DEFAULT_PORT = 9090;

export function readPrometheusArgs(text: string, expect: { name: string; port: number }): Finding[] {
  const findings: Finding[] = [];
  let seen = false;
  for (const { line, text: content } of contentLines(text)) {
    for (const match of content.matchAll(/--web\.listen-address(?:=|\s+)['"]?([^\s'"]+)/g)) {
      seen = true;
      const port = portOfAddress(match[1]!);
      if (port !== expect.port)
        findings.push({ line, severity: 'error', message: `--web.listen-address=${match[1]}, but the registry says ${expect.name} uses port ${expect.port}` });
    }
  }
  if (!seen && expect.port !== PROMETHEUS_DEFAULT_PORT) {
    findings.push({
      line: 0,
      severity: 'error',
      message: `sets no --web.listen-address, so ${expect.name} listens on its default ${PROMETHEUS_DEFAULT_PORT}, not ${expect.port}`,
    });
  }
  return findings;
}
