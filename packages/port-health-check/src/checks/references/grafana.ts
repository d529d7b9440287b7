// A Grafana datasource provisioning file: each `url:` on this machine points
// at the upstream's (Prometheus's) port.
import { contentLines, type Finding, isLoopbackHost, parseUrl } from './finding.js';

export function readGrafanaDatasource(text: string, expect: { upstream: { name: string; port: number } }): Finding[] {
  const findings: Finding[] = [];
  let urls = 0;
  for (const { line, text: content } of contentLines(text)) {
    const match = /^-?\s*url:\s*['"]?([^'"\s]+)/.exec(content);
    if (!match) continue;
    urls++;
    const url = parseUrl(match[1]!);
    if (url && isLoopbackHost(url.host) && url.port !== expect.upstream.port) {
      findings.push({ line, severity: 'error', message: `url ${match[1]}, but ${expect.upstream.name} uses port ${expect.upstream.port}` });
    }
  }
  if (urls === 0) findings.push({ line: 0, severity: 'warning', message: `no datasource url: for ${expect.upstream.name} (ports snippet grafana-datasource)` });
  return findings;
}
