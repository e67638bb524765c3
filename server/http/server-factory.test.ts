import { createServer as createHttpServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { afterEach, describe, expect, it } from 'vitest';
import { startRelay, type Relay } from '../relay.ts';
import { createPlainServer, schemeOf, type RequestHandler } from './server-factory.ts';

const relays: Relay[] = [];
afterEach(async () => {
  await Promise.all(relays.splice(0).map((r) => r.close()));
});

describe('server factory', () => {
  it('builds the relay server with RelayOptions.createServer, given the relay request handler', async () => {
    const handlers: RequestHandler[] = [];
    const relay = await startRelay({
      logLevel: 'silent',
      createServer: (handler) => {
        handlers.push(handler);
        return createHttpServer(handler);
      },
    });
    relays.push(relay);
    expect(handlers).toHaveLength(1);
    const res = await fetch(`${relay.url}/healthz`);
    expect(res.status).toBe(200);
    expect(((await res.json()) as { status: string }).status).toBe('ok');
  });

  it('tells plain from TLS servers for the relay URL', () => {
    const handler: RequestHandler = () => undefined;
    expect(schemeOf(createPlainServer(handler))).toBe('http');
    expect(schemeOf(createHttpsServer({}, handler))).toBe('https');
  });

  it('rejects a createServer that is not a function', async () => {
    await expect(startRelay({ createServer: 'https' as never })).rejects.toThrow(/createServer/);
  });
});
