// loadRegistry as root: a symbolic link on the way to the registry (the file,
// or a directory above it) that root does not own is not followed (load.ts,
// foreignLink): its owner chose the target, which could be any root-only file
// whose lines a parse error then quotes. Real links chowned to uid 65534.
import { chmodSync, chownSync, lchownSync, mkdirSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../../../test-support/tree.js';
import { checkApprovedFileReadable, readApprovedFileBytes, readApprovedFilePrefix } from '../src/files/read.js';
import { checkRegistryFile, loadRegistry, RegistryError } from '../src/index.js';
import { type RegistryLimits, readRegistryBytes, readRegistryFile } from '../src/load.js';
import { minimalRegistry } from './helpers.js';

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

// The walk that refuses another's link and the open were two steps: whoever owns the directory could put a link
// to a root-only file there between them, and root read it (a parse error quoted its first line). Made
// deterministic: the reader readRegistryFile is given replaces the file first, as the race would.
describe.skipIf(!asRoot)('loadRegistry as root: the file replaced between the walk and the open', () => {
  const SECRET = 'ROOT_ONLY_SECRET_hunter2';
  const changed = 'the path changed while it was being read';

  /** A root-only secret, and `race/reg.yaml`, a registry in a directory uid 65534 owns (so may replace its files). */
  function raceTree(): { dir: string; race: string; reg: string; secret: string } {
    const dir = tempDir('dsa110-race-');
    chmodSync(dir, 0o755);
    const secret = join(dir, 'secret.yaml');
    writeFileSync(secret, `${SECRET}: x\n`, { mode: 0o600 });
    const race = join(dir, 'race');
    mkdirSync(race, { mode: 0o755 });
    chownSync(race, NOBODY, NOBODY);
    const reg = join(race, 'reg.yaml');
    writeFileSync(reg, minimalRegistry);
    chownSync(reg, NOBODY, NOBODY);
    return { dir, race, reg, secret };
  }

  /** What uid 65534 may do in its directory: a link of theirs to `target` put at `at` atomically (rename). */
  function swapToLink(target: string, at: string): void {
    const temp = `${at}.tmp`;
    symlinkSync(target, temp);
    lchownSync(temp, NOBODY, NOBODY);
    renameSync(temp, at);
  }

  /** readRegistryFile with `read`, after `swap`: the error, or the bytes read as text. */
  function outcome<T>(path: string, swap: () => void, read: (path: string, limits: RegistryLimits) => T): unknown {
    try {
      return String(
        readRegistryFile(path, { path }, (at, limits) => {
          swap();
          return read(at, limits);
        }),
      );
    } catch (error) {
      return error;
    }
  }

  /**
   * Refused, the secret never read: the file changed between the walk and the open, so it is walked again (a rename
   * by an editor or an atomic write is no attack as a rule), and the walk then finds the link uid 65534 put there.
   */
  function expectRefused(result: unknown): void {
    const text = result instanceof Error ? result.message : String(result);
    expect(text).not.toContain('hunter2');
    expect(result).toBeInstanceOf(RegistryError);
    expect((result as RegistryError).issues).toHaveLength(1);
    expect((result as RegistryError).issues[0]!.message).toMatch(new RegExp(`is a symbolic link owned by uid ${NOBODY}`));
  }

  it('a registry replaced by an atomic write (a new file renamed over it) between the walk and the open: the new one read, for the read and the check', () => {
    const { race, reg } = raceTree();
    const renamedOver = (text: string) => () => {
      writeFileSync(join(race, 'next.yaml'), text);
      renameSync(join(race, 'next.yaml'), reg);
    };
    let swaps = 0;
    const once = renamedOver(`${minimalRegistry}# saved\n`);
    expect(outcome(reg, () => swaps++ === 0 && once(), readApprovedFileBytes)).toBe(`${minimalRegistry}# saved\n`);
    swaps = 0;
    expect(outcome(reg, () => swaps++ === 0 && once(), checkApprovedFileReadable)).toBe('undefined');
    // Replaced at every look: refused as changed, never a file half-judged.
    const always = outcome(reg, renamedOver(minimalRegistry), readApprovedFileBytes);
    expect(always).toBeInstanceOf(RegistryError);
    expect((always as RegistryError).issues[0]!.message).toMatch(new RegExp(`^cannot read the registry: ${changed} \\(.*\\); nothing was read from it: `));
  });

  it('a registry over 1 MiB replaced by an atomic write between its read and the read for its claim blocks: read again, what it protects kept', () => {
    const { race, reg } = raceTree();
    const big = `${minimalRegistry}claim:\n  protect:\n    processes: [keepme]\n${'# an appended log line, long enough to fill a megabyte\n'.repeat(24_000)}`;
    writeFileSync(reg, big);
    let swaps = 0;
    const result = outcome(
      reg,
      () => {},
      (at, limits) =>
        readRegistryBytes(at, limits, (path, prefixLimits) => {
          if (swaps++ === 0) {
            writeFileSync(join(race, 'next.yaml'), big);
            renameSync(join(race, 'next.yaml'), reg);
          }
          return readApprovedFilePrefix(path, prefixLimits);
        }),
    );
    expect(swaps).toBe(2);
    expect(result).toBeInstanceOf(RegistryError);
    expect((result as RegistryError).issues[0]!.message).toMatch(/larger than 1 MiB/);
    expect((result as RegistryError).protect).toEqual({ processes: ['keepme'] });
  });

  it('a link to a root-only file put in its place: refused (walked again, the link is found), the secret never read, for the read and the check', () => {
    const { reg, secret } = raceTree();
    expectRefused(outcome(reg, () => swapToLink(secret, reg), readApprovedFileBytes));
    const again = raceTree();
    expectRefused(outcome(again.reg, () => swapToLink(again.secret, again.reg), checkApprovedFileReadable));
  });

  it('a directory on the way replaced by a link to a root-only directory: refused, the file there never read', () => {
    const { dir, reg } = raceTree();
    // /DIR/user (uid 65534's) holds race/; /DIR/private (root's, 0700) holds race/reg.yaml, the secret.
    const user = join(dir, 'user');
    mkdirSync(user, { mode: 0o755 });
    chownSync(user, NOBODY, NOBODY);
    renameSync(join(dir, 'race'), join(user, 'race'));
    mkdirSync(join(dir, 'private/race'), { recursive: true, mode: 0o700 });
    writeFileSync(join(dir, 'private/race/reg.yaml'), `${SECRET}: x\n`, { mode: 0o600 });
    const path = join(user, 'race/reg.yaml');
    expect(reg).not.toBe(path);
    expectRefused(
      outcome(
        path,
        () => {
          renameSync(join(user, 'race'), join(user, 'old'));
          swapToLink(join(dir, 'private/race'), join(user, 'race'));
        },
        readApprovedFileBytes,
      ),
    );
  });

  it('a file missing at the walk and a link there at the open: refused, never read', () => {
    const { reg, secret } = raceTree();
    rmSync(reg);
    expectRefused(outcome(reg, () => swapToLink(secret, reg), readApprovedFileBytes));
  });

  it('a link to a device put in its place: refused (opened O_NOFOLLOW, so the device never is; walked again, the link is found)', () => {
    const { reg } = raceTree();
    expectRefused(outcome(reg, () => swapToLink('/dev/zero', reg), checkApprovedFileReadable));
  });

  it('no swap: the registry is read, and a root link to it followed', async () => {
    const { race, reg } = raceTree();
    expect(outcome(reg, () => {}, readApprovedFileBytes)).toBe(minimalRegistry);
    const link = join(race, 'link.yaml');
    symlinkSync(reg, link);
    expect((await loadRegistry({ path: link, env: {} })).services.length).toBeGreaterThan(0);
    rmSync(reg);
    expect(() => checkRegistryFile({ path: reg, env: {} })).toThrow('cannot read the registry: no such file; check the path');
    // A path the walk ends at no file of (a directory by `..`) is said as what it is, not as changed.
    for (const path of [`${race}/..`, '/']) {
      expect(() => checkRegistryFile({ path, env: {} })).toThrow('cannot read the registry: it is a directory, not a regular file; check the path');
    }
    // A directory named with a slash at the end (`DSA110_PORTS_FILE=/etc/dsa110/`): a directory, as without it (it read "no such file").
    for (const path of [`${race}/`, `${race}/.`]) {
      expect(() => checkRegistryFile({ path, env: {} })).toThrow('cannot read the registry: it is a directory, not a regular file; check the path');
      await expect(loadRegistry({ path, env: {} })).rejects.toThrow('cannot read the registry: it is a directory, not a regular file; check the path');
    }
    // A file named so asks for a directory: said so.
    writeFileSync(reg, minimalRegistry);
    expect(() => checkRegistryFile({ path: `${reg}/`, env: {} })).toThrow(
      `cannot read the registry: ${reg} is a regular file, not a directory; check the path`,
    );
  });
});
