import { quoteValue } from '../../escape.js';
import { FIREWALL_FORMATS, isFirewallFormat, renderFirewallRules } from '../../render/firewall.js';
import { load, type Context } from '../context.js';
import { UsageError, type Outcome } from '../exit-code.js';

export async function run(context: Context): Promise<Outcome> {
  const format = (context.values.format as string | undefined) ?? 'nft';
  if (!isFirewallFormat(format)) throw new UsageError(`ports firewall: --format must be one of ${FIREWALL_FORMATS.join(', ')}, not ${quoteValue(format)}`);
  context.io.out(renderFirewallRules(await load(context), format));
  return 'ok';
}
