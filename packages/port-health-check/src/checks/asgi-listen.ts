// Where the API's server listens, as its command line says (asgi-command.ts),
// held to the registry: its port to the service's port (the registry's, or
// the override its unit sets in the service's variable: CONTIMG_API_PORT),
// its host to the service's access level (accessMismatch, the judgement every
// reader of a listen address makes). Each finding at the ExecStart= line.
import { escapeText, type Service } from '@dsa110/ports';
import { addressBits, normalizeAddress } from '@dsa110/ports/system';
import { portWords } from './references.js';
import { ASGI_DEFAULT, droppedOption, PYTHON_PORT, type AsgiCommand, type AsgiServer, type GivenValue, type UvicornRefusal } from './asgi-command.js';
import { commandAt } from './references/daemon-command.js';
import { glibcHost } from './references/glibc-host.js';
import { accessMismatch, hostReach, mappedBind, notAPort, orRegistry, registryInstead, type Finding, type RegistryTakes } from './references/finding.js';
import type { EnvironmentSetting, Facts, InstalledUvicorn } from '../types.js';
import { effectivePort } from '../effective-port.js';
import { restartStep } from './restart-step.js';

/** What the server is held to: the service's port as its unit sets it (portWords), and what to write. */
interface Expectation {
  readonly service: Service;
  /** The service's name for a message, with the unit's override of its port: `FastAPI (CONTIMG_API_PORT=28010 in FILE:LINE)`. */
  readonly name: string;
  readonly port: number;
  /** What to write for the port: `${CONTIMG_API_PORT}` when the unit sets the service's variable to a port the registry takes, else the port. */
  readonly portWord: string;
  /** The unit's setting of the service's variable when it is empty: `${CONTIMG_API_PORT}` then gives the server no port. */
  readonly empty?: EnvironmentSetting & { readonly variable: string };
  /**
   * The unit's setting of the service's variable when the registry refuses it (another service's port, `abc`,
   * `028010`): the service is held to the registry's port, which `${CONTIMG_API_PORT}` does not give.
   */
  readonly refused?: EnvironmentSetting & { readonly variable: string };
  /** The host to write: loopback for a localhost or dev service, every address for another. */
  readonly host: string;
  readonly unit: string;
  /** The root checked (Facts.root): a fix under another one ends as reloadStep says, not with the host's daemon-reload. */
  readonly root: string;
  readonly registryTakes?: RegistryTakes;
}

/** A bind the line gives, as `0.0.0.0:8005 (--bind)` (`(-b, from ${PORT}, set at FILE:LINE)`); undefined for any other (shown's). */
function boundTo(given: GivenValue): string | undefined {
  if (given.implicit || given.conf !== undefined || given.env !== undefined || given.dropped) return undefined;
  const from = given.from;
  const origin =
    from === undefined
      ? ''
      : `, from ${from.written}, ${from.set === undefined ? 'set nowhere' : `set at ${escapeText(`${from.set.file}:${from.set.line}`, 500)}`}`;
  return `${escapeText(given.value, 200)} (${given.option}${origin})`;
}

/** A given value for a message: `--port 28005`, `--port 28005 (from $PORT_ARGS, set at FILE:LINE)`, `UVICORN_PORT=28005 at FILE:LINE`. */
function shown(given: GivenValue): string {
  if (given.implicit) {
    const port = given.env === undefined ? '' : ` (PORT=${escapeText(given.env.value, 200)} at ${escapeText(`${given.env.file}:${given.env.line}`, 500)})`;
    return `gunicorn's default bind ${escapeText(given.value, 200)}${port}`;
  }
  if (given.conf !== undefined) return `bind = ${escapeText(given.value, 200)} at ${escapeText(`${given.conf.file}:${given.conf.line}`, 500)}`;
  if (given.env !== undefined) return `${given.env.variable}=${escapeText(given.env.value, 200)} at ${escapeText(`${given.env.file}:${given.env.line}`, 500)}`;
  const from = given.from;
  if (given.dropped && from !== undefined) {
    const unset = from.set === undefined ? 'set nowhere' : `empty at ${escapeText(`${from.set.file}:${from.set.line}`, 500)}`;
    const took = given.value === '' ? 'no value' : `the next word, ${escapeText(given.value, 200)}`;
    return `${given.option} ${escapeText(from.written, 200)} (${unset}), a word systemd drops, so ${given.option} takes ${took}`;
  }
  // `--port ${X}` with X empty: one empty argument.
  if (from !== undefined && given.value === '' && from.set !== undefined)
    return `${given.option} ${from.written} (empty at ${escapeText(`${from.set.file}:${from.set.line}`, 500)})`;
  const origin =
    from === undefined
      ? ''
      : from.set === undefined
        ? ` (from ${from.written}, set nowhere)`
        : ` (from ${from.written}, set at ${escapeText(`${from.set.file}:${from.set.line}`, 500)})`;
  return `${given.option} ${escapeText(given.value, 200)}${origin}`;
}

/** Where to write an option: in ExecStart=, which wins over the server's environment variables; `instead` of what it gives (two binds or more). */
function written(
  option: string,
  value: string,
  given: GivenValue | undefined,
  expect: Pick<Expectation, 'unit' | 'root'>,
  instead?: readonly string[],
): string {
  const also =
    given?.conf !== undefined
      ? ` (over the bind of ${escapeText(given.conf.file, 500)})`
      : given?.env !== undefined && !given.implicit
        ? ` (over ${given.env.variable})`
        : '';
  const replacing = instead === undefined ? '' : ` in place of ${listed(instead)}`;
  return `write ${option} ${value} in its ExecStart=${replacing}${also}${restarted(expect)}`;
}

/** What a fix ends with: the host's daemon-reload and restart of the unit, or under --root reloadStep's words (restartStep). */
function restarted(expect: Pick<Expectation, 'unit' | 'root'>): string {
  return restartStep(expect.root, escapeText(expect.unit, 200));
}

/**
 * A fix that writes the port as the service's variable (`lineFix`, for what `option` gives `server`), when the unit
 * sets that variable empty: `${CONTIMG_API_PORT}` would give the server no port (uvicorn 0.54: "Invalid value for
 * '--port': '' is not a valid integer"), so the variable is set to the port where it is set first; the line is left
 * as it is when its port is that variable already (`fromVariable`). When the registry refuses the variable's value,
 * the line's port comes from it only through that value: the setting is the thing to fix, or the line takes the
 * port itself (`lineFix` writes it, not the variable).
 */
function withEmptySet(expect: Expectation, lineFix: string, fromVariable: boolean, option: string, server: AsgiServer): string {
  const { empty, refused } = expect;
  if (refused !== undefined && fromVariable)
    return `set ${refused.variable}=${expect.port} at ${escapeText(`${refused.file}:${refused.line}`, 500)}, where the registry refuses ${escapeText(refused.value, 200)} (the systemd check says why), or ${lineFix}`;
  if (empty === undefined) return lineFix;
  const set = `set ${empty.variable}=${expect.port} at ${escapeText(`${empty.file}:${empty.line}`, 500)}, where it is empty`;
  if (fromVariable) return `${set}${restarted(expect)}`;
  return `${set} (so ${option} would give ${server} no port), and ${lineFix}`;
}

/** Pure: uvicorn's port and host, held to `expect`. */
function uvicornFindings(command: AsgiCommand & { listen: { server: 'uvicorn' } }, expect: Expectation): Omit<Finding, 'line'>[] | undefined {
  const { listen } = command;
  const name = expect.service.name;
  // A word click refuses as it parses: said alone. No APP, or words beyond it: said unless a --port value it refuses
  // comes first (click converts the options' values before it looks for APP and extra words).
  if (listen.refused !== undefined) {
    const { kind } = listen.refused.about;
    const badPort = listen.port !== undefined && PYTHON_PORT.port(listen.port.value) === undefined;
    // An option uvicorn 0.54 lacks may be a newer uvicorn's: not told, unless the installed uvicorn is a version known here.
    if (kind === 'unknown' && listen.refused.about.installed === undefined)
      return [{ severity: 'unknown', message: unknownOption(listen.refused.about.word, expect) }];
    if ((kind !== 'no app' && kind !== 'extra') || !badPort) return [{ severity: 'error', message: refusal(listen.refused, expect) }];
  }
  // A socket it is handed (--fd) or a Unix socket (--uds): its TCP port is not on this line.
  if (listen.fd !== undefined) return undefined;
  if (listen.uds !== undefined)
    return [
      {
        severity: 'warning',
        message: `its ExecStart= gives uvicorn ${shown(listen.uds)}, so ${name} listens on that Unix socket and on no TCP port, not on port ${expect.port}; remove it, or remove ${name}'s port from the registry`,
      },
    ];
  const findings: Omit<Finding, 'line'>[] = [];
  const fixPort = withEmptySet(
    expect,
    written('--port', expect.portWord, listen.port, expect),
    listen.port?.from !== undefined && listen.port.from.variable === expect.service.env,
    `--port ${expect.portWord}`,
    'uvicorn',
  );
  const port = listen.port === undefined ? ASGI_DEFAULT.port : PYTHON_PORT.port(listen.port.value);
  if (listen.port !== undefined && port === undefined)
    findings.push({
      severity: 'error',
      message: `its ExecStart= gives uvicorn ${shown(listen.port)}: ${notAPort(listen.port.value, PYTHON_PORT)}, so ${PYTHON_PORT.refused}; ${fixPort}`,
    });
  else if (port !== expect.port) {
    const said =
      listen.port === undefined
        ? `its ExecStart= gives uvicorn no --port (nor UVICORN_PORT), so it listens on its default port ${ASGI_DEFAULT.port}`
        : listen.port.env !== undefined
          ? `its ExecStart= gives uvicorn no --port, so it listens on ${shown(listen.port)}`
          : `its ExecStart= gives uvicorn ${shown(listen.port)}`;
    findings.push({
      severity: 'error',
      message: `${said}, but ${expect.name} uses port ${expect.port}; ${fixPort}${orRegistry(registryInstead(expect, port))}`,
    });
  }
  // A port uvicorn refuses: it does not start, so where it would listen is moot.
  if (listen.port !== undefined && port === undefined) return findings;
  // uvicorn hands --host to getaddrinfo as it is: `[::]` is no name it resolves, and it exits at start (uvicorn 0.54).
  if (listen.host !== undefined && /[[\]]/.test(listen.host.value)) {
    const bare = listen.host.value.replace(/^\[(.*)\]$/, '$1');
    const reach = hostReach(bare.toLowerCase(), glibcHost);
    const write = reach !== undefined && !/[[\]]/.test(bare) && accessMismatch(reach, expect.service, '', '') === undefined ? bare : expect.host;
    const said =
      listen.host.env !== undefined
        ? `its ExecStart= gives uvicorn no --host, so it reads ${shown(listen.host)}`
        : `its ExecStart= gives uvicorn ${shown(listen.host)}`;
    findings.push({
      severity: 'error',
      message: `${said}, an address in brackets, which uvicorn does not take (it exits at start: "Name or service not known"); ${written('--host', escapeText(write, 200), listen.host, expect)}`,
    });
    return findings;
  }
  const host = listen.host?.value ?? ASGI_DEFAULT.host;
  // An IPv4-mapped address: asyncio opens an IPv6-only socket for it, which Linux will not bind (uvicorn 0.17.6 exits).
  const mapped = glibcHost(host);
  if (listen.host !== undefined && mappedBind(mapped)) {
    const v4 = [24n, 16n, 8n, 0n].map((shift) => String((mapped!.value >> shift) & 255n)).join('.');
    findings.push({
      severity: 'error',
      message: `${shown(listen.host)} in its ExecStart=: an IPv4-mapped IPv6 address, which Linux does not bind uvicorn's IPv6-only socket to, so it exits at start ("[Errno 22] error while attempting to bind on address ... invalid argument"); ${written('--host', escapeText(keptHost(v4, expect).host, 200), listen.host, expect)}`,
    });
    return findings;
  }
  const listens =
    listen.host === undefined
      ? `its ExecStart= gives uvicorn no --host (nor UVICORN_HOST), so it listens on its default ${ASGI_DEFAULT.host}, which`
      : `${shown(listen.host)} in its ExecStart=`;
  const reach = hostReach(host, glibcHost);
  if (reach === undefined) {
    findings.push({ severity: 'unknown', message: namedHost(listens, 'uvicorn', host, expect) });
    return findings;
  }
  const wrongReach = beyondAccess(reach, expect.service, listens, written('--host', expect.host, listen.host, expect));
  if (wrongReach !== undefined) findings.push({ severity: 'error', message: wrongReach });
  return findings;
}

/** A command line click refuses, said with uvicorn's own error (uvicorn 0.54 prints it and exits 2), and what to change. */
function refusal({ error, about }: UvicornRefusal, expect: Expectation): string {
  return `its ExecStart= gives uvicorn a command line it refuses, so it exits at start ("Error: ${escapeText(error, 500)}"); ${refusalFix(about, expect)}${restarted(expect)}`;
}

/** An option not in uvicorn 0.54's `--help`: refused unless the uvicorn installed is a newer one that has it, whose value (if any) is not known here. */
function unknownOption(option: string, expect: Expectation): string {
  const word = escapeText(option, 200);
  return `its ExecStart= gives uvicorn ${word}, an option uvicorn 0.54 does not have, so whether it starts, and on which port, cannot be told here: a uvicorn without it exits at start ("Error: No such option '${word}'."); if \`uvicorn --help\` does not list it, remove it from its ExecStart=${restarted(expect)}`;
}

/** The uvicorn installed, for a message: `uvicorn 0.17.6 (/usr/lib/python3/dist-packages/uvicorn-0.17.6.egg-info/PKG-INFO)`. */
function installedUvicorn(installed: InstalledUvicorn): string {
  return `uvicorn ${escapeText(installed.version, 100)} (${escapeText(installed.metadata, 500)})`;
}

/** What to change in the command line click refuses for `about`. */
function refusalFix(about: UvicornRefusal['about'], expect: Expectation): string {
  if (about.kind === 'no app') {
    const { appEnv } = about;
    const name = 'name its app in its ExecStart= (MODULE:ATTRIBUTE, as in uvicorn app:app)';
    if (appEnv === undefined) return name;
    const at = escapeText(`${appEnv.setting.file}:${appEnv.setting.line}`, 500);
    return `the installed ${installedUvicorn(appEnv.installed)} does not read UVICORN_APP (set at ${at}): ${name}, or upgrade uvicorn to one that reads it (0.54 does)`;
  }
  const word = escapeText(about.word, 200);
  switch (about.kind) {
    case 'short':
      return shortFix(about, expect);
    case 'unknown':
      if (about.installed !== undefined && droppedOption(about.word, about.installed))
        return `the installed ${installedUvicorn(about.installed)} no longer has ${word} (older uvicorns took it): remove it from its ExecStart=`;
      if (about.installed !== undefined)
        return `the installed ${installedUvicorn(about.installed)} does not have ${word}: remove it from its ExecStart=, or upgrade uvicorn to a version whose \`uvicorn --help\` lists it`;
      return `remove ${word} from its ExecStart=, or write an option \`uvicorn --help\` lists`;
    case 'flag value':
      return `write ${word} alone in its ExecStart=, with no =VALUE`;
    case 'no value':
      return `give ${word} its value in its ExecStart=`;
    case 'extra': {
      const why = about.comment
        ? 'systemd passes a # inside a command line on as words: a comment goes on a line of its own'
        : about.afterDashes
          ? 'after --, uvicorn takes every word as an argument, and it takes one, APP'
          : 'uvicorn takes one argument, APP, beside its options';
      return `remove ${word} from its ExecStart= (${why})`;
    }
  }
}

/**
 * The fix for a short option (uvicorn has none): the long one it stands for (`-p` --port, `-h` --host; for another
 * letter, whichever of them the line lacks), its value kept when written apart (`-p 8000`: `--port 8000`), or, when
 * the line has that long one already, the short one removed.
 */
function shortFix(about: Extract<UvicornRefusal['about'], { kind: 'short' }>, expect: Expectation): string {
  const word = escapeText(about.word, 200);
  const letter = about.word.slice(1, 2);
  const like = letter === 'p' ? (['--port'] as const) : letter === 'h' ? (['--host'] as const) : (['--port', '--host'] as const);
  // `-h127.0.0.1`: the host in the word, kept where the access allows it (keptHost).
  const kept = keptHost(letter === 'h' && about.word.length > 2 ? about.word.slice(2) : undefined, expect);
  const wanted = { '--port': expect.portWord, '--host': kept.why === undefined ? escapeText(kept.host, 200) : `${kept.host} (${kept.why})` };
  const missing = like.filter((long) => !about.given.includes(long));
  if (missing.length === 0)
    return `uvicorn has no short options, and the line gives ${like.join(' and ')} already: remove ${word}${about.word.length === 2 ? ' and its value' : ''} from its ExecStart=`;
  // `-p 8000`: its value is the next word, which stays; `-p8000`: the value is in the word.
  const long = (option: (typeof missing)[number]) => (about.word.length === 2 && like.length === 1 ? option : `${option} ${wanted[option]}`);
  return `uvicorn has no short options: write ${missing.map(long).join(' or ')} in place of ${word} in its ExecStart=`;
}

/**
 * accessMismatch for an app server's host: only a reach beyond what the registry allows. Loopback only is within
 * every access level, as the live access check has it: an API on 127.0.0.1 behind nginx (as the e2e stacks and the
 * container deploy run it) is the usual way, and a narrower reach is the operator's to choose.
 */
function beyondAccess(...[reach, ...rest]: Parameters<typeof accessMismatch>): string | undefined {
  return reach === 'loopback' ? undefined : accessMismatch(reach, ...rest);
}

/**
 * The host a fix writes for a server given `host` (as written, without brackets; undefined when none is): that host
 * when the service's access allows it (beyondAccess: loopback behind a proxy, as the README has it, is within every
 * level), so that the fix changes only the port and widens nothing; else the host of its access level (expect.host),
 * with why.
 */
function keptHost(host: string | undefined, expect: Expectation): { host: string; why?: string } {
  if (host === undefined) return { host: expect.host };
  if (beyondAccess(hostReach(host.toLowerCase(), glibcHost), expect.service, '', '') === undefined) return { host };
  return { host: expect.host, why: `not ${escapeText(host, 200)}: the registry says ${expect.service.name} is access: ${expect.service.access}` };
}

/** A gunicorn bind as gunicorn reads it (util.parse_address): a Unix socket, a socket it is handed, or a host and port (8000 when none). */
function gunicornAddress(value: string): { unix: string } | { fd: string } | { host: string; port: string } {
  if (/^unix:/.test(value)) return { unix: value.replace(/^unix:(\/\/)?/, '') };
  if (value.startsWith('fd://')) return { fd: value.slice(5) };
  const address = value.startsWith('tcp://') ? value.slice(6) : value;
  if (address.includes('[') && address.includes(']'))
    return { host: address.split(']')[0]!.slice(1), port: address.split(']:')[1] ?? String(ASGI_DEFAULT.port) };
  if (address.includes(':')) {
    const [host, port] = address.split(':');
    return { host: host!, port: port! };
  }
  return { host: address === '' ? '0.0.0.0' : address, port: String(ASGI_DEFAULT.port) };
}

/**
 * A listen address that names a host (not `localhost`), which the server looks up when it starts, as `listens` gives
 * it: where it accepts connections cannot be told here (unknown, as Grafana's `http_addr` is), and an address says it.
 */
function namedHost(listens: string, server: AsgiServer, host: string, expect: Expectation): string {
  return `${listens} names a host, which ${server} looks up when it starts, so whether it accepts connections from other hosts cannot be told here; write an address in place of ${escapeText(host, 200)} (${expect.host} for access: ${expect.service.access}) to make it plain`;
}

/** A TCP bind of gunicorn's, read: as given, its host, and its port (undefined for one gunicorn refuses). */
interface TcpBind {
  readonly given: GivenValue;
  readonly host: string;
  readonly portText: string;
  readonly port: number | undefined;
}

/**
 * The address gunicorn binds a host to, for telling two binds apart: an address as its bits (`::ffff:127.0.0.1` is
 * 127.0.0.1), `localhost` as 127.0.0.1 (gunicorn opens an IPv4 socket for any host that is not IPv6), another name as written.
 */
function boundAs(host: string): { key: string; family: 4 | 6; every: boolean } {
  const bare = host === '' ? '0.0.0.0' : host.toLowerCase() === 'localhost' ? '127.0.0.1' : host.toLowerCase();
  const bits = addressBits(normalizeAddress(bare));
  const family = bits?.family ?? (bare.includes(':') ? 6 : 4);
  return { key: bits === undefined ? bare : `${bits.family}:${bits.value}`, family, every: bits?.value === 0n };
}

/**
 * Whether Linux refuses the second of two sockets on one port (without SO_REUSEPORT): the same address twice, or one
 * on every address beside any other of its family; gunicorn's `::` takes IPv4 too (it leaves IPV6_V6ONLY off), so
 * it refuses any other (checked with gunicorn 26: `-b [::]:P -b 127.0.0.1:P`, Address already in use).
 */
function refuse(one: TcpBind, other: TcpBind): boolean {
  const [a, b] = [boundAs(one.host), boundAs(other.host)];
  const covers = (wide: typeof a, narrow: typeof a) => wide.every && (wide.family === 6 || narrow.family === 4);
  return a.key === b.key || covers(a, b) || covers(b, a);
}

/** `A`, `A and B`, `A, B and C`. */
function listed(words: readonly string[]): string {
  return words.length < 2 ? (words[0] ?? '') : `${words.slice(0, -1).join(', ')} and ${words.at(-1)}`;
}

/**
 * Pure: gunicorn's binds, held to `expect`: one on the service's port; no two on one port that gunicorn cannot both
 * open (it then exits: Address already in use); and where those on the service's port accept connections from,
 * together, to its access level (127.0.0.1 beside 10.0.0.5 reaches other hosts).
 */
function gunicornFindings(command: AsgiCommand & { listen: { server: 'gunicorn' } }, expect: Expectation): Omit<Finding, 'line'>[] | undefined {
  const { listen } = command;
  const name = expect.service.name;
  const restart = restarted(expect);
  if ('unread' in listen) {
    // Where it listens now is not known: loopback, within every access level, so the advice widens nothing.
    const bind = `127.0.0.1:${expect.portWord}`;
    const wider =
      expect.host === '0.0.0.0' ? ` (or --bind 0.0.0.0:${expect.portWord} if other hosts must reach it, as access: ${expect.service.access} allows)` : '';
    return [
      {
        severity: 'unknown',
        message: `where ${name} listens cannot be told: ${listen.unread}; ${withEmptySet(expect, `write --bind ${bind} in its ExecStart=${wider} to make it plain`, false, `--bind ${bind}`, 'gunicorn')}`,
      },
    ];
  }
  if ('configMissing' in listen) {
    const { named, path } = listen.configMissing;
    return [
      {
        severity: 'error',
        message: `gunicorn is given -c ${escapeText(named, 500)}, and ${escapeText(path, 500)} is not there, so gunicorn exits at start ("doesn't exist"); put its config file there, or make -c name the one it has${restart}`,
      },
    ];
  }
  // Where the binds come from (all from one place): the line (or GUNICORN_CMD_ARGS), the config file, or gunicorn's default.
  const source = listen.binds[0];
  const conf = source?.conf;
  const lead = source?.implicit
    ? 'its ExecStart= gives gunicorn no bind, so it takes'
    : conf !== undefined
      ? "its ExecStart= gives gunicorn no --bind, so it takes its config file's"
      : 'its ExecStart= gives gunicorn';
  const from = conf === undefined ? 'its ExecStart=' : `bind at ${escapeText(`${conf.file}:${conf.line}`, 500)}`;
  const onLine = conf === undefined && !source?.implicit && source?.env === undefined ? ' in its ExecStart=' : '';
  const binds = listen.binds.map((given) => ({ given, address: gunicornAddress(given.value) }));
  // A socket it is handed: where, its line does not say.
  if (binds.some(({ address }) => 'fd' in address)) return undefined;
  const findings: Omit<Finding, 'line'>[] = [];
  const tcp: TcpBind[] = binds.flatMap(({ given, address }) =>
    'port' in address ? [{ given, host: address.host, portText: address.port, port: PYTHON_PORT.port(address.port) }] : [],
  );
  const optionOf = (what: GivenValue) => (/^-[^-]/.test(what.option) ? '-b' : '--bind');
  // In place of the line's binds; over the config file's or GUNICORN_CMD_ARGS's, which the line's wins over. Its host kept (keptHost).
  const fix = (what: GivenValue, instead?: readonly GivenValue[]) => {
    const address = gunicornAddress(what.value);
    const kept = keptHost('host' in address ? address.host : undefined, expect);
    const bind = `${escapeText(kept.host.includes(':') ? `[${kept.host}]` : kept.host, 200)}:${expect.portWord}`;
    return withEmptySet(
      expect,
      written(
        optionOf(what),
        kept.why === undefined ? bind : `${bind} (${kept.why})`,
        what.env === undefined && what.conf === undefined ? undefined : what,
        expect,
        instead && instead.length > 1 && conf === undefined ? instead.map(shown) : undefined,
      ),
      (instead ?? [what]).every((each) => each.from !== undefined && each.from.variable === expect.service.env),
      `${optionOf(what)} ${bind}`,
      'gunicorn',
    );
  };
  for (const { given, portText } of tcp.filter(({ port }) => port === undefined))
    findings.push({
      severity: 'error',
      message: `${lead} ${shown(given)}: ${notAPort(portText, { ...PYTHON_PORT, program: 'gunicorn' })}, so gunicorn exits at start; ${fix(given)}`,
    });
  let onPort = tcp.filter(({ port }) => port === expect.port);
  if (findings.length === 0 && onPort.length === 0) {
    const first = listen.binds[0]!;
    // Binds on the line: `binds gunicorn to 0.0.0.0:8005 (--bind)`; from GUNICORN_CMD_ARGS: the line gives none; else as given.
    const bound = listen.binds.map(boundTo);
    const binds = bound.every((text) => text !== undefined)
      ? `its ExecStart= binds gunicorn to ${bound.join(', ')}`
      : listen.binds.every((given) => given.env !== undefined && !given.implicit)
        ? `its ExecStart= gives gunicorn no --bind, so it takes ${listen.binds.map(shown).join(', ')}`
        : `${lead} ${listen.binds.map(shown).join(', ')}`;
    const said = tcp.length === 0 ? `${binds}, no TCP port` : binds;
    const other = tcp.length === 1 ? tcp[0]!.port : undefined;
    findings.push({
      severity: 'error',
      message: `${said}, but ${expect.name} uses port ${expect.port}; ${fix(first)}${orRegistry(registryInstead(expect, other))}`,
    });
  }
  // Two binds on one port that refuse each other: gunicorn retries, then exits.
  let refusedOnPort = false;
  if (listen.reusePort !== true)
    for (const port of new Set(tcp.flatMap(({ port }) => (port === undefined ? [] : [port])))) {
      const same = tcp.filter((each) => each.port === port);
      const refused = same.filter((each, index) => same.some((other, at) => at !== index && refuse(each, other)));
      if (refused.length === 0) continue;
      // A bind on every address that refuses another address (0.0.0.0 twice is one address twice).
      const every = refused.find(
        (each) => boundAs(each.host).every && same.some((other) => boundAs(other.host).key !== boundAs(each.host).key && refuse(each, other)),
      );
      // One address twice (none on every address): one goes, and the rest is judged as it then stands.
      if (every === undefined) {
        const twice = refused.filter((each, index) => refused.findIndex((other) => boundAs(other.host).key === boundAs(each.host).key) === index);
        for (const { given } of twice)
          findings.push({
            severity: 'error',
            message: `${lead} ${shown(given)} twice, so gunicorn cannot open both (Address already in use) and exits at start; remove one of them from ${from}${restart}`,
          });
        continue;
      }
      refusedOnPort ||= port === expect.port;
      const instead =
        port === expect.port
          ? fix(
              every.given,
              same.map(({ given }) => given),
            )
          : `remove ${listed(same.filter((each) => each !== every).map(({ given }) => shown(given)))} from ${from}${restart}`;
      findings.push({
        severity: 'error',
        message: `${lead} ${listed(refused.map(({ given }) => shown(given)))}, but ${shown(every.given)} takes port ${port} on every address, so gunicorn cannot open them all (Address already in use) and exits at start; ${instead}`,
      });
    }
  if (refusedOnPort || onPort.length === 0) return findings;
  // Where it accepts connections on the service's port: from every address or another host when any bind does.
  onPort = onPort.filter((each, index) => onPort.findIndex((other) => boundAs(other.host).key === boundAs(each.host).key) === index);
  const reaches = onPort.map(({ host }) => hostReach(host.toLowerCase(), glibcHost));
  // A host name, which gunicorn looks up when it starts: where it accepts connections is not known here (unknown);
  // the binds given as addresses are judged as ever.
  onPort.forEach(({ given, host }, index) => {
    if (reaches[index] === undefined) findings.push({ severity: 'unknown', message: namedHost(shown(given) + onLine, 'gunicorn', host, expect) });
  });
  const known = onPort.filter((_, index) => reaches[index] !== undefined);
  const knownReaches = reaches.filter((each) => each !== undefined);
  const reach = (['every', 'address'] as const).find((each) => knownReaches.includes(each)) ?? 'loopback';
  const local = expect.host !== '0.0.0.0';
  // Loopback only is within a localhost service's reach; beside a name, not known to be loopback only.
  if (reach === 'loopback' && (local || known.length < onPort.length)) return findings;
  const beyond = known.filter((_, index) => knownReaches[index] === 'every' || knownReaches[index] === 'address');
  const subject = local ? beyond : known;
  const [first] = subject;
  if (first === undefined) return findings;
  // For a localhost service, the binds beyond loopback go; one on loopback already there stays.
  const remedy =
    local && beyond.length < known.length
      ? `remove ${listed(beyond.map(({ given }) => shown(given)))} from ${from}${restart}`
      : fix(
          first.given,
          onPort.map(({ given }) => given),
        );
  const listens = subject.length === 1 ? `${shown(first.given)}${onLine}` : `gunicorn with ${listed(subject.map(({ given }) => shown(given)))}${onLine}`;
  const wrongReach = beyondAccess(reach, expect.service, listens, remedy);
  if (wrongReach !== undefined) findings.push({ severity: 'error', message: wrongReach });
  return findings;
}

/**
 * Pure: where the server of `command` listens, held to the registry's `service` (its port as its unit sets it, its
 * access level), each finding at the ExecStart= line; one ok finding when it agrees; none when the line does not say
 * (a socket it is handed: --fd, fd://).
 */
export function asgiFindings(facts: Facts, service: Service, command: AsgiCommand): Finding[] {
  const { port, name, registryTakes } = portWords(facts, service);
  const variable = service.env;
  const setting = variable === undefined ? undefined : facts.units.get(command.unit)?.environment.get(variable);
  // A value the registry refuses leaves the service on its registry port: `${VAR}` would give the server the refused one.
  const refused = setting !== undefined && setting.value !== '' && effectivePort(facts, service).problem !== undefined;
  const expect: Expectation = {
    service,
    name,
    port,
    portWord: setting !== undefined && !refused ? `\${${variable}}` : String(port),
    ...(setting !== undefined && setting.value === '' && { empty: { ...setting, variable: variable! } }),
    ...(refused && { refused: { ...setting, variable: variable! } }),
    host: service.access === 'localhost' || service.access === 'dev' ? '127.0.0.1' : '0.0.0.0',
    unit: command.unit,
    root: facts.root,
    ...(registryTakes && { registryTakes }),
  };
  const found =
    command.listen.server === 'uvicorn'
      ? uvicornFindings(command as AsgiCommand & { listen: { server: 'uvicorn' } }, expect)
      : gunicornFindings(command as AsgiCommand & { listen: { server: 'gunicorn' } }, expect);
  if (found === undefined) return [];
  const at = commandAt(command);
  if (found.length > 0) return found.map((finding) => ({ ...at, ...finding }));
  return [{ ...at, severity: 'ok', message: `its ExecStart= runs ${command.listen.server} on port ${port}` }];
}
