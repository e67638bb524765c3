import { describe, expect, it } from 'vitest';
import { icePolicy, icePolicyProblem } from './ice-policy.ts';

const STUN = { urls: 'stun:stun.example.org:3478' };
const TURN_TCP = { urls: ['turn:turn.example.org:3478?transport=tcp'], username: 'u', credential: 'p' };

describe('ice policy', () => {
  describe('icePolicy', () => {
    it('is relay when the relay or the page asks for it, else all', () => {
      expect(icePolicy('relay', undefined)).toBe('relay');
      expect(icePolicy('all', 'relay')).toBe('relay');
      expect(icePolicy(undefined, 'relay')).toBe('relay');
      expect(icePolicy('all', 'all')).toBe('all');
      expect(icePolicy(undefined, undefined)).toBe('all');
    });
  });

  describe('icePolicyProblem', () => {
    it('refuses relay-only without a TURN server, saying what to do', () => {
      expect(icePolicyProblem('relay', [], 'page')).toBe(
        'WebRTC relay-only (ice=relay) needs a TURN server, but the relay gave no ICE servers: start the relay with --turn URL --turn-user U --turn-pass P (turn:HOST:PORT?transport=tcp or turns:HOST:PORT), or drop ice=relay.',
      );
      expect(icePolicyProblem('relay', [STUN], 'page')).toMatch(/^WebRTC relay-only \(ice=relay\) needs a TURN server, but the relay's 1 ICE server\(s\) are STUN only/);
      expect(icePolicyProblem('relay', [STUN], 'relay')).toBe(
        "WebRTC relay-only (asked by the relay) needs a TURN server, but the relay's 1 ICE server(s) are STUN only: start the relay with --turn URL --turn-user U --turn-pass P (turn:HOST:PORT?transport=tcp or turns:HOST:PORT).",
      );
    });

    it('accepts relay-only with a TURN server, and all with anything', () => {
      expect(icePolicyProblem('relay', [STUN, TURN_TCP], 'page')).toBeNull();
      expect(icePolicyProblem('all', [], 'relay')).toBeNull();
      expect(icePolicyProblem('all', [STUN], 'page')).toBeNull();
    });
  });
});
