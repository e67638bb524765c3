/**
 * The audio lab page: microphone → AudioSender → (wire bytes, decoded with decodeFrame, with
 * optional artificial jitter/loss) → AudioReceiver, all in one page, with taps on the
 * capture and the playout. Driven by web/pipeline/audio/audio-pipeline.e2e.test.ts through
 * `window.audioLab`; `?codec=auto|opus|pcm&jitter=MS&loss=FRACTION`.
 */
import { decodeFrame, setSourceId } from '../codec/index.ts';
import {
  AudioReceiver,
  AudioSender,
  createAudioTap,
  openMicrophone,
  type AudioCodecName,
  type AudioSenderStats,
  type AudioSourceStats,
  type AudioTap,
  type AudioTapRecording,
} from './pipeline/audio/index.ts';

/** The source id the lab stamps (the relay would). */
const SOURCE_ID = 1;

/** What the lab exposes on `window.audioLab`. */
export interface AudioLab {
  /** Opens the microphone and starts the loop; resolves once the playout tap runs. */
  start(): Promise<{ codec: AudioCodecName; sampleRate: number }>;
  /** Both recordings, samples as plain arrays. */
  read(): { capture: TapDump; playout: TapDump };
  stats(): { sender: AudioSenderStats; receiver: AudioSourceStats | null; delayMs: number | null; senderLevel: number; receiverLevel: number | null };
  setMuted(muted: boolean): void;
  /** The last 500 frames sent: seq, captureTime, local wall time when sent, bytes. */
  sent(): { seq: number; captureTime: number; sentAt: number; bytes: number }[];
}

/** A tap recording with its samples as an array (through playwright). */
export type TapDump = Omit<AudioTapRecording, 'samples'> & { samples: number[] };

declare global {
  interface Window {
    audioLab: AudioLab;
  }
}

const params = new URLSearchParams(location.search);
const codecParam = params.get('codec') ?? 'auto';
const jitterMs = Number(params.get('jitter') ?? 0);
const loss = Number(params.get('loss') ?? 0);

let sender: AudioSender | null = null;
let receiver: AudioReceiver | null = null;
let captureTap: AudioTap | null = null;
let playoutTap: AudioTap | null = null;
const sentLog: { seq: number; captureTime: number; sentAt: number; bytes: number }[] = [];

function dump(tap: AudioTap | null): TapDump {
  const recording = tap?.read() ?? { sampleRate: 0, startTime: Number.NaN, samples: new Float32Array(0) };
  return { sampleRate: recording.sampleRate, startTime: recording.startTime, samples: Array.from(recording.samples) };
}

async function start(): Promise<{ codec: AudioCodecName; sampleRate: number }> {
  if (sender !== null) return { codec: sender.codec, sampleRate: 48000 };
  const context = new AudioContext({ sampleRate: 48000, latencyHint: 'interactive' });
  await context.resume();
  const stream = await openMicrophone();
  receiver = await AudioReceiver.create({ context, clockOffset: () => 0 });
  const rx = receiver;
  let seq = 0;
  sender = await AudioSender.create({
    context,
    stream,
    codec: codecParam === 'opus' || codecParam === 'pcm' ? codecParam : 'auto',
    nextSeq: () => seq++,
    clockOffset: () => 0,
    send: (bytes) => {
      if (loss > 0 && Math.random() < loss) return 'sent'; // lost on the way
      const copy = bytes.slice();
      setSourceId(copy, SOURCE_ID);
      const frame = decodeFrame(copy);
      sentLog.push({ seq: frame.seq, captureTime: frame.captureTime, sentAt: performance.timeOrigin + performance.now(), bytes: copy.byteLength });
      if (sentLog.length > 500) sentLog.shift();
      const deliver = (): void => rx.push(decodeFrame(copy));
      if (jitterMs > 0) setTimeout(deliver, Math.random() * jitterMs);
      else deliver();
      return 'sent';
    },
  });
  captureTap = await createAudioTap(context, context.createMediaStreamSource(stream), 10, { timing: 'captured' });
  for (let i = 0; i < 200 && rx.output(SOURCE_ID) === null; i++) await new Promise((r) => setTimeout(r, 10));
  const output = rx.output(SOURCE_ID);
  if (output === null) throw new Error('no audio came through the loop in 2 s');
  playoutTap = await createAudioTap(context, output, 10);
  return { codec: sender.codec, sampleRate: context.sampleRate };
}

window.audioLab = {
  start,
  read: () => ({ capture: dump(captureTap), playout: dump(playoutTap) }),
  stats: () => ({
    sender: sender!.stats(),
    receiver: receiver?.stats(SOURCE_ID) ?? null,
    delayMs: receiver?.playoutDelayMs(SOURCE_ID) ?? null,
    senderLevel: sender?.level() ?? 0,
    receiverLevel: receiver?.level(SOURCE_ID) ?? null,
  }),
  setMuted: (muted) => sender?.setMuted(muted),
  sent: () => sentLog.slice(),
};

const button = document.getElementById('start');
const pre = document.getElementById('stats');
button?.addEventListener('click', () => {
  void start().then(() => {
    setInterval(() => {
      if (pre !== null) pre.textContent = JSON.stringify(window.audioLab.stats(), null, 2);
    }, 500);
  });
});
