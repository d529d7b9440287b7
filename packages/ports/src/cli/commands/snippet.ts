import { isSnippetKind, renderSnippets, SNIPPET_KINDS } from '../../render/config-snippets.js';
import { defineCommand } from '../command.js';
import { load } from '../context.js';
import { CommandError, UsageError } from '../exit-code.js';
import { escapeText, quoteValue } from '../../escape.js';
import { PortsError } from '../../errors.js';
import { CONFIG_KINDS, type ConfigKind } from '../../config-kinds.js';
import { closest, didYouMeanText } from '../../suggest.js';

/**
 * The entry to add for a kind no service has, with every key validate asks of
 * that kind: `upstream` for a kind that points at another service (nginx-site,
 * grafana-datasource), which `{ kind }` alone fails ("needs upstream").
 */
function configAdvice(kind: ConfigKind): string {
  return CONFIG_KINDS[kind].needsUpstream
    ? `add configs: [{ kind: ${kind}, upstream: ID }] to one, ID the id of the other service it points at`
    : `add configs: [{ kind: ${kind} }] to one`;
}

export const command = defineCommand({
  summary: `what a config file that names a port should say (${SNIPPET_KINDS.join(', ')})`,
  operands: '<kind>',
  flags: {},
  checkout: true,
  notes: [
    "Printed from the registry, with the services' env overrides applied (CONTIMG_API_PORT=8010 ports snippet nginx-site).",
    "port-health-check holds the files named in each service's configs: against the same registry.",
  ],
  async run(context) {
    const kind = context.positionals[0]!;
    if (!isSnippetKind(kind)) {
      // `nginx` for nginx-site (the one kind it starts), `redis-cnf` for redis-conf: as `ports get API` suggests `api`.
      throw new UsageError(
        `ports snippet: unknown kind ${quoteValue(kind)}${didYouMeanText(closest(kind, SNIPPET_KINDS))}; kinds: ${SNIPPET_KINDS.join(', ')}`,
      );
    }
    const registry = await load(context);
    // Env overrides apply (CONTIMG_API_PORT=8010 ports snippet nginx-site), as for `ports get`.
    let snippets: ReturnType<typeof renderSnippets>;
    try {
      snippets = renderSnippets(registry, kind, (service) => registry.resolvePort(service.id, { env: context.env }).port);
    } catch (error) {
      // A bad override: the same line as `ports get`'s, named for this command.
      if (error instanceof PortsError) throw new PortsError(error.code, `ports snippet: ${error.message}`);
      throw error;
    }
    if (snippets.length === 0) {
      const source = escapeText(registry.source);
      // grafana.ini is no config kind (validate refuses configs: [{ kind: grafana-ini }]): its port is the service's configuredBy key.
      throw new CommandError(
        kind === 'grafana-ini'
          ? `ports snippet: no service in ${source} is configured by a grafana.ini key; give the service that reads grafana.ini configuredBy: { file: grafana.ini, key: http_port }`
          : `ports snippet: no service in ${source} has a config of kind ${kind}; ${configAdvice(kind)}`,
      );
    }
    context.io.out(snippets.map((snippet) => snippet.text).join('\n'));
    return 'ok';
  },
});
