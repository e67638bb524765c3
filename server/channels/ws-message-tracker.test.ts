import { describe, expect, it } from 'vitest';
import { WsMessageTracker } from './ws-message-tracker.ts';

const hex = (s: string): Uint8Array => Uint8Array.from(s.replace(/\s+/g, '').match(/../g)!.map((b) => parseInt(b, 16)));

/** A client frame: FIN + opcode, mask bit with a 7-bit length (or 126 + u16 / 127 + u64), mask key, masked payload of `n` bytes. */
function frame(fin: boolean, opcode: number, n: number): Uint8Array {
  const len = n < 126 ? [0x80 | n] : n < 65536 ? [0x80 | 126, n >> 8, n & 0xff] : [0x80 | 127, 0, 0, 0, 0, (n >>> 24) & 0xff, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff];
  const header = [(fin ? 0x80 : 0) | opcode, ...len, 1, 2, 3, 4];
  const out = new Uint8Array(header.length + n);
  out.set(header);
  return out;
}

function tracker(): { t: WsMessageTracker; at: (ms: number) => void; push: (bytes: Uint8Array) => void } {
  let clock = 0;
  const t = new WsMessageTracker();
  return { t, at: (ms) => (clock = ms), push: (bytes) => t.push(bytes, () => clock) };
}

describe('WsMessageTracker', () => {
  it('is idle between whole messages, whatever their length encoding', () => {
    const { t, push } = tracker();
    // 82 85 01020304 + 5 masked bytes: a binary message of 5 bytes, FIN, masked.
    push(hex('82 85 01020304 0000000000'));
    expect(t.startedAt).toBeUndefined();
    push(frame(true, 2, 300)); // 16-bit length
    push(frame(true, 1, 70_000)); // 64-bit length
    push(frame(true, 2, 0));
    expect(t.startedAt).toBeUndefined();
  });

  it('starts at the first byte of a message and ends at its last, over any split', () => {
    const { t, at, push } = tracker();
    const bytes = frame(true, 2, 1000);
    at(10);
    push(bytes.subarray(0, 1)); // one header byte
    expect(t.startedAt).toBe(10);
    at(20);
    for (let i = 1; i < bytes.length - 1; i += 97) push(bytes.subarray(i, Math.min(i + 97, bytes.length - 1)));
    expect(t.startedAt).toBe(10);
    push(bytes.subarray(bytes.length - 1));
    expect(t.startedAt).toBeUndefined();
  });

  it('reads every message of one chunk, and a message starting at the end of a chunk', () => {
    const { t, at, push } = tracker();
    const a = frame(true, 2, 10);
    const b = frame(true, 2, 10);
    const chunk = new Uint8Array(a.length + 3);
    chunk.set(a);
    chunk.set(b.subarray(0, 3), a.length);
    at(5);
    push(chunk);
    expect(t.startedAt).toBe(5); // b began
    at(9);
    push(b.subarray(3));
    expect(t.startedAt).toBeUndefined();
  });

  it('keeps a fragmented message in progress across its fragments and interleaved control frames', () => {
    const { t, at, push } = tracker();
    at(1);
    push(frame(false, 2, 100)); // first fragment, no FIN
    expect(t.startedAt).toBe(1);
    at(2);
    push(frame(true, 0xa, 4)); // a pong between the fragments
    push(frame(true, 0x9, 0)); // a ping
    push(frame(false, 0, 100)); // continuation
    expect(t.startedAt).toBe(1);
    push(frame(true, 0, 1)); // last fragment
    expect(t.startedAt).toBeUndefined();
  });

  it('times a lone control frame that is trickled', () => {
    const { t, at, push } = tracker();
    const pong = frame(true, 0xa, 125);
    at(3);
    push(pong.subarray(0, 2));
    at(50);
    push(pong.subarray(2, 40));
    expect(t.startedAt).toBe(3);
    push(pong.subarray(40));
    expect(t.startedAt).toBeUndefined();
  });

  it('reads the clock only when a message starts', () => {
    let reads = 0;
    const t = new WsMessageTracker();
    const bytes = frame(true, 2, 5000);
    for (let i = 0; i < bytes.length; i += 100) t.push(bytes.subarray(i, i + 100), () => ++reads);
    expect(reads).toBe(1);
    expect(t.startedAt).toBeUndefined();
  });

  it('counts the bytes of the message in progress and what its frames declare (the memory budget)', () => {
    const { t, push } = tracker();
    const declared: number[] = [];
    t.onDataFrame = (bytes) => declared.push(bytes);
    const big = frame(false, 2, 100_000); // first fragment, 100,000 bytes declared
    push(big.subarray(0, 40_000));
    expect([t.inProgressBytes, t.declaredBytes]).toEqual([40_000, 100_000]);
    push(big.subarray(40_000));
    push(frame(true, 9, 4)); // a ping inside the message
    const last = frame(true, 0, 1000); // the continuation with FIN
    push(last.subarray(0, 500));
    expect(t.inProgressBytes).toBe(big.byteLength + frame(true, 9, 4).byteLength + 500);
    expect(declared).toEqual([100_000, 101_000]); // the ping declares nothing
    // The message ends, and the next begins, in one chunk: only the new one's bytes count.
    const next = frame(true, 2, 300);
    const chunk = new Uint8Array(last.byteLength - 500 + 100);
    chunk.set(last.subarray(500), 0);
    chunk.set(next.subarray(0, 100), last.byteLength - 500);
    push(chunk);
    expect([t.inProgressBytes, t.declaredBytes]).toEqual([100, 300]);
    expect(declared).toEqual([100_000, 101_000, 300]);
    push(next.subarray(100));
    expect([t.inProgressBytes, t.startedAt]).toEqual([0, undefined]);
  });
});
