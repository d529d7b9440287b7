import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { unifiedDiff } from '../../render/diff.js';
import { DEFAULT_DEPLOY_DIR, monitoringFiles, type GeneratedFile } from '../../render/monitoring.js';
import { loadForCheckout, type Context } from '../context.js';
import { CommandError, UsageError, type Outcome } from '../exit-code.js';

export async function run(context: Context): Promise<Outcome> {
  const { out, check } = context.values as { out?: string; check?: boolean };
  if (out === '') throw new UsageError('ports monitoring: --out needs a directory');
  const dir = out ?? DEFAULT_DEPLOY_DIR;
  const registry = await loadForCheckout(context);
  const files = monitoringFiles(registry);
  return check ? checkFiles(context, files, dir, registry.source) : writeFiles(context, files, dir, registry.source);
}

async function checkFiles(context: Context, files: readonly GeneratedFile[], dir: string, source: string): Promise<Outcome> {
  let stale = 0;
  for (const file of files) {
    const path = join(dir, file.path);
    const current = await readText(path);
    if (current === file.contents) continue;
    stale++;
    if (current === undefined) context.io.out(`${path}: missing\n`);
    else context.io.out(unifiedDiff(current, file.contents, { from: `${path} (committed)`, to: `${path} (from ${source})` }));
  }
  if (stale > 0) {
    context.io.err(`${stale} of ${files.length} files under ${dir} are stale: run "ports monitoring" to regenerate them from ${source}, then commit them\n`);
    return 'failed';
  }
  context.io.out(`${dir}: ${files.length} files up to date with ${source}\n`);
  return 'ok';
}

async function writeFiles(context: Context, files: readonly GeneratedFile[], dir: string, source: string): Promise<Outcome> {
  let wrote = 0;
  for (const file of files) {
    const path = join(dir, file.path);
    if ((await readText(path)) === file.contents) continue;
    try {
      await mkdir(dirname(path), { recursive: true });
      const temporary = `${path}.${process.pid}.tmp`;
      await writeFile(temporary, file.contents, { mode: 0o644 });
      await rename(temporary, path);
    } catch (error) {
      throw new CommandError(`ports monitoring: cannot write ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
    }
    context.io.out(`wrote ${path}\n`);
    wrote++;
  }
  context.io.out(`${dir}: ${wrote === 0 ? 'already up to date' : `${wrote} of ${files.length} files regenerated`} from ${source}\n`);
  return 'ok';
}

async function readText(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw new CommandError(`ports monitoring: cannot read ${path}: ${code === 'EISDIR' ? 'it is a directory' : (code ?? (error as Error).message)}`);
  }
}
