import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { get as httpGet, type ClientRequest, type IncomingMessage } from 'node:http';
import { Agent, get as httpsGet } from 'node:https';
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect, TLSSocket } from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { useTempDir } from '../../bench/test-support/temp-dir.ts';
import { startRelay, type Relay } from '../relay.ts';
import { connectClient } from '../test-client.ts';
import { loadOrCreateSelfSignedCert, type SelfSignedCert } from './self-signed-cert.ts';
import { schemeOf } from './server-factory.ts';
import { reloadTlsFiles, TlsError } from './tls-credentials.ts';
import { tlsServerFactory, TLS_HANDSHAKE_BYTE, type TlsRelayServer, type TlsServerOptions } from './tls-server.ts';

const relays: Relay[] = [];
const sockets: Socket[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  await Promise.all(relays.splice(0).map((r) => r.close()));
});

/** Two certificates for 127.0.0.1, each generated into its own directory, made once. */
let first: SelfSignedCert;
let second: SelfSignedCert;
let certDirs: string[] = [];
const tempDir = useTempDir('framewire-tls-server-');
beforeAll(async () => {
  certDirs = await Promise.all([mkdtemp(join(tmpdir(), 'framewire-tls-a-')), mkdtemp(join(tmpdir(), 'framewire-tls-b-'))]);
  first = await loadOrCreateSelfSignedCert({ dataDir: certDirs[0]!, addresses: [] });
  second = await loadOrCreateSelfSignedCert({ dataDir: certDirs[1]!, addresses: [] });
  expect(second.fingerprint).not.toBe(first.fingerprint);
});
afterAll(async () => {
  await Promise.all(certDirs.map((d) => rm(d, { recursive: true, force: true })));
});

/** A relay on 127.0.0.1:0 over `TlsRelayServer` with `first`'s certificate. */
async function tlsRelay(options: Partial<TlsServerOptions> = {}): Promise<{ relay: Relay; server: TlsRelayServer }> {
  let server: TlsRelayServer | undefined;
  const relay = await startRelay({
    logLevel: 'silent',
    host: '127.0.0.1',
    createServer: tlsServerFactory({ cert: first.cert, key: first.key, ...options }, (s) => (server = s)),
  });
  relays.push(relay);
  return { relay, server: server! };
}

/** The response to `req`, its body, and (over TLS) the fingerprint of the certificate the server showed. */
function response(req: ClientRequest): Promise<{ res: IncomingMessage; body: string; fingerprint: string | undefined }> {
  return new Promise((resolve, reject) => {
    req.on('error', reject);
    req.on('response', (res) => {
      const fingerprint = res.socket instanceof TLSSocket ? res.socket.getPeerCertificate().fingerprint256 : undefined;
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ res, body, fingerprint }));
    });
  });
}

/** Opens a raw TCP socket to the relay, writes `bytes` (if any) and resolves with everything it receives until it closes. */
function rawExchange(port: number, bytes?: string | Buffer): { socket: Socket; received: Promise<string> } {
  const socket = netConnect(port, '127.0.0.1');
  sockets.push(socket);
  if (bytes !== undefined) socket.write(bytes);
  let text = '';
  socket.on('data', (d: Buffer) => (text += d.toString('latin1')));
  socket.on('error', () => undefined);
  return { socket, received: new Promise((resolve) => socket.on('close', () => resolve(text))) };
}

/** SHA-256 fingerprint of the certificate a new TLS connection to `port` is shown. */
function servedFingerprint(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = tlsConnect({ host: '127.0.0.1', port, rejectUnauthorized: false }, () => {
      resolve(socket.getPeerCertificate().fingerprint256);
      socket.end();
    });
    socket.on('error', reject);
  });
}

describe('TlsRelayServer', () => {
  describe('TLS', () => {
    it('serves /healthz over https with the given certificate, and the relay URL says https', async () => {
      const { relay, server } = await tlsRelay();
      expect(schemeOf(server)).toBe('https');
      expect(relay.url).toBe(`https://127.0.0.1:${relay.port}`);
      const { res, body, fingerprint } = await response(httpsGet(`${relay.url}/healthz`, { ca: first.cert }));
      expect(res.statusCode).toBe(200);
      expect(JSON.parse(body)).toMatchObject({ status: 'ok' });
      expect(fingerprint).toBe(first.fingerprint);
    });

    it('takes wss:// WebSocket upgrades: a client joins a room and gets welcome', async () => {
      const { relay } = await tlsRelay();
      const client = await connectClient(relay.url, { room: 'tls', name: 'a', ws: { ca: first.cert } });
      expect(client.socket.url).toMatch(/^wss:\/\/127\.0\.0\.1:\d+\/ws\?/);
      expect(client.control[0]).toMatchObject({ type: 'welcome', peerId: client.peerId });
      const other = await connectClient(relay.url, { room: 'tls', name: 'b', ws: { rejectUnauthorized: false } });
      await client.waitControl((m) => m.type === 'peer-joined');
      await Promise.all([client.close(), other.close()]);
    });
  });

  describe('plain HTTP on the same port', () => {
    it('redirects with 308 to https://<Host><path>, Connection: close', async () => {
      const { relay } = await tlsRelay();
      const { res, body } = await response(httpGet(`http://127.0.0.1:${relay.port}/healthz?x=1`));
      expect(res.statusCode).toBe(308);
      expect(res.headers.location).toBe(`https://127.0.0.1:${relay.port}/healthz?x=1`);
      expect(res.headers.connection).toBe('close');
      expect(body).toContain(`https://127.0.0.1:${relay.port}/healthz?x=1`);
    });

    it('keeps the name the client used in the Host header', async () => {
      const { relay } = await tlsRelay();
      const { res } = await response(httpGet({ host: '127.0.0.1', port: relay.port, path: '/?room=r', headers: { host: `call.example:${relay.port}` } }));
      expect(res.headers.location).toBe(`https://call.example:${relay.port}/?room=r`);
    });

    it('uses the address the client connected to when there is no Host header (HTTP/1.0)', async () => {
      const { relay } = await tlsRelay();
      const text = await rawExchange(relay.port, 'GET /a/b?c=d HTTP/1.0\r\n\r\n').received;
      expect(text).toMatch(/^HTTP\/1\.1 308 /);
      expect(text).toContain(`location: https://127.0.0.1:${relay.port}/a/b?c=d\r\n`);
    });

    it('answers a request that is not HTTP with 400, and the relay keeps serving', async () => {
      const { relay } = await tlsRelay();
      const text = await rawExchange(relay.port, Buffer.from([0x00, 0xff, 0x13, 0x37, 0x0d, 0x0a, 0x0d, 0x0a])).received;
      expect(text).toMatch(/^HTTP\/1\.1 400 /);
      const { res } = await response(httpsGet(`${relay.url}/healthz`, { ca: first.cert }));
      expect(res.statusCode).toBe(200);
    });

    it('closes a connection that starts a handshake with garbage', async () => {
      const { relay } = await tlsRelay();
      const text = await rawExchange(relay.port, Buffer.from([TLS_HANDSHAKE_BYTE, 0x03, 0x01, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0x00])).received;
      expect(text).not.toContain('HTTP/1.1');
    });
  });

  describe('shutdown', () => {
    it('finishes relay.close() despite silent sockets, a stalled handshake, a partial request and a keep-alive TLS connection', async () => {
      const { relay } = await tlsRelay({ firstByteTimeoutMs: 60_000 });
      const silent = rawExchange(relay.port);
      const stalledHandshake = rawExchange(relay.port, Buffer.from([TLS_HANDSHAKE_BYTE]));
      const partialRequest = rawExchange(relay.port, 'GET / HTTP/1.1\r\nHost: x\r\n');
      const agent = new Agent({ keepAlive: true, ca: first.cert });
      const { res } = await response(httpsGet(`${relay.url}/healthz`, { agent }));
      expect(res.statusCode).toBe(200);
      // Every raw socket has reached the server (it answers on the same loop turn order).
      await new Promise((resolve) => setTimeout(resolve, 50));
      const closed = relay.close().then(() => 'closed');
      const timeout = new Promise((resolve) => setTimeout(() => resolve('timed out'), 10_000).unref());
      expect(await Promise.race([closed, timeout])).toBe('closed');
      await Promise.all([silent.received, stalledHandshake.received, partialRequest.received]);
      agent.destroy();
    });

    it('destroys a socket that sends nothing within firstByteTimeoutMs', async () => {
      const { relay } = await tlsRelay({ firstByteTimeoutMs: 100 });
      const silent = rawExchange(relay.port);
      expect(await silent.received).toBe('');
      const { res } = await response(httpsGet(`${relay.url}/healthz`, { ca: first.cert }));
      expect(res.statusCode).toBe(200);
    });

    it('refuses a non-positive firstByteTimeoutMs', async () => {
      await expect(startRelay({ logLevel: 'silent', createServer: tlsServerFactory({ cert: first.cert, key: first.key, firstByteTimeoutMs: 0 }) })).rejects.toThrow(
        /firstByteTimeoutMs must be a positive number/,
      );
    });
  });

  describe('certificate reload (SIGHUP)', () => {
    it('serves the re-read files to new connections', async () => {
      const { relay, server } = await tlsRelay();
      expect(await servedFingerprint(relay.port)).toBe(first.fingerprint);
      const reloaded = await reloadTlsFiles(server, second.certFile, second.keyFile);
      expect(reloaded.fingerprint).toBe(second.fingerprint);
      expect(await servedFingerprint(relay.port)).toBe(second.fingerprint);
    });

    it('keeps the old certificate when the new files are unusable', async () => {
      const { relay, server } = await tlsRelay();
      const dir = await tempDir();
      const badCert = join(dir, 'bad-cert.pem');
      await writeFile(badCert, 'not a certificate');
      await expect(reloadTlsFiles(server, badCert, second.keyFile)).rejects.toMatchObject({ name: 'TlsError', code: 'bad-cert' });
      // The key of another certificate.
      await expect(reloadTlsFiles(server, second.certFile, first.keyFile)).rejects.toMatchObject({ code: 'key-mismatch' });
      await expect(reloadTlsFiles(server, join(dir, 'missing.pem'), second.keyFile)).rejects.toBeInstanceOf(TlsError);
      expect(await servedFingerprint(relay.port)).toBe(first.fingerprint);
    });
  });
});
