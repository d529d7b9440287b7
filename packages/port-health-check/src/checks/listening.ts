// Check 4, listening: is anything listening on the service's port, and on
// which addresses (IPv4, IPv6, dual-stack `[::]`)? A service that is not
// development-only must listen; a dev server that is not running is fine.
import type { Service } from '@dsa110/ports';
import { formatListeners } from '../address.js';
import { effectivePort } from '../effective-port.js';
import { serviceResult } from './service-result.js';
import type { CheckResult, Facts } from '../types.js';
import { isDevOnly, listenersOn } from './listeners.js';

export function checkListening(facts: Facts, service: Service): CheckResult[] {
  const { port } = effectivePort(facts, service);
  const result = serviceResult('listening', service, port);
  if (service.transport !== 'tcp') return [result('unknown', `${service.transport.toUpperCase()} ports are not checked (only TCP listeners are read)`)];
  if (facts.sockets.problem) return [result('unknown', `cannot tell whether port ${port} is listening: ${facts.sockets.problem}`)];
  const listeners = listenersOn(facts, port);
  if (listeners.length === 0) {
    if (isDevOnly(service)) return [result('ok', `not listening (${service.name} is development-only)`)];
    const unit = service.systemd ? `; start ${service.systemd.unit}` : '';
    return [result('error', `nothing is listening on port ${port}, but ${service.name} (${service.group}) should be${unit}`)];
  }
  return [result('ok', `listening on ${formatListeners(listeners).join(', ')}`)];
}
