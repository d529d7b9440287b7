import { CONFIG_KINDS, formatIssue, formatRange, loadRegistry, REGISTRY_ENV, RegistryError, type Registry } from '../../index.js';
import { compileGlob } from '../../glob.js';
import { HOST_PORT_NAMES, HOST_PORTS } from '../../host-ports.js';
import { loadParser } from '../../load-parser.js';
import { readFileSync } from 'node:fs';
import { fileSystemPath } from '../../utf8.js';
import { escapeText, oneLine, processNameText } from '../../escape.js';
import { printedShellWord } from '../../shell-word.js';
import { defineCommand } from '../command.js';
import { CHECKOUT_REGISTRY, checkoutOrigin, findCheckoutRegistry, ORIGIN, otherRegistryReason, refuseLostRegistryVariable, type Context } from '../context.js';
import { UsageError, type Outcome } from '../exit-code.js';

export const command = defineCommand({
  summary: 'validate registries; one FILE:LINE:COL: path: message line per problem',
  operands: '[FILE...]',
  flags: {},
  checkout: true,
  registryHelp:
    "the registry to validate when no FILE is given (default: $DSA110_PORTS_FILE, else the checkout's ports.yaml: at the root of the git work tree, else ./ports.yaml, where packages/ports/package.json there names @dsa110/ports; never the bundled one)",
  notes: [
    "Without FILE: --registry, $DSA110_PORTS_FILE, else the checkout's ports.yaml (at the root of the git work tree, from any directory in it; else ./ports.yaml; where packages/ports/package.json there names @dsa110/ports), never the bundled one. Exits 1 if any file has a problem.",
  ],
  run,
});

async function run(context: Context<unknown>): Promise<Outcome> {
  if (context.positionals.includes('')) throw new UsageError('ports validate: an empty FILE argument; name the registries to validate');
  const files: { file: string; origin?: string }[] = context.positionals.length > 0 ? context.positionals.map((file) => ({ file })) : [defaultFile(context)];
  let failed = false;
  for (const { file, origin } of files) {
    try {
      const registry = await loadRegistry({ path: file, ...(origin && { origin }) });
      const count = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;
      const services = count(registry.services.length, 'service', 'services');
      const reserved = count(registry.reserved.length, 'reserved entry', 'reserved entries');
      for (const warning of warnings(registry, file)) context.io.err(`${warning}\n`, 'warn');
      context.io.out(`${escapeText(file)}: ok (${services}, ${reserved})\n`);
    } catch (error) {
      if (!(error instanceof RegistryError)) throw error;
      failed = true;
      // Every problem: the error's message lists the first MAX_ISSUES_IN_MESSAGE.
      context.io.out(`${error.issues.map((issue) => formatIssue(error.source, issue)).join('\n')}\n`);
    }
  }
  return failed ? 'failed' : 'ok';
}

/**
 * Valid but worth a person's attention: built-in protection switched off, a config on a service that does not run its
 * program, an entry on a port of the host's own daemons.
 */
function warnings(registry: Registry, file: string): string[] {
  let text: string | undefined;
  try {
    text = readFileSync(fileSystemPath(file), 'utf8');
  } catch {
    // the position is a courtesy
  }
  const lines = text?.split(/\r\n|\r|\n/) ?? [];
  const at = (line: number, column: number) => (line >= 0 && column >= 0 ? `${escapeText(file)}:${line + 1}:${column + 1}` : escapeText(file));
  const found: string[] = [];
  if (registry.claim.unprotectedBuiltins.length > 0) {
    const line = lines.findIndex((text) => /^\s*unprotectBuiltin\s*:/.test(text));
    const names = registry.claim.unprotectedBuiltins.join(', ');
    found.push(
      `${at(line, lines[line]?.indexOf('unprotectBuiltin') ?? -1)}: warning: claim.protect.unprotectBuiltin removes built-in protection from ${names}: claim-port will signal such processes when they hold a claimed port`,
    );
  }
  for (const service of registry.services) {
    const globs = service.processes.map((glob) => compileGlob(glob));
    service.configs.forEach((ref, index) => {
      const { programs } = CONFIG_KINDS[ref.kind];
      if (programs.some((program) => globs.some((glob) => glob.test(program)))) return;
      const [line, column] = configLine(lines, service.id, index);
      // Each name as a name is printed: a look-alike (`rеdis-server`, a Cyrillic е) shown as it is read as the program named.
      const listed = service.processes.length > 0 ? `its processes are ${service.processes.map(quotedName).join(', ')}` : 'it lists no processes';
      found.push(
        `${at(line, column)}: warning: services.${service.id}.configs[${index}]: kind ${ref.kind} is a file ${programs.join(' or ')} reads, but ${listed}; move this config to the entry of the service that runs ${programs[0]}, or, if ${programs[0]} runs here under another name, add that name to processes`,
      );
    });
  }
  return [...found, ...hostPortWarnings(registry, file, text), ...lookalikeWarnings(registry, file, text)];
}

/** A registry's process name or glob in a warning: quoted, every character beyond ASCII escaped (processNameText). */
const quotedName = (name: string) => `"${processNameText(name, 200).replace(/"/g, '\\"')}"`;

/**
 * A warning for each process name pattern (claim.protect.processes, a service's processes) that holds a character
 * beyond ASCII: programs are named in ASCII, and such a pattern is most often a look-alike (`pоstgres` with a
 * Cyrillic о), which matches no process of the name it imitates: a protected one left to claim-port's signal, an
 * owner taken for an intruder. A warning, not a refusal: a process may really go by such a name (Linux names are
 * bytes), and a registry that stops loading stops every claim and check that reads it.
 */
function lookalikeWarnings(registry: Registry, file: string, text: string | undefined): string[] {
  const where = (at: { line: number; column: number } | undefined) => (at && at.line > 0 ? `${escapeText(file)}:${at.line}:${at.column}` : escapeText(file));
  const found: string[] = [];
  // Built-in names are ASCII (builtin-protection.ts): only the registry's additions can hold another character.
  for (const pattern of registry.claim.protectedProcesses) {
    const beyond = nonAsciiCharacters(pattern);
    if (beyond === undefined) continue;
    const at = text === undefined ? undefined : loadParser().protectPatternPosition(text, pattern);
    found.push(
      `${where(at)}: warning: claim.protect.processes: ${quotedName(pattern)} holds ${beyond}, not ASCII: it protects no process whose name is written in ASCII, however alike the two look, and claim-port signals that one; write the name in ASCII, or keep it if a process really goes by this name`,
    );
  }
  const named: { service: string; item: number; pattern: string; beyond: string }[] = [];
  for (const service of registry.services) {
    service.processes.forEach((pattern, item) => {
      const beyond = nonAsciiCharacters(pattern);
      if (beyond !== undefined) named.push({ service: service.id, item, pattern, beyond });
    });
  }
  if (named.length === 0) return found;
  const places =
    text === undefined
      ? []
      : loadParser().entryKeyPositions(
          text,
          named.map(({ service, item }) => ({ list: 'services', id: service, key: 'processes', item })),
        );
  named.forEach(({ service, item, pattern, beyond }, index) => {
    found.push(
      `${where(places[index])}: warning: services.${service}.processes[${item}]: ${quotedName(pattern)} holds ${beyond}, not ASCII: it matches no process whose name is written in ASCII, however alike the two look, and the health check takes that one for an intruder; write the name in ASCII, or keep it if a process really goes by this name`,
    );
  });
  return found;
}

/** Scripts whose letters pass for Latin ones (Cyrillic о, Greek ο), tested in this order: a character's is named. */
const LOOKALIKE_SCRIPTS = ['Cyrillic', 'Greek', 'Armenian', 'Cherokee', 'Latin'].map((script) => ({ script, test: new RegExp(`\\p{Script=${script}}`, 'u') }));

/**
 * The characters of `name` beyond ASCII, each once, by code point and, where cheaply known, what it is:
 * `U+043E (a Cyrillic small letter)`; the first three, then how many more. Undefined for an ASCII name.
 */
function nonAsciiCharacters(name: string): string | undefined {
  const seen = [...new Set(Array.from(name).filter((char) => char.codePointAt(0)! > 0x7e))];
  if (seen.length === 0) return undefined;
  const described = seen.slice(0, 3).map((char) => {
    const point = `U+${char.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;
    const script = LOOKALIKE_SCRIPTS.find(({ test }) => test.test(char))?.script;
    const kind = /\p{Lu}/u.test(char)
      ? 'capital letter'
      : /\p{Ll}/u.test(char)
        ? 'small letter'
        : /\p{L}/u.test(char)
          ? 'letter'
          : /\p{Nd}/u.test(char)
            ? 'digit'
            : undefined;
    return script !== undefined && kind !== undefined ? `${point} (a ${script} ${kind})` : point;
  });
  const more = seen.length > 3 ? ` and ${seen.length - 3} more` : '';
  return `${described.join(', ')}${more}`;
}

/** Where the `index`th entry of service `id`'s configs is written: its line and column (0-based), or [-1, -1]. A courtesy: a plain reading of the lines. */
function configLine(lines: readonly string[], id: string, index: number): [number, number] {
  const start = lines.findIndex((text) =>
    new RegExp(`^\\s*(?:-\\s+)?id\\s*:\\s*["']?${id.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}["']?\\s*(?:#.*)?$`).test(text),
  );
  if (start < 0) return [-1, -1];
  let seen = -1;
  for (let line = start + 1; line < lines.length; line++) {
    const text = lines[line]!;
    if (/^\s*-\s+id\s*:/.test(text) || /^\S/.test(text)) break;
    const column = text.search(/\bkind\s*:/);
    if (column >= 0 && ++seen === index) return [line, column];
  }
  return [-1, -1];
}

const FILTERED: Record<string, string> = { private: 'from private networks only', localhost: 'from this host only', dev: 'from this host only' };

/**
 * A warning for each service on a port of the host's own daemons (HOST_PORTS: SSH's, node_exporter's), which the
 * service collides with, and whose firewall rules (a service that is not public) would filter the daemon's port; and
 * for each reserved entry that holds one, where a service moved by its override would collide with it.
 */
function hostPortWarnings(registry: Registry, file: string, text: string | undefined): string[] {
  const found: { place: { list: 'services' | 'reserved'; id: string; key: string }; line: (where: string) => string }[] = [];
  for (const service of registry.services) {
    const name = HOST_PORT_NAMES[service.port];
    if (name === undefined) continue;
    const filtered = FILTERED[service.access];
    const firewall = filtered === undefined ? '' : `, and \`ports firewall\` would filter it as ${service.access} (${filtered}), cutting the daemon off`;
    found.push({
      place: { list: 'services', id: service.id, key: 'port' },
      line: (where) =>
        `${where}: warning: services.${service.id}.port: port ${service.port} is the ${name} port, which the host's own daemon listens on, not a DSA-110 service's: ${service.id} would collide with it${firewall}; give ${service.id} another port`,
    });
  }
  for (const range of registry.reserved) {
    for (const port of HOST_PORTS.filter((each) => each >= range.start && each <= range.end)) {
      found.push({
        place: { list: 'reserved', id: range.id, key: range.start === range.end ? 'port' : 'start' },
        line: (where) =>
          `${where}: warning: reserved.${range.id}: ${formatRange(range)} holds port ${port}, the ${HOST_PORT_NAMES[port]} port, which the host's own daemon listens on: a service moved onto it by its override would collide with it; keep the entry clear of port ${port}`,
      });
    }
  }
  if (found.length === 0) return [];
  // The parser (yaml) is loaded only for a registry with something to place, as a problem is placed.
  const places =
    text === undefined
      ? []
      : loadParser().entryKeyPositions(
          text,
          found.map((each) => each.place),
        );
  return found.map((each, index) => {
    const at = places[index];
    return each.line(at && at.line > 0 ? `${escapeText(file)}:${at.line}:${at.column}` : escapeText(file));
  });
}

/** The registry to validate when no FILE is named, and where its path came from. */
function defaultFile(context: Context<unknown>): { file: string; origin: string } {
  if (context.registryPath !== undefined) return { file: context.registryPath, origin: ORIGIN.option };
  refuseLostRegistryVariable(context);
  const fromEnv = context.env[REGISTRY_ENV];
  if (fromEnv) return { file: fromEnv, origin: ORIGIN.env };
  const lookup = findCheckoutRegistry();
  const { file, other, own } = lookup;
  if (file !== undefined) return { file, origin: checkoutOrigin(file) };
  // In an installed package's directory: its own copy, the bundled registry's.
  if (own !== undefined) return { file: own, origin: ORIGIN.own };
  // Another project's ports.yaml is not validated as this registry unless named.
  if (other !== undefined)
    throw new UsageError(
      oneLine(
        `ports validate: no file given, and ${otherRegistryReason({ ...lookup, other })}; name it to validate it (ports validate ${printedShellWord(other)})`,
      ),
    );
  throw new UsageError(
    `ports validate: no file given and no default ${CHECKOUT_REGISTRY} (in a git work tree the one at its root, else ./${CHECKOUT_REGISTRY}); name the registries to validate`,
  );
}
