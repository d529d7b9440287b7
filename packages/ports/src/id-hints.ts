// The one home of the hints for an id that is not one: what to give instead,
// for a service id (Registry.service(), so ports get, claim-port and
// port-health-check --service say the same) and for a reserved id (ports free).
// What a person types in place of an id is what they see elsewhere: a port
// (`8000`), a unit (`redis-server.service`), a name (`FastAPI`, the SERVICE
// column of `ports list`), the other kind of entry, or a typo. Every id, port
// and range printed comes from the registry, never the input; ids and units
// shown escaped all the same (a Registry built from data by JavaScript holds
// whatever ids it was given: a line break, a terminal escape, a megabyte).
import { escapeText, MAX_QUOTED, quoteValue } from './escape.js';
import { compileGlob } from './glob.js';
import { formatRange } from './rules.js';
import { closest } from './suggest.js';

/** A systemd unit type suffix (systemd.unit(5)). */
const UNIT_SUFFIX = /^(.+)\.(?:service|socket|device|mount|automount|swap|target|path|timer|slice|scope)$/;

/** A port as typed in place of an id: `8000`, `5353/udp` (a number that is no port, 0 or past 65535, notAPort answers first). */
const PORT = /^([1-9][0-9]{0,4})(?:\/(tcp|udp))?$/;
/** A number typed in place of an id, of any length, perhaps with a transport: `0`, `00`, `99999999999999999999`, `70000/udp`. */
const NUMBER = /^([0-9]+)(?:\/(?:tcp|udp))?$/;

/**
 * The hint for a number typed as a port that is none, which no tool takes (claim-port refuses it, exit 64): 0, or past
 * 65535 however many digits (judged on the digits: Number() makes 1e20 of a 21-digit word); undefined for any other
 * input. One with a leading zero whose value is a port (`08000`) is left to the other hints, as before.
 */
function notAPort(input: string): string | undefined {
  const number = NUMBER.exec(input);
  if (!number) return undefined;
  const value = number[1]!.replace(/^0+/, '');
  if (value !== '' && value.length <= 5 && Number(value) <= 65535) return undefined;
  return ` (${escapeText(input, MAX_QUOTED)} is not a port: ports are 1-65535)`;
}

/** What the hints need of a registry (a Registry is one). */
export interface IdFacts {
  readonly services: readonly {
    readonly id: string;
    readonly name: string;
    readonly title: string;
    readonly port: number;
    readonly transport: 'tcp' | 'udp';
    readonly systemd?: { readonly unit: string };
    /** The process names (globs) the service runs as (`uvicorn`): a person types them for the service too. */
    readonly processes?: readonly string[];
  }[];
  readonly reserved: readonly { readonly id: string; readonly name: string; readonly start: number; readonly end: number; readonly for: readonly string[] }[];
}

/** The most ids an unknown-id message lists: with a registry of 500 services it was one line of 10,000 characters. */
export const MAX_IDS_IN_MESSAGE = 20;

/** `a, b, c`: the first MAX_IDS_IN_MESSAGE of `ids`, then how many more, and where to see them all. */
export function idList(ids: readonly string[]): string {
  const shown = ids.slice(0, MAX_IDS_IN_MESSAGE).map((id) => escapeText(id, MAX_QUOTED));
  if (ids.length <= MAX_IDS_IN_MESSAGE) return shown.join(', ');
  return `${shown.join(', ')}, … and ${ids.length - MAX_IDS_IN_MESSAGE} more (ports list shows every one)`;
}

type Entry = { readonly id: string };

const quoted = (entries: readonly Entry[]) => entries.map((entry) => quoteValue(entry.id)).join(', ');

/** `belongs to service "api": give its id, "api"`, or to several: give one of their ids. */
function giveId(kind: string, entries: readonly Entry[]): string {
  return entries.length === 1 ? `${kind} ${quoted(entries)}: give its id, ${quoted(entries)}` : `${kind}s ${quoted(entries)}: give one of their ids`;
}

/** ` (did you mean "ID"?)` for the nearest of `ids` to `input`, or nothing: the id quoted as every id here is. */
function nearest(input: string, ids: readonly string[]): string {
  const near = closest(input, ids);
  return near === undefined ? '' : ` (did you mean ${quoteValue(near)}?)`;
}

/** What `ports free ID` does, said where a reserved range was given in place of something else. */
const freePort = (id: string) => `"ports free ${escapeText(id, MAX_QUOTED)}" prints a free port in it`;

/** The entries whose name (or title) is `input`, ignoring case; none when it is one of their ids in other case (a typo of the id). */
function byName<T extends Entry & { readonly name: string; readonly title?: string }>(input: string, entries: readonly T[]): T[] {
  const lower = input.trim().toLowerCase();
  if (lower === '' || entries.some((entry) => entry.id.toLowerCase() === lower)) return [];
  return entries.filter((entry) => entry.name.toLowerCase() === lower || entry.title?.toLowerCase() === lower);
}

/** Whether process-name glob `glob` (a registry's `processes`) matches `name`; false for a glob that is not well formed. */
function processGlobMatches(glob: string, name: string): boolean {
  try {
    return compileGlob(glob).test(name);
  } catch {
    return false;
  }
}

/** The reserved ranges that hold `port`. */
const rangesOf = (port: number, registry: IdFacts) => registry.reserved.filter((range) => port >= range.start && port <= range.end);

/**
 * The hint for a service id that is not one, empty when none fits: the id to
 * give when the input is a service's port (`8000`, `5353/udp`: its port in the
 * registry, overrides not applied), a systemd unit a service declares
 * (`redis-server.service`, or without `.service`), a service's name or title
 * (`FastAPI`), or an id with a unit suffix (`redis.service`); what a reserved
 * range is when the input is one (`api-alt`) or a port in one (`8010`); the
 * service that runs as a process of that name (`uvicorn`, by its `processes`);
 * else the nearest id (a typo).
 */
export function serviceIdHint(input: string, registry: IdFacts): string {
  const { services } = registry;
  const none = notAPort(input);
  if (none !== undefined) return none;
  const port = PORT.exec(input);
  if (port) {
    const number = Number(port[1]);
    const owners = services.filter((service) => service.port === number && (port[2] === undefined || service.transport === port[2]));
    const shown = `port ${number}${port[2] ? `/${port[2]}` : ''}`;
    if (owners.length > 0) return ` (${shown} ${giveId('belongs to service', owners)})`;
    const range = rangesOf(number, registry)[0];
    if (range) {
      const keptFor = services.filter((service) => range.for.includes(service.id));
      const what = keptFor.length > 0 ? giveId('kept for service', keptFor) : `no service's port: ${freePort(range.id)}`;
      return ` (${shown} is in reserved range ${quoteValue(range.id)}, ${what})`;
    }
    return nearest(
      input,
      services.map((service) => service.id),
    );
  }
  const units = services.filter((service) => service.systemd !== undefined && (service.systemd.unit === input || service.systemd.unit === `${input}.service`));
  if (units.length > 0) return ` (unit ${escapeText(units[0]!.systemd!.unit, MAX_QUOTED)} ${giveId('belongs to service', units)})`;
  const range = registry.reserved.find((entry) => entry.id === input);
  if (range) return ` (a reserved range, ${formatRange(range)}, not a service: ${freePort(range.id)})`;
  const named = byName(input, services);
  if (named.length > 0) return ` (the name of ${giveId('service', named)})`;
  // An id with a unit suffix (`redis.service` for service redis, whose unit is redis-server.service).
  const unit = UNIT_SUFFIX.exec(input);
  const byId = unit ? services.find((service) => service.id === unit[1]) : undefined;
  if (byId) return ` (a systemd unit name, not a service id: give the id, ${quoteValue(byId.id)})`;
  // A process name a service runs as (`uvicorn` for api, whose processes are [uvicorn, gunicorn, ...]).
  const runs = services.filter((service) => (service.processes ?? []).some((glob) => processGlobMatches(glob, input)));
  if (runs.length > 0) return ` (a process name of ${giveId('service', runs)})`;
  return nearest(
    input,
    services.map((service) => service.id),
  );
}

/**
 * The hint for a reserved id that is not one (`ports free ID`), empty when
 * none fits: what to run for a service id, the id of the range that holds a
 * port (`3215`) or has a name (`Dashboard fallback ports`), claim-port for any
 * other port (`8000`: to free a port in use), that a number past 65535 is no
 * port, else the nearest reserved id (a typo).
 */
export function reservedIdHint(input: string, registry: IdFacts): string {
  if (registry.services.some((service) => service.id === input))
    return ` (${quoteValue(input)} is a service: "ports get ${escapeText(input, MAX_QUOTED)}" prints its port)`;
  const none = notAPort(input);
  if (none !== undefined) return none;
  const port = PORT.exec(input);
  const ranges = port ? rangesOf(Number(port[1]), registry) : [];
  if (ranges.length > 0) return ` (port ${port![1]}${port![2] ? `/${port![2]}` : ''} is in ${giveId('reserved range', ranges)})`;
  // `ports free 8000` read as kill-port's `free port 8000`: that is claim-port's work, for a port it takes (1-65535).
  if (port) {
    const shown = `${Number(port[1])}${port[2] ? `/${port[2]}` : ''}`;
    const owners = registry.services.filter((service) => service.port === Number(port[1]) && (port[2] === undefined || service.transport === port[2]));
    const whose = owners.length > 0 ? `port ${shown} ${owners.length === 1 ? 'belongs to service' : 'belongs to services'} ${quoted(owners)}; ` : '';
    return ` (${whose}to free port ${shown} from what holds it, run as root: claim-port ${shown})`;
  }
  const named = byName(input, registry.reserved);
  if (named.length > 0) return ` (the name of ${giveId('reserved range', named)})`;
  return nearest(
    input,
    registry.reserved.map((range) => range.id),
  );
}
