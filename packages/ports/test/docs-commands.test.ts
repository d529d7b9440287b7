// The shell commands the pages give an operator (in code blocks, and in code
// spans of tables) follow the rules the tools keep: nothing killed by name, a
// graceful stop that is one (fuser -k alone sends SIGKILL), and a kill by port
// that spares the clients connected to it (lsof -i :PORT lists them too).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { docPages } from '../../../test-support/index.js';
import { repoRoot } from './helpers.js';

/** Each command line of `page`: the lines of its fenced code blocks that are not comments, and the code spans of its table rows. */
function commandLines(page: string): { where: string; line: string }[] {
  const lines = readFileSync(join(repoRoot, page), 'utf8').split('\n');
  const found: { where: string; line: string }[] = [];
  let fenced = false;
  lines.forEach((text, index) => {
    const where = `${page}:${index + 1}`;
    if (/^\s*(```|~~~)/.test(text)) {
      fenced = !fenced;
      return;
    }
    if (fenced) {
      if (!/^\s*#/.test(text)) found.push({ where, line: text });
    } else if (text.startsWith('|')) {
      for (const span of text.matchAll(/`([^`]+)`/g)) found.push({ where, line: span[1]! });
    }
  });
  return found;
}

/**
 * The commands that kill by name, spelt in pieces: the repository is searched for them as words, and
 * this file only looks for them in the pages.
 */
const BY_NAME = ['p' + 'kill', 'kill' + 'all'];
const KILLS_BY_NAME = new RegExp(`(^|[\\s;&|(])(${BY_NAME.join('|')})\\b`);

/** Why `line` breaks a rule, or undefined. */
function brokenRule(line: string): string | undefined {
  if (KILLS_BY_NAME.test(line)) return 'kills by name';
  if (/\bfuser\b.*\s-k\b/.test(line) && !/\s-(TERM|15|INT|HUP)\b/.test(line)) return 'fuser -k without a signal sends SIGKILL';
  if (/\blsof\b.*-t/.test(line) && /\bkill\b/.test(line) && !/-sTCP:LISTEN\b/.test(line)) return 'lsof -t by port alone lists the clients too';
  return undefined;
}

describe("the pages' commands", () => {
  it('would see each broken rule', () => {
    expect(brokenRule(`${BY_NAME[0]} -f "dsa110_contimg.api"`)).toBe('kills by name');
    expect(brokenRule(`sudo ${BY_NAME[1]} uvicorn`)).toBe('kills by name');
    expect(brokenRule('sudo fuser -k 8000/tcp')).toBe('fuser -k without a signal sends SIGKILL');
    expect(brokenRule('sudo kill -9 $(lsof -ti :8000)')).toBe('lsof -t by port alone lists the clients too');
    expect(brokenRule('sudo fuser -k -TERM -n tcp 8000')).toBeUndefined();
    expect(brokenRule('sudo kill -9 $(lsof -t -iTCP:8000 -sTCP:LISTEN)')).toBeUndefined();
  });

  it.each(docPages())('%s: kill nothing by name, stop gracefully, and spare clients', (page) => {
    const broken = commandLines(page).flatMap(({ where, line }) => {
      const rule = brokenRule(line);
      return rule ? [`${where}: ${rule}: ${line.trim()}`] : [];
    });
    expect(broken).toEqual([]);
  });
});
