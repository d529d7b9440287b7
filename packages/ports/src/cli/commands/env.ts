import { ENV_FORMATS, isEnvFormat, renderEnv } from '../../render/env.js';
import { defineCommand } from '../command.js';
import { load } from '../context.js';
import { UsageError } from '../exit-code.js';
import { quoteValue } from '../../escape.js';
import { closest, didYouMeanText } from '../../suggest.js';

export const command = defineCommand({
  summary: 'the env variables of the configurable services, with their registry ports',
  flags: {
    format: {
      type: 'string',
      value: 'sh|dotenv|systemd',
      help: ['sh: export CONTIMG_API_PORT=8000 (default)', 'dotenv: CONTIMG_API_PORT=8000', 'systemd: Environment=CONTIMG_API_PORT=8000'],
    },
  },
  async run(context) {
    const format = context.values.format ?? 'sh';
    if (!isEnvFormat(format)) {
      throw new UsageError(
        `ports env: unknown format ${quoteValue(format)}${didYouMeanText(closest(format, ENV_FORMATS))}; use one of ${ENV_FORMATS.join(', ')}`,
      );
    }
    context.io.out(renderEnv(await load(context), format));
    return 'ok';
  },
});
