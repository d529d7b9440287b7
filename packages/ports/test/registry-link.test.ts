// loadRegistry as root: a symbolic link on the way to the registry (the file,
// or a directory above it) that root does not own is not followed (load.ts,
// foreignLink): its owner chose the target, which could be any root-only file
// whose lines a parse error then quotes. Real links chowned to uid 65534.
import { chmodSync, lchownSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../../../test-support/tree.js';
import { checkRegistryFile, loadRegistry, RegistryError } from '../src/index.js';

const asRoot = process.geteuid?.() === 0;
const NOBODY = 65534;

/** A root-only directory holding a root-only `secret` (not a registry: its text is what a parse error would quote). */
function secretTree(): { dir: string; secret: string } {
  const dir = tempDir('dsa110-link-');
  chmodSync(dir, 0o755);
  const secret = join(dir, 'secret');
  writeFileSync(secret, 'version: 1\nclaim:\n  protect:\n    processes: "SECRETX"\nservices: []\n', { mode: 0o600 });
  return { dir, secret };
}

async function failure(path: string): Promise<RegistryError> {
  const error = await loadRegistry({ path, env: {} }).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(RegistryError);
  return error as RegistryError;
}

describe.skipIf(!asRoot)('loadRegistry as root: links another user owns', () => {
  it('the file a link of uid 65534: refused in one line naming it and the fix, the target never read; checkRegistryFile says the same', async () => {
    const { dir, secret } = secretTree();
    const link = join(dir, 'ports.yaml');
    symlinkSync(secret, link);
    lchownSync(link, NOBODY, NOBODY);
    const error = await failure(link);
    const message = `cannot read the registry: ${link} is a symbolic link owned by uid ${NOBODY}, not by root, and root does not follow another user's link (it could point root at any file); give the path of the file itself, or make the link root's (chown -h root:root ${link})`;
    expect(error.issues).toEqual([{ path: '', message, line: 0, column: 0 }]);
    expect(error.message).not.toContain('SECRETX');
    expect(() => checkRegistryFile({ path: link, env: {} })).toThrow(message);
    // The same link made root's is followed (the rule is about who chose the target): its parse error quotes it.
    lchownSync(link, 0, 0);
    expect((await failure(link)).message).toContain('SECRETX');
  });

  it('a directory above a link of uid 65534 (relative path too): refused, naming the link', async () => {
    const { dir } = secretTree();
    mkdirSync(join(dir, 'real'), { mode: 0o700 });
    writeFileSync(join(dir, 'real/ports.yaml'), 'SECRETX: [\n', { mode: 0o600 });
    symlinkSync('real', join(dir, 'via'));
    lchownSync(join(dir, 'via'), NOBODY, NOBODY);
    const error = await failure(join(dir, 'via/ports.yaml'));
    expect(error.issues[0]!.message).toContain(`${join(dir, 'via')} is a symbolic link owned by uid ${NOBODY}, not by root`);
    expect(error.message).not.toContain('SECRETX');
    const cwd = process.cwd();
    process.chdir(dir);
    try {
      expect((await failure('via/ports.yaml')).issues[0]!.message).toContain(`${join(dir, 'via')} is a symbolic link owned by uid ${NOBODY}`);
    } finally {
      process.chdir(cwd);
    }
  });
});
