/**
 * A tile picture that says something instead of staying black: used when a remote peer's
 * mode cannot be shown in this mode (a raw-mode peer seen from WebRTC mode), see
 * `mode-notice.ts`.
 */

/** Default notice canvas size, px. */
export const NOTICE_WIDTH = 640;
export const NOTICE_HEIGHT = 480;

/** A canvas with `text` word-wrapped and centred on a dark background. */
export function noticeCanvas(text: string, width = NOTICE_WIDTH, height = NOTICE_HEIGHT): HTMLCanvasElement {
  const canvas = document.createElement('canvas');
  canvas.width = width;
  canvas.height = height;
  canvas.dataset['notice'] = text;
  canvas.setAttribute('aria-label', text);
  const ctx = canvas.getContext('2d');
  if (ctx === null) return canvas;
  ctx.fillStyle = '#202124';
  ctx.fillRect(0, 0, width, height);
  ctx.fillStyle = '#f1f3f4';
  const size = Math.round(height / 18);
  ctx.font = `${size}px sans-serif`;
  ctx.textAlign = 'center';
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/)) {
    const candidate = line ? `${line} ${word}` : word;
    if (ctx.measureText(candidate).width > width * 0.85 && line) {
      lines.push(line);
      line = word;
    } else {
      line = candidate;
    }
  }
  if (line) lines.push(line);
  const top = height / 2 - ((lines.length - 1) * size * 1.3) / 2;
  lines.forEach((l, i) => ctx.fillText(l, width / 2, top + i * size * 1.3));
  return canvas;
}
