// An nginx site: every `listen` on the service's port, every `proxy_pass` to
// this machine on the upstream's port, and the upstream's metrics location
// restricted (`deny all`). Line-based, which fits how sites are written: one
// directive per line, `location ... {` opening a block.
import { contentLines, type Finding, isLoopbackHost, parseUrl } from './finding.js';

export interface NginxExpectations {
  readonly name: string;
  readonly port: number;
  readonly upstream: { readonly name: string; readonly port: number; readonly metrics: string };
}

export function readNginxSite(text: string, expect: NginxExpectations): Finding[] {
  const findings: Finding[] = [];
  const locations: { path: string; line: number; denyAll: boolean; depth: number }[] = [];
  const metricsLocations: { path: string; line: number; denyAll: boolean }[] = [];
  let depth = 0;
  let listens = 0;
  for (const { line, text: directive } of contentLines(text)) {
    const location = /^location\s+(?:[=~^*]+\s+)?(\S+)\s*\{/.exec(directive);
    if (location) locations.push({ path: location[1]!, line, denyAll: false, depth: depth + 1 });
    const listen = /^listen\s+([^;\s]+)/.exec(directive);
    if (listen && !listen[1]!.startsWith('unix:')) {
      listens++;
      const value = listen[1]!;
      const port = /^\d+$/.test(value) ? Number(value) : Number(/:(\d+)$/.exec(value)?.[1] ?? 80);
      if (port !== expect.port) findings.push({ line, severity: 'error', message: `listen ${value}, but the registry says ${expect.name} uses port ${expect.port}` });
    }
    const proxy = /^proxy_pass\s+([^;\s]+)/.exec(directive);
    if (proxy) {
      const url = parseUrl(proxy[1]!);
      if (url && isLoopbackHost(url.host) && url.port !== expect.upstream.port) {
        findings.push({ line, severity: 'error', message: `proxy_pass ${proxy[1]}, but ${expect.upstream.name} uses port ${expect.upstream.port}` });
      }
    }
    if (/^deny\s+all\s*;/.test(directive) && locations.length > 0) locations[locations.length - 1]!.denyAll = true;
    depth += (directive.match(/\{/g) ?? []).length - (directive.match(/\}/g) ?? []).length;
    while (locations.length > 0 && depth < locations[locations.length - 1]!.depth) {
      const closed = locations.pop()!;
      if (closed.path.startsWith(expect.upstream.metrics)) metricsLocations.push(closed);
    }
  }
  metricsLocations.push(...locations.filter((open) => open.path.startsWith(expect.upstream.metrics)));
  if (listens === 0) findings.push({ line: 0, severity: 'warning', message: `no listen directive (nginx then listens on 80); add listen ${expect.port};` });
  for (const location of metricsLocations) {
    if (!location.denyAll) {
      findings.push({ line: location.line, severity: 'error', message: `location ${location.path} is not restricted to localhost; add allow 127.0.0.1; deny all;` });
    }
  }
  if (metricsLocations.length === 0) {
    findings.push({ line: 0, severity: 'warning', message: `no location ${expect.upstream.metrics} restricting ${expect.upstream.name}'s metrics to localhost (ports snippet nginx-site)` });
  }
  return findings;
}
