import { formatIssue, loadRegistry, REGISTRY_ENV, RegistryError, type Registry } from '../../index.js';
import { readFileSync } from 'node:fs';
import { fileSystemPath } from '../../utf8.js';
import { escapeText } from '../../escape.js';
import { defineCommand } from '../command.js';
import { CHECKOUT_REGISTRY, checkoutOrigin, checkoutRegistry, ORIGIN, refuseLostRegistryVariable, type Context } from '../context.js';
import { UsageError, type Outcome } from '../exit-code.js';

export const command = defineCommand({
  summary: 'validate registries; one FILE:LINE:COL: path: message line per problem',
  operands: '[FILE...]',
  flags: {},
  checkout: true,
  registryHelp:
    "the registry to validate when no FILE is given (default: $DSA110_PORTS_FILE, else the checkout's ports.yaml: at the root of the git work tree, else ./ports.yaml; never the bundled one)",
  notes: [
    "Without FILE: --registry, $DSA110_PORTS_FILE, else the checkout's ports.yaml (at the root of the git work tree, from any directory in it; else ./ports.yaml), never the bundled one. Exits 1 if any file has a problem.",
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

/** Valid but worth a person's attention: built-in protection switched off. */
function warnings(registry: Registry, file: string): string[] {
  if (registry.claim.unprotectedBuiltins.length === 0) return [];
  let where = escapeText(file);
  try {
    const lines = readFileSync(fileSystemPath(file), 'utf8').split(/\r?\n/);
    const line = lines.findIndex((text) => /^\s*unprotectBuiltin\s*:/.test(text));
    if (line >= 0) where = `${escapeText(file)}:${line + 1}:${lines[line]!.indexOf('unprotectBuiltin') + 1}`;
  } catch {
    // the position is a courtesy
  }
  const names = registry.claim.unprotectedBuiltins.join(', ');
  return [
    `${where}: warning: claim.protect.unprotectBuiltin removes built-in protection from ${names}: claim-port will signal such processes when they hold a claimed port`,
  ];
}

/** The registry to validate when no FILE is named, and where its path came from. */
function defaultFile(context: Context<unknown>): { file: string; origin: string } {
  if (context.registryPath !== undefined) return { file: context.registryPath, origin: ORIGIN.option };
  refuseLostRegistryVariable(context);
  const fromEnv = context.env[REGISTRY_ENV];
  if (fromEnv) return { file: fromEnv, origin: ORIGIN.env };
  const file = checkoutRegistry();
  if (file !== undefined) return { file, origin: checkoutOrigin(file) };
  throw new UsageError(
    `ports validate: no file given and no default ${CHECKOUT_REGISTRY} (in a git work tree the one at its root, else ./${CHECKOUT_REGISTRY}); name the registries to validate`,
  );
}
