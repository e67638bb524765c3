import { describe, expect, it } from 'vitest';
import { FakeLink } from '../net/fake-link.ts';
import { PresenceController } from './presence.ts';

describe('PresenceController', () => {
  const welcome = new FakeLink().welcome(2, [
    { id: 1, name: 'Alice', mode: 'jpeg' },
    { id: 2, name: 'Me', mode: 'jpeg' },
  ]);

  it('takes the welcome’s peers (without us) and announces the reset', () => {
    const presence = new PresenceController();
    const resets: number[][] = [];
    presence.events.on('reset', (peers) => resets.push(peers.map((p) => p.id)));
    presence.welcome(welcome);
    expect(presence.selfId).toBe(2);
    expect(presence.list()).toEqual([{ id: 1, name: 'Alice', mode: 'jpeg' }]);
    expect(resets).toEqual([[1]]);
  });

  it('adds on peer-joined and removes on peer-left', () => {
    const presence = new PresenceController();
    presence.welcome(welcome);
    const log: string[] = [];
    presence.events.on('joined', (p) => log.push(`+${p.name}`));
    presence.events.on('left', (p) => log.push(`-${p.name}`));
    expect(presence.handle({ type: 'peer-joined', peer: { id: 3, name: 'Bob', mode: 'bgra' } })).toBe(true);
    expect(presence.handle({ type: 'peer-joined', peer: { id: 2, name: 'Me', mode: 'jpeg' } })).toBe(true); // ourselves: ignored
    expect(presence.nameOf(3)).toBe('Bob');
    expect(presence.handle({ type: 'peer-left', peerId: 1 })).toBe(true);
    expect(presence.handle({ type: 'peer-left', peerId: 99 })).toBe(true); // unknown: ignored
    expect(log).toEqual(['+Bob', '-Alice']);
    expect(presence.list().map((p) => p.id)).toEqual([3]);
    expect(presence.nameOf(1)).toBe('peer 1');
    expect(presence.handle({ type: 'chat', from: 1, name: 'a', text: 'x', ts: 0 })).toBe(false);
  });

  it('records a mode change once', () => {
    const presence = new PresenceController();
    presence.welcome(welcome);
    const changed: string[] = [];
    presence.events.on('changed', (p) => changed.push(p.mode));
    presence.setMode(1, 'bgra');
    presence.setMode(1, 'bgra');
    presence.setMode(42, 'bgra');
    expect(changed).toEqual(['bgra']);
    presence.clear();
    expect([presence.list(), presence.selfId]).toEqual([[], 0]);
  });

  it('takes muted from summaries and peer-updated, announcing each change once', () => {
    const presence = new PresenceController();
    presence.welcome(new FakeLink().welcome(2, [{ id: 1, name: 'Alice', mode: 'jpeg', muted: true }]));
    expect(presence.get(1)?.muted).toBe(true);
    const changed: (boolean | undefined)[] = [];
    presence.events.on('changed', (p) => changed.push(p.muted));
    expect(presence.handle({ type: 'peer-updated', peer: { id: 1, name: 'Alice', mode: 'jpeg' } })).toBe(true);
    presence.handle({ type: 'peer-updated', peer: { id: 1, name: 'Alice', mode: 'jpeg' } }); // unchanged
    presence.handle({ type: 'peer-updated', peer: { id: 1, name: 'Alice', mode: 'jpeg', muted: true } });
    presence.handle({ type: 'peer-updated', peer: { id: 9, name: 'Nobody', mode: 'jpeg', muted: true } }); // unknown
    expect(changed).toEqual([false, true]);
  });
});
