// The reference page's generated parts, as pure functions of a registry.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseRegistry } from '@dsa110/ports';
import {
  DOC_SECTIONS,
  docReference,
  exampleService,
  expandReferences,
  regenerateDocs,
  renderDocSections,
  firewallPlan,
  renderEnv,
  renderFirewall,
  renderQuickReference,
  claimWiring,
} from '@dsa110/ports/render';
import { MAX_CLAIM_TIMEOUT_SECONDS, isClaimTimeout, parseClaimArgs, type ClaimArgs } from '@dsa110/ports/systemd';
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

  it("show an unknown id and the caller's `where` escaped and cut: a reference may hold any text up to its }", () => {
    expect(() => expandReferences(registry, 'on {port:a\nb\u001b[2J}', 'services.x\u001b[31m.purpose')).toThrow(
      /^services\.x\\e\[31m\.purpose: \{port:a\\nb\\e\[2J\} names no service or reserved entry; known ids: /,
    );
    const message = (() => {
      try {
        expandReferences(registry, `{port:${'x'.repeat(1e6)}}`);
      } catch (error) {
        return (error as Error).message;
      }
    })();
    expect(message?.length).toBeLessThan(1000);
  });
});

describe('{port:ID} references in a large registry', () => {
  it('name 20 of the known ids and how many more, not every one', () => {
    const reserved = Array.from({ length: 40 }, (_, index) => `  - { id: r${String(index).padStart(2, '0')}, name: R, port: ${40000 + index}, purpose: p }`);
    const big = parseRegistry(`version: 1\nservices: []\nreserved:\n${reserved.join('\n')}\n`);
    const first20 = Array.from({ length: 20 }, (_, index) => `r${String(index).padStart(2, '0')}`).join(', ');
    expect(() => expandReferences(big, '{port:nope}')).toThrow(
      `ports.yaml: {port:nope} names no service or reserved entry; known ids: ${first20}, … and 20 more (ports list shows every one)`,
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

  it("Configured Services: a template's instance with `claim: unit` gets its own drop-in, as `ports systemd` says (a file of its name would replace the template); a UDP port shows /udp", () => {
    const registry = parseRegistry(`version: 1
services:
  - { id: dns, name: DNS, group: production, port: 20053, protocol: UDP, transport: udp, access: public, configuredBy: hardcoded, robust: true, systemd: { unit: dns@main.service, claim: unit }, processes: [unbound] }
  - { id: web, name: Web, group: production, port: 20080, protocol: HTTP, access: public, configuredBy: hardcoded, robust: true, systemd: { unit: web.service, claim: unit }, processes: [nginx] }
`);
    const table = DOC_SECTIONS['configured-services'](registry);
    const rows = table.split('\n').map((row) => row.split('|').map((cell) => cell.trim()));
    expect(rows).toContainEqual(['', 'dns\\@main', '20053/udp', '`/etc/systemd/system/dns@main.service.d/override.conf`', '']);
    expect(rows).toContainEqual(['', 'web', '20080', '`/etc/systemd/system/web.service`', '']);
  });

  it('a unit name with a backslash shows one in Configured Services: a code span takes it as written, only text doubles it', () => {
    const table = DOC_SECTIONS['configured-services'](odd);
    expect(table).toContain('| redis\\\\x2dserver | 6379 | `/etc/systemd/system/redis\\x2dserver.service.d/claim-port.conf` |');
    expect(table).not.toContain('redis\\\\x2dserver.service.d');
  });

  describe('HTML, links and Markdown in the registry are shown as text, not acted on', () => {
    const hostile = parseRegistry(
      readFileSync(join(repoRoot, 'packages/ports/test/fixtures/minimal.yaml'), 'utf8')
        .replace('name: Redis', 'name: "<div hidden>A"\n    title: "<img src=x onerror=alert(1)> [t](javascript:t)"')
        .replace(
          'processes: [redis-server]',
          [
            'processes: [redis-server]',
            '    robustNote: "<b>note</b> [n](javascript:n)"',
            '    command: "`redis-server` <i>then</i>"',
            '    details: { "<u>Label</u>": "[d](javascript:d) *em*" }',
            '    purpose: ["<script>alert(1)</script>", "[click](javascript:alert(1))", "keeps `<code>` and {port:redis}"]',
            '    notes: ["![img](javascript:x) &amp; <!-- c -->"]',
          ].join('\n'),
        )
        .replace('purpose: Dashboard fallback', 'purpose: "<em>x</em> [r](javascript:r)"'),
    );
    const sections = Object.values(renderDocSections(hostile)).join('\n');

    it('every piece of it, escaped', () => {
      const details = DOC_SECTIONS['production-services'](hostile);
      expect(details).toContain('### Port 6379 - &lt;img src=x onerror=alert(1)&gt; \\[t\\](javascript:t)\n');
      expect(details).toContain('- **Command:** `redis-server` &lt;i&gt;then&lt;/i&gt;\n');
      expect(details).toContain('- **&lt;u&gt;Label&lt;/u&gt;:** \\[d\\](javascript:d) \\*em\\*\n');
      expect(details).toContain('  - &lt;script&gt;alert(1)&lt;/script&gt;\n  - \\[click\\](javascript:alert(1))\n  - keeps `<code>` and 6379\n');
      expect(details).toContain('- **Note:** !\\[img\\](javascript:x) &amp;amp; &lt;!-- c --&gt;');
      const quick = DOC_SECTIONS['quick-reference'](hostile);
      expect(quick).toContain('| 6379 | &lt;div hidden&gt;A |');
      expect(quick).toMatch(/\n†&lt;b&gt;note&lt;\/b&gt; \\\[n\\\]\(javascript:n\)$/);
      expect(DOC_SECTIONS.reserved(hostile)).toContain('| &lt;em&gt;x&lt;/em&gt; \\[r\\](javascript:r) |');
    });

    it('protected names in an inline value too, with | escaped (the value may sit in a table cell)', () => {
      const named = parseRegistry(
        readFileSync(join(repoRoot, 'packages/ports/test/fixtures/minimal.yaml'), 'utf8').replace(
          'version: 1',
          'version: 1\nclaim:\n  protect:\n    processes: ["tick`x", "a|b", "<x>&", "[l](j)", "*_*"]',
        ),
      );
      expect(docReference(named, 'claim:protected')).toMatch(/, tick\\`x, a\\\|b, &lt;x&gt;&amp;, \\\[l\\\]\(j\), \\\*\\_\\\*$/);
    });

    it('no tag, comment or link is left outside a code span or fence of the generated sections', () => {
      const outsideCode = sections.replace(/^```[\s\S]*?^```$/gm, '').replace(/(`+)[^`]*?\1/g, '');
      expect(outsideCode).not.toMatch(/<(?!br\/>)|(?<!\\)\[|(?<!\\)\]\(/);
    });
  });

  it("the examples' service is the robust production service with an env override and the lowest port: Redis in ports.yaml, as its comment says", () => {
    expect(exampleService(registry)?.id).toBe('redis');
    expect(exampleService(parseRegistry(text.replace('port: 8000\n', 'port: 6000\n')))?.id).toBe('api');
  });
});

describe('the firewall section: what the generated rules let in, by access level', () => {
  /** The `# ACCESS (WHO): PORT/TRANSPORT, ...` lines of the section. */
  const levels = (markdown: string) => markdown.split('\n').filter((line) => /^# {3}\w+ \(/.test(line));

  it('says of each access level what `ports firewall` does with it (8000, private, is reachable from private networks), each port once', () => {
    expect(levels(renderFirewall(registry))).toEqual([
      '#   public (from anywhere): 80/tcp',
      '#   private (from private networks only): 8000/tcp',
      '#   localhost (from this host only: never exposed): 3030/tcp, 6379/tcp, 9090/tcp',
      '#   dev (from this host only: never exposed): 3000/tcp, 5173/tcp, 8001/tcp',
      '#   reserved (from private networks only): 8010/tcp',
      '#   reserved (from this host only: never exposed): 3210-3220/tcp, 3210-3220/udp, 8010/udp',
    ]);
    expect(renderFirewall(registry)).not.toMatch(/should NOT be exposed/);
  });

  it('lists the reserved ranges as the rules filter them: a range over SSH leaves it out, one for a public service is open', () => {
    const wide = parseRegistry(
      text.replace(
        'reserved:\n',
        'reserved:\n  - id: low\n    name: Low ports\n    start: 20\n    end: 30\n    purpose: Low ports\n  - id: web-alt\n    name: Web alternative\n    port: 8080\n    purpose: Web alternative\n    for: [nginx]\n',
      ),
    );
    expect(levels(renderFirewall(wide)).filter((line) => line.startsWith('#   reserved'))).toEqual([
      '#   reserved (from anywhere): 8080/tcp',
      '#   reserved (from private networks only): 8010/tcp',
      '#   reserved (from this host only: never exposed): 20-21/tcp, 20-21/udp, 23-30/tcp, 23-30/udp, 3210-3220/tcp, 3210-3220/udp, 8010/udp, 8080/udp',
    ]);
    // Without reserved ranges, neither their lines nor the note on how a range's access is chosen.
    const none = parseRegistry(text.slice(0, text.indexOf('\nreserved:\n') + 1));
    expect(renderFirewall(none)).not.toMatch(/reserved/);
  });

  it('a port with a TCP and a UDP service is listed once per transport, under its own access level, as the plan has it', () => {
    const fixture = readFileSync(join(repoRoot, 'packages/ports/test/fixtures/udp-twins.yaml'), 'utf8');
    const twins = parseRegistry(fixture.replace('transport: udp\n    access: localhost', 'transport: udp\n    access: private'));
    expect(levels(renderFirewall(twins))).toEqual([
      '#   private (from private networks only): 61053/udp',
      '#   localhost (from this host only: never exposed): 61053/tcp',
    ]);
    // What the page says is what the rules do: each listed port/transport's rule, a service's or a range's, lets in
    // the sources its line names.
    const who = { 'from anywhere': 'any', 'from private networks only': 'private', 'from this host only: never exposed': 'none' } as const;
    for (const reg of [registry, twins]) {
      for (const line of levels(renderFirewall(reg))) {
        const [, access, sources, list] = /^# {3}(\w+) \(([^)]*)\): (.*)$/.exec(line)!;
        for (const item of list!.split(', ')) {
          const [ports, transport] = item.split('/');
          const [start, end = start] = ports!.split('-').map(Number);
          const rule = firewallPlan(reg).find(
            (entry) => entry.start === start && entry.end === end && entry.transport === transport && entry.access === access,
          );
          expect(rule?.sources, item).toBe(who[sources as keyof typeof who]);
        }
      }
    }
  });
});

describe('the claim-port examples: commands claim-port accepts, for the service they name', () => {
  /** A registry whose examples' service is UDP (robust, production, with an env override), claim timeout `timeout`. */
  const udp = (timeout = 5) =>
    parseRegistry(`version: 1
claim:
  timeoutSeconds: ${timeout}
services:
  - id: ingest
    name: Ingest
    group: production
    port: 28713
    protocol: UDP
    transport: udp
    access: private
    configuredBy: { env: INGEST_PORT }
    robust: true
    systemd: { unit: ingest.service, claim: drop-in }
    processes: [ingest]
`);
  /** Each claim-port command in the usage and common-commands sections, parsed as claim-port parses it. */
  const claims = (reg: ReturnType<typeof parseRegistry>): ClaimArgs[] =>
    [DOC_SECTIONS['claim-port-usage'](reg), DOC_SECTIONS['common-commands'](reg)]
      .join('\n')
      .split('\n')
      .filter((line) => /^sudo \S*claim-port /.test(line))
      .map((line) => {
        const parsed = parseClaimArgs(line.split(' ').slice(2));
        expect(parsed.command, line).toBe('claim');
        return parsed as ClaimArgs;
      });

  it("claims a UDP service's port as PORT/udp, as its ExecStartPre= line does (a bare port claims TCP listeners), and lists UDP sockets too", () => {
    const reg = udp();
    expect(claimWiring(reg)[0]!.line).toBe('ExecStartPre=+/usr/local/bin/claim-port 28713/udp');
    const byPort = claims(reg).filter((args) => 'port' in args.target);
    // --dry-run, the claim, --timeout, --force and the common commands' claim.
    expect(byPort).toHaveLength(5);
    for (const args of byPort) expect([args.target, args.transport]).toEqual([{ port: 28713 }, 'udp']);
    expect(DOC_SECTIONS['claim-port-usage'](reg)).toContain('# Check whether port 28713/udp (Ingest) would be freed');
    expect(DOC_SECTIONS['common-commands'](reg)).toContain('\nss -tulnp\n');
    // A TCP registry's page is as it was: a bare port, and TCP listeners listed.
    expect(
      claims(registry)
        .filter((args) => 'port' in args.target)
        .map((args) => args.transport),
    ).toEqual([undefined, undefined, undefined, undefined, undefined]);
    expect(DOC_SECTIONS['common-commands'](registry)).toContain('\nss -tlnp\n');
  });

  it('shows a --timeout claim-port accepts and that is not the default: longer up to the limit, shorter at the limit', () => {
    const shown = (timeout: number) => claims(udp(timeout)).flatMap((args) => (args.timeoutSeconds === undefined ? [] : [args.timeoutSeconds]));
    expect(shown(5)).toEqual([10]);
    expect(shown(0.5)).toEqual([10]);
    expect(shown(200)).toEqual([MAX_CLAIM_TIMEOUT_SECONDS]);
    expect(shown(MAX_CLAIM_TIMEOUT_SECONDS)).toEqual([MAX_CLAIM_TIMEOUT_SECONDS / 2]);
    expect(DOC_SECTIONS['claim-port-usage'](udp(MAX_CLAIM_TIMEOUT_SECONDS))).toContain(
      `# A shorter timeout (default ${MAX_CLAIM_TIMEOUT_SECONDS} seconds, the longest claim-port accepts)`,
    );
    for (const timeout of [0.001, 1, 5, 149, 150, 151, 299, 300]) {
      const [seconds] = shown(timeout);
      expect(isClaimTimeout(seconds), `${timeout}: ${seconds}`).toBe(true);
      expect(seconds, String(timeout)).not.toBe(timeout);
    }
  });
});
