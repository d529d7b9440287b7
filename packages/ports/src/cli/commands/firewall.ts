import { dirname } from 'node:path';
import { PortsError } from '../../errors.js';
import { escapeText, oneLine, quoteValue } from '../../escape.js';
import {
  directoryDriftFix,
  directoryProblem,
  exposedDirectories,
  guardedDirectories,
  writeThroughDirectories,
  type ExposedDirectory,
} from '../../files/directories.js';
import { ConcurrentWriteError, FileWriteError, formatBytes, inspectGeneratedFiles, writeGeneratedFiles } from '../../files/index.js';
import { killedWritersTemps } from '../../files/write.js';
import { refuseRegistryOutput } from '../registry-output.js';
import { MAX_GENERATED_FILE_BYTES } from '../../limits.js';
import { portProblem } from '../../port.js';
import { unifiedDiff } from '../../render/diff.js';
import {
  FIREWALL_FORMATS,
  HOST_PORTS,
  firewallPlan,
  hostPortWarnings,
  isFirewallFormat,
  keepOpenWarnings,
  recordedOverrides,
  renderFirewallRules,
  type FirewallEntry,
} from '../../render/firewall.js';
import { printedShellWord } from '../../shell-word.js';
import { closest, didYouMeanText } from '../../suggest.js';
import { defineCommand } from '../command.js';
import { load, type Context } from '../context.js';
import { CommandError, UsageError, type Outcome } from '../exit-code.js';
import { driftWords, killedWritersNote, overrideDriftText, regenerateCommand } from '../regenerate.js';

/** The flags that change what is written, and where: a --check's "run ..." repeats them, as the write they compare with had them. */
const REGENERATE_FLAGS = ['format', 'keep-open', 'out'] as const;

export const command = defineCommand({
  summary: "firewall rules from the services' access levels, for the registry's ports only",
  flags: {
    format: {
      type: 'string',
      value: 'nft|ufw',
      help: [
        'nft: an nft script replacing table inet dsa110_ports (default); load with nft -f, check with nft -c -f',
        'ufw: a script of ufw commands that deletes the rules an earlier run added, then puts the current ones before every other rule; run with | sudo sh',
      ],
    },
    'keep-open': {
      type: 'string',
      multiple: true,
      value: 'PORT',
      needs: 'a port, e.g. --keep-open 2222',
      help: `a port the rules must never touch, beside ${HOST_PORTS.join(' and ')} (an sshd on 2222): left out of reserved ranges, refused as an override's port; repeat for more`,
    },
    out: {
      type: 'string',
      value: 'FILE',
      help: "write the rules to FILE instead of standard output, as `ports systemd` writes a unit: atomically (a rename), never through a symbolic link, its directory made when missing; a file others may write is replaced with this user's, 0644. - (or /dev/stdout) is standard output: the rules printed, as without --out",
    },
    check: {
      type: 'boolean',
      help: 'with --out: write nothing; print a diff and exit 1 when FILE differs from the rules these options and this environment give now',
    },
  },
  utf8Paths: { out: 'the rules are written and read by a UTF-8 name' },
  checkout: true,
  // `--out -` prints the rules, as no --out does (main.ts, standardOutput): `ports firewall --out - | nft -f -`.
  outputs: { out: true },
  notes: [
    'public: from anywhere; private: from 10/8, 172.16/12, 192.168/16, fc00::/7, fe80::/10; localhost and dev: loopback only.',
    `Other ports are left to the host. Inside a reserved range, ${HOST_PORTS.join(' (SSH) and ')} (node_exporter) and every --keep-open port are left out too; an env override onto ${HOST_PORTS.join(' or ')} is refused (as \`ports get\` refuses it), and one onto a --keep-open port unless its service is public. A --keep-open port that a service other than a public one is on keeps that service's rules (a warning says so). No other port is known to be SSH's: an sshd elsewhere inside a range needs --keep-open.`,
    "ufw: stops, changing nothing, when a rule it adds has the port and source of a rule it did not add, or when an allow of the operator's (by port, by application profile as ufw app info reads it, or of every port) lies inside a reserved range it denies or narrows (pass --keep-open PORT); skips the IPv6 allows when ufw's IPv6 is off (IPV6=no).",
    'Incoming traffic only (the input hook): forwarded packets, such as a container port Docker publishes, are not filtered.',
    "Env overrides apply, as for `ports get` (CONTIMG_API_PORT=8500 ports firewall): the moved port gets the service's rules too. An override set only in a unit's Environment= is not seen from a shell: set it here as well.",
    'Drift (CI, or on the host): --check with the registry, --format, --keep-open ports and env overrides of the write, e.g. ports firewall --registry ports.yaml --format nft --out /etc/nftables.d/dsa110-ports.nft --check.',
  ],
  async run(context) {
    const { out, check } = context.values;
    if (out === '') throw new UsageError('ports firewall: --out needs a file');
    // Without a file there is nothing to compare: the rules would only be printed, and the check pass.
    if (check && out === undefined) throw new UsageError('ports firewall: --check needs --out FILE, the file the rules were written to');
    const format = context.values.format ?? 'nft';
    if (!isFirewallFormat(format))
      throw new UsageError(
        `ports firewall: --format must be one of ${FIREWALL_FORMATS.join(', ')}, not ${quoteValue(format)}${didYouMeanText(closest(format, FIREWALL_FORMATS))}`,
      );
    const keepOpen: number[] = [];
    for (const text of context.values['keep-open'] ?? []) {
      const problem = portProblem(text);
      if (problem !== undefined) throw new UsageError(`ports firewall: --keep-open needs a port (1-65535), not ${quoteValue(text)}: ${problem}`);
      keepOpen.push(Number(text));
    }
    const registry = await load(context);
    if (out !== undefined) refuseRegistryOutput('firewall', registry.source, '--out', out, [out], 'the rules');
    let rules: string;
    let plan: FirewallEntry[];
    let warnings: string[];
    try {
      rules = renderFirewallRules(registry, format, { env: context.env, keepOpen });
      plan = firewallPlan(registry, { env: context.env, keepOpen });
      // A kept port (SSH's too) that a service's own rules filter: kept as the registry says, and said (exit 0).
      // --keep-open 22 repeats what the rules keep anyway: its warning would say the host port's again.
      warnings = [
        ...hostPortWarnings(plan),
        ...keepOpenWarnings(
          plan,
          keepOpen.filter((port) => !HOST_PORTS.includes(port)),
        ),
      ];
    } catch (error) {
      // A bad override: the same line as `ports get`'s, named for this command.
      if (error instanceof PortsError) throw new PortsError(error.code, `ports firewall: ${error.message}`);
      throw error;
    }
    const warn = () => {
      for (const warning of warnings) context.io.err(`${oneLine(`warning: ${warning}`)}\n`, 'warn');
    };
    if (out === undefined) {
      context.io.out(rules);
      warn();
      return 'ok';
    }
    const overrides = overridesOf(plan);
    const command = regenerateCommand(context, 'firewall', REGENERATE_FLAGS);
    const file: RulesFile = {
      path: out,
      rules,
      source: escapeText(registry.source),
      regenerate: [...overrides].map(([variable, port]) => `${printedShellWord(`${variable}=${port}`)} `).join('') + command,
      check: `${command} --check`,
      overrides,
      variables: new Set(registry.services.flatMap((service) => (service.env ? [service.env] : []))),
    };
    // Before anything is written or compared: a file past the limit would be written, then refused by every --check.
    const size = Buffer.byteLength(rules);
    if (size > MAX_GENERATED_FILE_BYTES)
      throw new CommandError(
        `ports firewall: cannot ${check ? 'check' : 'write'} ${escapeText(out)}: ${file.source} makes ${size} bytes of rules, over the ${formatBytes(MAX_GENERATED_FILE_BYTES)} this tool reads back; nothing was written`,
      );
    const outcome = check ? checkRules(context, file) : writeRules(context, file);
    warn();
    return outcome;
  },
});

/**
 * The rules for --out FILE: `source` (the registry) escaped; `regenerate` the command that writes them (as a --check
 * says to run it), prefixed with this run's env overrides (a fresh shell, `sudo`, has none of them, and would write
 * other rules); `check` the --check without them; `overrides` this run's, and `variables` the registry's override
 * variables (which of those a file records count).
 */
interface RulesFile {
  readonly path: string;
  readonly rules: string;
  readonly source: string;
  readonly regenerate: string;
  readonly check: string;
  readonly overrides: ReadonlyMap<string, number>;
  readonly variables: ReadonlySet<string>;
}

/** Each env override the rules took a port from: its variable and that port. */
function overridesOf(plan: readonly FirewallEntry[]): Map<string, number> {
  const set = new Map<string, number>();
  for (const entry of plan) if (entry.override !== undefined) set.set(entry.override.variable, entry.start);
  return set;
}

/** Pure: what a writer of `entry`'s directory may do to the rules (directoryProblem's `what`). */
function stake({ dir }: ExposedDirectory): string {
  return dir.holdsFiles
    ? 'replace the rules file, or add one beside it that an nftables include of the directory loads as well'
    : `put another directory in place of ${escapeText(dir.below!)}, and so replace the rules file`;
}

/** --out FILE: the rules written as writeGeneratedFiles writes a tree of one file (all or nothing, atomic, never through a link). */
function writeRules(context: Context<unknown>, { path, rules, source, regenerate }: RulesFile): Outcome {
  const shown = escapeText(path);
  const exposed = exposedDirectories(guardedDirectories([path]));
  let wrote: boolean;
  let made: string[];
  try {
    ({ written: wrote, made } = writeThroughDirectories(exposed, stake, () =>
      writeGeneratedFiles('', [{ path, contents: rules }], { maxBytes: MAX_GENERATED_FILE_BYTES }).some((file) => file.wrote),
    ));
  } catch (error) {
    if (error instanceof ConcurrentWriteError)
      throw new CommandError(`ports firewall: ${shown}: another run wrote it at the same time; it is not known to match ${source}: run "${regenerate}" again`);
    if (error instanceof FileWriteError) throw new CommandError(`ports firewall: cannot write ${escapeText(error.path)}: ${error.reason}`);
    throw error;
  }
  for (const line of made) context.io.out(`${line}\n`);
  if (wrote) context.io.done?.(`it wrote ${shown}`);
  context.io.out(wrote ? `${shown} regenerated from ${source}\n` : `${shown} is already up to date with ${source}\n`);
  return 'ok';
}

/** --out FILE --check: what writeRules would change, as `ports docs --check` says it of its page. */
function checkRules(context: Context<unknown>, { path, rules, source, regenerate, check, overrides, variables }: RulesFile): Outcome {
  const shown = escapeText(path);
  const [entry] = inspectGeneratedFiles('', [{ path, contents: rules }], { maxBytes: MAX_GENERATED_FILE_BYTES });
  if (entry!.problem !== undefined) throw new CommandError(`ports firewall: cannot check ${shown}: ${entry!.problem}`);
  if (entry!.current === undefined) throw new CommandError(`ports firewall: cannot check ${shown}: no such file; "${regenerate}" writes it`);
  // Not drift, and not a failure: the next run that writes removes them.
  const temps = killedWritersNote(killedWritersTemps([path], { remove: false }), `beside ${shown}`, regenerate);
  if (temps !== undefined) context.io.err(`${temps}\n`, 'notice');
  let failed = false;
  // Whoever may write the file, or a directory it is read through, chooses the rules root loads: drift, whatever it holds.
  if (entry!.exposure !== undefined) {
    context.io.out(
      `${shown}: ${entry!.exposure}: whoever may write it chooses the rules loaded as root; run \`${regenerate}\` to replace it with one of this user's, 0644\n`,
    );
    failed = true;
  }
  for (const exposed of exposedDirectories(guardedDirectories([path]))) {
    context.io.out(`${escapeText(exposed.dir.path)}: ${directoryProblem(exposed, stake(exposed))}; ${directoryDriftFix(exposed, regenerate)}\n`);
    failed = true;
  }
  if (entry!.current !== rules) {
    const words = driftWords(dirname(path), 'it');
    context.io.out(unifiedDiff(entry!.current, rules, { from: `${shown} (${words.current})`, to: `${shown} (from ${source})` }));
    // Written under other overrides (the unit's Environment=, unset in CI): say so, or "run ..." would drop their rules.
    const recorded = new Map([...recordedOverrides(entry!.current)].filter(([variable]) => variables.has(variable)));
    const summary =
      overrideDriftText(shown, recorded, overrides, { check, regenerate, source, afterwards: words.afterwards }) ??
      `${shown} is stale: run "${regenerate}" to regenerate it from ${source}${words.afterwards}`;
    context.io.err(`${summary}\n`, 'error');
    return 'failed';
  }
  if (failed) {
    context.io.err(`${shown} has the rules of ${source}, but others may change it (listed above, with what to run)\n`, 'error');
    return 'failed';
  }
  context.io.out(`${shown} is up to date with ${source}\n`);
  return 'ok';
}
