import { describe, expect, it } from 'vitest';
import { CloseCode } from '../../protocol/index.ts';
import { FakeLink } from '../net/fake-link.ts';
import { SessionController, type JoinRequest, type SessionRefusal } from './session.ts';

const JOIN: JoinRequest = { room: 'r', name: 'Me', mode: 'jpeg' };

function setup(serverFullRetries?: number): { session: SessionController; links: FakeLink[]; refused: SessionRefusal[]; events: string[] } {
  const links: FakeLink[] = [];
  const session = new SessionController({
    createLink: () => {
      const link = new FakeLink();
      links.push(link);
      return link;
    },
    ...(serverFullRetries !== undefined ? { serverFullRetries } : {}),
  });
  const refused: SessionRefusal[] = [];
  const events: string[] = [];
  session.events.on('refused', (r) => refused.push(r));
  session.events.on('welcome', () => events.push('welcome'));
  session.events.on('lost', () => events.push('lost'));
  session.events.on('control', (m) => events.push(`control:${m.type}`));
  return { session, links, refused, events };
}

describe('SessionController', () => {
  describe('sessions', () => {
    it('opens a link, counts welcomes and forwards control messages of the session', () => {
      const { session, links, events } = setup();
      session.connect(JOIN);
      expect(links).toHaveLength(1);
      expect(links[0]!.opened).toBe(1);
      links[0]!.welcome(5);
      expect([session.sessions, session.selfId, session.state]).toEqual([1, 5, 'open']);
      links[0]!.receive({ type: 'peer-left', peerId: 1 });
      links[0]!.closeWith({ code: 1006 }, false);
      links[0]!.welcome(9);
      expect([session.sessions, session.selfId]).toEqual([2, 9]);
      expect(events).toEqual(['welcome', 'control:peer-left', 'lost', 'welcome']);
      expect(session.send({ type: 'chat', text: 'x' })).toBe(true);
      expect(links[0]!.sent).toEqual([{ type: 'chat', text: 'x' }]);
    });

    it('reconnect() keeps counting, connect() starts again; disconnect() closes the link', () => {
      const { session, links } = setup();
      session.connect(JOIN);
      links[0]!.welcome(1);
      session.reconnect({ ...JOIN, mode: 'webrtc' });
      expect(links[0]!.closed).toBe(true);
      links[1]!.welcome(2);
      expect(session.sessions).toBe(2);
      expect(session.join?.mode).toBe('webrtc');
      session.connect(JOIN);
      expect(session.sessions).toBe(0);
      session.disconnect();
      expect([session.state, session.selfId, links[2]!.closed]).toEqual(['closed', 0, true]);
      expect(session.send({ type: 'chat', text: 'x' })).toBe(false);
    });
  });

  describe('refusals', () => {
    it('ends at once on a fatal refusal, with the relay’s code and limit in words', () => {
      const { session, links, refused, events } = setup();
      session.connect(JOIN);
      const link = links[0]!;
      // The relay's error before the close is the refusal, not a control message of the session.
      link.receive({ type: 'error', code: 'room-full', message: 'room is full [room:r, max:3]', limit: 3 });
      link.closeWith({ code: CloseCode.policy, reason: 'room-full', refusal: { code: 'room-full', limit: 3, message: 'room is full' } }, true);
      expect(refused).toEqual([{ code: 'room-full', limit: 3, message: 'room is full', text: 'This room is full (3 people).', sessions: 0 }]);
      expect(events).toEqual(['lost']);
      expect(link.closed).toBe(true);
      expect(session.state).toBe('closed');
      expect(links).toHaveLength(1);
    });

    it('uses the close reason when there was no error message', () => {
      const { session, links, refused } = setup();
      session.connect(JOIN);
      links[0]!.welcome(1);
      links[0]!.closeWith({ code: CloseCode.policy, reason: 'bad-secret' }, true);
      expect(refused).toMatchObject([{ code: 'bad-secret', text: 'This room is protected: the secret is wrong or missing.', sessions: 1 }]);
    });

    it('retries server-full, and gives up after serverFullRetries in a row', () => {
      const { session, links, refused } = setup(3);
      session.connect(JOIN);
      const link = links[0]!;
      const full = { code: CloseCode.tryAgainLater, reason: 'server-full', refusal: { code: 'server-full', limit: 10 } };
      link.closeWith(full, false);
      link.closeWith(full, false);
      expect(refused).toEqual([]);
      expect(link.closed).toBe(false);
      link.closeWith(full, false);
      expect(refused).toMatchObject([{ code: 'server-full', text: 'The server is full (10 connections). Try again later.' }]);
      expect(link.closed).toBe(true);
    });

    it('counts only server-full refusals in a row (a welcome or another close starts again)', () => {
      const { session, links, refused } = setup(2);
      session.connect(JOIN);
      const link = links[0]!;
      const full = { code: CloseCode.tryAgainLater, reason: 'server-full' };
      link.closeWith(full, false);
      link.welcome(1);
      link.closeWith(full, false);
      link.closeWith({ code: 1006 }, false);
      link.closeWith(full, false);
      expect(refused).toEqual([]);
      link.closeWith(full, false);
      expect(refused).toHaveLength(1);
    });
  });

  it('rejects a bad serverFullRetries; close() is safe twice', () => {
    expect(() => new SessionController({ createLink: () => new FakeLink(), serverFullRetries: 0 })).toThrow(TypeError);
    const { session, links } = setup();
    session.connect(JOIN);
    session.close();
    session.close();
    expect(links[0]!.closed).toBe(true);
    session.connect(JOIN);
    expect(links).toHaveLength(1);
  });
});
