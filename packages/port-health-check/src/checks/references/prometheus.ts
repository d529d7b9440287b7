// Prometheus: the scrape job of each service with metrics targets its port
// (prometheus.yml), and --web.listen-address puts Prometheus on its own port
// (the ARGS of /etc/default/prometheus, or a unit's ExecStart). prometheus.yml
// is read line by line, as it is written: `- job_name:` starts a job, and
// host:port strings on `targets` lines and the list items after them are its
// targets; a flow collection that spans lines is read as one line, and a job
// written as a flow mapping (`- {job_name: x, ...}`) is read too.
import { contentLines, type Finding, portOfAddress } from './finding.js';

export interface ScrapeExpectation {
  readonly job: string;
  readonly name: string;
  readonly port: number;
}

const unquote = (text: string) => text.replace(/^['"]|['"]$/g, '');

/** How deep `[` and `{` nest on a line, outside quotes (a flow collection open at its end continues on the next line). */
function flowDepth(text: string, depth: number): number {
  let quote: string | undefined;
  for (const char of text) {
    if (quote) {
      if (char === quote) quote = undefined;
    } else if (char === '"' || char === "'") quote = char;
    else if (char === '[' || char === '{') depth++;
    else if (char === ']' || char === '}') depth = Math.max(0, depth - 1);
  }
  return depth;
}

/** Content lines with a flow collection that spans lines (`targets: ['a',\n 'b']`) joined into one, at the line it starts on. */
function logicalLines(text: string): { line: number; text: string }[] {
  const joined: { line: number; text: string }[] = [];
  let depth = 0;
  for (const content of contentLines(text)) {
    if (depth > 0) joined[joined.length - 1]!.text += ` ${content.text}`;
    else joined.push({ ...content });
    depth = flowDepth(content.text, depth);
  }
  return joined;
}

/** The items of a flow sequence's text (`'a', "b", c`), unquoted. */
const flowItems = (text: string) =>
  text
    .split(',')
    .map((part) => unquote(part.trim()))
    .filter(Boolean);

export function readPrometheusYml(text: string, expect: readonly ScrapeExpectation[]): Finding[] {
  const jobs = new Map<string, { line: number; targets: { line: number; target: string }[] }>();
  let current: { line: number; targets: { line: number; target: string }[] } | undefined;
  let inTargets = false;
  for (const { line, text: content } of logicalLines(text)) {
    // Keys in block style (`- job_name: x`) or in a flow mapping (`- {job_name: x, static_configs: [{targets: [...]}]}`), in order.
    const keys = [...content.matchAll(/(?:^|[\s{,-])(job_name|targets):\s*/g)];
    if (keys.length > 0) {
      inTargets = false;
      for (const key of keys) {
        const rest = content.slice(key.index + key[0].length);
        if (key[1] === 'job_name') {
          current = { line, targets: [] };
          jobs.set(unquote(/^(?:'[^']*'|"[^"]*"|[^,}\]]*)/.exec(rest)![0].trim()), current);
        } else if (current) {
          const flow = /^\[([^\]]*)\]/.exec(rest);
          if (flow) for (const target of flowItems(flow[1]!)) current.targets.push({ line, target });
          else if (rest.trim() === '')
            inTargets = true; // a block list follows
          else current.targets.push({ line, target: unquote(rest.trim()) });
        }
      }
      continue;
    }
    if (!current) continue;
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
