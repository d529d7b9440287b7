// The reference page's generated parts, as pure functions of a registry.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseRegistry } from '@dsa110/ports';
import { DOC_SECTIONS, expandReferences, regenerateDocs, renderEnv, renderQuickReference } from '@dsa110/ports/render';
import { docExamples } from '../../../../test-support/index.js';
import { repoRoot } from '../helpers.js';

const text = readFileSync(join(repoRoot, 'ports.yaml'), 'utf8');
const registry = parseRegistry(text);
const page = readFileSync(join(repoRoot, 'docs/ports.md'), 'utf8');

/** The page with generated sections and inline values cut out: what people wrote by hand. */
function handWritten(markdown: string): string {
  const names = Object.keys(DOC_SECTIONS).join('|');
  return markdown
    .replace(new RegExp(`<!-- ports:(${names}):start -->[\\s\\S]*?<!-- ports:\\1:end -->`, 'g'), '')
    .replace(/<!-- ports:ref [^ ]+ -->.*?<!-- \/ports:ref -->/g, '');
}

describe('docs/ports.md', () => {
  it('is what regenerateDocs makes from ports.yaml (run `ports docs` when this fails)', () => {
    expect(regenerateDocs(page, registry)).toBe(page);
  });

  it('has no port number typed by hand: every one comes from the registry', () => {
    const ports = new Set<number>([...registry.services.map((service) => service.port), ...registry.reserved.flatMap((entry) => [entry.start, entry.end])]);
    const prose = handWritten(page);
    const typed = [...prose.matchAll(/\b\d{2,5}\b/g)].map((match) => Number(match[0])).filter((number) => ports.has(number));
    expect(typed).toEqual([]);
    // The check would see one: the original page's sentence about the firewall.
    expect(handWritten(`${page}\nInternal services (8000, 9090) should NOT be exposed\n`).match(/\b8000\b/)).not.toBeNull();
  });

  it('runs every claim of a port as root (sudo), the dry run too: as a user claim-port cannot see a root holder, and refuses', () => {
    const claims = docExamples(['docs/ports.md']).filter(
      (example) => example.tool === 'claim-port' && example.argv.length > 0 && !example.argv.includes('--test') && !example.text.includes('ExecStartPre='),
    );
    expect(claims.map((example) => example.argv.join(' '))).toContain('6379 --dry-run');
    expect(claims.filter((example) => !example.text.startsWith('sudo ')).map((example) => `${example.where}: ${example.text}`)).toEqual([]);
  });

  it('has no date or timestamp (deterministic)', () => {
    expect(page).not.toMatch(/Last Updated|\b20\d\d-\d\d-\d\d\b/);
  });

  it('is sorted by port in the Quick Reference, with footnote marks', () => {
    const table = renderQuickReference(registry);
    const ports = [...table.matchAll(/^\| (\d+) /gm)].map((match) => Number(match[1]));
    expect(ports).toEqual([...ports].sort((a, b) => a - b));
    expect(table).toContain('| 80   | Nginx              | HTTP     | Public           | No                | No†     |');
    expect(table).toMatch(/\n\n†Nginx doesn't need robust reservation as port 80 typically has no conflicts\.$/);
  });
});

describe('{port:ID} references', () => {
  it('expand to service ports and reserved starts, and name an unknown id', () => {
    expect(expandReferences(registry, 'on {port:api} or {port:dashboard-fallback}')).toBe('on 8000 or 3210');
    expect(() => expandReferences(registry, 'on {port:apx}', 'services.nginx.purpose[1]')).toThrow(
      /^services\.nginx\.purpose\[1\]: \{port:apx\} names no service or reserved entry; known ids: api, api-alt, /,
    );
  });
});

describe('renderEnv', () => {
  it('is empty without configurable services', () => {
    const bare = parseRegistry('version: 1\nservices: []\n');
    expect(renderEnv(bare, 'systemd')).toBe('');
  });
});

describe('text from the registry on the page means what it says', () => {
  const odd = parseRegistry(
    readFileSync(join(repoRoot, 'packages/ports/test/fixtures/minimal.yaml'), 'utf8')
      .replace('name: Redis', 'name: Redis\n    title: "Cache #"')
      .replace('unit: redis-server.service', 'unit: "redis\\\\x2dserver.service"'),
  );

  it('a unit name with a backslash (systemd-escape) reaches the example shell line whole', () => {
    expect(odd.service('redis').systemd?.unit).toBe('redis\\x2dserver.service');
    const line = DOC_SECTIONS['common-commands'](odd)
      .split('\n')
      .find((candidate) => candidate.startsWith('sudo systemctl status '))!;
    const run = spawnSync('bash', ['-c', `printf '%s\\n' ${line.slice('sudo systemctl status '.length)}`], { encoding: 'utf8' });
    expect(run.stdout.split('\n')).toContain('redis\\x2dserver');
  });

  it('a title ending in " #" keeps it (Markdown would read it as the closing sequence of the heading)', () => {
    expect(DOC_SECTIONS['production-services'](odd)).toContain('### Port 6379 - Cache \\#\n');
  });
});
