// The public door to acl.ts: whether files have a POSIX ACL, with its
// arguments checked (acl.ts itself stays small, for the bins' start-up).
import { iterableArgument, pathArgument } from '../arguments.js';
import { type AclAnswer, extendedAcls } from './acl.js';

export type { AclAnswer } from './acl.js';

/**
 * Whether each of `paths` (links followed) has a POSIX access ACL, in their
 * order: true, false, or why that could not be told (a string, escaped). Node
 * has no getxattr: one run of coreutils `ls -dLnU` for all of them (none for
 * no paths), and of `getfacl --access` for the directories ls marks, since a
 * default ACL alone (what files made in a directory later start with) is no
 * access ACL: without getfacl, such a directory's answer is a string. With an
 * access ACL, a mode's group bits are the ACL's mask, the most the users and
 * groups it names may do: `root:root` 0775 may be writable by uid 1234.
 */
export function posixAcls(paths: Iterable<string>): AclAnswer[] {
  iterableArgument('posixAcls', 'paths', paths, 'paths');
  const list = [...paths];
  for (const [index, path] of list.entries()) pathArgument('posixAcls', `paths[${index}]`, path);
  return extendedAcls(list);
}
