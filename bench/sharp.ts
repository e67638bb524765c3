/**
 * `npm run bench:sharp` — what a JPEG frame costs in CPU versus what a raw BGRA frame costs
 * in bandwidth: sharp (libvips + mozjpeg library) encoding 640×480 and 1280×720 frames from
 * RGBA input, and from BGRA input including its channel swap (codec `bgraToRgba`), at quality
 * 50/75/90 with and without mozjpeg's encoder settings; beside a raw-copy baseline
 * (`Uint8Array.set` of the same frame, what sending BGRA costs before the socket).
 *
 * The frames are synthetic but camera-like (gradients, shapes, ±6 sensor noise), so sizes are
 * indicative: real scenes vary. Checks its own output: every JPEG has SOI/EOI and the right
 * dimensions, the BGRA path yields byte-identical JPEGs to the RGBA path, the copy is exact.
 *
 * Flags: `--quick` (fewer frames), `--smoke` (a couple of frames per combination, for the test
 * suite), `--results-dir DIR`. Output: RESULTS/sharp.json, RESULTS/sharp.md, the table on stdout.
 */
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import { bgraToRgba, HEADER_BYTES, rgbaToBgra } from '../codec/index.ts';
import { benchEnv, describeEnv, DEFAULT_RESULTS_DIR, writeResults, type BenchEnv, benchMode, runIfMain } from './env.ts';
import { ProgressLine } from './progress.ts';
import { median } from './relay-stats.ts';
import { fixed, markdownTable, failuresMarkdown } from './table.ts';

/** Frame sizes measured. */
export const SIZES = [
  { width: 640, height: 480 },
  { width: 1280, height: 720 },
] as const;
/** JPEG qualities measured. */
export const QUALITIES = [50, 75, 90] as const;
/** Frame rate used to turn bytes/frame into a bitrate. */
export const BITRATE_FPS = 30;

/** Frames timed per combination (after `warmup` untimed ones), per mode. */
export const SHARP_MODES = {
  smoke: { warmup: 1, frames: 2, copies: 20 },
  quick: { warmup: 2, frames: 10, copies: 200 },
  full: { warmup: 3, frames: 40, copies: 1000 },
} as const;

/** One JPEG combination's result. */
export interface SharpRow {
  size: string;
  input: 'rgba' | 'bgra';
  quality: number;
  mozjpeg: boolean;
  /** Median wall time per frame, ms (includes the BGRA→RGBA swap for bgra input). */
  msPerFrame: number;
  /** CPU time per frame over all threads, ms (libvips may use several). */
  cpuMsPerFrame: number;
  bytesPerFrame: number;
  /** bytesPerFrame × 8 × 30 fps, Mbit/s. */
  mbitAt30fps: number;
  /** Raw BGRA wire frame bytes / JPEG bytes. */
  compression: number;
}

/** The raw path's costs per size. */
export interface RawRow {
  size: string;
  /** Bytes of a BGRA wire frame (header + w×h×4). */
  bytesPerFrame: number;
  mbitAt30fps: number;
  /** `Uint8Array.set` of the frame, ms (median). */
  copyMs: number;
  /** `bgraToRgba` of the frame, ms (median). */
  swizzleMs: number;
}

/** sharp.json. */
export interface SharpBenchResult {
  env: BenchEnv;
  mode: string;
  sharp: { version: string; vips: string; mozjpeg: string | undefined; concurrency: number };
  raw: RawRow[];
  rows: SharpRow[];
  ok: boolean;
}

/** A deterministic camera-like RGBA frame: gradient, a few shapes, ±6 noise. */
export function syntheticFrame(width: number, height: number): Uint8Array {
  const rgba = new Uint8Array(width * height * 4);
  let seed = 0x2545f491;
  const noise = (): number => {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return ((seed >>> 0) % 13) - 6;
  };
  const shapes = [
    { cx: 0.35, cy: 0.45, r: 0.22, color: [214, 170, 140] }, // a face-ish disc
    { cx: 0.72, cy: 0.3, r: 0.12, color: [40, 90, 160] },
    { cx: 0.6, cy: 0.8, r: 0.18, color: [90, 140, 60] },
  ];
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const u = x / width;
      const v = y / height;
      let r = 60 + 120 * u;
      let g = 80 + 100 * v;
      let b = 140 - 60 * u + 40 * v;
      for (const s of shapes) {
        const dx = (u - s.cx) * (width / height);
        const dy = v - s.cy;
        if (dx * dx + dy * dy < s.r * s.r) [r, g, b] = s.color as [number, number, number];
      }
      // Stripes: some high-frequency detail, like a shirt or a bookshelf.
      if (v > 0.1 && v < 0.25 && Math.floor(u * 64) % 2 === 0) r = g = b = 230;
      const i = (y * width + x) * 4;
      rgba[i] = clamp(r + noise());
      rgba[i + 1] = clamp(g + noise());
      rgba[i + 2] = clamp(b + noise());
      rgba[i + 3] = 255;
    }
  }
  return rgba;
}

function clamp(value: number): number {
  return value < 0 ? 0 : value > 255 ? 255 : Math.round(value);
}

async function encode(rgba: Uint8Array, width: number, height: number, quality: number, mozjpeg: boolean): Promise<Buffer> {
  return sharp(rgba, { raw: { width, height, channels: 4 } }).jpeg({ quality, mozjpeg }).toBuffer();
}

function timeSync(runs: number, fn: () => void): number {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    fn();
    times.push(performance.now() - start);
  }
  return median(times);
}

/** Runs the sharp bench and returns its result (also written to `resultsDir`). Throws if a check fails. */
export async function runSharpBench(options: { mode: keyof typeof SHARP_MODES; resultsDir?: string }): Promise<SharpBenchResult> {
  const mode = SHARP_MODES[options.mode];
  sharp.cache(false);
  const line = new ProgressLine();
  const failures: string[] = [];
  const raw: RawRow[] = [];
  const rows: SharpRow[] = [];
  const total = SIZES.length * QUALITIES.length * 2 * 2;
  let done = 0;

  for (const { width, height } of SIZES) {
    const size = `${width}×${height}`;
    const rgba = syntheticFrame(width, height);
    const bgra = rgbaToBgra(rgba);
    const scratch = new Uint8Array(rgba.byteLength);
    const rawBytes = HEADER_BYTES + rgba.byteLength;

    const copy = new Uint8Array(bgra.byteLength);
    const copyMs = timeSync(mode.copies, () => copy.set(bgra));
    if (Buffer.compare(copy, bgra) !== 0) failures.push(`${size}: raw copy differs from its source`);
    const swizzleMs = timeSync(mode.copies, () => bgraToRgba(bgra, scratch));
    if (Buffer.compare(scratch, rgba) !== 0) failures.push(`${size}: BGRA→RGBA swap does not restore the RGBA frame`);
    raw.push({ size, bytesPerFrame: rawBytes, mbitAt30fps: fixed((rawBytes * 8 * BITRATE_FPS) / 1e6, 1)!, copyMs: fixed(copyMs, 3)!, swizzleMs: fixed(swizzleMs, 3)! });

    for (const quality of QUALITIES) {
      for (const mozjpeg of [false, true]) {
        const outputs: Partial<Record<'rgba' | 'bgra', Buffer>> = {};
        for (const input of ['rgba', 'bgra'] as const) {
          done++;
          line.update(`sharp [${done}/${total}] ${size} ${input} q${quality}${mozjpeg ? ' mozjpeg' : ''}…`, { transient: true });
          const once = async (): Promise<Buffer> =>
            input === 'rgba' ? encode(rgba, width, height, quality, mozjpeg) : encode(bgraToRgba(bgra, scratch), width, height, quality, mozjpeg);
          for (let i = 0; i < mode.warmup; i++) await once();
          const times: number[] = [];
          let out: Buffer | undefined;
          const cpu0 = process.cpuUsage();
          for (let i = 0; i < mode.frames; i++) {
            const start = performance.now();
            out = await once();
            times.push(performance.now() - start);
          }
          const cpu = process.cpuUsage(cpu0);
          const jpeg = out!;
          outputs[input] = jpeg;
          const tag = `${size} ${input} q${quality}${mozjpeg ? ' mozjpeg' : ''}`;
          if (jpeg.byteLength < 4 || jpeg[0] !== 0xff || jpeg[1] !== 0xd8 || jpeg.at(-2) !== 0xff || jpeg.at(-1) !== 0xd9) {
            failures.push(`${tag}: output is not a complete JPEG (SOI…EOI)`);
          }
          const meta = await sharp(jpeg).metadata();
          if (meta.format !== 'jpeg' || meta.width !== width || meta.height !== height) {
            failures.push(`${tag}: decoded as ${meta.format} ${meta.width}×${meta.height}`);
          }
          const jpegFrameBytes = HEADER_BYTES + jpeg.byteLength;
          rows.push({
            size,
            input,
            quality,
            mozjpeg,
            msPerFrame: fixed(median(times), 2)!,
            cpuMsPerFrame: fixed((cpu.user + cpu.system) / 1000 / mode.frames, 2)!,
            bytesPerFrame: jpegFrameBytes,
            mbitAt30fps: fixed((jpegFrameBytes * 8 * BITRATE_FPS) / 1e6, 1)!,
            compression: fixed(rawBytes / jpegFrameBytes, 1)!,
          });
        }
        if (outputs.rgba && outputs.bgra && Buffer.compare(outputs.rgba, outputs.bgra) !== 0) {
          failures.push(`${size} q${quality}${mozjpeg ? ' mozjpeg' : ''}: BGRA path encodes differently from RGBA path`);
        }
      }
    }
  }
  line.done();

  const result: SharpBenchResult = {
    env: benchEnv(),
    mode: options.mode,
    sharp: { version: sharp.versions.sharp ?? 'unknown', vips: sharp.versions.vips, mozjpeg: (sharp.versions as Record<string, string | undefined>)['mozjpeg'], concurrency: sharp.concurrency() },
    raw,
    rows,
    ok: failures.length === 0,
  };
  await writeResults('sharp', result, renderSharpMarkdown(result, failures), options.resultsDir ?? DEFAULT_RESULTS_DIR);
  if (failures.length > 0) throw new Error(`sharp bench output checks failed:\n  ${failures.join('\n  ')}`);
  return result;
}

/** The result as Markdown: the raw baseline, then every JPEG combination. */
export function renderSharpMarkdown(result: SharpBenchResult, failures: string[] = []): string {
  const rawTable = markdownTable(
    ['size', 'BGRA frame bytes', `Mbit/s @ ${BITRATE_FPS} fps`, 'copy ms', 'BGRA→RGBA swap ms'],
    result.raw.map((r) => [r.size, r.bytesPerFrame, r.mbitAt30fps, r.copyMs, r.swizzleMs]),
  );
  const copyOf = new Map(result.raw.map((r) => [r.size, r.copyMs]));
  const jpegTable = markdownTable(
    ['size', 'input', 'quality', 'mozjpeg', 'ms/frame', 'CPU ms/frame', '× raw copy', 'bytes/frame', `Mbit/s @ ${BITRATE_FPS} fps`, 'raw/JPEG bytes'],
    result.rows.map((r) => [
      r.size,
      r.input,
      r.quality,
      r.mozjpeg ? 'yes' : 'no',
      r.msPerFrame,
      r.cpuMsPerFrame,
      fixed(r.msPerFrame / (copyOf.get(r.size) ?? Number.NaN), 0),
      r.bytesPerFrame,
      r.mbitAt30fps,
      r.compression,
    ]),
  );
  return [
    `# JPEG encode cost (sharp) vs raw BGRA (${result.mode})`,
    '',
    describeEnv(result.env),
    `sharp ${result.sharp.version}, libvips ${result.sharp.vips}, mozjpeg ${result.sharp.mozjpeg ?? '?'}, sharp.concurrency ${result.sharp.concurrency}. Synthetic camera-like frames; bytes include the 40-byte wire header.`,
    '',
    '## Raw BGRA (baseline)',
    '',
    rawTable,
    '',
    '## JPEG',
    '',
    jpegTable,
    '',
    'ms/frame = median wall time of one `sharp(raw).jpeg().toBuffer()` (bgra input includes the channel swap); CPU ms/frame = process CPU time over all threads / frames.',
    ...failuresMarkdown(failures),
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
  const result = await runSharpBench({ mode, ...(values['results-dir'] !== undefined ? { resultsDir: values['results-dir'] } : {}) });
  console.log(renderSharpMarkdown(result));
  console.error(`sharp bench (${mode}) done in ${((performance.now() - started) / 1000).toFixed(1)} s`);
}

runIfMain(import.meta.url, main);
