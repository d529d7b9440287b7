import { describe, expect, it } from 'vitest';
import { commandArgv, execArgv, expandSpecifiers, isTrueSetting, parseEnvironment, parseExec, splitExecPrefixes, splitWords } from '../../src/systemd/words.js';

describe('systemd words', () => {
  it('splits with quotes and escapes', () => {
    expect(splitWords(`/bin/x "a b" 'c d' e\\sf ""`)).toEqual(['/bin/x', 'a b', 'c d', 'e f', '']);
    // systemd's own rules: an unknown escape keeps its backslash; \v is no separator.
    expect(splitWords('a\\ b \\q c\vd')).toEqual(['a\\ b', '\\q', 'c\vd']);
  });

  it('reads \\xNN and \\NNN as bytes, as systemd does: the UTF-8 they make is its characters, a lone high byte stays a byte', () => {
    // /opt/café as systemd-escape writes it (`\xc3\xa9`), and in octal: read `Ã©` before.
    expect(splitWords('/opt/caf\\xc3\\xa9/x /opt/caf\\303\\251/y \\xe9 \\x41\\u00e9')).toEqual(['/opt/café/x', '/opt/café/y', '\udce9', 'Aé']);
    expect(expandSpecifiers('%I', { name: 'a@caf\\xc3\\xa9\\xff.service' })).toBe('café\udcff');
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

  it("splits a $VAR word's value as systemd does (EXTRACT_RELAX|EXTRACT_UNQUOTE): quotes group and go, a backslash takes the next character", () => {
    const argv = (value: string) => commandArgv({ prefixes: '', path: '/c', words: ['/c', '$ARGS'] }, new Map([['ARGS', value]])).slice(1);
    expect(argv('--web.page-title=\'DSA 110\' --web.listen-address="127.0.0.1:9090"')).toEqual([
      '--web.page-title=DSA 110',
      '--web.listen-address=127.0.0.1:9090',
    ]);
    // Debian's /etc/default/prometheus: a backslash doubled for the expansion (the file's own quoting halves it first).
    expect(argv("--x=\\\\d a\\ b 'it\\'s'")).toEqual(['--x=\\d', 'a b', "it's"]);
    // An empty quoted word is a word; a quote left open, or a last backslash, ends the value.
    expect(argv(' "" \'open ended')).toEqual(['', 'open ended']);
    expect(argv('a\\')).toEqual(['a']);
    expect(argv(' \t\n ')).toEqual([]);
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

describe('expandSpecifiers and a polluted Object.prototype', () => {
  it('takes a specifier from its own tables only: %H set on Object.prototype stays %H', () => {
    const polluted = Object.prototype as Record<string, unknown>;
    polluted.H = 'evil-host';
    polluted.Q = 'evil';
    try {
      expect(expandSpecifiers('%H %Q %n', { name: 'a.service' })).toBe('%H %Q a.service');
      expect(expandSpecifiers('%H', { name: 'a.service', host: { H: 'real' } })).toBe('real');
    } finally {
      delete polluted.H;
      delete polluted.Q;
    }
  });
});

describe('isTrueSetting', () => {
  it("reads a boolean setting as systemd's parse_boolean() does", () => {
    for (const value of ['1', 'yes', 'Y', 'true', 'T', 'on', 'ON']) expect(isTrueSetting(value), value).toBe(true);
    for (const value of ['0', 'no', 'false', 'off', '', ' yes', 'yes ', 'enabled', '2']) expect(isTrueSetting(value), value).toBe(false);
  });
});

describe('commandArgv given a command that is not one (from JavaScript)', () => {
  const untyped = commandArgv as (...args: unknown[]) => unknown;
  it('names itself and the field, never "Cannot read properties of undefined (reading \'slice\')"', () => {
    expect(() => untyped({}, new Map())).toThrow(
      new TypeError('commandArgv: command.prefixes must be a string of prefix characters (from parseExec), not undefined'),
    );
    expect(() => untyped({ prefixes: '', words: ['/bin/x'] }, new Map())).toThrow(
      new TypeError('commandArgv: command.path must be a string (the executable, from parseExec), not undefined'),
    );
    expect(() => untyped({ prefixes: '', path: '/bin/x', words: '/bin/x' }, new Map())).toThrow(
      new TypeError('commandArgv: command.words must be an array of strings, not the string "/bin/x"'),
    );
    expect(() => untyped({ prefixes: '', path: '/bin/x', words: ['/bin/x', 5] }, new Map())).toThrow(
      new TypeError('commandArgv: command.words[1] must be a string, not number 5'),
    );
    expect(() => untyped({ prefixes: '', path: '/bin/x', words: ['/bin/x', '$A'] }, { A: 'a' })).toThrow(
      new TypeError('commandArgv: env must be a Map of environment variables (name to value), not an object'),
    );
    expect(() => (parseExec as (...args: unknown[]) => unknown)('/bin/x $A', { A: 'a' })).toThrow(/^parseExec: env must be a Map/);
    // biome-ignore lint/suspicious/noTemplateCurlyInString: systemd's ${A}, not a template
    expect(commandArgv({ prefixes: '', path: '/bin/x', words: ['x', '$A', '${A}b'] }, new Map([['A', 'a1 a2']]))).toEqual(['/bin/x', 'a1', 'a2', 'a1 a2b']);
  });
});
