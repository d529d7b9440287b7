// Check 8, kernel: a registered port inside net.ipv4.ip_local_port_range
// and not in ip_local_reserved_ports can be taken by any outgoing connection
// while the service is down, and the service then cannot start.
import type { Service } from '@dsa110/ports';
import { effectivePort } from '../effective-port.js';
import { inRanges } from '../kernel.js';
import { serviceResult } from './service-result.js';
import type { CheckResult, Facts } from '../types.js';

export function checkKernel(facts: Facts, service: Service): CheckResult[] {
  const { port } = effectivePort(facts, service);
  const result = serviceResult('kernel', service, port);
  const range = facts.kernel.ephemeral;
  if (!range) return [result('unknown', `cannot read the ephemeral port range: ${facts.kernel.problem ?? 'unknown reason'}`)];
  const shown = `${range.start}-${range.end}`;
  if (port < range.start || port > range.end) return [result('ok', `outside the ephemeral port range ${shown}`)];
  if (inRanges(port, facts.kernel.reservedPorts))
    return [result('ok', `inside the ephemeral port range ${shown} but listed in net.ipv4.ip_local_reserved_ports`)];
  return [
    result(
      'warning',
      `port ${port} is inside the ephemeral port range ${shown} (net.ipv4.ip_local_port_range), so an outgoing connection can take it; add it to net.ipv4.ip_local_reserved_ports`,
    ),
  ];
}
