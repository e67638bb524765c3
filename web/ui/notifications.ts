/** Toasts (transient messages) and the incoming-call dialog. */
import { h, hue, initials } from './dom.ts';

export class Notifications {
  readonly element: HTMLElement;
  #dialog: HTMLElement | undefined;

  constructor() {
    this.element = h('div', { class: 'toasts', 'aria-live': 'polite' });
  }

  /** Shows `text` (and `details`, one line each) for `ms` milliseconds. */
  toast(text: string, ms = 4000, details: string[] = []): void {
    const lines = details.length > 0 ? h('ul', { class: 'toast-details' }, ...details.map((d) => h('li', {}, d))) : null;
    const toast = h('div', { class: 'toast', 'data-testid': 'toast' }, text, lines);
    this.element.append(toast);
    setTimeout(() => toast.remove(), ms);
  }

  /** Shows "NAME is calling you" with Accept / Decline; returns a function that closes it. */
  incomingCall(name: string, onAccept: () => void, onDecline: () => void): () => void {
    this.#dialog?.remove();
    const close = (): void => {
      dialog.remove();
      if (this.#dialog === dialog) this.#dialog = undefined;
    };
    const dialog = h(
      'div',
      { class: 'dialog-backdrop', 'data-testid': 'incoming-call' },
      h(
        'div',
        { class: 'dialog', role: 'dialog', 'aria-modal': 'true', style: `--hue:${hue(name)}` },
        h('div', { class: 'avatar' }, initials(name)),
        h('h2', {}, `${name} is calling you`),
        h('p', {}, 'Accept to put each other in the spotlight.'),
        h(
          'div',
          { class: 'actions' },
          h('button', { class: 'btn danger', 'data-testid': 'decline', onclick: () => (close(), onDecline()) }, 'Decline'),
          h('button', { class: 'btn primary', 'data-testid': 'accept', onclick: () => (close(), onAccept()) }, 'Accept'),
        ),
      ),
    );
    this.#dialog = dialog;
    document.body.append(dialog);
    return close;
  }
}
