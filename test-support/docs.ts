// The commands the documentation shows, read from the Markdown itself, so a
// test can hold every example against the parser of the tool it runs: a flag
// a README names must be one the tool accepts, and a tool's reference table
// must name every flag it has. Prose is not parsed: only code spans that start
// with a command (`ports get api`, `sudo claim-port 6379`) and the lines of
// shell, cron and unit-file code blocks.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';

export const repoRoot = new URL('../', import.meta.url).pathname;

export type Tool = 'ports' | 'claim-port' | 'port-health-check';

/** Every page a user reads: the READMEs, CONTRIBUTING.md and docs/. Paths relative to the repository. */
export function docPages(): string[] {
  const packages = readdirSync(join(repoRoot, 'packages')).map((name) => `packages/${name}/README.md`);
  const docs = readdirSync(join(repoRoot, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .map((name) => `docs/${name}`);
  return ['README.md', 'CONTRIBUTING.md', 'e2e/README.md', ...packages, ...docs];
}

export interface DocExample {
  /** `FILE:LINE` where the example stands. */
  readonly where: string;
  readonly tool: Tool;
  /** The words after the tool's name, as the shell would pass them (quotes removed, placeholders as `PLACEHOLDER`). */
  readonly argv: readonly string[];
  /** A synopsis (`[--json]`, `<id>`, `a | b`) rather than a command that could run as written. */
  readonly synopsis: boolean;
  /** The example as written. */
  readonly text: string;
}

/** Fenced blocks whose lines are commands (or unit and cron lines that hold one); `text`, `json`, `ts`... are not. */
const COMMAND_FENCES = new Set(['sh', 'bash', 'shell', 'console', 'cron', 'ini', '']);
/** An invocation: the tool's name as a word, alone or at the end of a path (`/usr/local/bin/claim-port`, `bin/ports.js`). */
const INVOCATION = /(?:^|(?<=[\s(=+/]))(?<!@dsa110\/)(ports|claim-port|port-health-check)(?:\.js)?(?=\s|$|\))/g;
/** A code span that is a command: the tool first, after `sudo`, a path or a unit's `ExecStartPre=+`. */
const SPAN_COMMAND = /^(?:sudo\s+)?(?:ExecStartPre=[-+!@:]*)?(?:\S*\/)?(?:ports|claim-port|port-health-check)(?:\.js)?(?:\s|$)/;

/** Every example of every tool in `pages` (default: docPages()). */
export function docExamples(pages: readonly string[] = docPages()): DocExample[] {
  const examples: DocExample[] = [];
  for (const page of pages) {
    const lines = readFileSync(join(repoRoot, page), 'utf8').split('\n');
    let fence: string | undefined;
    lines.forEach((line, index) => {
      const where = `${page}:${index + 1}`;
      const opening = /^\s*```(\S*)/.exec(line);
      if (opening) {
        fence = fence === undefined ? opening[1]! : undefined;
        return;
      }
      if (fence !== undefined) {
        if (COMMAND_FENCES.has(fence)) examples.push(...invocations(stripComment(line), where));
        return;
      }
      // A table row's `\|` is a `|` inside its cell.
      const text = line.startsWith('|') ? line.replace(/\\\|/g, '|') : line;
      for (const span of text.matchAll(/`([^`]+)`/g)) {
        if (SPAN_COMMAND.test(span[1]!)) examples.push(...invocations(span[1]!, where).slice(0, 1));
      }
    });
  }
  return examples;
}

/** A shell line without its comment (`#` at the start of a word, outside quotes). */
function stripComment(line: string): string {
  let quote: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quote) {
      if (c === quote) quote = undefined;
    } else if (c === "'" || c === '"') quote = c;
    else if (c === '#' && (i === 0 || /\s/.test(line[i - 1]!))) return line.slice(0, i);
  }
  return line;
}

function invocations(text: string, where: string): DocExample[] {
  const found: DocExample[] = [];
  for (const match of text.matchAll(INVOCATION)) {
    const rest = text.slice(match.index + match[0].length);
    const { argv, synopsis } = words(rest);
    found.push({ where, tool: match[1] as Tool, argv, synopsis, text: text.trim() });
  }
  return found;
}

/**
 * The words of a command line up to where the command ends (`|` into another
 * command, `&&`, `;`, `>`, `)`), quotes removed; `<port>` and other
 * placeholders become PLACEHOLDER. In a synopsis, `|` between flags
 * (`[--out DIR | --root DIR]`) separates alternatives and `[`, `]` are dropped.
 */
function words(rest: string): { argv: string[]; synopsis: boolean } {
  // `[--json]`, `<id>`, `FILE...`, `PORT`, `KIND`: a placeholder or an optional part, not a value to run.
  let synopsis = /\[|\]|<[^<>]*>|\.\.\.|(?<![\w$])[A-Z][A-Z_]+\b/.test(rest);
  const text = rest.replace(/<[^<>]*>/g, 'PLACEHOLDER');
  const argv: string[] = [];
  let word: string | undefined;
  let quote: string | undefined;
  const end = () => {
    if (word !== undefined) argv.push(word);
    word = undefined;
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quote) {
      if (c === quote) quote = undefined;
      else word = (word ?? '') + c;
      continue;
    }
    if (c === "'" || c === '"') {
      quote = c;
      word ??= '';
    } else if (/\s/.test(c)) end();
    else if (c === '|' && word === undefined) {
      // `a | -b` or `[--x | --y]`: alternatives in a synopsis; else a pipe into the next command.
      if (/^\s*\[?-/.test(text.slice(i + 1))) {
        synopsis = true;
        continue;
      }
      break;
    } else if ((c === '&' || c === ';' || c === '>' || c === ')') && word === undefined) break;
    else if ((c === ';' || c === ')') && word !== undefined) {
      end();
      break;
    } else word = (word ?? '') + c;
  }
  end();
  return { argv: argv.map((arg) => arg.replace(/^\[+|[\],]+$/g, '')).filter((arg) => arg !== ''), synopsis };
}

/**
 * The flags in `argv` as spellings (`--json`, `-h`; `--timeout=5` is
 * `--timeout`; `-hV` is `-h` and `-V`), with the operands left: a flag in
 * `takesValue` consumes the next word unless written `--flag=value`.
 */
export function splitArgv(argv: readonly string[], takesValue: (flag: string) => boolean): { flags: string[]; operands: string[] } {
  const flags: string[] = [];
  const operands: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--' || arg === '-' || !arg.startsWith('-') || /^-\d/.test(arg)) {
      operands.push(arg);
    } else if (arg.startsWith('--')) {
      const [flag, value] = arg.split('=', 2) as [string, string | undefined];
      flags.push(flag);
      if (value === undefined && takesValue(flag)) i++;
    } else {
      for (const letter of arg.slice(1)) flags.push(`-${letter}`);
    }
  }
  return { flags, operands };
}

/** The examples of one tool. */
export function examplesOf(tool: Tool, pages?: readonly string[]): DocExample[] {
  return docExamples(pages).filter((example) => example.tool === tool);
}

/** The text of a page's section: from its heading line (`## Options`) to the next heading of that level or higher, outside code blocks. */
export function section(page: string, heading: string): string {
  const lines = readFileSync(join(repoRoot, page), 'utf8').split('\n');
  const level = /^#+/.exec(heading)![0].length;
  const start = lines.indexOf(heading);
  if (start < 0) throw new Error(`${page}: no section "${heading}"`);
  let fenced = false;
  const body: string[] = [];
  for (const line of lines.slice(start + 1)) {
    if (/^\s*```/.test(line)) fenced = !fenced;
    else if (!fenced && new RegExp(`^#{1,${level}} `).test(line)) break;
    body.push(line);
  }
  return body.join('\n');
}

/** The first cell of each body row of the Markdown tables in `text` (header and rule rows left out), `\\|` read as `|`. */
export function firstCells(text: string): string[] {
  const lines = text.split('\n').map((line) => line.trimStart()); // a table may be indented in a list item
  const isRule = (line: string | undefined) => line !== undefined && /^\|(\s*:?-{3,}:?\s*\|)+\s*$/.test(line);
  return lines
    .filter((line, index) => line.startsWith('|') && !isRule(line) && !isRule(lines[index + 1]))
    .map((line) =>
      line
        .split(/(?<!\\)\|/)[1]!
        .replace(/\\\|/g, '|')
        .trim(),
    );
}

/** The flags named in `text` (`--json`, `-q`), in order, each once. */
export function flagsIn(text: string): string[] {
  return [...new Set([...text.matchAll(/(?<![\w-])(--?[A-Za-z][\w-]*)/g)].map((match) => match[1]!))];
}

/** The members of `interface NAME` in a package's API report (api/*.api.md), as declared: what an options table must list. */
export function interfaceMembers(apiReport: string, name: string): string[] {
  const lines = readFileSync(join(repoRoot, apiReport), 'utf8').split('\n');
  const start = lines.findIndex((line) => new RegExp(`^export (declare )?interface ${name}\\b`).test(line));
  if (start < 0) throw new Error(`${apiReport}: no interface ${name}`);
  const members: string[] = [];
  for (const line of lines.slice(start + 1)) {
    if (line.startsWith('}')) break;
    const member = /^ {4}(?:readonly )?([A-Za-z_$][\w$]*)\??[:(]/.exec(line);
    if (member) members.push(member[1]!);
  }
  return members;
}

/** The string literals of `type NAME = 'a' | 'b'` in a package's API report: the values a README must list. */
export function unionMembers(apiReport: string, name: string): string[] {
  const text = readFileSync(join(repoRoot, apiReport), 'utf8');
  const declaration = new RegExp(`^export (?:declare )?type ${name} = ([^;]+);`, 'm').exec(text);
  if (!declaration) throw new Error(`${apiReport}: no type ${name}`);
  return [...declaration[1]!.matchAll(/'([^']*)'/g)].map((match) => match[1]!);
}

/** A heading's anchor as GitHub makes it: lower case, punctuation dropped (not `-` or `_`), spaces as `-`; a repeat gets `-1`, `-2`. */
export function headingAnchors(page: string): Set<string> {
  const text = readFileSync(join(repoRoot, page), 'utf8').replace(/^\s*```[\s\S]*?^\s*```/gm, '');
  const seen = new Map<string, number>();
  const anchors = new Set<string>();
  for (const heading of text.matchAll(/^#{1,6} (.*)$/gm)) {
    const slug = heading[1]!
      .toLowerCase()
      .replace(/[^\p{L}\p{N} _-]/gu, '')
      .replace(/ /g, '-');
    const count = seen.get(slug) ?? 0;
    seen.set(slug, count + 1);
    anchors.add(count === 0 ? slug : `${slug}-${count}`);
  }
  return anchors;
}

/**
 * `text` without its inline code spans (a run of backticks to the next run as long, within a paragraph), which hold no
 * links: `[[:alpha:](]` in a README is a regex, not a link to `]`.
 */
function withoutCodeSpans(text: string): string {
  return text.replace(/(`+)(?!`)(?:[^`\n]|\n(?![ \t]*\n)|`+(?!`))*?(?<!`)\1(?!`)/g, '');
}

/**
 * The links of `page` that lead nowhere: a relative path that does not exist,
 * or an anchor no heading of the target makes; links to this repository on
 * GitHub (`https://github.com/dsa110/ports/tree/main/...`) are read as
 * relative ones. `#readme` (GitHub's own anchor for a directory's README) is
 * always there.
 */
export function brokenLinks(page: string): string[] {
  const text = withoutCodeSpans(readFileSync(join(repoRoot, page), 'utf8').replace(/^\s*```[\s\S]*?^\s*```/gm, ''));
  const broken: string[] = [];
  for (const match of text.matchAll(/\]\(([^)\s]+)\)/g)) {
    let link = match[1]!;
    const ours = /^https:\/\/github\.com\/dsa110\/ports(?:\/(?:tree|blob)\/main\/([^#]*))?(#.*)?$/.exec(link);
    if (ours)
      link = `${ours[1] ? relative(dirname(join(repoRoot, page)), join(repoRoot, ours[1])) || '.' : relative(dirname(join(repoRoot, page)), repoRoot) || '.'}${ours[2] ?? ''}`;
    else if (/^[a-z]+:/.test(link)) continue; // another site
    const [path, anchor] = link.split('#') as [string, string | undefined];
    let target = path === '' ? join(repoRoot, page) : join(dirname(join(repoRoot, page)), path);
    if (!existsSync(target)) {
      broken.push(`${page}: ${match[1]}: no such file`);
      continue;
    }
    if (statSync(target).isDirectory()) target = join(target, 'README.md');
    if (anchor === undefined || anchor === 'readme' || !target.endsWith('.md')) continue;
    if (!headingAnchors(relative(repoRoot, target)).has(anchor)) broken.push(`${page}: ${match[1]}: no heading makes #${anchor}`);
  }
  return broken;
}
