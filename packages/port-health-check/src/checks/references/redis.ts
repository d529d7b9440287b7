// redis.conf: `port` is the service's port and `bind` stays within its
// access level. Redis applies the last occurrence of a directive.
import { isLoopback } from '../../address.js';
import { contentLines, type Finding } from './finding.js';

/** Redis's compiled-in port, when redis.conf sets none. */
export const REDIS_DEFAULT_PORT = 6379;

export function readRedisConf(text: string, expect: { name: string; port: number; localOnly: boolean }): Finding[] {
  let port: { line: number; value: string } | undefined;
  let bind: { line: number; addresses: string[] } | undefined;
  for (const { line, text: content } of contentLines(text)) {
    const [directive, ...args] = content.split(/\s+/);
    if (directive?.toLowerCase() === 'port' && args[0] !== undefined) port = { line, value: args[0] };
    if (directive?.toLowerCase() === 'bind') bind = { line, addresses: args };
  }
  const findings: Finding[] = [];
  if (port === undefined) {
    if (expect.port !== REDIS_DEFAULT_PORT)
      findings.push({
        line: 0,
        severity: 'error',
        message: `sets no port, so ${expect.name} listens on ${REDIS_DEFAULT_PORT}, not ${expect.port}; add port ${expect.port}`,
      });
  } else if (port.value !== String(expect.port)) {
    findings.push({ line: port.line, severity: 'error', message: `port ${port.value}, but the registry says ${expect.name} uses port ${expect.port}` });
  }
  if (expect.localOnly) {
    if (bind === undefined) {
      findings.push({
        line: 0,
        severity: 'error',
        message: `sets no bind, so ${expect.name} listens on every address; add bind 127.0.0.1 -::1 (localhost only)`,
      });
    } else {
      const wide = bind.addresses.map((address) => address.replace(/^-/, '')).filter((address) => address !== 'localhost' && !isLoopback(address));
      if (wide.length > 0)
        findings.push({
          line: bind.line,
          severity: 'error',
          message: `bind ${bind.addresses.join(' ')} reaches beyond this host (${wide.join(', ')}), but ${expect.name} is localhost-only`,
        });
    }
  }
  return findings;
}
