import { existsSync } from 'node:fs';
import { createServer, request, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { findNginx, nginxClusterSiteConfig, nginxConfig, nginxSiteConfig, NginxError, startNginx, type RunningNginx } from './nginx.ts';

/** What the upstream saw of one request. */
interface Seen {
  method: string;
  url: string;
  httpVersion: string;
  headers: IncomingHttpHeaders;
}

/** An upstream that records every request, streams `/stream` in two pieces 300 ms apart, and echoes WebSocket messages. */
async function startUpstream(): Promise<{ server: Server; host: string; seen: Seen[]; close(): Promise<void> }> {
  const seen: Seen[] = [];
  const server = createServer((req, res) => {
    seen.push({ method: req.method ?? '', url: req.url ?? '', httpVersion: req.httpVersion, headers: req.headers });
    if (req.url === '/stream') {
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      res.write('first;');
      setTimeout(() => res.end('second'), 300);
      return;
    }
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end(`hello ${req.url}`);
  });
  const wss = new WebSocketServer({ noServer: true });
  server.on('upgrade', (req, socket, head) => {
    seen.push({ method: req.method ?? '', url: req.url ?? '', httpVersion: req.httpVersion, headers: req.headers });
    wss.handleUpgrade(req, socket, head, (ws) => ws.on('message', (data) => ws.send(`echo ${String(data)}`)));
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  return {
    server,
    host: `127.0.0.1:${port}`,
    seen,
    close: async () => {
      for (const client of wss.clients) client.terminate();
      server.closeAllConnections();
      await new Promise((done) => server.close(done));
    },
  };
}

/** GETs `url`; resolves with the status, the body and when each chunk arrived (ms after the headers). */
function get(url: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string; chunkTimes: number[] }> {
  return new Promise((done, fail) => {
    const req = request(url, { headers }, (res) => {
      const start = Date.now();
      const chunkTimes: number[] = [];
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        chunkTimes.push(Date.now() - start);
        body += chunk;
      });
      res.on('end', () => done({ status: res.statusCode ?? 0, body, chunkTimes }));
    });
    req.on('error', fail);
    req.end();
  });
}

/** Opens a WebSocket to `url`; resolves with the echo of one message, or rejects with why it did not open. */
function wsEcho(url: string): Promise<string> {
  return new Promise((done, fail) => {
    const ws = new WebSocket(url);
    ws.on('open', () => ws.send('ping'));
    ws.on('message', (data) => {
      done(String(data));
      ws.close();
    });
    ws.on('unexpected-response', (_req, res) => {
      fail(new Error(`unexpected response ${res.statusCode}`));
      ws.terminate();
    });
    ws.on('error', fail);
  });
}

describe('nginx fixture', () => {
  describe('config text', () => {
    it("'stock' is exactly the plain reverse proxy: proxy_pass and nothing else", () => {
      expect(nginxSiteConfig({ profile: 'stock', upstream: '127.0.0.1:8080' })).toBe(
        ['server {', '    listen 80;', '', '    location / {', '        proxy_pass http://127.0.0.1:8080;', '    }', '}', ''].join('\n'),
      );
    });

    it("'websocket' passes the upgrade on, streams, and takes 16 MiB bodies", () => {
      const text = nginxSiteConfig({ profile: 'websocket', upstream: 'relay.internal:8080', serverName: 'call.example.org' });
      expect(text).toContain('map $http_upgrade $connection_upgrade {\n    default upgrade;\n    \'\'      close;\n}');
      for (const line of [
        'server_name call.example.org;',
        'proxy_pass http://relay.internal:8080;',
        'proxy_http_version 1.1;',
        'proxy_set_header Upgrade $http_upgrade;',
        'proxy_set_header Connection $connection_upgrade;',
        'proxy_buffering off;',
        'client_max_body_size 16m;',
      ]) {
        expect(text).toContain(line);
      }
    });

    it('the full config keeps logs and temp files in the prefix directory, with one worker', () => {
      const text = nginxConfig({ profile: 'stock', upstream: '127.0.0.1:1', dir: '/tmp/x', port: 4321 });
      expect(text).toMatch(/^worker_processes 1;$/m);
      expect(text).toContain('error_log /tmp/x/error.log info;');
      expect(text).toContain('access_log /tmp/x/access.log;');
      expect(text).toContain('listen 127.0.0.1:4321;');
      expect(text).not.toMatch(/^\s*pid /m);
      expect(text).not.toContain('daemon');
    });

    it('rejects an upstream or directory that would break (or inject into) the config', () => {
      expect(() => nginxSiteConfig({ profile: 'stock', upstream: 'x; evil' })).toThrow(NginxError);
      expect(() => nginxSiteConfig({ profile: 'stock', upstream: 'host-without-port' })).toThrow(/bad nginx option \[upstream:host-without-port\]/);
      expect(() => nginxConfig({ profile: 'stock', upstream: '127.0.0.1:1', dir: '/tmp/a b', port: 1 })).toThrow(/\[dir:\/tmp\/a b\]/);
      expect(() => nginxConfig({ profile: 'stock', upstream: '127.0.0.1:1', dir: '/tmp/x', port: 0 })).toThrow(/\[port:0\]/);
    });
  });

  describe('cluster config text', () => {
    it('one location per node stripping its prefix, and a sticky entry upstream of them all', () => {
      const text = nginxClusterSiteConfig({ nodes: [{ prefix: 'n1', upstream: '10.0.0.11:8080' }, { prefix: 'n2', upstream: 'http://10.0.0.12:8080' }], serverName: 'call.example.org' });
      expect(text).toMatch(/upstream framewire_entry \{\s+ip_hash;\s+server 10\.0\.0\.11:8080;\s+server 10\.0\.0\.12:8080;/);
      expect(text).toContain('location /n1/ {');
      expect(text).toContain('proxy_pass http://10.0.0.11:8080/;'); // the trailing slash strips /n1/
      expect(text).toContain('proxy_pass http://10.0.0.12:8080/;');
      expect(text).toContain('proxy_pass http://framewire_entry;');
      for (const line of ['proxy_set_header Upgrade $http_upgrade;', 'proxy_buffering off;', 'client_max_body_size 16m;']) expect(text).toContain(line);
    });

    it('rejects prefixes or upstreams that would break the config', () => {
      expect(() => nginxClusterSiteConfig({ nodes: [] })).toThrow(NginxError);
      expect(() => nginxClusterSiteConfig({ nodes: [{ prefix: 'n 1', upstream: '127.0.0.1:1' }] })).toThrow(/\[prefix:n 1\]/);
      expect(() => nginxClusterSiteConfig({ nodes: [{ prefix: 'n1', upstream: '127.0.0.1:1' }, { prefix: 'n1', upstream: '127.0.0.1:2' }] })).toThrow(NginxError);
      expect(() => nginxClusterSiteConfig({ nodes: [{ prefix: 'n1', upstream: 'x; evil' }] })).toThrow(NginxError);
    });
  });

  describe('nginx missing', () => {
    it('throws an error that says how to install it', () => {
      const saved = process.env['NGINX_PATH'];
      process.env['NGINX_PATH'] = '/nonexistent/nginx';
      try {
        expect(() => findNginx()).toThrow(NginxError);
        expect(() => findNginx()).toThrow('apt-get install -y nginx-light');
      } finally {
        if (saved === undefined) delete process.env['NGINX_PATH'];
        else process.env['NGINX_PATH'] = saved;
      }
    });
  });

  describe('a real nginx', () => {
    let upstream: Awaited<ReturnType<typeof startUpstream>> | undefined;
    let nginx: RunningNginx | undefined;
    afterEach(async () => {
      await nginx?.close();
      nginx = undefined;
      await upstream?.close();
      upstream = undefined;
    });

    it("'stock' proxies plain requests over HTTP/1.0 and drops the WebSocket upgrade", async () => {
      upstream = await startUpstream();
      nginx = await startNginx({ profile: 'stock', upstream: `http://${upstream.host}` });
      expect(nginx.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const answer = await get(`${nginx.url}/page?x=1`);
      expect(answer).toMatchObject({ status: 200, body: 'hello /page?x=1' });
      expect(upstream.seen.at(-1)).toMatchObject({ method: 'GET', url: '/page?x=1', httpVersion: '1.0' });

      await expect(wsEcho(`ws://127.0.0.1:${nginx.port}/ws`)).rejects.toThrow();
      const last = upstream.seen.at(-1)!;
      expect(last.url).toBe('/ws');
      expect(last.headers['upgrade']).toBeUndefined();
      expect(last.headers['connection']).toBe('close');
      expect(await nginx.accessLog()).toContain('GET /page?x=1');
    });

    it("'websocket' carries a WebSocket both ways and streams a response as it is written", async () => {
      upstream = await startUpstream();
      nginx = await startNginx({ profile: 'websocket', upstream: upstream.host });
      expect(await wsEcho(`ws://127.0.0.1:${nginx.port}/ws`)).toBe('echo ping');
      const upgrade = upstream.seen.find((s) => s.url === '/ws')!;
      expect(upgrade).toMatchObject({ httpVersion: '1.1' });
      expect(upgrade.headers['upgrade']).toBe('websocket');

      const streamed = await get(`${nginx.url}/stream`);
      expect(streamed.body).toBe('first;second');
      // Two pieces 300 ms apart at the upstream arrive as two pieces (not one buffered body).
      expect(streamed.chunkTimes.length).toBeGreaterThanOrEqual(2);
      expect(streamed.chunkTimes.at(-1)! - streamed.chunkTimes[0]!).toBeGreaterThan(200);
    });

    it('close() stops nginx and removes its directory; a second close is a no-op', async () => {
      upstream = await startUpstream();
      const running = await startNginx({ profile: 'stock', upstream: upstream.host });
      nginx = running;
      expect(existsSync(`${running.dir}/nginx.conf`)).toBe(true);
      await running.close();
      await running.close();
      expect(existsSync(running.dir)).toBe(false);
      expect(() => process.kill(running.pid!, 0)).toThrow();
      await expect(get(running.url)).rejects.toThrow(/ECONNREFUSED/);
    });

    it('an nginx that exits at once fails the start with its exit status', async () => {
      const saved = process.env['NGINX_PATH'];
      process.env['NGINX_PATH'] = '/bin/false';
      try {
        await expect(startNginx({ profile: 'stock', upstream: '127.0.0.1:1' })).rejects.toThrow(/nginx did not start \[exited, code:1/);
      } finally {
        if (saved === undefined) delete process.env['NGINX_PATH'];
        else process.env['NGINX_PATH'] = saved;
      }
    });
  });
});
