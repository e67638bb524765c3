/**
 * Child process of the relay bench that runs one relay — framewire's (`startRelay`) or the
 * bare-ws baseline — on 127.0.0.1, port 0, alone on its event loop, and reports its RSS,
 * CPU time and counters on request. Usage (by bench/relay.ts): `relay-host.ts framewire|baseline [RELAY_OPTIONS_JSON [RELAY_MODULE]]`.
 */
import { resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { serveParent, type HostRequest, type HostReady, type HostSample, type RelayCounters, type RelayKind } from './relay-ipc.ts';
import { startBaselineRelay } from './relay-baseline.ts';
import type { RelayOptions } from '../server/relay.ts';

/** How often the RSS is sampled for the peak, ms. */
const RSS_SAMPLE_MS = 50;

interface Running {
  url: string;
  port: number;
  stats: RelayCounters;
  close(): Promise<void>;
}

async function start(kind: RelayKind): Promise<Running> {
  if (kind === 'baseline') return startBaselineRelay({ host: '127.0.0.1', port: 0 });
  // argv[4]: another build of the relay to measure (a path to a module exporting `startRelay`).
  const module = process.argv[4] ? pathToFileURL(resolve(process.argv[4])).href : '../server/relay.ts';
  const { startRelay } = (await import(module)) as typeof import('../server/relay.ts');
  const extra = JSON.parse(process.argv[3] ?? '{}') as RelayOptions;
  return startRelay({ logLevel: 'error', ...extra, host: '127.0.0.1', port: 0 });
}

const kind = process.argv[2];
if (kind !== 'framewire' && kind !== 'baseline') {
  console.error(`usage: relay-host.ts framewire|baseline [got: ${kind}]`);
  process.exit(2);
}

const relay = await start(kind);
let peakRss = process.memoryUsage.rss();
const sampler = setInterval(() => {
  peakRss = Math.max(peakRss, process.memoryUsage.rss());
}, RSS_SAMPLE_MS);

serveParent<HostRequest>(async (request) => {
  switch (request.type) {
    case 'sample': {
      const rss = process.memoryUsage.rss();
      peakRss = Math.max(peakRss, rss);
      const cpu = process.cpuUsage();
      const sample: HostSample = {
        rss,
        peakRss,
        cpuMicros: cpu.user + cpu.system,
        at: performance.now(),
        stats: { ...relay.stats },
      };
      if (request.resetPeak) peakRss = rss;
      return sample;
    }
    case 'close':
      clearInterval(sampler);
      await relay.close();
      setImmediate(() => process.exit(0));
      return null;
  }
});

const ready: HostReady = { type: 'ready', kind, port: relay.port, url: relay.url };
process.send?.(ready);
