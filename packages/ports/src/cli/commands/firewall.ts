import { PortsError } from '../../errors.js';
import { quoteValue } from '../../escape.js';
import { FIREWALL_FORMATS, isFirewallFormat, renderFirewallRules } from '../../render/firewall.js';
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
        'ufw: a script of ufw commands that deletes the rules an earlier run added, then adds allows before denies; run with | sudo sh',
      ],
    },
  },
  notes: [
    'public: from anywhere; private: from 10/8, 172.16/12, 192.168/16, fc00::/7, fe80::/10; localhost and dev: loopback only.',
    'Other ports (SSH, node_exporter) are left to the host: the rules never lock anyone out.',
    "Env overrides apply, as for `ports get` (CONTIMG_API_PORT=8500 ports firewall): the moved port gets the service's rules too. An override set only in a unit's Environment= is not seen from a shell: set it here as well.",
  ],
  async run(context) {
    const format = context.values.format ?? 'nft';
    if (!isFirewallFormat(format)) throw new UsageError(`ports firewall: --format must be one of ${FIREWALL_FORMATS.join(', ')}, not ${quoteValue(format)}`);
    const registry = await load(context);
    let rules: string;
    try {
      rules = renderFirewallRules(registry, format, { env: context.env });
    } catch (error) {
      // A bad override: the same line as `ports get`'s, named for this command.
      if (error instanceof PortsError) throw new PortsError(error.code, `ports firewall: ${error.message}`);
      throw error;
    }
    context.io.out(rules);
    return 'ok';
  },
});
