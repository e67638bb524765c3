/** Camera denied: the page says so clearly, offers to retry or join without a camera, and can join without one. */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Relay } from '../server/relay.ts';
import { openCall, roomName, screenshot, startTestRelay, waitForConnected, type CallPage } from '../web-node/call-page.ts';
import { launchChromium, type LaunchedChromium } from '../web-node/chromium.ts';

describe('browser client', () => {
  describe('camera denied', () => {
    let chrome: LaunchedChromium;
    let relay: Relay;
    let page: CallPage | undefined;

    beforeAll(async () => {
      chrome = await launchChromium({ denyCamera: true });
      relay = await startTestRelay();
    });
    afterAll(async () => {
      await chrome?.close();
      await relay?.close();
    });
    afterEach(async () => {
      await page?.close();
    });

    it('shows a visible error, and still lets the person join without a camera', async () => {
      const room = roomName('denied');
      page = await openCall(chrome.browser, relay.url, { room, name: 'Dana', waitConnected: false });
      const error = page.page.getByTestId('lobby-error');
      await error.waitFor({ state: 'visible' });
      expect(await error.innerText()).toMatch(/Camera blocked[\s\S]*Camera access was denied/);
      expect(await page.page.evaluate(() => window.framewire.state())).toMatchObject({ view: 'lobby', cameraError: 'denied' });
      await screenshot(page.page, 'camera-denied');

      await page.page.getByRole('button', { name: 'Join without camera' }).click();
      await waitForConnected(page.page);
      expect(await page.page.locator('[data-testid=tile-self]').innerText()).toContain('No camera');
    });
  });
});
