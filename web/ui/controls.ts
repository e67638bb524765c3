/** The control bar: microphone mute, camera on/off, microphone and camera pickers, codec, resolution, frame rate, JPEG quality, record, stats, side panel, leave. */
import { MAX_FPS, MIN_FPS, RESOLUTIONS, type MediaMode, type MediaSettings } from '../app/settings.ts';
import { CODECS, rawCodec } from '../pipeline/codecs.ts';
import { deviceChoices, type DeviceLike, type PickerKind } from './devices.ts';
import { h, icon, ICONS } from './dom.ts';

/** Callbacks of `ControlBar`. */
export interface ControlBarOptions {
  settings: MediaSettings;
  modes: readonly MediaMode[];
  onChange: (patch: Partial<MediaSettings>) => void;
  onToggleStats: (on: boolean) => void;
  onTogglePanel: () => void;
  onLeave: () => void;
  /** Start or stop recording the room (relay-side). */
  onToggleRecord: () => void;
  statsOn: boolean;
}

const MODE_LABELS: Record<MediaMode, string> = { jpeg: CODECS.jpeg.shortLabel, bgra: CODECS.bgra.shortLabel, webrtc: 'WebRTC' };

export class ControlBar {
  readonly element: HTMLElement;
  readonly #camera: HTMLButtonElement;
  readonly #mic: HTMLButtonElement;
  readonly #micPicker: HTMLSelectElement;
  readonly #cameraPicker: HTMLSelectElement;
  readonly #pickers: HTMLElement[];
  #settings: MediaSettings;
  /** Why there is no microphone (the disabled mute button's title), or null. */
  #noMic: string | null = null;
  /** The last device list (`setDevices`), null = unknown. */
  #devices: readonly DeviceLike[] | null = null;
  readonly #mode: HTMLSelectElement;
  readonly #res: HTMLSelectElement;
  readonly #fps: HTMLInputElement;
  readonly #fpsOut: HTMLOutputElement;
  readonly #quality: HTMLInputElement;
  readonly #qualityOut: HTMLOutputElement;
  readonly #qualityControl: HTMLElement;
  readonly #stats: HTMLButtonElement;
  readonly #record: HTMLButtonElement;

  constructor(options: ControlBarOptions) {
    const s = options.settings;
    this.#settings = s;
    this.#mic = h('button', {
      class: 'round',
      title: 'Mute (M)',
      'aria-label': 'Mute',
      'aria-pressed': 'false',
      'aria-keyshortcuts': 'M',
      'data-testid': 'toggle-mic',
      onclick: () => {
        if (this.#noMic === null) options.onChange({ micOn: !this.#settings.micOn });
      },
    });
    this.#micPicker = h('select', {
      id: 'ctl-mic',
      class: 'device',
      'data-testid': 'mic-picker',
      onchange: () => options.onChange({ micDeviceId: this.#micPicker.value }),
    });
    this.#cameraPicker = h('select', {
      id: 'ctl-cam',
      class: 'device',
      'data-testid': 'camera-picker',
      onchange: () => options.onChange({ cameraDeviceId: this.#cameraPicker.value }),
    });
    this.#pickers = [
      h('div', { class: 'control', hidden: true }, h('label', { for: 'ctl-mic' }, 'Mic'), this.#micPicker),
      h('div', { class: 'control', hidden: true }, h('label', { for: 'ctl-cam' }, 'Camera'), this.#cameraPicker),
    ];
    this.#camera = h('button', {
      class: 'round',
      title: 'Turn camera off',
      'aria-label': 'Camera',
      'data-testid': 'toggle-camera',
      onclick: () => options.onChange({ cameraOn: this.#camera.classList.contains('off') }),
    });
    this.#mode = h(
      'select',
      { id: 'ctl-mode', 'data-testid': 'codec', onchange: () => options.onChange({ mode: this.#mode.value as MediaMode }) },
      ...options.modes.map((m) => h('option', { value: m }, MODE_LABELS[m])),
    );
    this.#res = h(
      'select',
      {
        id: 'ctl-res',
        'data-testid': 'resolution',
        onchange: () => {
          const [width, height] = this.#res.value.split('x').map(Number) as [number, number];
          options.onChange({ width, height });
        },
      },
      ...RESOLUTIONS.map((r) => h('option', { value: `${r.width}x${r.height}` }, `${r.width}×${r.height}`)),
    );
    this.#fpsOut = h('output', {});
    this.#fps = h('input', {
      id: 'ctl-fps',
      type: 'range',
      min: MIN_FPS,
      max: MAX_FPS,
      step: 1,
      'data-testid': 'fps',
      oninput: () => (this.#fpsOut.value = this.#fps.value),
      onchange: () => options.onChange({ fps: Number(this.#fps.value) }),
    });
    this.#qualityOut = h('output', {});
    this.#quality = h('input', {
      id: 'ctl-q',
      type: 'range',
      min: 10,
      max: 100,
      step: 5,
      'data-testid': 'quality',
      oninput: () => (this.#qualityOut.value = this.#quality.value),
      onchange: () => options.onChange({ quality: Number(this.#quality.value) }),
    });
    this.#qualityControl = h('div', { class: 'control' }, h('label', { for: 'ctl-q' }, 'Quality'), this.#quality, this.#qualityOut);
    this.#record = h(
      'button',
      { class: 'round record', title: 'Record the call', 'aria-label': 'Record', 'aria-pressed': 'false', 'data-testid': 'record', onclick: options.onToggleRecord },
      icon(ICONS.record),
    );
    this.#stats = h('button', {
      class: 'round',
      title: 'Show statistics',
      'aria-label': 'Statistics',
      'aria-pressed': String(options.statsOn),
      'data-testid': 'toggle-stats',
      onclick: () => {
        const on = this.#stats.getAttribute('aria-pressed') !== 'true';
        this.#stats.setAttribute('aria-pressed', String(on));
        options.onToggleStats(on);
      },
    }, icon(ICONS.stats));
    this.element = h(
      'footer',
      { class: 'controls' },
      this.#mic,
      this.#camera,
      h('div', { class: 'control' }, h('label', { for: 'ctl-mode' }, 'Codec'), this.#mode),
      h('div', { class: 'control' }, h('label', { for: 'ctl-res' }, 'Size'), this.#res),
      h('div', { class: 'control' }, h('label', { for: 'ctl-fps' }, 'FPS'), this.#fps, this.#fpsOut),
      this.#qualityControl,
      ...this.#pickers,
      this.#record,
      this.#stats,
      h('button', { class: 'round', title: 'People and chat', 'aria-label': 'People and chat', onclick: options.onTogglePanel }, icon(ICONS.chat)),
      h('button', { class: 'round leave', title: 'Leave call', 'aria-label': 'Leave', 'data-testid': 'leave', onclick: options.onLeave }, icon(ICONS.leave)),
    );
    this.update(s);
  }

  /** Reflects the room's recording: `active` (red), `pending` (a request of ours is unanswered). */
  setRecording(active: boolean, pending: boolean): void {
    this.#record.setAttribute('aria-pressed', String(active));
    this.#record.classList.toggle('recording', active);
    this.#record.disabled = pending;
    this.#record.title = pending ? (active ? 'Stopping the recording…' : 'Starting the recording…') : active ? 'Stop recording' : 'Record the call';
  }

  /**
   * No microphone to mute (`reason` says why, as the button's title): the mute button is
   * disabled and shows mic-off, with `data-mic="none"`. null: the microphone is back.
   */
  setMicrophoneProblem(reason: string | null): void {
    this.#noMic = reason;
    this.#renderMic();
  }

  /**
   * Fills the microphone and camera pickers from `enumerateDevices()`; null (the browser
   * can't list devices) hides them.
   */
  setDevices(devices: readonly DeviceLike[] | null): void {
    this.#devices = devices;
    for (const picker of this.#pickers) picker.hidden = devices === null;
    this.#renderPicker(this.#micPicker, 'audioinput', this.#settings.micDeviceId);
    this.#renderPicker(this.#cameraPicker, 'videoinput', this.#settings.cameraDeviceId);
  }

  /** Reflects `settings` in the controls. */
  update(settings: MediaSettings): void {
    this.#settings = settings;
    this.#renderMic();
    this.#renderPicker(this.#micPicker, 'audioinput', settings.micDeviceId);
    this.#renderPicker(this.#cameraPicker, 'videoinput', settings.cameraDeviceId);
    this.#camera.replaceChildren(icon(settings.cameraOn ? ICONS.camera : ICONS.cameraOff));
    this.#camera.classList.toggle('off', !settings.cameraOn);
    this.#camera.title = settings.cameraOn ? 'Turn camera off' : 'Turn camera on';
    this.#mode.value = settings.mode;
    this.#res.value = `${settings.width}x${settings.height}`;
    if (this.#res.value === '') {
      this.#res.append(h('option', { value: `${settings.width}x${settings.height}` }, `${settings.width}×${settings.height}`));
      this.#res.value = `${settings.width}x${settings.height}`;
    }
    this.#fps.value = String(settings.fps);
    this.#fpsOut.value = String(settings.fps);
    this.#quality.value = String(settings.quality);
    this.#qualityOut.value = String(settings.quality);
    this.#qualityControl.hidden = !(rawCodec(settings.mode)?.lossy ?? false);
  }

  #renderMic(): void {
    const button = this.#mic;
    const noMic = this.#noMic;
    const on = this.#settings.micOn && noMic === null;
    button.replaceChildren(icon(on ? ICONS.mic : ICONS.micOff));
    button.classList.toggle('off', !on);
    // Pressed = silent: muted, or no microphone to send from.
    button.setAttribute('aria-pressed', String(!on));
    button.disabled = noMic !== null;
    if (noMic !== null) button.dataset['mic'] = 'none';
    else delete button.dataset['mic'];
    button.title = noMic ?? (this.#settings.micOn ? 'Mute (M)' : 'Unmute (M)');
  }

  /** Lists the devices of `kind` in `picker` with `selected` ('' or absent = default) chosen. */
  #renderPicker(picker: HTMLSelectElement, kind: PickerKind, selected: string | undefined): void {
    if (this.#devices === null) return;
    const choices = deviceChoices(this.#devices, kind, selected ?? '');
    const same = picker.options.length === choices.length && choices.every((c, i) => picker.options[i]?.value === c.value && picker.options[i]?.text === c.label);
    // NOTE: rebuilding the options of an open select closes it; only rebuild on a real change.
    if (!same) picker.replaceChildren(...choices.map((c) => h('option', { value: c.value }, c.label)));
    picker.value = selected ?? '';
    picker.title = picker.selectedOptions[0]?.text ?? '';
  }
}
