/**
 * A small typed event emitter for the browser code. The event map names each event and
 * its arguments (`{ open: []; frame: [ArrayBuffer] }`); a listener that throws is reported
 * on the console and never breaks the emitter or the other listeners (mediasoup `safeEmit`).
 */
export type EventMap = Record<string, unknown[]>;
export type Listener<A extends unknown[]> = (...args: A) => void;

export class Emitter<M extends EventMap> {
  #listeners = new Map<keyof M, Set<(...args: never[]) => void>>();

  /** Adds a listener; returns a function that removes it. */
  on<K extends keyof M>(event: K, listener: Listener<M[K]>): () => void {
    let set = this.#listeners.get(event);
    if (set === undefined) {
      set = new Set();
      this.#listeners.set(event, set);
    }
    set.add(listener as unknown as (...args: never[]) => void);
    return () => this.off(event, listener);
  }

  /** Removes a listener added with `on`. */
  off<K extends keyof M>(event: K, listener: Listener<M[K]>): void {
    this.#listeners.get(event)?.delete(listener as unknown as (...args: never[]) => void);
  }

  /** Calls every listener of `event`; exceptions are caught and logged. */
  emit<K extends keyof M>(event: K, ...args: M[K]): void {
    const set = this.#listeners.get(event);
    if (set === undefined) return;
    for (const listener of [...set]) {
      try {
        (listener as unknown as Listener<M[K]>)(...args);
      } catch (error) {
        console.error(`[framewire] listener of '${String(event)}' threw`, error);
      }
    }
  }

  /** Number of listeners of `event`. */
  listenerCount(event: keyof M): number {
    return this.#listeners.get(event)?.size ?? 0;
  }

  /** Removes every listener. */
  removeAll(): void {
    this.#listeners.clear();
  }
}
