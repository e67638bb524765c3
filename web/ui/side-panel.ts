/** The side panel: the presence list (with call / hang up per person) and the text chat. */
import type { ChatLine } from '../app/chat.ts';
import type { CallState } from '../app/calls.ts';
import { h, hue, icon, ICONS, initials } from './dom.ts';

/** A person in the presence list. */
export interface Person {
  id: number;
  name: string;
  mode: string;
  self?: boolean;
  /** 'calling' (we invited them), 'in-call' (accepted), or none. */
  call?: CallState;
  /** Their microphone is off. Default false. */
  muted?: boolean;
}

export type { ChatLine } from '../app/chat.ts';

/** Callbacks of `SidePanel`. */
export interface SidePanelOptions {
  onSend: (text: string) => void;
  onCall: (peerId: number) => void;
  onHangup: (peerId: number) => void;
}

export class SidePanel {
  readonly element: HTMLElement;
  readonly #peopleTab: HTMLButtonElement;
  readonly #chatTab: HTMLButtonElement;
  readonly #peoplePane: HTMLElement;
  readonly #chatPane: HTMLElement;
  readonly #people: HTMLUListElement;
  readonly #messages: HTMLElement;
  readonly #input: HTMLInputElement;
  readonly #options: SidePanelOptions;
  #tab: 'people' | 'chat' = 'people';
  #unread = 0;

  constructor(options: SidePanelOptions) {
    this.#options = options;
    this.#peopleTab = h('button', { class: 'tab', role: 'tab', onclick: () => this.show('people') });
    this.#chatTab = h('button', { class: 'tab', role: 'tab', 'data-testid': 'chat-tab', onclick: () => this.show('chat') });
    this.#people = h('ul', { class: 'people', 'data-testid': 'presence' });
    this.#peoplePane = h('div', { class: 'pane' }, this.#people);
    this.#messages = h('div', { class: 'messages', 'data-testid': 'messages', 'aria-live': 'polite' }, h('div', { class: 'empty' }, 'No messages yet. Say hello!'));
    this.#input = h('input', { placeholder: 'Message everyone', maxLength: 1000, 'aria-label': 'Message', 'data-testid': 'chat-input' });
    const form = h(
      'form',
      {
        class: 'chat-form',
        onsubmit: (e: Event) => {
          e.preventDefault();
          const text = this.#input.value.trim();
          if (!text) return;
          this.#input.value = '';
          options.onSend(text);
        },
      },
      this.#input,
      h('button', { class: 'btn primary', type: 'submit', 'aria-label': 'Send', 'data-testid': 'chat-send' }, icon(ICONS.send)),
    );
    this.#chatPane = h('div', { class: 'pane chat' }, this.#messages, form);
    this.element = h('aside', { class: 'side' }, h('div', { class: 'tabs', role: 'tablist' }, this.#peopleTab, this.#chatTab), this.#peoplePane, this.#chatPane);
    this.setPeople([]);
    this.show('people');
  }

  show(tab: 'people' | 'chat'): void {
    this.#tab = tab;
    this.#peoplePane.hidden = tab !== 'people';
    this.#chatPane.hidden = tab !== 'chat';
    this.#peopleTab.setAttribute('aria-selected', String(tab === 'people'));
    this.#chatTab.setAttribute('aria-selected', String(tab === 'chat'));
    if (tab === 'chat') {
      this.#unread = 0;
      this.#input.focus();
    }
    this.#renderChatTab();
  }

  toggle(): void {
    this.element.classList.toggle('collapsed');
    this.element.classList.toggle('open');
  }

  setPeople(people: Person[]): void {
    this.#peopleTab.replaceChildren(icon(ICONS.people), ' People', h('span', { class: 'count' }, String(people.length)));
    this.#people.replaceChildren(
      ...people.map((p) =>
        h(
          'li',
          { class: 'person', dataset: { peerId: String(p.id) }, style: `--hue:${hue(p.name)}` },
          h('div', { class: 'avatar' }, initials(p.name)),
          h('div', { class: 'who' }, h('b', {}, p.self ? `${p.name} (you)` : p.name), h('small', {}, p.call === 'in-call' ? 'in a call with you' : p.call === 'calling' ? 'calling…' : p.mode)),
          p.muted ? h('span', { class: 'person-muted', role: 'img', title: 'Muted', 'aria-label': 'Muted' }, icon(ICONS.micOff)) : null,
          p.self
            ? null
            : p.call
              ? h('button', { class: 'btn small danger', onclick: () => this.#options.onHangup(p.id), 'data-testid': 'hangup' }, 'Hang up')
              : h('button', { class: 'btn small', title: `Call ${p.name}`, onclick: () => this.#options.onCall(p.id), 'data-testid': 'invite' }, icon(ICONS.phone), 'Call'),
        ),
      ),
    );
  }

  addMessage(line: ChatLine): void {
    this.#messages.querySelector('.empty')?.remove();
    const time = new Date(line.ts).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
    this.#messages.append(
      h('div', { class: line.mine ? 'message mine' : 'message', 'data-testid': 'message' }, h('div', { class: 'meta' }, `${line.mine ? 'You' : line.name} · ${time}`), h('div', { class: 'bubble' }, line.text)),
    );
    this.#messages.scrollTop = this.#messages.scrollHeight;
    if (this.#tab !== 'chat' && !line.mine) this.#unread++;
    this.#renderChatTab();
  }

  addNotice(text: string): void {
    this.#messages.querySelector('.empty')?.remove();
    this.#messages.append(h('div', { class: 'message system' }, text));
    this.#messages.scrollTop = this.#messages.scrollHeight;
  }

  #renderChatTab(): void {
    this.#chatTab.replaceChildren(icon(ICONS.chat), ' Chat');
    if (this.#unread > 0) this.#chatTab.append(h('span', { class: 'count unread' }, String(this.#unread)));
  }
}
