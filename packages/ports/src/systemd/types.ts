// The effective unit as the systemd model reports it: what survived the merge
// of a unit file and its drop-ins, with the file and line of each setting.

/** One ExecStartPre= command that survived the merge, with the file and line that supplied it. */
export interface ExecLine {
  readonly file: string;
  readonly line: number;
  /** The raw value after `ExecStartPre=`. */
  readonly value: string;
  /** Prefix characters (`+`, `-`, `@`, `:`, `!`, `!!`). */
  readonly prefixes: string;
  /** The executable, as systemd stores it (`//` and `/./` simplified). */
  readonly path: string;
  /** systemd's argv as loaded (`systemctl show`): argv[0] (the path as written, or with `@` the word after it), then the arguments, $VAR not expanded. */
  readonly words: readonly string[];
  /** The executable, then the arguments the program gets, after $VAR expansion: what claim-port would parse. */
  readonly argv: readonly string[];
}

export interface EnvironmentSetting {
  readonly value: string;
  readonly file: string;
  readonly line: number;
}

/** A path a unit's programs do not see as the root has it (systemd.exec(5)), and the line that hides it. */
export interface HiddenPath {
  /** Absolute, simplified. */
  readonly path: string;
  /**
   * The path is inside the unit's RootDirectory= (PrivateTmp=, ProtectHome=, InaccessiblePaths=+PATH), rather than
   * on the host's root (InaccessiblePaths=PATH: the host's file, wherever the program is chrooted).
   */
  readonly inRoot: boolean;
  /** `PrivateTmp=yes`, `ProtectHome=tmpfs`, `InaccessiblePaths=...`, `TemporaryFileSystem=...`, `BindPaths=...`, or `DynamicUser=yes` (which implies PrivateTmp=yes), and where. */
  readonly setting: EnvironmentSetting;
  /** A bind mount (BindPaths=, BindReadOnlyPaths=) puts another file or directory at the path: not hidden, but which file is there is not known here. */
  readonly mounted?: true;
  /** A path bound onto itself (BindPaths=/etc/redis): the host's own file is there, even under a path the others hide (readers take the deepest path a file is under). */
  readonly shown?: true;
}

/** Where one line of a setting was given. */
export interface SettingLine {
  readonly file: string;
  readonly line: number;
}

/**
 * ExecSearchPath= after the merge, as systemd 252 stores it
 * (config_parse_colon_separated_paths): each line appends its entries up to
 * the first one systemd refuses, an empty line clears them. `value` is the
 * directories joined by `:`; `file` and `line` the last line that added one.
 */
export interface ExecSearchPathSetting extends EnvironmentSetting {
  /** The directories, in order: `value` split. */
  readonly dirs: readonly string[];
  /** The lines that added directories, in order. */
  readonly lines: readonly SettingLine[];
  /** Of each line systemd cut short: the first entry it refused (as written) and why; it ignores that entry and the rest of the line. */
  readonly ignored?: readonly (SettingLine & { readonly entry: string; readonly reason: string })[];
  /**
   * The first entry with a specifier the model cannot resolve as PID 1 does
   * (`%H`, unless the caller gave its value): the directories from it on are
   * not known (systemd may keep it, or refuse it and the rest of its line).
   */
  readonly unresolved?: SettingLine & { readonly entry: string; readonly specifier: string };
}

/** One EnvironmentFile= of the merged unit, in the order systemd reads them, with what came of reading it. */
export interface EnvironmentFileFacts {
  /** The file, as systemd opens it: specifiers resolved, `-` taken off, simplified. */
  readonly path: string;
  /** Written with `-`: systemd ignores the file when it cannot load it. */
  readonly optional: boolean;
  /** Where the EnvironmentFile= line is. */
  readonly file: string;
  readonly line: number;
  /** Why this check could not read it (systemd, as root, may): the variables it sets are not known. */
  readonly unread?: string;
  /** Why systemd cannot load it (no such file, a NUL byte): none of its variables apply, and without `-` the service does not start. */
  readonly failed?: string;
  /** Keys of it systemd drops as not variable names (`export PORT`), with their lines. */
  readonly ignored?: readonly { readonly key: string; readonly line: number }[];
}

/** Where a command list (ExecStartPre=, ExecStart=) was last cleared (an empty line of its key), and so everything before it dropped. */
export interface ClearedAt {
  readonly file: string;
  readonly line: number;
}

/**
 * A part of a unit that could not be read (systemd, as root, may read it), as
 * data: what the checks decide from. `problems` says the same in words, for display.
 */
export interface UnreadPart {
  /**
   * `file`: a unit file; `drop-in`: a drop-in (`*.conf`); `listing`: a unit
   * directory or drop-in directory that could not be listed, so which files it
   * holds is not known.
   */
  readonly kind: 'file' | 'drop-in' | 'listing';
  /** Its path under the root (as seen on the machine), not escaped (escape it to print); a byte that is not UTF-8 is kept as U+DC80+byte. */
  readonly path: string;
  /** Of a drop-in: the bytes of its file name, by which systemd orders the drop-ins (strcmp, whatever their directory). */
  readonly name?: Uint8Array;
  /** Why, in words (`it is a FIFO (named pipe), not a regular file`). */
  readonly reason: string;
  /**
   * Of a unit file: true when systemd cannot open it either, whoever runs it: a
   * link to nothing, or a loop of links. systemd takes it as the unit's file all
   * the same (the first of the unit's name in the search path), fails to load
   * the unit (not-found, or error for a loop), and never reads a copy lower in
   * the search path instead: the unit cannot start, a certainty, not an unknown.
   */
  readonly broken?: true;
}

/**
 * A drop-in systemd skips: the first of its file name in the search path, so the
 * one systemd picks, but one it cannot open or read, whoever runs it (a link to nothing,
 * a loop of links, a socket, a directory named *.conf). systemd reads nothing from it, logs nothing above debug, and
 * loads the unit without it; it reads no drop-in of its name lower down instead. Or a drop-in directory
 * (`foo.service.d`, its path not ending in .conf) that is a loop of links: no drop-in in it is read.
 */
export interface SkippedDropIn {
  /** Its path under the root (as seen on the machine), not escaped. */
  readonly path: string;
  /** Why systemd cannot open it, in words (`it leads to /opt/x.conf, which does not exist`, `a loop of symbolic links`). */
  readonly reason: string;
  /** The drop-in of its name lower in the search path (under the root), when there is one: systemd does not read it either. */
  readonly hides?: string;
}

/**
 * A link of a unit's name in a unit directory that systemd 252 ignores: it points into the search path, but not to a
 * name systemd takes for another name of the unit (`foo.service -> /etc/systemd/system/x`: "points to "x" which is not
 * a valid unit name"; another type, a template for a plain unit, its own name). systemd maps no unit file to the name
 * there, so the next entry of the name lower in the search path is the unit file: the link's target is never read.
 * Only those whose target is not that unit file (a link to the packaged unit of its name loses nothing, and is none).
 */
export interface IgnoredLink {
  /** Its path under the root (as seen on the machine), not escaped. */
  readonly path: string;
  /** What it points to, as written (readlink), not escaped. */
  readonly link: string;
  /** Why systemd ignores it, in words, escaped (`it points to "x", which is not a valid unit name`). */
  readonly reason: string;
}

/**
 * A unit's name that is an alias (a link in a unit directory to another unit's name) of a unit no unit directory
 * has a file of: systemd loads no unit of the name (unit_ids_map_get), not even a file of the name lower in the
 * search path, which the alias hides. The last link of the chain followed.
 */
export interface DanglingAlias {
  /** The link's path under the root (as seen on the machine), not escaped. */
  readonly path: string;
  /** What it points to, as written (readlink), not escaped. */
  readonly link: string;
  /** The unit name it names, which has no unit file. */
  readonly target: string;
  /** A unit file of the unit's own name lower in the search path (under the root), when there is one: never loaded. */
  readonly hides?: string;
}

/** The start timeout a unit sets (TimeoutStartSec=, or TimeoutSec=, which sets it too), the last valid line winning. */
/** The last WorkingDirectory= of a unit, as written (`value`), with where it was set and what systemd makes of it. */
export interface WorkingDirectorySetting extends EnvironmentSetting {
  /** The directory, absolute and simplified, specifiers resolved as PID 1 resolves them; left out when not known here. */
  readonly path?: string;
  /** `~` (or `-~`): the home directory of the unit's User=, which the model does not look up. */
  readonly home?: true;
  /** A host specifier with no value here (`%H`): the directory is not known. */
  readonly unresolved?: string;
}

/** The last RootDirectory= or RootImage= of a unit, as written (`value`), with where it was set. */
export interface RootSetting extends EnvironmentSetting {
  /** The path, absolute and simplified, specifiers resolved as PID 1 resolves them; left out when not known here. */
  readonly path?: string;
  /** A host specifier with no value here (`%H`): the path is not known. */
  readonly unresolved?: string;
}

/** A boolean setting (RootDirectoryStartOnly=, MountAPIVFS=) as the last valid line set it. */
export interface BooleanSetting extends SettingLine {
  readonly value: boolean;
}

export interface StartTimeoutSetting extends EnvironmentSetting {
  readonly key: 'TimeoutStartSec' | 'TimeoutSec';
  /** In seconds; Infinity for no limit (`infinity`, or `0`, which systemd reads as infinity). */
  readonly seconds: number;
}

/** The effective [Service] settings of a unit that matter here (unit file plus drop-ins). */
export interface UnitFacts {
  readonly unit: string;
  /** The unit's other names whose drop-in directories applied (loadUnit's `aliases`), when it has any. */
  readonly aliases?: readonly string[];
  /** The unit file used, as an absolute path under the root (as seen on the machine). */
  readonly file?: string;
  /** Drop-ins applied, in order (as seen on the machine). */
  readonly dropIns: readonly string[];
  /** Drop-ins masked (a link to /dev/null, or empty), as seen on the machine, when there are any: systemd reads nothing from them. */
  readonly maskedDropIns?: readonly string[];
  readonly masked: boolean;
  readonly execStartPre: readonly ExecLine[];
  /** The last empty `ExecStartPre=`, which dropped every earlier one. */
  readonly execStartPreCleared?: ClearedAt;
  /**
   * ExecStart= as systemd keeps it (an empty line drops every earlier one), one ExecLine per command, when there is
   * one: the daemon's command line, which may name the config file it reads and settings that override the file's.
   */
  readonly execStart?: readonly ExecLine[];
  /** The last empty `ExecStart=`, which dropped every earlier one. */
  readonly execStartCleared?: ClearedAt;
  /**
   * The manager's DefaultEnvironment= (when the merge was given it; its file is /etc/systemd/system.conf or a drop-in),
   * then Environment=, then the EnvironmentFile= files, each overriding the one before, with UnsetEnvironment= applied;
   * each value with its file and line.
   */
  readonly environment: ReadonlyMap<string, EnvironmentSetting>;
  /** The EnvironmentFile= list after the merge (an empty one clears it), when there is one. */
  readonly environmentFiles?: readonly EnvironmentFileFacts[];
  /**
   * ExecSearchPath= after the merge (an empty one clears it, each line appends the entries systemd keeps), when a line
   * is set: its directories joined by `:` (empty when systemd kept none: it then searches its built-in path), the
   * lines that added them, and what it ignored or the model cannot resolve.
   */
  readonly execSearchPath?: ExecSearchPathSetting;
  /** PassEnvironment= after the merge (an empty one clears it): each variable name passed from the manager, with where it was named. */
  readonly passEnvironment?: readonly EnvironmentSetting[];
  /** The last non-empty User= of [Service], with where it was set. */
  readonly user?: EnvironmentSetting;
  /** The socket units of `Sockets=` (each name with where it was given): systemd passes their sockets to the service, and starting the service starts them. */
  readonly sockets?: readonly EnvironmentSetting[];
  /** DynamicUser= is true. */
  readonly dynamicUser?: boolean;
  /**
   * The last non-empty WorkingDirectory= (an empty one resets it), when one is set: the directory claim-port reads a
   * relative registry path from (systemd's default, with none: `/`). `+` on a command does not lift it.
   */
  readonly workingDirectory?: WorkingDirectorySetting;
  /**
   * The last non-empty RootDirectory= (an empty one resets it), when one is set: systemd runs every Exec line, `+`
   * ones too, chrooted there (ExecStart= alone with RootDirectoryStartOnly=yes). RootImage= wins over it.
   */
  readonly rootDirectory?: RootSetting;
  /** The last non-empty RootImage= (an empty one resets it), when one is set: the Exec lines run inside that image. */
  readonly rootImage?: RootSetting;
  /** RootDirectoryStartOnly=, when a valid line sets it: yes chroots ExecStart= alone, so a claim line runs on the host's root. */
  readonly rootDirectoryStartOnly?: BooleanSetting;
  /**
   * The last line of a setting that mounts into the unit's root (BindPaths=, BindReadOnlyPaths=,
   * TemporaryFileSystem=, MountImages=, ExtensionImages=, ExtensionDirectories=, ConfigurationDirectory=), when one
   * is set: under a RootDirectory= the files the program opens are then not only the directory's (the value is not
   * read here).
   */
  readonly rootMounts?: EnvironmentSetting;
  /**
   * The paths PrivateTmp=, ProtectHome= (yes, tmpfs) and InaccessiblePaths= hide from the unit's programs, which see
   * an empty directory or nothing there (hiddenPaths); `+` lines see them (systemd.service(5)). Absent when none.
   */
  readonly hiddenPaths?: readonly HiddenPath[];
  /** MountAPIVFS=, when a valid line sets it (else systemd's default: yes with RootDirectory=/RootImage=); it applies only to lines without `+`. */
  readonly mountAPIVFS?: BooleanSetting;
  /** TimeoutStartSec= or TimeoutSec=, when a valid line sets it (else systemd's DefaultTimeoutStartSec=, or none for Type=oneshot). */
  readonly startTimeout?: StartTimeoutSetting;
  /** Type=oneshot: without its own start timeout it has none (systemd gives oneshot services no default). */
  readonly oneshot?: boolean;
  /** Files that exist but could not be read, one line each (`PATH: cannot read: REASON`), for display. */
  readonly problems: readonly string[];
  /** The same parts as data, when there are any: decide from these, never by parsing `problems`. */
  readonly unread?: readonly UnreadPart[];
  /** The drop-ins systemd skips (a link to nothing, a loop of links, a directory), when there are any (loadUnit's `skippedDropIns`). */
  readonly skippedDropIns?: readonly SkippedDropIn[];
  /** The links of the unit's name that systemd ignores, when there are any (loadUnit's `ignoredLinks`). */
  readonly ignoredLinks?: readonly IgnoredLink[];
  /** The alias to a unit with no unit file that the unit's name is, when it is one (loadUnit's `danglingAlias`): no unit loads. */
  readonly danglingAlias?: DanglingAlias;
  /** Why systemd would refuse to load the unit (`file:line: reason`): a bad section header, an Exec line it rejects. */
  readonly invalid?: readonly string[];
  /** Errors systemd logs in drop-ins and then ignores (`file:line: reason`): an assignment that is not UTF-8, or an Exec line it rejects with the rest of that drop-in; the unit still loads. */
  readonly ignored?: readonly string[];
}
