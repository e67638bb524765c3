/**
 * What a video file holds, found with ffmpeg alone (`@ffmpeg-installer/ffmpeg` ships no
 * ffprobe): the container duration and the first video stream from ffmpeg's input banner,
 * and the frame count by decoding every frame (`-f framemd5`, one line per frame).
 */
import { spawnFfmpeg } from './ffmpeg.ts';

/** The first video stream of a file. */
export interface VideoProbe {
  /** Codec name as ffmpeg prints it, e.g. `h264`. */
  codec: string;
  width: number;
  height: number;
  /** Frames decoded. */
  frames: number;
  /** Container duration in seconds. */
  durationSeconds: number;
}

/** Decodes `path` and reports its first video stream. Rejects with `FfmpegError` if ffmpeg cannot read it. */
export async function probeVideo(path: string): Promise<VideoProbe> {
  const child = spawnFfmpeg({
    logLevel: 'info',
    args: ['-nostats', '-i', path, '-map', '0:v:0', '-vsync', 'passthrough', '-f', 'framemd5', 'pipe:1'],
  });
  let out = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (text: string) => {
    out += text;
  });
  await child.done;
  const banner = child.stderrTail;
  const duration = /Duration: (\d+):(\d+):(\d+(?:\.\d+)?)/.exec(banner);
  const stream = /Stream #\d+:\d+[^:]*: Video: (\w+)[^\n]*?, (\d+)x(\d+)/.exec(banner);
  if (duration === null || stream === null) throw new Error(`cannot read ffmpeg's description of ${path}: ${banner}`);
  return {
    codec: stream[1]!,
    width: Number(stream[2]),
    height: Number(stream[3]),
    frames: out.split('\n').filter((line) => line !== '' && !line.startsWith('#')).length,
    durationSeconds: Number(duration[1]) * 3600 + Number(duration[2]) * 60 + Number(duration[3]),
  };
}

/** A stream of a file, from its decoded frames. */
export interface StreamProbe {
  /** Codec name as ffmpeg prints it, e.g. `h264`, `aac`. */
  codec: string;
  /** Frames decoded. */
  frames: number;
  /** Presentation time of the first decoded frame, s, on the file's own timeline (`-copyts`). */
  startSeconds: number;
  /** Presentation time of the last decoded frame, s. */
  lastSeconds: number;
}

/** The first audio stream of a file. */
export interface AudioStreamProbe extends StreamProbe {
  sampleRate: number;
  channels: number;
  /** Samples decoded (per channel). */
  samples: number;
  /** samples ÷ sample rate, s. */
  durationSeconds: number;
}

/** What a file holds, stream by stream. */
export interface MediaProbe {
  /** Container duration in seconds. */
  durationSeconds: number;
  video: (StreamProbe & { width: number; height: number }) | null;
  audio: AudioStreamProbe | null;
}

/** stderr kept for `probeMedia`: one showinfo line per decoded frame. */
const PROBE_STDERR_BYTES = 16 * 1024 * 1024;

/**
 * Decodes the first video and first audio stream of `path` and reports when their frames
 * are presented (ffmpeg's `showinfo` / `ashowinfo` filters, timestamps as in the file), so
 * a test can check the two streams' start offset and the audio's length. Rejects with
 * `FfmpegError` if ffmpeg cannot read the file.
 */
export async function probeMedia(path: string): Promise<MediaProbe> {
  const first = spawnFfmpeg({ logLevel: 'info', args: ['-i', path] });
  await first.done.catch(() => undefined); // "At least one output file must be specified": the banner is what we want
  const banner = first.stderrTail;
  const duration = /Duration: (\d+):(\d+):(\d+(?:\.\d+)?)/.exec(banner);
  if (duration === null) throw new Error(`cannot read ffmpeg's description of ${path}: ${banner}`);
  const videoStream = /Stream #\d+:\d+[^:]*: Video: (\w+)[^\n]*?, (\d+)x(\d+)/.exec(banner);
  const audioStream = /Stream #\d+:\d+[^:]*: Audio: (\w+)[^\n]*?, (\d+) Hz, (mono|stereo|\d+ channels)/.exec(banner);
  const maps: string[] = [];
  if (videoStream !== null) maps.push('-map', '0:v:0', '-vf', 'showinfo');
  if (audioStream !== null) maps.push('-map', '0:a:0', '-af', 'ashowinfo');
  const child = spawnFfmpeg({
    logLevel: 'info',
    stderrTailBytes: PROBE_STDERR_BYTES,
    args: ['-nostats', '-copyts', '-i', path, ...maps, '-f', 'null', '-'],
  });
  await child.done;
  const lines = child.stderrTail.split('\n');
  const times = (filter: RegExp): { pts: number[]; samples: number } => {
    const pts: number[] = [];
    let samples = 0;
    for (const line of lines) {
      if (!filter.test(line)) continue;
      const time = /pts_time:\s*(-?[\d.e+-]+)/.exec(line);
      if (time === null) continue;
      pts.push(Number(time[1]));
      const n = /nb_samples:(\d+)/.exec(line);
      if (n !== null) samples += Number(n[1]);
    }
    return { pts, samples };
  };
  const seconds = Number(duration[1]) * 3600 + Number(duration[2]) * 60 + Number(duration[3]);
  let video: MediaProbe['video'] = null;
  if (videoStream !== null) {
    const { pts } = times(/\[Parsed_showinfo_\d+ @/);
    video = { codec: videoStream[1]!, width: Number(videoStream[2]), height: Number(videoStream[3]), frames: pts.length, startSeconds: pts[0] ?? NaN, lastSeconds: pts.at(-1) ?? NaN };
  }
  let audio: MediaProbe['audio'] = null;
  if (audioStream !== null) {
    const { pts, samples } = times(/\[Parsed_ashowinfo_\d+ @/);
    const sampleRate = Number(audioStream[2]);
    const layout = audioStream[3]!;
    const channels = layout === 'mono' ? 1 : layout === 'stereo' ? 2 : Number.parseInt(layout, 10);
    audio = { codec: audioStream[1]!, sampleRate, channels, frames: pts.length, samples, durationSeconds: samples / sampleRate, startSeconds: pts[0] ?? NaN, lastSeconds: pts.at(-1) ?? NaN };
  }
  return { durationSeconds: seconds, video, audio };
}
