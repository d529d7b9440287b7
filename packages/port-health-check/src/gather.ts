// Gather every fact the checks need, once: one read of the socket table and
// one /proc/*/fd scan for the whole registry (the shared reader in
// @dsa110/ports/system), the kernel's port ranges, each unit with its
// drop-ins, and each claim-port executable the units name. All I/O of a
// health check happens here; the checks are pure.
// Synchronous reads throughout: small files, and no thread-pool start-up;
// the fd scan is read by perl children only where that pays (many processes).
import { closeSync, constants, type Dir, lstatSync, opendirSync, openSync, readdirSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { CONFIG_KINDS, type ConfigKind, escapeText, MAX_CONFIG_BYTES, quoteValue, type Registry, type Service } from '@dsa110/ports';
import {
  ancestors,
  decodeKeepingBadBytes,
  fileSystemPath,
  globToRegExp,
  normalizeAddress,
  passwdEntries,
  readListenSocketsSync,
  readProcessInfo,
  snapshot,
  type Listener,
  type Snapshot,
} from '@dsa110/ports/system';
import { FileReadError, hostPath, isElfHead, nameInRoot, readFileBytes } from '@dsa110/ports/files';
import { configKey } from './checks/config.js';
import { configsOf as serviceConfigsOf } from './service-configs.js';
import { envOverrideOf } from './checks/config-setting.js';
import { grafanaCommand, grafanaConfigFile, grafanaHome, grafanaPaths } from './checks/grafana-command.js';
import { filePaths } from './checks/grafana-expand.js';
import { GRAFANA_SERVER_KEYS } from './checks/grafana-server.js';
import { DEFAULT_SECTION, goIniSetting } from './checks/go-ini.js';
import { gunicornConfigPath, uvicornLaunch } from './checks/asgi-command.js';
import { readInstalledUvicorn } from './uvicorn-install.js';
import { type DpkgReads, PROMETHEUS_PACKAGES, readDpkgVersion, REDIS_PACKAGES } from './dpkg-version.js';
import { effectivePort } from './effective-port.js';
import { commandPath, daemonCommand, pathFromCwd, underRoot } from './checks/references/daemon-command.js';
import { REDIS_PROGRAMS, redisArguments, redisStart } from './checks/references/redis-command.js';
import { mayNameUnknownDirective } from './checks/references/redis-directives.js';
import { redisLines, redisTrim } from './checks/references/redis-lines.js';
import { MAX_INCLUDE_DEPTH, MAX_INCLUDED_FILES, MAX_INCLUDED_TEXT } from './checks/references/include-files.js';
import { cGlobMatches, cGlobMatchesPath, directoryPart, isPatternPart, nameBytes, unescapedPart } from './checks/references/c-glob.js';
import { includePatterns, isGlob, nginxIncludes } from './checks/references/includes.js';
import { goGlobPart, hasGoMeta } from './checks/references/go-glob.js';
import { includePrefix, includeRoot, serviceNginxMain } from './checks/references/nginx-main.js';
import { NOT_THERE } from './checks/references/nginx-load.js';
import { prometheusFilePatterns, scrapeJobName } from './checks/references/prometheus-files.js';
import { commandConfigFile, prometheusArgFileNeeded, prometheusCommand, type ArgFile } from './checks/references/prometheus-command.js';
import { exposedListeners, localnetListeners } from './checks/firewall.js';
import { needsAccounts } from './checks/listeners.js';
import { unitOf } from './checks/workers.js';
import { findNft, readRuleset, type FirewallFacts } from './firewall/read.js';
import { readRouteLocalnet } from './firewall/route-localnet.js';
import { claimLookup } from './claim-lookup.js';
import { readKernelFacts } from './kernel.js';
import { MAX_ANCESTRY, processFacts, readLineage } from './lineage.js';
import {
  claimLineRegistry,
  claimLines,
  claimRegistryLoader,
  DROP_IN_NAME,
  dropInDirNames,
  claimRoot,
  claimRootProcReason,
  procMountedIn,
  unresolvedExecSearch,
  isBareCommand,
  listUnitDirs,
  isValidUnitName,
  loadUnit,
  mergeUnitWithEnvironmentFiles,
  readInterpreter,
  registryWritablePart,
  rootWritablePart,
  readSocketUnits,
  readManagerDefaults,
  readsOtherRegistry,
  isSystemdInit,
  socketUnitsOn,
  type ClaimRoot,
  type ListeningSocket,
  type ExecSearch,
  type ManagerDefaults,
  type SearchPath,
  type UnitDirListing,
} from '@dsa110/ports/systemd';
import { checkedRegistryName } from './claim-registry.js';
import { anythingAt, HiddenPathError, isDirectory, readPath, readRootKey, type ReadRoot, SharedReadings, sharedReadRoot, splitReason } from './root-files.js';
import { readSystemctl, systemdRunning } from './systemd/systemctl.js';
import type {
  ConfigFileFacts,
  DaemonFile,
  EnvironmentSetting,
  ExecLine,
  ExecutableFacts,
  Facts,
  HiddenRegistry,
  IncludeFacts,
  InstalledUvicorn,
  NginxIncludeLoop,
  NginxConfigFacts,
  NginxLoad,
  PrometheusFile,
  PrometheusFileFacts,
  ProcessFacts,
  RootOnlyStep,
  SocketFacts,
  PrometheusVersion,
  RedisVersion,
  UnitFacts,
} from './types.js';

export interface GatherOptions {
  readonly registry: Registry;
  /** Configuration files are read under this directory; default `/`. */
  readonly root?: string;
  /** Only these services (all when undefined). */
  readonly services?: readonly Service[];
  readonly claimPortPaths?: readonly string[];
  /** The file the registry was read from (--registry, $DSA110_PORTS_FILE), as given; undefined for the bundled one. */
  readonly registryPath?: string;
  /** The registry is the bundled one (no file named): a claim line then reads it only when it names none. */
  readonly bundledRegistry?: boolean;
  /** Read the live nftables ruleset (default true): only when a robust, non-public service listens beyond loopback, or on 127.x with route_localnet on. */
  readonly firewall?: boolean;
  /** The socket read, when the caller started it earlier (startSocketRead); else it starts here. */
  readonly socketRead?: SocketRead;
}

export async function gather(options: GatherOptions): Promise<Facts> {
  const root = options.root ?? '/';
  const services = options.services ?? options.registry.services;
  const claimPortPaths = options.claimPortPaths ?? [];
  // As a unit's claim line names it (systemd runs claim-port from /; under a root, as the booted system names it).
  const registryPath = options.registryPath === undefined ? undefined : nameInRoot(root, options.registryPath);
  const unitNames = [...new Set(services.flatMap((service) => (service.systemd ? [service.systemd.unit] : [])))];

  // Files whose port key the config check reads, and every file the references check holds against the registry.
  const configPaths = [
    ...new Set(services.flatMap((service) => [...(configKey(service) ? [configKey(service)!.file] : []), ...service.configs.map((ref) => ref.path)])),
  ];

  // The files first, the sockets after: on a busy machine perl's scan (started before the registry
  // loaded, or here) reads while they are read.
  const socketRead = options.socketRead ?? startSocketRead();
  const kernel = readKernelFacts();
  const { units, listing, managerDefaults } = readUnits(root, unitNames);
  const unitMap = new Map<string, UnitFacts>(units.map((unit) => [unit.unit, unit]));
  const foreignClaimUnits = listing ? readForeignClaimUnits(root, listing, options.registry, managerDefaults) : undefined;
  const datasources = new Set(services.flatMap((service) => service.configs.filter((ref) => ref.kind === 'grafana-datasource').map((ref) => ref.path)));
  // The daemons' files, each service's through its own unit's root (daemonRoot): inside its RootDirectory=, as the
  // program chrooted there opens it (readPath); on the root itself for a daemon without one, whatever other units chroot in.
  // One ReadRoot a service: readPath finds the real paths of what its unit hides once for it (realHiddenDirs).
  const roots = new Map<Service, ReadRoot>();
  const atOf = (service: Service): ReadRoot => {
    let at = roots.get(service);
    if (at === undefined) roots.set(service, (at = daemonRoot(root, service.systemd && unitMap.get(service.systemd.unit), service.processes)));
    return at;
  };
  const configs = new Map(configPaths.map((path) => [path, readSharedConfigFile(services, atOf, path, datasources.has(path))]));
  // Where the daemons naming a file open different files by its name: each one's own, read through its own root.
  const serviceConfigs = readServiceConfigs(services, atOf, configs, datasources);
  const configsOf = (service: Service): ReadonlyMap<string, ConfigFileFacts> => serviceConfigsOf({ configs, serviceConfigs }, service);
  const redisCommands = readRedisCommands(services, unitMap, atOf);
  const prometheusArgFiles = readPrometheusArgFiles(atOf, services, unitMap);
  const daemonFiles = readDaemonFiles([
    ...grafanaFilePaths(services, unitMap, atOf),
    ...redisFilePaths(redisCommands),
    ...prometheusFilePaths(services, unitMap, prometheusArgFiles, atOf),
  ]);
  const grafanaFiles = readGrafanaFiles(atOf, services, unitMap, daemonFiles, configsOf);
  const grafanaValueFiles = readGrafanaValueFiles(atOf, services, unitMap, configsOf, grafanaFiles);
  const appServerFiles = readAppServerFiles(atOf, services, unitMap);
  // dpkg's files, read once for both daemons' versions.
  const dpkgReads: DpkgReads = new Map();
  const prometheusVersions = readPrometheusVersions(root, services, unitMap, configsOf, dpkgReads);
  const uvicornInstalls = readUvicornInstalls(root, services, unitMap);
  const includes = readIncludes(atOf, services, unitMap, configsOf, redisCommands);
  const redisVersions = readRedisVersions(root, services, { units: unitMap, daemonFiles }, configsOf, includes, dpkgReads);
  const { loads: nginxLoads, configs: nginxConfigs } = readNginxLoads(atOf, services, unitMap, configsOf);
  const prometheusFiles = readPrometheusFiles(atOf, options.registry, services, configsOf);
  const claims = units.map((unit) => ({ unit, lines: claimLines(unit.execStartPre, claimPortPaths) }));
  const claiming = claims.filter((claim) => claim.lines.length > 0).map((claim) => claim.unit);
  // systemd's DefaultTimeoutStartSec=, only for a claiming unit that sets no start timeout of its own (the systemd check
  // holds it against the claim's longest time): from the read of system.conf that gave the units DefaultEnvironment=.
  const defaultStartTimeout = claiming.some((unit) => unit.startTimeout === undefined && !unit.oneshot) ? managerDefaults?.startTimeout : undefined;
  // Socket activation only matters where claim-port runs: PID 1 would hold the port it must free.
  const socketUnits = listing && claiming.length > 0 ? readSocketUnits(root, listing, claiming) : undefined;
  // Each claim-port (a path, or a bare name with the directories systemd looks it up in: execKey) with the
  // PATHs systemd would give the units that run it (its #! line's interpreter is looked up there).
  // Chrooted (RootDirectory=, which `+` does not lift): looked up inside that directory; inside RootImage=: not looked at.
  // A claim-port env names after setting PATH (`env PATH=/opt/x/bin claim-port`) is looked up in that PATH (claimLookup).
  const wanted = new Map<string, { command: string; search: ExecSearch; envPath?: string; root: ClaimRoot; byValue: Map<string, SearchPath> }>();
  for (const { unit, lines } of claims) {
    for (const line of lines) {
      const command = line.argv[0]!;
      const { key, search, envPath, searchPath } = claimLookup(line, unit);
      const entry = wanted.get(key) ?? { command, search, ...(envPath !== undefined && { envPath }), root: claimRoot(unit), byValue: new Map() };
      wanted.set(key, entry);
      if (!entry.byValue.has(searchPath.value)) entry.byValue.set(searchPath.value, searchPath);
    }
  }
  const executables = new Map<string, ExecutableFacts>(
    [...wanted].map(([key, { command, search, envPath, root: lineRoot, byValue }]) => {
      const found = readClaimExecutable(root, lineRoot, command, search, [...byValue.values()]);
      return [key, envPath === undefined ? found : inEnvPath(found, command, envPath)];
    }),
  );
  const registryFaults = readRegistryFaults(root, claims);
  const hiddenClaimRegistries = readHiddenClaimRegistries(root, claims);
  const checkedName = checkedRegistryName({
    registry: options.registry,
    registryPath,
    ...(options.registryPath !== undefined && { registryFile: options.registryPath }),
  });
  const { loaded: claimRegistries, aliases: checkedRegistryAliases } = readClaimRegistries(root, claims, checkedName);
  // A chrooted claim line's /proc, where systemd mounts none for it (`+`, MountAPIVFS=no): only what is mounted there.
  const chrootProc = new Map<string, boolean | undefined>();
  for (const { unit, lines } of claims) {
    const lineRoot = claimRoot(unit);
    if (!('directory' in lineRoot) || chrootProc.has(lineRoot.directory)) continue;
    if (lines.some((line) => claimRootProcReason(unit, line) !== undefined)) chrootProc.set(lineRoot.directory, procMountedIn(root, lineRoot.directory));
  }
  // As root, the file this check itself read is judged too (on this machine: it was read here).
  const own = options.registryPath;
  const ownRegistryFault =
    own !== undefined && process.geteuid?.() === 0 ? registryWritablePart('/', own.startsWith('/') ? own : `${process.cwd()}/${own}`) : undefined;
  const sockets = await readSockets(new Set(services.map((service) => service.port)), socketRead);
  // Parents only above a holder in the unit of a service of the registry (the descent rule asks no other: workers.ts).
  const serviceUnits = new Set(options.registry.services.flatMap((service) => (service.systemd ? [service.systemd.unit] : [])));
  const lineage = readLineage(sockets, (process) => serviceUnits.has(unitOf(process) ?? ''));
  // The root's passwd only where a check asks it (needsAccounts: a unit naming its User= by name, and a process that
  // may be its service's running under another name); a healthy host's holders are their unit's user, and it is not read.
  const accounts = services.some((service) => needsAccounts({ registry: options.registry, units: unitMap, sockets, lineage }, service))
    ? readAccounts(root)
    : undefined;
  const initSockets = readInitSockets(root, listing, services, { registry: options.registry, units: unitMap }, sockets);
  // The ruleset only when a robust, non-public service listens beyond loopback (else the answer cannot matter).
  const listenerView = { registry: options.registry, units: unitMap, sockets };
  const exposed = services.some((service) => exposedListeners(listenerView, service).length > 0);
  // Or when one listens on 127.x and route_localnet lets other hosts send to 127.x (only then is it read).
  const routeLocalnet =
    options.firewall !== false && services.some((service) => localnetListeners(listenerView, service).length > 0) ? readRouteLocalnet() : undefined;
  const localnetOn = routeLocalnet !== undefined && 'on' in routeLocalnet && routeLocalnet.on.length > 0;
  const firewall = options.firewall === false ? undefined : exposed || localnetOn ? readRuleset(findNft()) : Promise.resolve<FirewallFacts>({ unread: true });
  // systemctl while nft runs in its own process. Robust units only: those are the ones whose claim it confirms.
  const robustUnits = [...new Set(services.flatMap((service) => (service.robust && service.systemd ? [service.systemd.unit] : [])))];
  const systemctl = root === '/' && systemdRunning() ? readSystemctl(robustUnits) : undefined;
  return {
    registry: options.registry,
    root,
    services,
    allServices: options.services === undefined,
    sockets,
    ...(lineage.size > 0 && { lineage }),
    ...(accounts !== undefined && { accounts }),
    kernel,
    units: unitMap,
    executables,
    ...(socketUnits && socketUnits.size > 0 && { socketUnits }),
    ...(foreignClaimUnits && foreignClaimUnits.size > 0 && { foreignClaimUnits }),
    ...(initSockets && { initSockets }),
    ...(defaultStartTimeout && { defaultStartTimeout }),
    configs,
    ...(serviceConfigs.size > 0 && { serviceConfigs }),
    ...(daemonFiles.size > 0 && { daemonFiles }),
    ...(grafanaFiles.size > 0 && { grafanaFiles }),
    ...(grafanaValueFiles.size > 0 && { grafanaValueFiles }),
    ...(appServerFiles.size > 0 && { appServerFiles }),
    ...(prometheusVersions.size > 0 && { prometheusVersions }),
    ...(redisVersions.size > 0 && { redisVersions }),
    ...(uvicornInstalls.size > 0 && { uvicornInstalls }),
    ...(includes.size > 0 && { includes }),
    ...(nginxLoads.size > 0 && { nginxLoads }),
    ...(nginxConfigs.size > 0 && { nginxConfigs }),
    ...(prometheusFiles.size > 0 && { prometheusFiles }),
    ...(prometheusArgFiles.size > 0 && { prometheusArgFiles }),
    ...(systemctl && { systemctl }),
    claimPortPaths,
    ...(registryPath !== undefined && { registryPath }),
    ...(options.registryPath !== undefined && { registryFile: options.registryPath }),
    ...(options.bundledRegistry === true && { bundledRegistry: true }),
    ...(registryFaults.size > 0 && { registryFaults }),
    ...(hiddenClaimRegistries.size > 0 && { hiddenClaimRegistries }),
    ...(claimRegistries.size > 0 && { claimRegistries }),
    ...(checkedRegistryAliases.size > 0 && { checkedRegistryAliases }),
    ...(chrootProc.size > 0 && { chrootProc }),
    ...(ownRegistryFault !== undefined && { ownRegistryFault }),
    ...(firewall && { firewall: await firewall }),
    ...(routeLocalnet && { routeLocalnet }),
  };
}

/**
 * The registries root's claim-port would read (each claim line's, as it names it, judged under the root),
 * with the part of each someone besides root may change (registryWritablePart); only those with one.
 */
function readRegistryFaults(root: string, claims: readonly { readonly unit: UnitFacts; readonly lines: readonly ExecLine[] }[]): Map<string, RootOnlyStep> {
  const faults = new Map<string, RootOnlyStep>();
  const judged = new Set<string>();
  for (const { unit, lines } of claims) {
    for (const line of lines) {
      const path = claimLineRegistry(line, unit);
      // A relative one is in a working directory not known here (WorkingDirectory=~): which file it is, the systemd check's warning says it cannot tell.
      if (path === undefined || !path.startsWith('/') || judged.has(path)) continue;
      judged.add(path);
      const fault = registryWritablePart(root, path);
      if (fault !== undefined) faults.set(path, fault);
    }
  }
  return faults;
}

/**
 * The registries claim lines without `+` name (claimLineRegistry) that their unit hides from them (PrivateTmp=,
 * ProtectHome=, InaccessiblePaths=: UnitFacts' hiddenPaths, a path or the file its links lead to, as readPath has it),
 * by unit and path. A `+` line runs with full privileges, the file system namespacing not applied (systemd.service(5)),
 * and sees the file. Where the line runs (claimRoot): chrooted in RootDirectory=, a hidden path of the unit's root is
 * in that directory; with RootDirectoryStartOnly=yes, on the host's root, where systemd sets the namespace up too.
 */
function readHiddenClaimRegistries(
  root: string,
  claims: readonly { readonly unit: UnitFacts; readonly lines: readonly ExecLine[] }[],
): Map<string, Map<string, HiddenRegistry>> {
  const found = new Map<string, Map<string, HiddenRegistry>>();
  for (const { unit, lines } of claims) {
    if ((unit.hiddenPaths ?? []).length === 0) continue;
    const lineRoot = claimRoot(unit);
    if ('unknown' in lineRoot) continue;
    const chroot = 'directory' in lineRoot ? lineRoot.directory.replace(/\/+$/, '') : undefined;
    const at: ReadRoot = {
      root,
      chroots: chroot === undefined ? [] : [chroot],
      hidden: (unit.hiddenPaths ?? []).map((each) => ({
        path: each.inRoot && chroot !== undefined ? underRoot(chroot, each.path) : each.path,
        setting: each.setting,
        ...(each.mounted === true && { mounted: true as const }),
        ...(each.shown === true && { shown: true as const }),
      })),
    };
    for (const line of lines) {
      if (line.prefixes.includes('+')) continue;
      const path = claimLineRegistry(line, unit);
      if (path === undefined || !path.startsWith('/') || found.get(unit.unit)?.has(path) === true) continue;
      try {
        readPath(at, path);
      } catch (error) {
        if (!(error instanceof HiddenPathError)) throw error;
        const byPath = found.get(unit.unit) ?? new Map<string, HiddenRegistry>();
        found.set(unit.unit, byPath.set(path, error.hidden));
      }
    }
  }
  return found;
}

/**
 * The registries claim lines read, when not the one checked
 * (readsOtherRegistry): which port `claim-port api` frees is the registry it
 * reads to say, one it cannot load makes it exit 64, and what differs from the
 * one checked is what the line does otherwise (claimRegistryDifferences). Loaded
 * as claim-port loads them (claimRegistryLoader of @dsa110/ports/systemd:
 * each file once, under the root as the booted system names it; a relative
 * path in the unit's WorkingDirectory=, else /, and not guessed at in one not
 * known here, `~`); none on the usual machine, whose lines read the
 * registry checked. `aliases`: the names lines give the registry checked
 * by another spelling, the one file (checkedRegistryAliases), not loaded.
 */
function readClaimRegistries(
  root: string,
  claims: readonly { readonly unit: UnitFacts; readonly lines: readonly ExecLine[] }[],
  checked: { readonly path: string | undefined } | undefined,
): { loaded: Map<string, Registry | string>; aliases: Set<string> } {
  const loaded = new Map<string, Registry | string>();
  const aliases = new Set<string>();
  let load: ReturnType<typeof claimRegistryLoader> | undefined;
  // The checked registry's identity under the root, to know it by another name (checkedRegistryAliases).
  let checkedId: string | undefined | null = null;
  for (const { unit, lines } of claims) {
    for (const line of lines) {
      // Any line's, not only a service id's: what differs between the two for its claim is said with it (registryResults).
      if (!readsOtherRegistry(line, unit, checked)) continue;
      const name = claimLineRegistry(line, unit);
      if (loaded.has(name ?? '') || (name !== undefined && aliases.has(name))) continue;
      // Only a claim run on the root itself (not chrooted: `+` does not lift RootDirectory=) names the root's files; a
      // link inside a chroot leads elsewhere there, and the chrooted claim's own check says what it reads.
      if (name !== undefined && checked?.path !== undefined && 'host' in claimRoot(unit)) {
        if (checkedId === null) checkedId = fileIdentity({ root, chroots: [] }, checked.path);
        if (checkedId !== undefined && fileIdentity({ root, chroots: [] }, name) === checkedId) {
          aliases.add(name);
          continue;
        }
      }
      const registry = (load ??= claimRegistryLoader(root))(name);
      if (registry !== undefined) loaded.set(name ?? '', registry);
    }
  }
  return { loaded, aliases };
}

/**
 * The socket units that listen on each service port systemd (PID 1) holds
 * (socketUnitsOn), for the owner check to name: PID 1 holds a port only for
 * a socket unit. Every socket unit file is read, so only where PID 1 holds
 * one of the services' ports (TCP: the owner check's); nothing otherwise.
 */
function readInitSockets(
  root: string,
  listing: UnitDirListing | undefined,
  services: readonly Service[],
  facts: Pick<Facts, 'registry' | 'units'>,
  sockets: SocketFacts,
): Map<number, readonly ListeningSocket[]> | undefined {
  // One pass over the table; the usual machine stops here (PID 1 holds none, or none of the services' ports).
  const byInit = new Set(sockets.listeners.filter((listener) => listener.holders?.some(isSystemdInit)).map((listener) => listener.port));
  if (byInit.size === 0) return undefined;
  const held = new Set<number>();
  for (const service of services) {
    if (service.transport !== 'tcp') continue;
    const { port } = effectivePort(facts, service);
    if (byInit.has(port)) held.add(port);
  }
  if (held.size === 0) return undefined;
  const dirs = listing ?? listUnitDirs(root);
  return new Map([...held].map((port) => [port, socketUnitsOn(root, dirs, port, 'tcp')]));
}

/**
 * The units, merged, with the listing of the unit directories and systemd's [Manager] defaults (system.conf and its
 * drop-ins, read once per run: DefaultEnvironment= for every unit here, DefaultTimeoutStartSec= for the start timeout
 * check); none of them read when no service names a unit.
 */
function readUnits(root: string, names: readonly string[]): { units: UnitFacts[]; listing?: UnitDirListing; managerDefaults?: ManagerDefaults } {
  if (names.length === 0) return { units: [] };
  const problems: string[] = [];
  const listing = listUnitDirs(root, problems);
  const managerDefaults = readManagerDefaults(root);
  const units = names.map((name) => {
    const loaded = loadUnit(root, name, listing);
    // EnvironmentFile= read and applied by the reader `ports systemd --check` uses too.
    return mergeUnitWithEnvironmentFiles(root, { ...loaded, problems: [...problems, ...loaded.problems] }, { defaultEnvironment: managerDefaults.environment });
  });
  return { units, listing, managerDefaults };
}

/**
 * The units under `root` that no service of the registry names (by any of their names) whose drop-in directories
 * hold a claim-port.conf, the file `ports systemd` writes: one left for a unit since renamed or dropped from the
 * registry frees its port as root at every start of that unit. A unit's own directory (`old-redis.service.d/`), and
 * the directories many units read: a dash prefix's (`dsa110-.service.d/`, read by every `dsa110-*` service) and the
 * type-wide `service.d/` (read by every service). As systemd would load them: a unit without a unit file, or masked,
 * never starts, and is left out; a template's instances are not listed by name, and are left out too. One stat for
 * each drop-in directory listed; a unit is read only when a directory it reads holds that file.
 */
function readForeignClaimUnits(root: string, listing: UnitDirListing, registry: Registry, defaults: ManagerDefaults | undefined): Map<string, UnitFacts> {
  const named = new Set(registry.services.flatMap((service) => (service.systemd ? [service.systemd.unit] : [])));
  const found = new Map<string, UnitFacts>();
  const holdsClaim = (dir: string, entry: string): boolean => {
    try {
      return statSync(hostPath(root, `/${dir}/${entry}/${DROP_IN_NAME}`), { throwIfNoEntry: false }) !== undefined;
    } catch {
      return false; // not to be looked into here: the unit's own check, if it is a service's, says what could not be read
    }
  };
  const tried = new Set<string>();
  // Each unit once, by its unit file: an alias (`b.service -> a.service`) is the same unit under another name.
  const unitFiles = new Set<string>();
  const read = (unit: string): void => {
    // A name systemd refuses (`a b.service`) is never a unit that starts.
    if (named.has(unit) || tried.has(unit) || !isValidUnitName(unit)) return;
    tried.add(unit);
    const loaded = loadUnit(root, unit, listing);
    if (loaded.file?.text === undefined || (loaded.aliases ?? []).some((alias) => named.has(alias))) return;
    // An instance's unit file is its template's, shared by every instance: each instance is a unit of its own.
    const identity = unit.includes('@') ? unit : loaded.file.path;
    if (unitFiles.has(identity)) return;
    unitFiles.add(identity);
    found.set(unit, mergeUnitWithEnvironmentFiles(root, loaded, { defaultEnvironment: defaults?.environment }));
  };
  const shared = new Set<string>();
  for (const [dir, entries] of listing) {
    for (const entry of entries) {
      // A template's directory (`foo@.service.d`) is read by its instances, which are not listed by name.
      const many = entry === 'service.d' || entry.endsWith('-.service.d');
      if ((!many && !entry.endsWith('.service.d')) || entry.includes('@.') || !holdsClaim(dir, entry)) continue;
      if (many) shared.add(entry);
      else read(entry.slice(0, -'.d'.length));
    }
  }
  if (shared.size === 0) return found;
  // Rare (a claim meant for one unit written where every service, or every one of a prefix, reads it): only then is
  // every service unit file listed read, those whose drop-in directories include one of them; and the instances of
  // templates that are enabled (`lab-corr@1.service` in a `*.wants/` directory), which are not listed by name.
  const readsShared = (name: string) => dropInDirNames(name).some((dir) => shared.has(dir));
  for (const [dir, entries] of listing) {
    for (const entry of entries) {
      if (entry.endsWith('.service') && !entry.includes('@') && readsShared(entry)) read(entry);
      if (!/\.(?:wants|requires|upholds)$/.test(entry)) continue;
      let linked: string[];
      try {
        linked = readdirSync(hostPath(root, `/${dir}/${entry}`));
      } catch {
        continue;
      }
      for (const name of linked) if (name.endsWith('.service') && /@[^.]/.test(name) && readsShared(name)) read(name);
    }
  }
  return found;
}

/** A read of the socket table and its holders under way: what it took, or what stopped it (it never rejects). */
export type SocketRead = Promise<{ taken: Snapshot } | { error: unknown }>;

/**
 * Start reading the live socket table and its holders: one table read (its
 * first read() on libuv's thread pool, while this thread reads the unit and
 * configuration files: snapshot.ts) and one /proc/*\/fd scan by the shared
 * reader, read by perl children (two at once where a core is idle) on a
 * machine with many processes, as claim-port's (see holders-parallel.ts).
 * The children are running when this returns.
 */
export function startSocketRead(): SocketRead {
  return snapshot({ parallel: true }).then(
    (taken) => ({ taken }),
    (error: unknown) => ({ error }),
  );
}

/** The socket facts of a read (started here when none is given): a failure becomes a fact, not an exception. */
export async function readSockets(
  watched: ReadonlySet<number> = new Set(),
  started: SocketRead = startSocketRead(),
  hooks: SocketReadHooks = {},
): Promise<SocketFacts> {
  try {
    const read = await started;
    if ('error' in read) throw read.error;
    const { taken } = read;
    const { listeners, changed } = await withClosedReplaced(await withHiddenHolders(taken.listeners, watched), watched, taken.unreadable.length === 0, hooks);
    const unreadParent = unreadParentOf(new Set(taken.unreadable));
    return {
      listeners: listeners.map((listener) => {
        const holders = listener.ownerKnown ? listener.holders.map(processFacts) : undefined;
        const unreadParents = (holders ?? []).flatMap((holder) => unreadParent(holder).map((parent) => ({ holder: holder.pid, parent })));
        return {
          port: listener.port,
          address: normalizeAddress(listener.address),
          family: listener.family === 'IPv6' ? 6 : 4,
          dualStack: listener.dualStack,
          inode: listener.inode,
          holders,
          ...(changed.has(listener) && { changed: true as const }),
          ...(unreadParents.length > 0 && { unreadParents }),
        };
      }),
      unreadableProcesses: taken.unreadable.length,
      readAsRoot: runningAsRoot(),
    };
  } catch (error) {
    return { listeners: [], unreadableProcesses: 0, problem: socketTableProblem(error, runningAsRoot()) };
  }
}

/**
 * For a holder: its parents (up to MAX_ANCESTRY levels, below PID 1, nearest first) among `unread`, the processes
 * whose open files the scan could not read, read now; none when none is (or they exited since). Such a parent may
 * hold the same socket, as a socket is passed down by fork (a root master whose worker dropped privileges, seen by a
 * user who can read only the worker's files), and the holder be its worker: so only parents count, never every
 * unreadable process (some even root cannot read, and they share no socket with the holder). Which of them may be
 * a service's own master is holdersOf's to tell, for every check alike (by its names: a root `runuser`, `sudo` or `sshd` that
 * started a service is none). Parents are read from /proc/PID/stat, once each.
 */
function unreadParentOf(unread: ReadonlySet<number>): (holder: ProcessFacts) => ProcessFacts[] {
  const chains = new Map<number, number[]>();
  return (holder) => {
    if (unread.size === 0 || holder.ppid === undefined || holder.ppid <= 1) return [];
    let chain = chains.get(holder.ppid);
    if (chain === undefined) {
      chain = [holder.ppid, ...ancestors(holder.ppid)];
      chains.set(holder.ppid, chain);
    }
    return chain
      .slice(0, MAX_ANCESTRY)
      .filter((parent) => parent > 1 && unread.has(parent))
      .flatMap((pid) => {
        const info = readProcessInfo(pid);
        return info === undefined ? [] : [processFacts(info)];
      });
  };
}

/**
 * A listener on a `watched` port (a service's) whose holder the scan did not
 * find may be held in a thread's own fd table (unshare(CLONE_FILES)), which no
 * /proc/PID/fd shows: any user could so hide an intruder as "unknown". Only
 * those sockets are looked for in every thread's table (ScanOptions.threads,
 * bounded to about a second), never the sockets of other ports (a kernel's
 * NFS sockets have no process at all, and would cost that on every run).
 */
async function withHiddenHolders(listeners: readonly Listener[], watched: ReadonlySet<number>): Promise<readonly Listener[]> {
  const hidden = listeners.filter((listener) => !listener.ownerKnown && watched.has(listener.port));
  if (hidden.length === 0) return listeners;
  const found = await snapshot({ ports: [...new Set(hidden.map((listener) => listener.port))], sockets: hidden, threads: 'every' });
  const byInode = new Map(found.listeners.filter((listener) => listener.ownerKnown).map((listener) => [listener.inode, listener]));
  return listeners.map((listener) => {
    const holder = byInode.get(listener.inode);
    return holder ? { ...listener, holders: holder.holders, ownerKnown: true } : listener;
  });
}

/** For tests: called before each re-read of withClosedReplaced (a listener may be closed or opened there, at a known point). */
export interface SocketReadHooks {
  readonly beforeReread?: () => void | Promise<void>;
}

/** How many times a port whose listener closed as it was read is read again, at most, before it is said to be changing. */
const MAX_REREADS = 3;

/**
 * A listener still without a holder may have closed between the table read
 * and the fd scan (a daemon restarting as the check ran): then no process
 * holds it because none does any more, and "their open files are unreadable"
 * would send the operator after the wrong cause. Where the tables (of those
 * ports alone, a cheap read) no longer list such a listener, its port is
 * read again, with its holders, and its listeners replaced by what listens
 * there now (the restarted daemon's), on any port, the registry's or not; with
 * none there now, the listener that closed is kept, in `changed` (a process
 * restarting in a loop, read in its gap: not "nothing listens"). A replacement may have closed as it was read too: that is looked at
 * again, at most MAX_REREADS times; a port whose holder-less listener is still
 * gone after that is returned with it in `changed` (it changed while the check
 * ran), never as a holder that cannot be seen. A listener still listed
 * without a holder stays as it is (unseen: a protected process, a socket in
 * flight); one with inode 0 (a kernel socket) is never read again, nor,
 * while some process's fds could not be read, one on a port no service has.
 */
async function withClosedReplaced(
  listeners: readonly Listener[],
  watched: ReadonlySet<number>,
  everyFdRead: boolean,
  hooks: SocketReadHooks,
): Promise<{ listeners: readonly Listener[]; changed: ReadonlySet<Listener> }> {
  let current = listeners;
  let reread = 0;
  // Listeners that closed as they were read, with nothing on their port when it was read again: kept, as changed.
  const vanished = new Set<Listener>();
  while (true) {
    // Another port's listener only when every process's fds were read: else its holder is most likely one of those
    // that could not be (a protected process, another container's), and the tables are not read again on every run.
    const unknown = current.filter(
      (listener) => !listener.ownerKnown && listener.inode !== 0 && !vanished.has(listener) && (everyFdRead || watched.has(listener.port)),
    );
    if (unknown.length === 0) return { listeners: current, changed: vanished };
    await hooks.beforeReread?.();
    const open = new Set(readListenSocketsSync({ ports: new Set(unknown.map((listener) => listener.port)) }).map((socket) => socket.inode));
    const closed = new Set(unknown.filter((listener) => !open.has(listener.inode)).map((listener) => listener.port));
    if (closed.size === 0) return { listeners: current, changed: vanished };
    if (reread === MAX_REREADS) return { listeners: current, changed: new Set([...vanished, ...unknown.filter((listener) => closed.has(listener.port))]) };
    const now = await snapshot({ ports: closed });
    // In the table's order: a replaced port's listeners where its first one was.
    const replaced: Listener[] = [];
    const done = new Set<number>();
    for (const listener of current) {
      if (!closed.has(listener.port)) replaced.push(listener);
      else if (!done.has(listener.port)) {
        done.add(listener.port);
        const fresh = now.listeners.filter((other) => other.port === listener.port);
        // Nothing there now, but a listener was when the table was read, and it closed as it was read (a process
        // restarting in a loop, read in its gap): it changed while the check ran, not "nothing listens".
        if (fresh.length > 0) replaced.push(...fresh);
        else
          for (const kept of current.filter((other) => other.port === listener.port)) {
            replaced.push(kept);
            if (unknown.includes(kept)) vanished.add(kept);
          }
      }
    }
    current = replaced;
    reread++;
  }
}

/** Pure: why the socket table could not be read, in words, with what to do (it was a bare `EACCES reading /proc/net/tcp`). */
export function socketTableProblem(error: unknown, asRoot: boolean): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  switch (code) {
    case 'EACCES':
    case 'EPERM':
      return asRoot
        ? 'permission denied reading /proc/net/tcp, even to root (a sandbox or security module hides it: run the check on the host)'
        : 'permission denied reading /proc/net/tcp (run as root)';
    case 'ENOENT':
    case 'ENOTDIR':
      return 'this system has no /proc/net/tcp (no procfs at /proc: mount it, or run the check on Linux)';
    case undefined:
      return error instanceof Error ? error.message : String(error);
    default:
      return `cannot read /proc/net/tcp (${code})`;
  }
}

/** Whether this check runs as root: then "run as root" is no advice. */
function runningAsRoot(): boolean {
  return process.geteuid?.() === 0;
}

/**
 * Where the program `unit` starts reads its files (none: a service without one, on the root): the root the units are
 * for, and the RootDirectory= it runs chrooted in (as that root names it; not `/`, nor one with a specifier not
 * resolved here, nor one under RootImage=, nor one BindPaths= and the like mount into, where nothing is read), its
 * own alone: another unit's chroot is nothing to a program beside it, which follows links on the root (readPath).
 */
function daemonRoot(root: string, unit: UnitFacts | undefined, processes: readonly string[] = []): ReadRoot {
  const path = unit !== undefined && unit.rootImage === undefined && unit.rootMounts === undefined ? unit.rootDirectory?.path?.replace(/\/+$/, '') : undefined;
  const chroot = path === undefined || path === '' ? undefined : path;
  // What PrivateTmp=, ProtectHome= and InaccessiblePaths= hide, unless `+` runs the daemon with full privileges
  // (systemd.service(5): the file system namespacing options do not apply to it; RootDirectory= still does). `+` is
  // per command line: the daemon's is the ExecStart= line whose program is one of its service's process names
  // (daemonLines); where none or not each is told apart, every line must have it.
  const lines = daemonLines(unit?.execStart ?? [], processes);
  const lifted = lines.length > 0 && lines.every((line) => line.prefixes.includes('+'));
  const hidden = lifted
    ? []
    : (unit?.hiddenPaths ?? []).map((each) => ({
        path: each.inRoot && chroot !== undefined ? underRoot(chroot, each.path) : each.path,
        setting: each.setting,
        ...(each.mounted === true && { mounted: true as const }),
        ...(each.shown === true && { shown: true as const }),
      }));
  return { root, chroots: chroot === undefined ? [] : [chroot], ...(hidden.length > 0 && { hidden }) };
}

/**
 * Pure: the ExecStart= lines (ExecStart= may hold several, Type=oneshot) that run the daemon: those whose program (its
 * path's last part, or argv[0]'s) is one of `processes` (the service's process name globs); every line when none is.
 */
function daemonLines(lines: readonly ExecLine[], processes: readonly string[]): readonly ExecLine[] {
  const globs = processes.map((glob) => globToRegExp(glob));
  const base = (name: string | undefined): string => (name ?? '').slice((name ?? '').lastIndexOf('/') + 1);
  const runs = lines.filter((line) => globs.some((glob) => glob.test(base(line.path)) || glob.test(base(line.argv[0]))));
  return runs.length > 0 ? runs : lines;
}

/**
 * A registry's config file, read through the root of each daemon whose service names it (sharedReadRoot); when two
 * open different files by that name, neither is read (a problem: which one it is cannot be told).
 */
function readSharedConfigFile(services: readonly Service[], atOf: (service: Service) => ReadRoot, path: string, provisioning: boolean): ConfigFileFacts {
  const named = services.filter((service) => configKey(service)?.file === path || service.configs.some((ref) => ref.path === path));
  const at = sharedReadRoot(named.map(atOf), path);
  if (!('split' in at)) return readConfigFile(at, path, provisioning);
  return {
    path,
    problem: splitReason(
      named.flatMap((service) => (service.systemd ? [service.systemd.unit] : [])),
      at,
    ),
    split: true,
  };
}

/**
 * Each service's own reading of a file the daemons naming it open as different files (readSharedConfigFile's split:
 * a RootDirectory=, a link between, a path one unit hides), by service id then path: the file its own daemon opens
 * (readPath through its root) is known exactly, so it is read for it; one root's reading is shared by the services
 * that read through it.
 */
function readServiceConfigs(
  services: readonly Service[],
  atOf: (service: Service) => ReadRoot,
  configs: ReadonlyMap<string, ConfigFileFacts>,
  provisioning: ReadonlySet<string>,
): Map<string, Map<string, ConfigFileFacts>> {
  const own = new Map<string, Map<string, ConfigFileFacts>>();
  const read = new Map<string, ConfigFileFacts>();
  for (const [path, shared] of configs) {
    if (shared.split !== true) continue;
    for (const service of services) {
      if (configKey(service)?.file !== path && !service.configs.some((ref) => ref.path === path)) continue;
      const at = atOf(service);
      const key = JSON.stringify([path, readRootKey(at)]);
      if (!read.has(key)) read.set(key, readConfigFile(at, path, provisioning.has(path)));
      const byPath = own.get(service.id) ?? new Map<string, ConfigFileFacts>();
      own.set(service.id, byPath.set(path, read.get(key)!));
    }
  }
  return own;
}

/** A config file's facts; for a provisioning file that is not there (`provisioning`), the others of its directory (provisioningSiblings). */
function readConfigFile(at: ReadRoot, path: string, provisioning = false): ConfigFileFacts {
  const { missing, ...facts } = readFileFacts(at, path);
  if (missing === true && provisioning) {
    const siblings = provisioningSiblings(at, path.slice(0, path.lastIndexOf('/') + 1));
    return siblings === undefined ? facts : { ...facts, siblings };
  }
  const id = facts.text === undefined ? undefined : fileIdentity(at, path);
  return id === undefined ? facts : { ...facts, id };
}

/**
 * The files of a provisioning directory Grafana reads (pkg/services/provisioning's config readers: each file whose
 * name ends .yaml or .yml, links followed), in name order; undefined when the directory cannot be listed.
 */
function provisioningSiblings(at: ReadRoot, dir: string): string[] | undefined {
  try {
    return readdirSync(readPath(at, dir))
      .filter((name) => /\.ya?ml$/.test(name))
      .filter((name) => {
        try {
          return statSync(readPath(at, `${dir}${name}`)).isFile();
        } catch {
          return false;
        }
      })
      .sort();
  } catch {
    return undefined;
  }
}

/** readConfigFile's facts, and whether the file is simply not there. */
function readFileFacts(at: ReadRoot, path: string): ConfigFileFacts & { missing?: boolean; notRegular?: boolean; linkLoop?: boolean } {
  try {
    // A byte that is not UTF-8 kept as U+DC80+byte (escapeText shows it as \xNN, where U+FFFD hid which byte it was);
    // a file that is UTF-8 (isUtf8, native) is decoded as it was.
    return { path, text: decodeKeepingBadBytes(readFileBytes(readPath(at, path), { maxBytes: MAX_CONFIG_BYTES })) };
  } catch (error) {
    if (error instanceof HiddenPathError) return { path, problem: error.message };
    if (!(error instanceof FileReadError)) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === undefined) throw error;
      return { path, problem: `cannot look at it: ${code}` };
    }
    const denied = runningAsRoot() ? 'permission denied, even to root' : 'permission denied (run as root)';
    return {
      path,
      problem: error.kind === 'denied' ? denied : error.reason,
      ...(error.kind === 'missing' && { missing: true }),
      ...(error.kind === 'not-regular' && { notRegular: true }),
      // Links that never end in a file (ELOOP), under the root or not: no program opens it either.
      ...(error.code === 'ELOOP' && error.kind !== 'changed' && { linkLoop: true }),
    };
  }
}

/**
 * Every file the includes of the services' nginx sites and redis.conf name
 * (nested ones too, to MAX_INCLUDE_DEPTH; at most MAX_INCLUDED_FILES), read
 * under the root, by the include's path or glob (nginx's relative ones under
 * the directory of the main configuration its unit's command names).
 */
function readIncludes(
  atOf: (service: Service) => ReadRoot,
  services: readonly Service[],
  units: ReadonlyMap<string, UnitFacts>,
  configsOf: (service: Service) => ReadonlyMap<string, ConfigFileFacts>,
  redisCommands: readonly RedisCommand[],
): Map<string, IncludeFacts> {
  const includes = new SharedReadings<IncludeFacts>(
    (_, problem) => ({ problem }),
    (pattern, found) => globNames(pattern, found),
  );
  let budget = MAX_INCLUDED_FILES;
  let textLeft = MAX_INCLUDED_TEXT;
  // `chroot`: the RootDirectory= the program runs chrooted in, whose absolute includes are under it (includePath).
  // `at`: the root of the daemon that reads them (daemonRoot), and its unit.
  const follow = (
    at: ReadRoot,
    unit: string | undefined,
    kind: ConfigKind,
    text: string,
    depth: number,
    nginxPrefix: string | undefined,
    chroot?: string,
  ): void => {
    if (depth >= MAX_INCLUDE_DEPTH) return;
    for (const pattern of includePatterns(kind, text, nginxPrefix, chroot)) {
      const { value: found, state } = includes.read(pattern, at, unit, () => readInclude(at, pattern, budget, textLeft, kind));
      if (state === 'seen' || !('files' in found)) continue;
      if (state === 'read') {
        budget -= found.files.length;
        for (const file of found.files) textLeft -= file.text.length;
      }
      for (const file of found.files) follow(at, unit, kind, file.text, depth + 1, nginxPrefix, chroot);
    }
  };
  // The configs: entries' files, and a file whose port key a program reads by its own rules (config.ts's PROGRAM_FILES: a redis.conf no entry names).
  const read = [
    ...services.flatMap((service) => service.configs.map((ref) => ({ ref, service }))),
    ...services.flatMap((service) => {
      const wanted = configKey(service);
      return wanted?.readBy !== undefined ? [{ ref: { kind: wanted.readBy, path: wanted.file }, service }] : [];
    }),
  ];
  for (const { ref, service } of read) {
    const text = configsOf(service).get(ref.path)?.text;
    const main = ref.kind === 'nginx-site' ? serviceNginxMain({ units }, service) : undefined;
    const chroot = ref.kind === 'redis-conf' ? daemonCommand({ units }, service, REDIS_PROGRAMS)?.root : main && includeRoot(main);
    if (text !== undefined) follow(atOf(service), service.systemd?.unit, ref.kind, text, 0, main && includePrefix(main), chroot);
  }
  // redis-server's `--include FILE` options: lines Redis reads after its config file.
  for (const command of redisCommands)
    follow(command.at, command.unit, 'redis-conf', command.options.map((option) => option.text).join('\n'), 0, undefined, command.root);
  return includes.values;
}

/**
 * The names by which two daemons read one reading of `pattern` alike (SharedReadings): the path, or a glob's
 * directory (before its first glob) and each file it matched.
 */
function globNames(pattern: string, found: IncludeFacts | PrometheusFileFacts): string[] {
  const parts = pattern.split('/');
  const first = parts.findIndex((part) => isGlob(part) || hasGoMeta(part));
  if (first < 0) return [pattern];
  return [parts.slice(0, first).join('/') || '/', ...('files' in found ? found.files.map((file) => file.path) : [])];
}

/** What a service's unit starts redis-server with (its redis-conf entry's `path`, the file argument as Redis opens it, the options), for the references check's facts. */
interface RedisCommand {
  readonly registryPath: string;
  /** Absolute; undefined when it names none, or a relative one from a directory not known. */
  readonly file?: string;
  readonly options: readonly { readonly text: string }[];
  /** The RootDirectory= it runs chrooted in (DaemonCommand's `root`). */
  readonly root?: string;
  /** Where its files are read (daemonRoot of its unit), and that unit. */
  readonly at: ReadRoot;
  readonly unit?: string;
}

/** Of each service's redis-conf entry, the command its unit starts redis-server with (daemonCommand), as Redis reads it. */
function readRedisCommands(services: readonly Service[], units: ReadonlyMap<string, UnitFacts>, atOf: (service: Service) => ReadRoot): RedisCommand[] {
  return services.flatMap((service) =>
    service.configs
      .filter((ref) => ref.kind === 'redis-conf')
      .flatMap((ref) => {
        const command = daemonCommand({ units }, service, REDIS_PROGRAMS);
        const read = command && redisArguments(command.line.argv.slice(1));
        if (read === undefined) return [];
        const file = read.file === undefined ? undefined : commandPath(command!, read.file);
        return [
          {
            registryPath: ref.path,
            ...(file !== undefined && { file }),
            options: read.options,
            ...(command!.root !== undefined && { root: command!.root }),
            at: atOf(service),
            ...(service.systemd && { unit: service.systemd.unit }),
          },
        ];
      }),
  );
}

/** The files a redis-server command names other than the registry's by name, and the registry's (daemonFiles). */
function redisFilePaths(commands: readonly RedisCommand[]): DaemonPath[] {
  return commands.flatMap(({ file, registryPath, at }) =>
    file === undefined || file === registryPath || isGlob(file) ? [] : [file, registryPath].map((path) => ({ path, at })),
  );
}

/**
 * Whether nginx loads each nginx-site file the registry names whose text was read: the main configuration the
 * command of the service's unit names (serviceNginxMain: -c, -p; nginx's default without one) and its includes
 * followed (sites-enabled/*, conf.d/*.conf, and theirs; a relative one under the main file's directory, as nginx
 * reads it), each file known by device and inode, so a link in sites-enabled to the file is the file. A copy, and
 * a link to advise, are only Debian's: NAME in the sites-enabled beside sites-available/NAME (another file of that
 * name elsewhere is another file). Nothing for a site when its main configuration is not under the root (no nginx
 * here: nothing to say; but a -c of the unit naming one that is not there, or a directory, is said: nginx exits at start), cannot be
 * told (a command that does not serve) or read, or an include could not be read (then a file it may reach cannot
 * be said absent); the reason, when it cannot be told as a variable of the command may come from an EnvironmentFile=
 * that cannot be read.
 */
function readNginxLoads(
  atOf: (service: Service) => ReadRoot,
  services: readonly Service[],
  units: ReadonlyMap<string, UnitFacts>,
  configsOf: (service: Service) => ReadonlyMap<string, ConfigFileFacts>,
): { loads: Map<string, Map<string, NginxLoad>>; configs: Map<string, NginxConfigFacts> } {
  // By service: each unit's nginx is a process of its own (its -c, -p, -g, RootDirectory=, what it hides), whose
  // answer is its own, never the last one read for a site or a main configuration of that path.
  const loadsOf = new Map<string, Map<string, NginxLoad>>();
  const nginxConfigs = new Map<string, NginxConfigFacts>();
  // As readIncludes bounds a site's includes: at most so many files and so much text in all (a glob over large
  // files must not be read whole, time after time); past either, what they may reach is not said absent.
  const budget = { files: MAX_INCLUDED_FILES, text: MAX_INCLUDED_TEXT };
  // Each main configuration followed once, however many services' units name it.
  const trees = new Map<string, NginxTree | { unread: string } | { problem: string } | undefined>();
  const hosts = new Map<string, ReadonlySet<string> | 'unread'>();
  for (const service of services) {
    const sites = service.configs.filter((ref) => ref.kind === 'nginx-site' && configsOf(service).get(ref.path)?.text !== undefined).map((ref) => ref.path);
    if (sites.length === 0) continue;
    const loads = new Map<string, NginxLoad>();
    loadsOf.set(service.id, loads);
    const main = serviceNginxMain({ units }, service);
    const at = atOf(service);
    if ('unknown' in main && main.doubt !== undefined)
      for (const site of sites) loads.set(site, { doubt: main.doubt.reason, at: main.doubt.at, ...(main.doubt.fix !== undefined && { fix: main.doubt.fix }) });
    if ('unknown' in main) continue;
    if ('refused' in main) {
      for (const site of sites) loads.set(site, main);
      continue;
    }
    const key = JSON.stringify([main.path, main.confPrefix, main.params, main.root, readRootKey(at)]);
    if (!trees.has(key)) trees.set(key, readNginxTree(at, main, budget));
    const tree = trees.get(key);
    // Named with the unit line that gave it where it is not nginx's default (that file is the one to test with nginx -t -c).
    const named =
      main.at === undefined
        ? undefined
        : {
            path: main.path,
            ...(main.prefix !== undefined && { prefix: main.prefix }),
            at: main.at,
            ...(main.option && { option: main.option }),
            ...(main.root !== undefined && { root: main.root }),
          };
    if (tree !== undefined && 'unread' in tree && named !== undefined) for (const site of sites) loads.set(site, { mainMissing: named, reason: tree.unread });
    // There, but not to be read by this check (permission denied): said, as any configuration file it cannot read is.
    if (tree !== undefined && 'problem' in tree)
      for (const site of sites) loads.set(site, { mainUnread: { path: main.path, ...(main.at !== undefined && { at: main.at }) }, reason: tree.problem });
    if (tree === undefined || 'unread' in tree || 'problem' in tree) continue;
    // Chrooted, nginx resolves a host name with the /etc/hosts inside its RootDirectory=.
    const hostsFile = main.root === undefined ? '/etc/hosts' : underRoot(main.root, '/etc/hosts');
    // Keyed by the file as the root names it, and the daemon's root (what its unit hides from it).
    const hostsKey = JSON.stringify([hostsFile, readRootKey(at)]);
    if (!hosts.has(hostsKey)) hosts.set(hostsKey, readHostNames(at, hostsFile));
    const names = hosts.get(hostsKey)!;
    nginxConfigs.set(service.id, { text: tree.text, includes: tree.includes, ...(names !== 'unread' && { hosts: names }) });
    if (tree.loop !== undefined) {
      for (const site of sites) loads.set(site, { includeLoop: tree.loop, ...(named !== undefined && { main: named }) });
      continue;
    }
    for (const site of sites) {
      const load = siteLoad(at, site, tree, configsOf(service).get(site)?.text);
      if (load !== undefined) loads.set(site, 'loaded' in load || named === undefined ? load : { ...load, main: named });
    }
  }
  for (const [id, loads] of loadsOf) if (loads.size === 0) loadsOf.delete(id);
  return { loads: loadsOf, configs: nginxConfigs };
}

/** The files nginx reads from its main configuration (by device and inode), the include globs among them, and whether every include could be read. */
interface NginxTree {
  /** The main file's text, and what each include pattern of the files read names. */
  readonly text: string;
  readonly includes: ReadonlyMap<string, IncludeFacts>;
  readonly loaded: ReadonlyMap<string, { readonly path: string; readonly text: string }>;
  readonly globs: readonly string[];
  readonly complete: boolean;
  /** The first include loop met: nginx does not start with it. */
  readonly loop?: NginxIncludeLoop;
}

/**
 * The files nginx reads from `main` under the root (its -g directives' includes too), within `budget`, which it
 * spends; `unread`, why, when nginx cannot read the main file either: it is not there, or is no regular file (a
 * directory: nginx's pread() fails, "Is a directory"); `problem`, why this check cannot read it (permission denied),
 * where nginx, started as root, may.
 */
function readNginxTree(
  at: ReadRoot,
  main: { readonly path: string; readonly confPrefix: string; readonly params?: string; readonly root?: string },
  budget: { files: number; text: number },
): NginxTree | { unread: string } | { problem: string } {
  const read = readFileFacts(at, main.path);
  if (read.missing) return { unread: NOT_THERE };
  if (read.notRegular) return { unread: `is no file nginx can read (${read.problem})` };
  if (read.text === undefined) return { problem: read.problem ?? 'not read' };
  const loaded = new Map<string, { path: string; text: string }>();
  const mainId = fileIdentity(at, main.path);
  if (mainId !== undefined) loaded.set(mainId, { path: main.path, text: read.text });
  const globs: string[] = [];
  const includes = new Map<string, IncludeFacts>();
  let complete = true;
  let loop: NginxIncludeLoop | undefined;
  // Each include line's pattern read once (as readIncludes does): a snippet included in twenty server blocks spends
  // the budget once; its files (by identity) are kept, to hold each later include of it to the files being read.
  const followed = new Map<string, readonly { id: string | undefined; path: string; text: string }[]>();
  // The files being read, the main configuration first (by identity, with their paths): one included again is a loop.
  const chain: { id: string | undefined; path: string }[] = [{ id: mainId, path: main.path }];
  const follow = (text: string, file: string | undefined, depth: number): void => {
    for (const { pattern, line } of nginxIncludes(text, main.confPrefix, main.root)) {
      let files = followed.get(pattern);
      if (files === undefined) {
        const found = depth >= MAX_INCLUDE_DEPTH ? { problem: 'too deep' } : readInclude(at, pattern, budget.files, budget.text);
        includes.set(pattern, found);
        files = 'files' in found ? found.files.map((each) => ({ id: fileIdentity(at, each.path), path: each.path, text: each.text })) : [];
        followed.set(pattern, files);
        if (!('files' in found)) {
          complete = false;
          continue;
        }
        if (isGlob(pattern)) globs.push(pattern);
        budget.files -= found.files.length;
        for (const each of found.files) budget.text -= each.text.length;
      }
      for (const each of files) {
        // nginx reads an included file whole, wherever it is included: one of the files being read recurses for ever.
        const again = each.id === undefined ? -1 : chain.findIndex((open) => open.id === each.id);
        if (again >= 0) {
          // -g's directives are in no file: its include's place is the unit's command (said with the main file).
          loop ??= { at: { file: file ?? main.path, line: file === undefined ? 0 : line }, files: [...chain.slice(again), each].map((open) => open.path) };
          continue;
        }
        if (each.id === undefined || loaded.has(each.id)) continue;
        loaded.set(each.id, { path: each.path, text: each.text });
        chain.push(each);
        follow(each.text, each.path, depth + 1);
        chain.pop();
      }
    }
  };
  // -g's directives are read (in the main context) before the file: an include there loads its files as well.
  if (main.params !== undefined) follow(main.params, undefined, 0);
  follow(read.text, main.path, 0);
  return { text: read.text, includes, loaded, globs, complete, ...(loop !== undefined && { loop }) };
}

/**
 * Whether nginx, reading `tree`, loads `site` (whose text is `text`): loaded, a copy of it in the sites-enabled beside
 * its sites-available, or absent (with the link to advise); undefined when that cannot be said.
 */
function siteLoad(
  at: ReadRoot,
  site: string,
  tree: NginxTree,
  text: string | undefined,
): { loaded: true; as: string } | { copy: string; differs: boolean } | { absent: true; link?: string } | undefined {
  const { loaded, globs, complete } = tree;
  const id = fileIdentity(at, site);
  if (id !== undefined && loaded.has(id)) return { loaded: true, as: loaded.get(id)!.path };
  const slash = site.lastIndexOf('/');
  const name = site.slice(slash + 1);
  const dir = site.slice(0, slash + 1);
  const enabledDir = dir.endsWith('/sites-available/') ? `${dir.slice(0, -'sites-available/'.length)}sites-enabled/` : undefined;
  const copy = enabledDir === undefined ? undefined : [...loaded.values()].find((file) => file.path === `${enabledDir}${name}`);
  if (copy !== undefined) return { copy: copy.path, differs: copy.text !== text };
  if (!complete || id === undefined) return undefined;
  // The link to make: Debian's, in the sites-enabled beside sites-available, where an include's glob reads it
  // under this name and nothing is there yet. Not any directory a glob reads: modules-enabled/*.conf is read
  // outside http {} (load_module lines), Red Hat's default.d/*.conf inside a server {}; a server there fails nginx -t.
  const enabledName = enabledDir === undefined ? undefined : `${enabledDir}${name}`;
  const link =
    enabledName !== undefined &&
    globs.some((glob) => cGlobMatchesPath(glob, enabledName)) &&
    fileIdentity(at, enabledDir!.slice(0, -1)) !== undefined &&
    !anythingAt(at, enabledName)
      ? enabledName
      : undefined;
  return { absent: true, ...(link !== undefined && { link }) };
}

/**
 * The files Prometheus's command line names (its --config.file, resolved, or the default; its unit's
 * EnvironmentFile= list) and the registry's prometheus files they are held to, when any of their paths differ
 * (daemonFiles); none for a service whose command line is not known.
 */
function prometheusFilePaths(
  services: readonly Service[],
  units: ReadonlyMap<string, UnitFacts>,
  prometheusArgFiles: ReadonlyMap<string, ArgFile>,
  atOf: (service: Service) => ReadRoot,
): DaemonPath[] {
  return services.flatMap((service) => {
    const registry = service.configs.filter((ref) => ref.kind === 'prometheus-yml' || ref.kind === 'prometheus-args').map((ref) => ref.path);
    const command = registry.length > 0 ? prometheusCommand({ units, prometheusArgFiles }, service) : undefined;
    if (command === undefined) return [];
    const named = [commandConfigFile(command)?.path, ...command.environmentFiles.map((file) => file.path)].filter((path) => path !== undefined);
    return named.every((path) => registry.includes(path)) ? [] : [...registry, ...named].map((path) => ({ path, at: atOf(service) }));
  });
}

/**
 * prometheusArgFiles: the files the `@file` arguments of each Prometheus's command line name (prometheusArgFileNeeded,
 * nested ones as their lines name them), read under the root, once each.
 */
function readPrometheusArgFiles(
  atOf: (service: Service) => ReadRoot,
  services: readonly Service[],
  units: ReadonlyMap<string, UnitFacts>,
): Map<string, ArgFile> {
  const files = new SharedReadings<ArgFile>((path, problem) => ({ path, problem }));
  for (const service of services) {
    if (!service.configs.some((ref) => ref.kind === 'prometheus-yml' || ref.kind === 'prometheus-args')) continue;
    const at = atOf(service);
    // The files this service's command line has read, as its root reads them (another's may be another file by that name).
    const read = new Map<string, ArgFile>();
    // expandAtFiles stops after MAX_AT_FILES expansions: so does this.
    for (let path = prometheusArgFileNeeded({ units }, service, read); path !== undefined; path = prometheusArgFileNeeded({ units }, service, read)) {
      const found = path;
      read.set(path, files.read(path, at, service.systemd?.unit, () => readFileFacts(at, found)).value);
    }
  }
  return files.values;
}

/** Whether anything is at `name` in the directory `dir` (lstat: a link, even a dangling one, is there). */
function isNamedIn(at: ReadRoot, dir: string, name: string): boolean {
  try {
    lstatSync(fileSystemPath(join(readPath(at, dir), name)));
    return true;
  } catch {
    return false;
  }
}

/** Whether `name` in the directory `dir` under `root` is a link (its directory's links followed, not its own). */
function isLinkIn(at: ReadRoot, dir: string, name: string): boolean {
  try {
    return lstatSync(fileSystemPath(join(readPath(at, dir), name))).isSymbolicLink();
  } catch {
    return false;
  }
}

/** The files Grafana's command line leads to (grafanaPaths), for each service whose port is in grafana.ini, and that grafana.ini (daemonFiles). */
function grafanaFilePaths(services: readonly Service[], units: ReadonlyMap<string, UnitFacts>, atOf: (service: Service) => ReadRoot): DaemonPath[] {
  return services.flatMap((service) => {
    const wanted = configKey(service);
    const command = wanted?.ini === 'grafana.ini' ? grafanaCommand({ units }, service) : undefined;
    return wanted === undefined || command === undefined ? [] : [wanted.file, ...grafanaPaths(command)].map((path) => ({ path, at: atOf(service) }));
  });
}

/**
 * grafanaFiles: for each service whose port is in grafana.ini, the layers Grafana reads under it, read under the root:
 * its homepath's conf/defaults.ini (when the homepath is known and the file there), and the config file it reads
 * when that is another than the registry's (its --config, or its homepath's conf/custom.ini), whose keys then count.
 */
function readGrafanaFiles(
  atOf: (service: Service) => ReadRoot,
  services: readonly Service[],
  units: ReadonlyMap<string, UnitFacts>,
  daemonFiles: ReadonlyMap<string, DaemonFile | undefined>,
  configsOf: (service: Service) => ReadonlyMap<string, ConfigFileFacts>,
): Map<string, ConfigFileFacts> {
  const files = new SharedReadings<ConfigFileFacts>((path, problem) => ({ path, problem }));
  for (const service of services) {
    const wanted = configKey(service);
    const command = wanted?.ini === 'grafana.ini' ? grafanaCommand({ units }, service) : undefined;
    if (command === undefined) continue;
    const at = atOf(service);
    const home = grafanaHome(command, daemonFiles);
    const defaults = home === undefined ? undefined : pathFromCwd('conf/defaults.ini', home);
    const reads = grafanaConfigFile(command, daemonFiles)?.path;
    for (const path of [defaults, reads]) {
      // Not there: no layer (a missing defaults.ini or --config file is its own finding, a missing custom.ini none).
      if (path === undefined || !path.startsWith('/') || configsOf(service).has(path) || daemonFiles.get(path)?.missing) continue;
      files.read(path, at, service.systemd?.unit, () => readConfigFile(at, path));
    }
  }
  return files.values;
}

/**
 * grafanaValueFiles: the files a `$__file{PATH}` names in the [server] keys the config check reads (its port key, GRAFANA_SERVER_KEYS), in
 * each layer Grafana builds them from (the INI files read, its unit's GF_SERVER_ variables, its command line's cfg:
 * words), read under the root, once each: Grafana puts the file's contents in the value.
 */
function readGrafanaValueFiles(
  atOf: (service: Service) => ReadRoot,
  services: readonly Service[],
  units: ReadonlyMap<string, UnitFacts>,
  configsOf: (service: Service) => ReadonlyMap<string, ConfigFileFacts>,
  grafanaFiles: ReadonlyMap<string, ConfigFileFacts>,
): Map<string, ConfigFileFacts & { missing?: boolean }> {
  const files = new SharedReadings<ConfigFileFacts & { missing?: boolean }>((path, problem) => ({ path, problem }));
  for (const service of services) {
    const wanted = configKey(service);
    if (wanted?.ini !== 'grafana.ini') continue;
    const at = atOf(service);
    // Its grafana.ini, and the layers its command line leads to (grafanaFiles: Grafana's alone).
    const texts = [configsOf(service).get(wanted.file), ...grafanaFiles.values()].flatMap((file) => (file?.text === undefined ? [] : [file.text]));
    const environment = (service.systemd && units.get(service.systemd.unit)?.environment) || new Map<string, EnvironmentSetting>();
    const command = grafanaCommand({ units }, service);
    const valuesOf = (section: string, key: string): string[] => [
      ...texts.flatMap((text) => {
        const found = goIniSetting(text, key, section);
        return found !== undefined && 'value' in found ? [found.value] : [];
      }),
      ...[
        environment.get(envOverrideOf('GF_', section, key))?.value,
        command?.properties.get(`${section}.${key}`),
        command?.properties.get(`default.${section}.${key}`),
      ].filter((value) => value !== undefined),
    ];
    const values = [wanted.key, ...GRAFANA_SERVER_KEYS].flatMap((key) => valuesOf('server', key));
    // And the keys a `%(NAME)s` in them names (go-ini fills them in, [server]'s or DEFAULT's: config-setting.ts's filledIn), as many as it fills in.
    const named = new Set<string>();
    for (let index = 0; index < values.length && named.size < 99; index++)
      for (const [, name] of values[index]!.matchAll(/%\(([^)]+)\)s/g))
        if (!named.has(name!) && named.size < 99) {
          named.add(name!);
          values.push(...valuesOf('server', name!), ...valuesOf(DEFAULT_SECTION, name!));
        }
    for (const value of values)
      for (const path of filePaths(value, (name) => environment.get(name)?.value ?? ''))
        files.read(path, at, service.systemd?.unit, () => {
          const { notRegular: _, ...read } = readFileFacts(at, path);
          return read;
        });
  }
  return files.values;
}

/** appServerFiles: the config file each service's gunicorn reads (gunicornConfigPath), read under the root, once. */
function readAppServerFiles(
  atOf: (service: Service) => ReadRoot,
  services: readonly Service[],
  units: ReadonlyMap<string, UnitFacts>,
): Map<string, ConfigFileFacts & { missing?: boolean }> {
  const files = new SharedReadings<ConfigFileFacts & { missing?: boolean }>((path, problem) => ({ path, problem }));
  for (const service of services) {
    const path = gunicornConfigPath({ units }, service);
    if (path === undefined) continue;
    const at = atOf(service);
    files.read(path, at, service.systemd?.unit, () => {
      const { notRegular: _, ...read } = readFileFacts(at, path);
      return read;
    });
  }
  return files.values;
}

/** prometheusVersions: by unit, the version of the Prometheus each service's unit runs (readDpkgVersion), where it has a prometheus.yml that could be read. */
function readPrometheusVersions(
  root: string,
  services: readonly Service[],
  units: ReadonlyMap<string, UnitFacts>,
  configsOf: (service: Service) => ReadonlyMap<string, ConfigFileFacts>,
  dpkgReads: DpkgReads,
): Map<string, PrometheusVersion> {
  const versions = new Map<string, PrometheusVersion>();
  for (const service of services) {
    // Every prometheus.yml is held to the version that reads it: scrape_config_files (versionFindings), and the fields
    // of its structs (prometheus-fields.ts).
    if (!service.configs.some((ref) => ref.kind === 'prometheus-yml' && configsOf(service).get(ref.path)?.text !== undefined)) continue;
    const command = daemonCommand({ units }, service, CONFIG_KINDS['prometheus-yml'].programs);
    if (command === undefined || versions.has(command.unit) || command.rootUnknown !== undefined) continue;
    const executable = command.line.path.startsWith('/') ? commandPath(command, command.line.path) : undefined;
    if (executable === undefined) continue;
    versions.set(command.unit, readDpkgVersion(root, executable, PROMETHEUS_PACKAGES, dpkgReads, command.root));
  }
  return versions;
}

/**
 * redisVersions: by unit, the version of the Redis each service with a redis-conf entry runs (readDpkgVersion), whose
 * directive names the references check holds its lines to; only where a line may name one a Redis does not know
 * (redisMayNameUnknown): else the version changes no verdict, and dpkg's status file is not read.
 */
function readRedisVersions(
  root: string,
  services: readonly Service[],
  facts: Pick<Facts, 'units' | 'daemonFiles'>,
  configsOf: (service: Service) => ReadonlyMap<string, ConfigFileFacts>,
  includes: ReadonlyMap<string, IncludeFacts>,
  dpkgReads: DpkgReads,
): Map<string, RedisVersion> {
  const versions = new Map<string, RedisVersion>();
  for (const service of services) {
    if (!service.configs.some((ref) => ref.kind === 'redis-conf')) continue;
    const command = daemonCommand(facts, service, REDIS_PROGRAMS);
    if (command === undefined || versions.has(command.unit) || command.rootUnknown !== undefined) continue;
    const executable = command.line.path.startsWith('/') ? commandPath(command, command.line.path) : undefined;
    if (executable === undefined || !redisMayNameUnknown(service, facts, configsOf, includes, command.root)) continue;
    versions.set(command.unit, readDpkgVersion(root, executable, REDIS_PACKAGES, dpkgReads, command.root));
  }
  return versions;
}

/**
 * Whether a line the references check reads for `service`'s Redis may name a directive a Redis does not know
 * (mayNameUnknownDirective): of its redis-conf files, the files they include as gather read them (`includes`; one not
 * read is not judged), and the options its unit's command line gives (redisStart, as the check expands them).
 */
function redisMayNameUnknown(
  service: Service,
  facts: Pick<Facts, 'units' | 'daemonFiles'>,
  configsOf: (service: Service) => ReadonlyMap<string, ConfigFileFacts>,
  includes: ReadonlyMap<string, IncludeFacts>,
  chroot: string | undefined,
): boolean {
  const judged = new Set<string>();
  // Each included file once: its text is the same wherever it is included.
  const mayName = (text: string): boolean => {
    if (redisLines(text).some((line) => mayNameUnknownDirective(line.text))) return true;
    for (const pattern of includePatterns('redis-conf', text, undefined, chroot)) {
      if (judged.has(pattern)) continue;
      judged.add(pattern);
      const found = includes.get(pattern);
      if (found !== undefined && 'files' in found && found.files.some((file) => mayName(file.text))) return true;
    }
    return false;
  };
  return service.configs.some((ref) => {
    if (ref.kind !== 'redis-conf') return false;
    const text = configsOf(service).get(ref.path)?.text;
    if (text !== undefined && mayName(text)) return true;
    const options = redisStart(facts, service, ref, REDIS_PROGRAMS)?.options ?? [];
    // As the check reads an option: trimmed, and nothing when that leaves it empty or a comment.
    const lines = options.map((option) => redisTrim(option.text)).filter((line) => line !== '' && !line.startsWith('#'));
    return lines.some(mayNameUnknownDirective) || mayName(lines.join('\n'));
  });
}

/** uvicornInstalls: by unit, the uvicorn each service's uvicorn command imports (uvicornLaunch), where its version can be read under the root. */
function readUvicornInstalls(root: string, services: readonly Service[], units: ReadonlyMap<string, UnitFacts>): Map<string, InstalledUvicorn> {
  const installs = new Map<string, InstalledUvicorn>();
  for (const service of services) {
    const launch = uvicornLaunch({ units }, service);
    const unit = service.systemd?.unit;
    if (launch === undefined || unit === undefined || installs.has(unit)) continue;
    const installed = readInstalledUvicorn(root, launch);
    if (installed !== undefined) installs.set(unit, installed);
  }
  return installs;
}

/**
 * daemonFiles: each of `paths` (absolute ones; a relative one is not known here) looked at under the root, once:
 * which file it is (device and inode, links followed), whether it is an ELF executable, or that nothing is there.
 */
function readDaemonFiles(paths: readonly DaemonPath[]): Map<string, DaemonFile | undefined> {
  const files = new Map<string, DaemonFile | undefined>();
  const byPath = new Map<string, ReadRoot[]>();
  for (const { path, at } of paths) if (path.startsWith('/')) byPath.set(path, [...(byPath.get(path) ?? []), at]);
  // Two daemons that open different files by one name: neither is known to be the file (undefined, as one not looked at).
  for (const [path, ats] of byPath) {
    const at = sharedReadRoot(ats, path);
    files.set(path, 'split' in at ? undefined : lookAtFile(at, path));
  }
  return files;
}

/** A file a daemon's command leads to, and the root that daemon reads it through (daemonRoot). */
interface DaemonPath {
  readonly path: string;
  readonly at: ReadRoot;
}

/** The first bytes of an ELF file: a program, where a wrapper script starts `#!`. */

/**
 * A file under `root` (links followed): its device and inode, and whether it is an ELF executable; `missing` when
 * nothing is there; undefined when it cannot be looked at (a directory on its path this check may not search).
 */
function lookAtFile(at: ReadRoot, path: string): DaemonFile | undefined {
  let id: string;
  try {
    const info = statSync(readPath(at, path));
    id = `${info.dev}:${info.ino}`;
    if (!info.isFile()) return { id, elf: false };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code === 'ENOENT' || code === 'ENOTDIR' ? { missing: true } : undefined;
  }
  try {
    // Four bytes, without waiting: a FIFO put in its place meanwhile is not waited on.
    const fd = openSync(readPath(at, path), constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
    try {
      const head = Buffer.alloc(4);
      return { id, elf: isElfHead(head.subarray(0, readSync(fd, head, 0, 4, 0))) };
    } finally {
      closeSync(fd);
    }
  } catch {
    // There, but not readable: not known to be the program.
    return { id, elf: false };
  }
}

/** A file's device and inode under `root` (links followed), or undefined when it cannot be looked at. */
function fileIdentity(at: ReadRoot, path: string): string | undefined {
  try {
    const info = statSync(fileSystemPath(readPath(at, path)));
    return `${info.dev}:${info.ino}`;
  } catch {
    return undefined;
  }
}

/** Why the directory `dir` could not be listed (readdirSync's `error`, through readPath). */
function cannotList(dir: string, error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  return `cannot list ${dir}: ${error instanceof FileReadError ? error.reason : error instanceof HiddenPathError ? error.message : code === 'EACCES' ? 'permission denied' : (code ?? (error as Error).message)}`;
}

/**
 * The files one include names: a path, or a glob (in name order, as glob() gives them; none matching is none). A glob
 * in a directory part too: nginx (ngx_open_glob) and Redis 7 (loadServerConfig) hand the whole path to glob(3).
 */
function readInclude(at: ReadRoot, pattern: string, budget: number, textLeft = MAX_INCLUDED_TEXT, kind: ConfigKind = 'nginx-site'): IncludeFacts {
  if (!pattern.startsWith('/')) return { problem: "a relative path (read from the program's working directory, which this check does not know)" };
  let paths = [pattern];
  if (isGlob(pattern)) {
    const globbed = cGlobPaths(at, pattern, budget);
    if ('problem' in globbed) return globbed;
    paths = globbed.paths;
  }
  if (paths.length > budget) return { problem: `it names more files than the ${MAX_INCLUDED_FILES} read for includes` };
  const files: { path: string; text: string }[] = [];
  let left = textLeft;
  for (const path of paths) {
    const read = readFileFacts(at, path);
    // One file named, not there: nginx and Redis refuse the include; so they do a link a glob matched whose file is not
    // there (nginx 1.22 -t: `open() "/etc/nginx/modules-enabled/50-mod.conf" failed (2: No such file or directory)`).
    // A file that matched a glob and went since is only unread.
    if (
      read.text === undefined &&
      read.missing &&
      (path === pattern || isLinkIn(at, path.slice(0, path.lastIndexOf('/') + 1), path.slice(path.lastIndexOf('/') + 1)))
    )
      return { problem: `${path === pattern ? '' : `${path}: `}${read.problem ?? 'no such file'}`, missing: true };
    // A loop of links (a name in a glob's directory too): nginx's open() fails and it refuses the configuration
    // (nginx 1.22 -t: `open() ".../sites-enabled/l" failed (40: Too many levels of symbolic links)`).
    if (kind === 'nginx-site' && read.text === undefined && read.linkLoop === true)
      return { problem: `${path === pattern ? '' : `${path}: `}${read.problem ?? 'a loop of symbolic links'}`, missing: true, linkLoop: true };
    if (kind === 'redis-conf' && read.text === undefined) {
      // Redis fopen()s each file and exits when it cannot ("Fatal error, can't open config file ...: Too many levels of
      // symbolic links"); a directory it opens, and reads nothing from (fgets fails): an empty file. Checked with 7.0.15.
      if (read.linkLoop === true) return { problem: read.problem ?? 'too many levels of symbolic links', missing: true };
      if (read.notRegular === true && isDirectory(at, path)) {
        files.push({ path, text: '' });
        continue;
      }
    }
    // A directory named, or matched by a glob: nginx opens it and fails to read it (nginx 1.22 -t: `pread() "..." failed (21: Is a directory)`).
    if (kind === 'nginx-site' && read.text === undefined && read.notRegular === true && isDirectory(at, path))
      return { problem: `${path === pattern ? '' : `${path}: `}a directory, not a file`, missing: true, directory: true };
    if (read.text === undefined) return { problem: `${path === pattern ? '' : `${path}: `}${read.problem ?? 'not read'}` };
    left -= read.text.length;
    if (left < 0) return { problem: `its files and those read before come to more than the ${MAX_INCLUDED_TEXT / 1048576} MiB read for includes` };
    // Its identity, by which an include of it under another name (a link, `..`) is known to be a file being read.
    const id = fileIdentity(at, path);
    files.push({ path, text: read.text, ...(id !== undefined && { id }) });
  }
  return { files };
}

/** At most this many directories are listed for one include glob's directory parts. */
const MAX_GLOB_DIRECTORIES = 4096;

/**
 * At most this many names are read from directories for one include glob, all its parts together: few directories
 * kept may still list many names each (a `d/*` that reaches a few links to `.` in a `d` of thousands of files).
 */
const MAX_GLOB_NAMES = 65_536;

/**
 * The paths glob(3) gives for the absolute `pattern`, as nginx and Redis call it (no flags, the C locale), under the
 * root: each part with a pattern in it (isPatternPart) matched against the names of every directory reached so far,
 * any other taken as its name, the last one only if something is there (lstat: a dangling link too, which the
 * daemon then fails to open); sorted by bytes, the whole path (strcmp: `conf.d-x/a.conf` before `conf.d/a.conf`).
 * A directory not there, or no directory, matches nothing, as glob(3) skips it; one this check may not list is a
 * problem (the daemon, as root, may list it). The directories and names are counted as they are listed, and a glob
 * that reaches more is a problem at once, so that any glob costs bounded time and memory.
 */
function cGlobPaths(at: ReadRoot, pattern: string, budget: number): { paths: string[] } | { problem: string } {
  const split = pattern.split('/').slice(1);
  // glibc drops a `\` that ends a directory part (`conf\/*.conf` is `conf/*.conf`), unless a `\` escapes it.
  const dropped = split.map((part, index) => (index < split.length - 1 ? directoryPart(part) : part));
  // A pattern ending in `/`: glob(3) globs it without the slash, marking directories with one; of the names the last
  // part's pattern matched only directories are kept (`/etc/*/`), and a last part without one is kept if anything is there.
  const marked = dropped.length > 1 && dropped.at(-1) === '';
  const parts = marked ? dropped.slice(0, dropped.findLastIndex((part) => part !== '') + 1) : dropped;
  let reached = [''];
  let namesLeft = MAX_GLOB_NAMES;
  for (const [index, part] of parts.entries()) {
    const last = index === parts.length - 1;
    if (!isPatternPart(part)) {
      const name = unescapedPart(part);
      reached = reached.filter((dir) => !last || isNamedIn(at, dir || '/', name)).map((dir) => `${dir}/${name}`);
      if (last && marked) reached = reached.map((path) => (isDirectory(at, path) ? `${path}/` : path));
      continue;
    }
    const limit = last ? budget : MAX_GLOB_DIRECTORIES;
    const next: string[] = [];
    for (const dir of reached) {
      const listed = listNames(at, dir || '/', namesLeft);
      if ('problem' in listed) return listed;
      namesLeft -= listed.names.length;
      // Names as bytes: one that is not UTF-8 (`x\xff.conf`) is kept as U+DC80+byte, so it is opened as itself.
      for (const matched of cGlobMatches(part, listed.names)) {
        const path = `${dir}/${decodeKeepingBadBytes(matched)}`;
        if (last && marked && !isDirectory(at, path)) continue;
        // A directory part may reach many directories (`/etc/*/x.conf`) where few files match: bounded apart from the files.
        if (next.length === limit)
          return {
            problem: last
              ? `it names more files than the ${MAX_INCLUDED_FILES} read for includes`
              : `its directory parts reach more than the ${MAX_GLOB_DIRECTORIES} directories listed for an include`,
          };
        next.push(last && marked ? `${path}/` : path);
      }
    }
    reached = next;
  }
  return { paths: reached.sort((one, other) => Buffer.compare(nameBytes(one), nameBytes(other))) };
}

/**
 * The names in the directory `dir` (none when it is not there or no directory, as glob(3) skips it), read one by one
 * so that a directory holding more than `left` names is a problem before they are all held.
 */
function listNames(at: ReadRoot, dir: string, left: number): { names: Buffer[] } | { problem: string } {
  let listing: Dir;
  try {
    // Names as bytes (Node gives Buffers for 'buffer', which its types leave out for opendir).
    listing = opendirSync(fileSystemPath(readPath(at, dir)), { encoding: 'buffer' as BufferEncoding, bufferSize: 256 });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return { names: [] };
    return { problem: cannotList(dir.endsWith('/') ? dir : `${dir}/`, error) };
  }
  const names: Buffer[] = [];
  try {
    for (let entry = listing.readSync(); entry !== null; entry = listing.readSync()) {
      if (names.length === left) return { problem: `its directories hold more than the ${MAX_GLOB_NAMES} names read for an include glob` };
      names.push(entry.name as unknown as Buffer);
    }
  } catch (error) {
    return { problem: cannotList(dir.endsWith('/') ? dir : `${dir}/`, error) };
  } finally {
    listing.closeSync();
  }
  return { names };
}

/**
 * The files the services' prometheus.yml makes Prometheus read for the
 * registry's scrape jobs: its scrape_config_files, and the file_sd files of
 * those jobs (in prometheus.yml or a scrape config file), by resolved glob,
 * at most MAX_INCLUDED_FILES. Nothing at all for a prometheus.yml without them.
 */
function readPrometheusFiles(
  atOf: (service: Service) => ReadRoot,
  registry: Registry,
  services: readonly Service[],
  configsOf: (service: Service) => ReadonlyMap<string, ConfigFileFacts>,
): Map<string, PrometheusFileFacts> {
  const files = new SharedReadings<PrometheusFileFacts>(
    (_, problem) => ({ problem }),
    (pattern, found) => globNames(pattern, found),
  );
  const refs = services.flatMap((service) =>
    service.configs.filter((ref) => ref.kind === 'prometheus-yml').map((ref) => ({ ref, service, at: atOf(service), unit: service.systemd?.unit })),
  );
  if (refs.length === 0) return files.values;
  const jobs = new Set(registry.services.flatMap((service) => (service.metrics === undefined ? [] : [scrapeJobName(service.id)])));
  let budget = MAX_INCLUDED_FILES;
  const follow = (at: ReadRoot, unit: string | undefined, text: string, path: string, scrapeConfigFile: boolean): void => {
    for (const { pattern, scrapeConfigs } of prometheusFilePatterns(text, path, jobs, scrapeConfigFile)) {
      const { value: found, state } = files.read(pattern, at, unit, () => readGoGlob(at, pattern, budget));
      if (state === 'seen' || !('files' in found)) continue;
      if (state === 'read') budget -= found.files.length;
      if (scrapeConfigs) for (const file of found.files) if ('text' in file) follow(at, unit, file.text, file.path, true);
    }
  };
  for (const { ref, service, at, unit } of refs) {
    const text = configsOf(service).get(ref.path)?.text;
    if (text !== undefined) follow(at, unit, text, ref.path, false);
  }
  return files.values;
}

/**
 * The files an absolute glob names as Go's filepath.Glob expands it (a glob
 * in any part, `*` matching a leading dot; names in order within each
 * directory; none matching is none), read under the root. A directory it
 * cannot list is a problem, not nothing: Prometheus, as another user, may see
 * files there.
 */
function readGoGlob(at: ReadRoot, pattern: string, budget: number): PrometheusFileFacts {
  const parts = pattern.split('/').filter((part) => part !== '');
  let paths = [''];
  for (const part of parts) {
    if (!hasGoMeta(part)) {
      paths = paths.map((path) => `${path}/${part}`);
      continue;
    }
    const matcher = goGlobPart(part);
    if (typeof matcher === 'string') return { problem: matcher };
    const next: string[] = [];
    for (const dir of paths) {
      let names: string[];
      try {
        names = readdirSync(readPath(at, dir || '/'));
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'ENOENT' || code === 'ENOTDIR') continue;
        return { problem: cannotList(dir || '/', error) };
      }
      for (const name of names.sort()) if (matcher.test(name)) next.push(`${dir}/${name}`);
    }
    paths = next;
    if (paths.length > budget) return { problem: `it names more files than the ${MAX_INCLUDED_FILES} read for Prometheus's jobs` };
  }
  const files: PrometheusFile[] = [];
  for (const path of paths) {
    const read = readFileFacts(at, path);
    if (read.missing && !hasGoMeta(parts.at(-1) ?? '')) continue; // a last part without a glob that is not there matches nothing (a listed name that is not: a dangling link)
    // Each file on its own, as Prometheus's file discovery reads them: one that cannot be read hides none of the others.
    files.push(read.text !== undefined ? { path, text: read.text } : { path, problem: read.problem ?? 'not read' });
  }
  return { files };
}

/**
 * What readExecutable found for `command` in the absolute directories of the PATH env sets, as env's execvp looks it
 * up: `envPath` set; not found there while PATH has an empty or relative entry (the directory the service runs in,
 * not looked at), a problem (unknown), not "does not exist".
 */
function inEnvPath(found: ExecutableFacts, command: string, envPath: string): ExecutableFacts {
  const relative = envPath.split(':').find((dir) => !dir.startsWith('/'));
  if (found.exists || found.problem !== undefined || relative === undefined) return { ...found, envPath };
  return {
    ...found,
    envPath,
    problem: `env looks it up in PATH=${escapeText(envPath)}, and ${escapeText(command)} is in none of its absolute directories, but ${relative === '' ? 'an empty entry' : `the entry ${quoteValue(relative)}`} is the directory the service runs in, not looked at; write the directory's absolute path in PATH`,
  };
}

/**
 * readExecutable in the root the claim line runs in (claimRoot): `root` itself, the RootDirectory= inside it
 * (chroot follows links there as inside `root`), or, inside a RootImage=, not looked at (`problem`, an unknown).
 */
function readClaimExecutable(root: string, lineRoot: ClaimRoot, command: string, search: ExecSearch, searchPaths: readonly SearchPath[]): ExecutableFacts {
  if ('host' in lineRoot) return readExecutable(root, command, search, searchPaths);
  if ('unknown' in lineRoot)
    return {
      path: command,
      exists: false,
      executable: false,
      problem: `${lineRoot.unknown}; add RootDirectoryStartOnly=yes to [Service] to run it on the host's root`,
    };
  let inside: string;
  try {
    inside = hostPath(root, lineRoot.directory);
  } catch {
    inside = join(root, lineRoot.directory);
  }
  return { ...readExecutable(inside, command, search, searchPaths), rootDirectory: lineRoot };
}

/**
 * The file systemd runs for `command` under `root`, and whether it exists and
 * is executable; of one that is, what its #! line runs under each of
 * `searchPaths`. A bare name is looked up as systemd does (find_executable_full):
 * the first executable regular file in `search`'s directories; when none is,
 * the first file of that name at all, or a directory it could not look in (so
 * the check can say what is wrong); past the directories, an ExecSearchPath=
 * entry the model cannot resolve makes it a problem (it may be there); else
 * none (`exists: false`, with the directories searched, and those that are a
 * loop of symbolic links: systemd fails on ELOOP as on ENOENT).
 */
function readExecutable(root: string, command: string, search: ExecSearch, searchPaths: readonly SearchPath[]): ExecutableFacts {
  if (!isBareCommand(command)) {
    // Unreachable from a unit that loads (systemd refuses a relative path with a slash: loadUnit says so).
    if (!command.startsWith('/'))
      return { path: command, exists: false, executable: false, problem: 'it is neither an absolute path nor a command name without a slash' };
    return readExecutableAt(root, command, searchPaths);
  }
  let first: ExecutableFacts | undefined;
  const loops: { path: string; reason: string }[] = [];
  for (const dir of search.dirs) {
    const facts = { ...readExecutableAt(root, `${dir.replace(/\/+$/, '')}/${command}`, searchPaths), name: command, searched: search };
    // As systemd: a file there that cannot run, or a directory it cannot look in, is passed over.
    if (facts.exists && facts.executable && !facts.problem) return facts;
    if (first === undefined && (facts.exists || facts.problem)) first = facts;
    if (facts.loops) loops.push(...facts.loops);
  }
  const unresolved = unresolvedExecSearch(search);
  if (first === undefined && unresolved !== undefined)
    return {
      path: command,
      name: command,
      searched: search,
      exists: false,
      executable: false,
      problem: `cannot tell which file systemd runs: it is not in ${unresolved}; write ${escapeText(command)}'s absolute path in the unit`,
    };
  return first ?? { path: command, name: command, searched: search, exists: false, executable: false, ...(loops.length > 0 && { loops }) };
}

/** Whether `path` (absolute) exists and is executable under `root`; of one that is, what its #! line runs under each of `searchPaths`. */
function readExecutableAt(root: string, path: string, searchPaths: readonly SearchPath[]): ExecutableFacts {
  try {
    const info = statSync(hostPath(root, path));
    if (!info.isFile()) return { path, exists: true, executable: false, notRegular: true };
    const executable = (info.mode & 0o111) !== 0;
    if (!executable) return { path, exists: true, executable };
    const interpreters = new Map(searchPaths.map((searchPath) => [searchPath.value, readInterpreter(root, path, searchPath)]));
    const rootWritable = rootWritablePart(root, path, interpreters.values());
    return { path, exists: true, executable, interpreters, ...(rootWritable && { rootWritable }) };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return { path, exists: false, executable: false };
    const reason = error instanceof FileReadError ? error.reason : (code ?? (error as Error).message);
    // A loop inside the root is one on the machine booted from it (links are followed there as chroot does): systemd fails on it (ELOOP).
    if (code === 'ELOOP')
      return { path, exists: false, executable: false, loops: [{ path, reason: error instanceof FileReadError ? reason : 'a loop of symbolic links' }] };
    return { path, exists: false, executable: false, problem: `cannot look at it: ${reason}` };
  }
}

/**
 * The host names of the hosts file `path` (the root's /etc/hosts, or the one inside the RootDirectory= nginx runs chrooted in), in lower case (a file not there names none): what nginx resolves a pass's
 * host by before DNS. `unread` where it is there but cannot be read.
 */
function readHostNames(at: ReadRoot, path: string): ReadonlySet<string> | 'unread' {
  let text: string;
  try {
    text = decodeKeepingBadBytes(readFileBytes(readPath(at, path), { maxBytes: MAX_CONFIG_BYTES }));
  } catch (error) {
    return error instanceof FileReadError && error.kind === 'missing' ? new Set() : 'unread';
  }
  const names = new Set<string>();
  for (const line of text.split('\n')) {
    const words = line.replace(/#.*/, '').trim().split(/\s+/);
    for (const name of words.slice(1)) names.add(name.toLowerCase());
  }
  return names;
}

/**
 * By user name: its uid in the root's /etc/passwd (the first entry for the name, as getpwnam reads it); empty where
 * the file is missing or unreadable. No NSS: an LDAP or sssd account is in none, and a User= naming one resolves to no uid.
 */
function readAccounts(root: string): ReadonlyMap<string, number> {
  const accounts = new Map<string, number>();
  let text: string;
  try {
    text = decodeKeepingBadBytes(readFileBytes(hostPath(root, '/etc/passwd'), { maxBytes: MAX_CONFIG_BYTES }));
  } catch {
    return accounts;
  }
  for (const { name, uid } of passwdEntries(text)) if (!accounts.has(name)) accounts.set(name, uid);
  return accounts;
}
