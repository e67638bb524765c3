/**
 * One participant's tile: the picture (canvas or video), a name label with a level meter or a
 * muted badge, a green outline while speaking, an avatar while there is no picture, the stats
 * overlay, and for remote peers a menu (tile-menu.ts).
 */
import { h, hue, icon, ICONS, initials } from './dom.ts';
import { meterFill } from './speaking.ts';
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
  readonly #muted: HTMLElement;
  readonly #meter: HTMLElement;
  #isMuted = false;
  /** The level shown (rounded by the caller), null = no audio: meter hidden. */
  #level: number | null = null;
  #speaking = false;
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
    this.#muted = h('span', { class: 'tile-muted', role: 'img', 'aria-label': 'Muted', title: 'Muted', hidden: true, 'data-testid': 'tile-muted' }, icon(ICONS.micOff));
    this.#meter = h('span', { class: 'tile-level', role: 'meter', 'aria-label': 'Sound level', 'aria-valuemin': '0', 'aria-valuemax': '1', hidden: true, 'data-testid': 'tile-level' });
    this.#avatarNote = h('em', {}, 'Waiting for video…');
    this.#avatar = h('div', { class: 'tile-avatar' }, h('span', {}, initials(name)), this.#avatarNote);
    this.#overlay = h('div', { class: 'tile-overlay', hidden: true, 'data-testid': 'tile-stats' });
    this.element = h(
      'div',
      { class: id === 0 ? 'tile self' : 'tile', dataset: { peerId: String(id) }, 'data-testid': id === 0 ? 'tile-self' : 'tile-remote' },
      this.#avatar,
      h('div', { class: 'tile-label' }, this.#muted, this.#meter, this.#label, this.#badge, this.#note),
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

  /** Shows the mic-off badge (and `data-muted="1"`) while the participant is muted; `title` says why. */
  setMuted(muted: boolean, title = 'Muted'): void {
    this.#muted.title = title;
    this.#muted.setAttribute('aria-label', title);
    if (muted === this.#isMuted) return;
    this.#isMuted = muted;
    this.#muted.hidden = !muted;
    if (muted) this.element.dataset['muted'] = '1';
    else delete this.element.dataset['muted'];
    this.#renderMeter();
  }

  get muted(): boolean {
    return this.#isMuted;
  }

  /**
   * The sound level heard from the participant (0..1, `data-level`), null = no audio (meter
   * hidden), and whether they are speaking (green outline, `data-speaking="1"`).
   */
  setAudioLevel(level: number | null, speaking: boolean): void {
    if (speaking !== this.#speaking) {
      this.#speaking = speaking;
      this.element.classList.toggle('speaking', speaking);
      if (speaking) this.element.dataset['speaking'] = '1';
      else delete this.element.dataset['speaking'];
    }
    if (level === this.#level) return;
    this.#level = level;
    if (level === null) delete this.element.dataset['level'];
    else this.element.dataset['level'] = String(level);
    this.#renderMeter();
  }

  /** Whether the speaking outline is on. */
  get speaking(): boolean {
    return this.#speaking;
  }

  /** The meter shows while there is audio and the participant is not muted (the badge says it then). */
  #renderMeter(): void {
    const level = this.#level;
    this.#meter.hidden = level === null || this.#isMuted;
    if (level === null) return;
    this.#meter.style.setProperty('--level', meterFill(level).toFixed(3));
    this.#meter.setAttribute('aria-valuenow', String(level));
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
