/**
 * PCM payload conversion (docs/protocol.md › Wire format v1: signed 16-bit LITTLE-endian,
 * channels interleaved). Pure: no DOM, no Node.
 */

/** Float samples (−1..1, clipped) → s16le bytes, mono. */
export function floatToS16le(samples: Float32Array): Uint8Array {
  const out = new Uint8Array(samples.length * 2);
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  for (let i = 0; i < samples.length; i++) {
    const s = Math.max(-1, Math.min(1, samples[i]!));
    view.setInt16(i * 2, Math.round(s < 0 ? s * 0x8000 : s * 0x7fff), true); // little-endian
  }
  return out;
}

/** s16le interleaved bytes of `channels` channels → mono float samples (channels averaged). */
export function s16leToFloat(bytes: Uint8Array, channels = 1): Float32Array {
  if (channels < 1 || !Number.isInteger(channels)) throw new TypeError(`channels must be a positive integer [channels:${channels}]`);
  const frames = Math.floor(bytes.byteLength / (2 * channels));
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Float32Array(frames);
  for (let i = 0; i < frames; i++) {
    let sum = 0;
    for (let c = 0; c < channels; c++) sum += view.getInt16((i * channels + c) * 2, true) / 0x8000; // little-endian
    out[i] = sum / channels;
  }
  return out;
}
