// The pure parsers, on recorded /proc and lsof text.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  compressIPv6,
  decodeIPv4,
  decodeIPv6,
  formatEndpoint,
  isDualStack,
  parseLsof,
  parsePasswd,
  parseProcNetTcp,
  parseStat,
  parseStatusUids,
  type ListenSocket,
} from '@dsa110/ports/system';

const fixture = (name: string) => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');

describe('addresses', () => {
  it('decodes little-endian words', () => {
    expect(decodeIPv4('0100007F', true)).toBe('127.0.0.1');
    expect(decodeIPv4('7F000001', false)).toBe('127.0.0.1');
    expect(decodeIPv4('00000000', true)).toBe('0.0.0.0');
    expect(decodeIPv6('00000000000000000000000001000000', true)).toBe('::1');
    expect(decodeIPv6('00000000000000000000000000000000', true)).toBe('::');
    expect(decodeIPv6('B80D0120000000000000000001000000', true)).toBe('2001:db8::1');
  });
  it('presents IPv4-mapped IPv6 as IPv4', () => {
    expect(decodeIPv6('0000000000000000FFFF00000100007F', true)).toBe('127.0.0.1');
  });
  it('compresses the longest zero run only', () => {
    expect(compressIPv6([1, 0, 0, 2, 0, 0, 0, 3])).toBe('1:0:0:2::3');
    expect(compressIPv6([1, 0, 2, 3, 4, 5, 6, 7])).toBe('1:0:2:3:4:5:6:7');
    expect(compressIPv6([0xfe80, 0, 0, 0, 0, 0, 0, 0])).toBe('fe80::');
  });
  it('formats endpoints', () => {
    expect(formatEndpoint('::1', 80)).toBe('[::1]:80');
    expect(formatEndpoint('0.0.0.0', 80)).toBe('0.0.0.0:80');
  });
});

describe('parseProcNetTcp', () => {
  it('keeps LISTEN sockets only: not clients, accepted connections, TIME_WAIT or bound-only', () => {
    const sockets = parseProcNetTcp(fixture('proc-net-tcp.txt'), 'IPv4');
    expect(sockets).toEqual([
      { address: '0.0.0.0', family: 'IPv4', port: 8000, inode: 41001, uid: 999 },
      { address: '127.0.0.1', family: 'IPv4', port: 6379, inode: 41002, uid: 0 },
      { address: '192.168.0.10', family: 'IPv4', port: 80, inode: 41006, uid: 33 },
    ]);
  });
  it('filters by local port, never by remote port', () => {
    expect(parseProcNetTcp(fixture('proc-net-tcp.txt'), 'IPv4', new Set([50000]))).toEqual([]);
    expect(parseProcNetTcp(fixture('proc-net-tcp.txt'), 'IPv4', new Set([8000])).map((s) => s.inode)).toEqual([41001]);
  });
  it('reads tcp6 with mapped and global addresses', () => {
    const sockets = parseProcNetTcp(fixture('proc-net-tcp6.txt'), 'IPv6');
    expect(sockets.map((s) => [s.address, s.port, s.inode])).toEqual([
      ['::', 8000, 42001],
      ['::1', 8000, 42002],
      ['127.0.0.1', 8001, 42003],
      ['2001:db8::1', 80, 42004],
    ]);
    expect(sockets.every((s) => s.family === 'IPv6')).toBe(true);
  });
});

describe('isDualStack', () => {
  const s = (address: string, family: 'IPv4' | 'IPv6', port = 8000): ListenSocket => ({ address, family, port, inode: 1, uid: 0 });
  it('is true for :: alone when bindv6only is 0, and with bindv6only 1 when the kernel was not asked (the safe side)', () => {
    const any6 = s('::', 'IPv6');
    expect(isDualStack(any6, [any6], false)).toBe(true);
    // A program may clear IPV6_V6ONLY whatever the default (Go's `:PORT` does): not known, so reachable over IPv4 too.
    expect(isDualStack(any6, [any6], true)).toBe(true);
  });
  it("takes the kernel's answer by inode where it was asked", () => {
    const any6 = s('::', 'IPv6');
    expect(isDualStack(any6, [any6], true, new Map([[1, false]]))).toBe(false);
    expect(isDualStack(any6, [any6], true, new Map([[1, true]]))).toBe(true);
    expect(isDualStack(any6, [any6], true, new Map([[2, false]]))).toBe(true);
    expect(isDualStack(any6, [any6], false, new Map([[1, false]]))).toBe(false);
    expect(() => isDualStack(any6, [any6], true, 'x' as never)).toThrow('isDualStack: kernel must be a Map of socket inode to dual-stack');
  });
  it('is false when an IPv4 socket (0.0.0.0, 127.0.0.1) of another uid listens on the same port, or for other addresses', () => {
    const any6 = s('::', 'IPv6');
    const other = (address: string, family: 'IPv4' | 'IPv6', port?: number) => ({ ...s(address, family, port), uid: 65534 });
    expect(isDualStack(any6, [any6, other('0.0.0.0', 'IPv4')], false)).toBe(false);
    expect(isDualStack(any6, [any6, other('0.0.0.0', 'IPv4', 8001)], false)).toBe(true);
    // Any IPv4 address on the port: a dual-stack :: covers 127.0.0.1 too, so the kernel would have refused one of the binds.
    expect(isDualStack(any6, [any6, other('127.0.0.1', 'IPv4')], false)).toBe(false);
    // An IPv4-mapped IPv6 socket (::ffff:127.0.0.1, shown as IPv4) alike.
    expect(isDualStack(any6, [any6, other('127.0.0.1', 'IPv6')], false)).toBe(false);
    expect(isDualStack(any6, [any6, s('::1', 'IPv6')], false)).toBe(true);
    expect(isDualStack(s('::1', 'IPv6'), [], false)).toBe(false);
    expect(isDualStack(s('0.0.0.0', 'IPv4'), [], false)).toBe(false);
  });
  it('is true beside an IPv4 socket of the same uid when the kernel was not asked: both may have set SO_REUSEPORT', () => {
    const any6 = s('::', 'IPv6');
    expect(isDualStack(any6, [any6, s('0.0.0.0', 'IPv4')], false)).toBe(true);
    expect(isDualStack(any6, [any6, s('127.0.0.1', 'IPv4')], false)).toBe(true);
    expect(isDualStack(any6, [any6, s('127.0.0.1', 'IPv4')], false, new Map([[any6.inode, false]]))).toBe(false);
  });
});

describe('parseStat', () => {
  it('handles a comm with spaces and parentheses', () => {
    const text = '4242 (a) b (c) S 4200 4242 4242 0 -1 4194304 100 0 1 0 0 0 0 0 20 0 1 0 93649 3133440 411 0';
    expect(parseStat(text)).toEqual({ pid: 4242, comm: 'a) b (c', state: 'S', ppid: 4200, flags: 4194304, startTime: 93649 });
  });
  it('rejects garbage', () => {
    expect(parseStat('nonsense')).toBeUndefined();
    expect(parseStat('1 (x) S 0')).toBeUndefined();
  });
  it('reads uids from status', () => {
    expect(parseStatusUids('Name:\tx\nUid:\t1000\t0\t0\t0\nGid:\t1\n')).toEqual({ real: 1000, effective: 0 });
  });
  it('parses passwd, first entry wins', () => {
    const map = parsePasswd('root:x:0:0::/root:/bin/sh\n# c\ntoor:x:0:0::/:/bin/sh\nnobody:x:65534:65534::/:/usr/sbin/nologin\n');
    expect(map.get(0)).toBe('root');
    expect(map.get(65534)).toBe('nobody');
  });
  it('parses passwd uids as plain decimal digits only: an empty field is no uid 0, 1e3 no 1000, 0x10 no 16', () => {
    const text = ['evil:x::0::/:/bin/sh', 'sci:x:1e3:0::/:/bin/sh', 'hex:x:0x10:0::/:/bin/sh', 'big:x:4294967295:0::/:/bin/sh'];
    const map = parsePasswd(
      [...text, 'root:x:0:0::/root:/bin/sh', 'alice:x:1000:1000::/:/bin/sh', 'dup:x:1000:1000::/:/bin/sh', 'lp:x:016:7::/:/bin/sh', ''].join('\n'),
    );
    expect([...map]).toEqual([
      [0, 'root'],
      [1000, 'alice'],
      [16, 'lp'],
    ]);
  });
});

describe('parseLsof', () => {
  it('parses output recorded on Linux (escaped command, *, IPv4, [::1])', () => {
    expect(parseLsof(fixture('lsof-linux.txt'))).toEqual([
      { command: 'my ser', pid: 8131, user: 'root', family: 'IPv6', address: '*', port: 45111 },
      { command: 'my ser', pid: 8131, user: 'root', family: 'IPv4', address: '127.0.0.1', port: 45112 },
      { command: 'my ser', pid: 8131, user: 'root', family: 'IPv6', address: '::1', port: 45112 },
    ]);
  });
  it('parses macOS output (hex device column)', () => {
    expect(parseLsof(fixture('lsof-macos.txt')).map((l) => [l.command, l.pid, l.user, l.address, l.port])).toEqual([
      ['node', 41234, 'alice', '*', 3000],
      ['Python', 41300, 'alice', '127.0.0.1', 8000],
    ]);
  });
  it('returns nothing for empty output', () => {
    expect(parseLsof('')).toEqual([]);
  });
});
