import { describe, expect, it } from 'vitest';
import {
  CloseCode,
  connectQuery,
  describeRefusal,
  isFatalClose,
  isMessage,
  parseConnectParams,
  jsonDeeperThan,
  MAX_JSON_DEPTH,
  parseControl,
  parseServerMessage,
  RelayError,
  routedRequestOf,
} from './index.ts';

describe('isFatalClose', () => {
  it.each([
    [CloseCode.policy, true],
    [CloseCode.invalidData, true],
    [4000, true],
    [4999, true],
    [CloseCode.normal, false],
    [CloseCode.goingAway, false],
    [1006, false],
    [CloseCode.internalError, false],
    [CloseCode.tryAgainLater, false],
    [5000, false],
  ])('close %i → fatal %s', (code, fatal) => {
    expect(isFatalClose(code)).toBe(fatal);
  });
});

describe('RelayError.toMessage', () => {
  it('carries the limit that was hit, so clients need not hard-code it', () => {
    expect(RelayError.roomFull('r', 3).toMessage()).toEqual({ type: 'error', code: 'room-full', message: 'room is full [room:r, max:3]', limit: 3 });
    expect(RelayError.serverFull(1000).toMessage().limit).toBe(1000);
    expect(RelayError.badSecret('r').toMessage()).toEqual({ type: 'error', code: 'bad-secret', message: 'wrong or missing secret for this room [room:r]' });
  });
});

describe('describeRefusal', () => {
  it('takes limits from the error, not from constants', () => {
    expect(describeRefusal({ code: 'room-full', limit: 3 })).toBe('This room is full (3 people).');
    expect(describeRefusal({ code: 'room-full', limit: 1 })).toBe('This room is full (1 person).');
    expect(describeRefusal({ code: 'room-full' })).toBe('This room is full.');
    expect(describeRefusal({ code: 'server-full', limit: 20 })).toContain('20 connections');
  });

  it('falls back to the relay message, then to the code', () => {
    expect(describeRefusal({ code: 'x-new', message: 'something new' })).toBe('something new');
    expect(describeRefusal({ code: 'x-new' })).toBe('The relay refused the connection (x-new).');
  });
});

describe('connectQuery', () => {
  it('round-trips through parseConnectParams', () => {
    const query = connectQuery({ room: 'team-1', name: "Jean-Luc O'Neil", mode: 'bgra', secret: 's&=?', resumable: true, resume: 'tok-1' });
    expect(parseConnectParams(new URLSearchParams(query))).toEqual({ room: 'team-1', name: "Jean-Luc O'Neil", mode: 'bgra', secret: 's&=?', resumable: true, resume: 'tok-1' });
  });

  it('leaves out an empty secret and an unset mode', () => {
    expect(connectQuery({ room: 'r', name: 'n', secret: '' })).toBe('room=r&name=n');
  });
});

describe('client messages', () => {
  it('checks routed messages', () => {
    expect(routedRequestOf({ type: 'invite', to: 3 })).toEqual({ type: 'invite', to: 3 });
    expect(routedRequestOf({ type: 'signal', to: 3, data: { sdp: 'x' } })).toEqual({ type: 'signal', to: 3, data: { sdp: 'x' } });
    expect(() => routedRequestOf({ type: 'signal', to: 3 })).toThrow(/"data" is required/);
    expect(() => routedRequestOf({ type: 'hangup', to: 0 })).toThrow(/"to" must be a peer id/);
  });

  it('parseControl refuses anything but an object with a type', () => {
    for (const text of ['', '[]', 'null', '{"type":""}', '{"type":3}', '{']) {
      expect(() => parseControl(text)).toThrow(expect.objectContaining({ code: 'bad-json' }) as Error);
    }
    expect(parseControl('{"type":"ping","t":1}')).toEqual({ type: 'ping', t: 1 });
  });

  it(`parseControl refuses nesting deeper than ${MAX_JSON_DEPTH} levels with bad-message, counting no bracket inside a string`, () => {
    const deep = (n: number) => `{"type":"signal","to":2,"data":${'['.repeat(n - 1)}${']'.repeat(n - 1)}}`;
    expect(parseControl(deep(MAX_JSON_DEPTH))).toMatchObject({ type: 'signal' });
    expect(() => parseControl(deep(MAX_JSON_DEPTH + 1))).toThrow(expect.objectContaining({ code: 'bad-message', message: expect.stringContaining('nested deeper') }) as Error);
    expect(() => parseControl(deep(20_000))).toThrow(expect.objectContaining({ code: 'bad-message' }) as Error);
    const brackets = `{"type":"chat","text":"${'[{'.repeat(100)} \\\" ${'[{'.repeat(100)}"}`;
    expect(parseControl(brackets)).toMatchObject({ type: 'chat' });
    expect(jsonDeeperThan('{"a":"\\"}', 1)).toBe(false);
  });
});

describe('parseServerMessage', () => {
  it('returns objects with a type, null otherwise', () => {
    const welcome = parseServerMessage('{"type":"welcome","peerId":4}');
    expect(welcome !== null && isMessage(welcome, 'welcome') ? welcome.peerId : null).toBe(4);
    expect(parseServerMessage('nope')).toBeNull();
    expect(parseServerMessage('[1]')).toBeNull();
    expect(parseServerMessage('{"type":7}')).toBeNull();
  });
});
