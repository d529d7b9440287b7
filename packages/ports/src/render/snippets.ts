// The shell examples on the reference page that name ports: claim-port usage,
// common commands and the firewall. Generated so that no port number on the
// page is typed by hand.
import { formatRange, type Registry, type Service } from '../index.js';
import { firewallPlan, type FirewallEntry, type Sources } from './firewall.js';
import { DEFAULT_CLAIM_PORT } from './systemd.js';
import { shellWord } from '../shell-word.js';
import { claimPortArgument } from '../systemd/claim-args.js';
import { MAX_CLAIM_TIMEOUT_SECONDS } from '../limits.js';

/**
 * The service the examples use: the robust production service with an env override that has the lowest port
 * (services are sorted by port: Redis, 6379, in the bundled registry, before the API's 8000), else the robust
 * one with the lowest port, else the first. Of either transport: every command names a UDP service's port as
 * claim-port takes it, `PORT/udp`.
 */
export function exampleService(registry: Registry): Service | undefined {
  const robust = registry.services.filter((service) => service.robust);
  return robust.find((service) => service.group === 'production' && service.env) ?? robust[0] ?? registry.services[0];
}

function fence(lines: readonly string[], language = 'bash'): string {
  return [`\`\`\`${language}`, ...lines, '```'].join('\n');
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

export function renderClaimPortUsage(registry: Registry, claimPort = DEFAULT_CLAIM_PORT): string {
  const service = exampleService(registry);
  if (!service) return '_No services in the registry._';
  // A bare port claims TCP listeners: a UDP service's port is claimed as PORT/udp, as its ExecStartPre= line does.
  const port = claimPortArgument(service.port, service.transport);
  const timeout = exampleTimeout(registry.claim.timeoutSeconds);
  return fence([
    `# Check whether port ${port} (${oneLine(service.name)}) would be freed (dry run: signals nothing;`,
    '# as root, as systemd runs it: a user cannot see the holders of other users)',
    `sudo ${claimPort} ${port} --dry-run`,
    '',
    '# Actually free the port',
    `sudo ${claimPort} ${port}`,
    '',
    timeout > registry.claim.timeoutSeconds
      ? `# Custom timeout (default ${registry.claim.timeoutSeconds} seconds)`
      : `# A shorter timeout (default ${registry.claim.timeoutSeconds} seconds, the longest claim-port accepts)`,
    `sudo ${claimPort} ${port} --timeout=${timeout}`,
    '',
    '# Skip graceful shutdown, use SIGKILL immediately',
    `sudo ${claimPort} ${port} --force`,
    '',
    '# By service id: claim-port looks its port up in the registry',
    `sudo ${claimPort} ${service.id}`,
  ]);
}

/**
 * The --timeout the page shows: one claim-port accepts that differs from the registry's default, `seconds`:
 * twice it (at least 10), up to MAX_CLAIM_TIMEOUT_SECONDS, or half of it when the default is already that.
 */
function exampleTimeout(seconds: number): number {
  const longer = Math.min(MAX_CLAIM_TIMEOUT_SECONDS, Math.max(10, seconds * 2));
  return longer > seconds ? longer : seconds / 2;
}

export function renderCommonCommands(registry: Registry): string {
  const service = exampleService(registry);
  const units = registry.services.flatMap((entry) => (entry.systemd ? [entry.systemd.unit.replace(/\.service$/, '')] : []));
  // ss -t lists TCP sockets only: with a UDP service in the registry, -u lists the UDP ones too.
  const ss = registry.services.some((entry) => entry.transport === 'udp') ? 'ss -tulnp' : 'ss -tlnp';
  const lines = ['# List all listening ports', ss, '', "# The registry: every port, and one service's effective port", 'ports list'];
  if (service) {
    lines.push(
      `ports get ${service.id}`,
      '',
      `# Check a specific port (${oneLine(service.name)})`,
      `lsof -i :${service.port}`,
      '',
      '# Free a port the way systemd does before a robust service starts',
      `sudo claim-port ${claimPortArgument(service.port, service.transport)}`,
    );
  }
  if (units.length > 0) lines.push('', '# Check all DSA-110 services', `sudo systemctl status ${[...new Set(units)].map(shellWord).join(' ')}`);
  lines.push(
    '',
    '# Start/stop services',
    './scripts/manage-services.sh start all',
    './scripts/manage-services.sh stop all',
    './scripts/manage-services.sh status',
  );
  return fence(lines);
}

export function renderFirewall(registry: Registry): string {
  const open = registry.services.filter((service) => service.access === 'public');
  const lines: string[] = [];
  if (open.length > 0) {
    const protocols = [...new Set(open.map((service) => service.protocol))].join('/');
    lines.push(`# Allow ${protocols} (${open.map((service) => oneLine(service.name)).join(', ')} only; internal services stay blocked)`);
    for (const service of open) lines.push(`sudo ufw allow ${service.port}/${service.transport}`);
  } else {
    lines.push('# No service in the registry is public: allow nothing');
  }
  // Not both: the script stops, changing nothing, at a rule of the same spec that it did not write (render/firewall.ts).
  lines.push(
    '',
    '# Or, instead of the above, every registry port at once, from its access level (nft: ports firewall --format nft);',
    '# it stops, changing nothing, where a rule of its own spec exists that it did not write',
    'ports firewall --format ufw | sudo sh',
  );
  lines.push('', '# Check firewall status', 'sudo ufw status');
  // The rules `ports firewall` writes, without env overrides: the page is the registry's.
  const plan = firewallPlan(registry);
  const levels = accessLevels(plan);
  if (levels.length > 0) {
    lines.push('', '# What the rules of ports firewall let in from other hosts, by access level:', ...levels);
    // "reserved" is no access level of the registry's: how a range's rules come to let in whom they do.
    if (plan.some((entry) => entry.access === 'reserved'))
      lines.push(
        "#   (a reserved range takes, on TCP and on UDP, the strictest access of the services it is for on that transport, else this host only; a service's own rule comes first)",
      );
  }
  return fence(lines);
}

/** Who `ports firewall` lets in, by the sources its plan gives a rule (render/firewall.ts), as the page says it. */
const LETS_IN: Readonly<Record<Sources, string>> = {
  any: 'from anywhere',
  private: 'from private networks only',
  none: 'from this host only: never exposed',
};

/** The lines' order: the access levels, then the reserved ranges (whose rules come after every service's). */
const LEVELS: readonly FirewallEntry['access'][] = ['public', 'private', 'localhost', 'dev', 'reserved'];

/**
 * One line per access level, and per sources among the reserved ranges, from the rules `ports firewall` writes
 * (`plan`, firewallPlan's), so the page cannot say other than the rules do: what a range lets in, and the ports
 * it leaves to the host (SSH's inside a range is not listed). Each PORTS/TRANSPORT once (a TCP and a UDP service on
 * one port are two), in the rules' order.
 */
function accessLevels(plan: readonly FirewallEntry[]): string[] {
  return LEVELS.flatMap((access) =>
    (Object.keys(LETS_IN) as Sources[]).flatMap((sources) => {
      const ports = [
        ...new Set(plan.filter((entry) => entry.access === access && entry.sources === sources).map((entry) => `${formatRange(entry)}/${entry.transport}`)),
      ];
      return ports.length > 0 ? [`#   ${access} (${LETS_IN[sources]}): ${ports.join(', ')}`] : [];
    }),
  );
}
