import { formatRange, PortsError } from '../../index.js';
import { findFreePort } from '../../system/free-port.js';
import { load, type Context } from '../context.js';
import { CommandError, type Outcome } from '../exit-code.js';

export async function run(context: Context): Promise<Outcome> {
  const registry = await load(context);
  const id = context.positionals[0]!;
  const range = registry.reserved.find((entry) => entry.id === id);
  if (!range) {
    const known = registry.reserved.map((entry) => entry.id).sort();
    const hint = registry.has(id) ? ` ("${id}" is a service: "ports get ${id}" prints its port)` : '';
    throw new PortsError('NOT_FOUND', `ports free: no reserved range "${id}"${hint}; reserved ids: ${known.join(', ') || 'none'}`);
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
}
