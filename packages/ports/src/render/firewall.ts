// Firewall rules from the registry's access levels, for nft or ufw. Only the
// registry's own ports are filtered: `public` accepts from anywhere,
// `private` from the private networks (RFC 1918 for IPv4; unique-local and
// link-local for IPv6), `localhost` and `dev` from nowhere but the host itself
// (loopback). A reserved range is filtered on TCP and UDP alike: each at the
// most restrictive access of the services it is reserved for on that
// transport, and a transport none of them uses (or a range reserved for
// nobody) from nowhere but the host itself; its rules come after every
// service's, so a service inside a range reserved for it keeps its own access
// (nft and ufw take the first rule that matches). Every other port is left
// to the host's own rules, and so are SSH and node_exporter's ports inside a
// reserved range (HOST_PORTS, and the caller's `keepOpen`), so loading this
// cannot lock anyone out. A service's env override (CONTIMG_API_PORT=8500),
// read from the environment the caller passes as `ports get` reads it, adds a
// rule for the port it moves the service to; an override onto one of those
// kept ports is refused unless the service is public. The plan is a pure
// function; nft and ufw are two spellings of it, both ahead of the host's
// other rules (nft: a table of its own, whose drop is final; ufw: prepended).
// Both filter the input path only: a forwarded packet (a container port that
// Docker publishes by DNAT) never meets them.
import { describeArgument } from '../arguments.js';
import { PortsError } from '../errors.js';
import { escapeText, MAX_QUOTED, quoteValue } from '../escape.js';
import type { AccessLevel, Registry, Transport } from '../index.js';
import { isPort } from '../port.js';
import { GENERATED_BY } from './alert-rules.js';
import { HOST_PORT_NAMES, HOST_PORTS } from '../host-ports.js';

export const PRIVATE_NETWORKS_V4 = Object.freeze(['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16'] as const);
export const PRIVATE_NETWORKS_V6 = Object.freeze(['fc00::/7', 'fe80::/10'] as const);
export const NFT_TABLE = 'dsa110_ports';
export const FIREWALL_FORMATS = Object.freeze(['nft', 'ufw'] as const);
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
  /**
   * More ports the rules must never touch, beside HOST_PORTS (an sshd on 2222): left out of every reserved range's
   * rules, and refused as the port of a service's env override unless that service is public.
   */
  readonly keepOpen?: readonly number[];
}

/**
 * Ports the rules leave to the host's own, whatever a reserved range covers:
 * SSH, so that loading the rules cannot lock anyone out (a range 1-1024
 * dropped port 22 from outside), and node_exporter, which Prometheus scrapes from
 * another host. A service the registry itself puts on one of them is the
 * registry's own word and is filtered; an env override onto one is refused
 * unless its service is public (REDIS_PORT=22 dropped SSH). Only these ports
 * are known: an sshd elsewhere is named with `keepOpen` (`--keep-open`).
 * (Defined in host-ports.ts, which `ports validate` reads too.)
 */
export { HOST_PORTS };

/** HOST_PORTS and `options.keepOpen`, checked. */
function keptOpen(options: FirewallOptions): Set<number> {
  const extra: unknown = options.keepOpen;
  if (extra !== undefined && !(Array.isArray(extra) && extra.every(isPort)))
    throw new TypeError(`firewallPlan: options.keepOpen must be an array of ports (integers 1-65535) or left out, not ${describeArgument(extra)}`);
  return new Set([...HOST_PORTS, ...((extra as readonly number[] | undefined) ?? [])]);
}

/**
 * The header's line naming the command that makes these rules, with the options that change them: the format and each
 * --keep-open port beyond HOST_PORTS, once, in ascending order (keptBeyondHostPorts); after firewallPlan has checked them.
 * Env overrides are named at their rules.
 */
function generatedBy(format: FirewallFormat, options: FirewallOptions): string[] {
  const kept = keptBeyondHostPorts(options.keepOpen ?? [])
    .map((port) => ` --keep-open ${port}`)
    .join('');
  return GENERATED_BY(`ports firewall --format ${format}${kept}`).map((line) => `# ${line}`);
}

/**
 * Pure: the ports of `keepOpen` that change the rules, as a file records them: ascending, each once, without HOST_PORTS
 * (always kept). The rules depend on the set alone, so the same set is the same file: a deploy's
 * `--keep-open 3215 --keep-open 3211` and a CI job's `--keep-open 3211 --keep-open 3215 --check` agree.
 */
function keptBeyondHostPorts(keepOpen: readonly number[]): number[] {
  return [...new Set(keepOpen)].filter((port) => !HOST_PORTS.includes(port)).sort((a, b) => a - b);
}

/** `start`-`end` without the kept ports, as the runs left. */
function withoutHostPorts(start: number, end: number, kept: ReadonlySet<number>): [number, number][] {
  const runs: [number, number][] = [];
  let from = start;
  for (const port of [...kept].sort((a, b) => a - b)) {
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
 * not use would leave the one it uses open; resolvePort refuses a TCP service's
 * override onto HOST_PORTS itself. So does an override onto a kept port (a
 * UDP one onto HOST_PORTS, any onto `options.keepOpen`) of a service that is
 * not public: its rules would drop SSH.
 */
export function firewallPlan(registry: Registry, options: FirewallOptions = {}): FirewallEntry[] {
  const kept = keptOpen(options);
  const entries: FirewallEntry[] = [];
  for (const service of registry.services) {
    const entry = { id: service.id, transport: service.transport, access: service.access, sources: SOURCES[service.access] };
    entries.push({ ...entry, start: service.port, end: service.port });
    if (options.env === undefined) continue;
    const resolved = registry.resolvePort(service.id, { env: options.env });
    if (resolved.source === 'registry' || resolved.port === service.port) continue;
    if (kept.has(resolved.port) && entry.sources !== 'any') throw keptPortOverride(service.id, service.access, resolved.variable, resolved.port);
    entries.push({ ...entry, start: resolved.port, end: resolved.port, override: { variable: resolved.variable, registryPort: service.port } });
  }
  for (const range of registry.reserved) {
    const users = range.for.filter((id) => registry.has(id)).map((id) => registry.service(id));
    // Validation keeps every other service out of a range, on TCP and UDP alike, so both transports are
    // filtered: each at the most restrictive access of the services it is reserved for that use it, and a
    // transport none of them uses (UDP of a range for a TCP API) from this host only, as a range reserved
    // for nobody is. Filtering only the users' transport left the other open to the host's default.
    const sourcesOf = (transport: Transport): Sources =>
      users
        .filter((user) => user.transport === transport)
        .map((user) => SOURCES[user.access])
        .reduce<Sources>((a, b) => (RANK[a] <= RANK[b] ? a : b), users.some((user) => user.transport === transport) ? 'any' : 'none');
    for (const [start, end] of withoutHostPorts(range.start, range.end, kept))
      for (const transport of ['tcp', 'udp'] as const) entries.push({ id: range.id, start, end, transport, access: 'reserved', sources: sourcesOf(transport) });
  }
  const isRange = (entry: FirewallEntry) => (entry.access === 'reserved' ? 1 : 0);
  return entries.sort((a, b) => isRange(a) - isRange(b) || a.start - b.start || a.transport.localeCompare(b.transport));
}

const WHO: Record<Sources, string> = { any: 'from anywhere', private: 'from private networks', none: 'from this host only' };

/**
 * Pure: one warning line for each port of `options.keepOpen` that a service's own rules filter (a service that is
 * not public, on that port by the registry or by its override): those rules come before every range's and decide,
 * so --keep-open, which only leaves a port out of the reserved ranges (and refuses an override onto it), did not
 * keep it open. A public service's port is accepted from anywhere, as asked: nothing said.
 */
export function keepOpenWarnings(plan: readonly FirewallEntry[], keepOpen: readonly number[]): string[] {
  return filteredKeptPorts(plan, keepOpen).map(
    ({ port, entry, service, others }) =>
      `--keep-open ${port} is the port of ${service}, and the registry's own rules for it come first, so the port is still filtered; ` +
      `to open it, give ${entry.id} another access in the registry (${others}), or drop --keep-open ${port}`,
  );
}

/**
 * Pure: one warning line for each port of the host's own daemons (HOST_PORTS: SSH's, node_exporter's) that the
 * registry itself puts a service that is not public on: the rules leave those ports out of every range, but that
 * service's own rules filter it, and loading them could lock you out (an override onto one is refused instead).
 */
export function hostPortWarnings(plan: readonly FirewallEntry[]): string[] {
  // The host's daemons listen on TCP: a UDP service's rules there (`udp dport 22 drop`) never touch SSH.
  return filteredKeptPorts(
    plan.filter((entry) => entry.override === undefined && entry.transport === 'tcp'),
    HOST_PORTS,
  ).map(
    ({ port, entry, service, others }) =>
      `port ${port} is the ${HOST_PORT_NAMES[port]} port, which the host's own daemon listens on, and the registry puts ${service} on it: its rules filter the port, and loading them could lock you out; ` +
      `give ${entry.id} another port in the registry, or another access (${others})`,
  );
}

/** The entries of services that are not public whose rules filter one of `ports`, by port (in order), with what a warning says of each. */
function filteredKeptPorts(plan: readonly FirewallEntry[], ports: readonly number[]) {
  const found: { port: number; entry: FirewallEntry; service: string; others: string }[] = [];
  // In port order, as the file records them: the same set, the same lines.
  for (const port of [...new Set(ports)].sort((a, b) => a - b)) {
    for (const entry of plan) {
      if (entry.access === 'reserved' || entry.sources === 'any' || port < entry.start || port > entry.end) continue;
      const others = (['any', 'private', 'none'] as const)
        .filter((sources) => RANK[sources] > RANK[entry.sources])
        .map((sources) => `${sources === 'any' ? 'public' : 'private'}: ${WHO[sources]}`)
        .join(', ');
      const service = `service "${entry.id}" (${entry.access}: ${WHO[entry.sources]}${entry.transport === 'udp' ? ', udp' : ''})`;
      found.push({ port, entry, service, others });
    }
  }
  return found;
}

function keptPortOverride(id: string, access: AccessLevel, variable: string, port: number): PortsError {
  const what = HOST_PORT_NAMES[port] ? `${HOST_PORT_NAMES[port]} port` : 'a port given to --keep-open';
  const drop = access === 'private' ? 'drop it from public addresses' : 'drop it from everywhere but this host';
  return new PortsError(
    'BAD_OVERRIDE',
    `${escapeText(variable, MAX_QUOTED)}=${port} moves service ${quoteValue(id)} (${access}) onto port ${port}, ${what}, which the rules must leave open: its rules would ${drop} and could lock you out; unset ${escapeText(variable, MAX_QUOTED)} or set it to another port`,
  );
}

/** How a rule's comment starts to record an env override (describe): `(port from CONTIMG_API_PORT=8500; the registry's is 8000)`. */
const OVERRIDE_NOTE = 'port from ';
/** A comment line of either format (`\t\t# ...` in nft, `# ...` in ufw) recording an override, as describe writes it. */
const RECORDED_OVERRIDE = new RegExp(`^[ \\t]*# .*\\(${OVERRIDE_NOTE}([A-Z_][A-Z0-9_]*)=([0-9]{1,5}); the registry's is [0-9]{1,5}\\)`, 'gm');

/**
 * Pure: the env overrides a rules file of renderNft's or renderUfw's was written with, by variable, as its rules' comments
 * record them (`port from CONTIMG_API_PORT=8500`): what a --check compares with its own run's, since the same options
 * under other overrides give other rules. Read from a file that may have been edited by hand: the caller keeps the
 * variables its registry has.
 */
export function recordedOverrides(rules: string): Map<string, number> {
  const recorded = new Map<string, number>();
  for (const [, variable, port] of rules.matchAll(RECORDED_OVERRIDE)) recorded.set(variable!, Number(port));
  return recorded;
}

function ports(entry: FirewallEntry, separator: string): string {
  return entry.start === entry.end ? String(entry.start) : `${entry.start}${separator}${entry.end}`;
}

function describe(entry: FirewallEntry): string {
  const who = WHO[entry.sources];
  const moved = entry.override ? ` (${OVERRIDE_NOTE}${entry.override.variable}=${entry.start}; the registry's is ${entry.override.registryPort})` : '';
  return `${entry.id} (${entry.access}): ${entry.transport} ${ports(entry, '-')}${moved} ${who}`;
}

/** An nft script: replaces table inet dsa110_ports atomically (nft -f applies it as one transaction). */
export function renderNft(registry: Registry, options: FirewallOptions = {}): string {
  const plan = firewallPlan(registry, options);
  const lines = [
    '#!/usr/sbin/nft -f',
    ...generatedBy('nft', options),
    `# Filters the registry's ports only; every other port is left to the host's other rules.`,
    '# Input path only: a forwarded packet (a container port Docker publishes by DNAT) is not filtered.',
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

/** What the ufw script says when its classify (awk) fails: nothing is deleted or added after it. */
const UFW_UNCLASSIFIED =
  "could not classify ufw's rules (awk failed: see the error above): stopped before deleting or adding any rule; fix that error, then run this again";

/** One ufw rule of the plan: its action, and its spec as ufw spells it (`ufw show added` without action and comment). */
interface UfwRule {
  readonly action: 'allow' | 'deny';
  readonly spec: string;
  /** Only for IPv6 (from fc00::/7 or fe80::/10): left out when ufw's IPv6 is off. */
  readonly v6: boolean;
}

/** An entry's rules in order, allows before the deny, each in ufw's own spelling (as ufw show added prints it). */
function ufwRules(entry: FirewallEntry): UfwRule[] {
  const port = ports(entry, ':');
  const short = `${port}/${entry.transport}`;
  if (entry.sources === 'any') return [{ action: 'allow', spec: short, v6: false }];
  const allows =
    entry.sources === 'private'
      ? [...PRIVATE_NETWORKS_V4, ...PRIVATE_NETWORKS_V6].map((network) => ({
          action: 'allow' as const,
          spec: `from ${network} to any port ${port} proto ${entry.transport}`,
          v6: network.includes(':'),
        }))
      : [];
  return [...allows, { action: 'deny', spec: short, v6: false }];
}

/**
 * The script's `plan_facts`: the plan as the script's awk filters read it on their standard input, a
 * here-document of `s4 SPEC` (or `s6 SPEC`, an allow from an IPv6 network) for each rule's spec in the plan's
 * order, `k PORT` for each port it never filters, `d LO HI PROTO SOURCES ID` for each reserved range's rule (SOURCES:
 * any, private, none). Not `awk -v`
 * arguments, nor one `taken SPEC` command per rule: one argument is capped at 128 KiB (Linux's MAX_ARG_STRLEN),
 * which the specs of about 560 private services passed (awk failed inside a pipeline, unseen: no stale rule was
 * deleted, exit 0), and a grep per rule cost 3,400 processes for as many rules.
 */
function ufwPlanFacts(plan: readonly { entry: FirewallEntry; rules: UfwRule[] }[], kept: ReadonlySet<number>): string[] {
  const specs = new Map<string, boolean>();
  for (const { rules } of plan) for (const rule of rules) if (!specs.has(rule.spec)) specs.set(rule.spec, rule.v6);
  const ranges = plan
    .filter(({ entry }) => entry.access === 'reserved')
    .map(({ entry }) => `${entry.start} ${entry.end} ${entry.transport} ${entry.sources} ${entry.id}`);
  return [
    "# The plan, as the awk filters below read it ahead of ufw's rules (see ufwPlanFacts in ports' src/render/firewall.ts):",
    "# its rules' specs (s4; s6, from IPv6 networks), the ports it never filters (k), its reserved ranges and whom they let in (d).",
    'plan_facts() {',
    "  cat <<'PLAN'",
    ...[...specs].map(([spec, v6]) => `${v6 ? 's6' : 's4'} ${spec}`),
    ...[...kept].sort((a, b) => a - b).map((port) => `k ${port}`),
    ...ranges.map((range) => `d ${range}`),
    'PLAN',
    '}',
  ];
}

/**
 * The script's `classify`: an awk filter over `ufw show added`, after plan_facts, that prints, a line each,
 * `delete|RULE|COMMENT` for a rule of an earlier run (comment `dsa110 ID (ACCESS)`) to delete;
 * `leave|MESSAGE` for one such allow on a kept port (HOST_PORTS, --keep-open) whose spec the plan does not
 * have, which it never deletes (the old script's plain `ufw allow 22/tcp` made ufw rewrite the operator's
 * SSH rule as ours), naming the `ufw delete` that would; such a deny is deleted, as it can lock no one out; and `overlap|MESSAGE` for an incoming allow (or limit) of the operator's on a port
 * or range that a reserved range's rule of the plan, prepended, would close (the range is loopback only) or
 * narrow (the range is private, and the operator's rule lets in more than private networks). A range that
 * lets in anyone takes nothing from it: no message (one reserved for a public service). A rule's destination
 * ports are read as ufw's grammar has them: a short rule's one word, else `port` or `app` after `to ADDR`
 * (`port` after `from ADDR` is the source port: `allow from 1.2.3.4 port 3215` is on every destination port);
 * an application's (`ufw allow SSH2222`) from `ufw app info`, which prints its profile's ports, and one whose
 * profile ufw cannot read is an overlap too (its allow may be inside a range); a rule with no destination port
 * is on every port. An allow in on lo is never shadowed: ufw accepts loopback ahead of every user rule.
 */
function ufwClassify(): string[] {
  return [
    "# What each rule of `ufw show added` is to this script (see ufwClassify in ports' src/render/firewall.ts).",
    'classify() {',
    "  { plan_facts && echo . && cat; } | awk '",
    '    # Whether a source of a ufw rule (an address or network) lies inside the private networks a private range lets in.',
    '    function inprivate(s,   len, q, g) {',
    '      len = ""; if (match(s, /\\/[0-9]+$/)) { len = substr(s, RSTART + 1) + 0; s = substr(s, 1, RSTART - 1) }',
    '      if (s ~ /^[0-9]+\\.[0-9]+\\.[0-9]+\\.[0-9]+$/) {',
    '        if (len == "") len = 32',
    '        split(s, q, ".")',
    '        return (q[1] == 10 && len >= 8) || (q[1] == 172 && q[2] >= 16 && q[2] <= 31 && len >= 12) || (q[1] == 192 && q[2] == 168 && len >= 16)',
    '      }',
    '      if (s !~ /:/) return 0',
    '      if (len == "") len = 128',
    '      g = tolower(s); sub(/:.*$/, "", g)',
    '      return (g ~ /^f[cd][0-9a-f][0-9a-f]$/ && len >= 7) || (g ~ /^fe[89ab][0-9a-f]$/ && len >= 10)',
    '    }',
    '    # The words of a rule into w, as ufw show added quotes them: the name of an application with spaces (\\047Multi App\\047) is one word.',
    '    function words(s,   n, q, x) {',
    '      while (match(s, /\\047[^\\047]*\\047/)) { q = substr(s, RSTART + 1, RLENGTH - 2); gsub(/ /, "\\001", q); s = substr(s, 1, RSTART - 1) q substr(s, RSTART + RLENGTH) }',
    '      n = split(s, w, " ")',
    '      for (x = 1; x <= n; x++) gsub(/\\001/, " ", w[x])',
    '      return n',
    '    }',
    '    # The ports of application profile NAME into dl, one "PORTS[/PROTO]" each, as `ufw app info` prints them; 0 when',
    '    # ufw cannot read the profile (gone, or broken). ufw allows only these characters in a name.',
    '    function appports(name,   cmd, line, m, on) {',
    '      if (name !~ /^[A-Za-z0-9][A-Za-z0-9 _.+-]*$/) return 0',
    '      cmd = "ufw app info \\047" name "\\047 2>/dev/null"',
    '      while ((cmd | getline line) > 0) {',
    '        if (line ~ /^Ports?:$/) on = 1',
    '        else if (on && line ~ /^  [0-9][0-9,:]*(\\/[a-z]+)?$/) dl[++m] = substr(line, 3)',
    '      }',
    '      close(cmd)',
    '      return m',
    '    }',
    '    !rules {',
    '      if ($0 == ".") rules = 1',
    '      else if ($1 == "s4" || $1 == "s6") planned[substr($0, 4)] = 1',
    '      else if ($1 == "k") k[++nk] = $2',
    '      else if ($1 == "d") { d[++nd] = substr($0, 3); if ($5 != "any") shuts = 1 }',
    '      next',
    '    }',
    '    !/^ufw (allow|deny|reject|limit) / { next }',
    '    {',
    '      ours = match($0, / comment \\047dsa110 [a-z][a-z0-9-]* \\([a-z]*\\)\\047$/)',
    '      if (ours) { rule = substr($0, 5, RSTART - 5); comment = substr($0, RSTART + 10, RLENGTH - 11) }',
    '      else { rule = substr($0, 5); sub(/ comment \\047.*$/, "", rule) }',
    '      n = words(rule); i = 2; incoming = 1; iface = ""',
    '      if (w[i] == "in" && w[i + 1] == "on") { iface = w[i + 2]; i += 3 }',
    '      else if (w[i] == "out") { incoming = 0; i += (w[i + 1] == "on" ? 3 : 1) }',
    '      if (w[i] == "log" || w[i] == "log-all") i++',
    '      spec = w[i]; for (j = i + 1; j <= n; j++) spec = spec " " w[j]',
    '      # The destination: the one word of a short rule (PORTS[/PROTO], or an application), else what follows `to ADDR`',
    '      # (`port PORTS`, `app NAME`), as in the grammar of ufw: `port` after `from ADDR` is the source port. Neither: every port.',
    '      dst = ""; app = ""; proto = ""; from = "any"; side = ""',
    '      if (w[i] != "from" && w[i] != "to") { if (w[i] ~ /^[0-9][0-9,:]*(\\/[a-z]+)?$/) dst = w[i]; else app = w[i] }',
    '      else',
    '        for (j = i; j < n; j++) {',
    '          if (w[j] == "from" || w[j] == "to") { side = w[j]; if (side == "from") from = w[j + 1]; j++ }',
    '          else if (w[j] == "port") { if (side == "to") dst = w[j + 1]; j++ }',
    '          else if (w[j] == "app") { if (side == "to") app = w[j + 1]; j++ }',
    '          else if (w[j] == "proto") { proto = w[j + 1]; j++ }',
    '        }',
    '      if (ours) {',
    '        list = dst; sub(/\\/.*$/, "", list); np = split(list, p, ",")',
    '        # An allow on a kept port may be what keeps the operator connected (an old script took SSH rules over); a deny',
    '        # cannot lock anyone out, and one the plan no longer has came from an earlier run: deleted, as nft drops its table.',
    '        if (incoming && (w[1] == "allow" || w[1] == "limit") && !(spec in planned))',
    '          for (a = 1; a <= np; a++) {',
    '            lo = p[a]; hi = p[a]; if (sub(/:.*$/, "", lo)) sub(/^.*:/, "", hi)',
    '            for (b = 1; b <= nk; b++) if (lo + 0 <= k[b] + 0 && k[b] + 0 <= hi + 0) {',
    '              print "leave|left alone: ufw rule \\047" rule "\\047 (comment \\047" comment "\\047) is likely from an earlier run of ports firewall, and the registry no longer asks for it, but port " k[b] " is one this script never filters, and it never deletes an allow there (an older version put its comment on operators\\047 own rules, and deleting their SSH allow locked them out); if you do not need it: ufw delete " rule',
    '              next',
    '            }',
    '          }',
    '        print "delete|" rule "|" comment',
    '        next',
    '      }',
    '      # ufw accepts loopback ahead of every user rule (before.rules): the deny of a range never shadows an allow in on lo.',
    '      if (!incoming || (w[1] != "allow" && w[1] != "limit") || iface == "lo") next',
    '      every = 0; shown = ","; ports = ""',
    '      if (app != "") {',
    '        ne = appports(app)',
    '        if (ne == 0) {',
    '          if (shuts) print "overlap|ufw has a rule \\"" rule "\\" that this script did not add, for application profile " app ", whose ports ufw app info cannot read, so this script cannot tell whether a reserved range it denies would close them: nothing was changed; fix that profile in /etc/ufw/applications.d (ufw app list names those ufw reads) or delete the rule, then run this again"',
    '          next',
    '        }',
    '        for (e = 1; e <= ne; e++) ports = ports (e > 1 ? ", " : "") dl[e]',
    '        shown = " (application " app ": " ports "),"',
    '      }',
    '      else if (dst != "") { ne = 1; dl[1] = dst }',
    '      else { ne = 1; dl[1] = "1:65535"; every = 1; shown = ", on every port (it names no destination port), so" }',
    '      for (e = 1; e <= ne; e++) {',
    '        list = dl[e]; pr = proto',
    '        if (index(list, "/")) { pr = substr(list, index(list, "/") + 1); list = substr(list, 1, index(list, "/") - 1) }',
    '        np = split(list, p, ",")',
    '        for (a = 1; a <= np; a++) {',
    '          lo = p[a]; hi = p[a]; if (sub(/:.*$/, "", lo)) sub(/^.*:/, "", hi)',
    '          for (b = 1; b <= nd; b++) {',
    '            split(d[b], r, " ")',
    '            if (lo + 0 > r[2] + 0 || hi + 0 < r[1] + 0 || (pr != "" && pr != "any" && pr != r[3])) continue',
    '            if (r[4] == "any" || (r[4] == "private" && from != "any" && inprivate(from))) continue',
    '            them = every ? "those ports to it" : "that port"',
    '            if (r[4] == "private") what = "which the script lets in from private networks only, ahead of it: it would narrow " (every ? "those ports" : "that port") " to private networks; nothing was changed;"',
    '            else what = "which the script denies ahead of it: it would close " them "; nothing was changed;"',
    '            if (every) how = " replace it with allows of the ports it needs (to any port PORT), passing --keep-open PORT to ports firewall for each inside a reserved range, then run its new script"',
    '            else how = (r[4] == "private" ? " if the port must stay open beyond private networks" : " if the port must stay open") " pass " (lo == hi ? "--keep-open " lo : "--keep-open PORT (once for each of its ports that must stay open)") " to ports firewall, then run its new script"',
    '            print "overlap|ufw has a rule \\"" rule "\\" that this script did not add" shown " inside reserved range " r[5] " (" r[1] "-" r[2] "/" r[3] "), " what how',
    '            next',
    '          }',
    '        }',
    '      }',
    '    }',
    '    END { if (!rules) exit 3 }',
    "  '",
    '}',
  ];
}

/**
 * A shell script of ufw commands. ufw has no transaction, only adds, and keeps
 * one rule per spec (port, protocol, addresses: whatever its action or comment).
 * So the script:
 *
 * 1. stops, changing nothing, when a rule it would add has the spec of a rule
 *    it did not add (`ufw show added`, its action, log type and comment left
 *    out): ufw would skip ours, or on a plain `ufw allow` rewrite that rule as
 *    ours ("Rule updated"), and a later run deleted it (the operator's SSH allow);
 *    It also stops when an operator's allow on a port or range lies inside a
 *    reserved range the plan denies: the deny, prepended, would close it (an
 *    sshd on 2222 inside 2000-2999, by port or by application profile), or
 *    narrow it to private networks (a range reserved for a private service);
 *    `--keep-open` leaves that port out. So does an allow of every port (no
 *    destination port: `allow from 1.2.3.4`), and one of an application whose
 *    ports ufw cannot read. A range that lets in anyone (reserved for a public
 *    service) closes nothing: no stop;
 * 2. deletes every rule an earlier run added (`ufw show added` lists the rules
 *    whether ufw is active or not, each as the command that adds it: those
 *    whose comment is ours are deleted by that exact spec, comment included),
 *    but never an allow on a kept port whose spec the plan does not have: the old
 *    script's plain `ufw allow 22/tcp` rewrote the operator's SSH rule as ours,
 *    and deleting it locked SSH out; the script names it on stderr with the
 *    `ufw delete` that would delete it, and leaves it. A deny there goes: it
 *    can lock no one out, and the registry no longer asks for it (the nft
 *    table, replaced whole, drops it too);
 * 3. prepends the current ones, last first, so that they sit in the plan's
 *    order ahead of every other rule: ufw takes the first rule that matches, and
 *    an operator's earlier `allow from 192.168.0.0/16` let the LAN reach Redis,
 *    which the nft table (whose drop is final) does not.
 *
 * Without step 2 a changed access level left the old rules ahead of the new:
 * Redis moved from private to localhost still accepted 10/8. Between steps 2 and
 * 3 the registry's ports have no rule of ours, and get the host's default
 * incoming policy (ufw's default: deny). When ufw's IPv6 is off (IPV6=no in
 * /etc/default/ufw, where a rule from fc00::/7 is an error) or the kernel has
 * none, the IPv6 allows are skipped, and the script says which on stderr; when
 * ufw is inactive it says the rules take effect on `ufw enable`.
 */
export function renderUfw(registry: Registry, options: FirewallOptions = {}): string {
  // ufw keeps one rule per spec, and the script prepends last first: of two rules with one spec (a service's port and
  // a reserved range of that port alone), ufw kept the later's and skipped the service's ("Skipping inserting existing
  // rule"), where nft takes the first that matches. Each spec's first rule alone, as nft has it.
  const specs = new Set<string>();
  const plan = firewallPlan(registry, options).map((entry) => {
    const rules = ufwRules(entry).filter((rule) => !specs.has(rule.spec));
    for (const rule of rules) specs.add(rule.spec);
    return { entry, rules };
  });
  const quoted = (text: string) => `'${text}'`;
  const v6Count = plan.reduce((count, { rules }) => count + rules.filter((rule) => rule.v6).length, 0);
  const lines = [
    '#!/bin/sh',
    ...generatedBy('ufw', options),
    "# Filters the registry's ports only. Run as root: ports firewall --format ufw | sudo sh; `ufw status numbered` lists the result.",
    '# 1. It stops, changing nothing, when a rule it adds has the spec (port, protocol, source) of a rule it did not add:',
    '#    ufw keeps one rule per spec, and would skip ours or rewrite that one as ours.',
    "#    It also stops when an allow of the operator's (by port, by application profile, or of every port) lies inside a",
    '#    reserved range it denies or narrows to private networks (pass --keep-open PORT); a range open to anyone closes nothing.',
    "# 2. It deletes the rules an earlier run added (comment 'dsa110 ID (ACCESS)'); other rules are left alone, and so",
    '#    is an allow with that comment on 22, 9100 or a --keep-open port that the plan does not have (said on stderr).',
    '# 3. It prepends the current ones, last first, so that they come in order before every other rule (ufw takes the',
    "#    first match): an operator's broader allow no longer opens a localhost port, as with nft.",
    "# Between 2 and 3 (a second or so) the registry's ports get ufw's default incoming policy (deny by default;",
    '# connections already open stay up). nft (--format nft) switches atomically.',
    '# With IPv6 off in ufw (IPV6=no in /etc/default/ufw) or in the kernel, the allows from IPv6 networks are skipped,',
    '# said on stderr; with ufw inactive the rules take effect on `ufw enable`, said too.',
    '# Incoming rules only: forwarded packets (a container port Docker publishes) are not filtered.',
    '# It stops at the first command that fails and says so; running it again starts over.',
    'set -euf',
    'said=',
    `trap 'status=$?; [ "$status" -eq 0 ] || [ -n "$said" ] || echo "${UFW_STOPPED}" >&2' EXIT`,
    'fail() {',
    '  said=1',
    '  echo "ports firewall (ufw): $1" >&2',
    '  exit 1',
    '}',
  ];
  if (v6Count > 0) {
    lines.push(
      '',
      "# ufw's IPv6 setting, read as ufw reads it: the last IPV6= of /etc/default/ufw and /etc/ufw/ufw.conf, on a kernel with IPv6.",
      `ipv6=$(cat /etc/default/ufw /etc/ufw/ufw.conf 2>/dev/null | awk -F= '/^[A-Za-z0-9_]+="?[A-Za-z0-9_]+"?/ { sub(/[ \\t\\r]+$/, ""); if (tolower($1) == "ipv6") { v = tolower($2); gsub(/^["\\047]+|["\\047]+$/, "", v) } } END { print v }')`,
      'if [ ! -d /proc/sys/net/ipv6 ]; then',
      '  ipv6=no',
      `  echo "ports firewall (ufw): this kernel has no IPv6 (no /proc/sys/net/ipv6), so the ${v6Count} allows from ${PRIVATE_NETWORKS_V6.join(' and ')} are skipped: private services answer private IPv4 networks only" >&2`,
      'elif [ "$ipv6" != yes ]; then',
      `  echo "ports firewall (ufw): IPv6 is off in ufw (IPV6=\${ipv6:-unset} in /etc/default/ufw), so the ${v6Count} allows from ${PRIVATE_NETWORKS_V6.join(' and ')} are skipped: private services answer private IPv4 networks only" >&2`,
      'fi',
    );
  }
  lines.push(
    '',
    'added=$(ufw show added)',
    '# The rules this script did not add, each as ufw spells it without its action, log type and comment (ufw keeps one rule per such spec).',
    `theirs=$(printf '%s\\n' "$added" | grep -v " comment '${UFW_COMMENT_PATTERN}'$" | sed -n 's/^ufw \\(allow\\|deny\\|reject\\|limit\\) \\(log-all \\|log \\)\\{0,1\\}//p' | sed "s/ comment '.*'$//")`,
    '',
    ...ufwPlanFacts(plan, keptOpen(options)),
    '',
    "# The first spec of the plan's (its IPv6 allows only with ufw's IPv6 on) that a rule this script did not add has.",
    `taken=$({ plan_facts && echo . && printf '%s\\n' "$theirs"; } | awk -v ipv6="\${ipv6-}" '`,
    '  !rules { if ($0 == ".") rules = 1; else if ($1 == "s4" || ($1 == "s6" && ipv6 == "yes")) planned[++n] = substr($0, 4); next }',
    '  { theirs[$0] = 1 }',
    '  END { if (!rules) exit 3; for (i = 1; i <= n; i++) if (planned[i] in theirs) { print planned[i]; exit } }',
    `') || fail "${UFW_UNCLASSIFIED}"`,
    'if [ -n "$taken" ]; then',
    '  fail "ufw already has a rule \\"$taken\\" that this script did not add (ufw status numbered lists it), and ufw keeps one rule per port and source: nothing was changed; delete that rule or move the service off the port, then run this again"',
    'fi',
    '',
    ...ufwClassify(),
    '',
    '# Each rule of ufw, classified once; a failed classify stops the script (in a pipeline its failure went unseen).',
    `classified=$(printf '%s\\n' "$added" | classify) || fail "${UFW_UNCLASSIFIED}"`,
    '',
    "# An operator's allow inside a range the plan denies or narrows: its rules, prepended, would close that port (an sshd",
    '# on 2222) or narrow it to private networks.',
    "overlap=$(printf '%s\\n' \"$classified\" | sed -n 's/^overlap|//p' | head -n 1)",
    '[ -z "$overlap" ] || fail "$overlap"',
    '',
    "# Allows of ours (by comment) on a kept port that the plan does not have: maybe an operator's, which the old script's",
    '# plain `ufw allow` rewrote as ours ("Rule updated"), or commented so by hand. Deleting one could lock SSH out.',
    "printf '%s\\n' \"$classified\" | sed -n 's/^leave|/ports firewall (ufw): /p' >&2",
    '',
    '# The rules an earlier run added, one "RULE|COMMENT" a line, deleted by their exact spec.',
    `printf '%s\\n' "$classified" | sed -n 's/^delete|//p' | while IFS='|' read -r spec comment; do`,
    '  # shellcheck disable=SC2086 # the spec is words, split on purpose (globbing is off: set -f)',
    '  ufw delete $spec comment "$comment"',
    'done',
    '# ufw delete exits 0 even when it matched nothing: make sure none is left.',
    'added=$(ufw show added)',
    `classified=$(printf '%s\\n' "$added" | classify) || fail "${UFW_UNCLASSIFIED}"`,
    `if printf '%s\\n' "$classified" | grep -q '^delete|'; then`,
    '  fail "rules of an earlier run are still there after deleting them (ufw show added lists them): delete them with ufw delete, then run this again"',
    'fi',
    '',
    '# The current rules, prepended last first: they end up in order, before every other rule.',
  );
  for (const { entry, rules } of [...plan].reverse()) {
    lines.push('', `# ${describe(entry)}`);
    const command = (rule: UfwRule) => `ufw prepend ${rule.action} ${rule.spec} comment ${quoted(ufwComment(entry))}`;
    const reversed = [...rules].reverse();
    for (let i = 0; i < reversed.length; ) {
      const rule = reversed[i]!;
      if (!rule.v6) {
        lines.push(command(rule));
        i++;
        continue;
      }
      lines.push('if [ "$ipv6" = yes ]; then');
      for (; i < reversed.length && reversed[i]!.v6; i++) lines.push(`  ${command(reversed[i]!)}`);
      lines.push('fi');
    }
  }
  lines.push(
    '',
    'case $(ufw status) in',
    `  'Status: inactive'*) echo "ports firewall (ufw): ufw is inactive: these rules take effect when it is enabled (ufw enable)" >&2 ;;`,
    'esac',
  );
  return `${lines.join('\n')}\n`;
}

export function renderFirewallRules(registry: Registry, format: FirewallFormat, options: FirewallOptions = {}): string {
  return format === 'nft' ? renderNft(registry, options) : renderUfw(registry, options);
}
