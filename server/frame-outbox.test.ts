import { describe, expect, it } from 'vitest';
import { FrameOutbox } from './frame-outbox.ts';

/** A socket stand-in whose writes complete only when the test says so (like a receiver that stopped reading). */
function slowSocket() {
  const writes: { bytes: Uint8Array; done: (error?: Error | null) => void }[] = [];
  return {
    writes,
    send: (bytes: Uint8Array, done: (error?: Error | null) => void) => {
      writes.push({ bytes, done });
      return 'in-flight' as const;
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
          return 'flushed';
        },
      });
      for (let i = 0; i < 5; i++) expect(outbox.push(1, f(i))).toBe('sent');
      expect(sent).toEqual([0, 1, 2, 3, 4]);
      expect(outbox.dropsTotal).toBe(0);
    });

    it('matches each late callback to its frame: those of frames flushed synchronously change nothing', () => {
      const calls: ((error?: Error | null) => void)[] = [];
      let next: 'flushed' | 'in-flight' = 'flushed';
      const outbox = new FrameOutbox({
        send: (_bytes, done) => {
          calls.push(done);
          return next;
        },
      });
      expect(outbox.push(1, f(1))).toBe('sent'); // flushed at once
      next = 'in-flight';
      expect(outbox.push(1, f(2))).toBe('sent'); // waits in the socket
      expect(outbox.push(1, f(3))).toBe('queued');
      expect(outbox.inFlightCount).toBe(1);
      calls[0]!(new Error('late error of a flushed frame')); // frame 1's callback: ignored, error included
      expect(outbox.inFlightCount).toBe(1);
      expect(outbox.push(1, f(4))).toBe('queued'); // still open; replaces 3
      calls[1]!(); // frame 2 flushed: the pending frame 4 goes out
      expect(calls).toHaveLength(3);
      expect(outbox.inFlightCount).toBe(1);
      expect(outbox.pendingCount).toBe(0);
      expect(outbox.dropsTotal).toBe(1);
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

    it('closes itself when the socket cannot take a frame', () => {
      const outbox = new FrameOutbox({ send: () => 'failed' });
      expect(outbox.push(1, f(1))).toBe('sent');
      expect(outbox.inFlightCount).toBe(0);
      expect(outbox.push(1, f(2))).toBe('closed');
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
