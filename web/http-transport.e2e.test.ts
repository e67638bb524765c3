/**
 * Reach: calls whose link to the relay is not a WebSocket. Two pages forced onto the HTTP
 * channel (`transport=http`: a streamed downlink; `transport=poll`: long-polls) have a call —
 * pictures painted both ways, chat — and say so in `framewire.stats().transport` and the
 * status pill; a page whose WebSocket opens but never hears the relay (a proxy that
 * swallows it) falls back to the HTTP stream by itself within the 3 s welcome limit.
 */
import { describe, expect, it } from 'vitest';
import { roomName, stats, useCallRig, waitForPainted, type CallPage } from '../web-node/call-page.ts';

describe('browser client', () => {
  const rig = useCallRig();

  async function chat(from: CallPage, to: CallPage, text: string): Promise<void> {
    expect(await from.page.evaluate((t) => window.framewire.chat(t), text)).toBe(true);
    await to.page.waitForFunction((t) => window.framewire.messages().some((m) => m.text === t), text, { timeout: 10_000 });
  }

  describe.each([
    { transport: 'http', kind: 'http-stream', label: 'HTTP stream' },
    { transport: 'poll', kind: 'long-poll', label: 'long-poll' },
  ] as const)('transport=$transport', ({ transport, kind, label }) => {
    it(`has a call over ${label}: pictures both ways, chat, and says which transport carries it`, async () => {
      const room = roomName(transport);
      const params = { transport };
      const alice = await rig.open({ room, name: 'Alice', fps: 15, stats: true, params });
      const bob = await rig.open({ room, name: 'Bob', fps: 15, stats: true, params });
      await waitForPainted(bob.page, 'Alice', 15);
      await waitForPainted(alice.page, 'Bob', 15);
      await chat(alice, bob, `hello over ${transport}`);
      await chat(bob, alice, 'and back');

      for (const p of [alice, bob]) {
        const s = await stats(p.page);
        expect(s.transport).toEqual({ kind, reason: `set by the page (transport=${transport})` });
        const pill = p.page.getByTestId('status');
        await expect.poll(() => pill.innerText()).toContain(`Connected · ${label}`);
        expect(await pill.getAttribute('data-transport')).toBe(kind);
        expect(await pill.getAttribute('title')).toContain(`transport=${transport}`);
      }
      // One peer per page: a forced transport never probes, so no second connection joined.
      expect(rig.relay.peers(room).map((p) => p.name).sort()).toEqual(['Alice', 'Bob']);
      // Still flowing (no rate asserted: on a shared 2-core machine both pages' encoders set it).
      const painted = (await stats(bob.page)).peers.find((p) => p.name === 'Alice')!.framesPainted;
      await waitForPainted(bob.page, 'Alice', painted + 5);
    });
  });

  it('falls back to the HTTP stream when its WebSocket is swallowed (opens, never a welcome)', async () => {
    const room = roomName('swallowed');
    const bob = await rig.open({ room, name: 'Bob', fps: 15 });
    const { browser } = rig.chrome;
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    // A middlebox that accepts the upgrade and passes nothing on: the page's WebSocket opens and stays silent.
    await context.routeWebSocket(/\/ws\b/, () => undefined);
    const page = await context.newPage();
    const alice = rig.pages.add({ page, context, close: () => context.close() });
    const started = Date.now();
    await page.goto(`${rig.relay.url}/?${new URLSearchParams({ room, name: 'Alice', fps: '15', autostart: '1' }).toString()}`);
    await page.waitForFunction(() => window.framewire?.state().connection === 'open', null, { timeout: 15_000 });
    expect(Date.now() - started).toBeGreaterThan(2900);
    const s = await stats(page);
    expect(s.transport).toEqual({ kind: 'http-stream', reason: 'WebSocket blocked (no welcome within 3 s)' });
    expect(await page.getByTestId('status').getAttribute('title')).toBe('HTTP stream: WebSocket blocked (no welcome within 3 s)');
    await waitForPainted(bob.page, 'Alice', 10);
    await waitForPainted(alice.page, 'Bob', 10);
  });
});
