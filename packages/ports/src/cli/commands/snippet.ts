import { isSnippetKind, renderSnippets, SNIPPET_KINDS } from '../../render/config-snippets.js';
import { load, type Context } from '../context.js';
import { CommandError, UsageError, type Outcome } from '../exit-code.js';

export async function run(context: Context): Promise<Outcome> {
  const kind = context.positionals[0]!;
  if (!isSnippetKind(kind)) throw new UsageError(`ports snippet: unknown kind "${kind}"; kinds: ${SNIPPET_KINDS.join(', ')}`);
  const registry = await load(context);
  // Env overrides apply (CONTIMG_API_PORT=8010 ports snippet nginx-site), as for `ports get`.
  const snippets = renderSnippets(registry, kind, (service) => registry.resolvePort(service.id, { env: context.env }).port);
  if (snippets.length === 0)
    throw new CommandError(`ports snippet: no service in ${registry.source} has a ${kind} config; add configs: [{ kind: ${kind} }] to one`);
  context.io.out(snippets.map((snippet) => snippet.text).join('\n'));
  return 'ok';
}
