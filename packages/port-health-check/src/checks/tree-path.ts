// Where a fix acts, for a tree read with --root (an image, a container's root): the findings name files as that
// system names them (/etc/nginx/sites-enabled/x, said "under ROOT"), but a command the operator runs on this host
// (ln -s, restoring a file) must name the tree's own file, ROOT/etc/nginx/sites-enabled/x, or it changes the host's.

/** Pure: the host path of `path` (absolute, as the root the units are for names it): itself on `/`, under `root` else. */
export function inTree(root: string, path: string): string {
  return root === '/' ? path : `${root.replace(/\/+$/, '')}${path}`;
}
