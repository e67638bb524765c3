import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { RoutedRequest } from '../../protocol/index.ts';
import { CallsController, type CallNotice } from './calls.ts';

describe('CallsController', () => {
  let sent: RoutedRequest[];
  let connected: boolean;
  let calls: CallsController;
  let notices: [number, CallNotice][];

  beforeEach(() => {
    vi.useFakeTimers();
    sent = [];
    connected = true;
    notices = [];
    calls = new CallsController({ send: (m) => connected && (sent.push(m), true), ringMs: 1000 });
    calls.events.on('notice', (peerId, notice) => notices.push([peerId, notice]));
  });
  afterEach(() => {
    calls.close();
    vi.useRealTimers();
  });

  describe('outgoing', () => {
    it('invites, rings for ringMs, then withdraws with a hangup and says nobody answered', () => {
      const changes: unknown[] = [];
      calls.events.on('call', (peerId, state) => changes.push([peerId, state]));
      expect(calls.invite(3)).toBe(true);
      expect(sent).toEqual([{ type: 'invite', to: 3 }]);
      expect(calls.state(3)).toBe('calling');
      vi.advanceTimersByTime(999);
      expect(calls.state(3)).toBe('calling');
      vi.advanceTimersByTime(1);
      expect(sent.at(-1)).toEqual({ type: 'hangup', to: 3 });
      expect(calls.state(3)).toBeUndefined();
      expect(changes).toEqual([[3, 'calling'], [3, undefined]]);
      expect(notices).toEqual([[3, 'ringing'], [3, 'no-answer']]);
      expect(vi.getTimerCount()).toBe(0);
    });

    it('is in call when the peer accepts (the ring stops), and back to none on its decline', () => {
      calls.invite(3);
      calls.handle({ type: 'accept', from: 3 });
      expect(calls.state(3)).toBe('in-call');
      expect(vi.getTimerCount()).toBe(0);
      calls.invite(4);
      calls.handle({ type: 'decline', from: 4 });
      expect(calls.state(4)).toBeUndefined();
      expect(notices).toEqual([[3, 'ringing'], [3, 'accepted'], [4, 'ringing'], [4, 'declined']]);
      vi.advanceTimersByTime(5000);
      expect(sent.filter((m) => m.type === 'hangup')).toEqual([]);
    });

    it('ignores an accept it did not ask for', () => {
      expect(calls.handle({ type: 'accept', from: 9 })).toBe(true);
      expect(calls.state(9)).toBeUndefined();
      expect(notices).toEqual([]);
    });

    it('sends nothing and keeps no state when not connected', () => {
      connected = false;
      expect(calls.invite(3)).toBe(false);
      expect(calls.state(3)).toBeUndefined();
      expect(vi.getTimerCount()).toBe(0);
    });
  });

  describe('timers', () => {
    it('leave() hangs up every call and clears the ring timers', () => {
      calls.invite(3);
      calls.invite(4);
      calls.handle({ type: 'accept', from: 4 });
      sent.length = 0;
      calls.leave();
      expect(sent).toEqual([
        { type: 'hangup', to: 3 },
        { type: 'hangup', to: 4 },
      ]);
      expect(vi.getTimerCount()).toBe(0);
      vi.advanceTimersByTime(5000);
      expect(sent).toHaveLength(2);
      expect(notices.map(([, n]) => n)).not.toContain('no-answer');
    });

    it('a peer that leaves ends its call and its ring timer, without a message', () => {
      calls.invite(3);
      sent.length = 0;
      calls.peerLeft(3);
      expect(calls.state(3)).toBeUndefined();
      expect(vi.getTimerCount()).toBe(0);
      vi.advanceTimersByTime(5000);
      expect(sent).toEqual([]);
    });

    it('reset() (new session, teardown) and close() clear the timers without sending', () => {
      calls.invite(3);
      sent.length = 0;
      calls.reset();
      expect(vi.getTimerCount()).toBe(0);
      calls.invite(5);
      calls.close();
      calls.close();
      expect(vi.getTimerCount()).toBe(0);
      expect(sent).toEqual([{ type: 'invite', to: 5 }]);
    });
  });

  describe('incoming', () => {
    it('accept answers and puts us in the call; decline answers no', () => {
      const rung: number[] = [];
      calls.events.on('incoming', (peerId) => rung.push(peerId));
      calls.handle({ type: 'invite', from: 7 });
      calls.handle({ type: 'invite', from: 8 });
      expect(rung).toEqual([7, 8]);
      expect(calls.incoming()).toEqual([7, 8]);
      expect(calls.accept(7)).toBe(true);
      expect(calls.state(7)).toBe('in-call');
      expect(calls.decline(8)).toBe(true);
      expect(calls.state(8)).toBeUndefined();
      expect(sent).toEqual([
        { type: 'accept', to: 7 },
        { type: 'decline', to: 8 },
      ]);
      expect(calls.accept(8)).toBe(false);
    });

    it('the caller hanging up (or leaving) ends the ring', () => {
      const ended: number[] = [];
      calls.events.on('incomingEnded', (peerId) => ended.push(peerId));
      calls.handle({ type: 'invite', from: 7 });
      calls.handle({ type: 'hangup', from: 7 });
      calls.handle({ type: 'invite', from: 8 });
      calls.peerLeft(8);
      expect(ended).toEqual([7, 8]);
      expect(calls.incoming()).toEqual([]);
      expect(notices).toEqual([]);
    });

    it('says when the other side hangs up a call in progress', () => {
      calls.handle({ type: 'invite', from: 7 });
      calls.accept(7);
      calls.handle({ type: 'hangup', from: 7 });
      expect(calls.state(7)).toBeUndefined();
      expect(notices).toEqual([[7, 'hung-up']]);
    });
  });

  it('leaves other messages alone and rejects a bad ringMs', () => {
    expect(calls.handle({ type: 'chat', from: 1, name: 'a', text: 'x', ts: 0 })).toBe(false);
    expect(() => new CallsController({ send: () => true, ringMs: 0 })).toThrow(TypeError);
  });
});
