// Process names in the owner and listening checks' findings, against real
// listeners that named themselves (process.title: comm and argv[0]): a Cyrillic
// look-alike of the expected name shows as what it is (`r\u0435dis-server`, as
// processNameText shows it), beside the registry's names shown the same way, and
// a long name with a control character is cut between escapes, never inside one.
import { userInfo } from 'node:os';
import { parseRegistry } from '@dsa110/ports';
import { describe, expect, it } from 'vitest';
import { spawnListener } from '../../../../test-support/index.js';
import { checkListening } from '../../src/checks/listening.js';
import { checkOwner } from '../../src/checks/owner.js';
import { gather } from '../../src/gather.js';
import type { Facts } from '../../src/types.js';
import { quietPort, registryText, tempDir, testRegistry, type ServiceSpec } from '../helpers.js';

const me = userInfo().username;
/** `redis-server` with a Cyrillic е (U+0435) for its e: it reads as the name it imitates. */
const LOOKALIKE = 'r\u0435dis-server';

function factsFor(services: ServiceSpec[], protect: string[] = []): Promise<Facts> {
  const registry = parseRegistry(JSON.stringify({ ...JSON.parse(registryText(services)), claim: { protect: { processes: protect } } }), {
    source: 'test-ports.yaml',
  });
  return gather({ registry, root: tempDir(), firewall: false });
}

describe('process names in the findings, as processNameText shows them', () => {
  it('an intruder named with a look-alike of the expected name: its comm and argv[0] escaped', async () => {
    const intruder = await spawnListener({ host: '127.0.0.1', name: LOOKALIKE });
    const facts = await factsFor([{ id: 'redis', port: intruder.port, processes: ['redis-server'] }]);
    const [result] = checkOwner(facts, facts.registry.service('redis'));
    expect(result!.reason).toContain(`held by r\\u0435dis-server (pid ${intruder.pid}, user ${me}): r\\u0435dis-server, not by Redis (expected redis-server);`);
  });

  it('the name a protected pattern matches, and the pattern: quoted and escaped alike', async () => {
    const intruder = await spawnListener({ host: '127.0.0.1', name: LOOKALIKE });
    const facts = await factsFor([{ id: 'api', port: intruder.port, processes: ['uvicorn'] }], ['r\u0435dis-*']);
    const [result] = checkOwner(facts, facts.registry.service('api'));
    expect(result!.reason).toContain(
      `stop it by hand (claim-port refuses it: its name "r\\u0435dis-server" matches the protected pattern "r\\u0435dis-*" (claim.protect.processes in the bundled registry))`,
    );
  });

  it('the registry’s expected names beside it: a look-alike there shows too', async () => {
    const intruder = await spawnListener({ host: '127.0.0.1', name: 'redis-server' });
    const facts = await factsFor([{ id: 'redis', port: intruder.port, processes: [LOOKALIKE] }]);
    const [result] = checkOwner(facts, facts.registry.service('redis'));
    expect(result!.reason).toContain(`: redis-server, not by Redis (expected r\\u0435dis-server);`);
  });

  it('a command line cut at 160 characters just after a control character in argv[0]: cut before its escape, not inside it', async () => {
    const long = `${'x'.repeat(158)}\u0007yyyy`;
    const intruder = await spawnListener({ host: '127.0.0.1', name: long });
    const facts = await factsFor([{ id: 'redis', port: intruder.port, processes: ['redis-server'] }]);
    const [result] = checkOwner(facts, facts.registry.service('redis'));
    expect(result!.reason).toContain(`(pid ${intruder.pid}, user ${me}): ${'x'.repeat(158)}…, not by Redis`);
  });

  it('listening: where the service listens instead, its holder named the same way', async () => {
    const stray = await spawnListener({ host: '127.0.0.1', name: LOOKALIKE });
    const api: ServiceSpec = { id: 'api', port: quietPort(new Set([stray.port])), processes: [LOOKALIKE] };
    const facts = await gather({ registry: testRegistry([api]), root: tempDir(), firewall: false });
    const [result] = checkListening(facts, facts.registry.service('api'));
    expect(result!.reason).toContain(
      `(127.0.0.1:${stray.port}, held by r\\u0435dis-server (pid ${stray.pid}, user ${me}): r\\u0435dis-server), not on ${api.port}`,
    );
  });
});
