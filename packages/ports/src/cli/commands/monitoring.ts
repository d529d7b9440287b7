import { ConcurrentWriteError, FileWriteError, formatBytes, inspectGeneratedFiles, writeGeneratedFiles, type WrittenFile } from '../../files/index.js';
import { deniedPhrase, killedWritersTemps } from '../../files/write.js';
import {
  closedDirectories,
  closedDirectoryProblem,
  directoryDriftFix,
  directoryProblem,
  exposedDirectories,
  guardedDirectories,
  writeThroughDirectories,
  unreadableDirectory,
  type ExposedDirectory,
} from '../../files/directories.js';
import { MAX_GENERATED_FILE_BYTES } from '../../limits.js';
import { unifiedDiff } from '../../render/diff.js';
import { escapeText } from '../../escape.js';
import { existsSync, lstatSync } from 'node:fs';
import { statOrUndefined } from '../../files/read.js';
import { dirname, join, resolve } from 'node:path';
import { DASHBOARD_FILE, DATASOURCE_UID, dashboardServices, PROMETHEUS_SERVICE } from '../../render/grafana.js';
import {
  DATASOURCE_FILE,
  DEFAULT_DEPLOY_DIR,
  fleetListed,
  monitoringFiles,
  NODE_TARGET_FILE,
  unmadeMonitoringFiles,
  type GeneratedFile,
} from '../../render/monitoring.js';
import { defineCommand } from '../command.js';
import { extraFiles, type ExtraFile } from './monitoring/extra-files.js';
import { CHECKOUT_REGISTRY, isRegistryCheckout, load, workTreeRoot, type Context } from '../context.js';
import { CommandError, UsageError, type Outcome } from '../exit-code.js';
import { refuseRegistryOutput } from '../registry-output.js';
import { concurrentWriteText, driftWords, inWorkTree, killedWritersNote, regenerateCommand } from '../regenerate.js';

export const command = defineCommand({
  summary: 'write the Prometheus config, alert rules and their tests, and the Grafana dashboard',
  flags: {
    out: { type: 'string', value: 'DIR', help: `the directory to write (default: ${DEFAULT_DEPLOY_DIR} in the current directory)` },
    check: { type: 'boolean', help: 'write nothing; print a diff and exit 1 when a file is missing or stale' },
  },
  checkout: true,
  utf8Paths: { out: 'the files under it are written by UTF-8 names' },
  outputs: { out: 'the files are written under a directory' },
  notes: [
    'Validate what it writes: promtool check config DIR/prometheus/prometheus.yml;',
    'promtool test rules DIR/prometheus/tests/dsa110-ports.rules.test.yml.',
  ],
  async run(context) {
    const { out, check } = context.values;
    if (out === '') throw new UsageError('ports monitoring: --out needs a directory');
    const dir = out ?? DEFAULT_DEPLOY_DIR;
    const registry = await load(context);
    // The fleet's list of hosts (targets/node/) is the operator's once it is there: this host's file seeds a new tree only.
    // A directory, links followed: a file or a dangling link there is no list, and the write (or --check) says so.
    const fleetListedHere = statOrUndefined(join(dir, dirname(NODE_TARGET_FILE)))?.isDirectory() === true;
    const files = monitoringFiles(registry).filter((file) => !(fleetListedHere && fleetListed(file)));
    refuseRegistryOutput(
      'monitoring',
      registry.source,
      '--out',
      dir,
      files.map((file) => join(dir, file.path)),
      'the monitoring files',
    );
    const unmade = unmadeMonitoringFiles(registry);
    const leftovers = unmade.filter((path) => exists(join(dir, path)));
    // Not a failure (Grafana may have the data source from elsewhere), but every panel would be empty without a word:
    // said once the files are written or compared, by the write and --check alike.
    const sourceless = () => {
      if (unmade.includes(DATASOURCE_FILE))
        context.io.err(
          `${NO_DATASOURCE}
`,
          'warn',
        );
    };
    // Paths as typed (--out, --registry) are printed escaped: a newline in one must not start a line.
    const source = escapeText(registry.source);
    // Before anything is written or compared: a file past the limit would be written, then refused by every later run and --check.
    const oversized = oversizedFile(files);
    if (oversized !== undefined) throw new CommandError(oversizedMessage(oversized, dir, source, check === true, dashboardServices(registry).length));
    if (!check) return writeFiles(context, files, dir, source, leftovers, sourceless);
    // Nothing there at all is not "7 of 7 files are stale": outside a checkout, say where the tree was looked for.
    const code = lstatCode(dir);
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      throw new CommandError(
        out === undefined
          ? `ports monitoring: cannot check ${DEFAULT_DEPLOY_DIR}: no such directory here (the default: ./${DEFAULT_DEPLOY_DIR} in the current directory); run from the repository root or pass --out DIR`
          : `ports monitoring: cannot check ${escapeText(dir)}: no such directory; "${regenerateCommand(context, 'monitoring', ['out'])}" writes it`,
      );
    }
    // Not "no such directory" for a path that may well be there.
    if (code !== undefined) throw new CommandError(`ports monitoring: cannot check ${escapeText(dir)}: ${unreachable(code)}`);
    // A file (or a link to one) or a directory this user may not read: one line, not the same reason once per file.
    const unreadable = unreadableDirectory(dir);
    if (unreadable !== undefined) throw new CommandError(`ports monitoring: cannot check ${escapeText(dir)}: ${unreadable}`);
    return checkFiles(context, files, dir, source, leftovers, out === undefined && isCheckoutTree(dir), sourceless, fleetListedHere);
  },
});

/**
 * Whether `dir`, the default ./deploy (no --out), is a checkout's own tree: the deploy/ at the root of a git work
 * tree whose root is a checkout of the registry (isRegistryCheckout()) and holds it (ports.yaml). Its modes are the umask's of whoever cloned it (git keeps no read
 * bits), so they say nothing about the copy Prometheus and Grafana read. Any tree named with --out is that copy, and
 * so is a deploy/ in a work tree that is not a checkout of the registry (etckeeper keeps /etc in git).
 */
function isCheckoutTree(dir: string): boolean {
  const root = workTreeRoot(dir);
  return root !== undefined && resolve(dir) === join(root, DEFAULT_DEPLOY_DIR) && existsSync(join(root, CHECKOUT_REGISTRY)) && isRegistryCheckout(root);
}

/** Why a file of the tree is left over: the registry no longer makes it. */
/** Said by a write and --check alike when the registry gives the dashboard's data source nowhere to point. */
const NO_DATASOURCE = `warning: the registry has no grafana-datasource config and no "${PROMETHEUS_SERVICE}" service, so no Grafana data source is written, and every panel of the dashboard, which queries data source uid ${DATASOURCE_UID}, shows no data; add a ${PROMETHEUS_SERVICE} service (or a grafana-datasource config) to the registry, or provision a Prometheus data source with uid ${DATASOURCE_UID} in Grafana yourself`;
// The data source warning (NO_DATASOURCE) says to add the config that makes this file again: "remove it" alone reads as its opposite.
const LEFTOVER = `unexpected: the registry has no grafana-datasource config and no "${PROMETHEUS_SERVICE}" service, so this tool no longer writes it; remove it, or give the registry a grafana-datasource config (or a "${PROMETHEUS_SERVICE}" service), after which this tool writes it again`;

/**
 * Pure: the line for an entry Grafana would read with the tree's files that the registry does not make (extraFiles),
 * `path`, `dir` and `source` escaped; said by the write (a warning: it never removes a file, as it cannot tell one it
 * wrote from a copy of it that an operator made) and --check alike.
 */
function extraFileProblem(extra: ExtraFile, path: string, dir: string, source: string): string {
  return (
    `${path}: ${extra.kind} that ${source} does not make, which Grafana reads with this tool's files (${extra.directory.loader}), ` +
    `and which this tool never removes; remove it, or if it is meant to stay, keep it outside ${dir}`
  );
}

/** Pure: --check's count of the entries Grafana would read that the registry does not make, `dir` escaped. */
function extraSummary(count: number, dir: string, source: string, regenerate: string, committed: boolean): string {
  const [files, are, them] = count === 1 ? ['1 file', 'is', 'it'] : [`${count} files`, 'are', 'them'];
  return (
    `${files} under ${dir} ${are} not made from ${source} but would be read by Grafana with this tool's (listed above), ` +
    `and "${regenerate}" never removes a file; remove ${them}${committed ? ', then commit the removal' : ''}, or keep ${them} outside ${dir}`
  );
}

/** Pure: --check's count of the files left from an earlier registry, with what to do (`dir`, `source` escaped). */
function leftoverSummary(count: number, dir: string, source: string, regenerate: string, committed: boolean): string {
  const [files, are, them] = count === 1 ? ['1 file', 'is', 'it'] : [`${count} files`, 'are', 'them'];
  return (
    `${files} under ${escapeText(dir)} ${are} left over from an earlier registry (listed above): ${source} no longer makes ${them}, ` +
    `and "${regenerate}" never removes a file; remove ${them}${committed ? ', then commit the removal' : ''}`
  );
}

/**
 * Pure: --check's count of the files the write refuses to replace (inspectGeneratedFiles' `problem`: a symbolic link, a
 * directory, a file it may not read), `dir` escaped. Not "missing or stale": regenerating would refuse them and write nothing.
 */
function blockedSummary(count: number, dir: string, regenerate: string): string {
  const [files, are, they] = count === 1 ? ['1 file', 'is', 'it is'] : [`${count} files`, 'are', 'they are'];
  return `${files} under ${escapeText(dir)} ${are} not for this tool to replace (listed above, each with what to do): "${regenerate}" writes nothing until ${they} dealt with`;
}

/**
 * Pure: --check's count of the files with the right contents that others may change (`writable by others`, by its
 * group, or another user's: each listed above with who), `dir` escaped. Not "missing or stale": nothing in them differs
 * from the registry; the write replaces each with one of this user's, 0644, as `ports systemd` does a drop-in with root's.
 */
function changeableSummary(count: number, total: number, dir: string, regenerate: string, first: string): string {
  const [them, files] = count === 1 ? ['it', 'one'] : ['them', 'files'];
  return `${count} of ${total} files under ${escapeText(dir)} may be changed by others (listed above): run "${regenerate}"${first} to replace ${them} with ${files} of this user's, 0644`;
}

/** Pure: what --check says of a file with the right contents that other users may not read (`exposure`: its mode), `path` escaped. */
function closedFileProblem(exposure: string, path: string, regenerate: string): string {
  return `${exposure}: Prometheus and Grafana, which run as users of their own, cannot read it; run \`chmod o+r ${path}\`, or \`${regenerate}\` to replace it (0644)`;
}

/** Pure: what a writer of `entry`'s directory may do to the tree (directoryProblem's `what`). */
function stake({ dir }: ExposedDirectory): string {
  return dir.holdsFiles
    ? 'replace the files this tool writes there, or add others that Prometheus or Grafana read with them'
    : `put another directory in place of ${escapeText(dir.below!)}, and so replace the files this tool writes`;
}

/** The directories the tree is written through, up to /, that others may write or another user owns. */
function exposedTree(dir: string, files: readonly GeneratedFile[]): ExposedDirectory[] {
  return exposedDirectories(guardedDirectories(treePaths(files).map((path) => join(dir, path))));
}

/**
 * The paths of `files`, and of the fleet's host list, whose directory Prometheus reads every file of (file_sd) also
 * once the list is the operator's and no longer written: whoever may write there chooses what Prometheus scrapes.
 */
function treePaths(files: readonly GeneratedFile[]): string[] {
  return [...new Set([...files.map((file) => file.path), NODE_TARGET_FILE])];
}

/** The first file the registry makes that is larger than this tool reads back (MAX_GENERATED_FILE_BYTES), with its size. */
function oversizedFile(files: readonly GeneratedFile[]): { path: string; bytes: number } | undefined {
  for (const file of files) {
    const bytes = Buffer.byteLength(file.contents);
    if (bytes > MAX_GENERATED_FILE_BYTES) return { path: file.path, bytes };
  }
  return undefined;
}

/**
 * Pure: the one line for a file too large to write, in either mode (write and --check refuse alike), with what makes
 * that file large: the dashboard a row of panels per service it shows (`rows`), whatever the names; the alert rules
 * and their tests each service, a robust one much more, and the names they repeat.
 */
function oversizedMessage(file: { path: string; bytes: number }, dir: string, source: string, check: boolean, rows: number): string {
  const dashboard = file.path.endsWith(`/${DASHBOARD_FILE}`) && rows > 0;
  const perRow = Math.ceil(file.bytes / Math.max(rows, 1));
  const advice = dashboard
    ? `the dashboard has a row of panels for each service outside the development group (about ${formatBytes(perRow)} each, whatever its name): ${rows} here, about ${Math.floor(MAX_GENERATED_FILE_BYTES / perRow)} fit; list fewer services in the registry this tree is made from (a development service gets no row)`
    : 'shorten service names or mark fewer services robust (each service adds alert rules and their tests, a robust one several times as many)';
  return (
    `ports monitoring: cannot ${check ? 'check' : 'write'} ${escapeText(join(dir, file.path))}: ${source} makes it ${file.bytes} bytes, ` +
    `over the ${formatBytes(MAX_GENERATED_FILE_BYTES)} this tool reads back; nothing was written; ${advice}`
  );
}

/** The paths (relative to the tree) that are the tree's own or reported as left over: not extra files. */
function madeHere(files: readonly GeneratedFile[], leftovers: readonly string[]): Set<string> {
  return new Set([...files.map((file) => file.path), ...leftovers]);
}

/** Anything at `path`, a dangling link included (never followed, never opened). */
function exists(path: string): boolean {
  return lstatCode(path) === undefined;
}

/** Why lstat(2) of `path` fails (its error code), or undefined when something is there. */
function lstatCode(path: string): string | undefined {
  try {
    lstatSync(path);
    return undefined;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code ?? 'EIO';
  }
}

/** Pure: why a directory to check cannot be looked at, other than its absence, with what to do. */
function unreachable(code: string): string {
  switch (code) {
    case 'ENAMETOOLONG':
      return 'its path or a part of it is too long for the file system; give a shorter --out';
    case 'ELOOP':
      return 'its path holds a loop of symbolic links; give the real directory with --out';
    case 'EACCES':
    case 'EPERM':
      return deniedPhrase('read it', 'give another directory with --out');
    default:
      return `it cannot be looked at (${code})`;
  }
}

async function checkFiles(
  context: Context<unknown>,
  files: readonly GeneratedFile[],
  dir: string,
  source: string,
  leftovers: readonly string[],
  checkoutTree: boolean,
  sourceless: () => void,
  fleetListedHere = false,
): Promise<Outcome> {
  let stale = 0;
  // The right contents in a file others may change: counted apart from the stale ones, whose contents differ.
  let changeable = 0;
  // Files the write refuses (a link, a directory, one it may not read): regenerating writes nothing until they are dealt with.
  let blocked = 0;
  const words = driftWords(dir, 'them');
  sourceless();
  // Counted apart from the stale files: regenerating never removes them.
  for (const path of leftovers) context.io.out(`${escapeText(join(dir, path))}: ${LEFTOVER}\n`);
  const extras = extraFiles(dir, madeHere(files, leftovers));
  for (const extra of extras) context.io.out(`${extraFileProblem(extra, escapeText(join(dir, extra.path)), escapeText(dir), source)}\n`);
  const regenerate = regenerateCommand(context, 'monitoring', ['out']);
  // Files others may not read are counted with the closed directories below, not as stale: the contents are right.
  let closedFiles = 0;
  for (const entry of inspectGeneratedFiles(dir, files, { maxBytes: MAX_GENERATED_FILE_BYTES, readByOthers: true })) {
    if (entry.problem === undefined && entry.current === entry.file.contents && entry.exposure === undefined) continue;
    const path = escapeText(entry.path);
    if (entry.closedToOthers && entry.current === entry.file.contents) {
      closedFiles++;
      context.io.out(`${path}: ${closedFileProblem(entry.exposure!, path, regenerate)}\n`);
      continue;
    }
    if (entry.problem !== undefined) {
      blocked++;
      context.io.out(`${path}: ${entry.problem}\n`);
      continue;
    }
    if (entry.current === entry.file.contents) {
      changeable++;
      context.io.out(`${path}: ${entry.exposure}: not only this tool writes it; regenerating replaces it\n`);
      continue;
    }
    stale++;
    if (entry.current === undefined) context.io.out(`${path}: missing\n`);
    else context.io.out(unifiedDiff(entry.current, entry.file.contents, { from: `${path} (${words.current})`, to: `${path} (from ${source})` }));
  }
  const exposed = exposedTree(dir, files);
  for (const entry of exposed)
    context.io.out(`${escapeText(entry.dir.path)}: ${directoryProblem(entry, stake(entry))}; ${directoryDriftFix(entry, regenerate)}\n`);
  if (blocked > 0) context.io.err(`${blockedSummary(blocked, dir, regenerate)}\n`, 'error');
  const first = blocked > 0 ? ` once ${blocked === 1 ? 'that file is' : 'those files are'} dealt with` : '';
  if (stale > 0) {
    context.io.err(
      `${stale} of ${files.length} files under ${escapeText(dir)} are missing or stale: run "${regenerate}"${first} to regenerate them from ${source}${words.afterwards}\n`,
      'error',
    );
  }
  if (changeable > 0) context.io.err(`${changeableSummary(changeable, files.length, dir, regenerate, first)}\n`, 'error');
  if (leftovers.length > 0) context.io.err(`${leftoverSummary(leftovers.length, dir, source, regenerate, inWorkTree(dir))}\n`, 'error');
  if (extras.length > 0) context.io.err(`${extraSummary(extras.length, escapeText(dir), source, regenerate, inWorkTree(dir))}\n`, 'error');
  // Not drift (Prometheus reads no .tmp file), and not a failure: the next write removes them.
  const temps = killedWritersNote(
    killedWritersTemps(
      files.map((file) => join(dir, file.path)),
      { remove: false },
    ),
    `under ${escapeText(dir)}`,
    regenerate,
  );
  if (temps !== undefined) context.io.err(`${temps}\n`, 'notice');
  if (exposed.length > 0) {
    const count = exposed.length === 1 ? '1 directory' : `${exposed.length} directories`;
    context.io.err(`${count} on the way to the files under ${escapeText(dir)} may be changed by others (listed above, each with what to run)\n`, 'error');
  }
  // Prometheus and Grafana read the tree as users of their own: a 0750 directory (umask 027) hides it from them.
  const closed = closedDirectories(dir, treePaths(files));
  for (const entry of closed) context.io.out(`${escapeText(entry.path)}: ${closedDirectoryProblem(entry, 'Prometheus and Grafana')}\n`);
  // Who may read the files matters where Prometheus and Grafana read them; a checkout's modes are its umask's, not the registry's.
  const modesCount = !checkoutTree;
  if (closed.length > 0 || closedFiles > 0) {
    const count = [
      ...(closedFiles > 0 ? [closedFiles === 1 ? '1 file' : `${closedFiles} files`] : []),
      ...(closed.length > 0 ? [closed.length === 1 ? '1 directory' : `${closed.length} directories`] : []),
    ].join(' and ');
    context.io.err(
      `${count} under ${escapeText(dir)} cannot be read by other users (listed above, each with what to run)${modesCount ? '' : `; not a failure for the checkout's own ./${DEFAULT_DEPLOY_DIR}, whose modes come from the umask of whoever cloned it (git keeps no read bits): run \`${regenerate} --check --out DIR\` on the copy Prometheus and Grafana read (--out ${DEFAULT_DEPLOY_DIR} if they read this one)`}\n`,
      // A failure of the check, except for the checkout's own tree (said in the line): there a warning.
      modesCount ? 'error' : 'warn',
    );
  }
  if (
    stale > 0 ||
    changeable > 0 ||
    blocked > 0 ||
    leftovers.length > 0 ||
    extras.length > 0 ||
    exposed.length > 0 ||
    (modesCount && (closed.length > 0 || closedFiles > 0))
  )
    return 'failed';
  // The write counts the fleet's host list when it seeds it (7 of 7); once there it is the operator's, and not judged:
  // said, so that the two counts do not look contradictory.
  const fleet = fleetListedHere
    ? ` (the host files in ${dirname(NODE_TARGET_FILE)}/ not judged: the fleet's list of hosts is the operator's once it is there; the write only seeds it)`
    : '';
  context.io.out(`${escapeText(dir)}: ${files.length} files up to date with ${source}${fleet}\n`);
  return 'ok';
}

async function writeFiles(
  context: Context<unknown>,
  files: readonly GeneratedFile[],
  dir: string,
  source: string,
  leftovers: readonly string[],
  sourceless: () => void,
): Promise<Outcome> {
  let written: WrittenFile[];
  let made: string[];
  const exposed = exposedTree(dir, files);
  try {
    // readByOthers: a file Prometheus and Grafana may not read (0600) is replaced, 0644, as one others may write is.
    ({ written, made } = writeThroughDirectories(exposed, stake, () =>
      writeGeneratedFiles(dir, files, { maxBytes: MAX_GENERATED_FILE_BYTES, readByOthers: true }),
    ));
  } catch (error) {
    if (error instanceof ConcurrentWriteError)
      throw new CommandError(`ports monitoring: ${concurrentWriteText(dir, error, source, regenerateCommand(context, 'monitoring', ['out']))}`);
    if (error instanceof FileWriteError) throw new CommandError(`ports monitoring: cannot write ${escapeText(error.path)}: ${error.reason}`);
    throw error;
  }
  for (const file of written) if (file.wrote) context.io.out(`wrote ${escapeText(file.path)}\n`);
  for (const line of made) context.io.out(`${line}\n`);
  sourceless();
  for (const path of leftovers) context.io.err(`warning: ${escapeText(join(dir, path))}: ${LEFTOVER}\n`, 'warn');
  for (const extra of extraFiles(dir, madeHere(files, leftovers)))
    context.io.err(`warning: ${extraFileProblem(extra, escapeText(join(dir, extra.path)), escapeText(dir), source)}\n`, 'warn');
  const wrote = written.filter((file) => file.wrote).length;
  if (wrote > 0) context.io.done?.(`it wrote ${wrote} file${wrote === 1 ? '' : 's'} under ${escapeText(dir)}`);
  context.io.out(`${escapeText(dir)}: ${wrote === 0 ? 'already up to date' : `${wrote} of ${files.length} files regenerated`} from ${source}\n`);
  return 'ok';
}
