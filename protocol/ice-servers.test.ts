import { describe, expect, it } from 'vitest';
import { hasTurnServer, IceServerError, iceUrlScheme, parseIceServers } from './ice-servers.ts';

describe('parseIceServers', () => {
  it('accepts STUN, TURN over UDP and TCP, and TURNS', () => {
    const servers = [
      { urls: 'stun:stun.example.org:3478' },
      { urls: ['turn:turn.example.org:3478?transport=udp', 'turn:turn.example.org:3478?transport=tcp'], username: 'u', credential: 'p' },
      { urls: 'turns:turn.example.org:5349', username: 'u', credential: 'p', extra: 'dropped' },
    ];
    expect(parseIceServers(servers)).toEqual([servers[0], servers[1], { urls: 'turns:turn.example.org:5349', username: 'u', credential: 'p' }]);
    expect(iceUrlScheme('turns:turn.example.org:5349')).toBe('turns');
  });

  it('treats a missing list as no servers', () => {
    expect(parseIceServers(undefined)).toEqual([]);
    expect(parseIceServers(null)).toEqual([]);
  });

  it('rejects TURN without credentials, unknown schemes and malformed entries', () => {
    expect(() => parseIceServers([{ urls: 'turn:t.example.org' }])).toThrowError('bad ICE server: entry 0: turn/turns urls need username and credential');
    expect(() => parseIceServers([{ urls: 'http://x' }])).toThrowError(IceServerError);
    expect(() => parseIceServers([{ urls: 'stun:x?transport=tcp' }])).toThrowError('stun urls take no transport');
    expect(() => parseIceServers([{ urls: [] }])).toThrowError('needs urls');
    expect(() => parseIceServers({})).toThrowError('iceServers must be an array');
    try {
      parseIceServers([1]);
    } catch (error) {
      expect((error as IceServerError).code).toBe('bad-ice-server');
    }
  });
});

describe('hasTurnServer', () => {
  const STUN = { urls: 'stun:stun.example.org:3478' };
  it('finds turn: and turns: URLs, in a string or a list', () => {
    expect(hasTurnServer([STUN, { urls: ['turn:turn.example.org:3478?transport=tcp'], username: 'u', credential: 'p' }])).toBe(true);
    expect(hasTurnServer([{ urls: 'turns:turn.example.org:5349', username: 'u', credential: 'p' }])).toBe(true);
    expect(hasTurnServer([{ urls: ['stun:a.example', 'turn:b.example'], username: 'u', credential: 'p' }])).toBe(true);
  });

  it('is false for STUN only and for none', () => {
    expect(hasTurnServer([STUN])).toBe(false);
    expect(hasTurnServer([])).toBe(false);
  });
});
