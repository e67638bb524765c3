import { afterEach, describe, expect, it } from 'vitest';
import { Codec, encodeFrame } from '../../codec/index.ts';
import { startRelay, type Relay } from '../relay.ts';
import { waitFor } from '../test-client.ts';
import { createMemoryChannelPair, type MemoryChannel } from './memory-channel.ts';

/** Records what one end receives. */
function record(channel: MemoryChannel) {
  const got = { frames: [] as Uint8Array[], texts: [] as string[], closed: undefined as { code: number; reason: string } | undefined };
  const decoder = new TextDecoder();
  channel.receive({
    onFrame: (bytes) => got.frames.push(bytes),
    onControl: (utf8) => got.texts.push(decoder.decode(utf8)),
    onClose: (code, reason) => (got.closed = { code, reason }),
  });
  return got;
}

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('MemoryChannel', () => {
  describe('delivery', () => {
    it('delivers copies, in send order, on a later turn; a frame is in flight until delivered', async () => {
      const [a, b] = createMemoryChannelPair();
      const got = record(b);
      const bytes = new Uint8Array([1, 2, 3]);
      const flushed: number[] = [];
      expect(a.sendFrame(bytes, () => flushed.push(1))).toBe('in-flight');
      expect(a.sendControl('{"type":"x"}')).toBe(true);
      expect(a.bufferedAmount).toBe(3 + 12);
      bytes[0] = 9; // the sender reuses its buffer
      expect(got.frames).toHaveLength(0);
      await tick();
      expect(got.frames).toEqual([new Uint8Array([1, 2, 3])]);
      expect(got.texts).toEqual(['{"type":"x"}']);
      expect(flushed).toEqual([1]);
      expect(a.bufferedAmount).toBe(0);
    });

    it('holds deliveries while the receiving end is paused', async () => {
      const [a, b] = createMemoryChannelPair();
      const got = record(b);
      b.pause();
      a.sendFrame(new Uint8Array(10), () => undefined);
      await tick();
      expect(got.frames).toHaveLength(0);
      expect(a.bufferedAmount).toBe(10);
      b.resume();
      await tick();
      expect(got.frames).toHaveLength(1);
    });
  });

  describe('closing', () => {
    it('closes both ends with the code and reason after the data already sent; sends then fail', async () => {
      const [a, b] = createMemoryChannelPair();
      const gotA = record(a);
      const gotB = record(b);
      a.sendControl('last');
      a.close(4000, 'done');
      a.close(4001, 'twice is a no-op');
      expect(a.isOpen).toBe(false);
      expect(a.sendControl('late')).toBe(false);
      expect(a.sendFrame(new Uint8Array(1), () => undefined)).toBe('failed');
      await tick();
      expect(gotB.texts).toEqual(['last']);
      expect(gotB.closed).toEqual({ code: 4000, reason: 'done' });
      expect(gotA.closed).toEqual({ code: 4000, reason: 'done' });
    });

    it('terminate() closes both ends at once with 1006 and fails frames not yet delivered', () => {
      const [a, b] = createMemoryChannelPair();
      const gotB = record(b);
      const errors: unknown[] = [];
      a.sendFrame(new Uint8Array(1), (error) => errors.push(error));
      a.terminate();
      expect(gotB.closed).toEqual({ code: 1006, reason: '' });
      expect(errors).toHaveLength(1);
      expect(errors[0]).toBeInstanceOf(Error);
    });
  });

  describe('behind the relay', () => {
    const relays: Relay[] = [];
    afterEach(async () => {
      await Promise.all(relays.splice(0).map((r) => r.close()));
    });

    it('a paused memory receiver gets latest-wins backpressure: frames dropped and counted, none lost for the live one', async () => {
      const relay = await startRelay({ logLevel: 'silent' });
      relays.push(relay);
      const join = (name: string) => {
        const [relayEnd, clientEnd] = createMemoryChannelPair();
        const got = record(clientEnd);
        relay.accept(relayEnd, new URLSearchParams({ room: 'bp', name }));
        return { clientEnd, got };
      };
      const sender = join('S');
      const paused = join('P');
      const live = join('L');
      await waitFor(() => live.got.texts.some((t) => t.includes('"welcome"')) && relay.peers('bp').length === 3);
      paused.clientEnd.pause();
      const payload = new Uint8Array([0xff, 0xd8, 1, 2]);
      for (let seq = 1; seq <= 20; seq++) {
        sender.clientEnd.sendFrame(encodeFrame({ codec: Codec.jpeg, width: 2, height: 2, payload, seq, captureTime: seq }), () => undefined);
        await waitFor(() => live.got.frames.length === seq);
      }
      const pausedId = relay.peers('bp')[1]!.id;
      expect(relay.queuedFrames(pausedId)).toBe(2); // one in flight, one waiting
      expect(relay.drops(pausedId).get(relay.peers('bp')[0]!.id)).toBe(18);
      paused.clientEnd.resume();
      await waitFor(() => paused.got.frames.length === 2);
      expect(relay.stats.drops).toBe(18);
    });

    it('refuses like over ws: an error message carrying its limit, then a policy close', async () => {
      const relay = await startRelay({ logLevel: 'silent', maxPeersPerRoom: 1 });
      relays.push(relay);
      const [first] = createMemoryChannelPair();
      relay.accept(first, new URLSearchParams({ room: 'full', name: 'A' }));
      const [relayEnd, clientEnd] = createMemoryChannelPair();
      const got = record(clientEnd);
      relay.accept(relayEnd, new URLSearchParams({ room: 'full', name: 'B' }));
      await waitFor(() => got.closed !== undefined);
      expect(got.texts.map((t) => JSON.parse(t) as unknown)).toEqual([
        { type: 'error', code: 'room-full', message: 'room is full [room:full, max:1]', limit: 1 },
      ]);
      expect(got.closed).toEqual({ code: 1008, reason: 'room-full' });
    });
  });
});
