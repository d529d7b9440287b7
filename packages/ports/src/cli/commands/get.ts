import { formatRange, PortsError } from '../../index.js';
import { load, type Context } from '../context.js';
import type { Outcome } from '../exit-code.js';

export async function run(context: Context): Promise<Outcome> {
  const registry = await load(context);
  const id = context.positionals[0]!;
  const reserved = registry.reserved.find((entry) => entry.id === id);
  if (reserved && !registry.has(id)) {
    throw new PortsError(
      'UNKNOWN_SERVICE',
      `ports get: "${id}" is a reserved range (${formatRange(reserved)}), not a service; use "ports free ${id}" for a free port in it`,
    );
  }
  try {
    const resolved = registry.resolvePort(id, { env: context.env });
    context.io.out(context.values.json ? `${JSON.stringify({ id, ...resolved })}\n` : `${resolved.port}\n`);
  } catch (error) {
    if (error instanceof PortsError) throw new PortsError(error.code, `ports get: ${error.message}`);
    throw error;
  }
  return 'ok';
}
