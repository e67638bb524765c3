/**
 * The messages between the relay bench (parent) and its child processes — the relay host
 * (`relay-host.ts`) and the load generators (`relay-load.ts`) — and a small request/reply
 * layer over Node's IPC channel: every request carries an `id`, the child answers with the
 * same `id`.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** Which relay a host child runs. */
export type RelayKind = 'framewire' | 'baseline';

/** Counters of a relay, as `Relay.stats` (the baseline keeps the same shape; its `drops` stay 0). */
export interface RelayCounters {
  connections: number;
  framesIn: number;
  framesOut: number;
  bytesIn: number;
  bytesOut: number;
  drops: number;
}

/** One sample of the relay host process. */
export interface HostSample {
  /** Resident set size now, bytes. */
  rss: number;
  /** Largest RSS seen since the last `resetPeak`, bytes (sampled every 50 ms). */
  peakRss: number;
  /** `process.cpuUsage()` user + system, µs since the process started. */
  cpuMicros: number;
  /** Wall clock of the sample, `performance.now()` of the host, ms. */
  at: number;
  stats: RelayCounters;
}

/** Parent → relay host. */
export type HostRequest = { type: 'sample'; resetPeak?: boolean } | { type: 'close' };

/** Relay host → parent, unsolicited, once listening. */
export interface HostReady {
  type: 'ready';
  kind: RelayKind;
  port: number;
  url: string;
}

/** What a sending client sends. */
export interface SendSpec {
  /** Media codec of the frames. */
  codec: 'jpeg' | 'bgra';
  width: number;
  height: number;
  /** Whole wire frame, bytes (prefix + header + payload). For bgra it must be 40 + w×h×4. */
  frameBytes: number;
  /** Frames per second; 0 = max rate. */
  fps: number;
  /**
   * Max rate only: the closed loop. Receivers of this sender store their last seq in shared
   * cells `firstSlot .. firstSlot + slots − 1`; the sender keeps at most `window` frames
   * between its next seq and the slowest of them. Omitted = paced only by its own socket.
   */
  loop?: { firstSlot: number; slots: number; window: number };
  /** Receivers of each frame (peers in the room − 1), to compute the expected deliveries. */
  fanout: number;
  /** Offset of the first frame from the start instant, ms (spreads paced senders). */
  phaseMs: number;
}

/** One WebSocket of a load generator. Every client receives; senders also send. */
export interface ClientSpec {
  room: string;
  name: string;
  send?: SendSpec;
  /** Shared cell (≥ 1) where this client stores the seq of every frame it receives (closed-loop senders read it). */
  feedbackSlot?: number;
}

/** Shared feedback cells per load-generator process (cell 0 is the generation counter). */
export const FEEDBACK_CELLS = 4096;

/** Counters of one load generator (summed over its clients). */
export interface LoadCounters {
  framesSent: number;
  bytesSent: number;
  /** Frames that should arrive somewhere: Σ frames sent × fanout. */
  expectedFrames: number;
  expectedBytes: number;
  /** Paced frames not sent because the socket had not taken the previous one (sender fell behind). */
  skipped: number;
  framesReceived: number;
  bytesReceived: number;
  /** Binary messages that were not valid wire frames. */
  invalid: number;
  /** `performance.now()` of the load process when the snapshot was taken, ms. */
  at: number;
}

/** Parent → load-generator process: a `LoadRequest` for its worker thread `worker`, or `exit`. */
export type LoadProcessRequest = (LoadRequest & { worker: number }) | { type: 'exit' };

/** Load-generator process/thread requests. */
export type LoadRequest =
  | { type: 'setup'; url: string; clients: ClientSpec[] }
  | { type: 'start' }
  /** Starts (on) or ends (off) the measured window; replies with a counter snapshot. */
  | { type: 'measure'; on: boolean }
  /** Stops sending; replies once every write has completed. */
  | { type: 'stop' }
  | { type: 'counters' }
  /** Replies with counters and the relay delays (ms) of frames received inside the measured window. */
  | { type: 'report' }
  /** Closes every client; replies when all are closed. */
  | { type: 'teardown' };

/** A reply: `ok` with a value, or the child's error message. */
export type Reply = { id: number; ok: true; value: unknown } | { id: number; ok: false; error: string };

/** Reply payload of `report`. */
export interface LoadReport {
  counters: LoadCounters;
  delaysMs: number[];
}

/** Default time to wait for a child's reply, ms. */
export const DEFAULT_RPC_TIMEOUT_MS = 20_000;

/** A child process spoken to by request/reply. `close()` is safe to call twice. */
export class ChildLink<Req extends { type: string }> {
  readonly #child: ChildProcess;
  readonly #pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }>();
  readonly #exited: Promise<number | null>;
  /** Unsolicited messages by type (the first of each), so `waitFor` never misses an early one. */
  readonly #seen = new Map<string, unknown>();
  #nextId = 1;
  #exitCode: number | null | undefined;

  /**
   * Forks `script` (a .ts file next to this one) under tsx. The child's stdout goes to our
   * stderr (stdout is kept for the result table). `execArgv` is added to Node's flags (e.g. `--cpu-prof`).
   */
  constructor(script: string, args: string[] = [], execArgv: string[] = []) {
    const path = fileURLToPath(new URL(script, import.meta.url));
    this.#child = fork(path, args, {
      execArgv: ['--import', 'tsx', ...execArgv],
      stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
    });
    this.#child.stdout?.pipe(process.stderr);
    this.#child.on('message', (raw) => this.#onMessage(raw as Reply | { type: string }));
    this.#exited = new Promise((resolve) => {
      this.#child.on('exit', (code) => {
        this.#exitCode = code;
        for (const [, p] of this.#pending) {
          clearTimeout(p.timer);
          p.reject(new Error(`${script} exited [code:${code}] before replying`));
        }
        this.#pending.clear();
        resolve(code);
      });
    });
  }

  /** Process id of the child. */
  get pid(): number | undefined {
    return this.#child.pid;
  }

  /** Resolves with the first unsolicited message of type `type`. */
  waitFor<T>(type: string, timeoutMs = DEFAULT_RPC_TIMEOUT_MS): Promise<T> {
    if (this.#seen.has(type)) return Promise.resolve(this.#seen.get(type) as T);
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#child.off('message', listener);
        reject(new Error(`child did not send '${type}' within ${timeoutMs} ms`));
      }, timeoutMs);
      const listener = (msg: unknown): void => {
        if (typeof msg === 'object' && msg !== null && (msg as { type?: unknown }).type === type) {
          clearTimeout(timer);
          this.#child.off('message', listener);
          resolve(msg as T);
        }
      };
      this.#child.on('message', listener);
      void this.#exited.then((code) => {
        clearTimeout(timer);
        reject(new Error(`child exited [code:${code}] before sending '${type}'`));
      });
    });
  }

  /** Sends `request` and resolves with the child's reply value. */
  call<T>(request: Req, timeoutMs = DEFAULT_RPC_TIMEOUT_MS): Promise<T> {
    if (this.#exitCode !== undefined) return Promise.reject(new Error(`child already exited [code:${this.#exitCode}]`));
    const id = this.#nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(new Error(`child did not answer '${request.type}' within ${timeoutMs} ms`));
      }, timeoutMs);
      this.#pending.set(id, { resolve: resolve as (v: unknown) => void, reject, timer });
      this.#child.send({ ...request, id });
    });
  }

  /** Waits up to `graceMs` for the child to exit by itself, then kills it. Safe to call twice. */
  async close(graceMs = 5_000): Promise<number | null> {
    if (this.#exitCode === undefined) {
      const timer = setTimeout(() => this.#child.kill('SIGKILL'), graceMs);
      await this.#exited;
      clearTimeout(timer);
    }
    return this.#exitCode ?? null;
  }

  #onMessage(msg: Reply | { type: string }): void {
    if (!('id' in msg)) {
      if (!this.#seen.has(msg.type)) this.#seen.set(msg.type, msg);
      return;
    }
    const pending = this.#pending.get(msg.id);
    if (pending === undefined) return;
    this.#pending.delete(msg.id);
    clearTimeout(pending.timer);
    if (msg.ok) pending.resolve(msg.value);
    else pending.reject(new Error(msg.error));
  }
}

/**
 * Child side: answers every request from the parent with `handler`'s result (or its error).
 * Exits when the parent goes away.
 */
export function serveParent<Req extends { type: string }>(handler: (request: Req) => unknown): void {
  if (process.send === undefined) throw new Error('not started with an IPC channel (run it through the relay bench)');
  process.on('message', (raw) => {
    const { id, ...request } = raw as Req & { id: number };
    Promise.resolve()
      .then(() => handler(request as unknown as Req))
      .then(
        (value) => process.send?.({ id, ok: true, value: value ?? null }),
        (error: unknown) => process.send?.({ id, ok: false, error: error instanceof Error ? error.stack ?? error.message : String(error) }),
      );
  });
  process.on('disconnect', () => process.exit(0));
}
