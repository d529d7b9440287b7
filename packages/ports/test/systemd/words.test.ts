import { describe, expect, it } from 'vitest';
import { execArgv, isTrueSetting, parseEnvironment, splitExecPrefixes, splitWords } from '../../src/systemd/words.js';

describe('systemd words', () => {
  it('splits with quotes and escapes', () => {
    expect(splitWords(`/bin/x "a b" 'c d' e\\sf ""`)).toEqual(['/bin/x', 'a b', 'c d', 'e f', '']);
    // systemd's own rules: an unknown escape keeps its backslash; \v is no separator.
    expect(splitWords('a\\ b \\q c\vd')).toEqual(['a\\ b', '\\q', 'c\vd']);
  });

  it('separates the prefix characters', () => {
    expect(splitExecPrefixes('+/usr/local/bin/claim-port 8000')).toEqual({ prefixes: '+', command: '/usr/local/bin/claim-port 8000' });
    expect(splitExecPrefixes('-!!/bin/true')).toEqual({ prefixes: '-!!', command: '/bin/true' });
    expect(splitExecPrefixes('/bin/true').prefixes).toBe('');
  });

  // biome-ignore lint/suspicious/noTemplateCurlyInString: systemd's ${VAR}, not a template
  it('expands ${VAR} inside words and $VAR as whole words, unset to nothing', () => {
    const env = new Map([
      ['CONTIMG_API_PORT', '8010'],
      ['OPTS', '--timeout 10'],
    ]);
    // biome-ignore lint/suspicious/noTemplateCurlyInString: systemd's ${VAR}, not a template
    expect(execArgv('/c ${CONTIMG_API_PORT} $OPTS $UNSET x${UNSET}y', env)).toEqual(['/c', '8010', '--timeout', '10', 'xy']);
    expect(execArgv('/c $CONTIMG_API_PORT', env, false)).toEqual(['/c', '$CONTIMG_API_PORT']);
    expect(execArgv('/c 100%%', env)).toEqual(['/c', '100%']);
  });

  // biome-ignore lint/suspicious/noTemplateCurlyInString: systemd's ${VAR}, not a template
  it('expands as replace_env() does: $$ is a literal $, ${NAME} whatever NAME holds, ${X:...} and an open ${ stay as written', () => {
    const env = new Map([
      ['A', 'one'],
      ['a b', 'spaced'],
    ]);
    const $ = '$';
    // biome-ignore lint/suspicious/noTemplateCurlyInString: systemd's ${VAR}, not a template
    expect(execArgv(`/c ${$}${$}A x${$}${$}{A} ${$}${$}${$}{A} ${$}${$}${$}${$}`, env)).toEqual(['/c', '$A', 'x${A}', '$one', '$$']);
    // biome-ignore lint/suspicious/noTemplateCurlyInString: systemd's ${VAR}, not a template
    expect(execArgv(`/c "${$}{a b}" x${$}{A:-d} ${$}{A ${$}{ x${$}A ${$}`, env)).toEqual(['/c', 'spaced', 'x${A:-d}', '${A', '${', 'x$A']);
  });

  it('parses Environment= assignments, quoted or not, and skips invalid words', () => {
    expect(parseEnvironment(`CONTIMG_API_PORT=8010 "GREETING=hello world" B="x y" 1BAD=z junk`)).toEqual([
      ['CONTIMG_API_PORT', '8010'],
      ['GREETING', 'hello world'],
      ['B', 'x y'],
    ]);
  });
});

describe('isTrueSetting', () => {
  it("reads a boolean setting as systemd's parse_boolean() does", () => {
    for (const value of ['1', 'yes', 'Y', 'true', 'T', 'on', 'ON']) expect(isTrueSetting(value), value).toBe(true);
    for (const value of ['0', 'no', 'false', 'off', '', ' yes', 'yes ', 'enabled', '2']) expect(isTrueSetting(value), value).toBe(false);
  });
});
