// The .d.ts files a package's published type entries reach: each export's
// "types" (and the `types` field, typesVersions), then every relative
// `import`/`export ... from`, `import("...")` and `/// <reference path>` of
// each file reached, transitively. Used by the build (pruneTypes: the other
// .d.ts files are not emitted into dist/) and by check-packages (a tarball
// with a .d.ts no entry reaches, or a relative import that resolves to no
// file, fails).
import { existsSync, readdirSync, readFileSync, rmdirSync, rmSync, statSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';

const DECLARATION = /\.d\.(c|m)?ts$/;

/** The type entries of a package.json's exports (publishConfig.exports when given: what is packed), `types` and typesVersions, as paths relative to the package. */
export function typeEntries(pkg) {
  const entries = new Set();
  const walk = (target, isTypes) => {
    if (typeof target === 'string') {
      if (isTypes || DECLARATION.test(target)) entries.add(target);
    } else if (Array.isArray(target)) for (const t of target) walk(t, isTypes);
    else if (target && typeof target === 'object') for (const [key, t] of Object.entries(target)) if (key !== 'development') walk(t, key === 'types');
  };
  walk(pkg.publishConfig?.exports ?? pkg.exports, false);
  if (pkg.types) entries.add(pkg.types);
  if (pkg.typings) entries.add(pkg.typings);
  for (const map of Object.values(pkg.typesVersions ?? {})) walk(map, true);
  return [...entries].map((entry) => entry.replace(/^\.\//, ''));
}

/** The relative specifiers of a declaration file's imports, exports, import() types and reference paths. */
export function relativeSpecifiers(text) {
  const found = [];
  const patterns = [
    /\b(?:import|export)\b[^'";]*?\bfrom\s*['"](\.{1,2}\/[^'"]*|\.{1,2})['"]/g,
    /\bimport\s*['"](\.{1,2}\/[^'"]*)['"]/g,
    /\bimport\s*\(\s*['"](\.{1,2}\/[^'"]*|\.{1,2})['"]\s*\)/g,
    /\brequire\s*\(\s*['"](\.{1,2}\/[^'"]*|\.{1,2})['"]\s*\)/g,
  ];
  for (const pattern of patterns) for (const match of text.matchAll(pattern)) found.push({ specifier: match[1], reference: false });
  for (const match of text.matchAll(/^\/\/\/\s*<reference\s+path\s*=\s*['"]([^'"]+)['"]/gm)) found.push({ specifier: match[1], reference: true });
  return found;
}

/** The declaration file a relative specifier in `from` (a file path) names, as TypeScript looks for it; undefined when there is none. */
export function resolveDeclaration(from, specifier, reference = false) {
  const base = join(dirname(from), specifier);
  const isFile = (file) => existsSync(file) && statSync(file).isFile();
  const candidates = reference
    ? [base]
    : [
        ...(/\.js$/.test(base) ? [base.replace(/\.js$/, '.d.ts')] : []),
        ...(/\.cjs$/.test(base) ? [base.replace(/\.cjs$/, '.d.cts')] : []),
        ...(/\.mjs$/.test(base) ? [base.replace(/\.mjs$/, '.d.mts')] : []),
        ...(DECLARATION.test(base) ? [base] : []),
        `${base}.d.ts`,
        join(base, 'index.d.ts'),
      ];
  return candidates.find(isFile);
}

/** Every declaration file under `root` (relative paths, sorted). */
export function declarationFiles(root) {
  return readdirSync(root, { recursive: true })
    .map(String)
    .filter((file) => DECLARATION.test(file))
    .map((file) => file.split(sep).join('/'))
    .sort();
}

/**
 * Follows the type entries of the package at `root` through their relative
 * specifiers. `reached`: the declaration files reached (relative paths);
 * `unresolved`: "file: specifier" for each relative specifier that names no file.
 */
export function reachableTypes(root, pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'))) {
  const reached = new Set();
  const unresolved = [];
  const queue = typeEntries(pkg).map((entry) => join(root, entry));
  while (queue.length > 0) {
    const file = queue.shift();
    const name = relative(root, file).split(sep).join('/');
    if (reached.has(name)) continue;
    if (!existsSync(file)) {
      unresolved.push(`package.json: ${name}`);
      continue;
    }
    reached.add(name);
    for (const { specifier, reference } of relativeSpecifiers(readFileSync(file, 'utf8'))) {
      const target = resolveDeclaration(file, specifier, reference);
      if (target) queue.push(target);
      else unresolved.push(`${name}: ${specifier}`);
    }
  }
  return { reached: [...reached].sort(), unresolved };
}

/** Removes the declaration files under root/dist that no type entry reaches, and the directories left empty. Returns the removed paths. */
export function pruneTypes(root) {
  const { reached, unresolved } = reachableTypes(root);
  if (unresolved.length > 0) throw new Error(`${root}: type entries or imports that name no file: ${unresolved.join(', ')}; fix the build's .d.ts`);
  const keep = new Set(reached);
  const dist = join(root, 'dist');
  const removed = declarationFiles(dist)
    .map((file) => `dist/${file}`)
    .filter((file) => !keep.has(file));
  for (const file of removed) rmSync(join(root, file));
  const dirs = readdirSync(dist, { recursive: true })
    .map((entry) => join(dist, String(entry)))
    .filter((path) => statSync(path).isDirectory())
    .sort((a, b) => b.length - a.length);
  for (const dir of dirs) if (readdirSync(dir).length === 0) rmdirSync(dir);
  return removed;
}
