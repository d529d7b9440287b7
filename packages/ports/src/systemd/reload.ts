// What makes systemd read a unit file once it is changed, in the words every fix and `ports systemd` use: on this
// host `systemctl daemon-reload`; in a tree read with --root (an image, a container's root), nothing now, as
// `systemctl --root=` has no daemon-reload: systemd reads the files when that system boots.
import { stringArgument } from '../arguments.js';
import { escapeText } from '../escape.js';

/** `systemd reads them when the system under /srv/img boots`: a tree read with --root. */
export function readsAtBoot(root: string, what: 'it' | 'them'): string {
  return `systemd reads ${what} when the system under ${escapeText(root)} boots`;
}

/**
 * Pure: what a fix that changes a unit's files ends with: `, then \`systemctl daemon-reload\`` on this host (`root`
 * undefined or `/`), `; systemd reads it when the system under R boots` under another root.
 */
export function reloadStep(root: string | undefined): string {
  if (root !== undefined) stringArgument('reloadStep', 'root', root);
  return root === undefined || root === '/' ? ', then `systemctl daemon-reload`' : `; ${readsAtBoot(root, 'it')}`;
}
