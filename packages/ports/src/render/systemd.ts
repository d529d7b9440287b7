// The systemd wiring of claim-port, made from the registry. For a robust
// service whose claim lives in a drop-in, `<unit>.d/claim-port.conf`; for one
// whose claim lives in the unit file, the ExecStartPre= line to put there.
// port-health-check's systemd check accepts exactly what claimPortDropIn writes.
import type { Registry, Service } from '../index.js';
import { escapeText, quoteValue } from '../escape.js';
import { directoryEnding } from '../files/directory-ending.js';
import { printedShellWord } from '../shell-word.js';
import { claimTarget, DROP_IN_NAME, isClaimPort } from '../systemd/claim-line.js';
import { compareNames, dropInDirNames, dropInPattern, templateOf } from '../systemd/search-path.js';
import { parseUnitFile, type UnitFileError } from '../systemd/unit-file.js';
import { HOST_SPECIFIERS, NAME_MAX, PATH_MAX, parseExec, quoteExecWord, simplifyPath, type ParsedExec } from '../systemd/words.js';
import { claimArgsAlike, claimPortArgument, parseClaimArgs } from '../systemd/claim-args.js';
import { sameButRegistryName } from '../systemd/registry-name.js';
import { BEFORE_ETC, inPlaceFix, inPlaceReason, sameNameWinner } from '../systemd/same-name-drop-in.js';
import { hasKeptBadBytes } from '../utf8.js';
import { REGISTRY_ENV } from '../load.js';

export const DEFAULT_CLAIM_PORT = '/usr/local/bin/claim-port';
export const DEFAULT_UNIT_DIR = '/etc/systemd/system';
export { DROP_IN_NAME };
export const GENERATED_HEADER = '# Generated from ports.yaml by `ports systemd`; edit ports.yaml instead.';

/**
 * `ExecStartPre=+/usr/local/bin/claim-port 8000`, or `... 5353/udp` for a UDP
 * service: `+` runs it as root whatever the unit's User= is. `target` is the
 * port, or (a string) the service id, which claim-port resolves with its
 * transport and the unit's environment (claimWiring says when). A path with white
 * space is written in double quotes, `%` as `%%` (quoteExecWord), so systemd
 * runs exactly that file; check it first with claimPortPathProblem.
 * `registryPath` (absolute, checked by execArgumentProblem) is passed on as
 * `--registry PATH`, quoted as the health check's ExecStart= quotes it: under
 * systemd claim-port would otherwise read the bundled registry, whose
 * protected processes and claim timeout are not the ones the operator named.
 */
export function execStartPreLine(target: number | string, claimPort = DEFAULT_CLAIM_PORT, transport: 'tcp' | 'udp' = 'tcp', registryPath?: string): string {
  const registry = registryPath === undefined ? '' : ` --registry ${quoteExecWord(registryPath)}`;
  const claimed = typeof target === 'string' ? quoteExecWord(target) : claimPortArgument(target, transport);
  return `ExecStartPre=+${quoteExecWord(claimPort, 'executable')} ${claimed}${registry}`;
}

/** The whole drop-in file: the generated comment, `[Service]`, the ExecStartPre= line. */
export function claimPortDropIn(target: number | string, claimPort = DEFAULT_CLAIM_PORT, transport: 'tcp' | 'udp' = 'tcp', registryPath?: string): string {
  return `${GENERATED_HEADER}\n[Service]\n${execStartPreLine(target, claimPort, transport, registryPath)}\n`;
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: finding them is the point
const CONTROL = /[\u0000-\u001f\u007f]/;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
/** A byte decodeKeepingBadBytes kept (U+DC80+byte, not the second half of a pair), each. */
const KEPT_BYTES = /(?<![\ud800-\udbff])[\udc80-\udcff]/g;

/**
 * Why `text` cannot be an argument of a generated Exec*= line (a registry path,
 * the textfile), or undefined when it can: any text but control characters
 * (a newline would end the line; systemd.service(5) allows none in a command)
 * and broken Unicode (bytes that are not UTF-8, which systemd ignores the line for). White space, quotes, backslashes, `%`, `$` and `;` are
 * written quoted and escaped (quoteExecWord).
 */
export function execArgumentProblem(text: string): string | undefined {
  if (CONTROL.test(text)) return 'it must not contain control characters (a newline, a tab, ...): a unit file line cannot hold them';
  // Bytes that are not UTF-8 (a directory named \xff\xfe), kept as U+DC80+byte when read (decodeKeepingBadBytes):
  // systemd 252 drops the whole line ("String is not UTF-8 clean, ignoring assignment", systemd-analyze verify).
  if (hasKeptBadBytes(text)) {
    const bytes = escapeText([...text.matchAll(KEPT_BYTES)].map((match) => match[0]).join(''), 40);
    return `it is not valid UTF-8 (the bytes ${bytes}), and systemd ignores a unit file line that is not ("String is not UTF-8 clean, ignoring assignment"); give a path that is UTF-8 (a symbolic link with a UTF-8 name will do)`;
  }
  // A lone surrogate that stands for no byte (U+D800-U+DC7F, or a string given to the API): no character at all.
  if (LONE_SURROGATE.test(text)) return 'it is not valid Unicode (a lone surrogate)';
  return undefined;
}

/**
 * Why `path` cannot be the executable of a generated Exec*= line (claim-port,
 * port-health-check), or undefined when it can: an absolute path to a file
 * that systemd accepts as a command (no control characters, quotes or
 * backslashes, at most 4095 bytes and 255 a name). White space, `%`, `$` and
 * `;` are written quoted and escaped.
 */
export function claimPortPathProblem(path: string): string | undefined {
  // The lines written name the exact file: a bare name would be looked up in systemd's own search path
  // (/usr/local/sbin ... /bin, or ExecSearchPath=), not the one this shell has.
  if (!path.startsWith('/'))
    return "it must be an absolute path (the lines written name the exact file; systemd would look a bare name up in its own search path, not this shell's PATH)";
  const problem = execArgumentProblem(path);
  if (problem) return problem;
  if (/["'\\]/.test(path))
    return 'systemd refuses a command whose path has quotes or backslashes ("Executable name contains special characters"); install it elsewhere';
  const ending = directoryEnding(path);
  if (ending !== undefined) return `it names a directory (it ends in ${JSON.stringify(ending)}); give the executable file`;
  if (Buffer.byteLength(path) >= PATH_MAX || path.split('/').some((part) => Buffer.byteLength(part) > NAME_MAX)) {
    return `systemd refuses a command path of ${PATH_MAX} bytes or more, or with a name longer than ${NAME_MAX} bytes`;
  }
  return undefined;
}

export interface ClaimWiring {
  readonly service: Service;
  readonly unit: string;
  readonly port: number;
  readonly claim: 'unit' | 'drop-in';
  /** The line claims by service id (`claim-port redis`), not by port: the unit sets the service's port variable (claimWiring). */
  readonly byId: boolean;
  /** Relative to the unit directory: `redis-server.service.d/claim-port.conf`, or the unit file itself. */
  readonly path: string;
  /** The ExecStartPre= line. */
  readonly line: string;
  /** The drop-in's contents (claim: drop-in only). */
  readonly contents?: string;
}

/**
 * The claim wiring of every robust service, sorted by port. `registryPath`:
 * the registry each claim line names with --registry (absolute, as the system
 * that runs the units sees it); undefined for the bundled one.
 *
 * A line claims the registry's port number, since claim-port given a number
 * only warns about a registry it cannot read or that does not validate: a
 * broken ports.yaml never keeps a service from starting. `byId` holds the
 * services whose unit, as systemd loads it, sets their port variable
 * (`Environment=REDIS_PORT=6380`, in a drop-in or an EnvironmentFile=): their
 * line names the service id instead (`claim-port redis`). ExecStartPre= runs
 * with the unit's environment, so claim-port resolves the id to the port the
 * service really uses, at every start. The effective port as a number would
 * be right only until someone edits the override without running `ports
 * systemd` again, and in that window claim-port, as root, frees the old port,
 * which may be another service's by then: the worse failure. The id's cost,
 * a registry that does not load failing the unit's start (exit 64, its
 * file:line:col in the journal), frees nothing.
 */
export function claimWiring(registry: Registry, claimPort = DEFAULT_CLAIM_PORT, registryPath?: string, byId: ReadonlySet<string> = new Set()): ClaimWiring[] {
  return registry.services.flatMap((service): ClaimWiring[] => {
    if (!service.robust || !service.systemd?.claim) return [];
    const { unit, claim } = service.systemd;
    const target = byId.has(service.id) ? service.id : service.port;
    const line = execStartPreLine(target, claimPort, service.transport, registryPath);
    const common = { service, unit, port: service.port, claim, byId: byId.has(service.id), line };
    return claim === 'drop-in'
      ? [{ ...common, path: `${unit}.d/${DROP_IN_NAME}`, contents: claimPortDropIn(target, claimPort, service.transport, registryPath) }]
      : [{ ...common, path: unit }];
  });
}

/** What `ports systemd --check` found on disk, by path relative to the unit directory. */
export interface SystemdTree {
  /** Contents of each expected path (drop-ins and unit files), undefined when missing. */
  readonly files: ReadonlyMap<string, string | undefined>;
  /** Every `*.service.d/claim-port.conf` present, relative to the unit directory. */
  readonly dropIns: readonly string[];
  /** Those of `dropIns` that are masked (a link to /dev/null, or empty): systemd reads nothing from them. */
  readonly masked?: readonly string[];
  /**
   * For a unit-file claim (by its path), where its line goes when the unit
   * file lacks it, as the write says (`ports systemd`): undefined for a bare
   * directory (--out), where the unit file is the place, but for a template's
   * instance (its own drop-in there). The exact line in one of its `dropIns`
   * is in place, with a unit file here or without one.
   */
  readonly places?: ReadonlyMap<string, UnitFilePlace>;
  /**
   * Every claim-port line in the unit directory's `*.service` files and
   * `*.service.d/*.conf` and type-wide `service.d/*.conf` drop-ins
   * (claimLinesIn), claim-port.conf included: a line the registry no longer
   * asks for still frees its port, as root, at the next start of its unit.
   */
  readonly claims?: readonly FoundClaim[];
}

/** A claim-port line found under the unit directory (SystemdTree.claims). */
export interface FoundClaim {
  /** Relative to its unit directory (`dir`): `old.service`, `redis-server.service.d/override.conf`. */
  readonly path: string;
  /**
   * The unit directory it is in, as the system sees it (links resolved: `/usr/lib/systemd/system` for a file found
   * through `/lib`), when it is not the one checked: any other of systemd's (`/run/systemd/transient`,
   * `/run/systemd/generator`, `/usr/lib/systemd/system`). Undefined: the unit directory checked (--out DIR, or
   * /etc/systemd/system).
   */
  readonly dir?: string;
  /** 1-based line of the assignment. */
  readonly line: number;
  /** The assignment as written (`ExecStartPre=+/usr/local/bin/claim-port 8000`), white space runs collapsed. */
  readonly text: string;
  /**
   * What claim-port frees: a port, a service id, or (`dynamic`) the port or service id its word, as written, names once
   * systemd resolves it for the unit started (`%i`, `${PORT}`); undefined when it would free nothing (--help, a usage
   * error, a line systemd ignores).
   */
  readonly target?: { readonly port: number; readonly transport: 'tcp' | 'udp' } | { readonly id: string } | { readonly dynamic: string };
  /**
   * Why claim-port frees nothing when it runs this line (claimTarget's problem: a usage error, --help, --dry-run), when
   * it does not; `fails`: claim-port exits 64, a usage error; `ignored`: the `-` prefix makes systemd ignore a failure.
   */
  readonly refused?: { readonly problem: string; readonly fails: boolean; readonly ignored: boolean };
  /** The assignment holds bytes that are not UTF-8 (kept as decodeKeepingBadBytes keeps them): systemd ignores it. */
  readonly notUtf8?: true;
  /** An empty `ExecStartPre=` comes before it in its file: in a drop-in read after claim-port.conf, it replaces that claim. */
  readonly afterClear?: true;
  /** The Exec setting it is in when not ExecStartPre= (`ExecStop`, `ExecStartPost`...): never one the registry wires. */
  readonly otherExec?: string;
  /**
   * The registry path it gives claim-port, as written: its `--registry`, else (registryEnvironment) the non-empty
   * $DSA110_PORTS_FILE of the one unit that reads the line; undefined when it names none.
   */
  readonly registry?: string;
  /** `registry` is the unit's $DSA110_PORTS_FILE (Environment=, EnvironmentFile=, system.conf's DefaultEnvironment=), set at this file and line. */
  readonly registryEnvironment?: { readonly file: string; readonly line: number };
  /**
   * That `--registry`, when relative, as claim-port opens it: in the working directory of the unit that reads the line
   * (its WorkingDirectory=, else `/`; pathInWorkingDirectory), `//` and `/./` simplified. Undefined when absolute, or
   * when that directory is not known here (registryUnknown says why).
   */
  readonly registryIn?: string;
  /**
   * Why which file a relative `--registry` names cannot be told here, one line with what to do: the unit's
   * WorkingDirectory= is `~` or holds a host specifier, the file is read by more than one unit (a template's, a dash
   * prefix's, the type-wide service.d/), or (--out) the unit's file is not in the directory. The line is then judged as
   * this registry's, and a warning says this.
   */
  readonly registryUnknown?: string;
  /**
   * Whether that `--registry` names a registry file other than the one checked, as the files themselves say (links
   * resolved under the root); undefined where they could not be read (a bare --out directory): then by its path.
   */
  readonly otherRegistry?: boolean;
  /** That `--registry` names the very registry file checked, as the files say (undefined where they could not be read). */
  readonly sameRegistry?: true;
  /** The `-` prefix makes systemd ignore a failure of the command. */
  readonly ignoresFailure?: true;
  /**
   * Of a unit file, or a drop-in in the directory of one unit, whose unit has other names (aliases), every name of that unit, in the order
   * systemd reads their drop-in directories: its id (the name of its unit file) first, then the others in name order.
   * Each is the unit that reads it, whichever name the registry gives.
   */
  readonly unitNames?: readonly string[];
}

/** The settings of a service's [Service] section whose commands systemd runs (systemd.service(5)), as root with `+`. */
const SERVICE_EXEC_KEYS = new Set(['ExecCondition', 'ExecStartPre', 'ExecStart', 'ExecStartPost', 'ExecReload', 'ExecStop', 'ExecStopPost']);

/**
 * Pure: the claim-port lines of a unit file or drop-in's [Service] sections,
 * at `path` (relative to the unit directory), read as systemd reads them:
 * each command of an ExecStartPre= whose executable is claim-port (by its
 * name, or one of `claimPortPaths`), with what claim-port would free; and
 * those of its other Exec settings (ExecStop=, ...), which the registry never wires.
 * `text` as decodeKeepingBadBytes reads a file: an assignment holding a byte that
 * is not UTF-8 is found (notUtf8), though systemd ignores it.
 */
export function claimLinesIn(path: string, text: string, claimPortPaths: readonly string[]): FoundClaim[] {
  let cleared = false;
  return parseUnitFile(text).flatMap((assignment): FoundClaim[] => {
    if (assignment.section !== 'Service' || !SERVICE_EXEC_KEYS.has(assignment.key)) return [];
    const pre = assignment.key === 'ExecStartPre';
    // systemd 252: "String is not UTF-8 clean, ignoring assignment" (and a unit file that held one does not load).
    const notUtf8 = hasKeptBadBytes(assignment.key) || hasKeptBadBytes(assignment.value);
    if (assignment.value === '') {
      if (pre) cleared = true;
      return [];
    }
    const written = `${assignment.key}=${assignment.value}`.replace(/\s+/g, ' ');
    const plain = parseExec(assignment.value);
    // The same line with every specifier and variable given a marked value: which words the unit started decides.
    const probed = parseExec(assignment.value, ANY_VARIABLE, PROBE_UNIT);
    return plain.commands.flatMap((command, index) => {
      if (!isClaimPort(command.path, claimPortPaths)) return [];
      const target = notUtf8 ? undefined : (dynamicTarget(command.words, probed.commands[index]) ?? claimTarget(command.argv));
      const found =
        target === undefined || 'problem' in target
          ? undefined
          : 'id' in target || 'dynamic' in target
            ? target
            : { port: target.port, transport: target.transport ?? 'tcp' };
      const args = parseClaimArgs(command.argv.slice(1));
      const registry = args.command === 'claim' ? args.registry : undefined;
      const refused =
        target !== undefined && 'problem' in target
          ? { problem: target.problem, fails: args.command === 'usage-error', ignored: command.prefixes.includes('-') }
          : undefined;
      return [
        {
          path,
          line: assignment.line,
          text: written,
          ...(found && { target: found }),
          ...(refused && { refused }),
          ...(notUtf8 && { notUtf8: true as const }),
          ...(cleared && pre && !notUtf8 && { afterClear: true as const }),
          ...(!pre && { otherExec: assignment.key }),
          ...(registry !== undefined && { registry }),
          ...(command.prefixes.includes('-') && { ignoresFailure: true as const }),
        },
      ];
    });
  });
}

/** Marks no unit file holds (private-use characters): the values given to specifiers and variables to see which words they reach. */
const SPECIFIER_MARK = '\ue000';
const VARIABLE_MARK = '\ue001';
/** A unit whose every name specifier (%n %N %p %P %i %I %j %J %f) and host specifier (%H, %m, ...) holds SPECIFIER_MARK. */
const PROBE_UNIT = {
  name: `${SPECIFIER_MARK}@${SPECIFIER_MARK}.service`,
  host: Object.fromEntries([...HOST_SPECIFIERS].map((letter) => [letter, SPECIFIER_MARK])),
};
/** An environment in which every variable is set, to VARIABLE_MARK. */
const ANY_VARIABLE: ReadonlyMap<string, string> = new (class extends Map<string, string> {
  override get(): string {
    return VARIABLE_MARK;
  }
})();

/**
 * Pure: what a claim-port command whose words a specifier or a variable makes (`claim-port %i`, `claim-port ${PORT}`,
 * `--registry ${R} 8000`) claims once systemd resolves them for the unit started: `{ dynamic }`, the claimed word as
 * written (`words`: parseExec's, specifiers as written), when it is one of those; else the port or id it claims; undefined
 * for a command none of whose words depends on the unit, or that claim-port would refuse so. `probed` is the same command parsed with PROBE_UNIT and
 * ANY_VARIABLE: each argument holding a mark is given a service id of its own, and claim-port's own parser says which
 * argument it claims.
 */
function dynamicTarget(
  words: readonly string[],
  probed: { readonly words: readonly string[]; readonly argv: readonly string[] } | undefined,
): ReturnType<typeof claimTarget> | { dynamic: string } | undefined {
  if (probed === undefined || probed.words.length !== words.length || probed.argv.length !== words.length) return undefined;
  const marked = (word: string) => word.includes(SPECIFIER_MARK) || word.includes(VARIABLE_MARK);
  if (!probed.argv.some(marked)) return undefined;
  const target = claimTarget(probed.argv.map((word, index) => (index > 0 && marked(word) ? `dynamic-word-${index}` : word)));
  const index = 'id' in target ? /^dynamic-word-(\d+)$/.exec(target.id)?.[1] : undefined;
  // Refused with its variables set (`8000 $EXTRA`, two ports): read as written, as with them unset.
  if (index === undefined) return 'problem' in target ? undefined : target;
  return { dynamic: words[Number(index)]! };
}

/** Where a unit-file claim's line goes, from the unit as systemd loads it (SystemdTree.places). */
export interface UnitFilePlace {
  /** The unit file is a package's (/usr/lib, /lib) or made at run time (/run): an upgrade or a boot replaces it, so the line goes in a drop-in. */
  readonly packaged: boolean;
  /** The unit file is made at run time (under /run): a reboot replaces it. */
  readonly madeAtRunTime?: boolean;
  /** The drop-in the write names for the line (`NAME.service.d/override.conf` in the unit directory), as printed. */
  readonly dropIn: string;
  /** The unit's own drop-ins (as printed, with their text), in the order systemd reads them: a claim line there is the unit's, and the exact line there is in place. */
  readonly dropIns: readonly { readonly path: string; readonly text: string }[];
}

export interface SystemdDrift {
  /**
   * Relative to the unit directory checked; for a claim line in another unit directory (FoundClaim.dir), its absolute
   * path as the system sees it (`/usr/lib/systemd/system/foo.service:3`).
   */
  readonly path: string;
  readonly message: string;
  /** Not drift, said as a warning: another registry's claim-port.conf, which that registry's own --check judges. */
  readonly warning?: true;
  /** For a drop-in that differs: the expected and actual contents (for a diff). */
  readonly expected?: string;
  readonly actual?: string;
  /**
   * For a claim-port.conf no robust service's wiring has (its unit left the registry, or was renamed there), not
   * another registry's: what its one claim line frees, so that `ports systemd` can tell a file it wrote itself
   * (claimPortDropIn of that target) and remove it, where it would only say so.
   */
  readonly leftover?: { readonly target: number | string; readonly transport: 'tcp' | 'udp' };
}

/**
 * How the files on disk differ from the registry's wiring; empty when they match. Pure.
 * `options.regenerate` is the command a message tells to run (default `ports systemd`):
 * the CLI passes the one it was run as, with its --out or --root, less --check.
 * `options.services` (default: the wired ones) name whose port a stray claim line frees;
 * `options.registryPath` is the registry's file as the wiring names it (undefined: the bundled
 * one): a claim line outside the wiring that reads another registry is that registry's, not drift. A service id a
 * line claims is looked up in `options.services` only when the line reads the registry checked (else it is the other
 * registry's to resolve); given `options.services`, an id it lacks is one claim-port refuses. `options.unitDir` is the
 * unit directory as messages name it (default DEFAULT_UNIT_DIR), where the advice for a line in a package's file puts
 * its override. `options.root` is the root the tree was read under (`/`, this host; another, a system's tree read with
 * --root): a fix that changes a file ends as reloadStep says there, never with this host's daemon-reload for another's.
 * `options.names` (namesRegistry), when given, tells whether a path is the registry's file: a claim drop-in that names
 * it by another name (a link to it, a path through `..`) is as written, not drift.
 */
export function systemdDrift(
  wiring: readonly ClaimWiring[],
  tree: SystemdTree,
  options: {
    readonly regenerate?: string;
    readonly services?: readonly Service[];
    readonly registryPath?: string;
    readonly unitDir?: string;
    readonly root?: string;
    readonly names?: (path: string) => boolean;
  } = {},
): SystemdDrift[] {
  const regenerate = options.regenerate ?? 'ports systemd';
  const drift: SystemdDrift[] = [];
  for (const entry of wiring) {
    const actual = tree.files.get(entry.path);
    if (entry.claim === 'drop-in') {
      if (actual === undefined) drift.push({ path: entry.path, message: `missing: the registry wants ${entry.line} for ${entry.unit}; run \`${regenerate}\`` });
      else if (
        actual !== entry.contents &&
        !(
          options.registryPath !== undefined &&
          options.names !== undefined &&
          sameButRegistryName(actual, entry.contents!, options.registryPath, options.names)
        )
      ) {
        drift.push({ path: entry.path, message: `differs from the registry (${entry.line}); run \`${regenerate}\``, expected: entry.contents!, actual });
      }
    } else if (actual === undefined) {
      // No unit file here, but the line in a drop-in of the unit's own (an instance's, under --out): in place, as systemd reads it.
      const place = tree.places?.get(entry.path);
      if (lineInOwnDropIn(entry.line, place)) continue;
      drift.push({
        path: entry.path,
        message:
          place === undefined
            ? `missing: the registry says ${entry.unit} claims its port in the unit file with ${entry.line}; install the unit with that line in its [Service] section`
            : `missing: the registry says ${entry.unit} claims its port with ${entry.line}, which no unit file or drop-in of its own here holds; put the line under a [Service] line in the drop-in ${place.dropIn}`,
      });
    } else {
      const place = tree.places?.get(entry.path);
      const inFile = hasExecStartPre(actual, entry.line);
      const inDropIn = !inFile && lineInOwnDropIn(entry.line, place);
      // A file systemd refuses (a broken section header, above or below the line) loads no unit: the line, wherever it
      // is, never runs, and "add it there" would never pass.
      const refused = unitFileRefusal(actual);
      if (refused !== undefined) {
        const where = inFile ? ' in its [Service] section' : inDropIn ? ' in a drop-in of its own' : '';
        drift.push({
          path: entry.path,
          message:
            inFile || inDropIn
              ? `systemd would refuse to load it: line ${refused.line}: ${refused.message}, so ${escapeText(entry.unit)} never starts and its ${entry.line}${where} never runs; fix that line, keeping the claim line where it is`
              : `systemd would refuse to load it: line ${refused.line}: ${refused.message}; fix that line, then make sure its [Service] section holds ${entry.line}`,
        });
      } else if (!inFile && !inDropIn) {
        const packaged = !place?.packaged
          ? ''
          : place.madeAtRunTime
            ? ', and it is made at run time (under /run), which a reboot replaces'
            : ", and it is a package's file, which an upgrade of the package overwrites";
        drift.push({
          path: entry.path,
          message: `does not contain ${entry.line} in its [Service] section${packaged}; ${unitLineFix(actual, escapeText(entry.path.slice(entry.path.lastIndexOf('/') + 1)), place)}`,
        });
      }
    }
  }
  const expected = new Set(wiring.filter((entry) => entry.claim === 'drop-in').map((entry) => entry.path));
  const services = options.services ?? wiring.map((entry) => entry.service);
  const claims = (tree.claims ?? []).map((claim) => judgedClaim(claim, options.services, options.registryPath));
  const unitDir = options.unitDir ?? DEFAULT_UNIT_DIR;
  const masked = new Set(tree.masked ?? []);
  for (const path of tree.dropIns) {
    if (expected.has(path)) continue;
    const unit = path.slice(0, path.indexOf('.d/'));
    const owner = wiring.find((entry) => entry.unit === unit);
    const inFile = claims.filter((claim) => claim.dir === undefined && claim.path === path);
    drift.push({ path, ...leftoverDropIn(unit, owner, inFile, masked.has(path), services, regenerate, options.registryPath) });
    for (const claim of inFile)
      if (claim.registryUnknown !== undefined) drift.push({ path: `${path}:${claim.line}`, message: claim.registryUnknown, warning: true });
  }
  for (const claim of claims) {
    // The registry's drop-in, or a leftover one, in the unit directory checked: judged above.
    if (claim.dir === undefined && claim.path.endsWith(`/${DROP_IN_NAME}`)) continue;
    const drifted = strayClaim(claim, wiring, services, options.registryPath, unitDir, regenerate, options.root);
    const path = claim.dir === undefined ? claim.path : `${claim.dir}/${claim.path}`;
    if (drifted === undefined) continue;
    drift.push({ path: `${path}:${claim.line}`, message: `unexpected: ${drifted}` });
    // Judged as this registry's line, since which registry it reads cannot be told: said, not guessed at.
    if (claim.registryUnknown !== undefined) drift.push({ path: `${path}:${claim.line}`, message: claim.registryUnknown, warning: true });
  }
  // The unit directory checked first, then the others (absolute paths), each by path, collated as English is (a unit
  // before its drop-ins), whatever LANG says: by its locale, under da_DK `aa` sorts after `z` and --check's output differed.
  return drift.sort((a, b) => Number(a.path.startsWith('/')) - Number(b.path.startsWith('/')) || a.path.localeCompare(b.path, 'en'));
}

/** A claim line as judged (judgedClaim): `idElsewhere`, the registry its service id is resolved in when not the one checked. */
interface JudgedClaim extends FoundClaim {
  readonly idElsewhere?: string;
}

/**
 * Pure: a claim line whose target is a service id, with that id resolved where claim-port resolves it: in the registry
 * the line reads. When that is the registry checked, an id it has no service for (`services`, when given) is refused
 * by claim-port (unknown service, a usage error: it frees nothing, and the start fails there); when the line reads
 * another registry (its `--registry`, or the bundled one while a named one is checked), the id is that registry's
 * (idElsewhere), not looked up here. A `--registry` that names no file (as the files under the root say) resolves no id.
 */
function judgedClaim(claim: FoundClaim, services: readonly Service[] | undefined, registryPath: string | undefined): JudgedClaim {
  const target = claim.target;
  if (target === undefined || !('id' in target)) return claim;
  const refuse = (problem: string): JudgedClaim => {
    const { target: _, ...rest } = claim;
    return {
      ...rest,
      refused: { problem: `claim-port would refuse these arguments (a usage error, exit 64): ${problem}`, fails: true, ignored: claim.ignoresFailure === true },
    };
  };
  const id = quoteValue(target.id);
  if (claim.registry === undefined) {
    if (registryPath !== undefined) return { ...claim, idElsewhere: 'the bundled registry' };
  } else if (namesAnotherRegistry(claim, registryPath) || !(claim.registryIn ?? claim.registry).startsWith('/')) {
    return { ...claim, idElsewhere: registryText(claim) };
  } else if (claim.otherRegistry === false && claim.sameRegistry !== true) {
    return refuse(`it cannot resolve service ${id}: ${registrySource(claim)} names no file`);
  }
  if (services === undefined || services.some((service) => service.id === target.id)) return claim;
  return refuse(`unknown service ${id}: the registry it reads (${registryPath === undefined ? 'the bundled one' : escapeText(registryPath)}) has no such id`);
}

/**
 * Pure: what to do with a stray claim line (`usual`: what to do where the operator's files are) where it is: in the
 * unit directory checked (or /etc/systemd/system), `usual`. Where systemd or a tool makes the file, not the operator,
 * it is not edited: a generator's output (/run/systemd/generator, .early, .late), made again at each boot and
 * daemon-reload, is changed at its source (the generator's configuration, or the generator); a transient unit
 * (/run/systemd/transient, `systemd-run`) is made again without the line; a portable service's (system.attached) is
 * fixed in its image; a package's (/usr/lib, /lib), which an upgrade overwrites, is overridden. Overridden from
 * `unitDir`: a drop-in masked by one of its name there, a unit file by a drop-in of its own there that clears the
 * setting (or the unit masked); never from there when the file's directory is read before it (a mask would be hidden).
 * In `systemctl set-property`'s directories (system.control), `usual`, and that set-property wrote no such line;
 * elsewhere under /run (made at run time), also what made it; under /usr/local (the administrator's install), its source.
 */
function lineFix(claim: FoundClaim, usual: string, unitDir: string): string {
  const dir = claim.dir;
  if (dir === undefined || dir === DEFAULT_UNIT_DIR) return usual;
  const shown = escapeText(dir);
  const dropIn = claim.path.includes('/');
  const dirName = dropIn ? claim.path.slice(0, claim.path.indexOf('/')) : undefined;
  const unitName = dirName === undefined ? claim.path : dirName.slice(0, -'.d'.length);
  const unit = escapeText(unitName);
  // In a command to paste: quoted for the shell (a unit name may hold `\`, as systemd-escape writes it).
  const word = printedShellWord(unitName);
  // A unit's own file, or its own drop-in directory: not a dash prefix's, a template's or the type-wide one.
  const ownUnit = dirName === undefined || (dropInPattern(dirName) === undefined && !isTypeWide(dirName));
  const runtime = dir.startsWith('/run/') ? ' (a reboot removes it)' : '';
  if (dir.endsWith('/systemd/system.control')) {
    const revert =
      dropIn && ownUnit
        ? `; \`systemctl revert ${word}\` removes the file too, but with every other drop-in of ${unit} and any unit file of its in /etc or /run`
        : '';
    return `${usual}; the file is under ${shown}, where \`systemctl set-property${runtime === '' ? '' : ' --runtime'}\` keeps the settings it makes${runtime}, and ExecStartPre= is none of them: the line was put there by hand or by a tool, so change that too${revert}`;
  }
  const shownDir = escapeText(unitDir);
  const key = claim.otherExec ?? 'ExecStartPre';
  const before = BEFORE_ETC.has(dir);
  const override = (whose: string) =>
    dropIn
      ? `mask it with a file of its name in ${shownDir}, which systemd reads in its place: \`ln -s /dev/null ${printedShellWord(`${unitDir}/${claim.path}`)}\` (or there a copy of it without the line, if it sets anything else)`
      : `override it with a drop-in of its own, ${shownDir}/${unit}.d/override.conf (\`systemctl edit ${word}\`), holding under [Service] an empty ${key}= (which drops each ${key}= of ${whose} file) then those of its ${key}= lines to keep${before ? '' : `; or mask the unit (\`systemctl mask ${word}\`) if it is not used`}`;
  // A mask in unitDir hides no drop-in read before it; a drop-in of the unit's own there still clears a setting.
  const orOverride = (whose: string) => (before && dropIn ? '' : `; or ${override(whose)}`);
  if (dir === '/run/systemd/transient') {
    if (dropIn)
      return `${usual}; the file is under ${shown}, where systemd keeps the transient units it makes (\`systemd-run\`) and their settings${runtime}, so whatever put it there may put it again: change that too`;
    return `the file is a transient unit's (under ${shown}), which systemd wrote when something made the unit (\`systemd-run\`, a D-Bus StartTransientUnit call) and removes once the unit is gone: do not edit it; stop the unit (\`systemctl stop ${word}\`) and change what makes it to make it without the line`;
  }
  if (/^\/run\/systemd\/generator(\.early|\.late)?$/.test(dir))
    return `the file is a generator's (under ${shown}), which systemd's generators make again at each boot and \`systemctl daemon-reload\`: do not edit it; change what the generator makes it from (its configuration, such as /etc/fstab or an /etc/init.d script), or remove the generator (under /etc/systemd/system-generators, /usr/local/lib/systemd/system-generators, /usr/lib/systemd/system-generators)${orOverride("the generator's")}`;
  if (dir.endsWith('/systemd/system.attached'))
    return `the file is a portable service's (under ${shown}), which \`portablectl attach\` put there from its image${runtime}: do not edit it; fix the image and \`portablectl reattach\` it${orOverride("the image's")}`;
  if (dir.startsWith('/run/'))
    return `${usual}; the file is under /run, made since boot (a reboot removes it), so whatever made it there (\`systemctl --runtime\`, a script) may make it again: change that too`;
  if (dir.startsWith('/usr/local/'))
    return `${usual}; the file is the administrator's own install under /usr/local, so remove it from what installs it there too, or a reinstall puts it back`;
  return `the file is a package's (under ${shown}), which an upgrade of the package overwrites: do not edit it; ${override("the package's")}`;
}

/** Pure: whether a drop-in directory (`service.d`, `foo.service.d`) is a type-wide one, which every unit of its type reads. */
function isTypeWide(dirName: string): boolean {
  return !dirName.slice(0, -'.d'.length).includes('.');
}

/**
 * Pure: what a `claim-port.conf` the registry does not write is (`unit`: the one its directory is named for; `owner`:
 * the registry's wiring of that unit, which then claims in the unit file; `inFile`: its claim lines), and what to do:
 * masked, it claims nothing; in the type-wide `service.d/`, it claims at every service's start; when each of its lines
 * names another registry file, it is that registry's wiring (a warning, not drift, unless the registry wires the unit
 * too); else it is a leftover, to remove.
 */
function leftoverDropIn(
  unit: string,
  owner: ClaimWiring | undefined,
  inFile: readonly FoundClaim[],
  masked: boolean,
  services: readonly Service[],
  regenerate: string,
  registryPath: string | undefined,
): Omit<SystemdDrift, 'path'> {
  const name = escapeText(unit);
  const wiredInFile = `the registry wires ${name}'s claim in the unit file (systemd.claim: unit)`;
  // A dash prefix's or a template's directory (`foo-.service.d`) is read by every unit it names (`foo-*.service`).
  const pattern = dropInPattern(`${unit}.d`);
  const uses = pattern === undefined ? name : `any of the units ${escapeText(unit)}.d/ applies to, every ${escapeText(pattern)}`;
  const startOf = pattern === undefined ? name : `any ${escapeText(pattern)}`;
  const whom = pattern === undefined ? name : `every ${escapeText(pattern)}`;
  if (masked) {
    const whose = owner ? wiredInFile : `no robust service in the registry uses ${uses}`;
    return { message: `unexpected: masked (a link to /dev/null, or empty), so systemd reads nothing from it and it claims nothing; ${whose}; remove it` };
  }
  const dirName = `${unit}.d`;
  if (isTypeWide(dirName)) {
    const frees = inFile
      .map((claim) =>
        claim.refused && claim.otherExec === undefined
          ? `; its ${escapeText(claim.text, 200)} frees nothing: ${refusedText(claim.refused, `every ${name} on the system`)}`
          : `; its ${escapeText(claim.text, 200)} frees ${targetText(claim)}${ownerOf(claim, services)} as root`,
      )
      .join('');
    return {
      message: `unexpected: ${escapeText(dirName)}/ holds drop-ins every ${name} unit reads, so it runs at the start of every ${name} on the system${frees}; remove it (a service's claim goes in its own NAME.service.d/: \`systemd.claim: drop-in\`)`,
    };
  }
  const other = inFile.length > 0 && inFile.every((claim) => namesAnotherRegistry(claim, registryPath)) ? registryText(inFile[0]!) : undefined;
  if (other !== undefined) {
    const line = escapeText(inFile[0]!.text, 200);
    // Another registry wired it (`ports --registry OTHER systemd`): that registry's to judge, unless both claim the unit.
    if (owner) {
      return {
        message: `unexpected: its ${line} names another registry, ${other}, whose wiring it is, while this registry wires ${name}'s claim in the unit file (systemd.claim: unit), so ${name} would claim its port twice, under two registries; make ${name} robust in only one of them`,
      };
    }
    // A port this registry gives to one of its services (an id is the other registry's to resolve): said, as a leftover's is.
    const frees = inFile.flatMap((claim) => {
      const another = claim.target !== undefined && 'port' in claim.target ? freesAnother(claim, unit, services, startOf) : '';
      return another === '' ? [] : [`; it claims ${targetText(claim)}, ${another}`];
    });
    return {
      warning: true,
      message: `its ${line} names another registry, ${other}, not the one checked here: it is that registry's claim for ${whom}, left alone here (that registry's own \`ports systemd --check\` checks it)${frees[0] ?? ''}`,
    };
  }
  if (owner) {
    // A unit switched to `claim: unit`: the unit file gets its line first, so that no start in between runs unclaimed.
    return {
      message: `unexpected: the registry now wires ${name}'s claim in the unit file (systemd.claim: unit), so with this drop-in it would claim twice; once the unit file has its claim line (\`${regenerate}\` prints it for ${name}), remove this drop-in`,
    };
  }
  const frees = inFile.flatMap((claim) => {
    // A line claim-port refuses (an id this registry lacks, an unknown option): it frees nothing, and may fail the start.
    if (claim.refused && claim.otherExec === undefined)
      return [`; at each start of ${startOf} its ${escapeText(claim.text, 200)} frees nothing: ${refusedText(claim.refused, startOf)}`];
    const another = freesAnother(claim, unit, services, startOf);
    return another === '' ? [] : [`; its ${escapeText(claim.text, 200)} claims ${targetText(claim)}, ${another}`];
  });
  const target = inFile.length === 1 && pattern === undefined ? inFile[0]!.target : undefined;
  const leftover =
    target === undefined || 'dynamic' in target
      ? undefined
      : 'id' in target
        ? { target: target.id, transport: 'tcp' as const }
        : { target: target.port, transport: target.transport };
  return { message: `unexpected: no robust service in the registry uses ${uses}${frees[0] ?? ''}; remove it`, ...(leftover && { leftover }) };
}

/**
 * Pure: whether a claim line's `--registry` names another registry than the one checked (`registryPath`): as the
 * files say (FoundClaim.otherRegistry), else by an absolute path that is not the checked one; a relative one as
 * claim-port opens it, in its unit's working directory (FoundClaim.registryIn). One that names no file names no
 * registry: claim-port then warns and frees the port with its built-in list, so the line is this registry's to
 * report; so is one whose working directory is not known here (FoundClaim.registryUnknown, said as a warning).
 */
function namesAnotherRegistry(claim: FoundClaim, registryPath: string | undefined): boolean {
  if (claim.registry === undefined) return false;
  if (claim.otherRegistry !== undefined) return claim.otherRegistry;
  const named = claim.registryIn ?? claim.registry;
  return named.startsWith('/') && (registryPath === undefined || simplifyPath(named) !== simplifyPath(registryPath));
}

/**
 * A claim line's registry path as written, escaped, where it is when that is relative (`ports.yaml (/etc/dsa110/ports.yaml)`),
 * and, when it is the unit's $DSA110_PORTS_FILE, where that is set (`/srv/ports.yaml ($DSA110_PORTS_FILE, /etc/default/app:2)`).
 */
function registryText(claim: FoundClaim): string {
  const written = escapeText(claim.registry ?? '');
  const from =
    claim.registryEnvironment === undefined ? [] : [`$${REGISTRY_ENV}, ${escapeText(claim.registryEnvironment.file)}:${claim.registryEnvironment.line}`];
  const notes = [...(claim.registryIn === undefined ? [] : [escapeText(claim.registryIn)]), ...from];
  return notes.length === 0 ? written : `${written} (${notes.join('; ')})`;
}

/** How a claim line names its registry, for a message: `its --registry PATH`, or `its unit's $DSA110_PORTS_FILE PATH (FILE:LINE)`. */
function registrySource(claim: FoundClaim): string {
  return claim.registryEnvironment === undefined ? `its --registry ${registryText(claim)}` : `its unit's $${REGISTRY_ENV}, ${registryText(claim)},`;
}

/**
 * Pure: what is wrong with a claim line found outside the registry's own
 * drop-ins (`claim`; undefined when nothing is), and what to do: its unit is
 * no robust service's, or the registry wires that unit's claim in
 * claim-port.conf, so the line claims a second time, or claims another port;
 * in the type-wide `service.d/`, it claims at every service's start. A line
 * of a `claim: unit` service's unit is judged with its unit file (unitLineFix).
 */
function strayClaim(
  claim: JudgedClaim,
  wiring: readonly ClaimWiring[],
  services: readonly Service[],
  registryPath: string | undefined,
  unitDir: string,
  regenerate: string,
  root: string | undefined,
): string | undefined {
  const verdict = strayVerdict(claim, wiring, services, registryPath, unitDir, regenerate, root);
  if (verdict === undefined) return undefined;
  // A line systemd ignores claims nothing: said so, whatever it would have claimed (a unit file holding one does not load).
  if (claim.notUtf8) {
    const unitFile = !claim.path.includes('/');
    return `${escapeText(claim.text, 200)}: it holds bytes that are not UTF-8, so systemd ignores it ("String is not UTF-8 clean, ignoring assignment")${unitFile ? ` and refuses to load ${escapeText(claim.path)}` : ''}: it claims nothing; ${inPlaceOf(claim, wiring)[0] === undefined ? lineFix(claim, 'remove the line', unitDir) : inPlaceFix(claim, inPlaceOf(claim, wiring)[0]!, unitDir, regenerate, root)}`;
  }
  return verdict;
}

function strayVerdict(
  claim: JudgedClaim,
  wiring: readonly ClaimWiring[],
  services: readonly Service[],
  registryPath: string | undefined,
  unitDir: string,
  regenerate: string,
  root: string | undefined,
): string | undefined {
  const slash = claim.path.indexOf('/');
  const dirName = slash < 0 ? undefined : claim.path.slice(0, slash);
  const unit = dirName === undefined ? claim.path : dirName.slice(0, -'.d'.length);
  const line = escapeText(claim.text, 200);
  // A claim-port.conf systemd reads in place of the registry's: removing its line would leave it there, still read.
  const replaced = inPlaceOf(claim, wiring);
  const remove =
    replaced[0] !== undefined
      ? inPlaceFix(claim, replaced[0], unitDir, regenerate, root)
      : lineFix(claim, claim.target !== undefined && 'dynamic' in claim.target ? dynamicFix(claim.target.dynamic) : 'remove the line', unitDir);
  // A dash prefix's or a template's drop-in directory (`foo-.service.d`) is read by every unit it names (`foo-*.service`).
  const pattern = dirName === undefined ? undefined : dropInPattern(dirName);
  const startOf = pattern === undefined ? escapeText(unit) : `any ${escapeText(pattern)}`;
  // Read by every service on the system (the registry's and all others), whichever registry it names.
  if (dirName !== undefined && isTypeWide(dirName)) {
    const when =
      claim.otherExec === undefined
        ? `at the start of every ${escapeText(unit)} on the system`
        : `each time systemd runs ${claim.otherExec}= of any ${escapeText(unit)} on the system`;
    const does = claim.refused
      ? `claim-port runs and frees nothing: ${refusedText(claim.refused, claim.otherExec === undefined ? `every ${escapeText(unit)} on the system` : undefined)}`
      : `claim-port frees ${targetText(claim)}${ownerOf(claim, services)} as root`;
    return `${line}: ${escapeText(dirName)}/ holds drop-ins every ${escapeText(unit)} unit reads, so ${when} ${does}; ${remove} (a service's claim goes in its own NAME.service.d/: \`systemd.claim: drop-in\`)`;
  }
  // The units that read the file (fileReaders), less those whose own claim-port.conf, the registry's, systemd reads in its place.
  const hiddenFrom = fileReaders(claim, wiring).filter((entry) => sameNameWinner(claim, entry) === 'registry');
  const readers = fileReaders(claim, wiring).filter((entry) => !hiddenFrom.includes(entry));
  // The registry wires claim-port in ExecStartPre= only: anywhere else (a stop, a reload) it frees a port as root at
  // a moment no service start follows.
  if (claim.otherExec !== undefined && !namesAnotherRegistry(claim, registryPath))
    return `${line}: claim-port in ${claim.otherExec}=, where the registry never wires it, frees ${targetText(claim)} as root each time systemd runs that setting of ${startOf}; ${remove}`;
  if (readers.length === 0) {
    // A unit of another registry's (its line names that file): wired from there, and checked there.
    if (namesAnotherRegistry(claim, registryPath)) return undefined;
    // One unit's own directory whose unit reads the registry's claim-port.conf in its place: never read.
    if (pattern === undefined && hiddenFrom.length > 0) return undefined;
    const another = freesAnother(claim, unit, services, startOf);
    // A template's or dash prefix's, hidden from the registry's units of those it names by their own claim-port.conf.
    const but =
      hiddenFrom.length === 0
        ? ''
        : ` but ${hiddenFrom.map((entry) => escapeText(entry.unit)).join(', ')}, for which systemd reads the registry's ${hiddenFrom.map((entry) => escapeText(entry.path)).join(', ')} in its place (one drop-in of each file name)`;
    const none =
      pattern === undefined
        ? `${line}: no robust service in the registry uses ${escapeText(unit)}`
        : `${line}: ${escapeText(dirName!)}/ holds drop-ins every ${escapeText(pattern)} unit reads, and no robust service in the registry uses one${but}`;
    const it = pattern === undefined ? 'it' : 'any of them';
    if (claim.refused && claim.otherExec === undefined)
      return `${none}, and at each start of ${it} claim-port frees nothing: ${refusedText(claim.refused, startOf)}; ${remove}`;
    return another === ''
      ? `${none}, yet at each start of ${it} claim-port frees ${targetText(claim)} as root; ${remove}`
      : `${none}; it claims ${targetText(claim)}, ${another}; ${remove}`;
  }
  // A drop-in read after claim-port.conf (systemd reads drop-ins by file name) that clears ExecStartPre= first replaces
  // the registry's claim, as an operator's override: no second claim; the effective unit is judged (judgeClaims).
  const replaces = claim.afterClear === true && dirName !== undefined && compareNames(claim.path.slice(slash + 1), DROP_IN_NAME) > 0;
  const twice = replaces ? [] : readers.filter((entry) => entry.claim === 'drop-in');
  if (twice.length === 0) return undefined;
  const another = (reader: string) => {
    const text = freesAnother(claim, reader, services);
    return text === '' ? '' : ` (${targetText(claim)}, ${text})`;
  };
  const verdicts = twice.map((entry) => {
    const target = claim.target;
    if (replaced.includes(entry)) return inPlaceVerdict(claim, entry, line, another(entry.unit));
    const also = `${line} runs claim-port for ${escapeText(entry.unit)} besides ${escapeText(entry.path)}, where the registry wires its claim`;
    if (target !== undefined && 'dynamic' in target)
      return `${also}, and frees ${targetText(claim)}: ${escapeText(entry.service.id)}'s port ${entry.port} a second time, or another port`;
    const own = target !== undefined && ('id' in target ? target.id === entry.service.id && claim.idElsewhere === undefined : sameClaim(target, entry.service));
    return own
      ? `${also}, so ${escapeText(entry.unit)} claims its port twice`
      : `${also}, and frees ${targetText(claim)}, not ${escapeText(entry.service.id)}'s port ${entry.port}${another(entry.unit)}`;
  });
  return `${verdicts.join('; ')}; ${replaced.length > 0 ? remove : lineFix(claim, 'remove the line', unitDir)}`;
}

/**
 * Pure: the wired units that read a stray claim line's file: a unit file is its unit's, by any of its names (an alias
 * the registry names it by), or a template's, its instances'; a drop-in directory is read by the units dropInDirNames gives it to (its own, its instances', a dash
 * prefix's), and an alias's by its unit.
 */
function fileReaders(claim: FoundClaim, wiring: readonly ClaimWiring[]): ClaimWiring[] {
  const slash = claim.path.indexOf('/');
  if (slash < 0)
    return wiring.filter((entry) => entry.unit === claim.path || templateOf(entry.unit) === claim.path || (claim.unitNames?.includes(entry.unit) ?? false));
  const dirName = claim.path.slice(0, slash);
  return wiring.filter((entry) => dropInDirNames(entry.unit).includes(dirName) || (claim.unitNames?.includes(entry.unit) ?? false));
}

/** Pure: the wired units for which systemd reads a stray claim line's file in place of their claim-port.conf, the registry's (sameNameWinner). */
function inPlaceOf(claim: FoundClaim, wiring: readonly ClaimWiring[]): ClaimWiring[] {
  return fileReaders(claim, wiring).filter((entry) => sameNameWinner(claim, entry) === 'claim');
}

/** Pure: what a stray claim line does when systemd reads its file in place of `entry`'s claim-port.conf: the registry's claim never runs. */
function inPlaceVerdict(claim: JudgedClaim, entry: ClaimWiring, line: string, another: string): string {
  const unit = escapeText(entry.unit);
  const id = escapeText(entry.service.id);
  const head = `${line}: systemd reads this file in place of ${escapeText(entry.path)}, where the registry wires ${unit}'s claim (${inPlaceReason(claim, entry)}), so the registry's claim never runs`;
  const target = claim.target;
  if (target !== undefined && 'dynamic' in target) return `${head}, and this line frees ${targetText(claim)}: ${id}'s port ${entry.port}, or another port`;
  const own = target !== undefined && ('id' in target ? target.id === entry.service.id && claim.idElsewhere === undefined : sameClaim(target, entry.service));
  return own
    ? `${head}, and this line claims ${id}'s port in its place, with its own arguments`
    : `${head}: ${id}'s port ${entry.port} is never claimed, and this line frees ${targetText(claim)} instead${another}`;
}

/**
 * Pure: what a claim line claim-port refuses does (FoundClaim.refused): its reason, then, for a usage error (exit 64)
 * in an ExecStartPre= without the `-` prefix, that the start of `starting` (the unit, or every unit of a type-wide
 * drop-in; undefined outside ExecStartPre=) fails there.
 */
function refusedText(refused: NonNullable<FoundClaim['refused']>, starting: string | undefined): string {
  if (!refused.fails) return refused.problem;
  if (refused.ignored) return `${refused.problem}, and the - prefix makes systemd ignore that failure`;
  return starting === undefined ? refused.problem : `${refused.problem}, so each start of ${starting} fails at this line`;
}

/** Pure: whether a claimed port is `service`'s (its port and transport). */
function sameClaim(target: { readonly port: number; readonly transport: 'tcp' | 'udp' }, service: Service): boolean {
  return target.port === service.port && target.transport === service.transport;
}

/**
 * `port 8000`, `port 5353/udp`, `the port of redis`, `whatever port or service id %i names (...)` for a word
 * systemd resolves at each start, or `nothing` for a claim line claim-port would refuse.
 */
function targetText(claim: JudgedClaim): string {
  const target = claim.target;
  if (target === undefined) return 'nothing';
  if ('dynamic' in target) return `whatever port or service id ${escapeText(target.dynamic, 100)} names at that start (${dynamicSource(target.dynamic)})`;
  if ('id' in target)
    return claim.idElsewhere === undefined
      ? `the port of ${escapeText(target.id)}`
      : `the port of ${escapeText(target.id)} in ${claim.idElsewhere} (if it has that id)`;
  return `port ${claimPortArgument(target.port, target.transport)}`;
}

/** What a specifier or variable in a claimed word stands for, as systemd.unit(5) and systemd.exec(5) say. */
function dynamicSource(word: string): string {
  const specifier = /%([A-Za-z])/.exec(word.replace(/%%/g, ''))?.[1];
  if (specifier !== undefined) {
    const meaning = 'iI'.includes(specifier)
      ? 'the instance name of the unit started, after its @'
      : 'nN'.includes(specifier)
        ? 'the name of the unit started'
        : 'pP'.includes(specifier)
          ? 'the name of the unit started, up to its @'
          : 'jJ'.includes(specifier)
            ? 'the last dash-separated part of the name of the unit started'
            : specifier === 'f'
              ? 'a path made from the name of the unit started'
              : 'a value of the host or of the service manager';
    return `%${specifier}: ${meaning}`;
  }
  const variable = /\$\{([^}:]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)/.exec(word);
  const name = variable?.[1] ?? variable?.[2] ?? '';
  return `${escapeText(name, 100)}: a variable of the unit's environment, from Environment= or EnvironmentFile=`;
}

/** Pure: the advice for a stray line whose claimed word systemd resolves (`%i`, `${PORT}`): the services it frees belong in the registry. */
function dynamicFix(word: string): string {
  return `remove the line (for a service of the registry's that ${escapeText(word, 100)} names, make it robust with its own systemd.unit: \`ports systemd\` then wires and checks its claim)`;
}

/** Pure: `, api's port,` when the port a claim frees is a registry service's (by port or id); else ''. */
function ownerOf(claim: JudgedClaim, services: readonly Service[]): string {
  const target = claim.target;
  if (target === undefined || 'dynamic' in target || ('id' in target && claim.idElsewhere !== undefined)) return '';
  const owner = services.find((service) => ('id' in target ? service.id === target.id : sameClaim(target, service)));
  return owner === undefined ? '' : ` (${escapeText(owner.id)}'s)`;
}

/**
 * Pure: when `claim`, read by `unit`, frees the port of a service whose unit
 * is another (or that has none), that service and what it costs, said after
 * the port (`which the registry gives to api (dsa110-api.service): ...`); else ''. `startOf` names the units that
 * start it, as said (`foo.service`, or `any foo-*.service` for a dash prefix's drop-in directory). An id another
 * registry resolves (idElsewhere) is not this registry's service.
 */
function freesAnother(claim: JudgedClaim, unit: string, services: readonly Service[], startOf = escapeText(unit)): string {
  const target = claim.target;
  if (target === undefined || 'dynamic' in target || ('id' in target && claim.idElsewhere !== undefined)) return '';
  const owner = services.find((service) => ('id' in target ? service.id === target.id : sameClaim(target, service)));
  if (owner === undefined || owner.systemd?.unit === unit) return '';
  const id = escapeText(owner.id);
  const its = owner.systemd ? ` (${escapeText(owner.systemd.unit)})` : '';
  return `which the registry gives to ${id}${its}: at each start of ${startOf} it would free ${id}'s port as root`;
}

/**
 * Pure: whether `line` is in one of the unit's own drop-ins (`place.dropIns`), where the write puts it when the unit
 * file is not the operator's or is a template's: there as much as in the unit file. Whether a later empty
 * ExecStartPre= clears it is the merged unit's to say (the check of the units systemd would load), as for the unit file's.
 */
function lineInOwnDropIn(line: string, place: UnitFilePlace | undefined): boolean {
  return (place?.dropIns ?? []).some((dropIn) => hasExecStartPre(dropIn.text, line));
}

/** The ExecStartPre= lines of a unit file or drop-in's [Service] sections that run claim-port (as serviceSectionLines spells them). */
export function claimPortLines(text: string): string[] {
  return claimPortAssignments(text).map(({ text: line }) => line);
}

/** claimPortLines, each with its 1-based line in the file (that of its first line, when continued). */
function claimPortAssignments(text: string): { readonly text: string; readonly line: number }[] {
  return parseUnitFile(text)
    .filter((assignment) => assignment.section === 'Service')
    .map((assignment) => ({ text: `${assignment.key}=${assignment.value}`.replace(/\s+/g, ' '), line: assignment.line }))
    .filter(({ text: line }) => /^ExecStartPre=.*claim-port/.test(line));
}

/**
 * Pure: what to do about a unit file (`text`) that lacks its claim line, so
 * that the unit claims its port once, with that line: replace a claim line
 * that is there (in a drop-in of the unit's own first, then in the unit file;
 * a package's file never gets it), remove the others, else add the line where
 * the write says it goes (the unit file, or the drop-in `place.dropIn`).
 */
function unitLineFix(text: string, file: string, place: UnitFilePlace | undefined): string {
  // Each line named at its FILE:LINE, as the health check names it (`grafana-simple.service:4`), the unit file by the name the drift line starts with.
  const inFile = claimPortAssignments(text);
  const inDropIns = (place?.dropIns ?? []).flatMap((dropIn) =>
    claimPortAssignments(dropIn.text).map((line) => ({ line: line.text, where: ` in the drop-in ${dropIn.path}:${line.line}` })),
  );
  const found = [...inDropIns, ...inFile.map((line) => ({ line: line.text, where: ` at ${file}:${line.line}` }))];
  const own = (item: { readonly where: string }) => item.where.startsWith(' at ');
  const replaced = place?.packaged ? found.find((item) => !own(item)) : found[0];
  const steps = found
    .filter((item) => item !== replaced)
    .map((item) => (own(item) ? `remove its ${item.line}${item.where}` : `remove ${item.line}${item.where}`));
  if (replaced !== undefined) steps.push(`replace ${own(replaced) ? 'its ' : ''}${replaced.line}${replaced.where} with the line`);
  else if (place?.packaged) steps.push(`put the line under a [Service] line in the drop-in ${place.dropIn}`);
  else steps.push('add it there');
  return steps.length === 1 ? steps[0]! : `${steps.slice(0, -1).join(', ')}, and ${steps.at(-1)}`;
}

/** The first error for which systemd refuses a unit file's text, if any. */
export function unitFileRefusal(text: string): UnitFileError | undefined {
  const errors: UnitFileError[] = [];
  parseUnitFile(text, errors);
  return errors[0];
}

/**
 * Does the unit file's [Service] section hold `line` (`ExecStartPre=...`), read
 * as systemd reads it: the same commands, prefixes and words, however quoted
 * or spaced (`"/opt/my dir/claim-port"` and `/opt/my\sdir/claim-port` alike,
 * and two spaces inside quotes never the same as one).
 */
export function hasExecStartPre(text: string, line: string): boolean {
  const want = execShape(parseExec(line.slice(line.indexOf('=') + 1)));
  return (
    want !== undefined &&
    parseUnitFile(text).some(
      (assignment) => assignment.section === 'Service' && assignment.key === 'ExecStartPre' && execShape(parseExec(assignment.value)) === want,
    )
  );
}

/**
 * A parsed Exec line as one comparable string: each command's prefixes (in any order), executable and words, its
 * arguments read as claim-port reads them (`--registry=PATH` as `--registry PATH`: claimArgsAlike); undefined when
 * systemd refuses it.
 */
function execShape(parsed: ParsedExec): string | undefined {
  if (parsed.error !== undefined) return undefined;
  return JSON.stringify(
    parsed.commands.map((command) => [[...command.prefixes].sort().join(''), command.path, command.words.slice(0, 1), claimArgsAlike(command.words.slice(1))]),
  );
}

/**
 * The `Key=value` lines of a unit file's [Service] sections, read by the core
 * systemd model (parseUnitFile: continuations, comments, line ends as systemd
 * 252), white space runs collapsed for comparison.
 */
export function serviceSectionLines(text: string): string[] {
  return parseUnitFile(text)
    .filter((assignment) => assignment.section === 'Service')
    .map((assignment) => `${assignment.key}=${assignment.value}`.replace(/\s+/g, ' '));
}
