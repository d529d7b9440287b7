// redis.conf: `port` is the service's port and `bind` stays within its
// access level. Redis applies the last occurrence of a directive.
import { isLoopback } from '../../address.js';
import { contentLines, type Finding } from './finding.js';
import { includedFiles, includePath, type IncludeLookup } from './include-files.js';

/** The directives this reader acts on. */
const DIRECTIVES_READ = ['port', 'bind', 'include'];

/** Redis's compiled-in port, when redis.conf sets none. */
export const REDIS_DEFAULT_PORT = 6379;

/**
 * A redis.conf line's words as Redis splits them (sdssplitargs): `"..."`
 * with C escapes (`\\n`, `\\"`, `\\xHH`), `'...'` with only `\\'`, so
 * `port "6380"` is port 6380. Undefined for a line Redis refuses (an
 * unbalanced quote, or one not followed by a space).
 */
export function redisWords(line: string): string[] | undefined {
  // Without a quote, a line is its words between runs of space: the usual
  // line, split at once (a char-by-char walk of Debian's 2,276-line file cost
  // the health check about 2M instructions, twice: includes, then the check).
  if (!line.includes('"') && !line.includes("'")) return line.split(/\s+/).filter((word) => word !== '');
  const words: string[] = [];
  let index = 0;
  while (true) {
    while (index < line.length && /\s/.test(line[index]!)) index++;
    if (index >= line.length) return words;
    let word = '';
    const quote = line[index] === '"' || line[index] === "'" ? line[index++] : undefined;
    for (;;) {
      if (index >= line.length) {
        if (quote) return undefined; // unterminated quotes
        break;
      }
      const char = line[index]!;
      if (!quote) {
        if (/\s/.test(char)) break;
        word += char;
        index++;
        continue;
      }
      if (char === '\\' && index + 1 < line.length) {
        const next = line[index + 1]!;
        const hex = quote === '"' && next === 'x' ? /^[0-9a-fA-F]{2}/.exec(line.slice(index + 2)) : null;
        if (hex) {
          word += String.fromCharCode(parseInt(hex[0], 16));
          index += 4;
          continue;
        }
        if (quote === '"') word += ({ n: '\n', r: '\r', t: '\t', b: '\b', a: '\x07' } as Record<string, string>)[next] ?? next;
        else word += next === "'" ? "'" : `\\${next}`;
        index += 2;
        continue;
      }
      index++;
      if (char === quote) {
        // The closing quote must be followed by a space or the end of the line.
        if (index < line.length && !/\s/.test(line[index]!)) return undefined;
        break;
      }
      word += char;
    }
    words.push(word);
  }
}

/**
 * Whether the first word of a redis.conf content line (trimmed) can be one of
 * `directives` (lower case), without splitting it: it starts with one's first
 * letter in either case, or with a quote (a quoted word is anything).
 */
export function mayBeRedisDirective(content: string, directives: readonly string[]): boolean {
  const first = content[0];
  return first === '"' || first === "'" || (first !== undefined && directives.some((name) => name[0] === first.toLowerCase()));
}

/**
 * An include whose files were not read (one cannot be read, nests deeper than
 * the check reads, is relative): Redis reads it (any depth), so a port or bind
 * in it replaces the last one seen before it.
 */
interface UnreadInclude {
  readonly file?: string;
  readonly line: number;
  readonly include: string;
}

export function readRedisConf(text: string, expect: { name: string; port: number; localOnly: boolean }, lookup?: IncludeLookup, self?: string): Finding[] {
  let port: { file?: string; line: number; value: string } | undefined;
  let bind: { file?: string; line: number; addresses: string[] } | undefined;
  // The last include not read after the last port (bind): while one is set, the port (bind) may be another, so its verdict is unknown.
  let portMayBeIn: UnreadInclude | undefined;
  let bindMayBeIn: UnreadInclude | undefined;
  const findings: Finding[] = [];
  // `include FILE` reads FILE there, so the last port or bind may be in it.
  const read = (source: string, file: string | undefined, chain: readonly string[]): void => {
    for (const { line, text: content } of contentLines(source)) {
      if (!mayBeRedisDirective(content, DIRECTIVES_READ)) continue;
      const words = redisWords(content);
      if (words === undefined) {
        if (/^(port|bind)\s/i.test(content))
          findings.push({ file, line, severity: 'error', message: `${content.slice(0, 200)}: unbalanced quotes, so Redis refuses to start; fix the quoting` });
        continue;
      }
      const [directive, ...args] = words;
      const name = directive?.toLowerCase();
      if (name === 'port' && args[0] !== undefined) {
        port = { file, line, value: args[0] };
        portMayBeIn = undefined;
      }
      if (name === 'bind') {
        bind = { file, line, addresses: args };
        bindMayBeIn = undefined;
      }
      if (name === 'include' && args[0] !== undefined) {
        const included = includedFiles(lookup, includePath('redis-conf', args[0]), chain);
        if ('problem' in included) {
          findings.push({ file, line, severity: 'unknown', message: `include ${args[0]}: ${included.problem}; a port or bind in it is not checked` });
          // A loop's files were read (Redis never gets past it: it crashes); any other include may hold what was not seen.
          if (!included.loop) portMayBeIn = bindMayBeIn = { file, line, include: args[0] };
        } else for (const each of included.files) read(each.text, each.path, [...chain, each.path]);
      }
    }
  };
  read(text, undefined, self !== undefined ? [self] : []);
  // The include that may hold another setting, and where it stands (file:line; its line alone when the caller named no file).
  const notRead = (unread: UnreadInclude) => {
    const file = unread.file ?? self;
    return `include ${unread.include} (${file !== undefined ? `${file}:` : 'line '}${unread.line}), which could not be read`;
  };
  if (port === undefined) {
    if (expect.port !== REDIS_DEFAULT_PORT)
      findings.push(
        portMayBeIn
          ? {
              line: 0,
              severity: 'unknown',
              message: `sets no port outside ${notRead(portMayBeIn)}: the port may be there; if not, ${expect.name} listens on ${REDIS_DEFAULT_PORT}, not ${expect.port}`,
            }
          : {
              line: 0,
              severity: 'error',
              message: `sets no port, so ${expect.name} listens on ${REDIS_DEFAULT_PORT}, not ${expect.port}; add port ${expect.port}`,
            },
      );
  } else if (port.value !== String(expect.port)) {
    findings.push({
      file: port.file,
      line: port.line,
      severity: portMayBeIn ? 'unknown' : 'error',
      message: `port ${port.value}, but the registry says ${expect.name} uses port ${expect.port}${portMayBeIn ? `, unless ${notRead(portMayBeIn)}, sets another port` : ''}`,
    });
  }
  if (expect.localOnly) {
    if (bind === undefined) {
      findings.push(
        bindMayBeIn
          ? {
              line: 0,
              severity: 'unknown',
              message: `sets no bind outside ${notRead(bindMayBeIn)}: the bind may be there; if not, ${expect.name} listens on every address`,
            }
          : {
              line: 0,
              severity: 'error',
              message: `sets no bind, so ${expect.name} listens on every address; add bind 127.0.0.1 -::1 (localhost only)`,
            },
      );
    } else {
      const wide = bind.addresses.map((address) => address.replace(/^-/, '')).filter((address) => address !== 'localhost' && !isLoopback(address));
      if (wide.length > 0)
        findings.push({
          file: bind.file,
          line: bind.line,
          severity: bindMayBeIn ? 'unknown' : 'error',
          message: `bind ${bind.addresses.join(' ')} reaches beyond this host (${wide.join(', ')}), but ${expect.name} is localhost-only${bindMayBeIn ? `, unless ${notRead(bindMayBeIn)}, sets another bind` : ''}`,
        });
    }
  }
  return findings;
}
