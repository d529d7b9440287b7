import { loadParser } from '../../load-parser.js';
import { defineCommand } from '../command.js';

export const command = defineCommand({
  summary: 'the JSON Schema of ports.yaml',
  flags: {},
  json: 'the same: the output is JSON, with or without --json',
  notes: ['--registry is taken, as by every command, but not read: the schema is the same for every registry.'],
  async run(context) {
    context.io.out(`${JSON.stringify(loadParser().registryJsonSchema(), null, 2)}\n`);
    return 'ok';
  },
});
