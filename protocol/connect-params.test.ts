import { describe, expect, it } from 'vitest';
import { parseConnectParams } from './connect-params.ts';
import { RelayError } from './relay-error.ts';

const q = (s: string): URLSearchParams => new URLSearchParams(s);

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    return error instanceof RelayError ? error.code : 'not-a-RelayError';
  }
  return undefined;
}

describe('parseConnectParams', () => {
  it('accepts a valid request and defaults the mode', () => {
    expect(parseConnectParams(q('room=team-1&name=Alice'))).toEqual({ room: 'team-1', name: 'Alice', mode: 'jpeg', secret: undefined, resumable: false, resume: undefined });
    expect(parseConnectParams(q('room=r&name=n&resumable=1&resume=abc'))).toMatchObject({ resumable: true, resume: 'abc' });
    expect(parseConnectParams(q(`room=r&name=n&resume=${'x'.repeat(129)}`)).resume).toBeUndefined();
    expect(parseConnectParams(q(`room=r&name=n&resumable=yes`)).resumable).toBe(false);
    expect(parseConnectParams(q('room=r&name=Jean-Luc%20O%27Neil&mode=webrtc&secret=x'))).toEqual({ room: 'r', name: "Jean-Luc O'Neil", mode: 'webrtc', secret: 'x', resumable: false, resume: undefined });
    expect(parseConnectParams(q('room=r&name=%E7%8E%8B%E5%B0%8F%E6%98%8E')).name).toBe('王小明');
  });

  it.each([
    ['name=a', 'bad-room'],
    ['room=a/b&name=a', 'bad-room'],
    ['room=a', 'bad-name'],
    ['room=a&name=%00x', 'bad-name'],
    ['room=a&name=a%0Ab', 'bad-name'],
    ['room=a&name=a&mode=JPEG', 'bad-mode'],
    [`room=a&name=a&secret=${'s'.repeat(257)}`, 'bad-secret'],
  ])('refuses %s with %s', (query, code) => {
    expect(codeOf(() => parseConnectParams(q(query)))).toBe(code);
  });
});

