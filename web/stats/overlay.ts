/** Formats the stats snapshots as the rows of a tile's overlay. */
import { TRANSPORT_LABELS, type TransportInfo } from '../net/relay-link.ts';
import type { PeerStatsSnapshot, SelfStatsSnapshot } from './call-stats.ts';

function ms(value: number | null): string {
  return value === null ? '–' : `${value.toFixed(value < 10 ? 1 : 0)} ms`;
}

function bytes(n: number): string {
  if (n >= 1024 * 1024) return `${(n / 1024 / 1024).toFixed(2)} MB`;
  if (n >= 1024) return `${(n / 1024).toFixed(1)} kB`;
  return `${n} B`;
}

function kbps(n: number): string {
  return n >= 10_000 ? `${(n / 1000).toFixed(1)} Mbps` : `${n} kbps`;
}

/** The relay's report of our frames' path to this peer (only while we send with delivery feedback). */
function pathRows(p: PeerStatsSnapshot): [string, string][] {
  const path = p.path;
  if (path === null) return [];
  return [['our path to them', `${kbps(path.goodputKbps)} · queue ${ms(path.queueDelayMs)} · ${path.fps.toFixed(1)} fps · ${path.droppedPerSecond.toFixed(1)}/s dropped`]];
}

/** The sender's rate adaptation (only with delivery feedback). */
function rateRows(s: SelfStatsSnapshot): [string, string][] {
  const r = s.rate;
  if (r === null) return [];
  const scale = r.scale < 1 ? ` (×${r.scale.toFixed(2)})` : '';
  return [
    ['capacity / target', `${r.capacityKbps === null ? '–' : kbps(r.capacityKbps)} / ${kbps(r.targetKbps)}`],
    ['actual / queue', `${kbps(r.actualKbps)} / ${ms(r.queueDelayMs)}`],
    ['adapted to', `${r.width}×${r.height}${scale} q${r.quality} ${r.fps} fps`],
    ...(r.receiverCapKbps === null ? [] : [['fastest receiver', kbps(r.receiverCapKbps)] as [string, string]]),
    ['why', r.reason],
    ['skipped (rate)', String(r.skipped)],
  ];
}

/** Rows for a remote tile; `transcodedFrom` = the codec the peer sends while the relay converts it to what we receive (server/media). */
export function peerRows(p: PeerStatsSnapshot, transcodedFrom?: string): [string, string][] {
  if (p.webrtc) {
    // WebRTC mode: the figures come from getStats() (web/webrtc/webrtc-stats.ts).
    const w = p.webrtc;
    return [
      ['fps recv / paint', `${w.fps === null ? '–' : w.fps.toFixed(1)} / ${p.fps.toFixed(1)}`],
      ['bitrate', w.kbps === null ? '–' : kbps(Math.round(w.kbps))],
      ['frame', p.width > 0 ? `webrtc ${p.width}×${p.height}` : '–'],
      ['jitter buffer', ms(w.jitterBufferDelayMs)],
      ['decode', ms(w.decodeMs)],
      ['rtt', ms(w.rttMs)],
      ['route', w.route ?? '–'],
      ['painted', String(p.framesPainted)],
    ];
  }
  return [
    ['fps recv / paint', `${p.fpsReceived.toFixed(1)} / ${p.fps.toFixed(1)}`],
    ['bitrate', kbps(p.kbps)],
    ['frame', p.width > 0 ? `${p.codec} ${p.width}×${p.height} · ${bytes(p.frameBytes)}` : '–'],
    ...(transcodedFrom ? [['relay converts', `${transcodedFrom} → ${p.codec || '…'}`] as [string, string]] : []),
    ['latency p50 / p95', `${ms(p.latencyMs.p50)} / ${ms(p.latencyMs.p95)}`],
    ['decode', ms(p.decodeMs)],
    ['drops relay / here', `${p.relayDropped} / ${p.receiverDropped}`],
    ['painted', String(p.framesPainted)],
    ...pathRows(p),
  ];
}

/** What carries the link, and why not WebSocket: e.g. `HTTP stream (WebSocket blocked …)`. */
export function transportText(transport: TransportInfo): string {
  const label = TRANSPORT_LABELS[transport.kind];
  return transport.reason === undefined ? label : `${label} (${transport.reason})`;
}

/** Rows for the local tile; `transport` = what carries the link to the relay (a row when known). */
export function selfRows(s: SelfStatsSnapshot, mode: string, rttMs: number | null, offsetMs: number, transport: TransportInfo | null = null): [string, string][] {
  return [
    ['mode', mode],
    ...(transport === null ? [] : [['relay link', transportText(transport)] as [string, string]]),
    ['fps sent', s.fps.toFixed(1)],
    ['bitrate', kbps(s.kbps)],
    ['frame', s.width > 0 ? `${s.width}×${s.height} · ${bytes(s.frameBytes)}` : '–'],
    ['encode', ms(s.encodeMs)],
    ['skipped (busy)', String(s.skipped)],
    ...rateRows(s),
    ['sent', String(s.framesSent)],
    ['rtt / clock offset', `${ms(rttMs)} / ${offsetMs.toFixed(1)} ms`],
  ];
}
