// scrape_config_files held to the version of the Prometheus the unit runs, read from the dpkg package that installed
// its executable under the root (never by running it). Debian 12's prometheus 2.42.0+ds refuses the key:
// `promtool check config` 2.42.0 says "field scrape_config_files not found in type config.plain".
import { join } from 'node:path';
import { loadRegistry } from '@dsa110/ports';
import { renderSnippets } from '@dsa110/ports/render';
import { describe, expect, it } from 'vitest';
import { checkReferences } from '../../../src/checks/references.js';
import { gather } from '../../../src/gather.js';
import { tempDir, withoutRoot, writeTree, type TreeEntry } from '../../helpers.js';

const repoRoot = new URL('../../../../../', import.meta.url).pathname;
const registry = await loadRegistry({ path: join(repoRoot, 'ports.yaml') });
const YML = renderSnippets(registry, 'prometheus-yml')[0]!.text;
const WITH_FILES = `${YML.trimEnd()}\nscrape_config_files:\n  - /etc/prometheus/jobs/*.yml\n`;
const KEY_LINE = WITH_FILES.split('\n').indexOf('scrape_config_files:') + 1;
const UNIT = 'lib/systemd/system/prometheus.service';
const DEBIAN_UNIT = '[Service]\nEnvironmentFile=/etc/default/prometheus\nExecStart=/usr/bin/prometheus $ARGS\n';
const LIST = '/.\n/usr\n/usr/bin\n/usr/bin/prometheus\n';
const status = (version: string) =>
  `Package: adduser\nStatus: install ok installed\nVersion: 3.134\n\nPackage: prometheus\nStatus: install ok installed\nVersion: ${version}\n`;

async function findings(files: Record<string, TreeEntry>): Promise<string[]> {
  const root = writeTree(tempDir(), {
    'etc/prometheus/prometheus.yml': WITH_FILES,
    'etc/default/prometheus': 'ARGS="--web.listen-address=127.0.0.1:9090"\n',
    [UNIT]: DEBIAN_UNIT,
    ...files,
  });
  const prometheus = registry.service('prometheus');
  const facts = await gather({ registry, root, services: [prometheus] });
  return checkReferences(facts, prometheus)
    .map((result) => withoutRoot(result, root))
    .filter((result) => result.severity !== 'ok')
    .map((result) => `${result.severity} ${result.reason}`);
}

describe('scrape_config_files and the Prometheus that reads it', () => {
  it('is an error for the dpkg prometheus 2.42 the unit runs, nothing for 2.43, unknown (saying why) when no package lists the executable', async () => {
    const dpkg = (version: string) => ({ 'var/lib/dpkg/info/prometheus.list': LIST, 'var/lib/dpkg/status': status(version) });
    expect(await findings(dpkg('2.42.0+ds-5+deb12u1'))).toEqual([
      `error prometheus (9090): /etc/prometheus/prometheus.yml:${KEY_LINE}:1: scrape_config_files needs Prometheus 2.43 or later, but prometheus.service runs 2.42.0+ds-5+deb12u1 (the dpkg package prometheus that installed /usr/bin/prometheus, in /var/lib/dpkg/status), which refuses the whole configuration (promtool check config: "field scrape_config_files not found in type config.plain") and exits at start; move those jobs into scrape_configs, or upgrade Prometheus`,
    ]);
    expect(await findings(dpkg('2.43.0+ds-1'))).toEqual([]);
    expect(await findings({})).toEqual([
      `unknown prometheus (9090): /etc/prometheus/prometheus.yml:${KEY_LINE}:1: scrape_config_files needs Prometheus 2.43 or later, and which Prometheus reads this file is not known (prometheus.service: no dpkg package lists /usr/bin/prometheus, so its version is not known here (the check does not run it)); check it runs 2.43 or later (prometheus --version)`,
    ]);
    // Another executable than the package's: its version is not the package's.
    expect(await findings({ ...dpkg('2.42.0+ds-5+deb12u1'), [UNIT]: DEBIAN_UNIT.replace('/usr/bin/', '/usr/local/bin/') })).toEqual([
      expect.stringContaining('unknown prometheus (9090): /etc/prometheus/prometheus.yml:'),
    ]);
  });

  it('reads a held package (apt-mark hold: "Status: hold ok installed") as installed, and says its version once', async () => {
    const held = status('2.42.0+ds-5+deb12u1').replace('Status: install ok installed\nVersion: 2.42', 'Status: hold ok installed\nVersion: 2.42');
    const found = await findings({ 'var/lib/dpkg/info/prometheus.list': LIST, 'var/lib/dpkg/status': held });
    expect(found).toEqual([expect.stringContaining('error prometheus (9090):')]);
    expect(found[0]!.split('2.42.0+ds-5+deb12u1')).toHaveLength(2);
    // Unpacked but not configured (half-configured, unpacked) is not installed: not known.
    const unpacked = held.replace('hold ok installed', 'install ok unpacked');
    expect(await findings({ 'var/lib/dpkg/info/prometheus.list': LIST, 'var/lib/dpkg/status': unpacked })).toEqual([
      expect.stringContaining('does not say which prometheus package is installed'),
    ]);
  });
});
