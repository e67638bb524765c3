import { describe, expect, it } from 'vitest';
import { FakeLink } from '../net/fake-link.ts';
import type { CaptureSource, MediaContext, MediaTransport, RemotePeer } from '../pipeline/index.ts';
import { CallStats } from '../stats/call-stats.ts';
import { MediaController } from './media.ts';
import type { MediaMode } from './settings.ts';
import { defaultMediaSettings } from './settings.ts';

class FakeTransport implements MediaTransport {
  readonly kind = 'fake';
  started: RemotePeer[] | undefined;
  closed = 0;
  constructor(readonly context: MediaContext) {}
  start(peers: RemotePeer[]): void {
    this.started = peers;
  }
  peerJoined(): void {}
  peerLeft(): void {}
  updateSettings(): void {}
  close(): void {
    this.closed++;
  }
}

function setup(): { media: MediaController; made: FakeTransport[]; release: () => void; modes: MediaMode[] } {
  const made: FakeTransport[] = [];
  const modes: MediaMode[] = [];
  let release = (): void => undefined;
  const media = new MediaController({
    source: () => ({ kind: 'camera' }) as CaptureSource,
    base: { settings: () => defaultMediaSettings(), stats: new CallStats(), showMedia: () => undefined, painted: () => undefined, sent: () => undefined },
    create: (mode, context) =>
      new Promise((resolve) => {
        modes.push(mode);
        release = () => {
          const transport = new FakeTransport(context);
          made.push(transport);
          resolve(transport);
        };
      }),
  });
  return { media, made, release: () => release(), modes };
}

describe('MediaController', () => {
  it('builds a transport per welcome, started with the peers of that moment, and hands it early signals', async () => {
    const { media, made, release, modes } = setup();
    const link = new FakeLink();
    const welcome = link.welcome(1, [{ id: 2, name: 'A', mode: 'webrtc' }]);
    let peers: RemotePeer[] = [{ id: 2, name: 'A', mode: 'webrtc' }];
    const built = media.rebuild(link, welcome, () => peers);
    link.receive({ type: 'signal', from: 2, data: { candidate: null } });
    link.receive({ type: 'chat', from: 2, name: 'A', text: 'x', ts: 0 });
    peers = [...peers, { id: 3, name: 'B', mode: 'webrtc' }];
    release();
    await built;
    const transport = made[0]!;
    expect(modes).toEqual(['jpeg']);
    expect(media.transport).toBe(transport);
    expect(transport.started?.map((p) => p.id)).toEqual([2, 3]);
    expect(transport.context).toMatchObject({ selfId: 1, connection: link, iceServers: [], earlyControl: [{ type: 'signal', from: 2 }] });
  });

  it('closes a build that stop() overtook, unused', async () => {
    const { media, made, release } = setup();
    const link = new FakeLink();
    const built = media.rebuild(link, link.welcome(1), () => []);
    media.stop();
    release();
    await built;
    expect(made[0]!.closed).toBe(1);
    expect(made[0]!.started).toBeUndefined();
    expect(media.transport).toBeUndefined();
  });

  it('a new welcome closes the running transport; close() is safe twice', async () => {
    const { media, made, release } = setup();
    const link = new FakeLink();
    const first = media.rebuild(link, link.welcome(1), () => []);
    release();
    await first;
    const second = media.rebuild(link, link.welcome(2), () => []);
    expect(made[0]!.closed).toBe(1);
    release();
    await second;
    media.close();
    media.close();
    expect(made[1]!.closed).toBe(1);
  });
});
