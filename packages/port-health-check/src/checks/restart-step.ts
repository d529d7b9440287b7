// What a fix that changes how systemd starts a service ends with: on this host, `then systemctl daemon-reload and
// restart UNIT`; in a tree read with --root (an image, a container's root), reloadStep's words, the core's for every
// fix under a root: systemd reads the files when that system boots, and the host's daemon-reload is no step of it.
import { reloadStep } from '@dsa110/ports/systemd';

/** Pure: `, then systemctl daemon-reload and restart UNIT` (`unit` as shown, escaped) on this host; reloadStep(root) under another root. */
export function restartStep(root: string, unit: string): string {
  return root === '/' ? `, then systemctl daemon-reload and restart ${unit}` : reloadStep(root);
}
