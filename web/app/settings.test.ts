import { describe, expect, it } from 'vitest';
import { DEFAULT_FPS, DEFAULT_JPEG_QUALITY, inviteLink, parseIcePolicy, parseResolution, parseUrlPreset } from './settings.ts';

describe('parseUrlPreset', () => {
  it('reads every automation parameter', () => {
    const preset = parseUrlPreset('?room=lab&name=Ann%20Lee&secret=s3&mode=bgra&res=1280x720&fps=30&q=55&autostart=1&source=harness&stats=1&ice=relay&transport=http&mic=0&audio=pcm');
    expect(preset).toEqual({
      room: 'lab',
      name: 'Ann Lee',
      secret: 's3',
      media: { mode: 'bgra', width: 1280, height: 720, fps: 30, quality: 55, cameraOn: true, micOn: false },
      autostart: true,
      source: 'harness',
      showStats: true,
      iceTransportPolicy: 'relay',
      transport: 'http',
      audio: 'pcm',
    });
  });

  it('reads audio= (auto, pcm, off) and mic=0; sound is on by default', () => {
    expect(parseUrlPreset('').audio).toBe('auto');
    expect(parseUrlPreset('').media.micOn).toBe(true);
    expect(['?audio=0', '?audio=off', '?audio=OFF'].map((q) => parseUrlPreset(q).audio)).toEqual(['off', 'off', 'off']);
    expect(parseUrlPreset('?audio=opus').audio).toBe('auto');
    expect(parseUrlPreset('?mic=muted').media.micOn).toBe(false);
  });

  it('falls back to defaults for missing or invalid values and clamps ranges', () => {
    const preset = parseUrlPreset('?mode=h264&res=huge&fps=200&q=-3');
    expect(preset.media).toMatchObject({ mode: 'jpeg', width: 640, height: 480, fps: 30, quality: 1 });
    expect(preset.autostart).toBe(false);
    expect(preset.source).toBe('camera');
    expect(preset.room).toBeUndefined();
    expect(parseUrlPreset('?fps=2').media.fps).toBe(5);
    expect(parseUrlPreset('').media).toMatchObject({ fps: DEFAULT_FPS, quality: DEFAULT_JPEG_QUALITY });
  });

  it('accepts the webrtc mode', () => {
    expect(parseUrlPreset('?mode=webrtc').media.mode).toBe('webrtc');
  });

  it('reads ice=relay (relay-only WebRTC); any other value or none is all', () => {
    expect(parseUrlPreset('?mode=webrtc&ice=relay').iceTransportPolicy).toBe('relay');
    expect(parseUrlPreset('?mode=webrtc').iceTransportPolicy).toBe('all');
    expect(parseIcePolicy('RELAY ')).toBe('relay');
    expect(parseIcePolicy('all')).toBe('all');
    expect(parseIcePolicy('tcp')).toBe('all');
    expect(parseIcePolicy(null)).toBe('all');
  });
});

describe('parseResolution', () => {
  it('parses WxH and well-known heights', () => {
    expect(parseResolution('320x240')).toEqual({ width: 320, height: 240 });
    expect(parseResolution('640*480')).toEqual({ width: 640, height: 480 });
    expect(parseResolution('720p')).toEqual({ width: 1280, height: 720 });
    expect(parseResolution('240')).toEqual({ width: 320, height: 240 });
    expect(parseResolution('9999x10')).toBeUndefined();
    expect(parseResolution('abc')).toBeUndefined();
    expect(parseResolution(null)).toBeUndefined();
  });
});

describe('inviteLink', () => {
  it('links into the room without name or secret', () => {
    expect(inviteLink('https://call.example', 'team-1')).toBe('https://call.example/?room=team-1');
  });
});
