// Whether nginx serves the site file the registry names (gather's nginxLoads): the references findings are about
// that file, and say nothing of the site nginx serves when it loads another file of that name, or none.
import { escapeText, printedShellWord } from '@dsa110/ports';
import type { NginxLoad } from '../../types.js';
import type { Finding } from './finding.js';

/** Pure: the finding for a site nginx does not load as the registry names it (a warning about the file as a whole), or undefined. */
export function nginxLoadFinding(load: NginxLoad | undefined, path: string): Finding | undefined {
  if (load === undefined || 'loaded' in load) return undefined;
  const file = printedShellWord(path);
  if ('absent' in load) {
    const enable =
      load.link !== undefined ? `enable it (ln -s ${file} ${printedShellWord(load.link)})` : `include it from ${escapeText(load.from)} or a file it includes`;
    return {
      line: 0,
      severity: 'warning',
      message: `nginx does not load this file: no include of ${escapeText(load.from)} reaches it, so the site is not served; ${enable}, then nginx -t and reload nginx`,
    };
  }
  if (!load.differs) return undefined;
  const copy = printedShellWord(load.copy);
  return {
    line: 0,
    severity: 'warning',
    message: `nginx loads ${copy}, a copy of this file that differs from it, not this file, so these findings are not about the site it serves; replace the copy with a link (ln -sf ${file} ${copy}), then nginx -t and reload nginx, or name ${copy} in config:`,
  };
}
