// The bins' arguments and environment as the kernel gave them
// (src/cli-kit/argv.ts), the pure part: Node's U+FFFD for each byte that is
// not UTF-8 replaced by the bytes from /proc/self/cmdline or environ, or
// "lost" when those do not match. The bins that use it run as real processes
// in their own tests (claim-port's argv.test.ts, the health check's and
// ports' raw-bytes tests).
import { describe, expect, it } from 'vitest';
import { lostPathMessage, notUtf8PathMessage, recoverArguments, recoverEnvironment } from '../../src/cli-kit/index.js';

/** The bytes of a cmdline or environ: each word ended by a NUL. */
const nulEnded = (...words: (string | Buffer)[]) => Buffer.concat(words.flatMap((word) => [Buffer.from(word), Buffer.of(0)]));

describe('recoverArguments (pure)', () => {
  it('reads an argument Node could not decode back from the last words of the cmdline, past node options, `--` and the script', () => {
    const given = ['8000', '--registry', '/etc/p\uFFFDrts.yaml'];
    const words = nulEnded(
      'node',
      '--conditions=development',
      '--import',
      'tsx',
      '--',
      '/x/bin.ts',
      '8000',
      '--registry',
      Buffer.from('/etc/p\xf6rts.yaml', 'latin1'),
    );
    expect(recoverArguments(given, words)).toEqual({ argv: ['8000', '--registry', '/etc/p\udcf6rts.yaml'], bytesLost: false });
  });

  it('keeps a real U+FFFD (its UTF-8 bytes) as it is, and an empty argument in its place', () => {
    const given = ['', '--registry', '/a\uFFFD\uFFFDb'];
    const words = nulEnded('node', '/x/bin.js', '', '--registry', Buffer.concat([Buffer.from('/a\uFFFD'), Buffer.of(0xff), Buffer.from('b')]));
    expect(recoverArguments(given, words)).toEqual({ argv: ['', '--registry', '/a\uFFFD\udcffb'], bytesLost: false });
  });

  it('says the bytes are lost when the cmdline is missing, rewritten (process.title) or does not match', () => {
    const given = ['8000', '--registry', '/p\uFFFD'];
    expect(recoverArguments(given, undefined)).toEqual({ argv: given, bytesLost: true });
    expect(recoverArguments(given, Buffer.from(`claim-port${'\0'.repeat(40)}`))).toEqual({ argv: given, bytesLost: true });
    expect(recoverArguments(given, Buffer.from('node\0bin\x008000\0--registry\0/p\xff', 'latin1'))).toEqual({ argv: given, bytesLost: true }); // no final NUL
    expect(recoverArguments(given, nulEnded('node', 'bin', '8001', '--registry', Buffer.of(0x2f, 0x70, 0xff)))).toEqual({ argv: given, bytesLost: true });
    expect(recoverArguments(given, nulEnded('--registry', Buffer.of(0x2f, 0x70, 0xff)))).toEqual({ argv: given, bytesLost: true }); // too few words
  });

  it('reads no cmdline when no argument holds U+FFFD', () => {
    expect(recoverArguments(['8000', '--dry-run'], undefined)).toEqual({ argv: ['8000', '--dry-run'], bytesLost: false });
  });
});

describe('recoverEnvironment (pure)', () => {
  const environ = nulEnded('PATH=/usr/bin', Buffer.from('DSA110_PORTS_FILE=/etc/p\xf6rts.yaml', 'latin1'), Buffer.from('OTHER=\xff', 'latin1'));

  it('reads a named variable Node could not decode back from environ; other variables, and a value without U+FFFD, stay as Node gave them', () => {
    const env = { PATH: '/usr/bin', DSA110_PORTS_FILE: '/etc/p\uFFFDrts.yaml', OTHER: '\uFFFD' };
    expect(recoverEnvironment(env, ['DSA110_PORTS_FILE'], environ)).toEqual({
      env: { PATH: '/usr/bin', DSA110_PORTS_FILE: '/etc/p\udcf6rts.yaml', OTHER: '\uFFFD' },
      bytesLost: [],
    });
    const plain = { DSA110_PORTS_FILE: '/etc/ports.yaml' };
    expect(recoverEnvironment(plain, ['DSA110_PORTS_FILE'], undefined)).toEqual({ env: plain, bytesLost: [] });
    expect(recoverEnvironment({}, ['DSA110_PORTS_FILE'], undefined)).toEqual({ env: {}, bytesLost: [] });
  });

  it('takes the first entry of the name, as getenv does', () => {
    const twice = nulEnded(Buffer.from('X=a\xf6', 'latin1'), Buffer.from('X=a\xfe', 'latin1'));
    expect(recoverEnvironment({ X: 'a\uFFFD' }, ['X'], twice).env.X).toBe('a\udcf6');
  });

  it('says the bytes are lost when environ is missing, rewritten, lacks the variable or holds another value (changed since the start)', () => {
    const env = { DSA110_PORTS_FILE: '/etc/p\uFFFDrts.yaml' };
    const lost = { env, bytesLost: ['DSA110_PORTS_FILE'] };
    expect(recoverEnvironment(env, ['DSA110_PORTS_FILE'], undefined)).toEqual(lost);
    expect(recoverEnvironment(env, ['DSA110_PORTS_FILE'], Buffer.from('DSA110_PORTS_FILE=/etc/p\xf6rts.yaml', 'latin1'))).toEqual(lost); // no final NUL
    expect(recoverEnvironment(env, ['DSA110_PORTS_FILE'], nulEnded('PATH=/usr/bin'))).toEqual(lost);
    expect(recoverEnvironment(env, ['DSA110_PORTS_FILE'], nulEnded(Buffer.from('DSA110_PORTS_FILE=/etc/q\xf6rts.yaml', 'latin1')))).toEqual(lost);
    expect(recoverEnvironment(env, ['DSA110_PORTS_FILE'], nulEnded(Buffer.from('DSA110_PORTS_FILEX=/etc/p\xf6rts.yaml', 'latin1')))).toEqual(lost);
  });
});

describe('the refusals', () => {
  it('a lost path: one line naming the option or variable, each lost byte as \\ufffd, where the bytes were looked for, and what to do', () => {
    expect(lostPathMessage('--output', '/var/r\uFFFDport.prom')).toBe(
      '--output "/var/r\\ufffdport.prom": the path is not UTF-8 (\\ufffd: bytes Node could not decode) and its bytes could not be read back from /proc/self/cmdline, so the file cannot be opened; give it a UTF-8 name (or a symlink with one)',
    );
    expect(lostPathMessage('$DSA110_PORTS_FILE', '/p\uFFFD\n')).toBe(
      '$DSA110_PORTS_FILE "/p\\ufffd\\n": the path is not UTF-8 (\\ufffd: bytes Node could not decode) and its bytes could not be read back from /proc/self/environ, so the file cannot be opened; give it a UTF-8 name (or a symlink with one)',
    );
    expect(lostPathMessage('--output', '/var/report.prom')).toBeUndefined();
  });

  it('a path that is not UTF-8 where only UTF-8 will do: its bytes as \\xNN; a real U+FFFD is UTF-8', () => {
    expect(notUtf8PathMessage('--root', '/srv/im\udcffg', 'the tree is read by UTF-8 names')).toBe(
      '--root "/srv/im\\xffg": the path is not UTF-8, and the tree is read by UTF-8 names; give it a UTF-8 name (or a symlink with one)',
    );
    expect(notUtf8PathMessage('--root', '/srv/im\uFFFDg', 'the tree is read by UTF-8 names')).toBeUndefined();
  });
});
