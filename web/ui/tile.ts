/**
 * One participant's tile: the picture (canvas or video), a name label, an avatar while there
 * is no picture, the stats overlay, and for remote peers a menu (tile-menu.ts).
 */
import { h, hue, initials } from './dom.ts';
import type { TileMenu } from './tile-menu.ts';

export class Tile {
  readonly element: HTMLElement;
  readonly id: number;
  readonly #label: HTMLElement;
  readonly #badge: HTMLElement;
  readonly #avatar: HTMLElement;
  readonly #avatarNote: HTMLElement;
  readonly #overlay: HTMLElement;
  readonly #note: HTMLElement;
  #menu: TileMenu | undefined;
  #media: HTMLCanvasElement | HTMLVideoElement | undefined;
  #name: string;

  /** `id` 0 is the local participant. */
  constructor(id: number, name: string, mode: string) {
    this.id = id;
    this.#name = name;
    this.#label = h('span', { class: 'tile-name' });
    this.#badge = h('span', { class: 'badge' });
    this.#note = h('span', { class: 'tile-note', hidden: true, 'data-testid': 'tile-note' });
    this.#avatarNote = h('em', {}, 'Waiting for video…');
    this.#avatar = h('div', { class: 'tile-avatar' }, h('span', {}, initials(name)), this.#avatarNote);
    this.#overlay = h('div', { class: 'tile-overlay', hidden: true, 'data-testid': 'tile-stats' });
    this.element = h(
      'div',
      { class: id === 0 ? 'tile self' : 'tile', dataset: { peerId: String(id) }, 'data-testid': id === 0 ? 'tile-self' : 'tile-remote' },
      this.#avatar,
      h('div', { class: 'tile-label' }, this.#label, this.#badge, this.#note),
      this.#overlay,
    );
    this.setName(name, mode);
  }

  setName(name: string, mode: string): void {
    this.#name = name;
    this.#label.textContent = this.id === 0 ? `${name} (you)` : name;
    this.#badge.textContent = mode;
    this.#badge.hidden = mode === '';
    this.element.style.setProperty('--hue', String(hue(name)));
    this.#avatar.querySelector('span')!.textContent = initials(name);
  }

  get name(): string {
    return this.#name;
  }

  /** The media element shown (a painter's canvas or a video). */
  get media(): HTMLCanvasElement | HTMLVideoElement | undefined {
    return this.#media;
  }

  setMedia(element: HTMLCanvasElement | HTMLVideoElement): void {
    if (this.#media === element) return;
    this.#media?.remove();
    this.#media = element;
    element.classList.add('tile-media');
    this.element.prepend(element);
  }

  /** Shows the avatar instead of the picture (no frames lately, or camera off). */
  setLive(live: boolean, note = 'Waiting for video…'): void {
    this.#avatar.hidden = live;
    if (this.#media) this.#media.style.visibility = live ? 'visible' : 'hidden';
    this.#avatarNote.textContent = note;
  }

  /** A second badge after the mode (e.g. "→ JPEG" while the relay transcodes); null hides it. */
  setNote(text: string | null, title = ''): void {
    this.#note.hidden = text === null;
    this.#note.textContent = text ?? '';
    this.#note.title = title;
  }

  /** The tile's menu, if any. */
  get menu(): TileMenu | undefined {
    return this.#menu;
  }

  /** Puts `menu` in the tile's top-left corner (once). */
  setMenu(menu: TileMenu): void {
    if (this.#menu !== undefined) return;
    this.#menu = menu;
    this.element.append(menu.element);
  }

  setSpotlight(on: boolean): void {
    this.element.classList.toggle('spotlight', on);
  }

  /** Fills the stats overlay with label/value rows; `null` hides it. */
  setStats(rows: [string, string][] | null): void {
    if (rows === null) {
      this.#overlay.hidden = true;
      return;
    }
    this.#overlay.hidden = false;
    this.#overlay.replaceChildren(h('dl', {}, ...rows.flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v)])));
  }

  remove(): void {
    this.#menu?.close();
    this.element.remove();
  }
}
