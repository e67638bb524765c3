import { describe, expect, it } from 'vitest';
import { AddressSet, clientAddress, formatIp, limitKey, normalizeIp, parseIp } from './client-address.ts';

describe('client-address', () => {
  describe('parseIp / normalizeIp', () => {
    it.each([
      ['1.2.3.4', '1.2.3.4'],
      ['  10.0.0.255 ', '10.0.0.255'],
      ['::ffff:1.2.3.4', '1.2.3.4'], // IPv4-mapped IPv6 (a dual-stack socket's IPv4 peer)
      ['::FFFF:7f00:1', '127.0.0.1'], // the same in hex groups
      ['::1', '::1'],
      ['::', '::'],
      ['2001:DB8:0:0:0:0:0:1', '2001:db8::1'],
      ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'], // the first of two equal zero runs
      ['2001:0db8:0000:0000:0001:0000:0000:0000', '2001:db8:0:0:1::'],
      ['fe80::1%eth0', 'fe80::1'], // zone dropped
      ['[2001:db8::2]', '2001:db8::2'],
      ['64:ff9b::192.0.2.1', '64:ff9b::c000:201'], // NAT64: an embedded IPv4 that is not IPv4-mapped
      ['1:2:3:4:5:6:7:8', '1:2:3:4:5:6:7:8'],
    ])('%s → %s', (input, expected) => {
      expect(normalizeIp(input)).toBe(expected);
    });

    it.each(['', 'localhost', '1.2.3', '1.2.3.4.5', '256.1.1.1', '01.2.3.4', '1.2.3.-4', '1::2::3', '1:2:3:4:5:6:7:8:9', '12345::', ':1::2', '1::2:', 'g::1', '::ffff:1.2.3.999'])(
      'refuses %j',
      (input) => {
        expect(parseIp(input)).toBeUndefined();
      },
    );

    it('keeps IPv4 as IPv4-mapped bytes, so one set holds both families', () => {
      expect([...parseIp('192.0.2.1')!]).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 192, 0, 2, 1]);
      expect(formatIp(parseIp('::ffff:192.0.2.1')!)).toBe('192.0.2.1');
    });
  });

  describe('AddressSet', () => {
    const set = AddressSet.parse(['10.0.0.0/8', '192.168.1.7', '2001:db8::/32', '::1', ' 172.16.0.0/12 ']);

    it('matches exact addresses and CIDR blocks, IPv4 entries also in IPv4-mapped form', () => {
      expect(set.has('10.255.0.1')).toBe(true);
      expect(set.has('::ffff:10.1.2.3')).toBe(true);
      expect(set.has('11.0.0.1')).toBe(false);
      expect(set.has('192.168.1.7')).toBe(true);
      expect(set.has('192.168.1.8')).toBe(false);
      expect(set.has('172.31.255.255')).toBe(true);
      expect(set.has('172.32.0.0')).toBe(false);
      expect(set.has('2001:db8:ffff::1')).toBe(true);
      expect(set.has('2001:db9::1')).toBe(false);
      expect(set.has('::1')).toBe(true);
      expect(set.has('::2')).toBe(false);
      expect(set.has('not an address')).toBe(false);
      expect(set.entries).toEqual(['10.0.0.0/8', '192.168.1.7', '2001:db8::/32', '::1', '172.16.0.0/12']);
    });

    it('matches prefixes that are not whole bytes', () => {
      const s = AddressSet.parse(['192.0.2.64/26', '2001:db8:8000::/33']);
      expect(s.has('192.0.2.64')).toBe(true);
      expect(s.has('192.0.2.127')).toBe(true);
      expect(s.has('192.0.2.128')).toBe(false);
      expect(s.has('192.0.2.63')).toBe(false);
      expect(s.has('2001:db8:8000::1')).toBe(true);
      expect(s.has('2001:db8:7fff::1')).toBe(false);
    });

    it.each(['10.0.0.0/33', '::/129', '10.0.0.0/x', '10.0.0.0/', 'proxy.example', '1.2.3.4/8/8'])('refuses %j with a TypeError naming it', (entry) => {
      expect(() => AddressSet.parse([entry])).toThrowError(new TypeError(`not an IP address or CIDR block [entry:${entry}]`));
    });

    it('is empty for [] and blank entries', () => {
      expect(AddressSet.parse(['', '  ']).size).toBe(0);
      expect(AddressSet.EMPTY.has('127.0.0.1')).toBe(false);
    });
  });

  describe('clientAddress', () => {
    const trusted = AddressSet.parse(['127.0.0.1', '10.0.0.0/8']);

    it('is the socket address when there is no proxy, canonical', () => {
      expect(clientAddress('::ffff:198.51.100.9', undefined, trusted)).toBe('198.51.100.9');
      expect(clientAddress(undefined, '1.2.3.4', trusted)).toBeUndefined();
      expect(clientAddress('garbage', '1.2.3.4', trusted)).toBeUndefined();
    });

    it('ignores X-Forwarded-For from an untrusted peer (spoofing)', () => {
      expect(clientAddress('198.51.100.9', '203.0.113.1', trusted)).toBe('198.51.100.9');
      expect(clientAddress('198.51.100.9', ['203.0.113.1', '127.0.0.1'], trusted)).toBe('198.51.100.9');
    });

    it('takes the right-most untrusted hop from a trusted peer', () => {
      expect(clientAddress('127.0.0.1', '203.0.113.1', trusted)).toBe('203.0.113.1');
      // The client wrote a fake first hop; the proxies appended what they saw.
      expect(clientAddress('127.0.0.1', '6.6.6.6, 203.0.113.1, 10.1.1.1', trusted)).toBe('203.0.113.1');
      // Several headers (Node joins them with ', '; an array is taken as well).
      expect(clientAddress('::ffff:127.0.0.1', ['6.6.6.6', '203.0.113.1, 10.1.1.1'], trusted)).toBe('203.0.113.1');
      expect(clientAddress('127.0.0.1', '2001:DB8::7', trusted)).toBe('2001:db8::7');
      expect(clientAddress('127.0.0.1', '::ffff:203.0.113.5', trusted)).toBe('203.0.113.5');
    });

    it('takes hops with ports and brackets', () => {
      expect(clientAddress('127.0.0.1', '203.0.113.1:5555', trusted)).toBe('203.0.113.1');
      expect(clientAddress('127.0.0.1', '[2001:db8::9]:443', trusted)).toBe('2001:db8::9');
    });

    it('is the left-most hop when every hop is trusted, and the last trusted one before garbage', () => {
      expect(clientAddress('127.0.0.1', '10.0.0.5, 10.0.0.6', trusted)).toBe('10.0.0.5');
      expect(clientAddress('127.0.0.1', 'unknown, 10.0.0.6', trusted)).toBe('10.0.0.6');
      expect(clientAddress('127.0.0.1', 'unknown', trusted)).toBe('127.0.0.1');
      expect(clientAddress('127.0.0.1', '', trusted)).toBe('127.0.0.1');
    });
  });

  describe('limitKey', () => {
    it('counts IPv4 per address and IPv6 per /64', () => {
      expect(limitKey('198.51.100.9')).toBe('198.51.100.9');
      expect(limitKey('::ffff:198.51.100.9')).toBe('198.51.100.9');
      expect(limitKey('2001:db8:1:2:aaaa::1')).toBe('2001:db8:1:2::/64');
      expect(limitKey('2001:db8:1:2:bbbb::2')).toBe('2001:db8:1:2::/64');
      expect(limitKey('2001:db8:1:3::1')).toBe('2001:db8:1:3::/64');
      expect(limitKey('nope')).toBeUndefined();
    });
  });
});
