// Whose dsa110-port-health.service a unit directory holds: another registry's health check, or a unit of the
// operator's, is not `ports systemd`'s to replace.
import { basename, resolve } from 'node:path';
import { escapeText } from '../escape.js';
import { REGISTRY_ENV } from '../load.js';
import { HEALTH_SERVICE, HEALTH_TIMER } from '../render/health-timer.js';
import { GENERATED_HEADER } from '../render/systemd.js';
import { regularFileText } from './foreign-settings.js';
import { registryFileId } from './found-claim-registry.js';
import { parseUnitFile } from './unit-file.js';
import { parseEnvironment, parseExec, simplifyPath, type ExecCommand } from './words.js';

/** What is at a unit directory's dsa110-port-health.service that a run must not replace (healthUnitOwner). */
type HealthOwner =
  /** The port health check, run against another registry still there (`registry`: the path it names, or undefined for the bundled one). */
  | { readonly kind: 'registry'; readonly registry: string | undefined }
  /** A unit `ports systemd` did not write (no GENERATED_HEADER) that runs something else (`command`, as written; undefined: nothing). */
  | { readonly kind: 'foreign'; readonly command: string | undefined };

/**
 * What the health service at `path` is, when a run of this registry (`registryPath`, as the units name it) must not
 * replace it: two registries written into one unit directory share dsa110-port-health.service and .timer, so the
 * second run replaced the first's health check. Its registry is its ExecStart's --registry (`--registry=PATH` too),
 * else its Environment= $DSA110_PORTS_FILE, else the health check's bundled one, as port-health-check reads them; it is
 * this run's when it is the same path (`//` and `/./` alike) or the same file under `root` (the host's for --out), as
 * findClaims compares the claim lines' --registry. Another registry no longer there was moved or retired: its unit is
 * this run's to replace; so is one it wrote for the bundled registry, when this run names one (the usual upgrade). A unit the operator wrote by hand (no generated header) that runs neither port-health-check
 * nor `healthCheck` is theirs: not replaced either. Undefined when the file is missing, not a regular file, unreadable
 * (the write and --check say why) or this run's to replace.
 */
export function healthUnitOwner(path: string, registryPath: string | undefined, root: string | undefined, healthCheck: string): HealthOwner | undefined {
  const text = regularFileText(path);
  if (text === undefined) return undefined;
  const ours = text.startsWith(`${GENERATED_HEADER}\n`);
  const env = new Map<string, string>();
  let starts: string[] = [];
  for (const entry of parseUnitFile(text)) {
    if (entry.section !== 'Service') continue;
    if (entry.key === 'Environment') {
      if (entry.value === '') env.clear();
      for (const [name, value] of parseEnvironment(entry.value)) env.set(name, value);
    } else if (entry.key === 'ExecStart') starts = entry.value === '' ? [] : [...starts, entry.value];
  }
  const commands = starts.flatMap((value) => parseExec(value, env).commands);
  const isHealthCheck = (command: ExecCommand) => basename(command.path) === 'port-health-check' || command.path === simplifyPath(healthCheck);
  const check = commands.find(isHealthCheck) ?? (ours ? commands[0] : undefined);
  if (check === undefined) return ours ? undefined : { kind: 'foreign', command: starts[0] };
  const registry = healthRegistryArgument(check.argv.slice(1)) ?? (env.get(REGISTRY_ENV) || undefined);
  // One `ports systemd` wrote for the bundled registry is the usual first install: naming a registry later moves the
  // health check to it (as it moves the claim lines), never a second registry's to keep.
  if (registry === undefined) return registryPath === undefined || ours ? undefined : { kind: 'registry', registry };
  // systemd runs the service from /: a relative path is taken from there.
  const named = resolve('/', registry);
  if (registryPath !== undefined && simplifyPath(named) === simplifyPath(registryPath)) return undefined;
  const theirs = registryFileId(root ?? '/', named);
  if (theirs === undefined) return undefined;
  if (registryPath !== undefined && theirs === registryFileId(root ?? '/', registryPath)) return undefined;
  return { kind: 'registry', registry };
}

/** Pure: the --registry value in port-health-check's arguments (`--registry PATH` or `--registry=PATH`), or undefined. */
function healthRegistryArgument(args: readonly string[]): string | undefined {
  for (let index = 0; index < args.length; index++) {
    const arg = args[index]!;
    if (arg === '--') return undefined;
    if (arg === '--registry') return args[index + 1];
    if (arg.startsWith('--registry=')) return arg.slice('--registry='.length);
  }
  return undefined;
}

/** Pure: what is wrong when the health service there is not this run's to replace (healthUnitOwner), and what to do. */
export function healthOwnerText(owner: HealthOwner, registryPath: string | undefined, out: boolean): string {
  if (owner.kind === 'foreign') {
    const runs = owner.command === undefined ? 'runs no ExecStart= command' : `runs ${escapeText(owner.command, 200)}`;
    return `it is not a unit \`ports systemd\` wrote (no "${GENERATED_HEADER}" line) and it ${runs}, not the port health check; rename that unit (and its timer) or remove it, then run \`ports systemd\` again`;
  }
  const theirs = owner.registry === undefined ? "the health check's bundled registry (no --registry)" : escapeText(owner.registry);
  const ours = registryPath === undefined ? "the health check's bundled registry (no --registry)" : escapeText(registryPath);
  return (
    `it runs the port health check against ${theirs}, not ${ours}; one unit directory holds one ${HEALTH_SERVICE} and ${HEALTH_TIMER}, so writing would replace the other registry's health check` +
    `; merge the two registries into one and write from it, ${out ? 'give this registry another --out, ' : ''}or, if that registry is retired, remove ${HEALTH_SERVICE} and ${HEALTH_TIMER} first`
  );
}
