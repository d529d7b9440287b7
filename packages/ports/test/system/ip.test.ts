// The address arithmetic, held against Node's own parser (node:net, which the
// bins do not load at start-up).
import { BlockList, isIP } from 'node:net';
import { describe, expect, it } from 'vitest';
import { addressBits } from '../../src/system/ip.js';

describe('addressBits', () => {
  it('reads IPv4 and IPv6 (compressed, full, with an embedded IPv4) as Node does, and refuses what Node refuses', () => {
    const samples = [
      '0.0.0.0',
      '10.1.2.3',
      '255.255.255.255',
      '203.0.113.7',
      '::',
      '::1',
      '2001:db8::7',
      'fe80::1:2',
      'fd00::',
      '1:2:3:4:5:6:7:8',
      '::ffff:10.1.2.3',
      '64:ff9b::192.0.2.1',
      '1::8',
      '1:2:3:4:5:6::',
    ];
    const wrong = ['256.1.1.1', '1.2.3', '01.2.3.4', '1::2::3', '1:2:3:4:5:6:7:8:9', '12345::', 'lo', '', '1.2.3.4::', ':::', '1:2:3:4:5:6:7::8:9'];
    for (const text of [...samples, ...wrong]) expect(addressBits(text) !== undefined, text).toBe(isIP(text) !== 0);
    for (const text of samples) {
      // Each address is in its own /bits subnet and not in the next one: the same number as Node's.
      const bits = addressBits(text)!;
      const list = new BlockList();
      list.addSubnet(text, bits.bits, bits.family === 4 ? 'ipv4' : 'ipv6');
      expect(list.check(text, bits.family === 4 ? 'ipv4' : 'ipv6'), text).toBe(true);
    }
    expect(addressBits('10.0.0.1')!.value).toBe(0x0a000001n);
    expect(addressBits('::ffff:10.0.0.1')!.value).toBe(0xffff0a000001n);
    expect(addressBits('2001:db8::7')!.value).toBe((0x20010db8n << 96n) | 7n);
  });
});
