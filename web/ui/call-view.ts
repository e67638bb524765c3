/**
 * The call screen: header (room, REC indicator, invite link, connection status), the tile grid
 * with the connection banner and the microphone notice above it, the control bar and the side panel.
 */
import { TRANSPORT_LABELS, type LinkState, type StateInfo, type TransportInfo } from '../net/relay-link.ts';
import { ControlBar, type ControlBarOptions } from './controls.ts';
import { h, icon, ICONS } from './dom.ts';
import { microphoneProblemText, type MicrophoneProblem } from './mic-problem.ts';
import { SidePanel, type SidePanelOptions } from './side-panel.ts';
import type { TileMenu } from './tile-menu.ts';
import { Tile } from './tile.ts';

/** Options of `CallView`. */
export interface CallViewOptions {
  room: string;
  inviteLink: string;
  controls: ControlBarOptions;
  panel: SidePanelOptions;
  onCopyLink: () => void;
  /** Builds the menu of a remote tile (peer id); none when omitted. */
  tileMenu?: (peerId: number) => TileMenu;
}

export class CallView {
  readonly element: HTMLElement;
  readonly controls: ControlBar;
  readonly panel: SidePanel;
  readonly #grid: HTMLElement;
  readonly #status: HTMLElement;
  readonly #banner: HTMLElement;
  readonly #micNotice: HTMLElement;
  readonly #rec: HTMLElement;
  readonly #tileMenu: CallViewOptions['tileMenu'];
  readonly #tiles = new Map<number, Tile>();
  #state: LinkState = 'connecting';
  #detail = '';
  #transport: TransportInfo | undefined;

  constructor(options: CallViewOptions) {
    this.controls = new ControlBar({ ...options.controls, onTogglePanel: () => this.panel.toggle() });
    this.panel = new SidePanel(options.panel);
    this.#grid = h('div', { class: 'grid', 'data-testid': 'grid' });
    this.#status = h('span', { class: 'status-pill', 'data-testid': 'status', 'data-state': 'connecting' }, 'Connecting…');
    this.#banner = h('div', { class: 'banner', hidden: true, 'data-testid': 'banner' });
    this.#micNotice = h('div', { class: 'notice', role: 'alert', hidden: true, 'data-testid': 'mic-notice' });
    this.#rec = h('span', { class: 'rec-pill', hidden: true, role: 'status', title: 'This call is being recorded', 'data-testid': 'rec' }, 'REC');
    this.#tileMenu = options.tileMenu;
    this.element = h(
      'div',
      { class: 'call' },
      h(
        'header',
        { class: 'call-header' },
        h('div', { class: 'brand' }, h('div', { class: 'brand-mark' }, 'fw')),
        h('div', { class: 'room-name' }, options.room, h('small', {}, 'room')),
        this.#rec,
        h('div', { class: 'spacer' }),
        this.#status,
        h('button', { class: 'btn small ghost', onclick: options.onCopyLink, title: options.inviteLink }, icon(ICONS.link), h('span', { class: 'label' }, 'Copy invite link')),
      ),
      h('main', { class: 'stage' }, h('div', { class: 'notices' }, this.#banner, this.#micNotice), this.#grid),
      this.controls.element,
      this.panel.element,
    );
  }

  /** The tile of peer `id` (0 = self), created on first use. */
  tile(id: number, name: string, mode: string): Tile {
    let tile = this.#tiles.get(id);
    if (tile === undefined) {
      tile = new Tile(id, name, mode);
      if (id !== 0 && this.#tileMenu) tile.setMenu(this.#tileMenu(id));
      this.#tiles.set(id, tile);
      if (id === 0) this.#grid.prepend(tile.element);
      else this.#grid.append(tile.element);
      this.#layout();
    }
    return tile;
  }

  findTile(id: number): Tile | undefined {
    return this.#tiles.get(id);
  }

  tiles(): Tile[] {
    return [...this.#tiles.values()];
  }

  removeTile(id: number): void {
    this.#tiles.get(id)?.remove();
    this.#tiles.delete(id);
    this.#layout();
  }

  /** Removes every remote tile (a new session after reconnecting). */
  clearRemoteTiles(): void {
    for (const id of [...this.#tiles.keys()]) if (id !== 0) this.removeTile(id);
  }

  setConnection(state: LinkState, info: StateInfo, detail = ''): void {
    this.#state = state;
    this.#detail = detail;
    this.#renderStatus();
    if (state === 'reconnecting') {
      const wait = info.delayMs !== undefined ? ` in ${(info.delayMs / 1000).toFixed(1)} s` : '';
      this.showBanner(`Connection lost — reconnecting${wait} (attempt ${info.attempt ?? 1})`);
    } else if (state === 'failed') {
      this.showBanner(`The relay refused the connection${info.reason ? `: ${info.reason}` : ''}.`, true);
    } else if (state === 'open') {
      this.showBanner(null);
    }
  }

  /** What carries the call (shown in the status pill while connected; the reason for a fallback as its tooltip). */
  setTransport(transport: TransportInfo | undefined): void {
    this.#transport = transport;
    this.#renderStatus();
  }

  #renderStatus(): void {
    const state = this.#state;
    const transport = this.#transport;
    const label = transport === undefined ? undefined : TRANSPORT_LABELS[transport.kind];
    const text: Record<LinkState, string> = {
      connecting: 'Connecting…',
      open: ['Connected', label, this.#detail].filter((part) => part).join(' · '),
      reconnecting: 'Reconnecting…',
      closed: 'Disconnected',
      failed: 'Connection refused',
    };
    this.#status.dataset['state'] = state;
    if (transport !== undefined) this.#status.dataset['transport'] = transport.kind;
    this.#status.textContent = text[state];
    let title = '';
    if (state === 'open' && transport !== undefined) title = transport.reason === undefined ? `Connected over ${label}` : `${label}: ${transport.reason}`;
    this.#status.title = title;
  }

  /** Shows or hides the red REC indicator; `title` says who started it. */
  setRecording(active: boolean, title = 'This call is being recorded'): void {
    this.#rec.hidden = !active;
    this.#rec.title = title;
  }

  showBanner(text: string | null, bad = false): void {
    this.#banner.hidden = text === null;
    this.#banner.textContent = text ?? '';
    this.#banner.classList.toggle('bad', bad);
  }

  /**
   * The microphone can't be used: a notice that stays until dismissed (or `null`), and the
   * mute button disabled with the reason as its title.
   */
  setMicrophoneProblem(problem: MicrophoneProblem | null): void {
    if (problem === null) {
      this.#micNotice.hidden = true;
      this.#micNotice.replaceChildren();
      delete this.#micNotice.dataset['code'];
      this.controls.setMicrophoneProblem(null);
      return;
    }
    const text = microphoneProblemText(problem);
    this.controls.setMicrophoneProblem(text.button);
    this.#micNotice.dataset['code'] = problem.code;
    this.#micNotice.title = problem.message;
    this.#micNotice.replaceChildren(
      icon(ICONS.micOff),
      h('div', { class: 'notice-text' }, h('strong', {}, text.title), h('span', {}, text.detail)),
      h(
        'button',
        { class: 'notice-close', title: 'Dismiss', 'aria-label': 'Dismiss', 'data-testid': 'mic-notice-dismiss', onclick: () => (this.#micNotice.hidden = true) },
        icon(ICONS.close),
      ),
    );
    this.#micNotice.hidden = false;
  }

  /** Columns and rows so that every tile gets the largest 4:3 area in the stage. */
  #layout(): void {
    const n = Math.max(1, this.#tiles.size);
    const cols = n === 1 ? 1 : n <= 4 ? 2 : 3;
    this.#grid.dataset['count'] = String(n);
    this.#grid.style.setProperty('--cols', String(cols));
    this.#grid.style.setProperty('--rows', String(Math.ceil(n / cols)));
  }
}
