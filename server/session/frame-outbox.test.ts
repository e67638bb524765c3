import { describe, expect, it } from 'vitest';
import { Codec } from '../../codec/index.ts';
import { DEFAULT_AUDIO_QUEUE_FRAMES, FrameOutbox, streamKindOf } from './frame-outbox.ts';

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
      expect(outbox.audioDrops()).toEqual(new Map());
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

  it('counts the bytes it holds: waiting, and handed to the channel but not flushed', () => {
    const socket = slowSocket();
    const outbox = new FrameOutbox({ send: socket.send });
    const big = new Uint8Array(1000);
    outbox.push(1, big); // in flight
    outbox.push(1, new Uint8Array(300)); // waits
    outbox.push(1, new Uint8Array(200)); // replaces it
    outbox.push(2, new Uint8Array(50), 'audio'); // in flight (its own stream)
    expect([outbox.waitingBytes, outbox.frameBytesInFlight]).toEqual([200, 1050]);
    socket.flushOne(); // the 1000 bytes: the waiting 200 go out
    expect([outbox.waitingBytes, outbox.frameBytesInFlight]).toEqual([0, 250]);
    outbox.push(1, new Uint8Array(70));
    outbox.forget(1);
    expect(outbox.waitingBytes).toBe(0);
  });

  describe('audio: short FIFO', () => {
    it('queues audio in order up to audioQueueFrames and sends it all, oldest first, without drops', () => {
      const socket = slowSocket();
      const outbox = new FrameOutbox({ send: socket.send, audioQueueFrames: 4 });
      expect(outbox.push(1, f(1), 'audio')).toBe('sent');
      for (let n = 2; n <= 5; n++) expect(outbox.push(1, f(n), 'audio')).toBe('queued');
      expect(outbox.pendingCount).toBe(4);
      expect(outbox.dropsTotal).toBe(0);
      for (let n = 0; n < 5; n++) socket.flushOne();
      expect(socket.writes.map((w) => w.bytes[0])).toEqual([1, 2, 3, 4, 5]);
      expect(outbox.pendingCount).toBe(0);
    });

    it('on overflow drops the OLDEST waiting audio frame and counts it', () => {
      const socket = slowSocket();
      const dropped: number[] = [];
      const outbox = new FrameOutbox({ send: socket.send, audioQueueFrames: 3, onDrop: (_s, b) => dropped.push(b[0]!) });
      outbox.push(1, f(1), 'audio'); // in flight
      for (let n = 2; n <= 6; n++) outbox.push(1, f(n), 'audio'); // 2..4 fill the queue; 5 evicts 2, 6 evicts 3
      expect(dropped).toEqual([2, 3]);
      expect(outbox.drops()).toEqual(new Map([[1, 2]]));
      expect(outbox.audioDrops()).toEqual(new Map([[1, 2]]));
      for (let n = 0; n < 4; n++) socket.flushOne();
      expect(socket.writes.map((w) => w.bytes[0])).toEqual([1, 4, 5, 6]);
    });

    it(`defaults to ${DEFAULT_AUDIO_QUEUE_FRAMES} waiting frames and rejects a bad size`, () => {
      const socket = slowSocket();
      const outbox = new FrameOutbox({ send: socket.send });
      outbox.push(1, f(0), 'audio');
      for (let n = 1; n <= DEFAULT_AUDIO_QUEUE_FRAMES; n++) outbox.push(1, f(n), 'audio');
      expect(outbox.dropsTotal).toBe(0);
      outbox.push(1, f(99), 'audio');
      expect(outbox.dropsTotal).toBe(1);
      expect(() => new FrameOutbox({ send: socket.send, audioQueueFrames: 0 })).toThrow(TypeError);
    });
  });

  describe('stream kinds', () => {
    it('never lets one kind evict another: video latest-wins leaves audio alone, a full audio queue leaves video alone', () => {
      const socket = slowSocket();
      const dropped: string[] = [];
      const outbox = new FrameOutbox({ send: socket.send, audioQueueFrames: 2, onDrop: (_s, b) => dropped.push(String(b[0])) });
      outbox.push(1, f(10), 'video');
      outbox.push(1, f(20), 'audio');
      outbox.push(1, f(11), 'video'); // waiting video
      outbox.push(1, f(21), 'audio');
      outbox.push(1, f(22), 'audio'); // audio queue full (2)
      outbox.push(1, f(12), 'video'); // replaces 11 (video), audio untouched
      outbox.push(1, f(23), 'audio'); // evicts 21 (audio), video untouched
      expect(dropped).toEqual(['11', '21']);
      expect(outbox.pendingCount).toBe(3); // video 12, audio 22 23
      expect(outbox.inFlightCount).toBe(2); // video 10, audio 20
      for (let n = 0; n < 5; n++) socket.flushOne();
      expect(socket.writes.map((w) => w.bytes[0])).toEqual([10, 20, 12, 22, 23]);
    });

    it('forget() clears every kind of a source', () => {
      const socket = slowSocket();
      const outbox = new FrameOutbox({ send: socket.send });
      outbox.push(3, f(1), 'video');
      outbox.push(3, f(2), 'video');
      outbox.push(3, f(3), 'audio');
      outbox.push(3, f(4), 'audio');
      outbox.forget(3);
      expect(outbox.pendingCount).toBe(0);
      expect(outbox.dropsTotal).toBe(0);
    });

    it('maps opus and pcm to audio, every other codec to video', () => {
      expect([Codec.opus, Codec.pcm].map(streamKindOf)).toEqual(['audio', 'audio']);
      expect([Codec.jpeg, Codec.bgra, Codec.rgba, Codec.vp8, Codec.h264, 0, 200].map(streamKindOf)).toEqual(Array(7).fill('video'));
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
