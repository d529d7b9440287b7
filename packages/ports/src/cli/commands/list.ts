import { listJson, renderList } from '../../render/list.js';
import { load, type Context } from '../context.js';
import type { Outcome } from '../exit-code.js';

export async function run(context: Context): Promise<Outcome> {
  const registry = await load(context);
  context.io.out(context.values.json ? `${JSON.stringify(listJson(registry), null, 2)}\n` : renderList(registry));
  return 'ok';
}
