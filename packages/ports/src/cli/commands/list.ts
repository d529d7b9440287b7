import { wellFormedJson } from '../../escape.js';
import { listJson, renderList } from '../../render/list.js';
import { defineCommand } from '../command.js';
import { load } from '../context.js';

export const command = defineCommand({
  summary: 'the registry as a table: services, then reserved ranges',
  flags: {},
  json: 'the services and reserved entries as JSON',
  async run(context) {
    const registry = await load(context);
    context.io.out(context.values.json ? `${JSON.stringify(listJson(registry), wellFormedJson, 2)}\n` : renderList(registry));
    return 'ok';
  },
});
