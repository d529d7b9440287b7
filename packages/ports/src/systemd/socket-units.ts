// The socket units that hand a service its listening socket (socket
// activation): systemd (PID 1) then holds the port, and claim-port, which
// never signals PID 1, refuses in the service's ExecStartPre=. Which socket
// units belong to a service, as systemd 252 ties them (systemd.socket(5),
// systemd.service(5)):
// - the socket unit of the same name (`foo.socket` for `foo.service`; for an
//   instance `foo@i.service`, `foo@i.socket` or, with Accept=yes, `foo.socket`);
// - a socket unit named by the service's `Sockets=` (which also makes starting
//   the service start the socket: Wants= and After=);
// - a socket unit whose `Service=` names the service (an enabled instance of
//   a template socket unit too: `http@main.socket` from `http@.socket`).
// Reading is `readSocketUnits`; parsing one unit is `parseSocketUnit`, pure.
// Shared by the health check and `ports systemd` (socket-conflict.ts judges).
import { readdirSync } from 'node:fs';
import { hostPath } from '../files/root.js';
import { describeArgument, isArraySafely, listProblem, nonEmptyStringArgument, portArgument, stringArgument, transportArgument } from '../arguments.js';
import { addressBits } from '../system/ip.js';
import { checkLoadedUnit, type LoadedUnit, loadUnit, type UnitDirListing } from './effective.js';
import { parseIpPort } from './ip-port.js';
import { templateOf } from './search-path.js';
import type { UnitFacts } from './types.js';
import { parseUnitFile, splitUnitLines } from './unit-file.js';
import {
  expandSpecifiers,
  HOST_SPECIFIERS,
  isTrueSetting,
  type SpecifierUnit,
  SYSTEM_MANAGER_SPECIFIERS,
  SYSTEMD_WHITESPACE,
  unknownSpecifier,
} from './words.js';

/** One `ListenStream=` / `ListenDatagram=` of a socket unit, with the port it names (none for a UNIX or vsock socket). */
export interface SocketListen {
  readonly key: 'ListenStream' | 'ListenDatagram';
  /** The value, its specifiers resolved; as the file says it where `unresolved` is set. */
  readonly value: string;
  readonly port?: number;
  /** A host specifier in the value whose value only the machine knows (`%H`, `%m`): then no port is told, not guessed (none for a UNIX or vsock socket, which has no port). */
  readonly unresolved?: string;
  /**
   * Why systemd 252 ignores the line (it logs it, as `systemd-analyze verify` shows, and listens on nothing for it):
   * a specifier it does not know, or no address it reads (listenIgnored). Undefined for a line it takes, a UNIX or
   * vsock socket, or one `unresolved` leaves to the machine.
   */
  readonly ignored?: string;
  /** The 1-based column, in characters, of the value on its line (after `Key=` and blanks): a finding's file:line:col. */
  readonly column?: number;
  readonly transport: 'tcp' | 'udp';
  readonly file: string;
  readonly line: number;
}

/** A socket unit's [Socket] settings that matter here, merged over its file and drop-ins. */
export interface SocketUnit {
  readonly unit: string;
  readonly file?: string;
  readonly masked: boolean;
  readonly listens: readonly SocketListen[];
  /** `Service=`: the service it activates, with where it was set (default: the same name). */
  readonly service?: { readonly value: string; readonly file: string; readonly line: number };
  readonly accept: boolean;
}

/** A socket unit tied to a service, how it is tied, and whether something starts it at boot. */
export interface RelatedSocket extends SocketUnit {
  /** How it is tied to the service, in words: `same name`, `Sockets= at FILE:LINE`, `Service= at FILE:LINE`. */
  readonly via: string;
  /** The `.wants/` or `.requires/` directory that enables it (`/etc/systemd/system/sockets.target.wants`), if any. */
  readonly enabledBy?: string;
  /** Whether the service's own Sockets= names it (then starting the service starts it). */
  readonly pulledByService: boolean;
}

/**
 * The port a socket address names, as systemd 252's socket_address_parse()
 * reads it: a port alone (`8000`), `127.0.0.1:8000` or `[::1]:8000`, with
 * `%ifname` after it, each port as parseIpPort() reads it (`0x1f40` is 8000
 * too); undefined for a UNIX socket (`/path`, `@abstract`), a vsock, or
 * anything systemd refuses and ignores (`8000#name`, `[fe80::1%lo]:8000`,
 * `::1`, `127.000.0.1:8000`, a port 0). An interface is taken to exist.
 * `value` is after specifiers (a unit file's `%%lo` is `%lo` here; parseSocketUnit resolves them).
 */
export function listenPort(value: string): number | undefined {
  stringArgument('listenPort', 'value', value, 'a ListenStream= or ListenDatagram= value (a string)');
  // The unit file's value is trimmed (unit-file.ts); a caller's is trimmed alike.
  let text = value.replace(/^[ \t\n\r]+|[ \t\n\r]+$/g, '');
  if (text.startsWith('/') || text.startsWith('@') || text.startsWith('vsock:')) return undefined;
  const alone = parseIpPort(text);
  if (alone !== undefined) return alone;
  // in_addr_port_ifindex_name_from_string_auto(), with no server name (`#`) allowed and an interface after `%`.
  if (text.includes('#')) return undefined;
  const percent = text.indexOf('%');
  if (percent >= 0) {
    if (!isInterfaceName(text.slice(percent + 1))) return undefined;
    text = text.slice(0, percent);
  }
  const colon = text.lastIndexOf(':');
  if (colon < 0) return undefined;
  if (text.startsWith('[')) {
    if (text[colon - 1] !== ']' || addressBits(text.slice(1, colon - 1))?.family !== 6) return undefined;
    return parseIpPort(text.slice(colon + 1));
  }
  // An IPv6 address without brackets has no port (systemd: "no port, no go").
  if (addressBits(text)?.family === 6) return undefined;
  return addressBits(text.slice(0, colon))?.family === 4 ? parseIpPort(text.slice(colon + 1)) : undefined;
}

/** An interface name as ifname_valid_full() takes one (altnames and indexes too): whether it exists is for the machine to say. */
const isInterfaceName = (name: string) =>
  name.length > 0 && name.length < 128 && !['.', '..', 'all', 'default'].includes(name) && /^[!-~]+$/.test(name) && !/[:/%]/.test(name);

/**
 * One ListenStream= / ListenDatagram= value as systemd 252's
 * config_parse_socket_listen() reads it: specifiers resolved first, over the
 * whole value (so `%` before an interface is written `%%`), then the address
 * parsed (listenPort). A specifier systemd does not know (`8000%eth0`: `%e`)
 * makes it ignore the line, so no port. A host specifier is resolved as PID 1
 * resolves it where systemd.unit(5) fixes its value (`%t` is /run), else the
 * line's port cannot be told here (`0.0.0.0:8000%lo`: `%l` is the host name):
 * no port, and `unresolved` names the specifier.
 */
function listenLine(value: string, unit: SpecifierUnit): { value: string; port?: number; unresolved?: string; ignored?: string } {
  const unknown = unknownSpecifier(value);
  if (unknown !== undefined)
    return {
      value,
      ignored: `systemd knows no specifier ${unknown} ("Failed to resolve unit specifiers", as systemd-analyze verify logs it; a % meant as itself is written %%)`,
    };
  const host = { ...SYSTEM_MANAGER_SPECIFIERS, ...(unit.host !== undefined && Object.fromEntries(Object.entries(unit.host))) };
  const expanded = expandSpecifiers(value, { name: unit.name, host });
  const unresolved = [...value.matchAll(/%([\s\S]?)/g)].find(
    ([, letter]) => letter !== '' && HOST_SPECIFIERS.includes(letter!) && !Object.hasOwn(host, letter!),
  )?.[0];
  // A UNIX or vsock socket has no port to leave to the machine; any other such line is quoted as the file says it
  // (`[fe80::1]:8000%%%l`), not half expanded.
  if (unresolved !== undefined) return /^[ \t\n\r]*(?:\/|@|vsock:)/.test(expanded) ? { value: expanded } : { value, unresolved };
  const port = listenPort(expanded);
  if (port !== undefined) return { value: expanded, port };
  const ignored = listenIgnored(expanded);
  return { value: expanded, ...(ignored !== undefined && { ignored }) };
}

/**
 * Pure: why systemd 252 reads no address in a listen value (after specifiers) that listenPort() names no port of,
 * as `systemd-analyze verify` logs it ("Failed to parse address value ..., ignoring"), with what in it systemd
 * refuses; undefined for a UNIX socket (`/path`, `@abstract`) or a vsock one, which have no port.
 */
function listenIgnored(value: string): string | undefined {
  const text = value.replace(/^[ \t\n\r]+|[ \t\n\r]+$/g, '');
  if (text.startsWith('/') || text.startsWith('@') || text.startsWith('vsock:')) return undefined;
  const said = 'systemd reads no address in it ("Failed to parse address value", as systemd-analyze verify logs it)';
  // The port: the whole value, or what follows an address's last colon.
  const port = /^(?:\[[^\]]*\]:|[0-9.]+:)?(\d+)$/.exec(text)?.[1];
  let why: string;
  if (port !== undefined && /^0\d*[89]/.test(port)) why = `a port with a leading 0 is octal to systemd, and ${port} has an 8 or 9`;
  else if (port !== undefined && Number(port) > 65535) why = `port ${port} is beyond 65535`;
  else if (port !== undefined && Number(port) === 0) why = 'port 0 is no port';
  else if (text.includes('#')) why = 'systemd takes no #NAME after a listen address';
  else if (addressBits(text)?.family === 6) why = 'an IPv6 address takes brackets and a port ([::1]:8000)';
  else why = 'it is no port (8000), IPv4 address and port (127.0.0.1:8000) nor [IPv6 address]:port ([::]:8000)';
  return `${said}: ${why}`;
}

/** Pure: merge a loaded socket unit's [Socket] section (an empty Listen*= drops every listen line before it, as systemd has it). */
export function parseSocketUnit(loaded: LoadedUnit): SocketUnit {
  checkLoadedUnit('parseSocketUnit', loaded, false);
  const masked = loaded.file !== undefined && loaded.file.text === undefined;
  let listens: SocketListen[] = [];
  let service: SocketUnit['service'];
  let accept = false;
  const unit = { name: loaded.unit };
  for (const file of masked ? [] : [loaded.file, ...loaded.dropIns]) {
    if (!file || file.text === undefined) continue;
    const text = file.text;
    let lines: string[] | undefined;
    // Where the value starts on its line: after the first `=` and systemd's blanks; a UTF-8 byte order mark is no character.
    const columnOf = (line: number): number | undefined => {
      lines ??= splitUnitLines(text);
      const physical = (lines[line - 1] ?? '').replace(/^\ufeff/, '');
      const equals = physical.indexOf('=');
      if (equals < 0) return undefined;
      let start = equals + 1;
      while (start < physical.length && SYSTEMD_WHITESPACE.includes(physical[start]!)) start++;
      return [...physical.slice(0, start)].length + 1;
    };
    for (const { section, key, value, line } of parseUnitFile(text, [])) {
      if (section !== 'Socket') continue;
      if (key.startsWith('Listen') && value === '') listens = [];
      else if (key === 'ListenStream' || key === 'ListenDatagram') {
        const { value: expanded, port, unresolved, ignored } = listenLine(value, unit);
        const column = columnOf(line);
        listens.push({
          key,
          value: expanded,
          ...(port !== undefined && { port }),
          ...(unresolved !== undefined && { unresolved }),
          ...(ignored !== undefined && { ignored }),
          ...(column !== undefined && { column }),
          transport: key === 'ListenStream' ? 'tcp' : 'udp',
          file: file.path,
          line,
        });
      } else if (key === 'Service' && value !== '') service = { value: expandSpecifiers(value, unit), file: file.path, line };
      else if (key === 'Accept') accept = isTrueSetting(value);
    }
  }
  return { unit: loaded.unit, ...(loaded.file && { file: loaded.file.path }), masked, listens, ...(service && { service }), accept };
}

/** `foo.service` -> `foo.socket`. */
const socketName = (service: string) => `${service.slice(0, service.lastIndexOf('.'))}.socket`;

/** A Sockets= setting of UnitFacts, as readSocketUnits reads it. */
function isSocketsSetting(entry: unknown): boolean {
  if (typeof entry !== 'object' || entry === null) return false;
  const { value, file, line } = entry as Record<string, unknown>;
  return typeof value === 'string' && typeof file === 'string' && typeof line === 'number';
}

/**
 * The socket units tied to each of `units` (service units, merged), read
 * under `root` from the unit directories of `listing`. Every `*.socket` in
 * those directories is read once (for `Service=`), with its drop-ins.
 * A socket unit it cannot read is left out.
 */
export function readSocketUnits(root: string, listing: UnitDirListing, units: readonly UnitFacts[]): Map<string, RelatedSocket[]> {
  nonEmptyStringArgument('readSocketUnits', 'root', root, 'a directory (a non-empty string)');
  if (!(listing instanceof Map)) throw new TypeError(`readSocketUnits: listing must be a Map, from listUnitDirs, not ${describeArgument(listing)}`);
  if (!isArraySafely(units)) throw new TypeError(`readSocketUnits: units must be an array of UnitFacts, from mergeUnit, not ${describeArgument(units)}`);
  // Each unit's name and Sockets=, read below: `[{}]` failed inside ("reading 'slice'"), and `[null]` on "reading 'sockets'".
  for (const [index, unit] of units.entries()) {
    const fields = typeof unit === 'object' && unit !== null ? (unit as Partial<Record<keyof UnitFacts, unknown>>) : undefined;
    if (fields === undefined) throw new TypeError(`readSocketUnits: units[${index}] must be UnitFacts, from mergeUnit, not ${describeArgument(unit)}`);
    if (typeof fields.unit !== 'string')
      throw new TypeError(`readSocketUnits: units[${index}].unit must be a unit name (a string), not ${describeArgument(fields.unit)}`);
    const problem =
      fields.sockets === undefined
        ? undefined
        : listProblem(`units[${index}].sockets`, fields.sockets, 'an array of { value, file, line } or left out', '{ value, file, line }', isSocketsSetting);
    if (problem !== undefined) throw new TypeError(`readSocketUnits: ${problem}`);
  }
  const related = new Map<string, RelatedSocket[]>();
  if (units.length === 0) return related;
  const { names, load, enabledBy } = socketUnitReader(root, listing);
  for (const unit of units) {
    const found = new Map<string, RelatedSocket>();
    const add = (name: string, via: string, pulledByService: boolean, accepting?: boolean) => {
      if (found.has(name)) return;
      const socket = load(name);
      if (!socket || socket.masked || (accepting !== undefined && socket.accept !== accepting)) return;
      const by = enabledBy(name);
      found.set(name, { ...socket, via, pulledByService, ...(by && { enabledBy: by }) });
    };
    for (const setting of unit.sockets ?? []) add(setting.value, `Sockets= at ${setting.file}:${setting.line}`, true);
    // The same name: foo.socket activates foo.service unless its Service= names another (Accept=no).
    const same = socketName(unit.unit);
    const sameUnit = load(same);
    if (sameUnit && !sameUnit.accept && (sameUnit.service === undefined || sameUnit.service.value === unit.unit)) add(same, 'same name', false);
    // An instance foo@i.service is also what foo.socket with Accept=yes starts for each connection.
    const template = templateOf(unit.unit);
    if (template) add(`${unit.unit.slice(0, unit.unit.indexOf('@'))}.socket`, 'Accept=yes, the template of the same name', false, true);
    for (const name of names) {
      const service = load(name)?.service;
      if (service?.value === unit.unit) add(name, `Service= at ${service.file}:${service.line}`, false);
    }
    if (found.size > 0) related.set(unit.unit, [...found.values()]);
  }
  return related;
}

/** A socket unit that listens on a given port, with the listen line, and what enables it. */
export interface ListeningSocket extends SocketUnit {
  /** The first ListenStream= / ListenDatagram= line on the port. */
  readonly listen: SocketListen;
  /** The `.wants/` or `.requires/` directory that enables it, if any. */
  readonly enabledBy?: string;
}

/**
 * The socket units under `root`, in the unit directories of `listing`, with a
 * ListenStream= (tcp) or ListenDatagram= (udp) on `port`: what systemd (PID 1)
 * holds the port for when it holds it. Every `*.socket` there is read once, and
 * every enabled instance of a template one; masked ones are left out. Only
 * worth its reads where PID 1 holds the port.
 */
export function socketUnitsOn(root: string, listing: UnitDirListing, port: number, transport: 'tcp' | 'udp'): ListeningSocket[] {
  nonEmptyStringArgument('socketUnitsOn', 'root', root, 'a directory (a non-empty string)');
  if (!(listing instanceof Map)) throw new TypeError(`socketUnitsOn: listing must be a Map, from listUnitDirs, not ${describeArgument(listing)}`);
  portArgument('socketUnitsOn', port);
  transportArgument('socketUnitsOn', transport);
  const { names, load, enabledBy } = socketUnitReader(root, listing);
  const found: ListeningSocket[] = [];
  for (const name of [...names].sort()) {
    const socket = load(name);
    const listen = socket?.listens.find((line) => line.port === port && line.transport === transport);
    if (!socket || socket.masked || !listen) continue;
    const by = enabledBy(name);
    found.push({ ...socket, listen, ...(by && { enabledBy: by }) });
  }
  return found;
}

/**
 * The socket units the unit directories hold, for Service= and listen lines:
 * every one in the directories, and every instance of a template one that a
 * .wants/ or .requires/ directory enables (http@8000.socket from
 * http@.socket: loaded from its template, with %i expanded); each loaded
 * once, with its drop-ins; and which directory enables each.
 */
function socketUnitReader(root: string, listing: UnitDirListing) {
  const enabled = readEnabled(root, listing);
  const names = new Set<string>();
  for (const listed of listing.values()) for (const name of listed) if (name.endsWith('.socket') && !name.includes('@.')) names.add(name);
  for (const name of enabled.keys()) if (templateOf(name) !== undefined) names.add(name);
  const cache = new Map<string, SocketUnit | undefined>();
  const load = (name: string): SocketUnit | undefined => {
    if (!cache.has(name)) {
      const loaded = loadUnit(root, name, listing);
      cache.set(name, loaded.file || loaded.dropIns.length > 0 ? parseSocketUnit(loaded) : undefined);
    }
    return cache.get(name);
  };
  const enabledBy = (name: string): string | undefined => {
    const template = templateOf(name);
    return enabled.get(name) ?? (template === undefined ? undefined : enabled.get(template));
  };
  return { names, load, enabledBy };
}

/** Which socket units a `*.wants/` or `*.requires/` directory in the unit directories enables: name -> that directory. */
function readEnabled(root: string, listing: UnitDirListing): Map<string, string> {
  const enabled = new Map<string, string>();
  for (const [dir, listed] of listing) {
    for (const name of listed) {
      if (!name.endsWith('.wants') && !name.endsWith('.requires')) continue;
      try {
        for (const entry of readdirSync(hostPath(root, `${dir}/${name}`))) {
          if (entry.endsWith('.socket') && !enabled.has(entry)) enabled.set(entry, `/${dir}/${name}`);
        }
      } catch {
        // A directory it cannot list enables nothing it can see.
      }
    }
  }
  return enabled;
}
