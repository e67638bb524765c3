/**
 * Measures the browser-side choices of the pipeline in the real Chromium, with its fake
 * camera playing the ffmpeg test picture, and prints a Markdown table (copied into
 * docs/architecture.md › Browser client) plus JSON in test-results/web-measure.json:
 *
 * 1. JPEG encode: `OffscreenCanvas.convertToBlob` vs `HTMLCanvasElement.toBlob`;
 * 2. JPEG encode in a Worker (ImageBitmap transferred, OffscreenCanvas there) vs the main
 *    thread — end-to-end time and the main thread's synchronous share;
 * 3. BGRA receive: `bgraToRgba` + `putImageData` vs WebGL upload with the swizzle in the shader;
 * 4. BGRA send: `getImageData` (willReadFrequently) + `rgbaToBgra`.
 *
 * Run: `npm run build && npx tsx web-node/pipeline-measure.ts [frames]`. Every figure is
 * checked (frames really produced, non-empty output) so a broken path fails instead of
 * reporting nonsense.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { startRelay } from '../server/relay.ts';
import { launchWithTestCamera } from './call-page.ts';

interface Row {
  what: string;
  resolution: string;
  medianMs: number;
  p95Ms: number;
  mainThreadMs?: number;
  bytes?: number;
}

const frames = Number(process.argv[2] ?? 40);
const relay = await startRelay({ port: 0, staticDir: 'dist/web', logLevel: 'error' } as Parameters<typeof startRelay>[0]);
const chrome = await launchWithTestCamera();
try {
  const page = await chrome.browser.newPage();
  // NOTE: tsx (esbuild keepNames) wraps named inner functions in __name(); give the page one.
  await page.addInitScript({ content: 'globalThis.__name = (f) => f;' });
  await page.goto(relay.url + '/');
  const rows = await page.evaluate(async (n: number): Promise<Row[]> => {
    const stream = await navigator.mediaDevices.getUserMedia({ video: { width: 1280, height: 720 } });
    const video = document.createElement('video');
    video.muted = true;
    video.srcObject = stream;
    await video.play();
    await new Promise((r) => setTimeout(r, 500));
    const stat = (xs: number[]): { medianMs: number; p95Ms: number } => {
      // NOTE: the project's one percentile definition (web/stats/percentile.ts: linear
      // interpolation between closest ranks), written out because this runs inside the page.
      const s = [...xs].sort((a, b) => a - b);
      const at = (q: number): number => {
        const rank = q * (s.length - 1);
        const lo = Math.floor(rank);
        return s[lo]! + (s[Math.ceil(rank)]! - s[lo]!) * (rank - lo);
      };
      return { medianMs: Math.round(at(0.5) * 100) / 100, p95Ms: Math.round(at(0.95) * 100) / 100 };
    };
    const out: Row[] = [];
    const sizes = [
      [640, 480],
      [1280, 720],
    ] as const;
    for (const [w, h] of sizes) {
      const res = `${w}×${h}`;
      // 1. convertToBlob vs toBlob
      const off = new OffscreenCanvas(w, h);
      const offCtx = off.getContext('2d', { alpha: false })!;
      const el = document.createElement('canvas');
      el.width = w;
      el.height = h;
      const elCtx = el.getContext('2d', { alpha: false })!;
      for (const method of ['convertToBlob', 'toBlob'] as const) {
        const times: number[] = [];
        const sync: number[] = [];
        let bytes = 0;
        for (let i = 0; i < n + 3; i++) {
          const t0 = performance.now();
          let blob: Blob;
          if (method === 'convertToBlob') {
            offCtx.drawImage(video, 0, 0, w, h);
            const p = off.convertToBlob({ type: 'image/jpeg', quality: 0.7 });
            sync.push(performance.now() - t0);
            blob = await p;
          } else {
            elCtx.drawImage(video, 0, 0, w, h);
            const p = new Promise<Blob>((r) => el.toBlob((b) => r(b!), 'image/jpeg', 0.7));
            sync.push(performance.now() - t0);
            blob = await p;
          }
          const buf = new Uint8Array(await blob.arrayBuffer());
          if (buf[0] !== 0xff || buf[1] !== 0xd8) throw new Error(`${method} produced no JPEG`);
          if (i >= 3) {
            times.push(performance.now() - t0);
            bytes += buf.byteLength;
          }
        }
        out.push({ what: `JPEG encode, main thread, ${method}`, resolution: res, ...stat(times), mainThreadMs: stat(sync.slice(3)).medianMs, bytes: Math.round(bytes / n) });
      }
      // 2. Worker: ImageBitmap transferred, drawn and encoded there
      const workerSource = `
        let canvas, ctx;
        onmessage = async (e) => {
          const { bitmap, w, h } = e.data;
          if (!canvas) { canvas = new OffscreenCanvas(w, h); ctx = canvas.getContext('2d', { alpha: false }); }
          ctx.drawImage(bitmap, 0, 0, w, h); bitmap.close();
          const blob = await canvas.convertToBlob({ type: 'image/jpeg', quality: 0.7 });
          const buf = await blob.arrayBuffer();
          postMessage(buf, [buf]);
        };`;
      const worker = new Worker(URL.createObjectURL(new Blob([workerSource], { type: 'text/javascript' })));
      const times: number[] = [];
      const sync: number[] = [];
      for (let i = 0; i < n + 3; i++) {
        const t0 = performance.now();
        const bitmap = await createImageBitmap(video, { resizeWidth: w, resizeHeight: h });
        const t1 = performance.now();
        const done = new Promise<ArrayBuffer>((r) => (worker.onmessage = (e: MessageEvent<ArrayBuffer>) => r(e.data)));
        worker.postMessage({ bitmap, w, h }, [bitmap]);
        sync.push(performance.now() - t1);
        const buf = new Uint8Array(await done);
        if (buf[0] !== 0xff) throw new Error('worker produced no JPEG');
        if (i >= 3) times.push(performance.now() - t0);
      }
      worker.terminate();
      out.push({ what: 'JPEG encode, Worker (createImageBitmap + transfer + convertToBlob)', resolution: res, ...stat(times), mainThreadMs: stat(sync.slice(3)).medianMs });

      // 3. BGRA send: getImageData + swizzle
      const rc = new OffscreenCanvas(w, h);
      const rctx = rc.getContext('2d', { willReadFrequently: true, alpha: false })!;
      const swap = (src: Uint8ClampedArray | Uint8Array, dst: Uint8Array | Uint8ClampedArray): void => {
        const s = new Uint32Array(src.buffer, src.byteOffset, src.byteLength >>> 2);
        const d = new Uint32Array(dst.buffer, dst.byteOffset, dst.byteLength >>> 2);
        for (let i = 0; i < s.length; i++) {
          const x = s[i]!;
          d[i] = (x & 0xff00ff00) | ((x & 0xff) << 16) | ((x >>> 16) & 0xff);
        }
      };
      const sendTimes: number[] = [];
      let bgra = new Uint8Array(w * h * 4);
      for (let i = 0; i < n; i++) {
        const t0 = performance.now();
        rctx.drawImage(video, 0, 0, w, h);
        const rgba = rctx.getImageData(0, 0, w, h).data;
        bgra = new Uint8Array(w * h * 4);
        swap(rgba, bgra);
        sendTimes.push(performance.now() - t0);
      }
      if (bgra.every((v) => v === 0)) throw new Error('getImageData returned a blank picture');
      out.push({ what: 'BGRA send: drawImage + getImageData + rgbaToBgra', resolution: res, ...stat(sendTimes), bytes: bgra.byteLength });

      // 4. BGRA receive: CPU swizzle + putImageData vs WebGL swizzle in the shader
      const c2d = document.createElement('canvas');
      c2d.width = w;
      c2d.height = h;
      document.body.append(c2d);
      const ctx2d = c2d.getContext('2d', { alpha: false })!;
      const img = new ImageData(w, h);
      const put: number[] = [];
      for (let i = 0; i < n; i++) {
        const t0 = performance.now();
        swap(bgra, img.data);
        ctx2d.putImageData(img, 0, 0);
        ctx2d.getImageData(0, 0, 1, 1); // wait until the pixels are really in the canvas
        put.push(performance.now() - t0);
      }
      out.push({ what: 'BGRA receive: bgraToRgba + putImageData', resolution: res, ...stat(put) });
      const cgl = document.createElement('canvas');
      cgl.width = w;
      cgl.height = h;
      document.body.append(cgl);
      const gl = cgl.getContext('webgl', { alpha: false, preserveDrawingBuffer: true });
      if (gl) {
        const prog = gl.createProgram()!;
        const vs = gl.createShader(gl.VERTEX_SHADER)!;
        gl.shaderSource(vs, 'attribute vec2 p; varying vec2 uv; void main(){ uv=vec2((p.x+1.0)*0.5,(1.0-p.y)*0.5); gl_Position=vec4(p,0.0,1.0);}');
        gl.compileShader(vs);
        const fs = gl.createShader(gl.FRAGMENT_SHADER)!;
        gl.shaderSource(fs, 'precision mediump float; uniform sampler2D t; varying vec2 uv; void main(){ vec4 c=texture2D(t,uv); gl_FragColor=vec4(c.b,c.g,c.r,1.0);}');
        gl.compileShader(fs);
        gl.attachShader(prog, vs);
        gl.attachShader(prog, fs);
        gl.linkProgram(prog);
        gl.useProgram(prog);
        gl.bindBuffer(gl.ARRAY_BUFFER, gl.createBuffer());
        gl.bufferData(gl.ARRAY_BUFFER, new Float32Array([-1, -1, 1, -1, -1, 1, 1, 1]), gl.STATIC_DRAW);
        gl.enableVertexAttribArray(0);
        gl.vertexAttribPointer(0, 2, gl.FLOAT, false, 0, 0);
        gl.bindTexture(gl.TEXTURE_2D, gl.createTexture());
        gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_MIN_FILTER, gl.LINEAR);
        gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_WRAP_S, gl.CLAMP_TO_EDGE);
        gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_WRAP_T, gl.CLAMP_TO_EDGE);
        gl.viewport(0, 0, w, h);
        const glTimes: number[] = [];
        const px = new Uint8Array(4);
        for (let i = 0; i < n; i++) {
          const t0 = performance.now();
          gl.texImage2D(gl.TEXTURE_2D, 0, gl.RGBA, w, h, 0, gl.RGBA, gl.UNSIGNED_BYTE, bgra);
          gl.drawArrays(gl.TRIANGLE_STRIP, 0, 4);
          gl.readPixels(0, 0, 1, 1, gl.RGBA, gl.UNSIGNED_BYTE, px); // wait for the draw
          glTimes.push(performance.now() - t0);
        }
        const renderer = gl.getParameter(gl.RENDERER) as string;
        out.push({ what: `BGRA receive: WebGL texture + shader swizzle (${renderer.slice(0, 40)})`, resolution: res, ...stat(glTimes) });
      }
      c2d.remove();
      cgl.remove();
    }
    for (const t of stream.getTracks()) t.stop();
    return out;
  }, frames);

  const env = { node: process.version, cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, chromium: chrome.browser.version(), frames };
  mkdirSync('test-results', { recursive: true });
  writeFileSync('test-results/web-measure.json', JSON.stringify({ env, rows }, null, 2));
  console.log(`Chromium ${env.chromium} (headless, --disable-gpu), ${env.cpu}, ${env.cores} cores, Node ${env.node}, ${frames} frames each\n`);
  console.log('| what | size | median ms | p95 ms | main-thread ms | bytes |');
  console.log('|---|---|---:|---:|---:|---:|');
  for (const r of rows) console.log(`| ${r.what} | ${r.resolution} | ${r.medianMs} | ${r.p95Ms} | ${r.mainThreadMs ?? ''} | ${r.bytes ?? ''} |`);
} finally {
  await chrome.close();
  await relay.close();
}
