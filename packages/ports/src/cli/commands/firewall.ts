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
        'ufw: ufw commands, allows before denies',
      ],
    },
  },
  notes: [
    'public: from anywhere; private: from 10/8, 172.16/12, 192.168/16, fc00::/7, fe80::/10; localhost and dev: loopback only.',
    'Other ports (SSH, node_exporter) are left to the host: the rules never lock anyone out.',
  ],
  async run(context) {
    const format = context.values.format ?? 'nft';
    if (!isFirewallFormat(format)) throw new UsageError(`ports firewall: --format must be one of ${FIREWALL_FORMATS.join(', ')}, not ${quoteValue(format)}`);
    context.io.out(renderFirewallRules(await load(context), format));
    return 'ok';
  },
});
