// The references check's problems for Prometheus, for the tests that hold it to what Prometheus makes of a
// prometheus.yml: judged in a root that holds every snippet this repository's registry renders, so that the file
// under test is the one thing in question.
import { join } from 'node:path';
import { loadRegistry } from '@dsa110/ports';
import { renderSnippets, SNIPPET_KINDS } from '@dsa110/ports/render';
import { checkReferences } from '../../../src/checks/references.js';
import { gather } from '../../../src/gather.js';
import { tempDir, withoutRoot, writeTree, type TreeEntry } from '../../helpers.js';

const repoRoot = new URL('../../../../../', import.meta.url).pathname;
const registry = await loadRegistry({ path: join(repoRoot, 'ports.yaml') });

/** The references check's problems for prometheus (`severity: reason`), in a root with every snippet, then `files`, then prometheus.yml `yml`. */
export async function prometheusProblems(yml: string, files: Record<string, TreeEntry> = {}): Promise<string[]> {
  const snippets: Record<string, TreeEntry> = { 'etc/systemd/system/dsa110-api.service': '[Service]\nExecStart=/usr/bin/true\n' };
  for (const kind of SNIPPET_KINDS) for (const snippet of renderSnippets(registry, kind)) snippets[snippet.path.slice(1)] = snippet.text;
  const root = writeTree(tempDir(), { ...snippets, ...files, 'etc/prometheus/prometheus.yml': yml });
  const facts = await gather({ registry, root });
  return checkReferences(facts, registry.service('prometheus'))
    .filter((result) => result.severity !== 'ok')
    .map((result) => withoutRoot(result, root))
    .map((result) => `${result.severity}: ${result.reason}`);
}
