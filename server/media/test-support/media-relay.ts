/**
 * Fixture of the server/media tests: a relay on loopback (port 0) with `attachMedia`, and
 * what a test starts against it (bots, sockets), all closed by `close()` in `afterEach`.
 */
import { startRelay, type Relay } from '../../relay.ts';
import { attachMedia, type MediaHandle, type MediaOptions } from '../index.ts';

export class MediaRelayFixture {
  /** Closers of what a test started (bots, sockets): `close()` runs them first, in order. */
  readonly cleanups: (() => Promise<unknown>)[] = [];
  #relay: Relay | undefined;
  #media: MediaHandle | undefined;

  /** The relay of the running test; throws before `start`. */
  get relay(): Relay {
    if (this.#relay === undefined) throw new Error('MediaRelayFixture: start() first');
    return this.#relay;
  }

  /** Starts a silent relay on port 0 and attaches the media features with `options`. */
  async start(options: MediaOptions): Promise<{ relay: Relay; media: MediaHandle }> {
    const relay = await startRelay({ port: 0, logLevel: 'silent' });
    this.#relay = relay;
    const media = attachMedia(relay, options);
    this.#media = media;
    return { relay, media };
  }

  /** Runs the cleanups, then closes the media features and the relay. Safe to call twice. */
  async close(): Promise<void> {
    for (const cleanup of this.cleanups.splice(0)) await cleanup();
    await this.#media?.close();
    await this.#relay?.close();
    this.#media = undefined;
    this.#relay = undefined;
  }
}
