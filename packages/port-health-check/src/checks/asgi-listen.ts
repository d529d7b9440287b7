// Where the API's server listens, as its command line says (asgi-command.ts),
// held to the registry: its port to the service's port (the registry's, or
// the override its unit sets in the service's variable: CONTIMG_API_PORT),
// its host to the service's access level (accessMismatch, the judgement every
// reader of a listen address makes). Each finding at the ExecStart= line.
import { escapeText, type Service } from '@dsa110/ports';
import { portWords } from './references.js';
import { ASGI_DEFAULT, PYTHON_PORT, type AsgiCommand, type GivenValue } from './asgi-command.js';
import { commandAt } from './references/daemon-command.js';
import { accessMismatch, hostReach, notAPort, orRegistry, registryInstead, type Finding, type RegistryTakes } from './references/finding.js';
import type { Facts } from '../types.js';

/** What the server is held to: the service's port as its unit sets it (portWords), and what to write. */
interface Expectation {
  readonly service: Service;
  /** The service's name for a message, with the unit's override of its port: `FastAPI (CONTIMG_API_PORT=28010 in FILE:LINE)`. */
  readonly name: string;
  readonly port: number;
  /** What to write for the port: `${CONTIMG_API_PORT}` when the unit sets the service's variable, else the port. */
  readonly portWord: string;
  /** The host to write: loopback for a localhost or dev service, every address for another. */
  readonly host: string;
  readonly unit: string;
  readonly registryTakes?: RegistryTakes;
}

/** A given value for a message: `--port 28005`, `--port 28005 (from $PORT_ARGS, set at FILE:LINE)`, `UVICORN_PORT=28005 at FILE:LINE`. */
function shown(given: GivenValue): string {
  if (given.env !== undefined) return `${given.env.variable}=${escapeText(given.env.value, 200)} at ${escapeText(`${given.env.file}:${given.env.line}`, 500)}`;
  const from = given.from;
  const origin =
    from === undefined
      ? ''
      : from.set === undefined
        ? ` (from ${from.written}, set nowhere)`
        : ` (from ${from.written}, set at ${escapeText(`${from.set.file}:${from.set.line}`, 500)})`;
  return `${given.option} ${escapeText(given.value, 200)}${origin}`;
}

/** Where to write an option: in ExecStart=, which wins over the server's environment variables. */
function written(option: string, value: string, given: GivenValue | undefined, unit: string): string {
  const also = given?.env !== undefined ? ` (over ${given.env.variable})` : '';
  return `write ${option} ${value} in its ExecStart=${also}, then systemctl daemon-reload and restart ${escapeText(unit, 200)}`;
}

/** Pure: uvicorn's port and host, held to `expect`. */
function uvicornFindings(command: AsgiCommand & { listen: { server: 'uvicorn' } }, expect: Expectation): Omit<Finding, 'line'>[] | undefined {
  const { listen } = command;
  const name = expect.service.name;
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
  const fixPort = written('--port', expect.portWord, listen.port, expect.unit);
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
  const host = listen.host?.value ?? ASGI_DEFAULT.host;
  const listens =
    listen.host === undefined
      ? `its ExecStart= gives uvicorn no --host (nor UVICORN_HOST), so it listens on its default ${ASGI_DEFAULT.host}, which`
      : `${shown(listen.host)} in its ExecStart=`;
  const wrongReach = accessMismatch(hostReach(host), expect.service, listens, written('--host', expect.host, listen.host, expect.unit));
  if (wrongReach !== undefined) findings.push({ severity: 'error', message: wrongReach });
  return findings;
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

/** Pure: gunicorn's binds, held to `expect`: one on the service's port, and each such one's host to its access level. */
function gunicornFindings(command: AsgiCommand & { listen: { server: 'gunicorn' } }, expect: Expectation): Omit<Finding, 'line'>[] | undefined {
  const { listen } = command;
  const name = expect.service.name;
  const bind = `${expect.host === '0.0.0.0' ? '0.0.0.0' : '127.0.0.1'}:${expect.portWord}`;
  if ('unread' in listen)
    return [
      { severity: 'unknown', message: `where ${name} listens cannot be told: ${listen.unread}; write --bind ${bind} in its ExecStart= to make it plain` },
    ];
  const binds = listen.binds.map((given) => ({ given, address: gunicornAddress(given.value) }));
  // A socket it is handed: where, its line does not say.
  if (binds.some(({ address }) => 'fd' in address)) return undefined;
  const findings: Omit<Finding, 'line'>[] = [];
  const tcp = binds.flatMap(({ given, address }) => ('port' in address ? [{ given, ...address }] : []));
  const fix = (what: GivenValue) => written(what.option.startsWith('--') ? '--bind' : '-b', bind, what.env === undefined ? undefined : what, expect.unit);
  for (const { given, port } of tcp) {
    if (PYTHON_PORT.port(port) === undefined)
      findings.push({
        severity: 'error',
        message: `its ExecStart= gives gunicorn ${shown(given)}: ${notAPort(port, { ...PYTHON_PORT, program: 'gunicorn' })}, so gunicorn exits at start; ${fix(given)}`,
      });
  }
  const onPort = tcp.filter(({ port }) => PYTHON_PORT.port(port) === expect.port);
  if (findings.length === 0 && onPort.length === 0) {
    const first = listen.binds[0]!;
    const said = tcp.length === 0 ? `binds ${listen.binds.map(shown).join(', ')}, no TCP port` : `binds ${listen.binds.map(shown).join(', ')}`;
    const other = tcp.length === 1 ? PYTHON_PORT.port(tcp[0]!.port) : undefined;
    findings.push({
      severity: 'error',
      message: `its ExecStart= gives gunicorn ${said}, but ${expect.name} uses port ${expect.port}; ${fix(first)}${orRegistry(registryInstead(expect, other))}`,
    });
  }
  for (const { given, host } of onPort) {
    const wrongReach = accessMismatch(hostReach(host.toLowerCase()), expect.service, `${shown(given)} in its ExecStart=`, fix(given));
    if (wrongReach !== undefined) findings.push({ severity: 'error', message: wrongReach });
  }
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
  const setsVariable = variable !== undefined && facts.units.get(command.unit)?.environment.has(variable) === true;
  const expect: Expectation = {
    service,
    name,
    port,
    portWord: setsVariable ? `\${${variable}}` : String(port),
    host: service.access === 'localhost' || service.access === 'dev' ? '127.0.0.1' : '0.0.0.0',
    unit: command.unit,
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
