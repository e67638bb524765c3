/**
 * A small typed event emitter. Listener exceptions are caught here (mediasoup `safeEmit`)
 * and reported to `onListenerError`, so one faulty listener never breaks the relay.
 */

/** Map of event name → listener argument tuple, e.g. `{ frame: [FrameEvent] }`. */
export type EventMap = Record<string, unknown[]>;

type Listener<A extends unknown[]> = (...args: A) => void;

export class TypedEmitter<E extends EventMap> {
  #listeners = new Map<keyof E, Set<Listener<never[]>>>();
  #onListenerError: (event: string, error: unknown) => void;

  constructor(onListenerError: (event: string, error: unknown) => void = () => undefined) {
    this.#onListenerError = onListenerError;
  }

  /** Adds a listener. */
  on<K extends keyof E>(event: K, listener: Listener<E[K]>): void {
    let set = this.#listeners.get(event);
    if (set === undefined) this.#listeners.set(event, (set = new Set()));
    set.add(listener as unknown as Listener<never[]>);
  }

  /** Removes a listener added with `on`. */
  off<K extends keyof E>(event: K, listener: Listener<E[K]>): void {
    this.#listeners.get(event)?.delete(listener as unknown as Listener<never[]>);
  }

  /** True if `event` has at least one listener (lets callers skip building the event). */
  has(event: keyof E): boolean {
    return (this.#listeners.get(event)?.size ?? 0) > 0;
  }

  /** Calls every listener of `event`; a throwing listener is reported, the others still run. */
  emit<K extends keyof E>(event: K, ...args: E[K]): void {
    const set = this.#listeners.get(event);
    if (set === undefined) return;
    for (const listener of [...set]) {
      try {
        (listener as unknown as Listener<E[K]>)(...args);
      } catch (error) {
        this.#onListenerError(String(event), error);
      }
    }
  }

  /** Removes every listener. */
  clear(): void {
    this.#listeners.clear();
  }
}
