import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { startBaselineRelay, type BaselineRelay } from './relay-baseline.ts';

function connect(relay: BaselineRelay, room: string): Promise<WebSocket> {
  const ws = new WebSocket(`${relay.url.replace('http', 'ws')}/ws?room=${room}&name=x`);
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

/** Collects binary messages of `ws`. */
function inbox(ws: WebSocket): Buffer[] {
  const got: Buffer[] = [];
  ws.on('message', (data, isBinary) => {
    if (isBinary) got.push(data as Buffer);
  });
  return got;
}

describe('startBaselineRelay', () => {
  let relay: BaselineRelay | undefined;
  const sockets: WebSocket[] = [];
  afterEach(async () => {
    for (const ws of sockets.splice(0)) ws.terminate();
    await relay?.close();
    relay = undefined;
  });

  describe('forwarding', () => {
    it('sends each binary message to the other sockets of the same room only', async () => {
      relay = await startBaselineRelay();
      const [a, b, c, d] = await Promise.all([connect(relay, 'one'), connect(relay, 'one'), connect(relay, 'one'), connect(relay, 'two')]);
      sockets.push(a!, b!, c!, d!);
      const [gotA, gotB, gotC, gotD] = [inbox(a!), inbox(b!), inbox(c!), inbox(d!)];
      a!.send(Buffer.from([1, 2, 3]));
      a!.send('text is not forwarded');
      d!.send(Buffer.from([9]));
      await expect.poll(() => gotB.length + gotC.length).toBe(2);
      await new Promise((r) => setTimeout(r, 50));
      expect([...gotB[0]!]).toEqual([1, 2, 3]);
      expect([...gotC[0]!]).toEqual([1, 2, 3]);
      expect(gotA).toEqual([]); // never back to the sender
      expect(gotD).toEqual([]); // room two has nobody else
      expect(relay.stats).toMatchObject({ connections: 4, framesIn: 2, framesOut: 2, bytesIn: 4, bytesOut: 6, drops: 0 });
    });
  });

  describe('close()', () => {
    it('closes every socket and is safe to call twice', async () => {
      relay = await startBaselineRelay();
      const ws = await connect(relay, 'r');
      sockets.push(ws);
      const closed = new Promise<void>((resolve) => ws.once('close', () => resolve()));
      await Promise.all([relay.close(), relay.close()]);
      await closed;
      expect(ws.readyState).toBe(WebSocket.CLOSED);
    });
  });
});
