import { formatRange, PortsError } from '../../index.js';
import { quoteValue } from '../../escape.js';
import { findFreePort } from '../../system/free-port.js';
import { defineCommand } from '../command.js';
import { load } from '../context.js';
import { CommandError } from '../exit-code.js';

export const command = defineCommand({
  summary: 'the first port of a reserved range that can be bound now on 0.0.0.0 and [::]',
  operands: '<reserved-id>',
  flags: {},
  json: '{"id":"dashboard-fallback","port":3210}',
  notes: ['Exits 1 when every port of the range is taken.'],
  async run(context) {
    const registry = await load(context);
    const id = context.positionals[0]!;
    const range = registry.reserved.find((entry) => entry.id === id);
    if (!range) {
      const known = registry.reserved.map((entry) => entry.id).sort();
      const hint = registry.has(id) ? ` ("${id}" is a service: "ports get ${id}" prints its port)` : '';
      throw new PortsError('NOT_FOUND', `ports free: no reserved range ${quoteValue(id)}${hint}; reserved ids: ${known.join(', ') || 'none'}`);
    }
    const port = await findFreePort(range);
    if (port === undefined) {
      const size = range.end - range.start + 1;
      throw new CommandError(
        `ports free: no free port in "${id}" (${formatRange(range)}): ${size === 1 ? 'the port is' : `all ${size} ports are`} in use on 0.0.0.0 or [::]`,
      );
    }
    context.io.out(context.values.json ? `${JSON.stringify({ id, port })}\n` : `${port}\n`);
    return 'ok';
  },
});
