/**
 * `npm run bench:codec` — the wire format's hot paths, each beside a baseline measured in
 * the same run:
 * - header encode + decode, ns/frame (`encodeFrameInto` into a reused buffer + `decodeFrame`,
 *   16-byte payload); target < 100 ns;
 * - `FrameReader` MB/s over a stream cut into 64 KiB chunks (640×480 BGRA frames, which always
 *   span chunks, and 50 KB JPEG-like frames), beside copying the same chunks with `set()`;
 * - swizzle (`rgbaToBgra`) GB/s at 640×480 and 1280×720, aligned and with an unaligned source,
 *   beside a `Uint8Array.set` copy of the same bytes and a byte-by-byte loop; target ≥ 2 GB/s.
 *
 * Every case checks its own output (frames counted and identified, swizzled bytes compared
 * with a reference) and the bench exits 1 if a check fails. Medians of the repeats are
 * reported. Flags: `--quick` (a few seconds, used by bench/all.ts), `--smoke` (well under a
 * second, for the test suite), `--results-dir DIR` (default bench/results).
 * Output: RESULTS/codec.json, RESULTS/codec.md, the table on stdout.
 */
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { Codec, decodeFrame, encodeFrame, encodeFrameInto, encodedLength, FrameReader, rgbaToBgra, type FrameInit } from '../codec/index.ts';
import { benchEnv, describeEnv, DEFAULT_RESULTS_DIR, writeResults, type BenchEnv, benchMode, runIfMain, type BenchMode } from './env.ts';
import { fixed, markdownTable, failuresMarkdown } from './table.ts';
import { summarize } from '../web/stats/percentile.ts';

/** Header encode + decode must stay under this, ns per frame. */
export const TARGET_HEADER_NS = 100;
/** Swizzle must reach at least this, GB/s (10^9 bytes/s). */
export const TARGET_SWIZZLE_GBPS = 2;
/** Chunk size fed to `FrameReader`, bytes. */
export const READER_CHUNK_BYTES = 64 * 1024;

/** How long each measurement runs, per mode. */
export interface CodecBenchTiming {
  /** Samples per case; the median is reported. */
  repeats: number;
  /** Minimum duration of one sample, ms. */
  sampleMs: number;
  /** 640×480 BGRA frames in the reader's BGRA stream. */
  bgraFrames: number;
  /** 50 KB frames in the reader's JPEG stream. */
  jpegFrames: number;
}

/** Timings of `--smoke`, `--quick` and the default run. */
export const MODES: Record<BenchMode, CodecBenchTiming> = {
  smoke: { repeats: 1, sampleMs: 5, bgraFrames: 3, jpegFrames: 20 },
  quick: { repeats: 5, sampleMs: 80, bgraFrames: 10, jpegFrames: 200 },
  full: { repeats: 11, sampleMs: 250, bgraFrames: 20, jpegFrames: 500 },
};

/** One measured case: the median and the spread of its samples. */
export interface Measure {
  /** Median over the samples (CPU time based). */
  median: number;
  min: number;
  max: number;
  samples: number[];
  /** Median of the same samples measured in wall-clock time. */
  wallMedian: number;
}

export interface HeaderResult {
  payloadBytes: number;
  encodeNs: Measure;
  decodeNs: Measure;
  encodeDecodeNs: Measure;
  targetNs: number;
  targetMet: boolean;
}

export interface ReaderResult {
  stream: string;
  frames: number;
  streamBytes: number;
  chunkBytes: number;
  /** Frames the reader had to copy because they spanned chunks. */
  framesCopied: number;
  readerMBps: Measure;
  copyMBps: Measure;
  /** Reader throughput / plain copy throughput. */
  ratio: number;
}

export interface SwizzleResult {
  size: string;
  bytes: number;
  alignedGBps: Measure;
  unalignedGBps: Measure;
  byteLoopGBps: Measure;
  copyGBps: Measure;
  /** Aligned swizzle / `set` copy. */
  ratioToCopy: number;
  /** Aligned swizzle / byte loop. */
  ratioToByteLoop: number;
  targetGBps: number;
  targetMet: boolean;
}

export interface CodecBenchResult {
  env: BenchEnv;
  mode: keyof typeof MODES;
  timing: CodecBenchTiming;
  header: HeaderResult;
  reader: ReaderResult[];
  swizzle: SwizzleResult[];
  /** Output checks that failed; empty when the bench is valid. */
  failures: string[];
}

/** CPU time this process has used, ms (user + system). */
function cpuMs(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1000;
}

/** Wall-clock ns per unit of the last `nsPerUnit` call (reported beside the CPU figure in the JSON). */
let lastWallNs = 0;

/**
 * Runs `batch` (which processes `units` things) repeatedly for at least `minMs` of CPU time;
 * returns CPU ns per unit. CPU time, not wall time: on a shared machine other processes
 * stretch wall time by several times, while the code under test runs on one thread.
 */
function nsPerUnit(batch: () => void, units: number, minMs: number): number {
  let iterations = 0;
  const wallStart = performance.now();
  const cpuStart = cpuMs();
  let elapsed = 0;
  do {
    batch();
    iterations++;
    elapsed = cpuMs() - cpuStart;
  } while (elapsed < minMs);
  lastWallNs = ((performance.now() - wallStart) * 1e6) / (iterations * units);
  return (elapsed * 1e6) / (iterations * units);
}

/** `repeats` samples after one warm-up sample; `wall` holds the same statistic from wall-clock time. */
function measure(repeats: number, sample: () => number, convert: (ns: number) => number = (ns) => ns): Measure {
  sample(); // warm-up: let the JIT settle
  const samples: number[] = [];
  const wall: number[] = [];
  for (let i = 0; i < repeats; i++) {
    samples.push(convert(sample()));
    wall.push(convert(lastWallNs));
  }
  const stats = (values: number[]) => {
    const { p50, min, max } = summarize(values);
    return { median: p50, min, max };
  };
  return { ...stats(samples), samples, wallMedian: stats(wall).median };
}

function pseudoRandomBytes(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  const words = new Uint32Array(out.buffer, 0, n >>> 2);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < words.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    words[i] = x;
  }
  return out;
}

function benchHeader(timing: CodecBenchTiming, failures: string[]): HeaderResult {
  const payload = pseudoRandomBytes(16, 1);
  payload.set([0xff, 0xd8], 0);
  const init: FrameInit = { codec: Codec.jpeg, width: 640, height: 480, seq: 0, captureTime: 1763740000000.25, payload };
  const target = new Uint8Array(encodedLength(init));
  const batch = 10_000;
  let sink = 0;

  const encodeDecode = (): void => {
    for (let i = 0; i < batch; i++) {
      init.seq = i;
      encodeFrameInto(init, target, 0);
      sink += decodeFrame(target).seq;
    }
  };
  const encode = (): void => {
    for (let i = 0; i < batch; i++) {
      init.seq = i;
      sink += encodeFrameInto(init, target, 0);
    }
  };
  const frame = encodeFrame(init);
  const decode = (): void => {
    for (let i = 0; i < batch; i++) sink += decodeFrame(frame).width;
  };

  // Output check: one batch must have decoded exactly the seqs it encoded.
  sink = 0;
  encodeDecode();
  const expected = (batch * (batch - 1)) / 2;
  if (sink !== expected) failures.push(`header: decoded seq sum ${sink}, expected ${expected}`);
  const decoded = decodeFrame(target);
  if (decoded.captureTime !== init.captureTime || decoded.payload.byteLength !== 16) failures.push('header: round trip broken');

  const encodeDecodeNs = measure(timing.repeats, () => nsPerUnit(encodeDecode, batch, timing.sampleMs));
  const encodeNs = measure(timing.repeats, () => nsPerUnit(encode, batch, timing.sampleMs));
  const decodeNs = measure(timing.repeats, () => nsPerUnit(decode, batch, timing.sampleMs));
  if (!Number.isFinite(sink)) failures.push('header: sink not finite');
  return {
    payloadBytes: payload.byteLength,
    encodeNs,
    decodeNs,
    encodeDecodeNs,
    targetNs: TARGET_HEADER_NS,
    targetMet: encodeDecodeNs.median < TARGET_HEADER_NS,
  };
}

function benchReader(name: string, inits: FrameInit[], timing: CodecBenchTiming, failures: string[]): ReaderResult {
  const frames = inits.map((init) => encodeFrame(init));
  const stream = new Uint8Array(frames.reduce((n, f) => n + f.byteLength, 0));
  let offset = 0;
  for (const frame of frames) {
    stream.set(frame, offset);
    offset += frame.byteLength;
  }
  const chunks: Uint8Array[] = [];
  for (let pos = 0; pos < stream.byteLength; pos += READER_CHUNK_BYTES) chunks.push(stream.subarray(pos, pos + READER_CHUNK_BYTES));

  let framesCopied = 0;
  let checked = false;
  const read = (): void => {
    const reader = new FrameReader();
    let count = 0;
    for (const chunk of chunks) {
      for (const frame of reader.push(chunk)) {
        if (!checked) {
          const init = inits[count]!;
          if (frame.seq !== init.seq || frame.byteLength !== frames[count]!.byteLength || frame.width !== init.width) {
            failures.push(`reader ${name}: frame ${count} is not the frame sent`);
          }
          if (frame.payload.buffer !== stream.buffer) framesCopied++;
        }
        count++;
      }
    }
    reader.end();
    if (count !== frames.length) failures.push(`reader ${name}: ${count} frames out, ${frames.length} in`);
    checked = true;
  };
  read(); // checked run

  const copyTarget = new Uint8Array(stream.byteLength);
  const copy = (): void => {
    let at = 0;
    for (const chunk of chunks) {
      copyTarget.set(chunk, at);
      at += chunk.byteLength;
    }
  };
  copy();
  if (copyTarget[stream.byteLength - 1] !== stream[stream.byteLength - 1]) failures.push(`reader ${name}: baseline copy broken`);

  const mbps = (ns: number): number => 1e3 / ns; // ns per byte → 10^6 bytes/s
  const readerMBps = measure(timing.repeats, () => nsPerUnit(read, stream.byteLength, timing.sampleMs), mbps);
  const copyMBps = measure(timing.repeats, () => nsPerUnit(copy, stream.byteLength, timing.sampleMs), mbps);
  return {
    stream: name,
    frames: frames.length,
    streamBytes: stream.byteLength,
    chunkBytes: READER_CHUNK_BYTES,
    framesCopied,
    readerMBps,
    copyMBps,
    ratio: readerMBps.median / copyMBps.median,
  };
}

/** Swap bytes 0 and 2 of every pixel, one byte at a time: the naive baseline. */
function swizzleByteLoop(src: Uint8Array, dst: Uint8Array): void {
  for (let i = 0; i < src.length; i += 4) {
    const r = src[i]!;
    dst[i] = src[i + 2]!;
    dst[i + 1] = src[i + 1]!;
    dst[i + 2] = r;
    dst[i + 3] = src[i + 3]!;
  }
}

function benchSwizzle(width: number, height: number, timing: CodecBenchTiming, failures: string[]): SwizzleResult {
  const bytes = width * height * 4;
  const size = `${width}×${height}`;
  const src = pseudoRandomBytes(bytes, width);
  const unalignedSlab = new Uint8Array(bytes + 4);
  unalignedSlab.set(src, 1);
  const unalignedSrc = unalignedSlab.subarray(1, 1 + bytes);
  const dst = new Uint8Array(bytes);
  const expected = new Uint8Array(bytes);
  swizzleByteLoop(src, expected);

  const check = (what: string): void => {
    if (!Buffer.from(dst.buffer, dst.byteOffset, dst.byteLength).equals(expected)) failures.push(`swizzle ${size} ${what}: wrong bytes`);
    dst.fill(0);
  };
  const gbps = (ns: number): number => 1 / ns; // ns per byte → 10^9 bytes/s
  const sample = (fn: () => void) => () => nsPerUnit(fn, bytes, timing.sampleMs);

  const aligned = (): void => void rgbaToBgra(src, dst);
  const unaligned = (): void => void rgbaToBgra(unalignedSrc, dst);
  const byteLoop = (): void => swizzleByteLoop(src, dst);
  const copy = (): void => dst.set(src);

  const alignedGBps = measure(timing.repeats, sample(aligned), gbps);
  check('aligned');
  const unalignedGBps = measure(timing.repeats, sample(unaligned), gbps);
  check('unaligned source');
  const byteLoopGBps = measure(timing.repeats, sample(byteLoop), gbps);
  check('byte loop');
  const copyGBps = measure(timing.repeats, sample(copy), gbps);
  if (!Buffer.from(dst.buffer).equals(Buffer.from(src.buffer))) failures.push(`swizzle ${size}: baseline copy broken`);
  return {
    size,
    bytes,
    alignedGBps,
    unalignedGBps,
    byteLoopGBps,
    copyGBps,
    ratioToCopy: alignedGBps.median / copyGBps.median,
    ratioToByteLoop: alignedGBps.median / byteLoopGBps.median,
    targetGBps: TARGET_SWIZZLE_GBPS,
    targetMet: Math.min(alignedGBps.median, unalignedGBps.median) >= TARGET_SWIZZLE_GBPS,
  };
}

function bgraStream(count: number): FrameInit[] {
  const payload = pseudoRandomBytes(640 * 480 * 4, 3);
  return Array.from({ length: count }, (_, seq) => ({ codec: Codec.bgra, width: 640, height: 480, seq, captureTime: seq, payload }));
}

function jpegStream(count: number): FrameInit[] {
  // 50 KB "JPEGs": the reader only looks at SOI, so random bytes behind FF D8 will do; sizes vary ±10%.
  const pool = pseudoRandomBytes(56_000, 4);
  pool.set([0xff, 0xd8], 0);
  return Array.from({ length: count }, (_, seq) => ({
    codec: Codec.jpeg,
    width: 640,
    height: 480,
    seq,
    captureTime: seq,
    payload: pool.subarray(0, 45_000 + ((seq * 7919) % 10_000)),
  }));
}

/** Runs every case; writes RESULTS/codec.json and codec.md. */
export async function runCodecBench(options: { mode: keyof typeof MODES; resultsDir?: string }): Promise<CodecBenchResult> {
  const timing = MODES[options.mode];
  const failures: string[] = [];
  const header = benchHeader(timing, failures);
  const reader = [
    benchReader('640×480 BGRA (1.2 MB frames)', bgraStream(timing.bgraFrames), timing, failures),
    benchReader('50 KB JPEG-like', jpegStream(timing.jpegFrames), timing, failures),
  ];
  const swizzle = [benchSwizzle(640, 480, timing, failures), benchSwizzle(1280, 720, timing, failures)];
  const result: CodecBenchResult = { env: benchEnv(), mode: options.mode, timing, header, reader, swizzle, failures };
  await writeResults('codec', result, renderMarkdown(result), options.resultsDir ?? DEFAULT_RESULTS_DIR);
  return result;
}

/** The report: environment line and three tables. */
export function renderMarkdown(result: CodecBenchResult): string {
  const { header, reader, swizzle } = result;
  const spread = (m: Measure, digits: number): string => `${m.min.toFixed(digits)}–${m.max.toFixed(digits)}`;
  return [
    `## Codec (${result.mode})`,
    '',
    describeEnv(result.env),
    '',
    markdownTable(
      ['header (16 B payload)', 'ns/frame', 'spread', `target < ${header.targetNs}`],
      [
        ['encodeFrameInto + decodeFrame', fixed(header.encodeDecodeNs.median, 1), spread(header.encodeDecodeNs, 1), header.targetMet ? 'met' : 'MISSED'],
        ['encodeFrameInto', fixed(header.encodeNs.median, 1), spread(header.encodeNs, 1), ''],
        ['decodeFrame', fixed(header.decodeNs.median, 1), spread(header.decodeNs, 1), ''],
      ],
    ),
    '',
    markdownTable(
      ['FrameReader, 64 KiB chunks', 'frames', 'copied', 'reader MB/s', 'set() copy MB/s', 'ratio'],
      reader.map((r) => [r.stream, r.frames, r.framesCopied, fixed(r.readerMBps.median, 0), fixed(r.copyMBps.median, 0), fixed(r.ratio, 2)]),
    ),
    '',
    markdownTable(
      ['swizzle RGBA→BGRA', 'aligned GB/s', 'unaligned src GB/s', 'byte loop GB/s', 'set() copy GB/s', 'vs copy', 'vs byte loop', `target ≥ ${TARGET_SWIZZLE_GBPS}`],
      swizzle.map((s) => [
        s.size,
        fixed(s.alignedGBps.median, 2),
        fixed(s.unalignedGBps.median, 2),
        fixed(s.byteLoopGBps.median, 2),
        fixed(s.copyGBps.median, 2),
        fixed(s.ratioToCopy, 2),
        fixed(s.ratioToByteLoop, 2),
        s.targetMet ? 'met' : 'MISSED',
      ]),
    ),
    '',
    `Medians of ${result.timing.repeats} samples of ≥ ${result.timing.sampleMs} ms CPU time each (spread = min–max), timed by the process's CPU time so that other load on a shared machine does not count; wall-clock medians are in codec.json. MB/s = 10^6 bytes/s, GB/s = 10^9 bytes/s.`,
    '"copied" = frames that spanned chunks and were reassembled; the rest are zero-copy views of the chunk.',
    ...failuresMarkdown(result.failures),
  ].join('\n');
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      smoke: { type: 'boolean', default: false },
      'results-dir': { type: 'string' },
    },
  });
  const mode = benchMode(values);
  const started = performance.now();
  const result = await runCodecBench({
    mode,
    ...(values['results-dir'] !== undefined ? { resultsDir: values['results-dir'] } : {}),
  });
  console.log(renderMarkdown(result));
  console.error(`codec bench (${mode}) done in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  if (result.failures.length > 0) process.exit(1);
}

runIfMain(import.meta.url, main);
