/**
 * THE typed event emitter of framewire, used by the relay, its extensions and the browser
 * app alike. The event map names each event and its arguments
 * (`{ frame: [FrameEvent]; state: [ConnectionState, StateInfo] }`). A listener that throws
 * is reported to `onListenerError` and never breaks the emitter or the other listeners
 * (mediasoup `safeEmit`). Pure: no DOM, no Node.
 */

/** Map of event name → listener argument tuple. */
export type EventMap = Record<string, unknown[]>;

/** A listener of an event whose arguments are `A`. */
export type Listener<A extends unknown[]> = (...args: A) => void;

/** Told about a listener that threw: the event's name and what was thrown. */
export type ListenerErrorHandler = (event: string, error: unknown) => void;

// NOTE: `console` is neither ECMAScript nor typed in protocol/'s strict config; every host
// (browsers, Node) has it.
declare const console: { error(...data: unknown[]): void };

/** Default `ListenerErrorHandler`: one console line with the event's name. */
export const logListenerError: ListenerErrorHandler = (event, error) => {
  console.error(`[framewire] listener of '${event}' threw`, error);
};

type AnyListener = (...args: never[]) => void;

export class Emitter<M extends EventMap> {
  readonly #listeners = new Map<keyof M, Set<AnyListener>>();
  readonly #onListenerError: ListenerErrorHandler;

  /** `onListenerError` is told about listeners that throw. Default `logListenerError`. */
  constructor(onListenerError: ListenerErrorHandler = logListenerError) {
    this.#onListenerError = onListenerError;
  }

  /** Adds a listener; returns a function that removes it. */
  on<K extends keyof M>(event: K, listener: Listener<M[K]>): () => void {
    let set = this.#listeners.get(event);
    if (set === undefined) this.#listeners.set(event, (set = new Set()));
    set.add(listener as unknown as AnyListener);
    return () => this.off(event, listener);
  }

  /** Adds a listener called at most once; returns a function that removes it. */
  once<K extends keyof M>(event: K, listener: Listener<M[K]>): () => void {
    const off = this.on(event, (...args: M[K]) => {
      off();
      listener(...args);
    });
    return off;
  }

  /** Removes a listener added with `on`. */
  off<K extends keyof M>(event: K, listener: Listener<M[K]>): void {
    this.#listeners.get(event)?.delete(listener as unknown as AnyListener);
  }

  /** True if `event` has at least one listener (lets callers skip building the event). */
  has(event: keyof M): boolean {
    return (this.#listeners.get(event)?.size ?? 0) > 0;
  }

  /** Number of listeners of `event`. */
  listenerCount(event: keyof M): number {
    return this.#listeners.get(event)?.size ?? 0;
  }

  /** Calls every listener of `event`; a throwing listener is reported, the others still run. */
  emit<K extends keyof M>(event: K, ...args: M[K]): void {
    const set = this.#listeners.get(event);
    if (set === undefined || set.size === 0) return;
    for (const listener of [...set]) {
      try {
        (listener as unknown as Listener<M[K]>)(...args);
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
