/** Entry point of the web app (web/index.html). */
import './ui/styles.css';
import { createApi } from './app/api.ts';
import { App } from './app/app.ts';
import { parseUrlPreset } from './app/settings.ts';

const params = new URLSearchParams(location.search);
const painter = params.get('painter');
const jpeg = params.get('jpeg');
const app = new App({
  root: document.getElementById('app')!,
  preset: parseUrlPreset(location.search),
  ...(painter === 'webgl' || painter === 'canvas2d' ? { painter } : {}),
  ...(jpeg === 'offscreen' || jpeg === 'canvas' ? { jpegMethod: jpeg } : {}),
});
window.framewire = createApi(app);
app.start();
