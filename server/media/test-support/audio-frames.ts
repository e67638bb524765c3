/**
 * Audio wire frames for the server/media tests: a 1 kHz tone (`TONE_*` bursts of
 * audio-source.ts) encoded by the bundled ffmpeg's libopus into 20 ms Opus packets, or the
 * same tone as 16-bit PCM made here; each framed with a given seq and captureTime.
 */
import { Codec, decodeFrame, encodeFrame, type Frame } from '../../../codec/index.ts';
import { audioSourceArgs, DEFAULT_AUDIO_BITRATE } from '../audio-source.ts';
import { runFfmpeg } from '../ffmpeg.ts';
import { OggReader } from '../ogg-reader.ts';
import { isOpusHead, isOpusTags } from '../opus-packet.ts';

/** `seconds` of the test tone as 20 ms Opus packets (48 kHz mono), headers skipped. */
export async function opusTonePackets(seconds: number): Promise<Uint8Array[]> {
  const args = audioSourceArgs('tone', DEFAULT_AUDIO_BITRATE, false);
  // The tone source is endless: stop it after `seconds` of input.
  const at = args.indexOf('-c:a');
  const ogg = await runFfmpeg([...args.slice(0, at), '-t', String(seconds), ...args.slice(at)]);
  const reader = new OggReader();
  const packets = reader.push(ogg).map((p) => p.data);
  reader.end();
  return packets.filter((p) => !isOpusHead(p) && !isOpusTags(p));
}

/** An Opus wire frame (48 kHz mono, 960 samples). */
export function opusFrame(packet: Uint8Array, seq: number, captureTime: number): Frame {
  return decodeFrame(encodeFrame({ codec: Codec.opus, width: 48000, height: 1, samples: 960, payload: packet, seq, captureTime }));
}

/** 20 ms of the tone as PCM s16le at `sampleRate`, mono: the `index`-th frame of the stream. */
export function pcmToneFrame(index: number, seq: number, captureTime: number, sampleRate = 16000): Frame {
  const samples = sampleRate / 50;
  const payload = new Uint8Array(samples * 2);
  const view = new DataView(payload.buffer);
  for (let i = 0; i < samples; i++) {
    const t = (index * samples + i) / sampleRate;
    const on = t % 1 < 0.2;
    view.setInt16(i * 2, on ? Math.round(16000 * Math.sin(2 * Math.PI * 1000 * t)) : 0, true); // s16 little-endian
  }
  return decodeFrame(encodeFrame({ codec: Codec.pcm, width: sampleRate, height: 1, samples, payload, seq, captureTime }));
}

/**
 * Where the tone's bursts begin in the first audio stream of a media file, ms on the file's
 * timeline: the audio is decoded, padded from file time 0 (`aresample first_pts=0`, with the
 * file's own timestamps), and an onset is a sample above ~0.09 full scale after ≥ 100 ms of
 * quiet.
 */
export async function toneOnsetsMs(path: string): Promise<number[]> {
  const rate = 48000;
  const pcm = await runFfmpeg(['-copyts', '-i', path, '-map', '0:a:0', '-af', `aresample=${rate}:async=1:first_pts=0`, '-ac', '1', '-f', 's16le', 'pipe:1']);
  const view = new DataView(pcm.buffer, pcm.byteOffset, pcm.byteLength);
  const onsets: number[] = [];
  let loudAt = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < pcm.byteLength / 2; i++) {
    if (Math.abs(view.getInt16(i * 2, true)) < 3000) continue; // s16 little-endian
    if (i - loudAt > rate / 10) onsets.push((i * 1000) / rate);
    loudAt = i;
  }
  return onsets;
}
