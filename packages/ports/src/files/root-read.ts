// Root's rule for reading a file a user named: a symbolic link on the way (the file, or a directory above it) that
// root does not own is never followed. Its owner chose where it points: followed, it would have root read any file
// (a root-only one), whose lines a diff, a parse error or a drift message then quotes. The registry's reader
// (load.ts), `ports docs --check`'s page and the unit files and drop-ins `ports systemd --out DIR` reads all go through here.
import { rootOnlyWalk, type RootOnlyStep } from '../cache.js';
import { escapeText } from '../escape.js';
import { CHANGED_ATTEMPTS, FileReadError, isChanged, readApprovedFileBytes, type ApprovedFile, type ReadOptions } from './read.js';

/**
 * As root, the file at `path` the walk approved (rootOnlyWalk), which is then the only one read (read.ts: the
 * descriptor's inode must be the walk's), or the first symbolic link on the way that root does not own (`link`).
 * A few lstat calls; none for another user (undefined: another user's link gives them nothing they could not read).
 */
export function rootApproval(path: string): { approved: ApprovedFile } | { link: RootOnlyStep } | undefined {
  if (process.geteuid?.() !== 0) return undefined;
  const walk = rootOnlyWalk('/', path.startsWith('/') ? path : `${process.cwd()}/${path}`, { acls: false });
  const link = walk.faults.find((fault) => fault.kind === 'link');
  return link === undefined ? { approved: { file: walk.file } } : { link };
}

/** `LINK is a symbolic link owned by uid N, not by root, and root does not follow another user's link (...); give ..., or make the link root's (...)`, escaped. */
export function foreignLinkReason(link: RootOnlyStep): string {
  const { reason, fix } = foreignLinkParts(link);
  return `${reason}; give the path of the file itself, or ${fix}`;
}

/**
 * foreignLinkReason's parts: what the link is (`LINK is ... another user's link (...)`), and `make the link root's
 * (chown ...)`, its path through `quote` (escapeText; identity for a caller that escapes the whole reason itself).
 */
export function foreignLinkParts(link: RootOnlyStep, quote: (text: string) => string = escapeText): { reason: string; fix: string } {
  const at = quote(link.path);
  return {
    reason: `${at} ${link.why}, and root does not follow another user's link (it could point root at any file)`,
    fix: `make the link root's (chown -h root:root ${at})`,
  };
}

/**
 * readFileBytes, but as root never through a link another user owns: FileReadError `kind: 'link'` (its reason says
 * which link and what to do), the target never opened. A file replaced by a rename between the walk and the open
 * is walked and opened again, as the registry is.
 */
export function readRootSafeFileBytes(path: string, options: ReadOptions): Buffer {
  for (let tries = 1; ; tries++) {
    const approval = rootApproval(path);
    if (approval !== undefined && 'link' in approval) throw new FileReadError(path, 'link', foreignLinkReason(approval.link));
    try {
      return readApprovedFileBytes(path, { maxBytes: options.maxBytes, approved: approval?.approved });
    } catch (error) {
      if (approval === undefined || tries >= CHANGED_ATTEMPTS || !isChanged(error)) throw error;
    }
  }
}

/** readRootSafeFileBytes as UTF-8 text; undefined when there is no file (`missing`), as readFileIfPresent. */
export function readRootSafeFileIfPresent(path: string, options: ReadOptions): string | undefined {
  try {
    return readRootSafeFileBytes(path, options).toString('utf8');
  } catch (error) {
    if (error instanceof FileReadError && error.kind === 'missing') return undefined;
    throw error;
  }
}
