import { describe, expect, it } from 'vitest';
import type { ChatRequest } from '../../protocol/index.ts';
import { ChatController } from './chat.ts';

describe('ChatController', () => {
  it('sends trimmed text, refuses empty text, and keeps the lines the relay delivers', () => {
    const sent: ChatRequest[] = [];
    const chat = new ChatController({ send: (m) => (sent.push(m), true), selfId: () => 2, nameOf: (id) => `peer ${id}` });
    const lines: string[] = [];
    chat.events.on('message', (line) => lines.push(`${line.name}:${line.text}:${line.mine}`));
    expect(chat.send('  hi  ')).toBe(true);
    expect(chat.send('   ')).toBe(false);
    expect(sent).toEqual([{ type: 'chat', text: 'hi' }]);
    expect(chat.handle({ type: 'chat', from: 2, name: 'Me', text: 'hi', ts: 5 })).toBe(true);
    expect(chat.handle({ type: 'chat', from: 1, name: 'Alice', text: 'hello', ts: 6 })).toBe(true);
    expect(chat.handle({ type: 'peer-left', peerId: 1 })).toBe(false);
    expect(lines).toEqual(['Me:hi:true', 'Alice:hello:false']);
    expect(chat.messages()).toMatchObject([{ from: 2, ts: 5, mine: true }, { from: 1, ts: 6, mine: false }]);
  });
});
