import { ENV_FORMATS, isEnvFormat, renderEnv } from '../../render/env.js';
import { load, type Context } from '../context.js';
import { UsageError, type Outcome } from '../exit-code.js';

export async function run(context: Context): Promise<Outcome> {
  const format = (context.values.format as string | undefined) ?? 'sh';
  if (!isEnvFormat(format)) throw new UsageError(`ports env: unknown format "${format}"; use one of ${ENV_FORMATS.join(', ')}`);
  context.io.out(renderEnv(await load(context), format));
  return 'ok';
}
