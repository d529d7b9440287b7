import { FileReadError, readTextFile } from '../../files/read.js';
import { FileWriteError, writeOutputFile } from '../../files/write.js';
import { regenerateDocs } from '../../render/docs.js';
import { unifiedDiff } from '../../render/diff.js';
import { defineCommand } from '../command.js';
import { load } from '../context.js';
import { CommandError } from '../exit-code.js';
import { escapeText } from '../../escape.js';

/** The page `ports docs` regenerates when --file is not given, relative to the working directory. */
export const DEFAULT_DOCS_FILE = 'docs/ports.md';

export const command = defineCommand({
  summary: 'regenerate the generated sections of the port reference page',
  flags: {
    file: { type: 'string', value: 'PATH', help: `the page (default: ${DEFAULT_DOCS_FILE} in the current directory)` },
    check: { type: 'boolean', help: 'write nothing; print a diff and exit 1 when the page is stale' },
  },
  checkout: true,
  async run(context) {
    const file = context.values.file ?? DEFAULT_DOCS_FILE;
    const registry = await load(context);
    let current: string;
    try {
      // Never blocks on a FIFO or device; a page over 4 MiB is not a docs page.
      current = readTextFile(file, { maxBytes: 4 * 1024 * 1024 });
    } catch (error) {
      if (!(error instanceof FileReadError)) throw error;
      const why = error.reason;
      const hint = context.values.file === undefined && error.kind === 'missing' ? '; run from the repository root or pass --file PATH' : '';
      throw new CommandError(`ports docs: cannot read ${escapeText(file)}: ${why}${hint}`);
    }
    const next = regenerateDocs(current, registry, file);
    if (context.values.check) {
      if (next === current) {
        context.io.out(`${file} is up to date with ${registry.source}\n`);
        return 'ok';
      }
      context.io.out(unifiedDiff(current, next, { from: `${file} (committed)`, to: `${file} (from ${registry.source})` }));
      context.io.err(`${file} is stale: run "ports docs" to regenerate it from ${registry.source}, then commit it\n`);
      return 'failed';
    }
    if (next === current) {
      context.io.out(`${file} is already up to date\n`);
      return 'ok';
    }
    try {
      // Atomic replace of a regular file; a device or FIFO in place; never a symlink replaced.
      writeOutputFile(file, next);
    } catch (error) {
      if (!(error instanceof FileWriteError)) throw error;
      throw new CommandError(`ports docs: cannot write ${file}: ${error.reason}`);
    }
    context.io.out(`${file} regenerated from ${registry.source}\n`);
    return 'ok';
  },
});
