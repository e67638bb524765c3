/**
 * The adaptive jitter buffer of ONE audio source: where each decoded frame goes on the
 * playout timeline, and what every output sample is. Pure TypeScript (no DOM): the player
 * worklet (player-processor.ts) runs it, and jitter-buffer.test.ts drives it in a simulation.
 *
 * - **Timeline.** Frames are placed by capture time (NOT seq: the seq counter is shared with
 *   video), snapped onto the end of the previous frame when within `snapToleranceMs`, so
 *   consecutive frames join sample-exactly and reordered frames fall into place.
 * - **Target.** `JitterEstimator`: the windowed minimum transit is the fastest path; the
 *   playout keeps `targetMs` (a high percentile of the excess, 20–200 ms) over it.
 * - **Converging.** The level (now − capture time of the sample playing − fastest transit)
 *   is steered to the target by WSOLA-lite time-stretching: drop or repeat 2–5 ms at the
 *   best-correlated offset with a raised-cosine crossfade, at most `maxStretch` of the time
 *   (±8 %); far above target a whole 20 ms is skipped the same way. While nothing is
 *   buffered and the output is silent the playout point just jumps.
 * - **Gaps.** A missing sample is concealed: the last real audio mirrored with a 10 ms fade
 *   out, then comfort silence; real audio fades back in over 2.5 ms (no clicks). Gaps up to
 *   `silenceGapMs` count as loss; longer ones are DTX or a paused sender.
 * - **Late frames** (starting before the playout point) are dropped and counted, unless the
 *   output has been concealing since before the frame's start: then the playout point steps
 *   back to it (`rewound`, adding delay instead of losing audio).
 *
 * `pull()` is allocation-free: one preallocated sample ring with per-sample position stamps.
 */
import { JitterEstimator, type JitterEstimatorOptions } from './jitter-estimator.ts';

/** Options of `JitterBuffer`. */
export interface JitterBufferOptions {
  /** Output sample rate, Hz (the AudioContext's). */
  sampleRate: number;
  /** Target estimation (20–200 ms, p95 of 4 s by default). */
  estimator?: JitterEstimatorOptions;
  /** Ring capacity, ms (rounded up to a power of two of samples). Default 1200. */
  capacityMs?: number;
  /** Frames starting within this of the previous frame's end are joined to it, ms. Default 5. */
  snapToleranceMs?: number;
  /** Concealment fade-out, ms. Default 10. */
  fadeOutMs?: number;
  /** Fade-in after a gap, ms. Default 2.5. */
  fadeInMs?: number;
  /** Largest share of time spent stretching (0..0.5). Default 0.08. */
  maxStretch?: number;
  /** Gaps longer than this are silence (DTX, muted), not loss, ms. Default 120. */
  silenceGapMs?: number;
}

/** Counters and the current state of a `JitterBuffer`. */
export interface JitterBufferStats {
  /** Frames pushed. */
  packets: number;
  /** Frames (wholly or partly) past the playout point when they came, and not rewound to. */
  late: number;
  /** Frames' worth of concealed gaps (gaps ≤ silenceGapMs). */
  lost: number;
  /** Late frames the playout stepped back to. */
  rewound: number;
  /** Time concealed in gaps ≤ silenceGapMs, ms. */
  concealedMs: number;
  /** Jitter estimate (percentile excess transit), ms. */
  jitterMs: number;
  /** Target level, ms. */
  targetMs: number;
  /** Current level: now − capture time playing − fastest transit, ms (0 before the first frame). */
  levelMs: number;
  /** Audio buffered ahead of the playout point, ms. */
  bufferMs: number;
  /** Stretch operations: faster, slower, 20 ms skips, jumps while silent. */
  speedUps: number;
  slowDowns: number;
  skips: number;
  jumps: number;
  /** Timeline restarts (a sender restart or a jump of over a second). */
  resets: number;
}

/** What became of a pushed frame. */
export type PushOutcome = 'buffered' | 'late' | 'partial' | 'rewound' | 'reset';

const enum Mode {
  Hold = 0,
  Faster = 1,
  Slower = -1,
}

/** See the module doc. */
export class JitterBuffer {
  readonly sampleRate: number;
  readonly #estimator: JitterEstimator;
  readonly #mask: number;
  readonly #ring: Float32Array;
  /** Position whose sample the ring slot holds (NaN: none). */
  readonly #writtenAt: Float64Array;
  /** Position that was output from the slot (NaN: none). */
  readonly #playedAt: Float64Array;
  readonly #snapTolerance: number;
  readonly #fadeOut: number;
  readonly #fadeIn: number;
  readonly #maxStretch: number;
  readonly #silenceGap: number;
  readonly #xfade: number;
  readonly #sMin: number;
  readonly #sMax: number;
  readonly #frame20: number;

  // Timeline.
  #anchored = false;
  #anchorMs = 0;
  /** Accumulated snapping correction, samples. */
  #skew = 0;
  #nextExpected = 0;
  #readPos = 0;
  /** End (exclusive) of the furthest sample written. */
  #aheadEnd = 0;
  #lastFrameSamples = 0;
  #nowMs = 0;
  #levelMs = 0;
  #mode: Mode = Mode.Hold;

  // Output state.
  #hadReal = false;
  #lastRealPos = Number.NEGATIVE_INFINITY;
  #concealing = true;
  #mirrorBase = 0;
  /** Samples of concealment output since the gap began (fade-in included): the mirror's index. */
  #concealK = 0;
  #gapSamples = 0;
  /** The current gap ended in a rewind: concealed, but nothing was lost. */
  #gapRewound = false;
  #fadeInIdx = Number.POSITIVE_INFINITY;
  #opActive = false;
  #opOld = 0;
  #opNew = 0;
  #opIdx = 0;
  #opCooldown = 0;

  // Counters.
  #packets = 0;
  #late = 0;
  #lost = 0;
  #rewound = 0;
  #concealed = 0;
  #speedUps = 0;
  #slowDowns = 0;
  #skips = 0;
  #jumps = 0;
  #resets = 0;

  constructor(options: JitterBufferOptions) {
    const sr = options.sampleRate;
    if (!Number.isInteger(sr) || sr < 8000 || sr > 192000) throw new TypeError(`sampleRate must be an integer 8000..192000 [sampleRate:${sr}]`);
    this.sampleRate = sr;
    this.#estimator = new JitterEstimator(options.estimator);
    const capacity = 2 ** Math.ceil(Math.log2((sr * (options.capacityMs ?? 1200)) / 1000));
    this.#mask = capacity - 1;
    this.#ring = new Float32Array(capacity);
    this.#writtenAt = new Float64Array(capacity).fill(Number.NaN);
    this.#playedAt = new Float64Array(capacity).fill(Number.NaN);
    const ms = (value: number): number => Math.max(1, Math.round((sr * value) / 1000));
    this.#snapTolerance = (sr * (options.snapToleranceMs ?? 5)) / 1000;
    this.#fadeOut = ms(options.fadeOutMs ?? 10);
    this.#fadeIn = ms(options.fadeInMs ?? 2.5);
    this.#maxStretch = Math.min(0.5, Math.max(0.001, options.maxStretch ?? 0.08));
    this.#silenceGap = ms(options.silenceGapMs ?? 120);
    this.#xfade = ms(2.5);
    this.#sMin = ms(2);
    this.#sMax = ms(5);
    this.#frame20 = ms(20);
  }

  // ── input ──────────────────────────────────────────────────────────────────

  /**
   * Adds one decoded frame: `captureMs` = capture time of its first sample (any clock, but
   * the same for every frame of the source), `samples` mono at `sampleRate`, `nowMs` = the
   * local time it became available (the clock `pull` is given).
   */
  push(captureMs: number, samples: Float32Array, nowMs: number): PushOutcome {
    const n = samples.length;
    if (n === 0 || !Number.isFinite(captureMs)) return 'late';
    this.#packets++;
    this.#estimator.add(nowMs - captureMs, nowMs);
    let outcome: PushOutcome = 'buffered';
    if (!this.#anchored) this.#anchor(captureMs, nowMs);
    let pos = this.#place(captureMs);
    const capacity = this.#mask + 1;
    const guard = this.#frame20 * 2;
    if (pos + n - this.#readPos > capacity - guard || pos + n < this.#readPos - capacity) {
      this.#restart(captureMs, nowMs);
      pos = this.#place(captureMs);
      outcome = 'reset';
    }
    let from = 0;
    if (pos < this.#readPos) {
      if (this.#canRewind(pos, nowMs)) {
        this.#readPos = pos;
        this.#rewound++;
        this.#gapRewound = true;
        outcome = 'rewound';
      } else {
        this.#late++;
        if (pos + n <= this.#readPos) return 'late';
        from = this.#readPos - pos;
        outcome = 'partial';
      }
    }
    this.#lastFrameSamples = n;
    const mask = this.#mask;
    for (let i = from; i < n; i++) {
      const p = pos + i;
      const slot = p & mask;
      this.#ring[slot] = samples[i]!;
      this.#writtenAt[slot] = p;
      this.#playedAt[slot] = Number.NaN;
    }
    if (pos + n > this.#aheadEnd) this.#aheadEnd = pos + n;
    return outcome;
  }

  /** Timeline position of a frame captured at `captureMs`, snapping onto the previous frame's end. */
  #place(captureMs: number): number {
    const exact = ((captureMs - this.#anchorMs) * this.sampleRate) / 1000 - this.#skew;
    let pos: number;
    if (Math.abs(exact - this.#nextExpected) <= this.#snapTolerance) {
      this.#skew += exact - this.#nextExpected;
      pos = this.#nextExpected;
    } else {
      pos = Math.round(exact);
    }
    return pos;
  }

  #anchor(captureMs: number, nowMs: number): void {
    this.#anchored = true;
    this.#anchorMs = captureMs;
    this.#skew = 0;
    this.#nextExpected = 0;
    this.#aheadEnd = 0;
    // Start so that the level equals the target: captureAt(readPos) = now − baseline − target.
    const startCapture = nowMs - this.#estimator.baselineMs - this.#estimator.targetMs;
    this.#readPos = Math.round(((startCapture - captureMs) * this.sampleRate) / 1000);
    this.#nowMs = nowMs;
  }

  #restart(captureMs: number, nowMs: number): void {
    this.#resets++;
    this.#writtenAt.fill(Number.NaN);
    this.#playedAt.fill(Number.NaN);
    this.#estimator.reset();
    this.#estimator.add(nowMs - captureMs, nowMs);
    this.#hadReal = false;
    this.#lastRealPos = Number.NEGATIVE_INFINITY;
    this.#concealing = true;
    this.#gapSamples = 0;
    this.#opActive = false;
    this.#mode = Mode.Hold;
    this.#anchor(captureMs, nowMs);
  }

  #canRewind(pos: number, nowMs: number): boolean {
    if (!this.#concealing || this.#opActive || !(this.#lastRealPos < pos)) return false;
    const level = this.#level(nowMs) + ((this.#readPos - pos) * 1000) / this.sampleRate;
    return level <= this.#estimator.options.maxTargetMs;
  }

  // ── output ─────────────────────────────────────────────────────────────────

  /** Capture time (the frames' clock) of timeline position `pos`, ms. */
  #captureAt(pos: number): number {
    return this.#anchorMs + ((pos + this.#skew) * 1000) / this.sampleRate;
  }

  #level(nowMs: number): number {
    return nowMs - this.#captureAt(this.#readPos) - this.#estimator.baselineMs;
  }

  /** Capture time of the sample `pull` outputs next, ms (the frames' clock), or null before the first frame. */
  playoutCaptureMs(): number | null {
    return this.#anchored ? this.#captureAt(this.#readPos) : null;
  }

  /** True once real audio has been output (since the last timeline restart). */
  get playing(): boolean {
    return this.#hadReal;
  }

  /** Fills `out` with the next `out.length` output samples; `nowMs` = local time of out[0]. Allocation-free. */
  pull(out: Float32Array, nowMs: number): void {
    this.#nowMs = nowMs;
    if (!this.#anchored) {
      out.fill(0);
      return;
    }
    this.#steer(nowMs);
    const ring = this.#ring;
    const mask = this.#mask;
    for (let i = 0; i < out.length; i++) {
      if (this.#opActive) {
        out[i] = this.#opSample();
        continue;
      }
      if (this.#mode !== Mode.Hold && this.#opCooldown <= 0 && this.#startOp()) {
        out[i] = this.#opSample();
        continue;
      }
      this.#opCooldown--;
      const p = this.#readPos;
      const slot = p & mask;
      if (this.#writtenAt[slot] === p && this.#playedAt[slot] !== p) {
        let v = ring[slot]!;
        if (this.#concealing) this.#endGap();
        if (this.#fadeInIdx < this.#fadeIn) {
          const g = (this.#fadeInIdx + 1) / (this.#fadeIn + 1);
          v = v * g + this.#concealSample() * (1 - g);
          this.#concealK++;
          this.#fadeInIdx++;
        }
        out[i] = v;
        this.#hadReal = true;
        this.#lastRealPos = p;
      } else {
        if (!this.#concealing) {
          this.#concealing = true;
          this.#mirrorBase = p;
          this.#concealK = 0;
          this.#gapSamples = 0;
          this.#gapRewound = false;
        }
        out[i] = this.#concealSample();
        this.#concealK++;
        this.#gapSamples++;
      }
      this.#playedAt[slot] = p;
      this.#readPos = p + 1;
    }
  }

  /** Once per pull: level vs target → mode (with hysteresis); jumps while silent. */
  #steer(nowMs: number): void {
    const level = this.#level(nowMs);
    this.#levelMs = level;
    const target = this.#estimator.targetMs;
    const err = level - target;
    const deadband = Math.max(3, 0.1 * target);
    if (this.#mode === Mode.Hold) {
      if (err > deadband) this.#mode = Mode.Faster;
      else if (err < -deadband) this.#mode = Mode.Slower;
    } else if ((this.#mode === Mode.Faster && err <= 0) || (this.#mode === Mode.Slower && err >= 0)) {
      this.#mode = Mode.Hold;
    }
    const silent = !this.#hadReal || (this.#concealing && this.#concealK >= this.#fadeOut);
    if (this.#mode !== Mode.Hold && !this.#opActive && silent && this.#aheadEnd <= this.#readPos) {
      this.#readPos += Math.round((err * this.sampleRate) / 1000);
      this.#mode = Mode.Hold;
      this.#jumps++;
    }
  }

  /** Real (written, not yet played) audio at [from, to). */
  #fresh(from: number, to: number): boolean {
    const mask = this.#mask;
    for (let p = from; p < to; p++) {
      const slot = p & mask;
      if (this.#writtenAt[slot] !== p || this.#playedAt[slot] === p) return false;
    }
    return true;
  }

  /** Written audio (played or not) at [from, to). */
  #written(from: number, to: number): boolean {
    const mask = this.#mask;
    for (let p = from; p < to; p++) if (this.#writtenAt[p & mask] !== p) return false;
    return true;
  }

  /** Starts a crossfaded drop/repeat/skip at the read position if the audio around it allows; true if started. */
  #startOp(): boolean {
    const old = this.#readPos;
    const len = this.#xfade;
    if (this.#concealing || this.#fadeInIdx < this.#fadeIn) return false;
    const err = this.#levelMs - this.#estimator.targetMs;
    let lo: number;
    let hi: number;
    let sign: 1 | -1;
    if (this.#mode === Mode.Faster) {
      sign = 1;
      const far = err > Math.max(60, this.#estimator.targetMs);
      lo = far ? this.#frame20 - this.#sMax : this.#sMin;
      hi = far ? this.#frame20 + this.#sMax : this.#sMax;
      if (!this.#fresh(old, old + len)) return false;
      while (hi >= lo && !this.#fresh(old + len, old + hi + len)) hi -= this.#sMin; // what is buffered limits the skip
      if (hi < lo) {
        this.#opCooldown = len;
        return false;
      }
      if (far) this.#skips++;
      else this.#speedUps++;
    } else {
      sign = -1;
      lo = this.#sMin;
      hi = this.#sMax;
      if (!this.#fresh(old, old + len) || !this.#written(old - hi, old)) {
        this.#opCooldown = len;
        return false;
      }
      this.#slowDowns++;
    }
    // WSOLA-lite: the shift whose segment best matches the one fading out.
    const ring = this.#ring;
    const mask = this.#mask;
    let best = lo;
    let bestScore = Number.NEGATIVE_INFINITY;
    for (let s = lo; s <= hi; s += 2) {
      const start = old + sign * s;
      let dot = 0;
      let energy = 1e-9;
      for (let k = 0; k < len; k++) {
        const b = ring[(start + k) & mask]!;
        dot += ring[(old + k) & mask]! * b;
        energy += b * b;
      }
      const score = dot / Math.sqrt(energy);
      if (score > bestScore) {
        bestScore = score;
        best = s;
      }
    }
    this.#opActive = true;
    this.#opOld = old;
    this.#opNew = old + sign * best;
    this.#opIdx = 0;
    this.#opCooldown = Math.round(best / this.#maxStretch);
    return true;
  }

  /** One sample of the running crossfade; ends the op on its last sample. */
  #opSample(): number {
    const len = this.#xfade;
    const mask = this.#mask;
    const k = this.#opIdx;
    const w = 0.5 - 0.5 * Math.cos((Math.PI * (k + 0.5)) / len);
    const v = this.#ring[(this.#opOld + k) & mask]! * (1 - w) + this.#ring[(this.#opNew + k) & mask]! * w;
    this.#opIdx = k + 1;
    if (this.#opIdx === len) {
      this.#opActive = false;
      const old = this.#opOld;
      const next = this.#opNew + len;
      if (next > old) {
        for (let p = old; p < next; p++) this.#playedAt[p & mask] = p;
      } else {
        // Repeat: what lies between the new read position and the old one plays again.
        for (let p = next; p < old; p++) this.#playedAt[p & mask] = Number.NaN;
      }
      this.#readPos = next;
      this.#lastRealPos = next - 1;
    }
    return v;
  }

  /**
   * The next concealment sample: the audio before the gap mirrored, faded out over fadeOut,
   * then silence. Indexed by output count, not position, so a rewind does not jump in it.
   */
  #concealSample(): number {
    const k = this.#concealK;
    if (!this.#hadReal || k >= this.#fadeOut) return 0;
    const src = this.#mirrorBase - 1 - k;
    const slot = src & this.#mask;
    if (this.#writtenAt[slot] !== src) return 0;
    return this.#ring[slot]! * (0.5 + 0.5 * Math.cos((Math.PI * k) / this.#fadeOut));
  }

  /** Real audio resumes: classify the gap (loss or silence) and start the fade-in. */
  #endGap(): void {
    this.#concealing = false;
    this.#fadeInIdx = 0;
    if (this.#hadReal && this.#gapSamples <= this.#silenceGap && this.#gapSamples > 0) {
      this.#concealed += this.#gapSamples;
      if (!this.#gapRewound) this.#lost += Math.round(this.#gapSamples / Math.max(1, this.#lastFrameSamples));
    }
    this.#gapSamples = 0;
    this.#gapRewound = false;
  }

  // ── state ──────────────────────────────────────────────────────────────────

  /** Counters and state now. */
  stats(): JitterBufferStats {
    const toMs = 1000 / this.sampleRate;
    return {
      packets: this.#packets,
      late: this.#late,
      lost: this.#lost,
      rewound: this.#rewound,
      concealedMs: this.#concealed * toMs,
      jitterMs: this.#estimator.jitterMs,
      targetMs: this.#estimator.targetMs,
      levelMs: this.#anchored ? this.#level(this.#nowMs) : 0,
      bufferMs: Math.max(0, this.#aheadEnd - this.#readPos) * toMs,
      speedUps: this.#speedUps,
      slowDowns: this.#slowDowns,
      skips: this.#skips,
      jumps: this.#jumps,
      resets: this.#resets,
    };
  }
}
