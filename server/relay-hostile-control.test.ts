/**
 * No client input produces an internal error: a signal nesting 20,000 levels deep (≈ 40 KB,
 * under the size limit) used to overflow the stack when the relay re-serialised it — the
 * sender was closed 1011 and the relay logged at error level, once per connection. Now it is
 * refused at parse time with `bad-message` (counted in the error budget), nothing is logged
 * at warn or error level, and the target never sees it.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from './logger.ts';
import { startRelay, type Relay } from './relay.ts';
import { connectClient, type TestClient } from './test-client.ts';

const relays: Relay[] = [];
const clients: TestClient[] = [];

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await Promise.all(relays.splice(0).map((r) => r.close()));
});

describe('relay: hostile control messages', () => {
  it('refuses deeply nested JSON with bad-message, logs nothing above info and keeps the connection', async () => {
    const lines: string[] = [];
    const relay = await startRelay({ logger: createLogger({ level: 'debug', write: (line) => lines.push(line) }) });
    relays.push(relay);
    const mallory = await connectClient(relay.url, { room: 'r', name: 'Mallory' });
    const target = await connectClient(relay.url, { room: 'r', name: 'Target' });
    clients.push(mallory, target);
    const depth = 20_000;
    for (const type of ['signal', 'invite']) {
      mallory.socket.send(`{"type":"${type}","to":${target.peerId},"data":${'['.repeat(depth)}${']'.repeat(depth)}}`);
      expect(await mallory.waitControl((m) => m.type === 'error' && mallory.control.filter((x) => x.type === 'error').length >= (type === 'signal' ? 1 : 2))).toMatchObject({ code: 'bad-message' });
    }
    mallory.send({ type: 'ping', t: 5 });
    expect(await mallory.waitControl((m) => m.type === 'pong')).toMatchObject({ t: 5 });
    expect(target.control.some((m) => m.type === 'signal' || m.type === 'invite')).toBe(false);
    const loud = lines.filter((line) => /"level":"(warn|error)"/.test(line));
    expect(loud, loud.join('\n')).toEqual([]);
  });
});
