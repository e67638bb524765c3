/**
 * Reconnect: the relay restarts mid-call on the same port; both pages show the outage,
 * reconnect by themselves (backoff with jitter), rejoin the room and frames flow again.
 */
import { describe, expect, it } from 'vitest';
import { roomName, stats, useCallRig, waitForPainted } from '../web-node/call-page.ts';

describe('browser client', () => {
  describe('relay restart', () => {
    const rig = useCallRig({ relay: false });

    it('reconnects both pages to the restarted relay and frames flow again', async () => {
      const { port } = await rig.startRelay();
      const room = roomName('restart');
      const alice = await rig.open({ room, name: 'Alice', fps: 15 });
      const bob = await rig.open({ room, name: 'Bob', fps: 15 });
      await waitForPainted(bob.page, 'Alice', 10);
      await waitForPainted(alice.page, 'Bob', 10);

      await rig.stopRelay();
      for (const p of [alice, bob]) {
        await p.page.waitForFunction(() => window.framewire.state().connection === 'reconnecting');
        await p.page.getByTestId('banner').filter({ hasText: 'reconnecting' }).waitFor();
      }
      expect(await alice.page.getByTestId('status').innerText()).toContain('Reconnecting');

      await rig.startRelay({ port });
      for (const p of [alice, bob]) {
        await p.page.waitForFunction(() => window.framewire.state().connection === 'open', null, { timeout: 30_000 });
      }
      // A new session on each page (the new relay process hands out ids afresh).
      const after0 = await Promise.all([alice, bob].map((p) => p.page.evaluate(() => window.framewire.state())));
      expect(after0.map((s) => s.sessions)).toEqual([2, 2]);
      const aliceId = after0[0]!.peerId;
      await waitForPainted(bob.page, 'Alice', 10);
      await waitForPainted(alice.page, 'Bob', 10);
      const after = await stats(bob.page);
      expect(after.peers).toHaveLength(1);
      expect(after.peers[0]).toMatchObject({ id: aliceId, name: 'Alice' });
      expect(await bob.page.getByTestId('banner').isHidden()).toBe(true);
      expect(await bob.page.getByTestId('status').innerText()).toContain('Connected');
      expect(await bob.page.locator('[data-testid=grid] .tile').count()).toBe(2);
    });
  });
});
