// Configuration files that include others: nginx's `include FILE;` and
// Redis's `include FILE` splice that file in where they stand, so a `listen`
// or `port` in it counts as if written there. gather() reads every file an
// include names (a glob in its last part expands as both programs' glob(3)
// does: c-glob.ts), under the root, nested up to MAX_INCLUDE_DEPTH,
// with what is here; the readers splice them in from those facts
// (include-files.ts), so the checks stay pure.
import type { ConfigKind } from '@dsa110/ports';
import { includePath } from './include-files.js';
import { NGINX_CONF_PREFIX } from './nginx-main.js';
import { MAX_SITE_STATEMENTS, nginxStatements } from './nginx.js';
import { redisLines } from './redis-lines.js';
import { mayBeRedisDirective, redisWords } from './redis.js';

/** The include arguments of a file of `kind`, resolved by includePath (nginx's under `nginxPrefix`; absolute ones under the RootDirectory= `root` of a program chrooted there), in order (kinds without includes: none). */
export function includePatterns(kind: ConfigKind, text: string, nginxPrefix = NGINX_CONF_PREFIX, root?: string): string[] {
  if (kind === 'redis-conf') {
    // Redis's lines: `include "/etc/redis/a#1.conf"` names that file (a # is a comment only at a line's start); an include of more than one word is refused, so names none.
    return redisLines(text).flatMap(({ text: content }) => {
      if (!mayBeRedisDirective(content, ['include'])) return [];
      const words = redisWords(content);
      return words && words.length === 2 && words[0]!.toLowerCase() === 'include' ? [includePath(kind, words[1]!, undefined, root)] : [];
    });
  }
  if (kind === 'nginx-site') return nginxIncludes(text, nginxPrefix, root).map((include) => include.pattern);
  return [];
}

/** The `include` directives of an nginx file, each as includePath resolves it (under `nginxPrefix`; an absolute one under the RootDirectory= `root` nginx runs chrooted in) with its line, in order. */
export function nginxIncludes(text: string, nginxPrefix = NGINX_CONF_PREFIX, root?: string): { pattern: string; line: number }[] {
  // As many statements as a site may have (MAX_SITE_STATEMENTS): a file of millions of `}` is not all made statements.
  return nginxStatements(text, MAX_SITE_STATEMENTS).flatMap((statement) =>
    statement.end === ';' && statement.words[0] === 'include' && statement.words[1] !== undefined
      ? [{ pattern: includePath('nginx-site', statement.words[1], nginxPrefix, root), line: statement.line }]
      : [],
  );
}

export { isGlob } from './include-files.js';
