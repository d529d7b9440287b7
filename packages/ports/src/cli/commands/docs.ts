import { readFile, rename, writeFile } from 'node:fs/promises';
import { regenerateDocs } from '../../render/docs.js';
import { unifiedDiff } from '../../render/diff.js';
import { loadForCheckout, type Context } from '../context.js';
import { CommandError, type Outcome } from '../exit-code.js';

/** The page `ports docs` regenerates when --file is not given, relative to the working directory. */
export const DEFAULT_DOCS_FILE = 'docs/ports.md';

export async function run(context: Context): Promise<Outcome> {
  const file = (context.values.file as string | undefined) ?? DEFAULT_DOCS_FILE;
  const registry = await loadForCheckout(context);
  let current: string;
  try {
    current = await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : (error as Error).message;
    const hint = context.values.file === undefined ? '; run from the repository root or pass --file PATH' : '';
    throw new CommandError(`ports docs: cannot read ${file}: ${why}${hint}`);
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
  const temporary = `${file}.${process.pid}.tmp`;
  try {
    await writeFile(temporary, next);
    await rename(temporary, file);
  } catch (error) {
    throw new CommandError(`ports docs: cannot write ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  context.io.out(`${file} regenerated from ${registry.source}\n`);
  return 'ok';
}
