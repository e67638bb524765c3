/**
 * Messages between the main thread and the audio worklets (capture-processor.ts,
 * player-processor.ts), and the processors' registered names. Types only, plus the names.
 */
import type { JitterBufferStats } from './jitter-buffer.ts';

/** Registered name of the capture processor (capture-processor.ts). */
export const CAPTURE_PROCESSOR = 'framewire-capture';
/** Registered name of the player processor (player-processor.ts). */
export const PLAYER_PROCESSOR = 'framewire-player';

/** `processorOptions` of the capture processor. */
export interface CaptureProcessorOptions {
  /** Samples per posted block, at the context rate. */
  blockSamples: number;
  /** Blocks preallocated for the transfer pool. Default 16. */
  poolSize?: number;
}

/** Capture → main: one block of mono input. */
export interface CapturedBlock {
  type: 'block';
  /** Context frame (sample index) of samples[0]. */
  startFrame: number;
  /** Mono samples (input channels averaged); send it back with `recycle` when done. */
  samples: Float32Array;
  /** Mean square of the block (level meter). */
  meanSquare: number;
}

/** Main → capture. */
export type CaptureCommand = { type: 'recycle'; samples: Float32Array } | { type: 'close' };

/** Main → player. */
export type PlayerCommand =
  /** A decoded frame: mono at the context rate; `captureMs` = capture time of samples[0] (relay clock). */
  | { type: 'frame'; captureMs: number; samples: Float32Array }
  /** Asks for a `PlayerStatus` reply. */
  | { type: 'status' }
  | { type: 'close' };

/** Player → main: the state at the start of the last rendered block. */
export interface PlayerStatus {
  type: 'status';
  /** Context frame of the last rendered block's first sample. */
  blockFrame: number;
  /** Capture time (relay clock) of that sample, or null before the first frame. */
  blockCaptureMs: number | null;
  /** True once real audio has been played. */
  playing: boolean;
  /** Output loudness, 0..1. */
  level: number;
  stats: JitterBufferStats;
}
