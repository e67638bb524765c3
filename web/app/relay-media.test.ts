import { afterEach, describe, expect, it, vi } from 'vitest';
import { httpBaseOf, RelayMedia, snapshotUrl, type RecordingState, type TranscodeState } from './relay-media.ts';
import type { ClientMessage } from '../../protocol/index.ts';

describe('RelayMedia', () => {
  let media: RelayMedia;
  let sent: ClientMessage[];
  const make = (connected = true, requestTimeoutMs?: number): RelayMedia => {
    sent = [];
    media = new RelayMedia({ send: (m) => (connected ? (sent.push(m), true) : false), ...(requestTimeoutMs ? { requestTimeoutMs } : {}) });
    return media;
  };
  afterEach(() => {
    media?.close();
    vi.useRealTimers();
  });

  describe('recording', () => {
    it('sends start, then stop once the relay announced the recording, and keeps the files', () => {
      make();
      const seen: RecordingState[] = [];
      media.events.on('recording', (s) => seen.push(s));
      expect(media.toggleRecording()).toBe(true);
      expect(media.toggleRecording()).toBe(false); // still pending
      expect(sent).toEqual([{ type: 'record', action: 'start' }]);
      expect(media.recording).toMatchObject({ active: false, pending: true });
      expect(media.handle({ type: 'recording', room: 'r', active: true, by: 7 })).toBe(true);
      expect(media.recording).toEqual({ active: true, pending: false, by: 7, files: [] });
      media.toggleRecording();
      expect(sent.at(-1)).toEqual({ type: 'record', action: 'stop' });
      const file = { peerId: 7, name: 'Ann', frameLog: '7-Ann-x.fwlog', mp4: '7-Ann-x.mp4', frames: 42 };
      media.handle({ type: 'recording', room: 'r', active: false, by: 7, files: [file, { junk: true }] });
      expect(media.recording).toEqual({ active: false, pending: false, by: 7, files: [file] });
      expect(seen.map((s) => [s.active, s.pending])).toEqual([[false, true], [true, false], [true, true], [false, false]]);
    });

    it('takes a recording announced on join (no `by`), and forgets it on reset', () => {
      make();
      const how: boolean[] = [];
      media.events.on('recording', (_, h) => how.push(h.onJoin));
      media.handle({ type: 'recording', room: 'r', active: true });
      expect(media.recording).toMatchObject({ active: true, by: null });
      media.reset();
      expect(media.recording.active).toBe(false);
      expect(how).toEqual([true, false]);
    });

    it('clears the pending flag on a refusal naming `record`, and reports it', () => {
      make();
      const refused: string[] = [];
      media.events.on('refused', (feature, message) => refused.push(`${feature}: ${message}`));
      media.toggleRecording();
      expect(media.handle({ type: 'error', code: 'bad-message', message: 'recording is off on this relay [type:record]' })).toBe(true);
      expect(media.recording.pending).toBe(false);
      expect(refused).toEqual(['record: recording is off on this relay [type:record]']);
      expect(media.handle({ type: 'error', code: 'bad-json', message: 'not JSON' })).toBe(false);
    });

    it('drops a pending request nobody answers after the timeout', () => {
      vi.useFakeTimers();
      make(true, 1000);
      media.toggleRecording();
      vi.advanceTimersByTime(999);
      expect(media.recording.pending).toBe(true);
      vi.advanceTimersByTime(1);
      expect(media.recording.pending).toBe(false);
    });

    it('sends nothing when not connected', () => {
      make(false);
      expect(media.toggleRecording()).toBe(false);
      expect(media.recording.pending).toBe(false);
    });
  });

  describe('transcoding', () => {
    it('goes pending → jpeg → pending → off with the relay replies', () => {
      make();
      const states: [number, TranscodeState, TranscodeState][] = [];
      media.events.on('transcoding', (id, s, p) => states.push([id, s, p]));
      media.setTranscode(3, true);
      expect(sent).toEqual([{ type: 'transcode', from: 3, codec: 'jpeg' }]);
      expect(media.transcoding(3)).toBe('pending-jpeg');
      media.handle({ type: 'transcoding', from: 3, codec: 'jpeg', quality: 75 });
      expect(media.transcodingAll()).toEqual({ 3: 'jpeg' });
      media.setTranscode(3, false);
      expect(sent.at(-1)).toEqual({ type: 'transcode', from: 3, codec: 'off' });
      media.handle({ type: 'transcoding', from: 3, codec: 'off' });
      expect(media.transcoding(3)).toBe('off');
      expect(media.transcodingAll()).toEqual({});
      expect(states).toEqual([
        [3, 'pending-jpeg', 'off'],
        [3, 'jpeg', 'pending-jpeg'],
        [3, 'pending-off', 'jpeg'],
        [3, 'off', 'pending-off'],
      ]);
    });

    it('rolls a pending request back on a refusal or a timeout', () => {
      vi.useFakeTimers();
      make(true, 500);
      media.setTranscode(3, true);
      media.handle({ type: 'error', code: 'no-such-peer', message: 'no such peer in this room [type:transcode, to:3]' });
      expect(media.transcoding(3)).toBe('off');
      media.setTranscode(4, true);
      vi.advanceTimersByTime(500);
      expect(media.transcoding(4)).toBe('off');
    });

    it('forgets a peer that left and everything on reset', () => {
      make();
      media.handle({ type: 'transcoding', from: 3, codec: 'jpeg', quality: 75 });
      media.handle({ type: 'transcoding', from: 4, codec: 'jpeg', quality: 75 });
      media.forgetPeer(3);
      expect(media.transcodingAll()).toEqual({ 4: 'jpeg' });
      media.reset();
      expect(media.transcodingAll()).toEqual({});
    });
  });

  it('ignores other messages, rejects a bad timeout, and close() is safe twice', () => {
    make();
    expect(media.handle({ type: 'chat', text: 'hi' })).toBe(false);
    expect(() => new RelayMedia({ send: () => true, requestTimeoutMs: 0 })).toThrow(TypeError);
    media.close();
    media.close();
    expect(media.toggleRecording()).toBe(false);
  });

  describe('thin-link adaptation (transcoding with auto)', () => {
    it('reports the relay shrinking a peer for our link without touching what the user asked for', () => {
      make();
      const seen: [number, unknown][] = [];
      const states: TranscodeState[] = [];
      media.events.on('adapted', (id, a) => seen.push([id, a]));
      media.events.on('transcoding', (_, state) => states.push(state));
      const reason = 'your link ≈ 0.9 Mbit/s, this source sends 8.6 Mbit/s';
      expect(media.handle({ type: 'transcoding', from: 4, codec: 'jpeg', quality: 54, auto: true, width: 320, height: 240, reason })).toBe(true);
      expect(media.adaptedAll()).toEqual({ 4: { width: 320, height: 240, quality: 54, reason } });
      // Not a subscription of ours: the "receive as JPEG" state stays off.
      expect(media.transcoding(4)).toBe('off');
      expect(states).toEqual([]);
      media.handle({ type: 'transcoding', from: 4, codec: 'off', auto: true, reason: 'back' });
      expect(media.adaptedAll()).toEqual({});
      expect(seen).toEqual([
        [4, { width: 320, height: 240, quality: 54, reason }],
        [4, null],
      ]);
    });

    it('forgets adaptations on reset (a new session) and when the peer leaves', () => {
      make();
      const seen: [number, unknown][] = [];
      media.events.on('adapted', (id, a) => seen.push([id, a]));
      media.handle({ type: 'transcoding', from: 4, codec: 'jpeg', quality: 40, auto: true, width: 160, height: 120, reason: 'r' });
      media.handle({ type: 'transcoding', from: 5, codec: 'jpeg', quality: 40, auto: true, width: 160, height: 120, reason: 'r' });
      media.forgetPeer(5);
      media.reset();
      expect(media.adaptedAll()).toEqual({});
      expect(seen.map(([id, a]) => [id, a === null])).toEqual([
        [4, false],
        [5, false],
        [4, true],
      ]);
    });
  });
});

describe('snapshotUrl / httpBaseOf', () => {
  it('builds the snapshot path, percent-encoding the room and adding the secret', () => {
    expect(snapshotUrl('', 'team-1', 5)).toBe('/rooms/team-1/peers/5/snapshot.jpg');
    expect(snapshotUrl('http://h:1', 'a b', 5, 's&t')).toBe('http://h:1/rooms/a%20b/peers/5/snapshot.jpg?secret=s%26t');
  });
  it('turns a relay WebSocket URL into its HTTP origin', () => {
    expect(httpBaseOf('ws://127.0.0.1:8787/ws')).toBe('http://127.0.0.1:8787');
    expect(httpBaseOf('wss://example.org/ws')).toBe('https://example.org');
  });

});
