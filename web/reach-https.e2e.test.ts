/**
 * Reach › HTTPS on a real network: the relay CLI in one network namespace listening on
 * 0.0.0.0 (so it serves TLS with a self-signed certificate it generates into a temp data
 * directory), two Chromiums in two other namespaces opening `https://RELAY_IP:PORT/` — not
 * localhost — with `--ignore-certificate-errors` and the fake camera, and a call over wss.
 * Also: plain `http://RELAY_IP:PORT/` on the same port is redirected to https (asked from a
 * home namespace with Node's http), and the served certificate is the one in the data
 * directory, naming the relay's addresses.
 *
 * Needs root (network namespaces; CI is root) and `npm run build`. Without root it fails
 * and says so; `FRAMEWIRE_SKIP_NETNS=1` skips it explicitly (as bench/thin-link.smoke).
 * Every namespace is deleted afterwards, also when the test failed.
 */
import { X509Certificate } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Page } from 'playwright-core';
import type { TransportInfo } from './net/relay-link.ts';
import { afterEach, describe, expect, it } from 'vitest';
import { launchChromiumInNamespace } from '../bench/net/browser.ts';
import { requestInNamespace } from '../bench/net/ns-http.ts';
import { startRelayProcess, type RelayProcess } from '../bench/net/relay-process.ts';
import { canCreateNamespaces, createTopology, listNamespaces, type Topology } from '../bench/net/topology.ts';
import type { LaunchedChromium } from '../web-node/chromium.ts';
import { CallPages, roomName, waitForConnected, waitForPainted } from '../web-node/call-page.ts';

/** The one switch that skips this test. */
const SKIP_SWITCH = 'FRAMEWIRE_SKIP_NETNS';

/** Longest wait for a page to be welcomed (Chromium in a namespace, TLS, a shared 2-core machine), ms. */
const CONNECT_TIMEOUT_MS = 30_000;

function transportOf(page: Page): Promise<TransportInfo | null> {
  return page.evaluate(() => window.framewire.stats().transport);
}

describe('reach', () => {
  describe('https on a LAN address (network namespaces)', () => {
    let topology: Topology | undefined;
    let relay: RelayProcess | undefined;
    let dataDir: string | undefined;
    const chromes: LaunchedChromium[] = [];
    const pages = new CallPages();
    const created: string[] = [];
    const relayLog: string[] = [];
    let relayBanner = '';

    /** The pages of this test, for the failure report (gathered before anything is closed). */
    const opened: { name: string; page: Page }[] = [];
    afterEach(async (ctx) => {
      if (ctx.task.result?.state === 'fail') {
        for (const { name, page } of opened) {
          const seen = await page
            .evaluate(() => JSON.stringify({ url: location.href, state: window.framewire?.state(), transport: window.framewire?.stats().transport }))
            .catch((error: unknown) => `(page gone: ${String(error)})`);
          console.error(`[${name}] ${seen}`);
        }
      }
      opened.length = 0;
      await pages.closeAll();
      for (const chrome of chromes.splice(0)) await chrome.close();
      await relay?.close();
      relay = undefined;
      topology?.close();
      topology = undefined;
      if (dataDir) await rm(dataDir, { recursive: true, force: true });
      dataDir = undefined;
      // Whatever happened above, none of this test's namespaces may be left.
      expect(listNamespaces().filter((ns) => created.includes(ns)), 'namespaces left behind').toEqual([]);
    });

    it('two browsers in two namespaces call over wss at https://RELAY_IP:PORT/ with the relay\'s self-signed certificate', async (ctx) => {
      if (process.env[SKIP_SWITCH] === '1') ctx.skip(`${SKIP_SWITCH}=1: network-namespace tests skipped on request`);
      if (!canCreateNamespaces()) {
        throw new Error(`this test needs root (it creates network namespaces) [uid:${process.getuid?.()}]: run it as root, or set ${SKIP_SWITCH}=1 to skip it`);
      }
      ctx.onTestFailed(() => console.error(`relay stderr:\n${relayLog.join('\n')}\nrelay stdout:\n${relayBanner}`));
      topology = await createTopology({
        homes: [
          { name: 'alice', upMbit: null, downMbit: null },
          { name: 'bob', upMbit: null, downMbit: null },
        ],
        tag: 'rh',
      });
      created.push(...topology.namespaces);
      const [aliceHome, bobHome] = [topology.home('alice'), topology.home('bob')];
      dataDir = await mkdtemp(join(tmpdir(), 'framewire-reach-https-'));
      const certDir = join(dataDir, 'data');

      relay = await startRelayProcess({ ns: topology.relayNs, staticDir: resolve('dist/web'), tls: 'auto', args: ['--data-dir', certDir], log: (line) => relayLog.push(line) });
      const port = relay.port;
      relayBanner = relay.banner;
      expect(relay.scheme, `the CLI should print an https URL when it listens on 0.0.0.0; it printed: ${relay.banner}`).toBe('https');

      // The certificate was generated into the data directory and is what the relay serves,
      // naming the addresses the homes reach it at.
      expect(existsSync(join(certDir, 'cert.pem')) && existsSync(join(certDir, 'key.pem')), `cert.pem/key.pem in ${certDir}`).toBe(true);
      const kept = new X509Certificate(await readFile(join(certDir, 'cert.pem')));
      const health = await requestInNamespace(aliceHome.ns, `https://${aliceHome.relayIp}:${port}/healthz`);
      expect(health.status).toBe(200);
      expect(health.certificate?.fingerprint256).toBe(kept.fingerprint256);
      for (const home of [aliceHome, bobHome]) expect(health.certificate?.subjectaltname).toContain(`IP Address:${home.relayIp}`);

      // Plain HTTP on the same port: redirected to the same place over https.
      const plain = await requestInNamespace(bobHome.ns, `http://${bobHome.relayIp}:${port}/?room=r1&name=Bob`);
      expect([301, 302, 307, 308], `status of plain http://: ${plain.status}`).toContain(plain.status);
      expect(plain.headers['location']).toBe(`https://${bobHome.relayIp}:${port}/?room=r1&name=Bob`);

      const [aliceChrome, bobChrome] = await Promise.all(
        [aliceHome, bobHome].map((home) => launchChromiumInNamespace({ ns: home.ns, args: ['--ignore-certificate-errors'] })),
      );
      chromes.push(aliceChrome!, bobChrome!);
      const room = roomName('reach-https');
      const alice = await pages.open(aliceChrome!.browser, `https://${aliceHome.relayIp}:${port}`, { room, name: 'Alice', fps: 15, waitConnected: false });
      const bob = await pages.open(bobChrome!.browser, `https://${bobHome.relayIp}:${port}`, { room, name: 'Bob', fps: 15, waitConnected: false });
      opened.push({ name: 'Alice', page: alice.page }, { name: 'Bob', page: bob.page });
      await waitForConnected(alice.page, CONNECT_TIMEOUT_MS);
      await waitForConnected(bob.page, CONNECT_TIMEOUT_MS);

      await waitForPainted(bob.page, 'Alice', 15, 30_000);
      await waitForPainted(alice.page, 'Bob', 15, 30_000);
      for (const p of [alice, bob]) {
        expect(await p.page.evaluate(() => ({ protocol: location.protocol, secure: isSecureContext }))).toEqual({ protocol: 'https:', secure: true });
        // NOTE: an https page cannot open ws:// (mixed content): 'websocket' here is wss.
        expect(await transportOf(p.page), 'framewire.stats().transport').toMatchObject({ kind: 'websocket' });
      }
      const bobStats = await bob.page.evaluate(() => window.framewire.stats());
      expect(bobStats.peers).toHaveLength(1);
      expect(bobStats.peers[0]).toMatchObject({ name: 'Alice' });
    }, 180_000);
  });
});
