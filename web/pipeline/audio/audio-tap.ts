/**
 * Records what a node outputs, for tests and benches: the capture processor in 50 ms blocks,
 * kept on the main thread in a ring of `maxSeconds`, each sample with its LOCAL wall time —
 * when it is heard (a playout), or when it was captured (a microphone source, `timing: 'captured'`:
 * the same mapping the sender stamps packets with).
 */
import { AudioPipelineError } from './audio-pipeline-error.ts';
import { DEFAULT_INPUT_LATENCY_MS } from './audio-sender.ts';
import { ContextClock } from './context-clock.ts';
import { createCaptureNode, loadAudioWorklets } from './worklets.ts';
import { type CaptureCommand, type CapturedBlock } from './worklet-messages.ts';

/** What a tap has recorded. */
export interface AudioTapRecording {
  /** The context's rate, Hz. */
  sampleRate: number;
  /** LOCAL wall clock (performance.timeOrigin + now basis) of samples[0], ms. */
  startTime: number;
  /** Mono, oldest first, contiguous (gaps filled with zeros). */
  samples: Float32Array;
}

/** A running recording. */
export interface AudioTap {
  read(): AudioTapRecording;
  /** Safe to call twice. */
  close(): void;
}

/** Options of `createAudioTap`. */
export interface AudioTapOptions {
  /**
   * Which instant `startTime` names: 'heard' (when the sample comes out of the speaker — for
   * playouts) or 'captured' (when a microphone took it: processing time − input latency). Default 'heard'.
   */
  timing?: 'heard' | 'captured';
  /** Input latency for 'captured', ms. Default the track's, or 10. */
  inputLatencyMs?: number;
}

/** Starts recording `node`'s output (mixed to mono), keeping the last `maxSeconds`. */
export async function createAudioTap(context: AudioContext, node: AudioNode, maxSeconds: number, options: AudioTapOptions = {}): Promise<AudioTap> {
  if (!(maxSeconds > 0)) throw AudioPipelineError.badOptions(`maxSeconds must be > 0 [maxSeconds:${maxSeconds}]`);
  await loadAudioWorklets(context);
  const rate = context.sampleRate;
  const clock = ContextClock.of(context);
  const ring = new Float32Array(Math.ceil(maxSeconds * rate));
  let written = 0; // samples recorded since the first block
  let firstFrame = Number.NaN;
  const tap = createCaptureNode(context, Math.round(rate / 20));
  const sink = context.createGain();
  sink.gain.value = 0;
  node.connect(tap);
  tap.connect(sink);
  sink.connect(context.destination);
  let inputLatency = options.inputLatencyMs;
  if (inputLatency === undefined && node instanceof MediaStreamAudioSourceNode) {
    const settings = node.mediaStream.getAudioTracks()[0]?.getSettings() as { latency?: unknown } | undefined;
    const latency = settings?.latency; // Chrome reports it (s); not in TypeScript's DOM types
    inputLatency = typeof latency === 'number' && latency >= 0 && latency < 1 ? latency * 1000 : DEFAULT_INPUT_LATENCY_MS;
  }
  const wallOf = (frame: number): number =>
    options.timing === 'captured' ? clock.renderedWall(frame / rate) - (inputLatency ?? DEFAULT_INPUT_LATENCY_MS) : clock.heardWall(frame / rate);
  const put = (samples: Float32Array, at: number): void => {
    for (let i = 0; i < samples.length; i++) ring[(at + i) % ring.length] = samples[i]!;
  };
  let closed = false;
  tap.port.onmessage = (event: MessageEvent<CapturedBlock>) => {
    const block = event.data;
    if (!closed) {
      if (Number.isNaN(firstFrame)) firstFrame = block.startFrame;
      const at = block.startFrame - firstFrame;
      if (at > written) put(new Float32Array(Math.min(at - written, ring.length)), written); // a gap: zeros
      put(block.samples, at);
      written = Math.max(written, at + block.samples.length);
    }
    const recycle: CaptureCommand = { type: 'recycle', samples: block.samples };
    tap.port.postMessage(recycle, [block.samples.buffer]);
  };
  return {
    read(): AudioTapRecording {
      const count = Math.min(written, ring.length);
      const start = written - count;
      const samples = new Float32Array(count);
      for (let i = 0; i < count; i++) samples[i] = ring[(start + i) % ring.length]!;
      return { sampleRate: rate, startTime: Number.isNaN(firstFrame) ? Number.NaN : wallOf(firstFrame + start), samples };
    },
    close(): void {
      if (closed) return;
      closed = true;
      const close: CaptureCommand = { type: 'close' };
      tap.port.postMessage(close);
      node.disconnect(tap);
      tap.disconnect();
      sink.disconnect();
    },
  };
}
