import { describe, expect, it } from 'vitest';
import type { AckEntry } from '../../protocol/index.ts';
import { AckBatcher, isAckRefusal, type AckBatcherOptions } from './ack-batcher.ts';

/** A batcher on a hand-driven clock: `advance(ms)` runs the timers that fall due. */
function harness(options: Partial<AckBatcherOptions> = {}) {
  const sent: AckEntry[][] = [];
  let now = 0;
  let timers: { at: number; run: () => void; id: number }[] = [];
  let nextId = 1;
  let connected = true;
  const batcher = new AckBatcher({
    send: (frames) => {
      if (!connected) return false;
      sent.push(frames);
      return true;
    },
    setTimer: (run, ms) => {
      const id = nextId++;
      timers.push({ at: now + ms, run, id });
      return id;
    },
    clearTimer: (id) => {
      timers = timers.filter((t) => t.id !== id);
    },
    ...options,
  });
  const advance = (ms: number): void => {
    const end = now + ms;
    for (;;) {
      const due = timers.filter((t) => t.at <= end).sort((a, b) => a.at - b.at)[0];
      if (due === undefined) break;
      timers = timers.filter((t) => t !== due);
      now = due.at;
      due.run();
    }
    now = end;
  };
  return { batcher, sent, advance, timers: () => timers.length, disconnect: () => (connected = false) };
}

describe('AckBatcher', () => {
  describe('once on', () => {
    it('sends one ack per interval for all frames received in it, never one per frame', () => {
      const { batcher, sent, advance } = harness({ probationMs: 0 });
      for (let seq = 0; seq < 5; seq++) {
        batcher.record(7, seq, 1000 + seq * 10);
        advance(10);
      }
      // 5 frames in 50 ms → exactly one message with all five.
      expect(sent).toEqual([
        [
          [7, 0, 1000],
          [7, 1, 1010],
          [7, 2, 1020],
          [7, 3, 1030],
          [7, 4, 1040],
        ],
      ]);
      expect(batcher.messagesSent).toBe(1);
      expect(batcher.entriesSent).toBe(5);
    });

    it('keeps no timer while no frames arrive', () => {
      const { batcher, sent, advance, timers } = harness({ probationMs: 0 });
      batcher.record(1, 1, 5);
      advance(60);
      expect(sent).toHaveLength(1);
      expect(timers()).toBe(0);
      advance(1000);
      expect(sent).toHaveLength(1);
    });

    it('splits a flush into messages of at most maxEntries', () => {
      const { batcher, sent, advance } = harness({ probationMs: 0, maxEntries: 2 });
      for (let seq = 0; seq < 5; seq++) batcher.record(3, seq, seq);
      advance(50);
      expect(sent.map((m) => m.length)).toEqual([2, 2, 1]);
    });

    it('drops what it could not send while disconnected', () => {
      const { batcher, sent, advance, disconnect } = harness({ probationMs: 0 });
      disconnect();
      batcher.record(3, 1, 1);
      advance(50);
      expect(sent).toEqual([]);
      expect(batcher.entriesSent).toBe(0);
    });
  });

  describe('probation (a relay without feedback must not be flooded with refusals)', () => {
    it('sends one empty probe, holds acks, then sends what it held', () => {
      const { batcher, sent, advance } = harness({ probationMs: 1000 });
      expect(sent).toEqual([[]]);
      expect(batcher.state).toBe('probation');
      batcher.record(2, 1, 100);
      advance(500);
      expect(sent).toHaveLength(1);
      advance(500);
      expect(batcher.state).toBe('on');
      advance(50);
      expect(sent).toEqual([[], [[2, 1, 100]]]);
    });

    it('keeps only the newest probationEntries while holding', () => {
      const { batcher, sent, advance } = harness({ probationMs: 100, probationEntries: 2 });
      for (let seq = 0; seq < 5; seq++) batcher.record(2, seq, seq);
      advance(150);
      expect(sent[1]).toEqual([
        [2, 3, 3],
        [2, 4, 4],
      ]);
    });

    it('turns off for good when the relay refuses ack', () => {
      const { batcher, sent, advance, timers } = harness({ probationMs: 1000 });
      batcher.record(2, 1, 1);
      batcher.refused();
      advance(2000);
      batcher.record(2, 2, 2);
      advance(100);
      expect(batcher.state).toBe('off');
      expect(sent).toEqual([[]]);
      expect(timers()).toBe(0);
    });
  });

  it('close() stops the timers and is safe twice', () => {
    const { batcher, sent, advance, timers } = harness({ probationMs: 0 });
    batcher.record(1, 1, 1);
    batcher.close();
    batcher.close();
    advance(100);
    expect(sent).toEqual([]);
    expect(timers()).toBe(0);
  });

  it('rejects bad options with a TypeError', () => {
    expect(() => new AckBatcher({ send: () => true, intervalMs: 0 })).toThrow(/intervalMs must be a finite number > 0 \[intervalMs:0\]/);
    expect(() => new AckBatcher({ send: () => true, maxEntries: 0.5 })).toThrow(TypeError);
  });

  it('recognizes the relay refusing ack as an unknown type, and only that', () => {
    expect(isAckRefusal({ type: 'error', code: 'unknown-type', message: 'unknown control message type [type:ack]' })).toBe(true);
    expect(isAckRefusal({ type: 'error', code: 'unknown-type', message: 'unknown control message type [type:record]' })).toBe(false);
    expect(isAckRefusal({ type: 'error', code: 'bad-message', message: 'x [type:ack]' })).toBe(false);
  });
});
