/**
 * The chat controller: the room's text chat. Sends `chat`, keeps every line the relay
 * delivered (our own come back as an echo and are marked `mine`). No DOM: the UI renders
 * its events.
 */
import { Emitter, isMessage, type ChatRequest } from '../../protocol/index.ts';
import type { ControlMessage } from '../net/relay-link.ts';

/** A chat line. */
export interface ChatLine {
  from: number;
  name: string;
  text: string;
  /** Relay time, ms since the epoch. */
  ts: number;
  /** We sent it. */
  mine: boolean;
}

/** Events of `ChatController`. */
export type ChatEvents = {
  message: [ChatLine];
};

/** Options of `ChatController`. */
export interface ChatOptions {
  /** Sends a control message; false when not connected. */
  send: (message: ChatRequest) => boolean;
  /** Our id in the current session. */
  selfId: () => number;
  /** A peer's display name (for a line without one). */
  nameOf: (peerId: number) => string;
}

export class ChatController {
  readonly events = new Emitter<ChatEvents>();
  readonly #options: ChatOptions;
  readonly #lines: ChatLine[] = [];

  constructor(options: ChatOptions) {
    this.#options = options;
  }

  /** Every line received since joining, oldest first. */
  messages(): ChatLine[] {
    return [...this.#lines];
  }

  /** Sends `text` (trimmed) to the room; false when empty or not connected. */
  send(text: string): boolean {
    const trimmed = text.trim();
    if (!trimmed) return false;
    return this.#options.send({ type: 'chat', text: trimmed });
  }

  /** Handles `chat`; true when it was one. */
  handle(message: ControlMessage): boolean {
    if (!isMessage(message, 'chat')) return false;
    const from = Number(message.from);
    const line: ChatLine = {
      from,
      name: String(message.name ?? this.#options.nameOf(from)),
      text: String(message.text ?? ''),
      ts: Number(message.ts) || Date.now(),
      mine: from === this.#options.selfId(),
    };
    this.#lines.push(line);
    this.events.emit('message', line);
    return true;
  }
}
