// Whether nginx serves the site file the registry names (gather's nginxLoads): the references findings are about
// that file, and say nothing of the site nginx serves when it loads another file of that name, or none. What nginx
// loads starts from the main configuration its unit's command names (-c), nginx's default without one.
import { escapeText, printedShellWord } from '@dsa110/ports';
import type { NginxLoad, NginxMainFile } from '../../types.js';
import type { Finding } from './finding.js';
import { NGINX_CONF } from './nginx-main.js';
import { restartStep } from '../restart-step.js';
import { inTree } from '../tree-path.js';

/** gather's reason for a main configuration that is not there (the other: no file nginx can read, a directory). */
export const NOT_THERE = 'is not there';

/** Pure: the finding for a site nginx does not load as the registry names it (a warning about the file as a whole), or nginx cannot start with its unit's command (an error at that line); or undefined. */
export function nginxLoadFinding(load: NginxLoad | undefined, path: string, root: string): Finding | undefined {
  if (load === undefined || 'loaded' in load) return undefined;
  if ('refused' in load) {
    return {
      ...load.at,
      severity: 'error',
      message: `nginx exits at start: it refuses this command (${escapeText(load.refused, 200)}); correct the line${restartStep(root, 'nginx')}`,
    };
  }
  if ('doubt' in load) {
    return {
      ...load.at,
      severity: 'unknown',
      message: `the main configuration nginx reads is not known, as ${escapeText(load.doubt, 1000)}; whether nginx loads this file is not checked${load.fix === undefined ? '' : `; ${load.fix}`}`,
    };
  }
  if ('mainMissing' in load) {
    const { path: file, option, root: chroot } = load.mainMissing;
    const main = printedShellWord(file);
    // Without -c, nginx's default, which a chrooted nginx opens inside its RootDirectory=.
    const named = option
      ? `the main configuration this command names (-c ${main})`
      : `its main configuration ${printedShellWord(chroot === undefined ? file : file.slice(chroot.length))}${chroot === undefined ? '' : ` (chrooted in RootDirectory=${escapeText(chroot)}: ${main})`}`;
    const fix = option ? `correct the -c (nginx's default is ${NGINX_CONF}) or ` : '';
    return {
      ...load.mainMissing.at,
      severity: 'error',
      message: `nginx exits at start: ${named} ${escapeText(load.reason, 200)}; ${fix}${load.reason === NOT_THERE ? 'create the file' : 'put the file there'}${restartStep(root, 'nginx')}`,
    };
  }
  if ('mainUnread' in load) {
    const main = printedShellWord(load.mainUnread.path);
    const named = load.mainUnread.at === undefined ? `nginx's main configuration ${main}` : `the main configuration this command names (-c ${main})`;
    return {
      ...(load.mainUnread.at ?? { line: 0 }),
      severity: 'unknown',
      message: `this check cannot read ${named}: ${escapeText(load.reason, 200)}, so whether nginx loads this file is not checked`,
    };
  }
  const file = printedShellWord(path);
  if ('includeLoop' in load) {
    const { at, files } = load.includeLoop;
    const again = escapeText(files[files.length - 1]!, 500);
    return {
      ...at,
      severity: 'error',
      message: `nginx cannot start: this include reads ${again} again while it is being read (${escapeText(files.join(' -> '), 1000)}), a loop nginx follows until it crashes (nginx -t ends with a segmentation fault) or until a directive it reads again is not allowed there; remove the include, or narrow its glob so it does not match ${again}${nginxStep(root, load.main, 'restart')}`,
    };
  }
  if ('absent' in load) {
    const from = escapeText(load.main?.path ?? NGINX_CONF);
    const chroot = load.main?.root;
    const started = load.main === undefined ? '' : `${escapeText(load.main.at.file)}:${load.main.at.line}`;
    const named =
      load.main === undefined
        ? ''
        : chroot === undefined
          ? ` (the main configuration the -c of ${started} names)`
          : ` (the main configuration of the nginx ${started} runs chrooted in RootDirectory=${escapeText(chroot)})`;
    // Chrooted, nginx opens nothing outside its RootDirectory=: no include reaches a file there.
    if (chroot !== undefined && !path.startsWith(`${chroot}/`))
      return {
        line: 0,
        severity: 'warning',
        message: `nginx does not load this file: it runs chrooted in RootDirectory=${escapeText(chroot)} (${started}), where this file is not, so no include of ${from} reaches it and the site is not served; put the site inside ${escapeText(chroot)} and include it from ${from} or a file it includes${nginxStep(root, load.main, 'reload')}, and give nginx's entry that file as config: in the registry`,
      };
    // The link's target as nginx names it (inside its RootDirectory=); the link made where it reads it (under --root, in the tree).
    const target = printedShellWord(load.main?.root === undefined ? path : path.slice(load.main.root.length));
    const enable =
      load.link !== undefined ? `enable it (ln -s ${target} ${printedShellWord(inTree(root, load.link))})` : `include it from ${from} or a file it includes`;
    // With a -c, the unit may be what is wrong: it names the other way out.
    const other = load.main === undefined ? '' : `, or name a main configuration that includes it in that -c${restartStep(root, 'nginx')}`;
    return {
      line: 0,
      severity: 'warning',
      message: `nginx does not load this file: no include of ${from}${named} reaches it, so the site is not served; ${enable}${nginxStep(root, load.main, 'reload')}${other}`,
    };
  }
  if (!load.differs) return undefined;
  const copy = printedShellWord(load.copy);
  const main = load.main;
  return {
    line: 0,
    severity: 'warning',
    message: `nginx loads ${copy}, a copy of this file that differs from it, not this file, so these findings are not about the site it serves; replace the copy with a link (ln -sf ${main?.root === undefined ? file : printedShellWord(path.slice(main.root.length))} ${printedShellWord(inTree(root, load.copy))})${nginxStep(root, main, 'reload')}, or name ${copy} in config:`,
  };
}

/**
 * Pure: what a fix to nginx's files ends with: on this host `, then nginx -t ... and reload nginx` (or restart); in a
 * tree read with --root, the test run inside that tree (`chroot ROOT nginx -t ...`, which reads the tree's files as
 * nginx booted from it does, where the host's nginx -t reads the host's) and no step of the host's nginx, which does
 * not serve that tree: that system's nginx reads the files when it boots (as reloadStep says of systemd's).
 */
function nginxStep(root: string, main: NginxMainFile | undefined, verb: 'reload' | 'restart'): string {
  const test = testCommand(root, main);
  if (root === '/') return `, then ${test} and ${verb} nginx`;
  return `, then test it there with ${test}; nginx reads it when the system under ${escapeText(root)} boots`;
}

/**
 * The test of nginx's configuration as its unit starts it: `nginx -t` alone reads the default main configuration;
 * chrooted in its RootDirectory= (`chroot DIR nginx -t`, its files named as inside it), and under --root in the tree
 * (`chroot ROOT nginx -t`, `chroot ROOT/DIR ...`).
 */
function testCommand(root: string, main: NginxMainFile | undefined): string {
  const chroot = main?.root;
  const inside = (path: string) => printedShellWord(chroot === undefined ? path : path.slice(chroot.length));
  const test = main === undefined ? 'nginx -t' : `nginx -t${main.prefix !== undefined ? ` -p ${inside(main.prefix)}` : ''} -c ${inside(main.path)}`;
  const directory = chroot === undefined ? (root === '/' ? undefined : root) : inTree(root, chroot);
  return directory === undefined ? test : `chroot ${printedShellWord(directory)} ${test}`;
}
