import { dirname } from 'node:path';
import { FileReadError, readFileBytes } from '../../files/read.js';
import { utf8Problem } from '../../utf8.js';
import { FileWriteError, writeOutputFile } from '../../files/write.js';
import { regenerateDocs } from '../../render/docs.js';
import { unifiedDiff } from '../../render/diff.js';
import { defineCommand } from '../command.js';
import { load } from '../context.js';
import { CommandError, UsageError } from '../exit-code.js';
import { driftWords, regenerateCommand } from '../regenerate.js';
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
    if (context.values.file === '') throw new UsageError('ports docs: --file needs a path');
    const file = context.values.file ?? DEFAULT_DOCS_FILE;
    const registry = await load(context);
    let bytes: Buffer;
    try {
      // Never blocks on a FIFO or device; a page over 4 MiB is not a docs page.
      bytes = readFileBytes(file, { maxBytes: 4 * 1024 * 1024 });
    } catch (error) {
      if (!(error instanceof FileReadError)) throw error;
      const why = error.reason;
      const hint = context.values.file === undefined && error.kind === 'missing' ? '; run from the repository root or pass --file PATH' : '';
      throw new CommandError(`ports docs: cannot read ${escapeText(file)}: ${why}${hint}`);
    }
    // Decoding would turn each bad byte of the prose into U+FFFD, and writing would keep that: refuse instead.
    const encoding = utf8Problem(bytes);
    if (encoding)
      throw new CommandError(
        `${escapeText(file)}:${encoding.line}:${encoding.column}: ${encoding.message}${context.values.check ? '' : '; nothing was written'}`,
      );
    const current = bytes.toString('utf8');
    const next = regenerateDocs(current, registry, file);
    // Printed names: the path as typed and the registry's, escaped (a newline in one must not start a line).
    const shown = escapeText(file);
    const source = escapeText(registry.source);
    if (context.values.check) {
      if (next === current) {
        context.io.out(`${shown} is up to date with ${source}\n`);
        return 'ok';
      }
      const words = driftWords(dirname(file), 'it');
      context.io.out(unifiedDiff(current, next, { from: `${shown} (${words.current})`, to: `${shown} (from ${source})` }));
      context.io.err(`${shown} is stale: run "${regenerateCommand(context, 'docs', ['file'])}" to regenerate it from ${source}${words.afterwards}\n`);
      return 'failed';
    }
    if (next === current) {
      context.io.out(`${shown} is already up to date\n`);
      return 'ok';
    }
    try {
      // Atomic replace of a regular file; a device or FIFO in place; never a symlink replaced.
      writeOutputFile(file, next, { warn: (line) => context.io.err(`ports docs: ${line}`) });
    } catch (error) {
      if (!(error instanceof FileWriteError)) throw error;
      throw new CommandError(`ports docs: cannot write ${shown}: ${error.reason}`);
    }
    context.io.out(`${shown} regenerated from ${source}\n`);
    return 'ok';
  },
});
