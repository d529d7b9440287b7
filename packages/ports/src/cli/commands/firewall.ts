import { PortsError } from '../../errors.js';
import { oneLine, quoteValue } from '../../escape.js';
import { portProblem } from '../../port.js';
import { FIREWALL_FORMATS, HOST_PORTS, firewallPlan, isFirewallFormat, keepOpenWarnings, renderFirewallRules } from '../../render/firewall.js';
import { defineCommand } from '../command.js';
import { load } from '../context.js';
import { UsageError } from '../exit-code.js';

export const command = defineCommand({
  summary: "firewall rules from the services' access levels, for the registry's ports only",
  flags: {
    format: {
      type: 'string',
      value: 'nft|ufw',
      help: [
        'nft: an nft script replacing table inet dsa110_ports (default); load with nft -f, check with nft -c -f',
        'ufw: a script of ufw commands that deletes the rules an earlier run added, then puts the current ones before every other rule; run with | sudo sh',
      ],
    },
    'keep-open': {
      type: 'string',
      multiple: true,
      value: 'PORT',
      needs: 'a port, e.g. --keep-open 2222',
      help: `a port the rules must never touch, beside ${HOST_PORTS.join(' and ')} (an sshd on 2222): left out of reserved ranges, refused as an override's port; repeat for more`,
    },
  },
  notes: [
    'public: from anywhere; private: from 10/8, 172.16/12, 192.168/16, fc00::/7, fe80::/10; localhost and dev: loopback only.',
    `Other ports are left to the host. Inside a reserved range, ${HOST_PORTS.join(' (SSH) and ')} (node_exporter) and every --keep-open port are left out too; an env override onto one of them is refused unless its service is public. A --keep-open port that a service other than a public one is on keeps that service's rules (a warning says so). No other port is known to be SSH's: an sshd elsewhere inside a range needs --keep-open.`,
    "ufw: stops, changing nothing, when a rule it adds has the port and source of a rule it did not add; skips the IPv6 allows when ufw's IPv6 is off (IPV6=no).",
    'Incoming traffic only (the input hook): forwarded packets, such as a container port Docker publishes, are not filtered.',
    "Env overrides apply, as for `ports get` (CONTIMG_API_PORT=8500 ports firewall): the moved port gets the service's rules too. An override set only in a unit's Environment= is not seen from a shell: set it here as well.",
  ],
  async run(context) {
    const format = context.values.format ?? 'nft';
    if (!isFirewallFormat(format)) throw new UsageError(`ports firewall: --format must be one of ${FIREWALL_FORMATS.join(', ')}, not ${quoteValue(format)}`);
    const keepOpen: number[] = [];
    for (const text of context.values['keep-open'] ?? []) {
      const problem = portProblem(text);
      if (problem !== undefined) throw new UsageError(`ports firewall: --keep-open needs a port (1-65535), not ${quoteValue(text)}: ${problem}`);
      keepOpen.push(Number(text));
    }
    const registry = await load(context);
    let rules: string;
    let warnings: string[];
    try {
      rules = renderFirewallRules(registry, format, { env: context.env, keepOpen });
      // A kept port that a service's own rules filter: kept as the registry says, and said (exit 0).
      warnings = keepOpenWarnings(firewallPlan(registry, { env: context.env, keepOpen }), keepOpen);
    } catch (error) {
      // A bad override: the same line as `ports get`'s, named for this command.
      if (error instanceof PortsError) throw new PortsError(error.code, `ports firewall: ${error.message}`);
      throw error;
    }
    context.io.out(rules);
    for (const warning of warnings) context.io.err(`${oneLine(`warning: ${warning}`)}\n`, 'warn');
    return 'ok';
  },
});
