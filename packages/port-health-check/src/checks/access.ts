// Check 6, access: the bind address matches the access the service is meant
// to have. A localhost-only service (Redis has no authentication) on
// 0.0.0.0, `::` or any non-loopback address is an error; a dev server
// reachable from the network is a warning.
import type { Service } from '@dsa110/ports';
import { exposure, formatListener, formatListeners, isLoopback } from '../address.js';
import { effectivePort } from '../effective-port.js';
import { serviceResult } from './service-result.js';
import type { CheckResult, Facts } from '../types.js';
import { listenersOn } from './listeners.js';

export function checkAccess(facts: Facts, service: Service): CheckResult[] {
  if (facts.sockets.problem || service.transport !== 'tcp') return [];
  const { port } = effectivePort(facts, service);
  const listeners = listenersOn(facts, port);
  if (listeners.length === 0) return [];
  const result = serviceResult('access', service, port);
  const exposed = listeners.filter((listener) => !isLoopback(listener.address));
  // exposure() says what dual-stack means here: no "(IPv4+IPv6 unless v6only)" suffix as well.
  const where = formatListeners(exposed, (listener) => `${formatListener({ ...listener, dualStack: false })} (${exposure(listener)})`).join(', ');
  if (service.access === 'localhost' && exposed.length > 0) {
    const rule = service.accessNote ? `the registry says ${service.name} is "${service.accessNote}"` : `${service.name} is localhost-only`;
    return [result('error', `listens on ${where}, but ${rule}; bind it to 127.0.0.1 or ::1`)];
  }
  if (service.access === 'dev' && exposed.length > 0) {
    return [result('warning', `listens on ${where}: the development server ${service.name} is reachable from the network; bind it to 127.0.0.1`)];
  }
  if (exposed.length === 0) return [result('ok', `bound to loopback only (access: ${service.access})`)];
  return [result('ok', `listens on ${where} (access: ${service.access})`)];
}
