import { describe, expect, it, vi } from 'vitest';
import { createMemoryChannelPair, type MemoryChannel } from '../channels/memory-channel.ts';
import type { ChannelReceiver } from '../channels/peer-channel.ts';
import { ResumableChannel } from './resumable-channel.ts';

/** What the core (the receiver of the resumable channel) hears. */
function core(): ChannelReceiver & { frames: number[]; closes: [number, string][] } {
  const heard = { frames: [] as number[], closes: [] as [number, string][] };
  return { ...heard, onFrame: (b) => heard.frames.push(b[0]!), onControl: () => undefined, onClose: (code, reason) => heard.closes.push([code, reason]) };
}

/** A relay-side channel and the client end that reads it. */
function connection(): { relaySide: MemoryChannel; client: MemoryChannel; got: number[] } {
  const [relaySide, client] = createMemoryChannelPair();
  const got: number[] = [];
  client.receive({ onFrame: (b) => got.push(b[0]!), onControl: () => undefined, onClose: () => undefined });
  return { relaySide, client, got };
}

const flush = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('ResumableChannel', () => {
  it('settles frames in flight on the replaced connection as sent, once, and ignores that connection afterwards', async () => {
    const a = connection();
    const channel = new ResumableChannel(a.relaySide, { graceMs: 0 });
    const heard = core();
    channel.receive(heard);
    a.client.pause();
    const done = vi.fn();
    expect(channel.sendFrame(Uint8Array.of(1), done)).toBe('in-flight');
    expect(channel.sendFrame(Uint8Array.of(2), done)).toBe('in-flight');
    const b = connection();
    expect(channel.swap(b.relaySide)).toBe(true);
    expect(done.mock.calls).toEqual([[null], [null]]);
    a.client.resume();
    await flush();
    expect(done).toHaveBeenCalledTimes(2); // the old connection's late callbacks are ignored
    a.client.sendFrame(Uint8Array.of(9), () => undefined); // nor are its messages heard
    b.client.sendFrame(Uint8Array.of(7), () => undefined);
    channel.sendFrame(Uint8Array.of(3), done);
    await flush();
    expect(heard.frames).toEqual([7]);
    expect(b.got).toEqual([3]);
    expect(done).toHaveBeenCalledTimes(3);
    expect(heard.closes).toEqual([]); // the old connection's close (1000 'resumed') is not the peer's
  });

  it('holds a lost connection for the grace period: frames dropped as flushed, then the close', async () => {
    vi.useFakeTimers();
    try {
      const a = connection();
      const channel = new ResumableChannel(a.relaySide, { graceMs: 1000 });
      const heard = core();
      channel.receive(heard);
      a.client.terminate();
      expect(channel.detached).toBe(true);
      expect(channel.isOpen).toBe(false);
      expect(channel.sendFrame(Uint8Array.of(1), () => undefined)).toBe('flushed');
      expect(channel.sendControl('{}')).toBe(false);
      vi.advanceTimersByTime(999);
      expect(heard.closes).toEqual([]);
      vi.advanceTimersByTime(1);
      expect(heard.closes).toEqual([[1006, '']]);
      expect(channel.swap(connection().relaySide)).toBe(false);
    } finally {
      vi.useRealTimers();
    }
  });

  it('gives no grace to a clean close or to a close the core asked for', async () => {
    const a = connection();
    const clean = new ResumableChannel(a.relaySide, { graceMs: 1000 });
    const heard = core();
    clean.receive(heard);
    a.client.close(1000, 'leave');
    await flush();
    expect(heard.closes).toEqual([[1000, 'leave']]);
    // As the core does to a slow consumer: 1006, but asked for.
    const b = connection();
    const asked = new ResumableChannel(b.relaySide, { graceMs: 1000 });
    const heardB = core();
    asked.receive(heardB);
    asked.terminate();
    expect(heardB.closes).toEqual([[1006, '']]);
  });
});
