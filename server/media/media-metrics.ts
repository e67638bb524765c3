/**
 * Prometheus metrics of server-side media, added to the relay's registry (`GET /metrics`):
 * read from the transcoder and recorder when scraped, so the hot path counts nothing twice.
 * `framewire_transcode_frames_total{result=converted|dropped|sent}`,
 * `framewire_auto_transcode_frames_total{result=converted|dropped|sent}` (thin receivers),
 * `framewire_auto_transcode_pairs`, `framewire_recordings_open`.
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import type { Recorder } from './recorder.ts';
import type { Transcoder } from './transcoder.ts';

/** Registers the media gauges in `registry`; returns a function that removes them. */
export function registerMediaMetrics(registry: Registry, transcoder: Transcoder, recorder: Recorder | null): () => void {
  const names = ['framewire_transcode_frames_total', 'framewire_recordings_open', 'framewire_auto_transcode_frames_total', 'framewire_auto_transcode_pairs'];
  // A counter whose value is owned by the transcoder: set to its totals at each scrape.
  new Counter({
    name: names[0]!,
    help: 'Relay-side transcoding: frames converted to JPEG, dropped because the converter was busy, and sent to receivers',
    labelNames: ['result'],
    registers: [registry],
    collect() {
      const stats = transcoder.stats;
      this.reset();
      this.inc({ result: 'converted' }, stats.converted);
      this.inc({ result: 'dropped' }, stats.dropped);
      this.inc({ result: 'sent' }, stats.sent);
    },
  });
  new Counter({
    name: names[2]!,
    help: 'Automatic downscaling for thin receivers: frames converted, dropped because their (source, receiver) converter or the sharp job pool was busy, and sent',
    labelNames: ['result'],
    registers: [registry],
    collect() {
      const stats = transcoder.stats;
      this.reset();
      this.inc({ result: 'converted' }, stats.autoConverted);
      this.inc({ result: 'dropped' }, stats.autoDropped);
      this.inc({ result: 'sent' }, stats.autoSent);
    },
  });
  new Gauge({
    name: names[3]!,
    help: '(source, receiver) pairs converted automatically now (thin receivers)',
    registers: [registry],
    collect() {
      this.set(transcoder.autoCount);
    },
  });
  new Gauge({
    name: names[1]!,
    help: 'Participant recordings (frame log + MP4) being written now',
    registers: [registry],
    collect() {
      this.set(recorder?.openCount ?? 0);
    },
  });
  return () => {
    for (const name of names) registry.removeSingleMetric(name);
  };
}
