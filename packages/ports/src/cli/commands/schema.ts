import { loadParser } from '../../load-parser.js';
import type { Context } from '../context.js';
import type { Outcome } from '../exit-code.js';

export async function run(context: Context): Promise<Outcome> {
  context.io.out(`${JSON.stringify(loadParser().registryJsonSchema(), null, 2)}\n`);
  return 'ok';
}
