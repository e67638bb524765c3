import { describe, expect, it } from 'vitest';
import { modeMismatchNotice, modesCompatible } from './mode-notice.ts';

describe('mode notice', () => {
  it('lets raw modes mix and WebRTC talk to WebRTC', () => {
    expect(modesCompatible('jpeg', 'bgra')).toBe(true);
    expect(modesCompatible('webrtc', 'webrtc')).toBe(true);
    expect(modesCompatible('jpeg', 'webrtc')).toBe(false);
    expect(modeMismatchNotice('jpeg', 'bgra', 'Ann')).toBeNull();
  });

  it('explains a raw/WebRTC mismatch from both sides', () => {
    expect(modeMismatchNotice('jpeg', 'webrtc', 'Bob')).toBe(
      'Bob is in WebRTC mode and you are in raw jpeg mode: no video between these modes (switch to webrtc to see each other).',
    );
    expect(modeMismatchNotice('webrtc', 'bgra', 'Ann')).toBe(
      'Ann is in raw bgra mode and you are in WebRTC mode: no video between these modes (switch to jpeg or bgra to see each other).',
    );
  });
});
