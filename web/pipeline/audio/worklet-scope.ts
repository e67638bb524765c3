/**
 * The AudioWorkletGlobalScope, typed for our processors (TypeScript's DOM lib does not
 * describe it). Type-only: the processors read `globalThis` through `workletScope()`.
 */

/** The base class processors extend. */
export interface AudioWorkletProcessorBase {
  readonly port: MessagePort;
}

/** What the worklet global scope offers. */
export interface AudioWorkletScope {
  readonly sampleRate: number;
  readonly currentFrame: number;
  readonly currentTime: number;
  readonly AudioWorkletProcessor: new (options?: AudioWorkletNodeOptions) => AudioWorkletProcessorBase;
  registerProcessor(name: string, processor: new (options?: AudioWorkletNodeOptions) => AudioWorkletProcessorBase): void;
}

/** `globalThis` inside an AudioWorklet. */
export function workletScope(): AudioWorkletScope {
  return globalThis as unknown as AudioWorkletScope;
}
