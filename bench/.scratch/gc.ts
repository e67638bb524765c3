import { PerformanceObserver, performance, constants } from 'node:perf_hooks';
import { WebSocket } from 'ws';
import { encodeFrame, Codec } from '../../codec/index.ts';
import { startBaselineRelay } from '../relay-baseline.ts';
import { startRelay } from '../../server/relay.ts';

const kind = process.argv[2]!;
const N = Number(process.argv[3] ?? 20000);
const gcs: Record<string, number> = {};
let gcMs = 0;
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) {
    const k = (e as any).detail?.kind ?? (e as any).kind;
    const name = k === constants.NODE_PERFORMANCE_GC_MAJOR ? 'major' : k === constants.NODE_PERFORMANCE_GC_MINOR ? 'minor' : k === constants.NODE_PERFORMANCE_GC_INCREMENTAL ? 'incr' : 'weak';
    gcs[name] = (gcs[name] ?? 0) + 1;
    gcMs += e.duration;
  }
}).observe({ entryTypes: ['gc'] });
const relay: any = kind === 'baseline' ? await startBaselineRelay() : await startRelay({ logLevel: 'error', ...(JSON.parse(process.argv[4] ?? '{}')) });
const url = relay.url.replace('http', 'ws') + '/ws?room=r&name=';
const open = (n: string) => new Promise<WebSocket>((res) => { const w = new WebSocket(url + n, { generateMask: (m) => void m.fill(0) }); w.once('open', () => res(w)); });
const s = await open('s'); const r = await open('r');
await new Promise((res) => setTimeout(res, 100));
const payload = new Uint8Array(49960); payload[0] = 0xff; payload[1] = 0xd8;
const frame = Buffer.from(encodeFrame({ codec: Codec.jpeg, width: 640, height: 480, payload }));
let got = 0; let sent = 0;
const t0 = performance.now();
const done = new Promise<void>((res) => r.on('message', (d, bin) => { if (bin) { got++; if (sent < N) { s.send(frame); sent++; } if (got + relay.stats.drops >= N) res(); } }));
for (let i = 0; i < 4; i++) { s.send(frame); sent++; }
await done;
const ms = performance.now() - t0;
console.log(kind, process.argv[4] ?? '', `frames ${got} drops ${relay.stats.drops} in ${ms.toFixed(0)} ms = ${(got / ms * 1000).toFixed(0)} f/s; gc`, gcs, `gc ms ${gcMs.toFixed(0)}`, 'cpu', JSON.stringify(process.cpuUsage()));
process.exit(0);
