// One address format in every report: an IPv4-mapped socket prints as IPv4.
import { describe, expect, it } from 'vitest';
import { exposure, formatListener, isLoopback } from '../src/address.js';
import { isLoopbackHost } from '../src/checks/references/finding.js';

describe('formatListener', () => {
  it.each([
    [{ address: '127.0.0.1', family: 6 as const, port: 8000, dualStack: false }, '127.0.0.1:8000'],
    [{ address: '::ffff:127.0.0.1', family: 6 as const, port: 8000, dualStack: false }, '127.0.0.1:8000'],
    [{ address: '::FFFF:10.0.0.5', family: 6 as const, port: 1, dualStack: false }, '10.0.0.5:1'],
    [{ address: '0:0:0:0:0:ffff:192.168.1.2', family: 6 as const, port: 2, dualStack: false }, '192.168.1.2:2'],
    [{ address: '::1', family: 6 as const, port: 8000, dualStack: false }, '[::1]:8000'],
    [{ address: '::', family: 6 as const, port: 8000, dualStack: true }, '[::]:8000 (IPv4+IPv6)'],
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

  it('reads a mapped address as the IPv4 address it is', () => {
    expect(isLoopback('::ffff:127.0.0.1')).toBe(true);
    expect(exposure({ address: '::ffff:10.0.0.5', family: 6, dualStack: false })).toBe('the interface with address 10.0.0.5');
  });
});
