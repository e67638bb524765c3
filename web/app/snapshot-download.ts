/** Downloads the relay's latest picture of a peer (docs/protocol.md › Snapshot endpoint) as a file. */
import { h } from '../ui/dom.ts';

/** Fetches `url` and saves it as `NAME-STAMP.jpg`; throws with a sentence for people when it cannot. */
export async function downloadSnapshot(url: string, name: string): Promise<void> {
  const response = await fetch(url, { cache: 'no-store' });
  if (!response.ok) {
    const body = (await response.json().catch(() => null)) as { code?: string; message?: string } | null;
    if (body?.code === 'no-frame') throw new Error(`${name} has not sent a picture yet`);
    throw new Error(body?.message ?? `HTTP ${response.status}`);
  }
  const href = URL.createObjectURL(await response.blob());
  const stamp = new Date().toISOString().slice(0, 19).replace(/[:T]/g, '-');
  const link = h('a', { href, download: `${name.replace(/[^\w.-]+/g, '_')}-${stamp}.jpg`, hidden: true });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(href), 60_000);
}
