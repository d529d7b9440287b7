// Firewall rules from the registry's access levels, for nft or ufw. Only the
// registry's own ports are filtered: `public` accepts from anywhere,
// `private` from the private networks (RFC 1918 for IPv4; unique-local and
// link-local for IPv6), `localhost` and `dev` from nowhere but the host itself
// (loopback). A reserved range takes the access and transports of the
// services it is reserved for (the most restrictive access), else none, on
// TCP and UDP alike; its rules come after every
// service's, so a service inside a range reserved for it keeps its own access
// (nft and ufw take the first rule that matches). Every other port is left
// to the host's own rules, and so are SSH and node_exporter's ports inside a
// reserved range (HOST_PORTS), so loading this cannot lock anyone out. A
// service's env override (CONTIMG_API_PORT=8500), read from the environment
// the caller passes as `ports get` reads it, adds a rule for the port it moves
// the service to. The plan is a pure function; nft and ufw are two spellings
// of it.
import type { AccessLevel, Registry, Transport } from '../index.js';
import { GENERATED_BY } from './alert-rules.js';
import { NODE_EXPORTER_PORT } from './prometheus-config.js';

export const PRIVATE_NETWORKS_V4 = ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16'] as const;
export const PRIVATE_NETWORKS_V6 = ['fc00::/7', 'fe80::/10'] as const;
export const NFT_TABLE = 'dsa110_ports';
export const FIREWALL_FORMATS = ['nft', 'ufw'] as const;
export type FirewallFormat = (typeof FIREWALL_FORMATS)[number];

export function isFirewallFormat(format: string): format is FirewallFormat {
  return (FIREWALL_FORMATS as readonly string[]).includes(format);
}

/** Who may connect from outside the host. */
export type Sources = 'any' | 'private' | 'none';

export interface FirewallEntry {
  /** The service or reserved entry id. */
  readonly id: string;
  readonly start: number;
  readonly end: number;
  readonly transport: Transport;
  readonly access: AccessLevel | 'reserved';
  readonly sources: Sources;
  /** Set when the port is a service's env override, not the registry's: the variable, and the registry's port it moves from. */
  readonly override?: { readonly variable: string; readonly registryPort: number };
}

export interface FirewallOptions {
  /**
   * Where the services' port overrides are read (resolvePort's `env`): the `ports` command passes its own
   * environment. Left out, none apply and the rules are the registry's alone.
   */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/**
 * Ports a reserved range's rules leave to the host's own, whatever the range
 * covers: SSH, so that loading the rules cannot lock anyone out (a range 1-1024
 * dropped port 22 from outside), and node_exporter, which Prometheus scrapes from
 * another host. A service on one of them is the registry's own word and is filtered.
 */
const HOST_PORTS: readonly number[] = [22, NODE_EXPORTER_PORT];

/** `start`-`end` without the host's ports, as the runs left. */
function withoutHostPorts(start: number, end: number): [number, number][] {
  const runs: [number, number][] = [];
  let from = start;
  for (const port of [...HOST_PORTS].sort((a, b) => a - b)) {
    if (port < from || port > end) continue;
    if (port > from) runs.push([from, port - 1]);
    from = port + 1;
  }
  if (from <= end) runs.push([from, end]);
  return runs;
}

const SOURCES: Record<AccessLevel, Sources> = { public: 'any', private: 'private', localhost: 'none', dev: 'none' };
const RANK: Record<Sources, number> = { none: 0, private: 1, any: 2 };

/**
 * What the firewall allows for each of the registry's ports, in rule order:
 * the services by port, then the reserved ranges by start. The first rule that
 * matches decides, so a service's own rules must come before a range that
 * holds its port (a range reserved for a public and a localhost service is
 * loopback only, the public service's port inside it still public).
 *
 * A service moved by its env override (`options.env`) has rules on both ports:
 * the override's, where it listens, and the registry's, where a copy started
 * without the override would. A bad override throws resolvePort's PortsError
 * (BAD_OVERRIDE), as `ports get` refuses it: rules for a port the service will
 * not use would leave the one it uses open.
 */
export function firewallPlan(registry: Registry, options: FirewallOptions = {}): FirewallEntry[] {
  const entries: FirewallEntry[] = [];
  for (const service of registry.services) {
    const entry = { id: service.id, transport: service.transport, access: service.access, sources: SOURCES[service.access] };
    entries.push({ ...entry, start: service.port, end: service.port });
    if (options.env === undefined) continue;
    const resolved = registry.resolvePort(service.id, { env: options.env });
    if (resolved.port !== service.port)
      entries.push({ ...entry, start: resolved.port, end: resolved.port, override: { variable: resolved.variable!, registryPort: service.port } });
  }
  for (const range of registry.reserved) {
    const users = range.for.filter((id) => registry.has(id)).map((id) => registry.service(id));
    // A range reserved for nobody keeps both transports from services (validation refuses a UDP
    // service in it as it does a TCP one), so both are filtered: TCP alone left its UDP side open.
    const transports = users.length > 0 ? [...new Set(users.map((user) => user.transport))] : (['tcp', 'udp'] as const);
    const sources = users.length > 0 ? users.map((user) => SOURCES[user.access]).reduce((a, b) => (RANK[a] <= RANK[b] ? a : b)) : 'none';
    for (const [start, end] of withoutHostPorts(range.start, range.end))
      for (const transport of transports) entries.push({ id: range.id, start, end, transport, access: 'reserved', sources });
  }
  const isRange = (entry: FirewallEntry) => (entry.access === 'reserved' ? 1 : 0);
  return entries.sort((a, b) => isRange(a) - isRange(b) || a.start - b.start || a.transport.localeCompare(b.transport));
}

function ports(entry: FirewallEntry, separator: string): string {
  return entry.start === entry.end ? String(entry.start) : `${entry.start}${separator}${entry.end}`;
}

function describe(entry: FirewallEntry): string {
  const who = { any: 'from anywhere', private: 'from private networks', none: 'from this host only' }[entry.sources];
  const moved = entry.override ? ` (port from ${entry.override.variable}=${entry.start}; the registry's is ${entry.override.registryPort})` : '';
  return `${entry.id} (${entry.access}): ${entry.transport} ${ports(entry, '-')}${moved} ${who}`;
}

/** An nft script: replaces table inet dsa110_ports atomically (nft -f applies it as one transaction). */
export function renderNft(registry: Registry, options: FirewallOptions = {}): string {
  const plan = firewallPlan(registry, options);
  const lines = [
    '#!/usr/sbin/nft -f',
    ...GENERATED_BY('ports firewall --format nft').map((line) => `# ${line}`),
    `# Filters the registry's ports only; every other port is left to the host's other rules.`,
    '# Load: nft -f THIS_FILE (check first: nft -c -f THIS_FILE). Remove: nft delete table inet dsa110_ports.',
    '',
    `table inet ${NFT_TABLE}`,
    `delete table inet ${NFT_TABLE}`,
    '',
    `table inet ${NFT_TABLE} {`,
    '\tset private_v4 {',
    '\t\ttype ipv4_addr',
    '\t\tflags interval',
    `\t\telements = { ${PRIVATE_NETWORKS_V4.join(', ')} }`,
    '\t}',
    '',
    '\tset private_v6 {',
    '\t\ttype ipv6_addr',
    '\t\tflags interval',
    `\t\telements = { ${PRIVATE_NETWORKS_V6.join(', ')} }`,
    '\t}',
    '',
    '\tchain input {',
    '\t\ttype filter hook input priority filter; policy accept;',
    '\t\tiif "lo" accept',
    '\t\tct state established,related accept',
  ];
  for (const entry of plan) {
    const match = `${entry.transport} dport ${ports(entry, '-')}`;
    lines.push(`\t\t# ${describe(entry)}`);
    if (entry.sources === 'any') {
      lines.push(`\t\t${match} accept`);
      continue;
    }
    if (entry.sources === 'private') lines.push(`\t\t${match} ip saddr @private_v4 accept`, `\t\t${match} ip6 saddr @private_v6 accept`);
    lines.push(`\t\t${match} drop`);
  }
  lines.push('\t}', '}');
  return `${lines.join('\n')}\n`;
}

/**
 * The comment on every ufw rule this renders, `dsa110 ID (ACCESS)`: how the script finds the rules an
 * earlier run added (ids and access levels are lower-case letters, digits and dashes, so the pattern is exact).
 */
function ufwComment(entry: FirewallEntry): string {
  return `dsa110 ${entry.id} (${entry.access})`;
}
const UFW_COMMENT_PATTERN = 'dsa110 [a-z][a-z0-9-]* ([a-z]*)';

/** What the ufw script prints on stderr when a command fails (set -e stops it there); no apostrophe, as it sits in a trap's quotes. */
const UFW_STOPPED =
  'ports firewall (ufw): stopped at a failed command (exit $status), so the registry rules are incomplete: see the error above, fix it, then run the script again (it starts over); ufw status numbered shows what is loaded';

/**
 * A shell script of ufw commands. ufw has no transaction and only adds, so the
 * script first deletes every rule an earlier run added (`ufw show added`, which
 * lists the rules whether ufw is active or not, each as the command that adds
 * it: those whose comment is ours are deleted by that exact spec, comment
 * included, so another tool's rule on the same port stays), then adds the
 * current ones in order (ufw matches the first rule that fits: allows before the
 * deny of the same port). Without the deletion a changed access level left the
 * old rules ahead of the new: Redis moved from private to localhost still
 * accepted 10/8. Between the two steps the registry's ports have no rule of
 * ours, and get the host's default incoming policy (ufw's default: deny).
 */
export function renderUfw(registry: Registry, options: FirewallOptions = {}): string {
  const plan = firewallPlan(registry, options);
  const lines = [
    '#!/bin/sh',
    ...GENERATED_BY('ports firewall --format ufw').map((line) => `# ${line}`),
    "# Filters the registry's ports only. Run as root: ports firewall --format ufw | sudo sh; `ufw status numbered` lists the result.",
    "# It first deletes the rules an earlier run added (comment 'dsa110 ID (ACCESS)'), then adds the current ones;",
    "# other rules are left alone. For the second or so between the two, the registry's ports get ufw's default",
    '# incoming policy (deny by default; connections already open stay up). nft (--format nft) switches atomically.',
    '# It stops at the first command that fails and says so; running it again starts over.',
    'set -euf',
    `trap 'status=$?; [ "$status" -eq 0 ] || echo "${UFW_STOPPED}" >&2' EXIT`,
    '',
    '# The rules an earlier run added, one "SPEC|COMMENT" a line, deleted by their exact spec.',
    'added=$(ufw show added)',
    `printf '%s\\n' "$added" | sed -n "s/^ufw \\(.*\\) comment '\\(${UFW_COMMENT_PATTERN}\\)'$/\\1|\\2/p" | while IFS='|' read -r spec comment; do`,
    '  # shellcheck disable=SC2086 # the spec is words, split on purpose (globbing is off: set -f)',
    '  ufw delete $spec comment "$comment"',
    'done',
    '# ufw delete exits 0 even when it matched nothing: make sure none is left.',
    `if ufw show added | grep -q "comment '${UFW_COMMENT_PATTERN}'$"; then`,
    '  echo "ports firewall (ufw): rules of an earlier run are still there after deleting them (ufw show added lists them): delete them with ufw delete, then run this again" >&2',
    '  exit 1',
    'fi',
  ];
  for (const entry of plan) {
    const to = `proto ${entry.transport} to any port ${ports(entry, ':')}`;
    const comment = `comment '${ufwComment(entry)}'`;
    lines.push('', `# ${describe(entry)}`);
    if (entry.sources === 'any') {
      lines.push(`ufw allow in ${to} ${comment}`);
      continue;
    }
    if (entry.sources === 'private') {
      for (const network of [...PRIVATE_NETWORKS_V4, ...PRIVATE_NETWORKS_V6])
        lines.push(`ufw allow in proto ${entry.transport} from ${network} to any port ${ports(entry, ':')} ${comment}`);
    }
    lines.push(`ufw deny in ${to} ${comment}`);
  }
  return `${lines.join('\n')}\n`;
}

export function renderFirewallRules(registry: Registry, format: FirewallFormat, options: FirewallOptions = {}): string {
  return format === 'nft' ? renderNft(registry, options) : renderUfw(registry, options);
}
