import { PortsError, wellFormedJson } from '../../index.js';
import { defineCommand } from '../command.js';
import { load } from '../context.js';

export const command = defineCommand({
  summary: "a service's effective port (its env override applied), alone on stdout",
  operands: '<id>',
  flags: {},
  json: '{"id":"api","port":8000,"source":"registry"} (source "env": its variable named)',
  notes: [
    'For shell use: port=$(ports get api) || exit 1; uvicorn app:app --port "$port"',
    '(not uvicorn app:app --port "$(ports get api)": when ports get fails, uvicorn still runs, with --port "").',
    'Exits 1 for an unknown id or a bad override, with nothing on stdout.',
  ],
  async run(context) {
    const registry = await load(context);
    const id = context.positionals[0]!;
    try {
      const resolved = registry.resolvePort(id, { env: context.env });
      context.io.out(context.values.json ? `${JSON.stringify({ id, ...resolved }, wellFormedJson)}\n` : `${resolved.port}\n`);
    } catch (error) {
      if (error instanceof PortsError) throw new PortsError(error.code, `ports get: ${error.message}`);
      throw error;
    }
    return 'ok';
  },
});
