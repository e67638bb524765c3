/**
 * One load-generator thread of the relay bench (a worker of `relay-load.ts`): opens
 * WebSocket clients to a relay (framewire's or the baseline), sends valid wire-format frames
 * — paced at a frame rate, or at max rate in a closed loop — and counts what arrives, with
 * the relay delay of every frame (receive time − captureTime; both on
 * `performance.timeOrigin + performance.now()`, the same clock in every process of the machine).
 *
 * Max rate is a closed loop over shared memory: each receiver stores the last seq it got in
 * its slot of the shared `Int32Array`; a sender keeps at most `window` frames between its
 * next seq and the slowest receiver's last seq, and at most `MAX_WRITES` frames in its own
 * socket's hands. So "max rate" is what the relay delivers end to end, not what it can read
 * and then drop or queue.
 */
import { performance } from 'node:perf_hooks';
import { parentPort, workerData } from 'node:worker_threads';
import { WebSocket } from 'ws';
import { Codec, decodeHeader, encodeFrameInto, HEADER_BYTES, Offset } from '../codec/index.ts';
import {
  type ClientSpec,
  type LoadCounters,
  type LoadReport,
  type LoadRequest,
  type SendSpec,
} from './relay-ipc.ts';

/** Frames a max-rate sender hands to its socket before the first write completes. */
const MAX_WRITES = 2;
/** Shared feedback: cell 0 is a generation counter bumped on every receive; cells 1.. are receivers' last seq. */
const feedback = new Int32Array(workerData as SharedArrayBuffer);
const GENERATION = 0;
type WaitAsync = (array: Int32Array, index: number, value: number) => { async: boolean; value: Promise<string> | string };
const waitAsync = (Atomics as unknown as { waitAsync: WaitAsync }).waitAsync;

/** Paced senders are checked this often, ms. */
const TICK_MS = 2;
/** Most delay samples kept per process (a few seconds of the fastest case fit). */
const MAX_DELAY_SAMPLES = 2_000_000;
/** How long to wait for the last writes after `stop`, ms. */
const STOP_TIMEOUT_MS = 15_000;

const now = (): number => performance.timeOrigin + performance.now();

const counters: LoadCounters = {
  framesSent: 0,
  bytesSent: 0,
  expectedFrames: 0,
  expectedBytes: 0,
  skipped: 0,
  framesReceived: 0,
  bytesReceived: 0,
  invalid: 0,
  at: 0,
};
let delays: number[] = [];
let measuring = false;
let sending = false;
let writeErrors = 0;
let clients: Client[] = [];
let ticker: NodeJS.Timeout | undefined;

/** A payload with the look of its codec: JPEG SOI…EOI around incompressible bytes, or BGRA pixels. */
function makePayload(spec: SendSpec): Uint8Array {
  const bytes = spec.frameBytes - HEADER_BYTES;
  if (spec.codec === 'bgra' && bytes !== spec.width * spec.height * 4) {
    throw new TypeError(`bgra frame size wrong [frameBytes:${spec.frameBytes}, expected:${HEADER_BYTES + spec.width * spec.height * 4}]`);
  }
  const payload = new Uint8Array(bytes);
  let x = 0x9e3779b9 ^ bytes;
  for (let i = 0; i < bytes; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    payload[i] = x & 0xff;
  }
  if (spec.codec === 'jpeg') {
    payload.set([0xff, 0xd8], 0);
    payload.set([0xff, 0xd9], bytes - 2);
  }
  return payload;
}

/** One WebSocket: receives always, sends when it has a `SendSpec`. */
class Client {
  readonly socket: WebSocket;
  readonly opened: Promise<void>;
  readonly closed: Promise<void>;
  readonly #send: SendSpec | undefined;
  readonly #slot: number | undefined;
  readonly #ring: Buffer[] = [];
  readonly #busy: boolean[] = [];
  readonly #views: DataView[] = [];
  #seq = 0;
  #inFlight = 0;
  #nextDue = 0;
  #waiting = false;

  constructor(url: string, spec: ClientSpec) {
    this.#send = spec.send;
    this.#slot = spec.feedbackSlot;
    if (this.#slot !== undefined) Atomics.store(feedback, this.#slot, -1);
    if (spec.send) {
      const payload = makePayload(spec.send);
      const slots = spec.send.fps === 0 ? MAX_WRITES + 1 : 2;
      for (let i = 0; i < slots; i++) {
        const buffer = Buffer.allocUnsafeSlow(spec.send.frameBytes);
        encodeFrameInto({ codec: Codec[spec.send.codec], width: spec.send.width, height: spec.send.height, payload }, buffer, 0);
        this.#ring.push(buffer);
        this.#busy.push(false);
        this.#views.push(new DataView(buffer.buffer, buffer.byteOffset, HEADER_BYTES));
      }
    }
    const mode = spec.send?.codec ?? 'jpeg';
    const target = `${url.replace(/^http/, 'ws')}/ws?room=${encodeURIComponent(spec.room)}&name=${encodeURIComponent(spec.name)}&mode=${mode}`;
    // A zero mask lets ws skip masking (no copy, no XOR) in the load generator; the relay still unmasks.
    this.socket = new WebSocket(target, { perMessageDeflate: false, generateMask: (mask) => void mask.fill(0) });
    this.socket.binaryType = 'nodebuffer';
    this.opened = new Promise((resolve, reject) => {
      this.socket.once('open', () => resolve());
      this.socket.once('error', reject);
      this.socket.once('close', (code, reason) => reject(new Error(`closed before open [code:${code}, reason:${reason.toString()}]`)));
    });
    this.closed = new Promise((resolve) => this.socket.once('close', () => resolve()));
    this.socket.on('error', () => undefined);
    this.socket.on('message', (data, isBinary) => {
      if (!isBinary) return;
      const bytes = data as Buffer;
      const at = now();
      try {
        const header = decodeHeader(bytes);
        if (this.#slot !== undefined) {
          Atomics.store(feedback, this.#slot, header.seq);
          Atomics.add(feedback, GENERATION, 1);
          Atomics.notify(feedback, GENERATION);
        }
        counters.framesReceived++;
        counters.bytesReceived += bytes.byteLength;
        if (measuring && delays.length < MAX_DELAY_SAMPLES) delays.push(at - header.captureTime);
      } catch {
        counters.invalid++;
      }
    });
  }

  get inFlight(): number {
    return this.#inFlight;
  }

  /** Arms the sender at `start` (ms on the shared clock). */
  arm(start: number): void {
    if (this.#send === undefined) return;
    this.#nextDue = start + this.#send.phaseMs;
    if (this.#send.fps === 0) this.pump();
  }

  /** Max rate: sends while the socket and the end-to-end window have room. */
  pump(): void {
    const spec = this.#send;
    if (spec === undefined || spec.fps !== 0) return;
    while (sending && this.#inFlight < MAX_WRITES && this.socket.readyState === WebSocket.OPEN) {
      if (!this.#windowOpen(spec)) {
        this.#waitForReceivers();
        return;
      }
      if (!this.#sendOne()) break;
    }
  }

  /** True while fewer than `window` frames are between this sender and its slowest receiver. */
  #windowOpen(spec: SendSpec): boolean {
    const loop = spec.loop;
    if (loop === undefined) return true;
    let slowest = Number.POSITIVE_INFINITY;
    for (let i = loop.firstSlot; i < loop.firstSlot + loop.slots; i++) slowest = Math.min(slowest, Atomics.load(feedback, i));
    return this.#seq - 1 - slowest < loop.window;
  }

  #waitForReceivers(): void {
    if (this.#waiting) return;
    this.#waiting = true;
    const generation = Atomics.load(feedback, GENERATION);
    const wake = (): void => {
      this.#waiting = false;
      this.pump();
    };
    // Re-check once the generation moved (or at once if it already has).
    if (!this.#windowOpen(this.#send!)) {
      const result = waitAsync(feedback, GENERATION, generation);
      if (result.async) void (result.value as Promise<string>).then(wake);
      else queueMicrotask(wake);
    } else {
      queueMicrotask(wake);
    }
  }

  /** Paced: sends the frames that are due; a frame more than a period late is skipped. */
  tick(at: number): void {
    const spec = this.#send;
    if (spec === undefined || spec.fps === 0 || !sending) return;
    const period = 1000 / spec.fps;
    while (at >= this.#nextDue) {
      if (at - this.#nextDue > period || !this.#sendOne()) counters.skipped++;
      this.#nextDue += period;
    }
  }

  #sendOne(): boolean {
    const spec = this.#send!;
    const slot = this.#seq % this.#ring.length;
    if (this.#busy[slot] || this.socket.readyState !== WebSocket.OPEN) return false;
    const view = this.#views[slot]!;
    view.setUint32(Offset.seq, this.#seq >>> 0, false);
    view.setFloat64(Offset.captureTime, now(), false);
    this.#seq++;
    this.#busy[slot] = true;
    this.#inFlight++;
    counters.framesSent++;
    counters.bytesSent += spec.frameBytes;
    counters.expectedFrames += spec.fanout;
    counters.expectedBytes += spec.frameBytes * spec.fanout;
    this.socket.send(this.#ring[slot]!, { binary: true }, (error) => {
      this.#busy[slot] = false;
      this.#inFlight--;
      if (error) writeErrors++;
      else if (spec.fps === 0) this.pump();
    });
    return true;
  }
}

function snapshot(): LoadCounters {
  return { ...counters, at: performance.now() };
}

async function handle(request: LoadRequest): Promise<unknown> {
  switch (request.type) {
    case 'setup': {
      if (clients.length > 0) throw new Error('setup twice without teardown');
      for (const key of Object.keys(counters) as (keyof LoadCounters)[]) counters[key] = 0;
      delays = [];
      writeErrors = 0;
      clients = request.clients.map((spec) => new Client(request.url, spec));
      await Promise.all(clients.map((c) => c.opened));
      return snapshot();
    }
    case 'start': {
      sending = true;
      const start = now();
      for (const client of clients) client.arm(start);
      ticker = setInterval(() => {
        const at = now();
        for (const client of clients) client.tick(at);
      }, TICK_MS);
      return snapshot();
    }
    case 'measure':
      measuring = request.on;
      return snapshot();
    case 'stop': {
      sending = false;
      measuring = false;
      if (ticker) clearInterval(ticker);
      ticker = undefined;
      const deadline = performance.now() + STOP_TIMEOUT_MS;
      while (clients.some((c) => c.inFlight > 0)) {
        if (performance.now() > deadline) throw new Error(`writes still pending after ${STOP_TIMEOUT_MS} ms`);
        await new Promise((r) => setTimeout(r, 5));
      }
      if (writeErrors > 0) throw new Error(`${writeErrors} frame writes failed`);
      return snapshot();
    }
    case 'counters':
      return snapshot();
    case 'report': {
      const report: LoadReport = { counters: snapshot(), delaysMs: delays };
      delays = [];
      return report;
    }
    case 'teardown': {
      sending = false;
      if (ticker) clearInterval(ticker);
      ticker = undefined;
      for (const client of clients) client.socket.close(1000);
      const timer = setTimeout(() => {
        for (const client of clients) client.socket.terminate();
      }, 3_000);
      await Promise.all(clients.map((c) => c.closed));
      clearTimeout(timer);
      clients = [];
      return null;
    }
  }
}

parentPort!.on('message', (raw: LoadRequest & { id: number }) => {
  const { id, ...request } = raw;
  handle(request as LoadRequest).then(
    (value) => parentPort!.postMessage({ id, ok: true, value: value ?? null }),
    (error: unknown) => parentPort!.postMessage({ id, ok: false, error: error instanceof Error ? error.stack ?? error.message : String(error) }),
  );
});
