// The one verdict on a unit's claim-port wiring, for both `ports systemd
// --check` and the health check's systemd check: given the effective unit
// (mergeUnit) and the port the service uses, does an ExecStartPre= line run
// claim-port on that port, with the privileges to free it? Pure: facts in,
// findings with severities out; each tool prints them its own way.
import { claimsAndUnreadWrappers, claimTarget, DROP_IN_NAME, execLinesArgument, isClaimDropIn, isClaimPort, lineAsWritten, where } from './claim-line.js';
import { idFirst, inPlaceFix, inPlaceReason, sameNameWinner } from './same-name-drop-in.js';
import { templateOf } from './search-path.js';
import { reloadStep } from './reload.js';
import { DEFAULT_UNIT_DIR } from '../render/systemd.js';
import type { DanglingAlias, EnvironmentSetting, ExecLine, IgnoredLink, SkippedDropIn, UnitFacts, UnreadPart, WorkingDirectorySetting } from './types.js';
import { pathInWorkingDirectory } from './working-directory.js';
import { type ClaimRoot, claimRootText, pathOutsideRoot } from './root-directory.js';
import { escapeText } from '../escape.js';
import { REGISTRY_ENV } from '../load.js';
import { describeArgument, listProblem, objectArgument, portArgument, stringArgument, stringListArgument } from '../arguments.js';
import { DIRECTORY_DROP_IN, isUnreadPart, SOCKET_DROP_IN } from './effective.js';
import { claimPortArgument, parseClaimArgs } from './claim-args.js';
import { extractWord, parseExec, SYSTEMD_WHITESPACE, simplifyPath } from './words.js';

/** `unknown`: the line may claim the port, through a wrapper that is not read (`sudo claim-port 8000`). */
export type ClaimSeverity = 'ok' | 'warning' | 'error' | 'unknown';

export interface ClaimFinding {
  readonly severity: ClaimSeverity;
  readonly reason: string;
  /** `file:line` of the line the finding is about, when there is one. */
  readonly where?: string;
}

export interface ClaimExpectation {
  /** The registry id of the service that owns the port. */
  readonly serviceId: string;
  /** The port the service uses (its Environment= override applied), and its transport. */
  readonly port: number;
  readonly transport: 'tcp' | 'udp';
  /** Executables that are claim-port besides those named claim-port. */
  readonly claimPortPaths: readonly string[];
  /**
   * The port a service-id argument stands for, with the unit's Environment= (`claim-port api`), in the registry
   * the claim line `line` reads (its --registry, the unit's $DSA110_PORTS_FILE, else the bundled one).
   */
  readonly resolveId: (id: string, env: Readonly<Record<string, string>>, line: ExecLine) => { port: number; transport: 'tcp' | 'udp' } | { problem: string };
  /** Said after the port when the unit's Environment= moved it, e.g. ` (APP_PORT=8010 from file:2)`. */
  readonly moved?: string;
  /**
   * The command that writes the claim wiring, named when a unit has none, as the
   * shell reads it (`ports --registry /srv/ports.yaml systemd --root /srv/img`:
   * the registry and tree the caller read); default `ports systemd`.
   */
  readonly regenerate?: string;
  /**
   * How the registry wires the unit's claim (ClaimWiring's `claim`: a claim drop-in written to
   * /etc/systemd/system/UNIT.d/claim-port.conf, or a line in the unit file), and `unitDir`, /etc/systemd/system as
   * this machine shows it (ROOT/etc/systemd/system). A claim-port.conf elsewhere is then not taken for the
   * registry's: systemd may read it in place of the registry's (sameNameWinner), so that writing that one again
   * changes nothing. Left out: any claim-port.conf is taken for the registry's.
   */
  readonly wiring?: { readonly claim: 'unit' | 'drop-in'; readonly unitDir: string };
  /**
   * The tree the units were read from (`--root`), when not this host's: a fix then ends as `ports systemd --root`
   * says (reloadStep: systemd reads the change when that system boots), not with the host's `systemctl daemon-reload`.
   */
  readonly root?: string;
}

/**
 * Who claim-port runs as, and so whether it can free a port another user
 * holds. `+` (full privileges) and `!` (User= not applied) run it as root.
 * Without them it runs as the unit's User=: with User= (not root) or
 * DynamicUser=yes it cannot signal other users' processes, an error; with no
 * User= the service runs as root, so it works today, but only until someone
 * sets User=: a warning. The advice is the line to write: `line.value` with
 * `+` on the claim-port command alone (systemd takes prefixes per command of
 * a `;` chain), its other prefixes kept (`!` and `!!` dropped: systemd
 * refuses them beside `+`), every other command as written. Which command of
 * the chain `line` is: the first whose prefixes (and words, when `line` is a
 * whole ExecLine) are `line`'s, one named claim-port first (judgeClaims knows
 * it exactly).
 */
export function privilegeFinding(line: Pick<ExecLine, 'prefixes' | 'value'>, unit: Pick<UnitFacts, 'user' | 'dynamicUser'>): ClaimFinding | undefined {
  return privilegeFindingAt(line, unit, undefined);
}

/** privilegeFinding for the `command`th command (0 the first) of the line's `;` chain, when that is known. */
function privilegeFindingAt(
  line: Pick<ExecLine, 'prefixes' | 'value'>,
  unit: Pick<UnitFacts, 'user' | 'dynamicUser'>,
  command: number | undefined,
): ClaimFinding | undefined {
  objectArgument('privilegeFinding', 'line', line, 'an ExecLine');
  objectArgument('privilegeFinding', 'unit', unit, 'UnitFacts');
  stringArgument('privilegeFinding', 'line.prefixes', line.prefixes, 'the Exec prefixes (a string, from parseExec)');
  stringArgument('privilegeFinding', 'line.value', line.value, 'the Exec line as written (a string)');
  if (unit.user !== undefined) objectArgument('privilegeFinding', 'unit.user', unit.user, '{ value, file, line }, or left out');
  const prefixes = line.prefixes;
  if (prefixes.includes('+') || (prefixes.includes('!') && !prefixes.includes('!!'))) return undefined;
  const fixed = privilegedLine(line, command);
  const user = unit.user && unit.user.value !== 'root' && unit.user.value !== '0' ? unit.user : undefined;
  if (unit.dynamicUser || user) {
    const who = user ? `User=${user.value} (${where(user)})` : 'DynamicUser=yes';
    return {
      severity: 'error',
      reason: `lacks the + prefix, so claim-port runs as ${who} and cannot signal another user's process holding the port; ${fixed}`,
    };
  }
  return {
    severity: 'warning',
    reason: `lacks the + prefix: it runs as root only because the unit sets no User=, and loses that the day one is set; ${fixed}`,
  };
}

/**
 * The advice of privilegeFinding: `write ExecStartPre=...`, the line with `+` on the claim-port command, checked by
 * reading it back as systemd does (the same commands, that one with `+`); else where to put the `+`, in words.
 */
function privilegedLine(line: Pick<ExecLine, 'prefixes' | 'value'>, command: number | undefined): string {
  const { value, prefixes } = line;
  const before = parseExec(value);
  // The line's words, when it is a whole ExecLine: they tell apart commands of the chain with the same prefixes.
  const given = (line as Partial<ExecLine>).words;
  const own = Array.isArray(given) && given.every((word) => typeof word === 'string') ? given : undefined;
  const same = (words: readonly string[]) => own === undefined || (words.length === own.length && words.every((word, at) => word === own[at]));
  const mine = before.commands.map((each, at) => ({ each, at })).filter(({ each }) => each.prefixes === prefixes);
  const index =
    command ?? (mine.find(({ each }) => same(each.words) && isClaimPort(each.path, [])) ?? mine.find(({ each }) => same(each.words)) ?? mine[0])?.at;
  const start = index === undefined ? undefined : commandStarts(value)[index];
  // `+` with every prefix written but `!` and `!!`, which systemd refuses beside it.
  const wanted = `+${prefixes.replaceAll('!', '')}`;
  let fixed: string | undefined;
  if (start !== undefined) {
    const quoted = value[start] === '"' || value[start] === "'";
    if (value.startsWith(prefixes, start)) fixed = `${value.slice(0, start)}${wanted}${value.slice(start + prefixes.length)}`;
    else if (quoted && value.startsWith(prefixes, start + 1)) fixed = `${value.slice(0, start + 1)}${wanted}${value.slice(start + 1 + prefixes.length)}`;
    // Prefixes written some other way (`\x2d`): a `+` before the word (quotes may start inside a word) adds to them.
    else if (!prefixes.includes('!')) fixed = `${value.slice(0, start)}+${value.slice(start)}`;
  }
  if (fixed !== undefined && index !== undefined) {
    const after = parseExec(fixed);
    const sorted = (text: string) => [...text].sort().join('');
    const kept =
      (after.error === undefined) === (before.error === undefined) &&
      after.commands.length === before.commands.length &&
      after.commands.every((each, at) => {
        const was = before.commands[at]!;
        const words = each.path === was.path && each.words.length === was.words.length && each.words.every((word, n) => word === was.words[n]);
        return words && (at === index ? sorted(each.prefixes) === sorted(wanted) : each.prefixes === was.prefixes);
      });
    // systemd drops the white space around a value: the line is shown as it reads it.
    if (kept) return `write ExecStartPre=${fixed.replace(/^[ \t\n\r]+/, '')}`;
  }
  const count = before.commands.length;
  const which = count > 1 && index !== undefined ? ` (command ${index + 1} of the ${count} this line chains with ;)` : '';
  return `put + at the start of the claim-port command${which}, beside its other prefixes (not ! or !!, which systemd refuses with +)`;
}

/**
 * Where each command of an Exec*= value starts (its first word, prefixes and all, as written), one for each command
 * parseExec reads from it, in order: a bare `;` word separates them (systemd.service(5), "Command lines").
 */
function commandStarts(value: string): number[] {
  const starts: number[] = [];
  let at: number | undefined = 0;
  while (at !== undefined) {
    while (at < value.length && SYSTEMD_WHITESPACE.includes(value[at]!)) at++;
    const first = extractWord(value, at);
    if ('end' in first || 'error' in first) break;
    if (first.word !== ';') starts.push(at);
    at = first.next;
    if (first.word === ';') continue;
    // The rest of the command, up to a bare `;` (followed by white space or the end; `\;` so placed is an argument).
    while (at !== undefined) {
      if (value[at] === ';' && (at + 1 >= value.length || SYSTEMD_WHITESPACE.includes(value[at + 1]!))) {
        at += 1;
        break;
      }
      const word = extractWord(value, at);
      if ('end' in word || 'error' in word) return starts;
      at = word.next;
    }
  }
  return starts;
}

/**
 * The rest of judgeClaims' `expected`, each with a type check: a missing resolveId failed inside ("expected.resolveId
 * is not a function"), and missing claimPortPaths was refused in claimLines' name.
 */
function expectationFields(expected: ClaimExpectation): void {
  const { serviceId, claimPortPaths, resolveId, moved, regenerate, wiring } = expected as Partial<Record<keyof ClaimExpectation, unknown>>;
  if (typeof serviceId !== 'string') throw new TypeError(`judgeClaims: expected.serviceId must be a service id (a string), not ${describeArgument(serviceId)}`);
  stringListArgument('judgeClaims', 'expected.claimPortPaths', claimPortPaths);
  if (typeof resolveId !== 'function')
    throw new TypeError(
      `judgeClaims: expected.resolveId must be a function (id, env, line) resolving a service id to its port, not ${describeArgument(resolveId)}`,
    );
  if (moved !== undefined && typeof moved !== 'string')
    throw new TypeError(`judgeClaims: expected.moved must be a string or left out, not ${describeArgument(moved)}`);
  if (regenerate !== undefined && typeof regenerate !== 'string')
    throw new TypeError(`judgeClaims: expected.regenerate must be a command (a string) or left out, not ${describeArgument(regenerate)}`);
  if (wiring !== undefined) {
    objectArgument('judgeClaims', 'expected.wiring', wiring, "{ claim, unitDir }: how the registry wires the unit's claim");
    const { claim, unitDir } = wiring as { claim?: unknown; unitDir?: unknown };
    if (claim !== 'unit' && claim !== 'drop-in')
      throw new TypeError(`judgeClaims: expected.wiring.claim must be "unit" or "drop-in", not ${describeArgument(claim)}`);
    stringArgument('judgeClaims', 'expected.wiring.unitDir', unitDir, 'a directory (a string): /etc/systemd/system as this machine shows it');
  }
}

/** The fields of `unit` judgeClaims reads, each with a type check (`environment: {}` failed inside: "unit.environment is not iterable"). */
function unitFieldsJudged(unit: UnitFacts): void {
  const { unit: name, file, dropIns, maskedDropIns, environment, execStartPre, execStartPreCleared } = unit as Partial<Record<keyof UnitFacts, unknown>>;
  if (typeof name !== 'string') throw new TypeError(`judgeClaims: unit.unit must be a unit name (a string), not ${describeArgument(name)}`);
  if (file !== undefined && typeof file !== 'string')
    throw new TypeError(`judgeClaims: unit.file must be a path (a string) or left out, not ${describeArgument(file)}`);
  stringListArgument('judgeClaims', 'unit.dropIns', dropIns);
  if (maskedDropIns !== undefined) stringListArgument('judgeClaims', 'unit.maskedDropIns', maskedDropIns);
  if (!(environment instanceof Map))
    throw new TypeError(`judgeClaims: unit.environment must be a Map of variable name to setting, from mergeUnit, not ${describeArgument(environment)}`);
  execLinesArgument('judgeClaims', 'unit.execStartPre', execStartPre);
  if (execStartPreCleared !== undefined) objectArgument('judgeClaims', 'unit.execStartPreCleared', execStartPreCleared as object, '{ file, line }');
}

/** Every finding on `unit`'s claim wiring, in order: none when the unit is fine is never the case (an ok finding per good line). */
export function judgeClaims(unit: UnitFacts, expected: ClaimExpectation): ClaimFinding[] {
  objectArgument('judgeClaims', 'unit', unit, 'UnitFacts, from mergeUnit');
  objectArgument('judgeClaims', 'expected', expected, '{ port, transport?, ... }: a ClaimExpectation');
  const findings: ClaimFinding[] = [];
  portArgument('judgeClaims', expected.port, 'expected.port');
  if (expected.transport !== undefined && expected.transport !== 'tcp' && expected.transport !== 'udp')
    throw new TypeError(`judgeClaims: expected.transport must be "tcp" or "udp" (or left out: "tcp"), not ${describeArgument(expected.transport)}`);
  expectationFields(expected);
  unitFieldsJudged(unit);
  const own = claimPortArgument(expected.port, expected.transport);
  const { claims, unread: wrapped } = claimsAndUnreadWrappers(unit.execStartPre, expected.claimPortPaths);
  if (claims.length === 0) {
    const cleared = unit.execStartPreCleared;
    const maskedClaim = unit.maskedDropIns?.find((path) => path.endsWith(`/${unit.unit}.d/${DROP_IN_NAME}`));
    if (wrapped.length > 0) {
      // Not "nothing frees the port": the line may well free it, through a program whose arguments are not read here.
      for (const { line, wrapper } of wrapped) {
        findings.push({
          severity: 'unknown',
          where: where(line),
          reason: `ExecStartPre=${line.value.slice(0, 200)} in ${where(line)} runs claim-port through ${escapeText(wrapper)}, which this check does not read, so whether it frees port ${own} before ${unit.unit} starts is not known; write the claim line directly, as \`${expected.regenerate ?? 'ports systemd'}\` writes it`,
        });
      }
    } else if (cleared) {
      findings.push({
        severity: 'error',
        where: where(cleared),
        reason: `the empty ExecStartPre= in ${where(cleared)} clears every earlier ExecStartPre= of ${unit.unit}, the claim-port line included, so nothing frees port ${own} before it starts; remove that line or add the claim after it`,
      });
    } else if (maskedClaim !== undefined) {
      // Running the command would change nothing: the write never replaces a link (nor should it undo a mask).
      findings.push({
        severity: 'error',
        where: maskedClaim,
        reason: `no ExecStartPre= in ${unit.unit} calls claim-port, so nothing frees port ${own} before it starts: its claim drop-in ${maskedClaim} is masked (a link to /dev/null, or empty), so systemd reads nothing from it; remove ${maskedClaim}, then run \`${expected.regenerate ?? 'ports systemd'}\``,
      });
    } else {
      const read = [unit.file, ...unit.dropIns].filter(Boolean).join(', ');
      findings.push({
        severity: 'error',
        ...(unit.file && { where: unit.file }),
        reason: `no ExecStartPre= in ${unit.unit} calls claim-port, so nothing frees port ${own} before it starts (read ${read}); run \`${expected.regenerate ?? 'ports systemd'}\` and install its output`,
      });
    }
    return findings;
  }
  const env = Object.fromEntries([...unit.environment].map(([name, setting]) => [name, setting.value]));
  for (const line of claims) {
    const at = where(line);
    const shown = `ExecStartPre=${line.value.slice(0, 200)}`;
    const target = claimTarget(line.argv);
    const claimed =
      'id' in target ? expected.resolveId(target.id, env, line) : 'problem' in target ? target : { port: target.port, transport: target.transport ?? 'tcp' };
    if ('problem' in claimed) {
      findings.push({ severity: 'error', where: at, reason: `${shown} in ${at}: ${claimed.problem}` });
    } else if (claimed.port !== expected.port || claimed.transport !== expected.transport) {
      findings.push({
        severity: 'error',
        where: at,
        reason: `${shown} in ${at} claims port ${claimPortArgument(claimed.port, claimed.transport)}, but ${expected.serviceId} uses port ${own}${expected.moved ?? ''}; it would free the wrong port; ${wrongPortFix(line, unit, own, expected)}`,
      });
    } else {
      // Which command of its line's `;` chain it is: the ExecLines of one line are consecutive, in order.
      const chain = unit.execStartPre.filter((each) => each.file === line.file && each.line === line.line && each.value === line.value);
      const command = chain.indexOf(lineAsWritten(line));
      const privilege = privilegeFindingAt(line, unit, command < 0 ? undefined : command);
      const shared = privilege ? undefined : sharedFile(unit, line);
      if (privilege) findings.push({ ...privilege, where: at, reason: `${shown} in ${at} ${privilege.reason}` });
      else if (shared) {
        findings.push({
          severity: 'warning',
          where: at,
          reason: `${shown} in ${at} claims port ${own} for ${unit.unit}, but ${shared}, so starting any of them runs this claim-port too and frees port ${own} from ${expected.serviceId}; put the claim in ${unit.unit}.d/ (\`systemd.claim: drop-in\` writes ${unit.unit}.d/claim-port.conf), or make the port follow the unit (%i, or a $VARIABLE each unit sets)`,
        });
      } else findings.push({ severity: 'ok', where: at, reason: `${shown} from ${at} claims port ${expected.port}${expected.moved ?? ''}` });
    }
  }
  return findings;
}

/**
 * Whether `unit` certainly has no unit file: none was read, and no part that
 * could not be read may be one (a unit file, or a unit directory not listed;
 * a drop-in, or a drop-in directory `NAME.d` not listed, never is). systemd
 * loads no service from drop-ins alone (service_load() requires the unit
 * file), so such a unit is not found, whatever its drop-ins hold: the claim
 * drop-in `ports systemd` writes claims nothing until the unit is installed.
 * Both tools ask this: the health check's "not found", `ports systemd
 * --check`'s problem.
 */
export function unitFileMissing(unit: Pick<UnitFacts, 'file' | 'unread'>): boolean {
  objectArgument('unitFileMissing', 'unit', unit, 'UnitFacts, from mergeUnit');
  if (unit.file !== undefined) return false;
  return !(unit.unread ?? []).some((part) => part.kind === 'file' || (part.kind === 'listing' && !part.path.endsWith('.d')));
}

/**
 * Why systemd cannot load a unit whose unit file it cannot open (an UnreadPart
 * that is `broken`: a link to nothing, a loop of links), and what to do, in
 * words for both tools. Its path is shown with `root` before it (the file on
 * this machine); the reason says where the link leads, under that root.
 */
export function brokenUnitFileProblem(part: Pick<UnreadPart, 'path' | 'reason'>, root: string): string {
  objectArgument('brokenUnitFileProblem', 'part', part, 'an UnreadPart, from loadUnit');
  stringArgument('brokenUnitFileProblem', 'root', root, 'a directory (a string)');
  stringArgument('brokenUnitFileProblem', 'part.path', part.path, 'a path (a string)');
  stringArgument('brokenUnitFileProblem', 'part.reason', part.reason, 'a reason (a string)');
  const file = escapeText(`${root === '/' ? '' : root.replace(/\/+$/, '')}${part.path}`);
  return `its unit file ${file} cannot be opened: ${part.reason}; systemd takes it as the unit's file all the same, never a copy lower in the search path, so the unit cannot start; fix the link or remove it`;
}

/**
 * Why systemd loads no unit `unit` whose name is an alias of a unit with no unit file (UnitFacts' `danglingAlias`),
 * and what to do, in words for both tools: the link under `root` (the host path of it), what it points to, the unit
 * it names, and the file of the unit's own name lower down that the alias hides, when there is one.
 */
export function danglingAliasProblem(alias: DanglingAlias, unit: string, root: string): string {
  objectArgument('danglingAliasProblem', 'alias', alias, 'a DanglingAlias, from loadUnit');
  stringArgument('danglingAliasProblem', 'unit', unit, 'a unit name (a string)');
  stringArgument('danglingAliasProblem', 'root', root, 'a directory (a string)');
  for (const field of ['path', 'link', 'target'] as const) stringArgument('danglingAliasProblem', `alias.${field}`, alias[field], 'a string');
  if (alias.hides !== undefined) stringArgument('danglingAliasProblem', 'alias.hides', alias.hides, 'a path (a string) or left out');
  const under = (path: string) => escapeText(`${root === '/' ? '' : root.replace(/\/+$/, '')}${path}`);
  const target = escapeText(alias.target);
  const hides = alias.hides === undefined ? '' : `, not even ${under(alias.hides)}, which the link hides`;
  return `${under(alias.path)} is an alias of ${target} (a link to ${escapeText(alias.link)}), and no unit directory has a unit file of ${target}, so systemd loads no unit ${escapeText(unit)}${hides}; remove the link, or install ${target}`;
}

/**
 * What a link systemd ignores (UnitFacts' `ignoredLinks`) does to `unit`, and what to do, in words for both tools:
 * the link under `root`, why systemd ignores it, and the unit file it loads instead (`file`, under the root), or that
 * it finds none.
 */
export function ignoredLinkProblem(link: IgnoredLink, unit: string, file: string | undefined, root: string): string {
  objectArgument('ignoredLinkProblem', 'link', link, 'an IgnoredLink, from loadUnit');
  stringArgument('ignoredLinkProblem', 'unit', unit, 'a unit name (a string)');
  stringArgument('ignoredLinkProblem', 'root', root, 'a directory (a string)');
  if (file !== undefined) stringArgument('ignoredLinkProblem', 'file', file, 'a path (a string) or undefined');
  for (const field of ['path', 'link', 'reason'] as const) stringArgument('ignoredLinkProblem', `link.${field}`, link[field], 'a string');
  const under = (path: string) => escapeText(`${root === '/' ? '' : root.replace(/\/+$/, '')}${path}`);
  const instead = file === undefined ? 'finds no other file of its name' : `loads ${escapeText(unit)} from ${under(file)} instead`;
  return `systemd ignores ${under(link.path)} (a link to ${escapeText(link.link)}): ${link.reason}, so it is no alias of another unit, and systemd never reads its target; it ${instead}; put the unit file itself in its place, or remove the link`;
}

/**
 * What a drop-in systemd skips (UnitFacts' `skippedDropIns`: a link to nothing,
 * a loop of links) does to `unit`, and what to do, in words for both tools:
 * the file under `root` (the host path of it), why it cannot be opened, that
 * systemd skips it in silence and loads the unit without its settings (and
 * without the drop-in of its name lower down, which it hides), and to fix or
 * remove the link. A warning in both: the unit loads, and what it lacks is
 * judged on its own (a claim that was in it is missing).
 */
export function skippedDropInProblem(part: Pick<SkippedDropIn, 'path' | 'reason' | 'hides'>, unit: string, root: string): string {
  objectArgument('skippedDropInProblem', 'part', part, 'a SkippedDropIn, from loadUnit');
  stringArgument('skippedDropInProblem', 'unit', unit, 'a unit name (a string)');
  stringArgument('skippedDropInProblem', 'root', root, 'a directory (a string)');
  stringArgument('skippedDropInProblem', 'part.path', part.path, 'a path (a string)');
  stringArgument('skippedDropInProblem', 'part.reason', part.reason, 'a reason (a string)');
  if (part.hides !== undefined) stringArgument('skippedDropInProblem', 'part.hides', part.hides, 'a path (a string) or left out');
  const under = (path: string) => escapeText(`${root === '/' ? '' : root.replace(/\/+$/, '')}${path}`);
  const hides = part.hides === undefined ? '' : ` (nor ${under(part.hides)}, the drop-in of its name lower in the search path, which it hides)`;
  // A socket is no link to fix (systemd passes over it in silence too: unit_load_dropin gives config_parse no flags).
  // Nor is a directory, which systemd opens and reads nothing from.
  const directory = part.reason === DIRECTORY_DROP_IN.reason;
  const fix = part.reason === SOCKET_DROP_IN ? 'remove it' : directory ? DIRECTORY_DROP_IN.fix : 'fix the link or remove it';
  // A drop-in directory (`foo.service.d`, a loop of links): no drop-in in it is read.
  if (!part.path.endsWith('.conf'))
    return `its drop-in directory ${under(part.path)} cannot be opened: ${part.reason}; systemd reads no drop-in from it, without a word, and loads ${escapeText(unit)} all the same; ${fix}`;
  return `its drop-in ${under(part.path)} ${directory ? 'is not a file' : 'cannot be opened'}: ${part.reason}; systemd skips it without a word and loads ${escapeText(unit)} without its settings${hides}; ${fix}`;
}

/**
 * The parts of `unit` that could not be read (loadUnit's `unread`) and may
 * hold an ExecStartPre= line that survives the merge: when what was read has
 * no claim line, whether the unit claims its port cannot be told while any is
 * left (both tools say so: the health check's unknown, `ports systemd
 * --check`'s "cannot tell"), and judgeClaims' error would be a guess. Only
 * what comes after the last empty ExecStartPre= can (unreadAfterClearing).
 */
export function unreadMayHoldClaim(unit: Pick<UnitFacts, 'file' | 'execStartPreCleared' | 'unread'>): UnreadPart[] {
  objectArgument('unreadMayHoldClaim', 'unit', unit, 'UnitFacts, from mergeUnit');
  return unreadAfterClearing('unreadMayHoldClaim', unit, 'execStartPreCleared');
}

/**
 * The parts of `unit` that could not be read (loadUnit's `unread`) and may
 * hold an ExecStart= line that survives the merge, so may change the command
 * the service runs: only what comes after the last empty ExecStart= can
 * (unreadAfterClearing). A part before it may still set what the command
 * runs with (Environment=, EnvironmentFile=, WorkingDirectory=).
 */
export function unreadMaySetExecStart(unit: Pick<UnitFacts, 'file' | 'execStartCleared' | 'unread'>): UnreadPart[] {
  objectArgument('unreadMaySetExecStart', 'unit', unit, 'UnitFacts, from mergeUnit');
  return unreadAfterClearing('unreadMaySetExecStart', unit, 'execStartCleared');
}

/**
 * The parts of `unit` that could not be read (loadUnit's `unread`) and that
 * systemd reads after the file `after` (a path as `unit`'s parts name it,
 * the file of a claim line): any of them may hold an empty ExecStartPre=
 * that clears that line, so whether the line still runs cannot be told while
 * one is left. The order is unreadAfterClearing's (a drop-in whose name
 * sorts before `after`'s cannot), as for the health check's ExecStart=.
 */
export function unreadReadAfter(unit: Pick<UnitFacts, 'file' | 'unread'>, after: string): UnreadPart[] {
  objectArgument('unreadReadAfter', 'unit', unit, 'UnitFacts, from mergeUnit');
  stringArgument('unreadReadAfter', 'after', after, 'a path (a string)');
  return unreadAfterClearing('unreadReadAfter', { file: unit.file, unread: unit.unread, execStartPreCleared: { file: after, line: 0 } }, 'execStartPreCleared');
}

/**
 * The unread parts of `unit` that may hold a line of a command list that
 * survives its last clearing (`key`: where an empty line of it was last):
 * systemd reads the unit file, then the drop-ins by file name (strcmp order
 * of the bytes, whatever their directory). A unit file, or a drop-in whose
 * name sorts before that of the drop-in that clears, is cleared with
 * everything else. Anything else (no clearing line, one in the unit file
 * itself, a directory that could not be listed) may hold one. The one
 * reading of that order, for ExecStartPre= and ExecStart= alike.
 */
function unreadAfterClearing(
  caller: string,
  unit: Pick<UnitFacts, 'file' | 'unread' | 'execStartPreCleared' | 'execStartCleared'>,
  key: 'execStartPreCleared' | 'execStartCleared',
): UnreadPart[] {
  const cleared = unit[key];
  // Each read below: a wrong one failed inside ("(unit.unread ?? []).filter is not a function", "cleared.file.slice").
  const unread: unknown = unit.unread;
  const problem =
    unread === undefined
      ? undefined
      : listProblem(
          'unit.unread',
          unread,
          'an array of { kind, path, name?, reason }, or left out',
          '{ kind: "file", "drop-in" or "listing", path, name?: bytes, reason }',
          isUnreadPart,
        );
  if (problem !== undefined) throw new TypeError(`${caller}: ${problem}`);
  if (cleared !== undefined && (typeof cleared !== 'object' || cleared === null || typeof (cleared as { file?: unknown }).file !== 'string'))
    throw new TypeError(`${caller}: unit.${key} must be { file, line } or left out, not ${describeArgument(cleared)}`);
  if (unit.file !== undefined && typeof unit.file !== 'string')
    throw new TypeError(`${caller}: unit.file must be a path (a string) or left out, not ${describeArgument(unit.file)}`);
  return (unit.unread ?? []).filter((part) => {
    if (!cleared || cleared.file === unit.file) return true;
    // The clearing line is in a drop-in, and a unit file comes before every drop-in.
    if (part.kind === 'file') return false;
    if (part.kind !== 'drop-in' || part.name === undefined) return true;
    // A drop-in that was read has a UTF-8 name (loadUnit opens no other), so its bytes are its name's.
    const clearing = Buffer.from(cleared.file.slice(cleared.file.lastIndexOf('/') + 1));
    return Buffer.compare(part.name, clearing) >= 0;
  });
}

/**
 * Whether the file that holds a claim line is read by other units too, in
 * words: the template's unit file (every instance reads it), the template's
 * drop-in directory, a dash-prefix one (`dsa110-.service.d/`: every unit
 * whose name starts so) or the type-wide `service.d/`. Not when the line
 * names its port through the unit (a specifier such as %i or %n, or a
 * $VARIABLE): then each unit claims its own.
 */
function sharedFile(unit: Pick<UnitFacts, 'unit' | 'aliases'>, line: Pick<ExecLine, 'file' | 'value'>): string | undefined {
  // %i %I %j %J %n %N %f differ between the units that read the file; %p %P too, but not between instances of one
  // template; %H, %m and the like are the machine's, the same for all.
  const value = line.value.replaceAll('%%', '');
  if (value.includes('$') || /%[iIjJnNf]/.test(value)) return undefined;
  const slash = line.file.lastIndexOf('/');
  const name = line.file.slice(slash + 1);
  const dir = line.file.slice(0, slash);
  const dirName = dir.slice(dir.lastIndexOf('/') + 1);
  // The unit's own drop-in directories are those of each of its names: an alias's `b.service.d/` is read by this unit alone.
  const names = [unit.unit, ...(unit.aliases ?? [])];
  const templates = names.map(templateOf).filter((template): template is string => template !== undefined);
  if (templates.includes(name)) return `${line.file} is the unit file of the template ${name}, which every instance of it reads`;
  if (!dirName.endsWith('.d') || names.some((own) => dirName === `${own}.d`)) return undefined;
  const template = templates.find((each) => dirName === `${each}.d`);
  if (template) return `${dir}/ holds drop-ins of the template ${template}, which every instance of it reads`;
  if (/%[pP]/.test(value)) return undefined;
  if (!dirName.slice(0, -2).includes('.')) return `${dir}/ holds drop-ins every ${dirName.slice(0, -2)} unit reads`;
  const base = dirName.slice(0, -2);
  return `${dir}/ holds drop-ins every unit whose name starts with ${base.slice(0, base.includes('@') ? base.indexOf('@') : base.lastIndexOf('.'))} reads`;
}

/**
 * What to do about a claim line that claimRegistryProblem finds reading a named registry where the bundled one is
 * checked: either side may be the wrong one.
 */
export const BUNDLED_CLAIM_FIX =
  'make it read the bundled registry (remove that --registry or $DSA110_PORTS_FILE setting), or check the registry it reads (--registry PATH)';

/**
 * Why a claim-port command line (`argv`, argv[0] the program) does not read
 * `registryPath`, the registry `ports systemd` and the health check read
 * (undefined: the bundled registry, which a line reads when it names none), or
 * undefined when it does. The
 * line reads its --registry as claim-port's own parser reads it, else the
 * unit's `$DSA110_PORTS_FILE` (`fromEnvironment`: its Environment= or
 * EnvironmentFile= setting; empty is unset, as claim-port reads it), else
 * the bundled registry; a relative path is the one in `workingDirectory`
 * (the unit's WorkingDirectory=, else `/`); paths are compared as paths
 * (`//` and `/./` alike). `differences` (claimRegistryDifferences of the two
 * registries, when both could be loaded) says what differs for this claim;
 * none: that the two agree on all it uses (a warning, not an error, for both tools).
 * `names`, when given (namesRegistry), tells whether a path the line reads on the root itself (not chrooted) is
 * `registryPath` by the file it names: a link to it, or a path through `..`, is the same registry.
 * Arguments claim-port refuses are judged elsewhere (judgeClaims). Pure, but for what `names` looks up.
 */
export function claimRegistryProblem(
  argv: readonly string[],
  registryPath: string | undefined,
  fromEnvironment?: Pick<EnvironmentSetting, 'value' | 'file' | 'line'>,
  workingDirectory?: WorkingDirectorySetting,
  root?: ClaimRoot,
  differences?: readonly string[],
  names?: (path: string) => boolean,
): string | undefined {
  stringListArgument('claimRegistryProblem', 'argv', argv);
  if (differences !== undefined) stringListArgument('claimRegistryProblem', 'differences', differences);
  if (registryPath !== undefined) stringArgument('claimRegistryProblem', 'registryPath', registryPath, 'a path (a string) or undefined');
  if (fromEnvironment !== undefined) {
    objectArgument('claimRegistryProblem', 'fromEnvironment', fromEnvironment, "{ value, file, line }: the unit's $DSA110_PORTS_FILE setting");
  }
  if (workingDirectory !== undefined)
    objectArgument('claimRegistryProblem', 'workingDirectory', workingDirectory, "the unit's WorkingDirectory= setting, from mergeUnit");
  if (root !== undefined) objectArgument('claimRegistryProblem', 'root', root, 'where the line runs, from claimRoot');
  if (names !== undefined && typeof names !== 'function')
    throw new TypeError(`claimRegistryProblem: names must be a function (path) => boolean (namesRegistry) or undefined, not ${describeArgument(names)}`);
  // Inside RootImage= (or a RootDirectory= not resolved here): which file it reads is not known (claimRegistryUnresolved says so).
  if (root !== undefined && 'unknown' in root) return undefined;
  const args = parseClaimArgs(argv.slice(1));
  if (args.command !== 'claim') return undefined;
  const fromEnv = args.registry === undefined && fromEnvironment !== undefined && fromEnvironment.value !== '' ? fromEnvironment : undefined;
  const named = args.registry ?? fromEnv?.value;
  // The bundled registry is checked: a line that reads it names none (the write gives no --registry then).
  if (registryPath === undefined && named === undefined) return undefined;
  // A relative path is read from the unit's working directory (WorkingDirectory=, else /).
  const found = named === undefined ? undefined : pathInWorkingDirectory(named, workingDirectory);
  const inside = found !== undefined && 'path' in found ? found.path : undefined;
  // Chrooted (RootDirectory=, which `+` does not lift): the file is under that directory.
  const path = inside === undefined || root === undefined ? inside : pathOutsideRoot(inside, root);
  if (path !== undefined && registryPath !== undefined) {
    // On the root itself, the file the path names (names); chrooted, links lead elsewhere inside, so the path as written.
    const byFile = names !== undefined && (root === undefined || 'host' in root);
    if (byFile ? names(path) : simplifyPath(path) === simplifyPath(registryPath)) return undefined;
  }
  const chrooted = root === undefined ? '' : claimRootText(root);
  const setting = workingDirectory === undefined ? '' : `WorkingDirectory=${escapeText(workingDirectory.value, 200)} (${where(workingDirectory)})`;
  const inDirectory =
    named === undefined || named.startsWith('/')
      ? ''
      : path === undefined
        ? ` (in ${setting}, which this check cannot resolve)`
        : ` (${escapeText(inside!)}: ${workingDirectory === undefined ? 'its unit sets no WorkingDirectory=, so claim-port runs in /' : `in ${setting}`})`;
  const outside = chrooted === '' || path === undefined ? '' : `${chrooted}, so ${escapeText(path)}`;
  const reads =
    args.registry !== undefined
      ? `reads --registry ${escapeText(args.registry)}${inDirectory}${outside}`
      : fromEnv !== undefined
        ? `names no --registry, so claim-port reads $${REGISTRY_ENV}=${escapeText(fromEnv.value)} (${where(fromEnv)})${inDirectory}${outside}`
        : `names no --registry and its unit sets no $${REGISTRY_ENV}, so claim-port reads its bundled registry${chrooted === '' ? '' : ` (the one of the claim-port${chrooted})`}`;
  const checked = registryPath === undefined ? 'the bundled registry' : escapeText(registryPath);
  if (differences === undefined) return `${reads}, not ${checked}, the registry checked here: its protected processes and claim timeout would not apply`;
  if (differences.length > 0)
    return `${reads}, not ${checked}, the registry checked here, and the two differ in what this claim uses: ${differences.join('; ')}`;
  return `${reads}, not ${checked}, the registry checked here; the two agree on all this claim uses (the claim: policy, and the services' ports, port variables and units), so it frees the port as it would with ${checked}, but a later change there would not reach it`;
}

/**
 * Pure: what mends a claim line of the wrong port: the claim drop-in `ports systemd` writes (NAME.d/claim-port.conf
 * in /etc/systemd/system, as a registry's port moved and the drop-in was not written again) is written again by
 * `regenerate`; a line of the operator's (a unit file, a drop-in of their own) is theirs to change, to the line that
 * command prints. A claim-port.conf elsewhere (a package's, an alias's): claimDropInFix's.
 */
function wrongPortFix(line: ExecLine, unit: Pick<UnitFacts, 'unit' | 'aliases' | 'file'>, own: string, expected: ClaimExpectation): string {
  const command = expected.regenerate ?? 'ports systemd';
  const reload = reloadStep(expected.root);
  const byHand = `make the line claim port ${own} (\`${command}\` prints it)${reload}`;
  const wiring = expected.wiring;
  if (!isClaimDropIn(line.file)) return byHand;
  if (wiring === undefined) return `run \`${command}\`, which writes its claim of port ${own} there${reload}`;
  // A claim in the unit file: the write leaves a claim-port.conf alone, and --check calls it a second claim to remove.
  if (wiring.claim === 'unit')
    return `remove this drop-in: the registry wires ${escapeText(unit.unit)}'s claim in the unit file (systemd.claim: unit), so with this drop-in it would claim twice; \`${command}\` prints the unit file's line`;
  return claimDropInFix(line, unit, {
    claim: `claim of port ${own}`,
    regenerate: command,
    wiring,
    ...(expected.root !== undefined && { root: expected.root }),
  })!;
}

/**
 * Pure: which file to change for a claim line `line` of `unit` (merged) in a claim-port.conf, and how, when the
 * registry wires the unit's claim in a drop-in (`wiring.claim`), as `ports systemd --check` advises: the registry's
 * own (`wiring.unitDir`/NAME.d/claim-port.conf) is written again by `regenerate`, with `claim` (`claim of port 6379`,
 * `claim with --registry /etc/dsa110/ports.yaml`); another one of that name that systemd reads in place of it
 * (sameNameWinner: in /etc/systemd/system.control, an earlier name's directory) is removed, as inPlaceFix says; any
 * other (a package's, in /usr/lib or /lib, which an upgrade overwrites) is left as it is: the write puts the registry's
 * in /etc/systemd/system, which systemd reads in its place. Undefined for a line in any other file (a unit file, a
 * drop-in of another name: the operator's own to edit), or when the registry wires the claim in the unit file.
 */
export function claimDropInFix(
  line: Pick<ExecLine, 'file'>,
  unit: Pick<UnitFacts, 'unit' | 'aliases' | 'file'>,
  options: {
    readonly claim: string;
    readonly regenerate: string;
    readonly wiring: { readonly claim: 'unit' | 'drop-in'; readonly unitDir: string };
    /** The tree read with --root, when not this host's (ClaimExpectation's `root`). */
    readonly root?: string;
  },
): string | undefined {
  objectArgument('claimDropInFix', 'line', line, 'an ExecLine ({ file, ... })');
  stringArgument('claimDropInFix', 'line.file', line.file, 'a path (a string)');
  objectArgument('claimDropInFix', 'unit', unit, 'a merged unit ({ unit, aliases?, file? }), from mergeUnit');
  stringArgument('claimDropInFix', 'unit.unit', unit.unit, 'a unit name (a string)');
  if (unit.aliases !== undefined) stringListArgument('claimDropInFix', 'unit.aliases', unit.aliases);
  if (unit.file !== undefined) stringArgument('claimDropInFix', 'unit.file', unit.file, 'a path (a string) or left out');
  const { claim, regenerate, wiring, root } = objectArgument('claimDropInFix', 'options', options, '{ claim, regenerate, wiring, root? }');
  if (root !== undefined) stringArgument('claimDropInFix', 'root', root, 'a directory (a string) or left out');
  stringArgument('claimDropInFix', 'claim', claim, 'words for the claim the write puts there (a string)');
  stringArgument('claimDropInFix', 'regenerate', regenerate, 'the command that writes the claims (a string)');
  objectArgument('claimDropInFix', 'wiring', wiring, "{ claim: 'unit' | 'drop-in', unitDir }");
  if (wiring.claim !== 'unit' && wiring.claim !== 'drop-in')
    throw new TypeError(`claimDropInFix: wiring.claim must be 'unit' or 'drop-in', not ${describeArgument(wiring.claim)}`);
  stringArgument('claimDropInFix', 'wiring.unitDir', wiring.unitDir, 'a directory (a string)');
  if (!isClaimDropIn(line.file) || wiring.claim !== 'drop-in') return undefined;
  const entry = { unit: unit.unit, claim: wiring.claim, path: `${unit.unit}.d/${DROP_IN_NAME}` };
  if (simplifyPath(line.file) === `${DEFAULT_UNIT_DIR}/${entry.path}`) return `run \`${regenerate}\`, which writes its ${claim} there${reloadStep(root)}`;
  // Another claim-port.conf: as find-claims gives it, its unit directory and path in it, and the unit's names, id first.
  const file = simplifyPath(line.file);
  const dirAt = file.lastIndexOf('/', file.lastIndexOf('/') - 1);
  const names =
    unit.file === undefined ? [unit.unit, ...(unit.aliases ?? [])] : idFirst(unit.unit, unit.aliases ?? [], unit.file.slice(unit.file.lastIndexOf('/') + 1));
  const found = { path: file.slice(dirAt + 1), dir: file.slice(0, dirAt), unitNames: names };
  const registryDropIn = escapeText(`${wiring.unitDir}/${entry.path}`);
  if (sameNameWinner(found, entry) === 'claim')
    return `this is not the registry's claim drop-in: systemd reads this file in place of ${registryDropIn}, where the registry wires ${escapeText(unit.unit)}'s claim (${inPlaceReason(found, entry)}); ${inPlaceFix(found, entry, wiring.unitDir, regenerate, root)}`;
  return `run \`${regenerate}\`: it writes the ${claim} to ${registryDropIn}, which systemd reads in place of this file (one drop-in of each file name)${reloadStep(root)}`;
}
