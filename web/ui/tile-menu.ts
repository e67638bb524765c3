/** The "⋮" menu of a remote tile: save bandwidth (receive this peer as relay JPEG) and snapshot. */
import { h, icon, ICONS } from './dom.ts';

/** Callbacks of `TileMenu`. */
export interface TileMenuOptions {
  /** The user asked to receive this peer as JPEG (`on`) or as sent. */
  onReceiveJpeg: (on: boolean) => void;
  /** The user asked for a snapshot of this peer. */
  onSnapshot: () => void;
}

/** What the menu shows; see `TileMenu.update`. */
export interface TileMenuState {
  /** The peer's frames pass through the relay (raw modes on both sides). */
  available: boolean;
  /** Offer "receive as JPEG": the peer streams BGRA, or we already receive it as JPEG. */
  jpegAvailable: boolean;
  /** We receive relay JPEG (checked). */
  jpegOn: boolean;
  /** A request is unanswered. */
  pending: boolean;
}

export class TileMenu {
  readonly element: HTMLElement;
  readonly #button: HTMLButtonElement;
  readonly #list: HTMLElement;
  readonly #jpeg: HTMLButtonElement;
  readonly #snapshot: HTMLButtonElement;
  #open = false;
  #closed = false;
  readonly #onDocumentClick = (event: MouseEvent): void => {
    if (!this.element.contains(event.target as Node)) this.toggle(false);
  };

  constructor(options: TileMenuOptions) {
    this.#button = h(
      'button',
      {
        class: 'tile-menu-button',
        title: 'More options',
        'aria-label': 'More options',
        'aria-haspopup': 'menu',
        'aria-expanded': 'false',
        'data-testid': 'tile-menu',
        onclick: () => this.toggle(),
      },
      icon(ICONS.more),
    );
    this.#jpeg = h(
      'button',
      {
        class: 'menu-item',
        role: 'menuitemcheckbox',
        'aria-checked': 'false',
        'data-testid': 'receive-jpeg',
        onclick: () => {
          this.toggle(false);
          options.onReceiveJpeg(this.#jpeg.getAttribute('aria-checked') !== 'true');
        },
      },
      icon(ICONS.bandwidth),
      h('span', {}, 'Save bandwidth: receive as JPEG', h('small', {}, 'The relay converts this raw BGRA stream for you')),
      h('span', { class: 'check', 'aria-hidden': 'true' }),
    );
    this.#snapshot = h(
      'button',
      {
        class: 'menu-item',
        role: 'menuitem',
        'data-testid': 'snapshot',
        onclick: () => {
          this.toggle(false);
          options.onSnapshot();
        },
      },
      icon(ICONS.snapshot),
      h('span', {}, 'Snapshot', h('small', {}, 'Download the latest picture as JPEG')),
    );
    this.#list = h('div', { class: 'tile-menu-list', role: 'menu', hidden: true }, this.#jpeg, this.#snapshot);
    this.element = h('div', { class: 'tile-menu' }, this.#button, this.#list);
  }

  /** Opens or closes the list (`open` omitted: flips). */
  toggle(open = !this.#open): void {
    if (this.#closed || open === this.#open) return;
    this.#open = open;
    this.#list.hidden = !open;
    this.#button.setAttribute('aria-expanded', String(open));
    if (open) document.addEventListener('click', this.#onDocumentClick, true);
    else document.removeEventListener('click', this.#onDocumentClick, true);
  }

  update(state: TileMenuState): void {
    this.element.hidden = !state.available;
    if (!state.available) this.toggle(false);
    this.#jpeg.hidden = !state.jpegAvailable;
    this.#jpeg.disabled = state.pending;
    this.#jpeg.setAttribute('aria-checked', String(state.jpegOn));
  }

  /** Removes the document listener; safe to call twice. */
  close(): void {
    this.toggle(false);
    this.#closed = true;
  }
}
