/**
 * The relay's media features (server/media) from the call UI, in real Chromium against a
 * real relay with `attachMedia` on loopback: "Save bandwidth: receive as JPEG" in a remote
 * tile's menu (relay-side BGRA→JPEG), room recording with the REC indicator and the files
 * toast, and the snapshot action.
 */
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { attachMedia, type MediaHandle } from '../server/media/index.ts';
import type { Relay } from '../server/relay.ts';
import {
  CallPages,
  launchWithTestCamera,
  roomName,
  screenshot,
  startTestRelay,
  stats,
  waitForPainted,
  type CallPage,
  type CallPageOptions,
} from '../web-node/call-page.ts';
import type { LaunchedChromium } from '../web-node/chromium.ts';

const BGRA = { mode: 'bgra' as const, res: '320x240', fps: 10, stats: true };

describe('relay media in the call UI', () => {
  let chrome: LaunchedChromium;
  let relay: Relay;
  let media: MediaHandle;
  let recordDir: string;
  const pages = new CallPages();

  beforeAll(async () => {
    chrome = await launchWithTestCamera();
  });
  afterAll(async () => {
    await chrome?.close();
  });
  beforeEach(async () => {
    recordDir = await mkdtemp(join(tmpdir(), 'framewire-media-ui-'));
    relay = await startTestRelay();
    // NOTE: like `--record DIR`: every room records from the start until someone stops it.
    // Automatic downscaling for thin receivers is off: on a loaded 2-core machine raw BGRA
    // between two pages can look "thin" to the relay (the receiving page acks late), and its
    // own switch to JPEG would race the user's choice these tests make (thin-receiver.ts has
    // its own tests, and the thin-link smoke test runs it in a real call).
    media = attachMedia(relay, { recordDir, thinReceivers: false });
  });
  afterEach(async () => {
    await pages.closeAll();
    await media.close();
    await relay.close();
    await rm(recordDir, { recursive: true, force: true });
  });

  const open = (options: CallPageOptions): Promise<CallPage> => pages.open(chrome.browser, relay.url, options);
  const peerId = (page: CallPage): Promise<number> => page.page.evaluate(() => window.framewire.state().peerId);
  const fromPeer = (page: CallPage, id: number) => stats(page.page).then((s) => s.peers.find((p) => p.id === id)!);

  describe('Save bandwidth: receive as JPEG', () => {
    it('switches what Bob receives from Alice (BGRA) to relay JPEG and back, from the tile menu', async () => {
      const room = roomName('transcode');
      const alice = await open({ room, name: 'Alice', ...BGRA });
      const bob = await open({ room, name: 'Bob', ...BGRA });
      const aliceId = await peerId(alice);
      await waitForPainted(bob.page, 'Alice', 5);
      expect((await fromPeer(bob, aliceId)).codec).toBe('bgra');

      const tile = bob.page.locator(`[data-testid=tile-remote][data-peer-id="${aliceId}"]`);
      await tile.getByTestId('tile-menu').click();
      const toggle = tile.getByTestId('receive-jpeg');
      expect(await toggle.getAttribute('aria-checked')).toBe('false');
      await toggle.click();

      // The relay answered, and the frames Bob paints from Alice are now JPEG of the same size.
      await expect.poll(() => bob.page.evaluate((id) => window.framewire.relayMedia().transcoding[id], aliceId)).toBe('jpeg');
      await expect.poll(() => fromPeer(bob, aliceId).then((p) => [p.codec, p.width, p.height]), { timeout: 10_000 }).toEqual(['jpeg', 320, 240]);
      const painted = (await fromPeer(bob, aliceId)).framesPainted;
      await waitForPainted(bob.page, 'Alice', painted + 5);
      // NOTE: `codec` turns 'jpeg' on the first converted frame RECEIVED, which may not be painted yet:
      // the 5 paints since then are converted frames, so at least 5 were converted.
      expect(media.stats.transcode.converted).toBeGreaterThanOrEqual(5);
      const jpegBytes = (await fromPeer(bob, aliceId)).frameBytes;
      expect(jpegBytes).toBeLessThan(320 * 240 * 4 / 4);
      // Alice still sends BGRA; the UI keeps her badge, marks the conversion, and the overlay names both codecs.
      expect(await alice.page.evaluate(() => window.framewire.settings().mode)).toBe('bgra');
      expect(await tile.locator('.badge').innerText()).toMatch(/bgra/i);
      expect(await tile.getByTestId('tile-note').innerText()).toContain('JPEG');
      await expect.poll(() => tile.getByTestId('tile-stats').innerText()).toMatch(/relay converts\s+bgra → jpeg/);
      await tile.getByTestId('tile-menu').click();
      expect(await toggle.getAttribute('aria-checked')).toBe('true');
      await bob.page.waitForTimeout(600);
      const path = await screenshot(bob.page, 'media-ui-receive-jpeg');
      console.log(`screenshot ${path}, JPEG frame ${jpegBytes} B vs BGRA ${320 * 240 * 4 + 36} B`);

      await toggle.click();
      await expect.poll(() => bob.page.evaluate((id) => window.framewire.relayMedia().transcoding[id] ?? 'off', aliceId)).toBe('off');
      await expect.poll(() => fromPeer(bob, aliceId).then((p) => p.codec), { timeout: 10_000 }).toBe('bgra');
      await tile.getByTestId('tile-note').waitFor({ state: 'hidden' });
      const after = (await fromPeer(bob, aliceId)).framesPainted;
      await waitForPainted(bob.page, 'Alice', after + 5);
    });
  });

  describe('Record', () => {
    it('shows REC on every page (late joiners too) and names the files in a toast when stopped', async () => {
      const room = roomName('record');
      const alice = await open({ room, name: 'Alice', ...BGRA });
      const bob = await open({ room, name: 'Bob', ...BGRA });
      const rec = (page: CallPage) => page.page.getByTestId('rec');
      // The room records from the start (recordDir): both were told so on join.
      await rec(alice).waitFor({ state: 'visible' });
      await rec(bob).waitFor({ state: 'visible' });
      await waitForPainted(bob.page, 'Alice', 5);
      await waitForPainted(alice.page, 'Bob', 5);

      await alice.page.getByTestId('record').click();
      for (const page of [alice, bob]) {
        await rec(page).waitFor({ state: 'hidden', timeout: 20_000 });
        await expect.poll(() => page.page.getByTestId('toast').allInnerTexts().then((t) => t.join('\n'))).toMatch(/Recording stopped[\s\S]*Alice: .+\.mp4/);
      }
      const firstFiles = await bob.page.evaluate(() => window.framewire.relayMedia().recording.files);
      expect(firstFiles.map((f) => f.name).sort()).toEqual(['Alice', 'Bob']);
      const onDisk = await readdir(join(recordDir, room));
      for (const f of firstFiles) {
        expect(onDisk).toContain(f.mp4);
        expect(onDisk).toContain(f.frameLog);
        expect(f.frames).toBeGreaterThan(0);
        expect((await stat(join(recordDir, room, f.mp4))).size).toBeGreaterThan(1000);
      }
      expect(await bob.page.getByTestId('toast').allInnerTexts().then((t) => t.join('\n'))).toContain(firstFiles[0]!.mp4);
      await bob.page.waitForTimeout(400); // the toast's slide-in
      console.log(`screenshot ${await screenshot(bob.page, 'media-ui-recording-saved')}`);

      // Bob starts a new recording; everyone sees REC, and Carol, who joins later, too.
      await bob.page.getByTestId('record').click();
      await rec(alice).waitFor({ state: 'visible' });
      await rec(bob).waitFor({ state: 'visible' });
      expect(await bob.page.getByTestId('record').getAttribute('aria-pressed')).toBe('true');
      await expect.poll(() => alice.page.getByTestId('toast').allInnerTexts().then((t) => t.join('\n'))).toContain('Bob started recording');
      const carol = await open({ room, name: 'Carol', ...BGRA });
      await rec(carol).waitFor({ state: 'visible' });
      expect(await carol.page.getByTestId('record').getAttribute('aria-pressed')).toBe('true');
      await waitForPainted(carol.page, 'Alice', 5);
      await alice.page.waitForTimeout(600);
      const path = await screenshot(carol.page, 'media-ui-recording');
      console.log(`screenshot ${path}`);

      await carol.page.getByTestId('record').click();
      for (const page of [alice, bob, carol]) await rec(page).waitFor({ state: 'hidden', timeout: 20_000 });
      const secondFiles = await alice.page.evaluate(() => window.framewire.relayMedia().recording.files);
      expect(secondFiles.map((f) => f.name).sort()).toEqual(['Alice', 'Bob', 'Carol']);
      const all = await readdir(join(recordDir, room));
      expect(all.filter((n) => n.endsWith('.mp4'))).toHaveLength(5);
      expect(all.filter((n) => n.endsWith('.fwlog'))).toHaveLength(5);
      await expect.poll(() => carol.page.getByTestId('toast').allInnerTexts().then((t) => t.join('\n'))).toMatch(/Recording stopped by you[\s\S]*Carol: .+\.mp4/);
    });
  });

  describe('Snapshot', () => {
    it('downloads the latest picture of a remote peer as JPEG, with the room secret', async () => {
      const room = roomName('snapshot');
      const params = { secret: 'open-sesame' };
      const alice = await open({ room, name: 'Alice', ...BGRA, params });
      const bob = await open({ room, name: 'Bob', ...BGRA, params });
      const aliceId = await peerId(alice);
      await waitForPainted(bob.page, 'Alice', 3);

      const tile = bob.page.locator(`[data-testid=tile-remote][data-peer-id="${aliceId}"]`);
      await tile.getByTestId('tile-menu').click();
      const download = bob.page.waitForEvent('download');
      await tile.getByTestId('snapshot').click();
      const file = await (await download).path();
      const bytes = await readFile(file);
      expect([bytes[0], bytes[1], bytes.at(-2), bytes.at(-1)]).toEqual([0xff, 0xd8, 0xff, 0xd9]);
      // Alice's latest picture as received: 320×240 as set, or a step down the ladder if her
      // congestion control shrank raw BGRA on this loaded machine — same aspect, never larger.
      const meta = await sharp(bytes).metadata();
      expect(meta.format).toBe('jpeg');
      expect(meta.width).toBeLessThanOrEqual(320);
      expect(meta.height).toBeLessThanOrEqual(240);
      expect(meta.width * 240).toBe(meta.height * 320);
      expect((await download).suggestedFilename()).toMatch(/^Alice-.*\.jpg$/);
      await expect.poll(() => bob.page.getByTestId('toast').allInnerTexts().then((t) => t.join('\n'))).toContain('Snapshot of Alice saved');

      // The same URL fetched from the page: a JPEG, refused without the secret.
      const fetched = await bob.page.evaluate(async (id) => {
        const url = window.framewire.snapshotUrl(id)!;
        const response = await fetch(url);
        const head = Array.from(new Uint8Array(await response.arrayBuffer()).subarray(0, 3));
        const bare = await fetch(url.replace(/\?.*$/, ''));
        return { url, status: response.status, type: response.headers.get('content-type'), width: response.headers.get('x-frame-width'), head, bare: bare.status };
      }, aliceId);
      expect(fetched).toMatchObject({ status: 200, type: 'image/jpeg', head: [0xff, 0xd8, 0xff], bare: 403 });
      // The picture's width as sent: 320 as set, or a step down the ladder (see above).
      expect(Number(fetched.width)).toBeGreaterThan(0);
      expect(Number(fetched.width)).toBeLessThanOrEqual(320);
      expect(fetched.url).toBe(`/rooms/${room}/peers/${aliceId}/snapshot.jpg?secret=open-sesame`);
    });
  });
});
