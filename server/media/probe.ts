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
