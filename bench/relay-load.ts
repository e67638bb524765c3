/**
 * Load-generator child process of the relay bench: runs its senders and receivers in worker
 * threads (`relay-load-worker.ts`, one event loop each, so they use both cores) that share
 * one `SharedArrayBuffer` for the closed-loop max-rate pacing, and routes the bench's
 * requests to them. Usage (by bench/relay.ts): `relay-load.ts [WORKERS]` (default 2).
 */
import { Worker } from 'node:worker_threads';
import { FEEDBACK_CELLS, serveParent, type LoadProcessRequest, type Reply } from './relay-ipc.ts';

/** Worker threads started when the command line does not say. */
export const DEFAULT_LOAD_WORKERS = 2;

const count = Number(process.argv[2] ?? DEFAULT_LOAD_WORKERS);
if (!Number.isInteger(count) || count < 1) throw new TypeError(`worker count must be a positive integer [got:${process.argv[2]}]`);

const shared = new SharedArrayBuffer(FEEDBACK_CELLS * Int32Array.BYTES_PER_ELEMENT);
// NOTE: a worker's entry module is loaded before `--import` hooks apply to it, so the worker
// starts from a tiny JS entry that registers tsx and then imports the TypeScript file.
const tsxApi = import.meta.resolve('tsx/esm/api');
const entry = new URL('./relay-load-worker.ts', import.meta.url).href;
const boot = `import(${JSON.stringify(tsxApi)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(entry)}); });`;

interface Pending {
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
}

const workers = Array.from({ length: count }, () => {
  const worker = new Worker(boot, { eval: true, workerData: shared });
  const pending = new Map<number, Pending>();
  worker.on('message', (reply: Reply) => {
    const p = pending.get(reply.id);
    if (p === undefined) return;
    pending.delete(reply.id);
    if (reply.ok) p.resolve(reply.value);
    else p.reject(new Error(reply.error));
  });
  worker.on('error', (error) => {
    for (const p of pending.values()) p.reject(error);
    pending.clear();
    console.error('load worker failed:', error);
    process.exit(1);
  });
  return { worker, pending };
});
let nextId = 1;

serveParent<LoadProcessRequest>(async (request) => {
  if (request.type === 'exit') {
    await Promise.all(workers.map(({ worker }) => worker.terminate()));
    setImmediate(() => process.exit(0));
    return null;
  }
  const { worker: index, ...forward } = request;
  const target = workers[index];
  if (target === undefined) throw new RangeError(`no such worker [worker:${index}, workers:${count}]`);
  const id = nextId++;
  return new Promise((resolve, reject) => {
    target.pending.set(id, { resolve, reject });
    target.worker.postMessage({ ...forward, id });
  });
});
process.send?.({ type: 'ready' });
