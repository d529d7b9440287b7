// The shapes shared by gather (facts in), checks (results out) and the
// reports. Facts are plain data so that every check is a pure function that a
// test can feed with facts read from a real temp tree or a real listener.
import type { Registry, Service } from '@dsa110/ports';
import type { FirewallFacts } from './firewall/read.js';
import type { RouteLocalnetFacts } from './firewall/route-localnet.js';
import type { SystemctlUnit } from './systemd/systemctl.js';

export type Severity = 'ok' | 'info' | 'unknown' | 'warning' | 'error';

/** Severities from least to most serious; the verdict of a group is its worst member. */
export const SEVERITIES: readonly Severity[] = ['ok', 'info', 'unknown', 'warning', 'error'];

/** The severities that are problems, most serious first: what `--quiet` and `--output` show on stdout. */
export const PROBLEM_SEVERITIES: readonly Severity[] = ['error', 'warning', 'unknown'];

export function worst(severities: Iterable<Severity>): Severity {
  let rank = 0;
  for (const severity of severities) rank = Math.max(rank, SEVERITIES.indexOf(severity));
  return SEVERITIES[rank]!;
}

export type CheckId =
  | 'registry'
  | 'dependencies'
  | 'systemd'
  | 'config'
  | 'listening'
  | 'owner'
  | 'access'
  | 'firewall'
  | 'reserved'
  | 'kernel'
  | 'references'
  | 'unknown-listeners';

export const CHECK_IDS: readonly CheckId[] = [
  'registry',
  'dependencies',
  'systemd',
  'config',
  'listening',
  'owner',
  'access',
  'firewall',
  'reserved',
  'kernel',
  'references',
  'unknown-listeners',
];

export interface CheckResult {
  readonly check: CheckId;
  readonly severity: Severity;
  /** One line for people: names the port, the service and the process. */
  readonly reason: string;
  readonly service?: string;
  readonly port?: number;
  /**
   * Where the finding comes from, as written (not escaped): `FILE:LINE`, e.g.
   * `/etc/systemd/system/redis-server.service.d/claim-port.conf:2`; `FILE:LINE:COL` for a registry problem
   * (`ports.yaml:8:5`); the file alone for the file as a whole.
   */
  readonly file?: string;
  /** Processes involved (holders of the port), when the check is about them. */
  readonly processes?: readonly ProcessFacts[];
  /**
   * One problem several services share, each with a result of its own (its `service` label, its alert at its own
   * severity): the one line, naming them all, that the text report prints for every result with this same `sharedText`,
   * once. A claim-port several units run, missing its interpreter: `claim-port /usr/local/bin/claim-port (called by
   * grafana in FILE:4, redis in FILE:3) under R: its interpreter ...`.
   */
  readonly sharedText?: string;
}

// ---- facts ---------------------------------------------------------------

export interface ProcessFacts {
  readonly pid: number;
  /** The parent's PID (/proc/PID/stat; 0 for one whose parent is outside the PID namespace read): who a worker is a worker of. */
  readonly ppid?: number;
  readonly uid?: number;
  readonly user?: string;
  readonly comm?: string;
  readonly exe?: string;
  /** argv, split on NUL, without empty words at the end (as ps shows it: readProcessInfo). */
  readonly argv?: readonly string[];
  /** /proc/PID/stat's start time (clock ticks after boot): a parent starts before its child, so a PID reused between two reads is not taken for the parent. */
  readonly startTime?: number;
  /** Its cgroup path (/proc/PID/cgroup, systemd's hierarchy), in `Facts.lineage` only: the systemd unit that runs it. */
  readonly cgroup?: string;
}

/** One LISTEN socket from /proc/net/tcp{,6}. */
export interface ListenerFacts {
  readonly port: number;
  /** Normalized: `127.0.0.1`, `0.0.0.0`, `::`, `::1`, `::ffff:127.0.0.1`. */
  readonly address: string;
  readonly family: 4 | 6;
  /** A `::` socket that also accepts IPv4 (IPV6_V6ONLY off). */
  readonly dualStack: boolean;
  readonly inode: number;
  /** Processes holding the socket; undefined when they could not be seen (unreadable /proc/PID/fd). */
  readonly holders: readonly ProcessFacts[] | undefined;
  /**
   * The port's listeners kept closing and opening while the check read them (a process restarting in a
   * loop): this one, without a holder, was gone again when its table was read once more. Its holders are
   * undefined because it has none any more, not because they could not be seen.
   */
  readonly changed?: true;
  /**
   * Holders whose parents (up to MAX_ANCESTRY levels, below PID 1) include a process whose open files this run
   * could not read: it may hold this same socket (a socket is passed down by fork), and the holder be its worker.
   * Every such parent of each (one entry per parent, nearest first), read as the holders are; a process that
   * exited since is left out. The checks count only those named as a service whose socket it may be (holdersOf, mastersOn).
   */
  readonly unreadParents?: readonly { readonly holder: number; readonly parent: ProcessFacts }[];
}

export interface SocketFacts {
  readonly listeners: readonly ListenerFacts[];
  /** Why the socket table could not be read, when it could not. */
  readonly problem?: string;
  /** Processes whose fd tables this user could not read (their sockets' owners are unknown). */
  readonly unreadableProcesses: number;
  /** Whether the table was read as root: then running as root would not show the unreadable ones either. */
  readonly readAsRoot?: boolean;
}

export interface KernelFacts {
  /** net.ipv4.ip_local_port_range; undefined when unreadable. */
  readonly ephemeral?: { readonly start: number; readonly end: number };
  /** net.ipv4.ip_local_reserved_ports, as ranges. */
  readonly reservedPorts: readonly { readonly start: number; readonly end: number }[];
  readonly problem?: string;
}

import type {
  DefaultStartTimeout,
  EnvironmentSetting,
  ExecSearch,
  InterpreterLookup,
  ListeningSocket,
  RelatedSocket,
  RootOnlyFault,
  RootOnlyStep,
  RootSetting,
  UnitFacts,
} from '@dsa110/ports/systemd';
export type { ClearedAt, EnvironmentSetting, ExecLine, RootOnlyStep, UnitFacts } from '@dsa110/ports/systemd';

/** A uvicorn installed where a unit's command imports it from: its version, and the metadata file that says so (as seen on the machine). */
export interface InstalledUvicorn {
  readonly version: string;
  readonly metadata: string;
}

export interface ExecutableFacts {
  /** The file systemd runs: as named in the unit (an absolute path on the machine), or the one a bare name is found at (the name itself when none is). */
  readonly path: string;
  /** The bare name the unit gives (`claim-port`), which systemd looks up in `searched`'s directories; undefined for a path. */
  readonly name?: string;
  readonly searched?: ExecSearch;
  /** The PATH an env in the claim line sets before naming claim-port (`env PATH=/opt/x/bin claim-port`): `searched` is its directories, looked up as env's execvp does. */
  readonly envPath?: string;
  readonly exists: boolean;
  readonly executable: boolean;
  /** It exists but is not a regular file (a FIFO, a directory, a device): nothing systemd can run, whatever its mode. */
  readonly notRegular?: boolean;
  readonly problem?: string;
  /** Where systemd looks and finds a loop of symbolic links (ELOOP; it fails then as on a missing file), and why in words: set only when no file is found. */
  readonly loops?: readonly { readonly path: string; readonly reason: string }[];
  /**
   * Of an executable file: what its `#!` line runs, looked up as systemd would
   * start it (readInterpreter of @dsa110/ports/systemd), by the PATH searched
   * (unitSearchPath's value: each calling unit's own PATH, else systemd's default).
   */
  readonly interpreters?: ReadonlyMap<string, InterpreterLookup>;
  /** Of an executable file: the first part of it, of what its #! line runs or of what it loads, that someone besides root may change (rootWritablePart of @dsa110/ports/systemd). */
  readonly rootWritable?: RootOnlyFault & { readonly file: string };
  /**
   * The directory its units chroot it in (RootDirectory=, which `+` does not lift; claimRoot of @dsa110/ports/systemd),
   * as the root checked names it, with the setting: `path` is inside it.
   */
  readonly rootDirectory?: { readonly directory: string; readonly setting: RootSetting };
}

/** What an include in a config file names: the files it matched, in the order they are spliced, or why they cannot be read. */
/**
 * A file a scrape_config_files or file_sd_configs glob names: its text, or
 * why it could not be read. Each is read on its own, as Prometheus's file
 * discovery reads each file_sd file (one it cannot read leaves the others'
 * targets scraped): one file that cannot be read makes only what it holds
 * unknown, never its siblings.
 */
export type PrometheusFile = { readonly path: string; readonly text: string } | { readonly path: string; readonly problem: string };

/** What a glob names (its files, in Go's order), or why it cannot be expanded (a directory that cannot be listed, too many files). */
export type PrometheusFileFacts = { readonly files: readonly PrometheusFile[] } | { readonly problem: string };

/**
 * The files an include names, read; or why not, with `missing` when it names one file (no glob) that is not there:
 * nginx and Redis both refuse such an include at start (a glob that matches nothing they take). For nginx, also a
 * link a glob matches whose file is not there, a directory (`directory`) and a loop of links (`linkLoop`).
 */
export type IncludeFacts =
  | { readonly files: readonly { readonly path: string; readonly text: string; readonly id?: string }[] }
  | { readonly problem: string; readonly missing?: true; readonly directory?: true; readonly linkLoop?: true };

/** The unit file (or drop-in) and line of a command. */
export interface UnitLine {
  readonly file: string;
  readonly line: number;
}

/**
 * The main configuration nginx reads when the command its unit starts it with names another than nginx's default
 * (-c): the file, the -p prefix the command gives (resolved), and the unit line.
 */
export interface NginxMainFile {
  readonly path: string;
  readonly prefix?: string;
  readonly at: UnitLine;
  /** Whether the command has a -c (else `path` is nginx's default, under `root`). */
  readonly option?: true;
  /** The RootDirectory= nginx runs chrooted in (`path` and `prefix` are under it, as the root the units are for names them). */
  readonly root?: string;
}

/**
 * Whether nginx loads a site file the registry names (its main configuration's includes followed, under the root):
 * `loaded`, or its copy in sites-enabled beside sites-available (`copy`, `differs` when its text does), or none
 * (`absent`: no include of the main configuration reaches it, so the site is not served; `link`, the link that an
 * include's glob would pick up, where nothing is yet); `main` when that is not nginx's default. Or nginx does not
 * start with its unit's command: the main configuration its -c names is not there or no file (`mainMissing`, with
 * `reason`, `is not there`), or it refuses an
 * option (`refused`, in nginx's words, `at` the unit line). Or what nginx loads is not known, as a variable of its
 * command may be set by an EnvironmentFile= that cannot be read, or a wrapper starts nginx, or part of its unit cannot
 * be read (`doubt`, commandDoubt's or commandUnknown's reason, `at` the unit line or the part, `fix` where there is one),
 * or its main configuration is there but this check cannot read it (`mainUnread`, with the read's `reason`; `at` the
 * unit line when its command names the file).
 */
export type NginxLoad =
  | { readonly loaded: true; readonly as?: string }
  | { readonly copy: string; readonly differs: boolean; readonly main?: NginxMainFile }
  | { readonly absent: true; readonly link?: string; readonly main?: NginxMainFile }
  | { readonly mainMissing: NginxMainFile; readonly reason: string }
  | { readonly mainUnread: { readonly path: string; readonly at?: UnitLine }; readonly reason: string }
  | { readonly refused: string; readonly at: UnitLine }
  | { readonly doubt: string; readonly at: UnitLine; readonly fix?: string }
  | { readonly includeLoop: NginxIncludeLoop; readonly main?: NginxMainFile };

/**
 * An include loop in what nginx loads from its main configuration: `at`, the include (file and line) that names a
 * file already being read; `files`, the chain of files from the main configuration to that one again. nginx follows
 * it until it crashes (nginx 1.22: `nginx -t` ends with a segmentation fault), or refuses the first directive it
 * reads again where that is not allowed (the main file included inside `http {}`): it does not start either way.
 */
export interface NginxIncludeLoop {
  readonly at: { readonly file: string; readonly line: number };
  readonly files: readonly string[];
}

/** nginx's main configuration as read under the root: its text, and what each of its includes (and theirs) names, by pattern. */
export interface NginxConfigFacts {
  readonly text: string;
  readonly includes: ReadonlyMap<string, IncludeFacts>;
  /** The host names of the root's /etc/hosts, in lower case; undefined where it could not be read. */
  readonly hosts?: ReadonlySet<string>;
}

/** A configuration file named in the registry (`config:`), read under the root. */
export interface ConfigFileFacts {
  /** As named in the registry (absolute path on the machine). */
  readonly path: string;
  /** undefined when absent or unreadable. */
  readonly text?: string;
  readonly problem?: string;
  /** Its identity under the root (device and inode, `DEV:INO`), when read: one file reached by two names (a link, `..`) has one. */
  readonly id?: string;
  /**
   * For a Grafana datasource file (a grafana-datasource entry of `configs:`) that is not there: the other files of its
   * directory Grafana reads as provisioning (`*.yaml`, `*.yml`), by name in name order, where the operator's
   * datasource may be instead (none: an empty list); undefined when the directory cannot be listed.
   */
  readonly siblings?: readonly string[];
  /** The daemons that name it open different files by its name (`problem` says which): each service's own reading is in serviceConfigs. */
  readonly split?: true;
}

/** A program's version as dpkg installed it (`from`: where it was read, in words), or why it is not known (dpkg-version.ts). */
export type DpkgVersion = { readonly version: string; readonly from: string } | { readonly unknown: string };

/** A Prometheus's version (`from`: where it was read, in words), or why it is not known. */
export type PrometheusVersion = DpkgVersion;

/** A Redis's version (`from`: where it was read, in words), or why it is not known. */
export type RedisVersion = DpkgVersion;

export interface Facts {
  readonly registry: Registry;
  /** The directory configuration files were read under (`/` for the live machine). */
  readonly root: string;
  readonly services: readonly Service[];
  /** Whether every service is checked (the global checks run only then). */
  readonly allServices: boolean;
  readonly sockets: SocketFacts;
  /**
   * By PID: each listener's holder, and the parents of one in a registry service's unit up to MAX_ANCESTRY levels
   * below PID 1 (while they are in one), with their start times and cgroups (lineage.ts): whose worker a holder is
   * when its parent does not hold its socket (workers.ts), and which systemd unit runs it. Undefined when no
   * listener has a holder.
   */
  readonly lineage?: ReadonlyMap<number, ProcessFacts>;
  /** By user name: its uid in the root's /etc/passwd (no NSS); what a unit's User= name resolves to. Undefined: not read. */
  readonly accounts?: ReadonlyMap<string, number>;
  readonly kernel: KernelFacts;
  /** By unit name. */
  readonly units: ReadonlyMap<string, UnitFacts>;
  /**
   * By unit name: units the registry names for no service whose drop-in directory holds a claim-port.conf (the file
   * `ports systemd` writes), as systemd would load them; only those with a unit file, not masked.
   */
  readonly foreignClaimUnits?: ReadonlyMap<string, UnitFacts>;
  /** By service unit name: the socket units that activate it or feed it its socket (only for units that call claim-port). */
  readonly socketUnits?: ReadonlyMap<string, readonly RelatedSocket[]>;
  /** By port: the socket units whose files listen on a service's port that systemd (PID 1) holds (read only then). */
  readonly initSockets?: ReadonlyMap<number, readonly ListeningSocket[]>;
  /** systemd's DefaultTimeoutStartSec= under the root (read only when a claiming unit sets no start timeout of its own). */
  readonly defaultStartTimeout?: DefaultStartTimeout;
  /** By path named in an ExecStartPre. */
  readonly executables: ReadonlyMap<string, ExecutableFacts>;
  /** What a running systemd has loaded, by unit (only when checking `/` under systemd). */
  readonly systemctl?: ReadonlyMap<string, SystemctlUnit>;
  /** By path: the files of services whose port is set by a key in them, and every file in a service's configs:. */
  readonly configs: ReadonlyMap<string, ConfigFileFacts>;
  /**
   * By service id, then path: a service's own reading of a file of `configs` that the daemons naming it open as
   * different files (a RootDirectory=, a link between, a path one unit hides: `configs` then holds why no one reading
   * is theirs), read through its own daemon's root. configsOf gives a service its files.
   */
  readonly serviceConfigs?: ReadonlyMap<string, ReadonlyMap<string, ConfigFileFacts>>;
  /**
   * By path, looked at under the root (links followed): the files a daemon's command line leads to (Redis's config
   * file argument; Prometheus's --config.file and EnvironmentFile= list; Grafana's --config, or with none its
   * executable and its homepath's files) and the registry's files they are held against, so a link to a file is
   * that file, or not there; undefined for one that could not be looked at (permission denied). Only for daemons whose unit's command line was read.
   */
  readonly daemonFiles?: ReadonlyMap<string, DaemonFile | undefined>;
  /**
   * By path, read under the root: the files Grafana builds its settings from besides the registry's config: its
   * homepath's conf/defaults.ini, and the config file it reads when that is another (grafana-command.ts). Only for a
   * Grafana whose unit's command line was read, and only files that are there.
   */
  readonly grafanaFiles?: ReadonlyMap<string, ConfigFileFacts>;
  /**
   * By path, read under the root (as a config file is, size bounded): the files a `$__file{PATH}` in Grafana's [server]
   * keys names (grafana-expand.ts), in any layer or override of them; `missing` when nothing is there.
   */
  readonly grafanaValueFiles?: ReadonlyMap<string, ConfigFileFacts & { readonly missing?: boolean }>;
  /**
   * By path, read under the root: the config file the API's gunicorn reads (its -c, else gunicorn.conf.py in the
   * directory it starts in; asgi-command.ts), `missing` when nothing is there. Only for a gunicorn whose unit's
   * command line was read.
   */
  readonly appServerFiles?: ReadonlyMap<string, ConfigFileFacts & { readonly missing?: boolean }>;
  /**
   * By unit: the uvicorn its ExecStart= command imports (uvicorn-install.ts), where its version could be read from
   * the metadata beside the package (read under the root). Only for a uvicorn whose unit's command line was read.
   */
  readonly uvicornInstalls?: ReadonlyMap<string, InstalledUvicorn>;
  /**
   * By service id, then site file path: whether that service's nginx (its unit's command) loads it (only when its main
   * configuration is there and every include of it could be read), or cannot start.
   */
  readonly nginxLoads?: ReadonlyMap<string, ReadonlyMap<string, NginxLoad>>;
  /**
   * By service id: the main configuration that service's nginx reads for its site (whether it loads the site or not),
   * read under the root with what its includes name (by pattern), as nginxLoads follows them: where nginx's other listens are.
   */
  readonly nginxConfigs?: ReadonlyMap<string, NginxConfigFacts>;
  /** What each include in those files (nginx's, Redis's) names, by its path or glob, read under the root. */
  readonly includes?: ReadonlyMap<string, IncludeFacts>;
  /** The files prometheus.yml makes Prometheus read for the registry's jobs (scrape_config_files, file_sd_configs), by resolved glob, read under the root. */
  readonly prometheusFiles?: ReadonlyMap<string, PrometheusFileFacts>;
  /**
   * By path (as Prometheus opens it, under the root), read under the root: the files the `@file` arguments of
   * Prometheus's command line name, nested ones too (expandAtFiles); `missing` when nothing is there, `notRegular`, `linkLoop` as for a config file. Only for a
   * Prometheus whose unit's command line was read.
   */
  readonly prometheusArgFiles?: ReadonlyMap<
    string,
    ConfigFileFacts & { readonly missing?: boolean; readonly notRegular?: boolean; readonly linkLoop?: boolean }
  >;
  /** Extra executable paths that count as claim-port (`--claim-port`). */
  readonly claimPortPaths: readonly string[];
  /**
   * The registry this check holds, as the units name it in a claim line's
   * `--registry` (nameInRoot of @dsa110/ports/files): absolute, under a root as the system
   * booted from it names it. Undefined for the bundled registry, a Registry
   * passed in, and one that lies outside the root: no claim line is held to it
   * but the bundled one's (bundledRegistry).
   */
  readonly registryPath?: string;
  /** The registry is the bundled one: a claim line that names a registry (--registry, $DSA110_PORTS_FILE) reads another. */
  readonly bundledRegistry?: boolean;
  /**
   * The file the registry was read from, as given (--registry, $DSA110_PORTS_FILE): what each `ports` command
   * a check suggests reads (`ports --registry PATH ...`, portsCommand). Undefined for the bundled registry and a
   * Registry passed in.
   */
  readonly registryFile?: string;
  /**
   * By the path a claim line names its registry with (its --registry, else the unit's $DSA110_PORTS_FILE;
   * claimLineRegistry): the part someone besides root may change (registryWritablePart of @dsa110/ports/systemd,
   * under the root). Only registries with one.
   */
  readonly registryFaults?: ReadonlyMap<string, RootOnlyStep>;
  /**
   * By unit, then the path a claim line without `+` names its registry with (claimLineRegistry): what the unit hides
   * that file behind (PrivateTmp=, ProtectHome=, InaccessiblePaths=: hiddenPaths), so claim-port, sandboxed, does not
   * find it there. Only such registries; a `+` line sees them (systemd.service(5)).
   */
  readonly hiddenClaimRegistries?: ReadonlyMap<string, ReadonlyMap<string, HiddenRegistry>>;
  /**
   * The registries claim lines read that are not the one checked (readsOtherRegistry), by the name the line gives
   * (claimLineRegistry; `` for the bundled one), loaded as claim-port would load them (under the root): a line's
   * service id is resolved in its own (registryForLine). A string: why claim-port could not load it. Only for lines
   * that name a service id.
   */
  readonly claimRegistries?: ReadonlyMap<string, Registry | string>;
  /**
   * The names claim lines give the registry checked by another spelling (claimLineRegistry: `/etc/../ports.yaml`, a
   * link to it, `../ports.yaml` from WorkingDirectory=/etc), the one file by device and inode under the root: those
   * lines read it, and are held as reading it.
   */
  readonly checkedRegistryAliases?: ReadonlySet<string>;
  /**
   * By unit: the version of the Prometheus its ExecStart= runs, from the dpkg package that installed that executable
   * under the root (dpkg-version.ts; never by running it), or why it is not known. Only for a Prometheus whose
   * unit's command line was read.
   */
  readonly prometheusVersions?: ReadonlyMap<string, PrometheusVersion>;
  /**
   * By unit: the version of the Redis its ExecStart= runs, from the dpkg package that installed that executable under
   * the root (dpkg-version.ts; never by running it), or why it is not known. Only for a service with a redis-conf
   * entry whose unit runs redis-server (or redis-sentinel) by an absolute path, and some line of whose configuration
   * (its files, their includes, its command line) may name a directive a Redis does not know (mayNameUnknownDirective).
   */
  readonly redisVersions?: ReadonlyMap<string, RedisVersion>;
  /**
   * Of each directory a claim line runs chrooted in (RootDirectory=) where systemd mounts no /proc for it (`+`,
   * MountAPIVFS=no; claimRootProcReason of @dsa110/ports/systemd), as the root checked names it: whether a /proc
   * is mounted there (procMountedIn; undefined under another root, where it cannot be told).
   */
  readonly chrootProc?: ReadonlyMap<string, boolean | undefined>;
  /** When the check runs as root: the part of the registry it read itself (registryFile) that someone besides root may change. */
  readonly ownRegistryFault?: RootOnlyStep;
  /** The live nftables ruleset, or why it could not be read; undefined when not read (`--no-firewall`, or no service needs it). */
  readonly firewall?: FirewallFacts;
  /** net.ipv4.conf.*.route_localnet, read only when a service the firewall check looks at listens on 127.x and the ruleset may be read. */
  readonly routeLocalnet?: RouteLocalnetFacts;
}

/** A file a daemon's command line leads to, as it is under the root (links followed). */
/** A file a daemon's command line leads to, as looked at: there (which file, whether a program), or not there. */
export type DaemonFile =
  | {
      /** Its device and inode: a link to a file is that file. */
      readonly id: string;
      /** Whether it is an ELF executable: a program itself, not a wrapper script that may add to the command line. */
      readonly elf: boolean;
      readonly missing?: undefined;
    }
  | {
      readonly id?: undefined;
      readonly elf?: undefined;
      /** Nothing is there (no such file, a directory on its path that is not one, a dangling link): the daemon cannot open it. */
      readonly missing: true;
    };

export interface CheckOptions {
  /** Unknown listeners are warnings, and unknown results count as warnings for the exit code. */
  readonly strict: boolean;
}

/** The setting that hides a claim line's registry, and the path it hides (as the root names it; `its`: ` (its /tmp)` chrooted, else empty). */
export interface HiddenRegistry {
  readonly path: string;
  readonly setting: EnvironmentSetting;
  readonly its: string;
  /** A bind mount (BindPaths=) puts another file there: which one the line reads is not known here. */
  readonly mounted?: true;
}
