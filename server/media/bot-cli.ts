/**
 * `npm run bot -- --url ws://HOST:PORT/ws --room R [--name N] [--source testsrc|FILE]
 *   [--codec jpeg|bgra] [--res 640x480] [--fps 30] [--seconds N] [--quality 75] [--secret S]
 *   [--count N] [--audio tone|FILE | --no-audio] [--receive [--transcode]]`
 *
 * A synthetic participant: streams a test pattern or a file into a room, or (`--receive`)
 * only receives and reports frames, fps and latency (video and audio apart). Prints one JSON line per second and a
 * JSON summary at the end; exits 0 when done, 1 on a failure (e.g. ffmpeg's error).
 */
import { parseArgs } from 'node:util';
import { ReceiverBot, type ReceiverReport } from './receiver-bot.ts';
import { SenderBot, type SenderBotStats } from './sender-bot.ts';

const USAGE = `usage: npm run bot -- --url ws://HOST:PORT/ws --room ROOM [options]
  --name N            display name (default bot; with --count, N-1, N-2, …)
  --source S          testsrc | testsrc2 | smptebars | a video file (looped) (default testsrc)
  --codec C           jpeg | bgra (default jpeg)
  --res WxH           frame size (default 640x480)
  --fps F             frames per second (default 30)
  --quality Q         JPEG quality 1..100 (default 75)
  --seconds N         stop after N seconds (default: run until Ctrl-C)
  --secret S          room secret
  --count N           run N bots in this process (default 1)
  --audio A           also send Opus audio: tone (1 kHz, 200 ms every second) | an audio file (looped)
  --no-audio          video only (the default)
  --audio-bitrate B   Opus bitrate, bit/s (default 32000)
  --receive           receive only: report frames, fps, latency, and audio packets, missing ones and latency
  --transcode         with --receive: ask the relay for JPEG from BGRA senders`;

function fail(message: string): never {
  process.stderr.write(`${message}\n${USAGE}\n`);
  process.exit(2);
}

function number(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) fail(`--${name} must be a non-negative number [${name}:${value}]`);
  return n;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      url: { type: 'string' },
      room: { type: 'string' },
      name: { type: 'string', default: 'bot' },
      source: { type: 'string', default: 'testsrc' },
      codec: { type: 'string', default: 'jpeg' },
      res: { type: 'string', default: '640x480' },
      fps: { type: 'string' },
      quality: { type: 'string' },
      seconds: { type: 'string' },
      secret: { type: 'string' },
      count: { type: 'string' },
      audio: { type: 'string' },
      'no-audio': { type: 'boolean', default: false },
      'audio-bitrate': { type: 'string' },
      receive: { type: 'boolean', default: false },
      transcode: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  if (values.url === undefined || values.room === undefined) fail('--url and --room are required');
  const res = /^(\d+)x(\d+)$/.exec(values.res);
  if (res === null) fail(`--res must be WIDTHxHEIGHT [res:${values.res}]`);
  if (values.codec !== 'jpeg' && values.codec !== 'bgra') fail(`--codec must be jpeg or bgra [codec:${values.codec}]`);
  if (values.audio !== undefined && values['no-audio']) fail('--audio and --no-audio exclude each other');
  if (values.audio === '') fail('--audio must be tone or a file path');
  const count = number('count', values.count, 1);
  const seconds = number('seconds', values.seconds, 0);
  const nameOf = (i: number): string => (count > 1 ? `${values.name}-${i + 1}` : values.name);
  const join = { url: values.url, room: values.room, secret: values.secret };

  if (values.receive) {
    const bots = Array.from({ length: count }, (_, i) => new ReceiverBot({ ...join, name: nameOf(i), transcode: values.transcode }));
    await Promise.all(bots.map((b) => b.ready));
    const report = (): void => {
      for (const bot of bots) print({ event: 'report', ...summary(bot.report()) });
    };
    const timer = setInterval(report, 1000);
    await runUntil(seconds);
    clearInterval(timer);
    for (const bot of bots) print({ event: 'done', ...summary(await bot.close()) });
    return;
  }

  const bots = Array.from(
    { length: count },
    (_, i) =>
      new SenderBot({
        ...join,
        name: nameOf(i),
        source: values.source,
        codec: values.codec as 'jpeg' | 'bgra',
        width: Number(res[1]),
        height: Number(res[2]),
        fps: number('fps', values.fps, 30),
        quality: values.quality === undefined ? undefined : number('quality', values.quality, 75),
        seconds,
        audio: values['no-audio'] ? undefined : values.audio,
        audioBitrate: values['audio-bitrate'] === undefined ? undefined : number('audio-bitrate', values['audio-bitrate'], 32000),
      }),
  );
  const timer = setInterval(() => {
    for (const bot of bots) print({ event: 'stats', peerId: bot.peerId, ...bot.stats });
  }, 1000);
  const stopOnSignal = (): void => void Promise.all(bots.map((b) => b.close()));
  process.once('SIGINT', stopOnSignal);
  process.once('SIGTERM', stopOnSignal);
  try {
    const results = await Promise.all(bots.map((b) => b.done));
    results.forEach((stats: SenderBotStats, i) => print({ event: 'done', peerId: bots[i]!.peerId, ...stats }));
  } finally {
    clearInterval(timer);
    await Promise.all(bots.map((b) => b.close()));
  }
}

function summary(report: ReceiverReport): object {
  const round = (n: number): number => Math.round(n * 10) / 10;
  const latency = (l: ReceiverReport['latencyMs']): object | null =>
    l && { mean: round(l.mean), p50: round(l.p50), p95: round(l.p95), max: round(l.max) };
  return {
    peerId: report.peerId,
    frames: report.frames,
    invalid: report.invalid,
    fps: round(report.fps),
    latencyMs: latency(report.latencyMs),
    sources: report.sources,
    audio: report.audio && {
      packets: report.audio.packets,
      missing: report.audio.missing,
      lossPercent: round(report.audio.lossRatio * 100),
      latencyMs: latency(report.audio.latencyMs),
      sources: Object.fromEntries(
        Object.entries(report.audio.sources).map(([id, s]) => [id, { ...s, missingMs: round(s.missingMs), latencyMs: latency(s.latencyMs) }]),
      ),
    },
  };
}

/** Resolves after `seconds` (0 = never), or on SIGINT/SIGTERM. */
function runUntil(seconds: number): Promise<void> {
  return new Promise((resolve) => {
    if (seconds > 0) setTimeout(resolve, seconds * 1000);
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
}

function print(record: object): void {
  process.stdout.write(`${JSON.stringify(record)}\n`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`bot failed: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
