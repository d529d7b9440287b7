// redisLines reads a redis.conf without a NUL byte line by line with indexOf, making strings of its content lines
// only, and keeps the last few files it read (gather reads a redis.conf for its includes, then the check reads it
// again). Held here to the split it replaced, on generated files, and to its reads being kept.
import { describe, expect, it } from 'vitest';
import { leadingCSpace, redisLines, redisRawLines, redisTrim } from '../../../src/checks/references/redis-lines.js';

/** The reader it replaced, for a text without a NUL byte: split at newlines, every line a string. */
function splitLines(text: string): { line: number; text: string }[] {
  const found: { line: number; text: string }[] = [];
  const raw = text.split('\n');
  for (let index = 0; index < raw.length; index++) {
    const line = raw[index]!;
    if (line === '' || line.charCodeAt(0) === 35) continue;
    const content = redisTrim(line);
    if (content === '' || content.charCodeAt(0) === 35) continue;
    const from = leadingCSpace(content);
    if (from < content.length) found.push({ line: index + 1, text: from === 0 ? content : content.slice(from) });
  }
  return found;
}

/** A generated redis.conf: lines of comments, spaces C and JavaScript trim differently, quotes, CRLF, empty lines. */
function generated(seed: number): string {
  const pieces = [
    '#',
    ' ',
    '\t',
    '\r',
    '\v',
    '\f',
    '\n',
    '\n',
    '\n',
    'port',
    ' 6379',
    'bind 127.0.0.1',
    '"x y"',
    "'",
    '\u00a0',
    '\ufeff',
    'include a.conf',
    '#x',
  ];
  let state = seed;
  let text = '';
  const length = 1 + (seed % 40);
  for (let index = 0; index < length; index++) {
    state = (state * 1103515245 + 12345) % 2147483648;
    text += pieces[state % pieces.length];
  }
  return text;
}

describe('redisLines', () => {
  it('reads a file without a NUL byte as the split did: the same content lines, and each line as written', () => {
    for (let seed = 0; seed < 20_000; seed++) {
      const text = generated(seed);
      const raw = text.split('\n');
      const rawLine = redisRawLines(text);
      const rawLines = Array.from({ length: raw.length + 1 }, (_, index) => rawLine(index + 1));
      // One expect only where they differ: 20,000 of them take seconds.
      if (JSON.stringify(redisLines(text)) !== JSON.stringify(splitLines(text))) expect(redisLines(text), JSON.stringify(text)).toEqual(splitLines(text));
      if (JSON.stringify(rawLines) !== JSON.stringify([...raw, ''])) expect(rawLines, JSON.stringify(text)).toEqual([...raw, '']);
    }
  });

  it('reads a packaged file (2,000 comment lines, a few directives, CRLF lines) as the split did', () => {
    const block = ['# Redis configuration file example.', '#', '', 'bind 127.0.0.1 -::1', '   # port 6380', 'port 6379\r', '\tdaemonize no', ''];
    const text = Array.from({ length: 250 }, (_, index) => [...block, `# ${index}`].join('\n')).join('\n');
    expect(redisLines(text)).toEqual(splitLines(text));
    expect(redisLines(text).length).toBe(750);
  });

  it('keeps the files it read last: a file read again after another is not read again', () => {
    const conf = '# a comment\nport 6380\nbind 127.0.0.1 -::1\n';
    const first = redisLines(conf);
    // The unit's command-line config, read between gather's look for includes and the check.
    redisLines('supervised "systemd" \ndaemonize "no" ');
    // Another string of the same text (as a second read of the file makes), not the same string.
    expect(redisLines(`${conf.slice(0, 5)}${conf.slice(5)}`)).toBe(first);
    expect(redisRawLines(conf)(2)).toBe('port 6380');
  });
});
