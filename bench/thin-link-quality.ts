/**
 * Delivered picture quality for the thin-link bench, measured inside the receiver page.
 *
 * While a mode runs, the probe grabs a painted remote picture every `intervalMs` from the
 * app's paint hook (`window.framewire.onPaint`: the tile canvas in raw modes, the `<video>`
 * in WebRTC), scales it to the sender's canvas size (so a small picture cannot pass for a
 * good one), reads its frame id and keeps its luma. Afterwards `finish()` re-draws the
 * sender's harness pictures with the harness's own `HarnessSource` (the synthetic content is
 * a pure function of the frame id, and the same Chromium renders it alike), and compares
 * each grab with the reference of the same id: PSNR and SSIM on luma (BT.601), below the
 * frame-id strip. As an alignment check, the first grabs are also compared with the
 * pictures one id before and after: the right id must score best.
 *
 * The probe is a plain JavaScript string (not a serialized TypeScript function: tsx's
 * helper calls would not exist in the page).
 */

/** Options of `qualityProbeSource`. */
export interface QualityProbeOptions {
  /** The sender's canvas size, px (the reference size). */
  width: number;
  height: number;
  /** Smallest time between two grabs per peer, ms. Default 500. */
  intervalMs?: number;
  /** Grabs also compared with their neighbours' references. Default 5. */
  alignmentSamples?: number;
}

/** Default time between two grabs, ms. */
export const DEFAULT_QUALITY_INTERVAL_MS = 500;

/** One grab compared with its reference. */
export interface QualitySample {
  id: number;
  peerId: number;
  /** Size of the painted picture before scaling, px. */
  paintedWidth: number;
  paintedHeight: number;
  /** Luma PSNR against the reference, dB (99 when identical). */
  psnrDb: number;
  /** Luma SSIM (8×8 windows, step 4), 0..1. */
  ssim: number;
  /** PSNR against the references of id − 1 and id + 1 (alignment check), when computed. */
  psnrPrevDb?: number;
  psnrNextDb?: number;
}

/** What `window.__thinLinkQuality.finish()` returns. */
export interface QualityResult {
  samples: QualitySample[];
  /** Grabs whose frame id could not be read. */
  unreadable: number;
  /** Grabs whose reference could not be drawn (id before the reference source's first). */
  unmatched: number;
  /** Error text when the probe could not run (e.g. the harness module was not found). */
  error?: string;
}

/**
 * JavaScript (an async function expression body run by `page.evaluate`) that installs
 * `window.__thinLinkQuality` = { stop(), finish(): Promise<QualityResult> } in the page.
 */
export function qualityProbeSource(options: QualityProbeOptions): string {
  const width = Math.round(options.width);
  const height = Math.round(options.height);
  const interval = options.intervalMs ?? DEFAULT_QUALITY_INTERVAL_MS;
  const alignment = options.alignmentSamples ?? 5;
  if (!(width >= 26 && height >= 10) || !(interval > 0) || !(alignment >= 0)) {
    throw new TypeError(`bad quality probe options [width:${width}, height:${height}, intervalMs:${interval}, alignmentSamples:${alignment}]`);
  }
  return `(async () => {
  const W = ${width}, H = ${height}, INTERVAL = ${interval}, ALIGN = ${alignment};
  const TOP = Math.max(1, Math.round(H * 0.1));
  const url = performance.getEntriesByType('resource').map((e) => e.name).find((n) => /\\/assets\\/harness-[^/]*\\.js$/.test(n));
  if (!url) throw new Error('quality probe: the harness module was not loaded (source=harness?)');
  const m = await import(url);
  const canvas = document.createElement('canvas');
  canvas.width = W; canvas.height = H;
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  const grabs = [];
  const last = new Map();
  let running = true, unreadable = 0;
  const lumaOf = (data) => {
    const y = new Uint8Array(W * H);
    for (let i = 0, p = 0; i < y.length; i++, p += 4) y[i] = (77 * data[p] + 150 * data[p + 1] + 29 * data[p + 2] + 128) >> 8;
    return y;
  };
  const off = window.framewire.onPaint((peerId, element) => {
    if (!running) return;
    const now = performance.now();
    if (now - (last.get(peerId) ?? -Infinity) < INTERVAL) return;
    const w = element instanceof HTMLVideoElement ? element.videoWidth : element.width;
    const h = element instanceof HTMLVideoElement ? element.videoHeight : element.height;
    if (!(w > 0 && h > 0)) return;
    last.set(peerId, now);
    ctx.drawImage(element, 0, 0, W, H);
    const data = ctx.getImageData(0, 0, W, H).data;
    const id = m.readFrameId(data, W, H);
    if (id === null) { unreadable++; return; }
    grabs.push({ id, peerId, w, h, luma: lumaOf(data) });
  });
  const psnr = (a, b) => {
    let se = 0;
    for (let i = TOP * W; i < a.length; i++) { const d = a[i] - b[i]; se += d * d; }
    const mse = se / (a.length - TOP * W);
    return mse === 0 ? 99 : Math.min(99, 10 * Math.log10((255 * 255) / mse));
  };
  const ssim = (a, b) => {
    const C1 = 6.5025, C2 = 58.5225;
    let sum = 0, n = 0;
    for (let y0 = TOP; y0 + 8 <= H; y0 += 4) {
      for (let x0 = 0; x0 + 8 <= W; x0 += 4) {
        let sa = 0, sb = 0, saa = 0, sbb = 0, sab = 0;
        for (let y = y0; y < y0 + 8; y++) {
          let i = y * W + x0;
          for (let x = 0; x < 8; x++, i++) { const p = a[i], q = b[i]; sa += p; sb += q; saa += p * p; sbb += q * q; sab += p * q; }
        }
        const ma = sa / 64, mb = sb / 64;
        const va = saa / 64 - ma * ma, vb = sbb / 64 - mb * mb, cov = sab / 64 - ma * mb;
        sum += ((2 * ma * mb + C1) * (2 * cov + C2)) / ((ma * ma + mb * mb + C1) * (va + vb + C2));
        n++;
      }
    }
    return n === 0 ? 0 : sum / n;
  };
  window.__thinLinkQuality = {
    stop() { running = false; off(); },
    async finish() {
      if (running) { running = false; off(); }
      const byId = new Map();
      for (const g of grabs) if (!byId.has(g.id)) byId.set(g.id, g);
      const sorted = [...byId.values()].sort((a, b) => a.id - b.id);
      const recorder = new m.LatencyRecorder();
      const source = new m.HarnessSource({ recorder, width: W, height: H, fps: 1 });
      source.close();
      const rctx = source.canvas.getContext('2d');
      const refLuma = () => lumaOf(rctx.getImageData(0, 0, W, H).data);
      let id = recorder.captures().at(-1).id;
      const samples = [];
      let unmatched = 0;
      for (const g of sorted) {
        if (g.id < id) { unmatched++; continue; }
        while (id < g.id - 1) { source.draw(); id++; }
        let before = null;
        const align = samples.length < ALIGN;
        if (id === g.id - 1) { if (align) before = refLuma(); source.draw(); id++; }
        const here = refLuma();
        const s = { id: g.id, peerId: g.peerId, paintedWidth: g.w, paintedHeight: g.h, psnrDb: psnr(g.luma, here), ssim: ssim(g.luma, here) };
        if (align) {
          if (before !== null) s.psnrPrevDb = psnr(g.luma, before);
          source.draw(); id++;
          s.psnrNextDb = psnr(g.luma, refLuma());
        }
        samples.push(s);
      }
      grabs.length = 0;
      return { samples, unreadable, unmatched };
    },
  };
})()`;
}
