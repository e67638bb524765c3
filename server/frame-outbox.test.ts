import { describe, expect, it } from 'vitest';
import { FrameOutbox } from './frame-outbox.ts';

/** A socket stand-in whose writes complete only when the test says so (like a receiver that stopped reading). */
function slowSocket() {
  const writes: { bytes: Uint8Array; done: (error?: Error | null) => void }[] = [];
  return {
    writes,
    send: (bytes: Uint8Array, done: (error?: Error | null) => void) => {
      writes.push({ bytes, done });
      return false;
    },
    /** Completes the oldest unfinished write. */
    flushOne() {
      const w = writes.find((x) => !(x as { flushed?: boolean }).flushed) as { done: () => void; flushed?: boolean };
      w.flushed = true;
      w.done();
    },
  };
}

const f = (n: number): Uint8Array => new Uint8Array([n]);

describe('FrameOutbox', () => {
  describe('latest wins', () => {
    it('sends at once, keeps one pending frame per source, replaces it and counts the drop', () => {
      const socket = slowSocket();
      const dropped: number[] = [];
      const outbox = new FrameOutbox({ send: socket.send, onDrop: (_s, b) => dropped.push(b[0]!) });
      expect(outbox.push(1, f(1))).toBe('sent');
      expect(outbox.push(1, f(2))).toBe('queued');
      expect(outbox.push(1, f(3))).toBe('queued');
      expect(outbox.push(1, f(4))).toBe('queued');
      expect(socket.writes.map((w) => w.bytes[0])).toEqual([1]);
      expect(dropped).toEqual([2, 3]);
      expect(outbox.drops()).toEqual(new Map([[1, 2]]));
      expect(outbox.pendingCount).toBe(1);
      expect(outbox.inFlightCount).toBe(1);
      socket.flushOne();
      expect(socket.writes.map((w) => w.bytes[0])).toEqual([1, 4]);
      expect(outbox.pendingCount).toBe(0);
      socket.flushOne();
      expect(outbox.push(1, f(5))).toBe('sent');
      expect(outbox.dropsTotal).toBe(2);
    });

    it('keeps sources independent: a busy source does not hold back another', () => {
      const socket = slowSocket();
      const outbox = new FrameOutbox({ send: socket.send });
      outbox.push(1, f(1));
      outbox.push(1, f(2));
      expect(outbox.push(2, f(10))).toBe('sent');
      expect(outbox.push(2, f(11))).toBe('queued');
      expect(outbox.drops()).toEqual(new Map());
      expect(socket.writes.map((w) => w.bytes[0])).toEqual([1, 10]);
    });

    it('does not count frames the socket flushed synchronously as in flight', () => {
      const sent: number[] = [];
      const outbox = new FrameOutbox({
        send: (bytes) => {
          sent.push(bytes[0]!);
          return true;
        },
      });
      for (let i = 0; i < 5; i++) expect(outbox.push(1, f(i))).toBe('sent');
      expect(sent).toEqual([0, 1, 2, 3, 4]);
      expect(outbox.dropsTotal).toBe(0);
    });

    it('allows maxInFlight frames per source before queueing', () => {
      const socket = slowSocket();
      const outbox = new FrameOutbox({ send: socket.send, maxInFlight: 2 });
      expect([outbox.push(1, f(1)), outbox.push(1, f(2)), outbox.push(1, f(3))]).toEqual(['sent', 'sent', 'queued']);
      expect(() => new FrameOutbox({ send: socket.send, maxInFlight: 0 })).toThrow(TypeError);
    });
  });

  describe('closing', () => {
    it('forgets pending frames and refuses pushes after close (twice is fine)', () => {
      const socket = slowSocket();
      const outbox = new FrameOutbox({ send: socket.send });
      outbox.push(1, f(1));
      outbox.push(1, f(2));
      outbox.close();
      outbox.close();
      socket.flushOne();
      expect(socket.writes).toHaveLength(1);
      expect(outbox.push(1, f(3))).toBe('closed');
    });

    it('closes itself when a send fails', () => {
      const socket = slowSocket();
      const outbox = new FrameOutbox({ send: socket.send });
      outbox.push(1, f(1));
      outbox.push(1, f(2));
      socket.writes[0]!.done(new Error('socket closed'));
      expect(socket.writes).toHaveLength(1);
      expect(outbox.push(1, f(3))).toBe('closed');
    });

    it("forget() drops a source's pending frame without counting it", () => {
      const socket = slowSocket();
      const outbox = new FrameOutbox({ send: socket.send });
      outbox.push(7, f(1));
      outbox.push(7, f(2));
      outbox.forget(7);
      socket.flushOne();
      expect(socket.writes).toHaveLength(1);
      expect(outbox.dropsTotal).toBe(0);
    });
  });
});
