/**
 * Refused joins: a full room (close 1008) is shown in the lobby with the relay's own limit,
 * and the page does not reconnect (the wrong-secret case is in call.e2e.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { roomName, useCallRig } from '../web-node/call-page.ts';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('browser client', () => {
  describe('refused join', () => {
    const rig = useCallRig({ relay: { maxPeersPerRoom: 1 } });

    it('shows "room is full" with the relay’s limit in the lobby and does not reconnect', async () => {
      const room = roomName('full');
      const owner = await rig.open({ room, name: 'Owner' });
      const late = await rig.open({ room, name: 'Late', waitConnected: false });
      const error = late.page.getByTestId('lobby-error');
      await error.waitFor({ state: 'visible' });
      expect(await error.innerText()).toMatch(/Could not join[\s\S]*This room is full \(1 person\)\./);
      // Count every WebSocket the page opens from here on: a retry would open another.
      let sockets = 0;
      late.page.on('websocket', () => sockets++);
      await sleep(2000);
      expect(sockets).toBe(0);
      expect(await late.page.evaluate(() => window.framewire.state())).toMatchObject({ view: 'lobby', connection: 'closed', sessions: 0 });
      expect(await late.page.getByTestId('lobby-error').isVisible()).toBe(true);
      // The owner is still in its call, alone.
      expect(await owner.page.evaluate(() => window.framewire.state())).toMatchObject({ view: 'call', connection: 'open' });
    });
  });
});
