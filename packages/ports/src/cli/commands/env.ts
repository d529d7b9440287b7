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
      // Not for a word of one or two letters: `js` is no typo of `sh`.
      const near = format.length > 2 ? closest(format, ENV_FORMATS) : undefined;
      throw new UsageError(`ports env: unknown format ${quoteValue(format)}${didYouMeanText(near)}; use one of ${ENV_FORMATS.join(', ')}`);
    }
    context.io.out(renderEnv(await load(context), format));
    return 'ok';
  },
});
