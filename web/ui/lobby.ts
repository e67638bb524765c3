/** The lobby card: name, room, optional secret and media mode; camera errors are shown here. */
import type { JoinRequest } from '../app/session.ts';
import { MEDIA_MODES, type MediaMode } from '../app/settings.ts';
import { CODECS } from '../pipeline/codecs.ts';
import { append, h } from './dom.ts';

/** What the lobby submits. */
export type { JoinRequest } from '../app/session.ts';

/** Options of `Lobby`. */
export interface LobbyOptions {
  name?: string;
  room?: string;
  secret?: string;
  mode: MediaMode;
  /** Modes offered (webrtc only when the build has it). */
  modes?: readonly MediaMode[];
  onJoin: (request: JoinRequest) => void;
}

const MODE_LABELS: Record<MediaMode, string> = { jpeg: CODECS.jpeg.label, bgra: CODECS.bgra.label, webrtc: 'WebRTC' };

/** A random, readable room name. */
export function randomRoom(): string {
  const words = ['maple', 'harbor', 'cobalt', 'ember', 'willow', 'granite', 'lumen', 'orbit', 'delta', 'quartz'];
  const pick = (): string => words[Math.floor(Math.random() * words.length)]!;
  return `${pick()}-${pick()}-${Math.floor(100 + Math.random() * 900)}`;
}

export class Lobby {
  readonly element: HTMLElement;
  readonly #form: HTMLFormElement;
  readonly #error: HTMLElement;
  readonly #button: HTMLButtonElement;
  readonly #name: HTMLInputElement;
  readonly #room: HTMLInputElement;
  readonly #secret: HTMLInputElement;
  readonly #mode: HTMLSelectElement;
  readonly #onJoin: (request: JoinRequest) => void;

  constructor(options: LobbyOptions) {
    this.#onJoin = options.onJoin;
    this.#name = h('input', { id: 'lobby-name', name: 'name', required: true, maxLength: 32, placeholder: 'Your name', autocomplete: 'nickname', value: options.name ?? '' });
    this.#room = h('input', { id: 'lobby-room', name: 'room', required: true, maxLength: 64, placeholder: 'Room name', pattern: '[A-Za-z0-9_\\-]{1,64}', title: 'Letters, digits, _ and -', value: options.room ?? randomRoom() });
    this.#secret = h('input', { id: 'lobby-secret', name: 'secret', type: 'password', maxLength: 128, placeholder: 'Optional', value: options.secret ?? '' });
    this.#mode = h(
      'select',
      { id: 'lobby-mode', name: 'mode' },
      ...(options.modes ?? MEDIA_MODES).map((m) => h('option', { value: m, selected: m === options.mode }, MODE_LABELS[m])),
    );
    this.#error = h('div', { class: 'alert', role: 'alert', hidden: true, 'data-testid': 'lobby-error' });
    this.#button = h('button', { class: 'btn primary block', type: 'submit', 'data-testid': 'join' }, 'Join call');
    this.#form = h(
      'form',
      {
        onsubmit: (e: Event) => {
          e.preventDefault();
          this.#submit();
        },
      },
      this.#error,
      h('div', { class: 'field' }, h('label', { for: 'lobby-name' }, 'Your name'), this.#name),
      h('div', { class: 'field' }, h('label', { for: 'lobby-room' }, 'Room'), this.#room),
      h(
        'div',
        { class: 'field-row' },
        h('div', { class: 'field' }, h('label', { for: 'lobby-secret' }, 'Room secret'), this.#secret),
        h('div', { class: 'field' }, h('label', { for: 'lobby-mode' }, 'Video'), this.#mode),
      ),
      this.#button,
    );
    this.element = h(
      'main',
      { class: 'lobby' },
      h(
        'section',
        { class: 'lobby-card' },
        h('div', { class: 'brand' }, h('div', { class: 'brand-mark' }, 'fw'), 'framewire'),
        h('h1', {}, 'Join a video call'),
        h('p', { class: 'sub' }, 'Pick a name and a room. Anyone with the room link can join you.'),
        this.#form,
        h('div', { class: 'hint' }, 'Tip: share ', h('code', {}, '/?room=NAME'), ' to invite people straight into a room.'),
      ),
    );
  }

  /** Enables/disables the form while joining. */
  set busy(busy: boolean) {
    this.#button.disabled = busy;
    this.#button.textContent = busy ? 'Starting camera…' : 'Join call';
  }

  /** Shows an error (camera denied or missing, room refused) with optional actions. */
  showError(title: string, message: string, actions: { label: string; primary?: boolean; onClick: () => void }[] = []): void {
    this.#error.replaceChildren();
    append(this.#error, [
      h('strong', {}, title),
      h('span', { class: 'error-message' }, message),
      actions.length > 0
        ? h('div', { class: 'actions' }, ...actions.map((a) => h('button', { type: 'button', class: `btn small ${a.primary ? 'primary' : ''}`, onclick: a.onClick }, a.label)))
        : null,
    ]);
    this.#error.hidden = false;
  }

  clearError(): void {
    this.#error.hidden = true;
  }

  /** The current form values (if valid). */
  values(): JoinRequest | undefined {
    const name = this.#name.value.trim();
    const room = this.#room.value.trim();
    if (!name || !room) return undefined;
    const secret = this.#secret.value;
    return { name, room, mode: this.#mode.value as MediaMode, ...(secret ? { secret } : {}) };
  }

  focus(): void {
    (this.#name.value ? this.#room : this.#name).focus();
  }

  #submit(): void {
    const values = this.values();
    if (values === undefined) {
      this.#form.reportValidity();
      return;
    }
    this.#onJoin(values);
  }
}
