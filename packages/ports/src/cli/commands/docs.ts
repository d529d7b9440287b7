import { accessSync, closeSync, constants, fsyncSync, ftruncateSync, lstatSync, openSync, realpathSync, statSync, writeSync, type Stats } from 'node:fs';
import { dirname } from 'node:path';
import { FileReadError, formatBytes } from '../../files/read.js';
import { readRootSafeFileBytes } from '../../files/root-read.js';
import { decodeKeepingBadBytes, fileSystemPath, utf8Problem } from '../../utf8.js';
import { describe, directoryPathProblem, FileWriteError, killedWritersTemps, untrustedLink, writeOutputFile } from '../../files/write.js';
import { regenerateDocs } from '../../render/docs.js';
import { unifiedDiff } from '../../render/diff.js';
import { defineCommand } from '../command.js';
import { load } from '../context.js';
import { CommandError, UsageError } from '../exit-code.js';
import { driftWords, killedWritersNote, regenerateCommand } from '../regenerate.js';
import { escapeText } from '../../escape.js';
import { readFailureAdvice } from '../read-advice.js';
import { refuseRegistryOutput } from '../registry-output.js';

/** The page `ports docs` regenerates when --file is not given, relative to the working directory. */
export const DEFAULT_DOCS_FILE = 'docs/ports.md';

/** The largest page read, and so written: a page over 4 MiB is not a docs page, and one written past it could never be read again. */
export const MAX_DOCS_PAGE_BYTES = 4 * 1024 * 1024;

export const command = defineCommand({
  summary: 'regenerate the generated sections of the port reference page',
  flags: {
    file: { type: 'string', value: 'PATH', help: `the page (default: ${DEFAULT_DOCS_FILE} in the current directory)` },
    check: { type: 'boolean', help: 'write nothing; print a diff and exit 1 when the page is stale' },
  },
  checkout: true,
  outputs: { file: 'the page is read and rewritten in place' },
  async run(context) {
    if (context.values.file === '') throw new UsageError('ports docs: --file needs a path');
    const file = context.values.file ?? DEFAULT_DOCS_FILE;
    // The checkout that holds the page decides the registry (docs/ports.md of another checkout: that one's
    // ports.yaml), then the one the command runs in: never a build's copy in packages/ports.
    const registry = await load(context, [dirname(file), '.']);
    refuseRegistryOutput('docs', registry.source, '--file', file, [file], 'the page');
    // `docs/ports.md/` names a directory: said as every writer says it (not "copy the page to docs/ports.md/ first").
    const spelled = directoryPathProblem(file);
    if (spelled !== undefined) throw new CommandError(`ports docs: cannot read ${escapeText(file)}: ${spelled}`);
    let bytes: Buffer;
    try {
      // Never blocks on a FIFO or device; as root, never through a link another user owns (its owner chose what
      // --check would quote in its diff).
      bytes = readRootSafeFileBytes(file, { maxBytes: MAX_DOCS_PAGE_BYTES });
    } catch (error) {
      if (!(error instanceof FileReadError)) throw error;
      const hint = readHint(error, file, context.values.file !== undefined);
      throw new CommandError(`ports docs: cannot read ${escapeText(file)}: ${error.reason}${hint && `; ${hint}`}`);
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
    // Before anything is written or compared: a page past the limit would be written, then refused by every later run.
    const size = Buffer.byteLength(next);
    if (size > MAX_DOCS_PAGE_BYTES)
      throw new CommandError(
        `ports docs: cannot ${context.values.check ? 'check' : 'write'} ${shown}: regenerated from ${source} it would be ${size} bytes, over the ${formatBytes(MAX_DOCS_PAGE_BYTES)} this tool reads back; nothing was written; shorten the registry's text (names, purposes, notes)`,
      );
    if (context.values.check) {
      // Not drift, and not a failure: the next run that writes removes them.
      const temps = killedWritersNote(pageTemps(file, { remove: false }), `beside ${shown}`, regenerateCommand(context, 'docs', ['file']));
      if (temps !== undefined) context.io.err(`${temps}\n`, 'notice');
      if (next === current) {
        context.io.out(`${shown} is up to date with ${source}\n`);
        return 'ok';
      }
      const words = driftWords(dirname(file), 'it');
      context.io.out(unifiedDiff(current, next, { from: `${shown} (${words.current})`, to: `${shown} (from ${source})`, loneCr: true }));
      context.io.err(`${shown} is stale: run "${regenerateCommand(context, 'docs', ['file'])}" to regenerate it from ${source}${words.afterwards}\n`, 'error');
      return 'failed';
    }
    if (next === current) {
      // No write comes to remove what killed writers left (the atomic write below does, each time it writes).
      pageTemps(file, { remove: true });
      context.io.out(`${shown} is already up to date with ${source}\n`);
      return 'ok';
    }
    const page = lstatSync(fileSystemPath(file), { throwIfNoEntry: false });
    // Through a symbolic link, the file it points to is what would be replaced: its mode decides.
    const target = page?.isSymbolicLink() ? statSync(fileSystemPath(file), { throwIfNoEntry: false }) : page;
    const readOnly = target && readOnlyReason(file, target);
    if (readOnly) throw new CommandError(`ports docs: cannot write ${shown}: ${readOnly}; nothing was written`);
    try {
      // A page with other hard links: written in place, so that every name shows the new page (an atomic
      // rename would split it from them). Otherwise: atomic replace of a regular file; a device or FIFO
      // in place; never a symlink replaced.
      if (page?.isFile() && page.nlink > 1) {
        writeLinkedPage(file, next);
        pageTemps(file, { remove: true });
      } else writeOutputFile(file, next, { warn: (line) => context.io.err(`ports docs: ${line}`, 'warn') });
    } catch (error) {
      if (!(error instanceof FileWriteError)) throw error;
      throw new CommandError(`ports docs: cannot write ${shown}: ${error.reason}`);
    }
    context.io.done?.(`it regenerated ${shown}`);
    context.io.out(`${shown} regenerated from ${source}\n`);
    return 'ok';
  },
});

/**
 * What to do when the page cannot be read (`given`: it was named by --file), or '' when the reason says it all.
 * The command fills the marked sections of an existing page and creates none.
 */
function readHint(error: FileReadError, file: string, given: boolean): string {
  switch (error.kind) {
    case 'missing':
      if (!given) return 'run from the repository root or pass --file PATH';
      // `no such file`: the page is to be made first; `afile is a regular file, not a directory`: the path is wrong.
      return error.code === 'ENOENT'
        ? `ports docs fills in the marked sections of an existing page and creates none: pass --file that page (the repository's ${DEFAULT_DOCS_FILE}), or copy it to ${escapeText(file)} first`
        : 'check the path: --file names the page, a file that holds the marked sections';
    case 'not-regular':
      return 'pass --file the page itself, a regular file (ports docs reads it and rewrites its marked sections in place)';
    case 'denied':
      return 'run as a user who can read it';
    case 'too-large':
      // The repository's page is tens of kB: a page this size is another file, or one that grew past what it is for.
      return given
        ? `check the path: --file names the reference page (the repository's ${DEFAULT_DOCS_FILE}, tens of kB), or, if this is it, move hand-written prose out of it to a page of its own`
        : `the reference page is tens of kB: see what grew it (git diff ${DEFAULT_DOCS_FILE}), or move hand-written prose out of it to a page of its own`;
    default:
      return readFailureAdvice(error) ?? '';
  }
}

/**
 * The temporary files writers of the page killed before their rename left (killedWritersTemps): beside the page, or
 * beside the file its link names, where writeOutputFile writes; none through a link another user owns, which it never
 * follows either. Removed, or with `remove: false` only found.
 */
function pageTemps(file: string, { remove }: { readonly remove: boolean }): string[] {
  let target = file;
  try {
    if (lstatSync(fileSystemPath(file)).isSymbolicLink()) {
      if (untrustedLink(file) !== undefined) return [];
      target = decodeKeepingBadBytes(realpathSync(fileSystemPath(file), { encoding: 'buffer' }));
    }
  } catch {
    return []; // nothing there, or a dangling link: no page, no writer of it
  }
  return killedWritersTemps([target], { remove });
}

/**
 * Why the page at `file` (`page`: its stat, through a link) must not be replaced, or undefined: as an editor does, a page this
 * user may not write (access(2)), or one no one may (no write bit: read-only on purpose, so root too), is
 * refused; replacing it by a rename would succeed in a writable directory and lose the protection.
 */
function readOnlyReason(file: string, page: Stats): string | undefined {
  if (!page.isFile()) return undefined; // a device or FIFO is written in place, by writeOutputFile's rules
  const mode = (page.mode & 0o7777).toString(8).padStart(4, '0');
  const fix = `make it writable (chmod u+w ${escapeText(file)}) to regenerate it, or run with --check`;
  if ((page.mode & 0o222) === 0) return `it is read-only (mode ${mode}); ${fix}`;
  try {
    accessSync(fileSystemPath(file), constants.W_OK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EACCES' || code === 'EPERM') return `this user may not write it (mode ${mode}, owner uid ${page.uid}); ${fix}`;
    if (code === 'EROFS') return 'it is on a read-only file system';
  }
  return undefined;
}

/** `text` written over the page's own bytes (its inode kept, and with it every hard link), then cut to length and synced. */
function writeLinkedPage(file: string, text: string): void {
  const buffer = Buffer.from(text, 'utf8');
  let fd: number;
  try {
    fd = openSync(fileSystemPath(file), constants.O_WRONLY | constants.O_NOFOLLOW | constants.O_NOCTTY | constants.O_NONBLOCK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new FileWriteError(file, describe(code), code);
  }
  try {
    for (let offset = 0; offset < buffer.length; ) offset += writeSync(fd, buffer, offset, buffer.length - offset);
    ftruncateSync(fd, buffer.length);
    fsyncSync(fd);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new FileWriteError(file, `${describe(code)}; the page may be half written: regenerate it, or restore it from git`, code);
  } finally {
    closeSync(fd);
  }
}
