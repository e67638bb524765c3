import { describe, expect, it } from 'vitest';
import { isLoopbackHost, isWildcardHost, tlsPolicy } from './tls-policy.ts';

describe('tlsPolicy', () => {
  it.each([
    // host, options → policy
    ['127.0.0.1', {}, 'plain'],
    ['::1', {}, 'plain'],
    ['localhost', {}, 'plain'],
    ['0.0.0.0', {}, 'self-signed'],
    ['::', {}, 'self-signed'],
    ['192.168.1.20', {}, 'self-signed'],
    ['relay.example', {}, 'self-signed'],
    ['0.0.0.0', { noTls: true }, 'plain'],
    ['192.168.1.20', { noTls: true }, 'plain'],
  ] as const)('%s %j → %s', (host, options, expected) => {
    expect(tlsPolicy({ host, ...options })).toBe(expected);
  });

  it('uses a given certificate and key on any host, loopback included', () => {
    for (const host of ['127.0.0.1', '0.0.0.0', 'relay.example']) {
      expect(tlsPolicy({ host, certFile: 'c.pem', keyFile: 'k.pem' })).toEqual({ certFile: 'c.pem', keyFile: 'k.pem' });
    }
  });

  it.each([
    [{ certFile: 'c.pem' }, /TLS needs both a certificate and its key \[certFile:c\.pem, keyFile:undefined\]/],
    [{ keyFile: 'k.pem' }, /TLS needs both a certificate and its key/],
    [{ certFile: 'c.pem', keyFile: 'k.pem', noTls: true }, /noTls contradicts a certificate \[certFile:c\.pem\]/],
  ])('refuses %j', (options, message) => {
    expect(() => tlsPolicy({ host: '0.0.0.0', ...options })).toThrow(TypeError);
    expect(() => tlsPolicy({ host: '0.0.0.0', ...options })).toThrow(message);
  });
});

describe('isLoopbackHost', () => {
  it.each(['127.0.0.1', '127.1.2.3', '::1', '[::1]', '0:0:0:0:0:0:0:1', '::ffff:127.0.0.1', 'localhost', 'LOCALHOST', 'app.localhost'])('%s is loopback', (host) => {
    expect(isLoopbackHost(host)).toBe(true);
  });
  it.each(['0.0.0.0', '::', '', '10.0.0.1', '128.0.0.1', 'fe80::1', 'localhost.example', 'mylocalhost'])('%j is not', (host) => {
    expect(isLoopbackHost(host)).toBe(false);
  });
});

describe('isWildcardHost', () => {
  it('knows the any-address forms', () => {
    expect(['0.0.0.0', '::', '[::]', '', '0:0:0:0:0:0:0:0'].map(isWildcardHost)).toEqual([true, true, true, true, true]);
    expect(['127.0.0.1', '10.0.0.1', 'relay.example'].map(isWildcardHost)).toEqual([false, false, false]);
  });
});
