// One address format in every report: an IPv4-mapped socket prints as IPv4.
import { BlockList, isIPv6 } from 'node:net';
import { describe, expect, it } from 'vitest';
import { exposure, formatListener, isLoopback, isLoopbackNetwork, isUnspecified } from '../src/address.js';
import { isLoopbackHost } from '../src/checks/references/finding.js';

describe('formatListener', () => {
  it.each([
    [{ address: '127.0.0.1', family: 6 as const, port: 8000, dualStack: false }, '127.0.0.1:8000'],
    [{ address: '::ffff:127.0.0.1', family: 6 as const, port: 8000, dualStack: false }, '127.0.0.1:8000'],
    [{ address: '::FFFF:10.0.0.5', family: 6 as const, port: 1, dualStack: false }, '10.0.0.5:1'],
    [{ address: '0:0:0:0:0:ffff:192.168.1.2', family: 6 as const, port: 2, dualStack: false }, '192.168.1.2:2'],
    [{ address: '::1', family: 6 as const, port: 8000, dualStack: false }, '[::1]:8000'],
    [{ address: '::', family: 6 as const, port: 8000, dualStack: true }, '[::]:8000 (IPv4+IPv6 unless v6only)'],
    [{ address: '0.0.0.0', family: 4 as const, port: 8000, dualStack: false }, '0.0.0.0:8000'],
  ])('%o -> %s', (listener, text) => {
    expect(formatListener(listener)).toBe(text);
  });

  it('knows loopback in every spelling of a socket or a config file, and not a host name that starts like one', () => {
    for (const address of [
      '127.0.0.1',
      '127.1.2.3',
      '::1',
      '[::1]',
      '::ffff:127.0.0.1',
      '::FFFF:127.0.0.2',
      '0:0:0:0:0:ffff:127.0.0.1',
      '[::ffff:127.0.0.1]',
    ]) {
      expect(isLoopback(address), address).toBe(true);
      expect(isLoopbackHost(address), address).toBe(true);
    }
    for (const address of ['127.0.0.1.example.net', '127.0.0.1x', '10.0.0.1', '::', '0.0.0.0', '::ffff:10.0.0.1', 'localhost'])
      expect(isLoopback(address), address).toBe(false);
    expect(isLoopbackHost('127.0.0.1.example.net')).toBe(false);
    expect(isLoopbackHost('LocalHost')).toBe(true);
  });

  it('says what the expression /^127\\.\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}$/ on the normalized address says, for every address made of these parts', () => {
    // isLoopback tests the parts by hand (the expression cost about 0.1 ms to compile at every start).
    const pieces = ['127', '.', '1', '12', '255', '1234', '0', '', 'a', '\u0663', ' ', '::ffff:', '::1', '[', ']', ':', '-'];
    const addresses: string[] = [];
    const loopback6 = new BlockList();
    loopback6.addAddress('::1', 'ipv6');
    loopback6.addSubnet('::ffff:127.0.0.0', 104, 'ipv6');
    for (const a of pieces)
      for (const b of pieces) for (const c of pieces) for (const d of ['.1', '.12', '.1.2', '']) addresses.push(`${a}${b}${c}${d}`, `127.${a}${b}${c}${d}`);
    const expected = (address: string) => {
      let bare = address.startsWith('[') ? address.slice(1) : address;
      if (bare.endsWith(']')) bare = bare.slice(0, -1);
      const mapped = /^(?:0{0,4}:){0,5}:?ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(bare);
      const normal = mapped ? mapped[1]! : bare.toLowerCase();
      // Any other spelling of ::1 or of a mapped 127/8 address, as node:net's BlockList reads it.
      const other = isIPv6(normal) && loopback6.check(normal, 'ipv6');
      return normal === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(normal) || other;
    };
    expect(addresses.filter((address) => isLoopback(address) !== expected(address))).toEqual([]);
    expect(addresses.filter((address) => isLoopback(address) && !/^\[?(::1|127\.)/.test(address)).length).toBeGreaterThan(0);
    expect(addresses.filter((address) => isLoopback(address)).length).toBeGreaterThan(50);
  });

  it('knows ::1 and a mapped 127/8 address in every legal IPv6 spelling, and the unspecified address in its', () => {
    for (const address of [
      '0:0:0:0:0:0:0:1',
      '[0::1]',
      '0000:0000:0000:0000:0000:0000:0000:0001',
      '::0:1',
      '::ffff:7f00:1',
      '[::FFFF:7F12:3456]',
      '0::ffff:127.0.0.9',
    ]) {
      expect(isLoopback(address), address).toBe(true);
      expect(isLoopbackHost(address), address).toBe(true);
    }
    for (const address of ['::2', '0::1:1', '1::1', '::ffff:8000:1', '::127.0.0.1', '0:0:0:0:0:0:0:0', '0::1::1', '0:0:0:0:0:0:0:0:1'])
      expect(isLoopback(address), address).toBe(false);
    for (const address of ['0.0.0.0', '::', '[::]', '0:0:0:0:0:0:0:0', '[0::]', '::0']) expect(isUnspecified(address), address).toBe(true);
    for (const address of ['::1', '0.0.0.1', '127.0.0.1', '0::0::0']) expect(isUnspecified(address), address).toBe(false);
  });

  it('holds a prefix to loopback only when every address it covers is: 127/8, ::1/128, ::ffff:127.0.0.0/104', () => {
    expect(isLoopbackNetwork('127.0.0.0', '8')).toBe(true);
    expect(isLoopbackNetwork('127.0.0.1', undefined)).toBe(true);
    expect(isLoopbackNetwork('127.0.0.0', '7')).toBe(false);
    expect(isLoopbackNetwork('0:0:0:0:0:0:0:1', '128')).toBe(true);
    expect(isLoopbackNetwork('::1', '127')).toBe(false);
    expect(isLoopbackNetwork('::ffff:127.0.0.1', '104')).toBe(true);
    // nginx masks a mapped address as IPv6: /8 of it is ::/8.
    expect(isLoopbackNetwork('::ffff:127.0.0.1', '8')).toBe(false);
    expect(isLoopbackNetwork('127.0.0.1', 'x')).toBe(false);
  });

  it('reads a mapped address as the IPv4 address it is', () => {
    expect(isLoopback('::ffff:127.0.0.1')).toBe(true);
    expect(exposure({ address: '::ffff:10.0.0.5', family: 6, dualStack: false })).toBe('the interface with address 10.0.0.5');
  });
});
