import { describe, expect, it } from 'vitest';
import { VOICE_OPUS_FMTP, withOpusFmtp } from './opus-sdp.ts';

/** The audio section of a Chromium offer, trimmed: Opus (111) with its fmtp, and red (63) whose fmtp names Opus. */
const AUDIO = [
  'v=0',
  'm=audio 9 UDP/TLS/RTP/SAVPF 111 63 0',
  'a=rtpmap:111 opus/48000/2',
  'a=rtcp-fb:111 transport-cc',
  'a=fmtp:111 minptime=10;useinbandfec=1',
  'a=rtpmap:63 red/48000/2',
  'a=fmtp:63 111/111',
  'a=rtpmap:0 PCMU/8000',
  '',
].join('\r\n');

describe('withOpusFmtp', () => {
  it('sets the voice parameters on the Opus fmtp line and keeps the others', () => {
    const out = withOpusFmtp(AUDIO, VOICE_OPUS_FMTP);
    expect(out.split('\r\n')).toContain('a=fmtp:111 minptime=10;useinbandfec=1;stereo=0;usedtx=1');
    // red's fmtp (its payload list) and everything else is untouched.
    expect(out.split('\r\n')).toContain('a=fmtp:63 111/111');
    expect(out.replace('a=fmtp:111 minptime=10;useinbandfec=1;stereo=0;usedtx=1', 'a=fmtp:111 minptime=10;useinbandfec=1')).toBe(AUDIO);
  });

  it('overwrites a parameter already there instead of repeating it', () => {
    const out = withOpusFmtp(AUDIO.replace('useinbandfec=1', 'useinbandfec=0;stereo=1'), VOICE_OPUS_FMTP);
    expect(out).toContain('a=fmtp:111 minptime=10;useinbandfec=1;stereo=0;usedtx=1\r\n');
  });

  it('adds an fmtp line after the rtpmap when Opus has none', () => {
    const bare = AUDIO.replace('a=fmtp:111 minptime=10;useinbandfec=1\r\n', '');
    const lines = withOpusFmtp(bare, { usedtx: 1 }).split('\r\n');
    expect(lines[lines.indexOf('a=rtpmap:111 opus/48000/2') + 1]).toBe('a=fmtp:111 usedtx=1');
  });

  it('leaves SDP without Opus alone, and keeps \\n line endings', () => {
    const video = 'v=0\nm=video 9 UDP/TLS/RTP/SAVPF 96\na=rtpmap:96 VP8/90000\n';
    expect(withOpusFmtp(video, VOICE_OPUS_FMTP)).toBe(video);
    expect(withOpusFmtp(AUDIO.replaceAll('\r\n', '\n'), { usedtx: 1 })).toContain('a=fmtp:111 minptime=10;useinbandfec=1;usedtx=1\n');
  });
});
