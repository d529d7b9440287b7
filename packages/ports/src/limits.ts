// Limits that more than one module enforces or prints, each written once:
// the schema, claim-port's --timeout and the README. Every number in
// ports.yaml is a plain decimal (yaml-rules.ts); these say which values are sane.

/** The largest ports.yaml read or parsed: a registry is a few kB; this stops a wrong file (a log, /dev/urandom) early. */
export const MAX_REGISTRY_BYTES = 1024 * 1024;
/**
 * Why a registry is refused for its size, said the same by loadRegistry (which reads no further) and
 * parseRegistry (given the text): "larger than", as a size rounded to tenths said a 1.04 MiB file was "1.0 MiB".
 */
export const REGISTRY_TOO_LARGE = `the file is larger than ${MAX_REGISTRY_BYTES / 1048576} MiB; a registry may be at most ${MAX_REGISTRY_BYTES / 1048576} MiB`;

/**
 * How much of a registry refused for its size (MAX_REGISTRY_BYTES) is still read for its top-level `claim:` blocks
 * (what it protects, which claim-port adds to its built-in list): a log appended to the file leaves them near its top.
 */
export const MAX_PROTECTION_SCAN_BYTES = 16 * 1024 * 1024;

/**
 * The largest unit file or drop-in read. systemd reads one of any size (systemd 252 loads an 80 MiB drop-in), but a
 * unit these tools must judge is a few kB, and merging costs about 0.4 s a MiB of settings (ExecStartPre= lines), so a
 * larger one is said to be unread, never judged as if empty. Every reader of unit files and drop-ins as systemd reads
 * them (loadUnit, findClaims' stray claim lines, --out's drop-ins) stops here, so that none sees a line another misses.
 */
export const MAX_UNIT_BYTES = 1024 * 1024;
/**
 * Why a unit file or drop-in over MAX_UNIT_BYTES is not read, and what to do: said alike by every reader that says it
 * (loadUnit's, --check's of a `claim: unit` service's file). Said as this reader's bound, not the file's fault: systemd
 * reads a file of any size (an 80 MiB drop-in loads).
 */
export const UNIT_TOO_LARGE = `it is larger than ${MAX_UNIT_BYTES / 1048576} MiB, the most read here of a unit file or drop-in, though systemd reads one of any size; make it smaller (what it sets is not known until then)`;

/** The largest configuration file the health check reads for a port (a config whose port key it checks, or one that names ports). */
export const MAX_CONFIG_BYTES = 4 * 1024 * 1024;

/** claim-port's wait between SIGTERM and SIGKILL: the registry's claim.timeoutSeconds, and --timeout. */
export const DEFAULT_CLAIM_TIMEOUT_SECONDS = 5;
/** Shorter than a millisecond is not a wait. */
export const MIN_CLAIM_TIMEOUT_SECONDS = 0.001;
/** Longer than this is a typo, not a wait: it would hold the service's start (ExecStartPre=) for minutes. */
export const MAX_CLAIM_TIMEOUT_SECONDS = 300;

/** claim-port's wait for SIGKILLed processes to disappear (its killWaitMs), once after the timeout, again for a holder that bound the port anew. */
export const CLAIM_KILL_WAIT_MS = 2000;
/** After the holders are gone, how long claim-port watches for a supervisor taking the port back (its settleMs). */
export const CLAIM_SETTLE_MS = 1000;
/** The settle window's bound while a process the holders left behind, or a supervisor's new child, is still starting. */
export const CLAIM_SETTLE_MAX_MS = 3000;
/** How long a failing bind check is retried after a claim (sockets of killed processes being torn down). */
export const CLAIM_BIND_GRACE_MS = 250;
/** The longest claim-port waits past its timeout: two SIGKILL waits, the longest settle window, the bind check. */
export const CLAIM_AFTER_TIMEOUT_MS = 2 * CLAIM_KILL_WAIT_MS + CLAIM_SETTLE_MAX_MS + CLAIM_BIND_GRACE_MS;

/** claim.protect.pidsUpTo: 0 (protect none by number) to Linux's PID_MAX_LIMIT. */
export const MAX_PIDS_UP_TO = 4_194_304;

/** Why a claim timeout is refused: each said once, for a number (timeoutProblem) and for its text (timeoutTextProblem). */
const NOT_A_WAIT = 'must be more than 0 seconds';
export const TIMEOUT_TOO_SHORT = `must be at least ${MIN_CLAIM_TIMEOUT_SECONDS} seconds`;
export const TIMEOUT_TOO_LONG = `must be at most ${MAX_CLAIM_TIMEOUT_SECONDS} seconds`;

/** Why `seconds` is not a valid claim timeout, or undefined. */
export function timeoutProblem(seconds: number): string | undefined {
  // NaN is no wait; Infinity (a number of 400 digits) is said as too long, below.
  if (Number.isNaN(seconds) || seconds <= 0) return NOT_A_WAIT;
  if (seconds < MIN_CLAIM_TIMEOUT_SECONDS) return TIMEOUT_TOO_SHORT;
  if (seconds > MAX_CLAIM_TIMEOUT_SECONDS) return TIMEOUT_TOO_LONG;
  return undefined;
}

/**
 * Why the plain decimal `text` (digits with at most one point, either side of which may be empty, and
 * perhaps a leading minus: what --timeout and ports.yaml accept) is not a valid claim timeout, or undefined.
 * Judged on the digits as written, never on Number(text), which rounds: `300.00000000000000001` read as 300
 * and `0.00099999999999999999` as 0.001, both accepted, and a 1 after 330 zeros read as 0, "not more than 0".
 */
export function timeoutTextProblem(text: string): string | undefined {
  const negative = text.startsWith('-');
  const value = decimalDigits(negative ? text.slice(1) : text);
  if (value.whole === '' && value.fraction === '') return NOT_A_WAIT;
  if (negative) return NOT_A_WAIT;
  // The limits' String() is their plain decimal (0.001, 300): no exponent, which decimalDigits would not read.
  if (compareDecimals(value, decimalDigits(String(MIN_CLAIM_TIMEOUT_SECONDS))) < 0) return TIMEOUT_TOO_SHORT;
  if (compareDecimals(value, decimalDigits(String(MAX_CLAIM_TIMEOUT_SECONDS))) > 0) return TIMEOUT_TOO_LONG;
  return undefined;
}

/** A non-negative plain decimal's digits either side of its point, without the zeros that do not count (`007.50`: 7 and 5; `0.0`: none). */
function decimalDigits(text: string): { whole: string; fraction: string } {
  const point = text.indexOf('.');
  const whole = point < 0 ? text : text.slice(0, point);
  const fraction = point < 0 ? '' : text.slice(point + 1);
  return { whole: whole.replace(/^0+/, ''), fraction: fraction.replace(/0+$/, '') };
}

/** -1, 0 or 1 as `a` is less than, equal to or more than `b` (decimalDigits both): more whole digits is more, else digit by digit. */
function compareDecimals(a: { whole: string; fraction: string }, b: { whole: string; fraction: string }): number {
  if (a.whole.length !== b.whole.length) return Math.sign(a.whole.length - b.whole.length);
  const width = Math.max(a.fraction.length, b.fraction.length);
  const digitsOf = (value: { whole: string; fraction: string }) => value.whole + value.fraction.padEnd(width, '0');
  const [left, right] = [digitsOf(a), digitsOf(b)];
  return left < right ? -1 : left > right ? 1 : 0;
}

/**
 * A timeout claim-port accepts: a number MIN_CLAIM_TIMEOUT_SECONDS to MAX_CLAIM_TIMEOUT_SECONDS.
 * A predicate, as isPort is: anything else is false, never read as a number (`'5'`, `true`,
 * `[5]` and an object whose valueOf() is 5 all were compared as 5, and passed).
 */
export function isClaimTimeout(seconds: unknown): boolean {
  return typeof seconds === 'number' && timeoutProblem(seconds) === undefined;
}

/**
 * The largest /proc or /etc file the system readers (@dsa110/ports/system) read whole: a
 * process's stat, status, cmdline and cgroup, net/sockstat, loadavg, the ephemeral range,
 * /etc/passwd. The kernel keeps a process's arguments and environment, which cmdline shows,
 * under 6 MiB (3/4 of _STK_LIM); a file past this is not one of them (a regular file planted
 * under a procRoot), and is not read.
 */
export const MAX_PROC_FILE_BYTES = 16 * 1024 * 1024;

/**
 * The largest socket table (/proc/net/tcp, tcp6, udp, ...) read: at about 150 bytes a socket
 * (tcp6's lines are 178), over a million sockets, where a busy host's table is tens of MB. Below
 * the longest string V8 makes (2^29 - 24 characters): the table is read as one.
 */
export const MAX_SOCKET_TABLE_BYTES = 256 * 1024 * 1024;

/** An existing file at a path `ports` generates (a unit, a drop-in, the dashboard: each well under 1 MiB) is not read past this. */
export const MAX_GENERATED_FILE_BYTES = 4 * 1024 * 1024;

/** The longest id (service or reserved): it goes into job names, metric labels, file names and every message. */
export const MAX_ID_LENGTH = 64;
/** The longest name or title: it heads table columns, reference-page sections and dashboard rows. */
export const MAX_NAME_LENGTH = 80;
/**
 * The longest prose (a purpose or notes line, accessNote, robustNote, command, a details value, a
 * reserved purpose): a paragraph. Every one is printed on the reference page and in `ports list`,
 * escaped for Markdown (a character may become several), so a value of 200,000 characters made a
 * page of megabytes; longer text belongs in the page's own prose, written by hand.
 */
export const MAX_PROSE_LENGTH = 2000;
/**
 * systemd refuses a unit name over 255 characters (UNIT_NAME_MAX, 256 with its NUL), and a
 * unit's drop-in directory, NAME.d, must fit in a file name (255 bytes): so 253.
 */
export const MAX_UNIT_NAME_LENGTH = 253;
/** The characters of a systemd unit name (unit_name_is_valid()): a file of another name in a unit directory is never a unit. */
export const UNIT_NAME_CHARACTERS = /^[A-Za-z0-9:_.@\\-]*$/;
/** Linux's PATH_MAX, 4096 with its NUL: a longer path cannot be opened. */
export const MAX_PATH_LENGTH = 4095;

/** How often Prometheus scrapes a service's metrics when its entry does not say (`scrapeInterval`): the reference page's 15 s. */
export const DEFAULT_SCRAPE_INTERVAL = '15s';
