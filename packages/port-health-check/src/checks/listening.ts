// Check 4, listening: is anything listening on the service's port, and on
// which addresses (IPv4, IPv6, dual-stack `[::]`)? A service that is not
// development-only must listen; a dev server that is not running is fine.
// One that is not on its port but whose own processes (its workers too, as
// workers.ts tells them) listen elsewhere is told where.
import type { Service } from '@dsa110/ports';
import { formatListeners } from '../address.js';
import { effectivePort } from '../effective-port.js';
import { serviceResult } from './service-result.js';
import type { CheckResult, Facts, ProcessFacts } from '../types.js';
import { describeProcess, describeWorker } from '../process-match.js';
import { holdersOf, isDevOnly, listenersOn, restartOf, strayListeners } from './listeners.js';

export function checkListening(facts: Facts, service: Service): CheckResult[] {
  const { port } = effectivePort(facts, service);
  const result = serviceResult('listening', service, port);
  if (service.transport !== 'tcp') return [result('unknown', `${service.transport.toUpperCase()} ports are not checked (only TCP listeners are read)`)];
  if (facts.sockets.problem) return [result('unknown', `cannot tell whether port ${port} is listening: ${facts.sockets.problem}`)];
  const listeners = listenersOn(facts, port);
  if (listeners.length === 0) {
    if (isDevOnly(service)) return [result('ok', `not listening (${service.name} is development-only)`)];
    const missing = `nothing is listening on port ${port}, but ${service.name} (${service.group}) should be`;
    // Its own processes on another port: started before its port moved, a restart moves it (starting it would not);
    // or configured for another port (nginx on 443 alone), which must listen on this one too: both said, never "move it".
    const { listeners: stray, workers } = strayListeners(facts, service);
    // A worker named as the owner check names it (the one home of "is this process the service's": workers.ts).
    const describe = (process: ProcessFacts) => {
      const worker = workers.get(process.pid);
      return worker === undefined ? describeProcess(process) : describeWorker(process, worker.parent);
    };
    if (stray.length > 0) {
      const ports = [...new Set(stray.map((listener) => listener.port))].sort((a, b) => a - b);
      return [
        result(
          'error',
          `${missing}; by its names it listens on ${ports.length === 1 ? 'port' : 'ports'} ${ports.join(', ')} (${formatListeners(stray).join(', ')}, held by ${holdersOf(facts, stray).processes.map(describe).join('; ')}), not on ${port}: if ${port} is new to it (the registry or its unit moved it), ${restartOf(service)}; else make it listen on ${port} as well, as the registry says`,
        ),
      ];
    }
    const unit = service.systemd ? `; start ${service.systemd.unit}` : '';
    return [result('error', `${missing}${unit}`)];
  }
  return [result('ok', `listening on ${formatListeners(listeners).join(', ')}`)];
}
