/**
 * `RelayOptions.iceTransportPolicy` (`--ice-relay-only`): handed to every client in `welcome`,
 * and refused when it could never connect (relay-only without a TURN server).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { resolveOptions } from './options.ts';
import { startRelay, type Relay, type RelayOptions } from './relay.ts';
import { connectClient, type TestClient } from './test-client.ts';

const TURN_TCP = { urls: 'turn:127.0.0.1:3478?transport=tcp', username: 'fw', credential: 'secret' };

const relays: Relay[] = [];
const clients: TestClient[] = [];

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await Promise.all(relays.splice(0).map((r) => r.close()));
});

async function welcomeOf(options: RelayOptions): Promise<Record<string, unknown>> {
  const relay = await startRelay({ logLevel: 'silent', ...options });
  relays.push(relay);
  const client = await connectClient(relay.url, { room: 'r', name: 'ann', mode: 'webrtc' });
  clients.push(client);
  const welcome = client.control[0]!;
  expect(welcome.type).toBe('welcome');
  return welcome;
}

describe('iceTransportPolicy', () => {
  it("is 'relay' in welcome with the TURN servers when the relay is relay-only", async () => {
    const welcome = await welcomeOf({ iceServers: [{ urls: 'stun:127.0.0.1:3478' }, TURN_TCP], iceTransportPolicy: 'relay' });
    expect(welcome).toMatchObject({ iceTransportPolicy: 'relay', iceServers: [{ urls: 'stun:127.0.0.1:3478' }, TURN_TCP] });
  });

  it("is 'all' in welcome by default", async () => {
    expect((await welcomeOf({}))['iceTransportPolicy']).toBe('all');
    expect(resolveOptions({}).iceTransportPolicy).toBe('all');
  });

  it('refuses relay-only without a turn: or turns: server, and unknown policies', async () => {
    await expect(startRelay({ iceTransportPolicy: 'relay' })).rejects.toThrowError(
      new TypeError("relay option iceTransportPolicy 'relay' needs a turn: or turns: server in iceServers [iceServers:0]"),
    );
    expect(() => resolveOptions({ iceTransportPolicy: 'relay', iceServers: [{ urls: 'stun:a.example' }] })).toThrowError(/needs a turn: or turns: server in iceServers \[iceServers:1\]/);
    expect(() => resolveOptions({ iceTransportPolicy: 'tcp' as 'relay', iceServers: [TURN_TCP] })).toThrowError(
      new TypeError("relay option iceTransportPolicy must be 'all' or 'relay' [iceTransportPolicy:tcp]"),
    );
    expect(resolveOptions({ iceTransportPolicy: 'relay', iceServers: [{ urls: 'turns:t.example:5349', username: 'u', credential: 'p' }] }).iceTransportPolicy).toBe('relay');
  });

});
