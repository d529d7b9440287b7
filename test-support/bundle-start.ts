// What a bin's bundle does as it loads. A bundle runs every module's top level at every start, whatever the run
// needs; an expression with a Unicode property class (\p{L}, \P{Nd}) made there costs V8 the class's ranges from
// ICU's tables at each start: the health check made three (Go's IsPrint, Python's int()), for expressions a run
// reads nearly never (bench/README.md has what they cost).
import { readFileSync } from 'node:fs';
import ts from 'typescript';

/** CommonJS's module wrapper, written around a bundle run from a code cache (scripts/build-support.mjs, prewrap). */
const WRAPPER_START = '(function (exports, require, module, __filename, __dirname) {';

/**
 * The text of each regular expression with a Unicode property class that the bundle `file` makes at its top level
 * (outside every function but the module wrapper): a literal, or `new RegExp(...)`/`RegExp(...)` with one in its
 * source text. Read from the text, so a top-level call into a function that makes one is not seen.
 */
export function unicodeClassesAtTopLevel(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.JS);
  const topDepth = text.startsWith(WRAPPER_START) ? 1 : 0;
  const found: string[] = [];
  const hasClass = (written: string) => /\\\\?[pP]\{/.test(written);
  const visit = (node: ts.Node, depth: number): void => {
    if (depth === topDepth) {
      if (node.kind === ts.SyntaxKind.RegularExpressionLiteral && hasClass(node.getText(source))) found.push(node.getText(source));
      if ((ts.isNewExpression(node) || ts.isCallExpression(node)) && node.expression.getText(source) === 'RegExp') {
        const written = node.arguments?.[0]?.getText(source) ?? '';
        if (hasClass(written)) found.push(node.getText(source));
      }
    }
    ts.forEachChild(node, (child) => visit(child, ts.isFunctionLike(node) ? depth + 1 : depth));
  };
  visit(source, 0);
  return found;
}
