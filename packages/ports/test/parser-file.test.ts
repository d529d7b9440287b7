// An installed dist/parse.cjs that is there but broken (cut short by an
// interrupted upgrade: a SyntaxError when it loads; emptied: it exports no
// parser) is one line in all three tools, naming the file as installed but
// broken and what to reinstall, with each tool's "could not run" exit code
// (ports 1, claim-port 1, port-health-check 3): never advice on bundling,
// never a warning that lets claim-port go on, never "X(...).parseRegistryText
// is not a function" or an internal error's stack (src/parser-file.ts). The
// built tools run for real from an npm-style install in a temporary
// directory. Build first (`pnpm build`).
import { spawnSync } from 'node:child_process';
import { appendFileSync, cpSync, existsSync, readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../../../test-support/tree.js';

const packages = join(import.meta.dirname, '../..');
const portsVersion = (JSON.parse(readFileSync(join(packages, 'ports/package.json'), 'utf8')) as { version: string }).version;

beforeAll(() => {
  for (const name of ['ports/dist/parse.cjs', 'ports/dist/cli/ports.js', 'claim-port/dist/start.cjs', 'port-health-check/dist/start.cjs']) {
    if (!existsSync(join(packages, name))) throw new Error(`packages/${name} is missing: run \`npx -y pnpm@10.34.9 build\` first`);
  }
});

/** The three packages as `npm install -g --prefix base` leaves them, and a registry file that needs the parser. */
function install(): string {
  const base = tempDir('parser-file-');
  for (const name of ['ports', 'claim-port', 'port-health-check']) {
    for (const part of ['bin', 'dist', 'package.json'])
      cpSync(join(packages, name, part), join(base, 'lib/node_modules/@dsa110', name, part), { recursive: true });
  }
  writeFileSync(join(base, 'ports.yaml'), readFileSync(join(packages, 'ports/ports.yaml')));
  return base;
}

const { DSA110_PORTS_FILE: _, ...environment } = process.env;

/** Each tool with a command line that parses the registry file, its "could not run" code, the start of its error line and what it says to reinstall. */
const TOOLS = [
  {
    tool: 'ports',
    args: (base: string) => ['--registry', join(base, 'ports.yaml'), 'get', 'api'],
    code: 1,
    prefix: 'ports: ',
    reinstall: 'reinstall @dsa110/ports',
  },
  {
    tool: 'ports schema',
    args: () => ['schema'],
    code: 1,
    prefix: 'ports: ',
    reinstall: 'reinstall @dsa110/ports',
  },
  {
    tool: 'claim-port',
    args: (base: string) => ['api', '--dry-run', '--registry', join(base, 'ports.yaml')],
    code: 1,
    prefix: '[claim-port:api] error: ',
    reinstall: `reinstall @dsa110/claim-port with the @dsa110/ports it depends on, or install @dsa110/ports@${portsVersion} beside it`,
  },
  {
    tool: 'port-health-check',
    args: (base: string) => ['--no-firewall', '--registry', join(base, 'ports.yaml')],
    code: 3,
    prefix: 'port-health-check: could not run: ',
    reinstall: `reinstall @dsa110/port-health-check with the @dsa110/ports it depends on, or install @dsa110/ports@${portsVersion} beside it`,
  },
] as const;

function run(base: string, tool: string, args: string[]) {
  const bin = tool.split(' ')[0]!;
  return spawnSync(process.execPath, [join(base, 'lib/node_modules/@dsa110', bin, 'bin', `${bin}.js`), ...args], {
    encoding: 'utf8',
    // No cache: a parsed-registry entry would spare the parser.
    env: { ...environment, DSA110_PORTS_CACHE: 'off', NO_COLOR: '' },
    cwd: base,
    timeout: 20_000,
  });
}

describe('an installed dist/parse.cjs that is broken: one line naming it and what to reinstall, the same in all three tools', () => {
  const cases = [
    {
      name: 'cut short (a SyntaxError when it loads)',
      // Half of it, ended inside an expression: a cut that happens to fall between two statements would load (and fail
      // later, on a name the lost half defined), so the text is left mid-expression, as a write cut short leaves it.
      damage: (file: string) => {
        truncateSync(file, Math.floor(statSync(file).size / 2));
        appendFileSync(file, '\n{(');
      },
      why: /^SyntaxError: [^\n]+$/,
    },
    { name: 'empty (it exports nothing)', damage: (file: string) => writeFileSync(file, ''), why: /^it does not export parseRegistryText$/ },
    {
      name: 'another module (it exports no parser)',
      damage: (file: string) => writeFileSync(file, 'module.exports = { parseRegistryText: 1 };\n'),
      why: /^it does not export parseRegistryText$/,
    },
    {
      name: 'a module that throws when it loads',
      damage: (file: string) => writeFileSync(file, 'throw new TypeError("half\\nwritten");\n'),
      why: /^TypeError: half$/,
    },
  ];
  for (const { name, damage, why } of cases) {
    it(name, () => {
      const base = install();
      const file = join(base, 'lib/node_modules/@dsa110/ports/dist/parse.cjs');
      damage(file);
      for (const { tool, args, code, prefix, reinstall } of TOOLS) {
        const result = run(base, tool, args(base));
        const head = `${prefix}cannot load the registry parser: @dsa110/ports is installed, but ${file} is broken (`;
        const tail = `); ${reinstall}\n`;
        expect(result.stderr.startsWith(head) && result.stderr.endsWith(tail), `${tool}: ${result.stderr}`).toBe(true);
        expect(result.stderr.slice(head.length, -tail.length), tool).toMatch(why);
        expect(result.status, tool).toBe(code);
      }
    });
  }

  it('intact: every tool parses the registry file', () => {
    const base = install();
    for (const { tool, args, code } of TOOLS) {
      const result = run(base, tool, args(base));
      expect(result.stderr, tool).not.toContain('registry parser');
      // ports: done; claim-port may find the port busy (1), the health check errors (1) or warnings (2) on this machine.
      if (tool.startsWith('ports')) expect(result.status, tool).toBe(0);
      else expect(result.status, tool).not.toBe(code === 1 ? 64 : code);
    }
  });
});
