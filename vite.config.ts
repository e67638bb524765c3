import { defineConfig } from 'vite';

/**
 * The web app: root web/, built to dist/web (served by the relay with `staticDir`).
 * In `npm run dev` (server/dev.ts) the dev server proxies /ws, the HTTP fallback /fw (and /rooms, snapshots) to the relay at
 * FRAMEWIRE_RELAY_URL (default http://127.0.0.1:8787).
 */
const relay = process.env['FRAMEWIRE_RELAY_URL'] ?? 'http://127.0.0.1:8787';

export default defineConfig({
  root: 'web',
  publicDir: false,
  build: {
    outDir: '../dist/web',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: true,
    rollupOptions: {
      // index.html is the app; audio-lab.html is the audio pipeline's test bench (web/pipeline/audio).
      input: { main: 'web/index.html', 'audio-lab': 'web/audio-lab.html' },
    },
  },
  server: {
    proxy: {
      '/ws': { target: relay, ws: true, changeOrigin: true },
      // The HTTP fallback (docs/protocol.md › HTTP channel): streamed GET, POSTs per frame.
      '/fw': { target: relay, changeOrigin: true },
      // Snapshots (server/media): the call page fetches them from its own origin.
      '/rooms': { target: relay, changeOrigin: true },
    },
  },
});
